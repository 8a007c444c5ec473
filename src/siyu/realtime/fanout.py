"""Room fan-out: batching windows, three priority classes, sampling, slow consumers, history.

Room traffic is collected for `flush_ms` (or until `max_batch` messages are pending), then sent as one
`batch` frame. Each variant of a batch is encoded once and the same bytes are written to every
connection that gets that variant:

- viewers: high + sampled normal + low;
- staff (host, assistant): high + every normal + low (the host console sees every comment);
- slow consumers (bytes still queued in their transport above a threshold): low dropped first, then
  normal; above `max_buffer_bytes` the connection is evicted (close 4009). Nobody waits on anybody.

Normal messages (comments) are sampled at the room level by a token bucket of `normal_cap_per_s`, so each
viewer sees at most that many per second, chosen at random among the window's comments.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable

from siyu.config import FanoutSettings
from siyu.realtime.batch import (
    Batch,
    FanoutStats,
    Observer,
    Pass,
    Peer,
    Priority,
    Send,
    batch_frame,
)

__all__ = ["FanoutStats", "Observer", "Peer", "Priority", "RoomChannel", "batch_frame"]



class RoomChannel:
    """Delivery side of one room on this node: in-order release by seq, batching, history ring."""

    def __init__(
        self,
        *,
        start_seq: int,
        history_size: int,
        config: FanoutSettings,
        stats: FanoutStats,
        epoch: str | None = None,
    ) -> None:
        self.peers: set[Peer] = set()
        self.viewers: set[Peer] = set()
        self.staff: set[Peer] = set()
        self._by_user: dict[str, set[Peer]] = {}  # personal messages find a user's connections at once
        self.epoch = epoch or secrets.token_hex(4)
        self.published_seq = start_seq
        self.config = config
        self.stats = stats
        self._history: deque[tuple[int, bytes]] = deque(maxlen=history_size)
        self._pending: list[tuple[int | None, Priority, bytes]] = []
        self._held: dict[int, tuple[Priority, bytes, object | None]] = {}
        self._gap_timer: asyncio.TimerHandle | None = None
        self._gap_asked = False  # on_gap was called for the current gap; fill() or skip_gap() answers
        self.on_gap: Callable[[int, int], None] | None = None  # (first, last) missing seq: fill me
        self._flush_timer: asyncio.Handle | None = None
        self._tokens = config.normal_cap_per_s
        self._tokens_at = time.monotonic()
        self._rng = random.Random()
        self.observers: list[Observer] = []
        self._pass: Pass | None = None
        self._flush_again = False
        self._last_flush = 0.0
        self._flush_due = 0.0

    def add(self, peer: Peer) -> None:
        self.peers.add(peer)
        (self.staff if peer.is_staff else self.viewers).add(peer)
        self._by_user.setdefault(peer.user_id, set()).add(peer)

    def discard(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self.staff.discard(peer)
        self.viewers.discard(peer)
        mine = self._by_user.get(peer.user_id)
        if mine is not None:
            mine.discard(peer)
            if not mine:
                del self._by_user[peer.user_id]

    # --- ingress ---------------------------------------------------------------------------------

    def deliver(self, seq: int, data: bytes, prio: Priority, event: object | None = None) -> None:
        """A sequenced room message (with the typed event it came from, for the observers). Released in
        seq order; a gap is waited for `reorder_ms`, then handed to `on_gap` (the room fills it from the
        event log) or, without one, skipped."""
        if seq <= self.published_seq:
            return  # a duplicate (e.g. our own publication seen again after a broker reconnect)
        if seq != self.published_seq + 1:
            self._held[seq] = (prio, data, event)
            if self._gap_timer is None and not self._gap_asked:
                loop = asyncio.get_running_loop()
                self._gap_timer = loop.call_later(self.config.reorder_ms / 1000, self._gap_due)
            return
        self._release(seq, prio, data, event)
        self._drain_held()

    def _drain_held(self) -> None:
        """Release what was held behind the messages just released; wait (or stop waiting) for a gap."""
        while self.published_seq + 1 in self._held:
            nxt = self.published_seq + 1
            p, d, e = self._held.pop(nxt)
            self._release(nxt, p, d, e)
        if not self._held:
            self._gap_asked = False
            if self._gap_timer is not None:
                self._gap_timer.cancel()
                self._gap_timer = None
        elif self._gap_timer is None and not self._gap_asked:
            loop = asyncio.get_running_loop()
            self._gap_timer = loop.call_later(self.config.reorder_ms / 1000, self._gap_due)

    def _gap_due(self) -> None:
        self._gap_timer = None
        if not self._held:
            return
        if self.on_gap is not None:
            self._gap_asked = True
            self.on_gap(self.published_seq + 1, min(self._held) - 1)
        else:
            self.skip_gap()

    def skip_gap(self) -> None:
        """Give up on the missing seqs before the first held message (nobody can fill them)."""
        self._gap_asked = False
        if self._held:
            first = min(self._held)
            self.stats.gaps_skipped += first - 1 - self.published_seq
            self.published_seq = first - 1
            prio, data, event = self._held.pop(first)
            self.deliver(first, data, prio, event)

    def fill(self, rows: Iterable[tuple[int, Priority, bytes | None, object | None]], through: int) -> None:
        """Messages taken from the event log, which holds every seq up to `through` (seqs are given in
        commit order): they are released in seq order with what was held, a seq the log does not hold
        (or holds without its bytes) is passed over for good, and what was held behind `through` waits
        as before."""
        self._gap_asked = False
        items: dict[int, tuple[Priority, bytes | None, object | None]] = {}
        for seq, prio, data, event in rows:
            if self.published_seq < seq <= through:
                items[seq] = (prio, data, event)
        self.stats.filled_from_log += sum(1 for s, v in items.items() if s not in self._held and v[1])
        for seq in [s for s in self._held if s <= through]:
            items[seq] = self._held.pop(seq)
        for seq in sorted(items):
            prio, data, event = items[seq]
            if data is not None:
                self._pass_over(seq - 1)
                self._release(seq, prio, data, event)
        self._pass_over(through)
        self._drain_held()

    def _pass_over(self, upto: int) -> None:
        if upto > self.published_seq:
            self.stats.gaps_skipped += upto - self.published_seq
            self.published_seq = upto

    def _release(self, seq: int, prio: Priority, data: bytes, event: object | None) -> None:
        self.published_seq = seq
        self._history.append((seq, data))
        for observe in self.observers:
            observe(seq, data, event)
        self._enqueue(seq, prio, data)

    def post(self, data: bytes, prio: Priority = Priority.LOW) -> None:
        """An unsequenced room message (state, entry banner): batched, not kept for resume."""
        self._enqueue(None, prio, data)

    def reset(self, epoch: str, seq: int) -> None:
        """History is gone (broker lost its data, or we fell back to local mode): start a new epoch."""
        self.epoch = epoch
        self.published_seq = seq
        self._history.clear()
        self._held.clear()
        self._gap_asked = False

    def _enqueue(self, seq: int | None, prio: Priority, data: bytes) -> None:
        self._pending.append((seq, prio, data))
        if len(self._pending) >= self.config.max_batch:
            self.flush()
            return
        # A window starts when the last batch was out (leading edge): after a quiet spell a message
        # leaves on the next loop turn; under load a connection gets at most one frame per window plus
        # the time a batch takes to write. High priority shortens the window it lands in.
        window = (self.config.high_flush_ms if prio is Priority.HIGH else self.config.flush_ms) / 1000
        loop = asyncio.get_running_loop()
        due = max(loop.time(), self._last_flush + window)
        timer = self._flush_timer
        if timer is None or self._flush_due > due:
            if timer is not None:
                timer.cancel()
            # (uvloop turns a call_at in the past into a plain Handle, which has no .when())
            self._flush_due = due
            self._flush_timer = loop.call_at(due, self.flush)

    # --- egress ----------------------------------------------------------------------------------

    def to_staff(self, data: bytes) -> None:
        """Host-console messages go out at once; staff are few."""
        for peer in self.staff:
            peer.send(data)
            self.stats.frames += 1

    def to_user(self, user_id: str, data: bytes) -> int:
        """A personal message to every connection of one user on this node, at once; how many got it."""
        mine = self._by_user.get(user_id, ())
        for peer in mine:
            peer.send(data)
        self.stats.frames += len(mine)
        return len(mine)

    def direct(self, target: str, data: bytes) -> None:
        """An ephemeral message for `staff`, `user:<id>` or `role:<role>` (what a broker delivers across
        nodes)."""
        if target == "staff":
            self.to_staff(data)
        elif target.startswith("user:"):
            self.to_user(target[5:], data)
        elif target.startswith("role:"):
            role = target[5:]
            for peer in self.peers:
                if str(getattr(getattr(peer, "role", None), "value", "")) == role:
                    peer.send(data)
                    self.stats.frames += 1

    def _sample(self, normal: list[int]) -> set[int]:
        """Which of the window's normal messages (by position) the viewers get."""
        if not self.config.sampling:
            return set(normal)
        now = time.monotonic()
        cap = self.config.normal_cap_per_s
        self._tokens = min(cap, self._tokens + (now - self._tokens_at) * cap)
        self._tokens_at = now
        allowed = int(self._tokens)
        if len(normal) <= allowed:
            self._tokens -= len(normal)
            return set(normal)
        self._tokens -= allowed
        self.stats.sampled_normal += len(normal) - allowed
        return set(self._rng.sample(normal, allowed))

    def flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._pass is not None:
            # batches never overtake each other: this one goes when the last is out, unless it carries a
            # high-priority message, which joins the batch under way (see _preempt)
            if any(p is Priority.HIGH for _, p, _ in self._pending):
                self._preempt()
            else:
                self._flush_again = True
            return
        pending, self._pending = self._pending, []
        if not pending or not self.peers:
            return
        batch = self._batch(pending)
        items = [s for s in self._sends(batch, self.staff, self.viewers) if s.n]
        self._run(Pass(items))

    def _batch(self, pending: list[tuple[int | None, Priority, bytes]]) -> Batch:
        self.stats.batches += 1
        return Batch(
            pending, self._sample([i for i, (_, p, _) in enumerate(pending) if p is Priority.NORMAL])
        )

    @staticmethod
    def _sends(batch: Batch, staff: Iterable[Peer], viewers: Iterable[Peer]) -> list[Send]:
        # staff first (few), then viewers
        out = []
        for group, name in ((staff, "staff"), (viewers, "full")):
            peers = list(group)
            if peers:
                data, n = batch.frame(name)
                out.append(Send(data, n, peers, batch, name))
        return out

    def _preempt(self) -> None:
        """A high-priority message arrived while a batch is being written to thousands of connections.

        Waiting for that pass to end would cost up to one whole pass (tens of ms at 5,000 viewers) before
        the message even starts out. Instead the connections the pass has not reached yet get the running
        batch and the new one merged into one frame, and the ones it has reached (or that joined since)
        get the new batch; per connection the seqs stay in order and the frame count does not grow.
        """
        old = self._pass
        assert old is not None
        old.live = False
        batch = self._batch(self._pending)
        self._pending = []
        items: list[Send] = []
        reached_staff, reached_viewers = set(self.staff), set(self.viewers)
        for send in old.remaining():
            merged = send.batch.merged(batch)
            data, n = merged.frame(send.variant)
            items.append(Send(data, n, send.peers, merged, send.variant))
            reached_staff.difference_update(send.peers)
            reached_viewers.difference_update(send.peers)
        items += self._sends(batch, reached_staff, reached_viewers)
        self._run(Pass([s for s in items if s.n]))

    def _run(self, run: Pass) -> None:
        """Write a pass in chunks: between chunks the loop reads frames and commits, so a gift that arrives
        while 10,000 writes are under way is not stuck behind all of them."""
        self._pass = run
        stats = self.stats
        budget = self.config.chunk
        items = run.items
        while run.i < len(items) and budget > 0:
            send = items[run.i]
            peers, data, n = send.peers, send.data, send.n
            end = min(len(peers), run.start + budget)
            sent = 0
            for peer in peers[run.start : end]:  # the hot loop: one attribute read and one write each
                if peer.behind:
                    self._send_behind(peer, send)
                else:
                    peer.send(data)
                    sent += 1
            stats.frames += sent
            stats.deliveries += sent * n
            stats.bytes_out += sent * len(data)
            budget -= end - run.start
            if end < len(peers):
                run.start = end
            else:
                run.i, run.start = run.i + 1, 0
        loop = asyncio.get_running_loop()
        if run.i < len(items):
            loop.call_soon(self._resume, run)
            return
        self._pass = None
        self._last_flush = loop.time()  # the next window starts when this batch is out
        if self._flush_again:
            self._flush_again = False
            self.flush()

    def _resume(self, run: Pass) -> None:
        if run.live:  # a preempted pass was replaced by the merged one
            self._run(run)

    def _send_behind(self, peer: Peer, send: Send) -> None:
        """A slow consumer: low priority goes first, then normal; past the limit it is evicted."""
        cfg, stats, batch = self.config, self.stats, send.batch
        queued = peer.buffered()
        every = send.variant == "staff"
        if queued >= cfg.max_buffer_bytes:
            stats.evicted += 1
            peer.evict()
            return
        if queued >= cfg.drop_normal_bytes:
            data, n = batch.frame("high")
            stats.dropped["normal"] += batch.normal if every else len(batch.kept)
        else:
            data, n = batch.frame("staff-high-normal" if every else "high-normal")
        stats.dropped["low"] += batch.low
        if n:
            peer.send(data)
            stats.frames += 1
            stats.deliveries += n
            stats.bytes_out += len(data)

    def since(self, last_seq: int) -> list[bytes] | None:
        """Messages after `last_seq`, or None when the gap is no longer (or never was) in the ring."""
        if last_seq >= self.published_seq:
            return []
        if not self._history or self._history[0][0] > last_seq + 1:
            return None
        return [data for seq, data in self._history if seq > last_seq]
