"""RoomChannel: encode-once fan-out, staff-only delivery, seq allocation and the resume ring."""

from __future__ import annotations

import pytest

from siyu.realtime.fanout import RoomChannel


class FakePeer:
    """Test double for a connection: records every buffer it is asked to send."""

    def __init__(self, *, staff: bool = False) -> None:
        self._staff = staff
        self.sent: list[bytes] = []

    @property
    def is_staff(self) -> bool:
        return self._staff

    def send(self, data: bytes) -> None:
        self.sent.append(data)


def msg(seq: int) -> bytes:
    return f'{{"type":"comment","seq":{seq}}}'.encode()


def publish_range(ch: RoomChannel, first: int, last: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for _ in range(first, last + 1):
        seq = ch.next_seq()
        out[seq] = msg(seq)
        ch.publish(seq, out[seq])
    return out


@pytest.fixture
def channel() -> RoomChannel:
    return RoomChannel(start_seq=0, history_size=5)


# --- fan-out -----------------------------------------------------------------------------------


def test_publish_sends_the_same_bytes_object_to_every_peer(channel: RoomChannel) -> None:
    peers = [FakePeer(), FakePeer(staff=True), FakePeer()]
    for p in peers:
        channel.add(p)
    data = msg(1)
    channel.publish(channel.next_seq(), data)
    for p in peers:
        assert len(p.sent) == 1
        assert p.sent[0] is data  # encoded once, shared by every connection


def test_broadcast_reaches_everyone_but_is_not_kept(channel: RoomChannel) -> None:
    viewer, host = FakePeer(), FakePeer(staff=True)
    channel.add(viewer)
    channel.add(host)
    banner = b'{"type":"banner"}'
    channel.broadcast(banner)
    assert viewer.sent == [banner]
    assert host.sent == [banner]
    assert viewer.sent[0] is banner
    assert channel.published_seq == 0
    assert channel.since(0, None) == []  # not a room message: nothing to resume


def test_to_staff_only_reaches_staff(channel: RoomChannel) -> None:
    viewer, host, assistant = FakePeer(), FakePeer(staff=True), FakePeer(staff=True)
    for p in (viewer, host, assistant):
        channel.add(p)
    data = b'{"type":"question"}'
    channel.to_staff(data)
    assert viewer.sent == []
    assert host.sent == [data]
    assert assistant.sent[0] is data
    assert channel.staff == {host, assistant}
    assert channel.peers == {viewer, host, assistant}


def test_discard_stops_delivery(channel: RoomChannel) -> None:
    viewer, host = FakePeer(), FakePeer(staff=True)
    channel.add(viewer)
    channel.add(host)
    channel.discard(host)
    channel.discard(viewer)
    channel.discard(viewer)  # idempotent
    channel.publish(channel.next_seq(), msg(1))
    channel.to_staff(b"x")
    assert viewer.sent == []
    assert host.sent == []
    assert channel.peers == set()
    assert channel.staff == set()


def test_add_twice_delivers_once(channel: RoomChannel) -> None:
    peer = FakePeer()
    channel.add(peer)
    channel.add(peer)
    channel.publish(channel.next_seq(), msg(1))
    assert len(peer.sent) == 1


def test_publish_with_no_peers_is_still_kept(channel: RoomChannel) -> None:
    data = msg(1)
    channel.publish(channel.next_seq(), data)
    assert channel.since(0, None) == [data]


# --- seq ---------------------------------------------------------------------------------------


def test_seq_is_monotonic_from_start() -> None:
    ch = RoomChannel(start_seq=41, history_size=10)
    assert ch.last_seq == 41
    seqs = [ch.next_seq() for _ in range(5)]
    assert seqs == [42, 43, 44, 45, 46]
    assert ch.last_seq == 46


def test_published_seq_tracks_publish_not_allocation() -> None:
    ch = RoomChannel(start_seq=10, history_size=10)
    assert ch.published_seq == 10
    a = ch.next_seq()
    b = ch.next_seq()
    assert ch.published_seq == 10  # allocated but not yet published
    ch.publish(a, msg(a))
    assert ch.published_seq == a
    ch.publish(b, msg(b))
    assert ch.published_seq == b == ch.last_seq


def test_epoch_is_per_channel() -> None:
    a = RoomChannel(start_seq=0, history_size=10)
    b = RoomChannel(start_seq=0, history_size=10)
    assert a.epoch and b.epoch
    assert a.epoch != b.epoch


# --- since() -----------------------------------------------------------------------------------


def test_since_no_gap(channel: RoomChannel) -> None:
    publish_range(channel, 1, 3)
    assert channel.since(3, channel.epoch) == []
    assert channel.since(3, None) == []


def test_since_on_an_empty_room(channel: RoomChannel) -> None:
    assert channel.since(0, None) == []
    assert channel.since(0, channel.epoch) == []


def test_since_gap_inside_ring_in_order(channel: RoomChannel) -> None:
    sent = publish_range(channel, 1, 4)
    got = channel.since(1, channel.epoch)
    assert got == [sent[2], sent[3], sent[4]]
    assert all(a is b for a, b in zip(got or [], [sent[2], sent[3], sent[4]], strict=True))
    assert channel.since(0, channel.epoch) == [sent[1], sent[2], sent[3], sent[4]]


def test_since_exactly_the_oldest_kept(channel: RoomChannel) -> None:
    sent = publish_range(channel, 1, 8)  # ring of 5 keeps 4..8
    assert channel.since(3, None) == [sent[s] for s in range(4, 9)]
    assert channel.since(7, None) == [sent[8]]


def test_since_gap_older_than_ring(channel: RoomChannel) -> None:
    publish_range(channel, 1, 8)  # ring of 5 keeps 4..8
    assert channel.since(2, None) is None
    assert channel.since(0, channel.epoch) is None


def test_since_other_epoch(channel: RoomChannel) -> None:
    publish_range(channel, 1, 3)
    assert channel.since(1, "deadbeef") is None
    assert channel.since(3, "deadbeef") is None  # even without a gap: the client must resync


def test_since_after_restart_with_empty_ring() -> None:
    ch = RoomChannel(start_seq=100, history_size=5)  # seq restored from storage, history lost
    assert ch.since(100, None) == []
    assert ch.since(90, None) is None


def test_since_client_ahead_of_server(channel: RoomChannel) -> None:
    publish_range(channel, 1, 2)
    assert channel.since(5, None) == []


def test_since_skips_seq_holes(channel: RoomChannel) -> None:
    """A seq allocated but never published (e.g. a failed write) leaves a hole, not a resync."""
    one, _lost, three = channel.next_seq(), channel.next_seq(), channel.next_seq()
    channel.publish(one, msg(one))
    channel.publish(three, msg(three))
    assert channel.since(1, None) == [msg(3)]
    assert channel.since(0, None) == [msg(1), msg(3)]
