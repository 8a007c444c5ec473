"""RoomChannel: batching, encode-once, priorities, sampling, slow consumers, ordering, the resume ring."""

from __future__ import annotations

import asyncio

import orjson

from siyu.config import FanoutSettings
from siyu.realtime.fanout import FanoutStats, Priority, RoomChannel, batch_frame


class FakePeer:
    """Test double for a connection: records every frame, reports a configurable send backlog."""

    def __init__(self, *, staff: bool = False, backlog: int = 0, user_id: str = "u") -> None:
        self.user_id = user_id
        self.is_staff = staff
        self.backlog = backlog
        self.behind = backlog > 0  # what the transport's pause_writing callback would have said
        self.sent: list[bytes] = []
        self.evicted = 0

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def buffered(self) -> int:
        return self.backlog

    def evict(self) -> None:
        self.evicted += 1

    def messages(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for frame in self.sent:
            out.extend(orjson.loads(frame)["msgs"])
        return out


def msg(seq: int, kind: str = "comment") -> bytes:
    return orjson.dumps({"type": kind, "seq": seq})


def make(**overrides: object) -> RoomChannel:
    cfg = FanoutSettings(**{"flush_ms": 20, "max_batch": 1000, **overrides})  # type: ignore[arg-type]
    return RoomChannel(start_seq=0, history_size=50, config=cfg, stats=FanoutStats(), epoch="e1")


async def test_messages_are_batched_and_encoded_once_for_all_viewers() -> None:
    ch = make()
    peers = [FakePeer(), FakePeer(), FakePeer()]
    for p in peers:
        ch.add(p)
    for seq in (1, 2, 3):
        ch.deliver(seq, msg(seq), Priority.NORMAL)
    assert all(p.sent == [] for p in peers)  # nothing leaves before the window closes
    await asyncio.sleep(0.05)
    assert all(len(p.sent) == 1 for p in peers)
    assert peers[0].sent[0] is peers[1].sent[0] is peers[2].sent[0]  # the same bytes object
    frame = orjson.loads(peers[0].sent[0])
    assert frame["type"] == "batch" and (frame["from"], frame["to"]) == (1, 3)
    assert [m["seq"] for m in frame["msgs"]] == [1, 2, 3]
    assert ch.stats.frames == 3 and ch.stats.deliveries == 9


async def test_max_batch_flushes_without_waiting() -> None:
    ch = make(max_batch=2, flush_ms=1000)
    p = FakePeer()
    ch.add(p)
    ch.deliver(1, msg(1), Priority.HIGH)
    assert p.sent == []
    ch.deliver(2, msg(2), Priority.HIGH)
    assert len(p.sent) == 1 and len(orjson.loads(p.sent[0])["msgs"]) == 2


async def test_sampling_caps_normal_but_never_high_and_staff_see_everything() -> None:
    ch = make(normal_cap_per_s=5)
    viewer, host = FakePeer(), FakePeer(staff=True)
    ch.add(viewer)
    ch.add(host)
    for seq in range(1, 41):
        gift = seq % 10 == 0
        ch.deliver(seq, msg(seq, "gift" if gift else "comment"), Priority.HIGH if gift else Priority.NORMAL)
    ch.flush()
    seen = viewer.messages()
    gifts = [m for m in seen if m["type"] == "gift"]
    comments = [m for m in seen if m["type"] == "comment"]
    assert len(gifts) == 4  # high priority is never sampled
    assert len(comments) == 5  # the bucket starts with one second's worth
    assert ch.stats.sampled_normal == 36 - 5
    assert len(host.messages()) == 40  # the host console sees every comment
    frame = orjson.loads(viewer.sent[0])
    assert (frame["from"], frame["to"]) == (1, 40)  # the range accounts for what was sampled out


async def test_sampling_can_be_switched_off() -> None:
    ch = make(normal_cap_per_s=1, sampling=False)
    viewer = FakePeer()
    ch.add(viewer)
    for seq in range(1, 31):
        ch.deliver(seq, msg(seq), Priority.NORMAL)
    ch.flush()
    assert len(viewer.messages()) == 30 and ch.stats.sampled_normal == 0


async def test_slow_consumer_loses_low_then_normal_then_is_evicted() -> None:
    ch = make(drop_low_bytes=1024, drop_normal_bytes=5000, max_buffer_bytes=20_000)
    fast, lagging = FakePeer(), FakePeer(backlog=2000)
    slower, stuck = FakePeer(backlog=8000), FakePeer(backlog=30_000)
    for p in (fast, lagging, slower, stuck):
        ch.add(p)
    ch.deliver(1, msg(1, "gift"), Priority.HIGH)
    ch.deliver(2, msg(2, "comment"), Priority.NORMAL)
    ch.post(orjson.dumps({"type": "state", "online": 4}), Priority.LOW)
    ch.flush()
    assert [m["type"] for m in fast.messages()] == ["gift", "comment", "state"]
    assert [m["type"] for m in lagging.messages()] == ["gift", "comment"]
    assert [m["type"] for m in slower.messages()] == ["gift"]
    assert stuck.sent == [] and stuck.evicted == 1
    assert ch.stats.dropped == {"low": 2, "normal": 1} and ch.stats.evicted == 1
    assert fast.sent[0] is not lagging.sent[0]  # one encoding per variant, not per connection


async def test_out_of_order_seqs_are_released_in_order() -> None:
    ch = make(reorder_ms=1000)
    p = FakePeer()
    ch.add(p)
    ch.deliver(2, msg(2), Priority.HIGH)
    ch.deliver(3, msg(3), Priority.HIGH)
    assert ch.published_seq == 0
    ch.deliver(1, msg(1), Priority.HIGH)
    assert ch.published_seq == 3
    ch.deliver(2, msg(2), Priority.HIGH)  # a duplicate is ignored
    ch.flush()
    assert [m["seq"] for m in p.messages()] == [1, 2, 3]


async def test_a_gap_that_never_fills_is_skipped_after_the_reorder_window() -> None:
    ch = make(reorder_ms=30)
    p = FakePeer()
    ch.add(p)
    ch.deliver(1, msg(1), Priority.HIGH)
    ch.deliver(3, msg(3), Priority.HIGH)  # seq 2 was a failed commit
    assert ch.published_seq == 1
    await asyncio.sleep(0.1)
    assert ch.published_seq == 3
    assert [m["seq"] for m in p.messages()] == [1, 3]


async def test_staff_messages_go_out_immediately() -> None:
    ch = make()
    viewer, host = FakePeer(), FakePeer(staff=True)
    ch.add(viewer)
    ch.add(host)
    ch.to_staff(b'{"type":"question"}')
    assert host.sent == [b'{"type":"question"}'] and viewer.sent == []


async def test_since_serves_gaps_from_the_ring_or_says_resync() -> None:
    ch = make()
    for seq in range(1, 61):
        ch.deliver(seq, msg(seq), Priority.NORMAL)
    assert ch.since(60) == []
    assert ch.since(55) == [msg(s) for s in range(56, 61)]
    assert ch.since(5) is None  # older than the 50-message ring
    ch.reset("e2", 100)
    assert ch.epoch == "e2" and ch.published_seq == 100 and ch.since(99) is None


def test_batch_frame_without_room_messages_has_no_range() -> None:
    frame = orjson.loads(batch_frame(None, None, [b'{"type":"enter"}']))
    assert frame == {"type": "batch", "msgs": [{"type": "enter"}]}


def test_remove_peer() -> None:
    ch = make()
    p = FakePeer(staff=True)
    ch.add(p)
    ch.discard(p)
    assert p not in ch.peers and p not in ch.staff


def test_windows_on_uvloop_where_late_timers_are_plain_handles() -> None:
    """The server runs on uvloop: a window whose start is already past must not break scheduling."""
    import uvloop

    async def scenario() -> list[list[int]]:
        ch = make(flush_ms=20, high_flush_ms=5)
        p = FakePeer()
        ch.add(p)
        ch.deliver(1, msg(1), Priority.NORMAL)  # quiet room: goes on the next loop turn
        ch.deliver(2, msg(2, "gift"), Priority.HIGH)  # lands in the same window
        await asyncio.sleep(0.05)
        ch.deliver(3, msg(3), Priority.NORMAL)
        ch.post(b'{"type":"state"}', Priority.LOW)
        await asyncio.sleep(0.05)
        return [[m["seq"] for m in orjson.loads(f)["msgs"] if "seq" in m] for f in p.sent]

    assert uvloop.run(scenario()) == [[1, 2], [3]]


async def test_high_priority_joins_a_pass_under_way_without_reordering_or_extra_frames() -> None:
    # chunk=2: a pass to 6 viewers + 1 staff takes several loop turns; a gift arrives after the first chunk
    ch = make(chunk=2, flush_ms=1000, high_flush_ms=1)
    staff = FakePeer(staff=True)
    viewers = [FakePeer() for _ in range(6)]
    ch.add(staff)
    for v in viewers:
        ch.add(v)
    for seq in (1, 2):
        ch.deliver(seq, msg(seq), Priority.NORMAL)
    ch.flush()  # the pass starts: staff and one viewer are written in the first chunk
    reached = [v for v in viewers if v.sent]
    assert len(reached) == 1 and len(staff.sent) == 1
    ch.deliver(3, msg(3, "gift"), Priority.HIGH)
    ch.flush()  # what its (immediate) timer does
    late = FakePeer()  # joins while the merged pass is under way: it gets the next batch
    ch.add(late)
    ch.deliver(4, msg(4, "gift"), Priority.HIGH)
    for _ in range(20):
        await asyncio.sleep(0.005)
    for peer in [staff, *viewers, late]:
        seqs = [m["seq"] for m in peer.messages()]
        assert seqs == sorted(seqs) and 4 in seqs, (peer, seqs)
    for v in viewers:
        if v in reached:  # got [1, 2], then the gifts
            assert [m["seq"] for m in orjson.loads(v.sent[0])["msgs"]] == [1, 2]
        else:  # not reached yet: the running batch and the gift in one frame
            assert [m["seq"] for m in orjson.loads(v.sent[0])["msgs"]][:3] == [1, 2, 3]
            assert orjson.loads(v.sent[0])["from"] == 1 and orjson.loads(v.sent[0])["to"] >= 3
        assert [m["seq"] for m in v.messages()] == [1, 2, 3, 4]
    assert [m["seq"] for m in late.messages()] == [4]
    assert ch.stats.deliveries == 7 * 4 + 1  # every message once per connection


async def test_without_high_priority_a_new_batch_waits_for_the_pass_under_way() -> None:
    ch = make(chunk=1, flush_ms=1000)
    viewers = [FakePeer() for _ in range(3)]
    for v in viewers:
        ch.add(v)
    ch.deliver(1, msg(1), Priority.NORMAL)
    ch.flush()
    ch.deliver(2, msg(2), Priority.NORMAL)
    ch.flush()  # under way: deferred to the end of the pass
    for _ in range(10):
        await asyncio.sleep(0.005)
    assert all([[m["seq"] for m in orjson.loads(f)["msgs"]] for f in v.sent] == [[1], [2]] for v in viewers)


async def test_personal_messages_reach_every_connection_of_one_user_and_nobody_else() -> None:
    ch = make()
    tab1, tab2, other = FakePeer(user_id="u1"), FakePeer(user_id="u1"), FakePeer(user_id="u2")
    for p in (tab1, tab2, other):
        ch.add(p)
    assert ch.to_user("u1", b"{}") == 2
    ch.discard(tab1)
    assert ch.to_user("u1", b"{}") == 1
    ch.discard(tab2)
    assert ch.to_user("u1", b"{}") == 0  # not here: the room sends it through the broker instead
    assert (len(tab1.sent), len(tab2.sent), len(other.sent)) == (1, 2, 0)


async def test_a_gap_is_asked_of_the_log_once_and_filled_in_order_with_what_was_held() -> None:
    """With `on_gap` (the room's catch-up from the event log), a gap is not skipped: it is asked once after
    the reorder window, and fill() releases the log's messages and the held ones in seq order; a seq the
    log does not hold is passed over for good, a late copy from the broker is a duplicate."""
    ch = make(reorder_ms=20)
    asked: list[tuple[int, int]] = []
    ch.on_gap = lambda first, last: asked.append((first, last))
    seen: list[int] = []
    ch.observers.append(lambda seq, data, event: seen.append(seq))
    ch.deliver(1, msg(1), Priority.NORMAL)
    ch.deliver(5, msg(5), Priority.HIGH)
    ch.deliver(6, msg(6), Priority.NORMAL)
    await asyncio.sleep(0.1)
    assert asked == [(2, 4)] and seen == [1]  # asked once, nothing skipped meanwhile
    ch.fill([(2, Priority.HIGH, msg(2), None), (4, Priority.NORMAL, msg(4), None)], 4)  # 3: never a message
    assert seen == [1, 2, 4, 5, 6] and ch.published_seq == 6
    ch.deliver(3, msg(3), Priority.NORMAL)  # cannot come late
    assert seen == [1, 2, 4, 5, 6]
    assert ch.stats.filled_from_log == 2 and ch.stats.gaps_skipped == 1
    assert ch.since(1) == [msg(s) for s in (2, 4, 5, 6)]


async def test_a_fill_that_finds_the_gap_closed_asks_again_for_the_next_one() -> None:
    ch = make(reorder_ms=20)
    asked: list[tuple[int, int]] = []
    ch.on_gap = lambda first, last: asked.append((first, last))
    for seq in (1, 3, 6):
        ch.deliver(seq, msg(seq), Priority.NORMAL)
    await asyncio.sleep(0.06)
    assert asked == [(2, 2)]
    ch.deliver(2, msg(2), Priority.NORMAL)  # the broker brought it while the log was being read
    ch.fill([], 2)  # the log's answer comes after: nothing to do, but 4..5 are still missing
    await asyncio.sleep(0.06)
    assert asked == [(2, 2), (4, 5)]
    ch.fill([(4, Priority.NORMAL, msg(4), None), (5, Priority.NORMAL, msg(5), None)], 5)
    assert ch.published_seq == 6 and ch.since(0) == [msg(s) for s in range(1, 7)]
