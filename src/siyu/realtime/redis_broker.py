"""Redis scale-out: several processes and machines serve the same rooms.

Per room (keys under `siyu:r:{room}:`):
- `hist`: a stream of the last `history_size` room messages (seq, priority, bytes) for cross-node resume;
- `online`: a hash node -> "count:ms" (each node writes its own count every tick; stale nodes ignored);
- `counters`: a hash of named room counters (e.g. `likes:{session}`), HINCRBY per tick and node;
- pub/sub channel `siyu:r:{room}`: every committed room message, `m:seq:prio:len:` + wire bytes + the
  encoded typed event (siyu.events.encode_event), and direct messages, `d:target\n` + bytes.

Each node holds one pub/sub connection and one subscription per room it serves (not per client) and
delivers what it receives into the room's channel, its own publications included, so every node
releases the same seq order.

Seqs are not Redis's: the event log gives them (store/eventlog.py), so they stay unique through an
outage. When Redis is unreachable the node keeps serving its local clients (local delivery of its own
messages, the other nodes' messages taken from the event log by the room's catch-up, local counts) and
retries with capped exponential back-off; when Redis is back, the subscriptions are restored and every
room is reopened (counters re-seeded, whatever was missed taken from the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from siyu.events import decode_event, encode_event
from siyu.realtime.broker import Broker, BrokerUnavailable
from siyu.realtime.fanout import Priority

log = logging.getLogger(__name__)

ONLINE_STALE_MS = 5000
ANNOUNCE_EVERY_S = 10.0
ANNOUNCE_STALE_MS = 30_000
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 5.0

def _k(room_id: str, name: str) -> str:
    return f"siyu:r:{room_id}:{name}"


def _chan(room_id: str) -> str:
    return f"siyu:r:{room_id}"


class RedisBroker(Broker):
    def __init__(self, url: str, *, history_size: int = 2000) -> None:
        super().__init__()
        self.url = url
        self.history_size = history_size
        self._redis = self._client()
        self._pubsub: Any = None
        self._healthy = False
        self._subscribed: set[str] = set()
        self._want: dict[str, asyncio.Future[None]] = {}
        self._outbox: asyncio.Queue[tuple[str, int, bytes, Priority, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._wakeup = asyncio.Event()
        self._announced: dict[str, str] = {}
        self._announced_at = 0.0
        self.reconnects = 0

    def _client(self) -> aioredis.Redis:
        # Fail fast: a node must notice an unreachable Redis within a second and keep serving.
        return aioredis.Redis.from_url(
            self.url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0)
        )

    @property
    def healthy(self) -> bool:
        return self._healthy

    @property
    def shared(self) -> bool:
        return True

    # --- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._recover(first=True)  # here, not in the listener: nothing else uses Redis yet
        except (RedisError, OSError) as exc:
            log.warning("redis unreachable at start (%s); serving locally until it is back", exc)
        self._tasks = [
            asyncio.create_task(self._listen(), name="siyu-redis-listen"),
            asyncio.create_task(self._publisher(), name="siyu-redis-publish"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._redis.aclose()

    def _degrade(self, exc: BaseException) -> None:
        if self._healthy:
            log.warning("redis lost (%s): serving local clients, other nodes' messages from the log", exc)
        self._healthy = False
        self._subscribed.clear()
        for fut in self._want.values():
            if not fut.done():
                fut.set_result(None)
        self._want.clear()
        self._wakeup.set()

    # --- sequence, publish, history --------------------------------------------------------------

    async def open_room(self, room_id: str) -> None:
        await self._subscribe(room_id)

    async def _subscribe(self, room_id: str) -> None:
        """Ask the listener to subscribe to the room's channel, and wait (up to 2 s) until it has."""
        if room_id in self._subscribed or not self._healthy:
            return
        fut = self._want.get(room_id)
        if fut is None:
            fut = self._want[room_id] = asyncio.get_running_loop().create_future()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(fut), 2.0)

    def publish(self, room_id: str, seq: int, data: bytes, prio: Priority, event: Any = None) -> None:
        if self._healthy:
            self._outbox.put_nowait((room_id, seq, data, prio, event))
        else:
            self._deliver_local(room_id, seq, data, prio, event)

    def _deliver_local(self, room_id: str, seq: int, data: bytes, prio: Priority, event: Any) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.deliver(seq, data, prio, event)

    def direct(self, room_id: str, target: str, data: bytes) -> None:
        if self._healthy:
            self._outbox.put_nowait((room_id, -1, data, Priority.HIGH, target))
        else:
            self._direct_local(room_id, target, data)

    def _direct_local(self, room_id: str, target: str, data: bytes) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.direct(target, data)

    async def _publisher(self) -> None:
        """One task publishes in commit order; a batch of messages is one pipeline round trip."""
        while True:
            items = [await self._outbox.get()]
            while not self._outbox.empty():
                items.append(self._outbox.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for room_id, seq, data, prio, extra in items:
                        if seq < 0:  # a direct message; `extra` is its target
                            pipe.publish(_chan(room_id), b"d:" + extra.encode() + b"\n" + data)
                            continue
                        pipe.xadd(_k(room_id, "hist"), {"s": seq, "p": int(prio), "d": data},
                                  maxlen=self.history_size, approximate=True)  # fmt: skip
                        ev = encode_event(extra) if extra is not None else b""
                        pipe.publish(_chan(room_id), b"m:%d:%d:%d:" % (seq, prio, len(data)) + data + ev)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                self._degrade(exc)
                for room_id, seq, data, prio, extra in items:  # committed: local clients still get them
                    if seq < 0:
                        self._direct_local(room_id, extra, data)
                    else:
                        self._deliver_local(room_id, seq, data, prio, extra)

    async def history(self, room_id: str, after_seq: int, through: int) -> list[bytes] | None:
        if not self._healthy:
            return None
        try:
            entries: list[tuple[bytes, dict[bytes, bytes]]] = await self._redis.xrevrange(  # type: ignore[assignment]
                _k(room_id, "hist"), count=self.history_size
            )
        except (RedisError, OSError) as exc:
            self._degrade(exc)
            return None
        got = {int(f[b"s"]): f[b"d"] for _id, f in entries if after_seq < int(f[b"s"]) <= through}
        if len(got) != through - after_seq:
            return None  # the stream does not reach back that far, or misses one (its node died first)
        return [got[s] for s in range(after_seq + 1, through + 1)]

    # --- counters ----------------------------------------------------------------------------------

    async def seed_counters(self, room_id: str, values: Mapping[str, int]) -> None:
        if not self._healthy or not values:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name, value in values.items():
                    pipe.hsetnx(_k(room_id, "counters"), name, value)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._degrade(exc)

    async def add_counters(self, room_id: str, deltas: Mapping[str, int]) -> dict[str, int]:
        if not self._healthy:
            raise BrokerUnavailable("redis unavailable")
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name, delta in deltas.items():
                    pipe.hincrby(_k(room_id, "counters"), name, delta)
                totals = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._degrade(exc)
            raise BrokerUnavailable(f"redis: {exc}") from exc
        return {name: int(t) for name, t in zip(deltas, totals, strict=True)}

    async def sync_online(self, room_id: str, online: int) -> int:
        if not self._healthy:
            raise BrokerUnavailable("redis unavailable")
        now = int(time.time() * 1000)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hset(_k(room_id, "online"), self.node_id, f"{online}:{now}")
                pipe.hgetall(_k(room_id, "online"))
                _, counts = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._degrade(exc)
            raise BrokerUnavailable(f"redis: {exc}") from exc
        total = 0
        for value in counts.values():
            n, _, ts = value.partition(b":")
            if now - int(ts) <= ONLINE_STALE_MS:
                total += int(n)
        return total

    # --- announcements ---------------------------------------------------------------------------------

    async def announce(self, topic: str, value: str) -> list[str]:
        self._announced[topic] = value
        if not self._healthy:
            return []
        try:
            await self._announce_all()
            raw: dict[Any, Any] = await self._redis.hgetall(f"siyu:announce:{topic}")
        except (RedisError, OSError) as exc:
            self._degrade(exc)
            return []
        now = int(time.time() * 1000)
        out = []
        for node, entry in raw.items():
            ts, _, val = entry.decode().partition(":")
            if node.decode() != self.node_id and now - int(ts) <= ANNOUNCE_STALE_MS:
                out.append(val)
        return out

    async def _announce_all(self) -> None:
        self._announced_at = time.monotonic()
        now = int(time.time() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for topic, value in self._announced.items():
                pipe.hset(f"siyu:announce:{topic}", self.node_id, f"{now}:{value}")
            await pipe.execute()

    # --- subscription and recovery -----------------------------------------------------------------

    async def _listen(self) -> None:
        backoff = BACKOFF_MIN_S
        while True:
            try:
                if not self._healthy or self._pubsub is None:
                    await self._recover()
                    backoff = BACKOFF_MIN_S
                if self._want:
                    await self._subscribe_wanted()
                if self._announced and time.monotonic() - self._announced_at > ANNOUNCE_EVERY_S:
                    await self._announce_all()
                msg = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
                if msg is not None and msg["type"] == "message":
                    self._on_message(msg["channel"], msg["data"])
            except (RedisError, OSError) as exc:
                self._degrade(exc)
                if self._pubsub is not None:
                    with contextlib.suppress(Exception):
                        await self._pubsub.aclose()
                    self._pubsub = None
                self._wakeup.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), backoff)
                backoff = min(BACKOFF_MAX_S, backoff * 2)

    async def _subscribe_wanted(self) -> None:
        want, self._want = self._want, {}
        await self._pubsub.subscribe(*[_chan(r) for r in want])
        self._subscribed.update(want)
        for fut in want.values():
            if not fut.done():
                fut.set_result(None)

    async def _recover(self, first: bool = False) -> None:
        """(Re)connect: ping, subscribe every room, reopen the rooms that ran locally."""
        await self._redis.connection_pool.disconnect()  # connections to a dead server are all stale
        await self._redis.ping()
        pubsub = self._redis.pubsub()
        rooms = list(self._channels)
        # get_message needs at least one subscription; the node channel also names this node
        try:
            await pubsub.subscribe(f"siyu:node:{self.node_id}", *[_chan(r) for r in rooms])
        except BaseException:  # Redis went away again (or we are stopping): close its connection now
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        was_degraded = not self._healthy and not first
        self._pubsub = pubsub
        self._subscribed = set(rooms)
        self._healthy = True
        if was_degraded:
            self.reconnects += 1
            for room_id in rooms:
                reopen = self._reopens.get(room_id)
                if reopen is not None:
                    await reopen()
            log.warning("redis is back: %d room(s) reopened", len(rooms))

    def _on_message(self, channel: bytes, payload: bytes) -> None:
        room_id = channel.decode()[len("siyu:r:") :]
        target = self._channels.get(room_id)
        if target is None:
            return
        if payload.startswith(b"d:"):
            to, _, data = payload[2:].partition(b"\n")
            target.direct(to.decode(), data)
            return
        _m, seq, prio, size, rest = payload.split(b":", 4)
        n = int(size)
        event = None
        if len(rest) > n:
            try:
                event = decode_event(rest[n:])
            except (KeyError, ValueError, TypeError):
                log.warning("room %s seq %s: an event this node cannot decode", room_id, seq.decode())
        target.deliver(int(seq), rest[:n], Priority(int(prio)), event)
