"""The demo's co-host mic (连麦) and 1v1 calls, played by simulated participants (docs/protocol.md
section 12).

- `MicHost`: the demo room's simulated host opens the mic (`mic_settings`), accepts the first viewer in the
  queue (`mic_accept`: the human viewer's request too) and ends the guest's mic after a while (`mic_end`).
- `MicGuest`: a simulated viewer who asks for the mic (`mic_request`), again after each turn.
- `Consultant`: a simulated consultant (staff) who takes 1v1 calls (`call_ready`) and accepts them
  (`call_answer`) after a ring: the human viewer's call too.
- `Caller`: a simulated viewer who rings the consultant (`call_request`) and hangs up after a while.
Each of them runs an `RtcAgent` (sim/rtc_peer.py): every call they are a party of connects for real
(aiortc peers through siyu's signalling).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from siyu.sim.peer import Peer, pause
from siyu.sim.rtc_peer import RtcAgent


@dataclass
class TogetherPlan:
    mic_after_s: float = 12.0  # the guest's first request
    mic_accept_after_s: float = 1.0
    mic_hold_s: float = 25.0  # a guest's turn on the mic
    mic_gap_s: float = 40.0  # before the guest asks again
    call_after_s: float = 20.0  # the caller's first ring
    ring_s: float = 2.0  # the consultant picks up after
    call_hold_s: float = 20.0
    call_gap_s: float = 60.0


def _stopper(stop: asyncio.Event) -> asyncio.Future[Any]:
    return asyncio.ensure_future(stop.wait())


async def _until(event: asyncio.Event, stop: asyncio.Event, timeout: float) -> bool:
    """Wait for `event` (or the stop, or the timeout): True if it happened."""
    waits = [asyncio.ensure_future(event.wait()), _stopper(stop)]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()
    return event.is_set()


class MicHost:
    def __init__(self, host: Peer, plan: TogetherPlan) -> None:
        self.host, self.plan = host, plan
        self.rtc = RtcAgent(host)
        self.queue: list[str] = []  # user ids, in the server's order
        self.guests: list[str] = []
        self.accepted: list[str] = []
        self._queued = asyncio.Event()
        host.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        kind = m.get("type")
        if kind == "questions" and "mic_queue" in m:  # the staff snapshot: the queue on entry
            queue = m["mic_queue"]
            m = {"type": "mic_queue", "queue": queue.get("queue") if isinstance(queue, dict) else queue}
            kind = "mic_queue"
        if kind == "state" and isinstance(m.get("mic"), dict):
            m, kind = {"type": "mic", **m["mic"]}, "mic"
        if kind == "mic_queue":
            self.queue = [str(e["user"]["id"]) for e in m.get("queue") or ()]
            if self.queue:
                self._queued.set()
        elif kind == "mic":
            self.guests = [str(g["user"]["id"]) for g in m.get("guests") or ()]

    async def run(self, stop: asyncio.Event) -> None:
        await self.host.ask({"type": "mic_settings", "open": True, "max_guests": 1, "fans_first": True})
        while not stop.is_set():
            self._queued.clear()
            if not self.queue and not await _until(self._queued, stop, 3600):
                continue
            if not await pause(stop, self.plan.mic_accept_after_s) or not self.queue:
                continue
            guest = self.queue[0]
            ack = await self.host.ask({"type": "mic_accept", "user_id": guest})
            if not ack or ack.get("error"):
                await pause(stop, 2)
                continue
            self.accepted.append(guest)
            await pause(stop, self.plan.mic_hold_s)
            if guest in self.guests and not self.host.closed:
                await self.host.ask({"type": "mic_end", "user_id": guest})

    async def close(self) -> None:
        for guest in list(self.guests):  # the demo stops: the guests' turns end (logged with their length)
            if not self.host.closed:
                await self.host.ask({"type": "mic_end", "user_id": guest})
        await self.rtc.close()


class MicGuest:
    def __init__(self, guest: Peer, plan: TogetherPlan) -> None:
        self.guest, self.plan = guest, plan
        self.rtc = RtcAgent(guest)
        self.requests = 0
        self.turns = 0
        self._on = asyncio.Event()
        self._off = asyncio.Event()
        guest.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        if m.get("type") == "call" and m.get("kind") == "mic":
            if m.get("state") == "connected":
                self.turns += 1
                self._on.set()
            elif m.get("state") == "ended":
                self._off.set()

    async def run(self, stop: asyncio.Event) -> None:
        if not await pause(stop, self.plan.mic_after_s):
            return
        while not stop.is_set():
            self._on.clear()
            self._off.clear()
            ack = await self.guest.ask({"type": "mic_request"})
            self.requests += 1
            if ack.get("error") and (ack["error"] or {}).get("code") != "mic.queued":
                await pause(stop, 5)
                continue
            if await _until(self._on, stop, 120):
                await _until(self._off, stop, 3600)
            await pause(stop, self.plan.mic_gap_s)

    async def close(self) -> None:
        await self.rtc.close()


class Consultant:
    def __init__(self, staff: Peer, plan: TogetherPlan) -> None:
        self.staff, self.plan = staff, plan
        self.rtc = RtcAgent(staff)
        self.answered = 0
        self._tasks: set[asyncio.Task[None]] = set()
        staff.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        if m.get("type") == "call" and m.get("state") == "ringing" and m.get("role") == "callee":
            task = asyncio.get_running_loop().create_task(self._answer(str(m["call_id"])))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, call_id: str) -> None:
        await asyncio.sleep(self.plan.ring_s)
        ack = await self.staff.ask({"type": "call_answer", "call_id": call_id, "accept": True})
        self.answered += int(bool(ack) and not ack.get("error"))

    async def start(self) -> None:
        await self.staff.ask({"type": "call_ready", "ready": True})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.rtc.close()


class Caller:
    def __init__(self, viewer: Peer, callee: str, plan: TogetherPlan) -> None:
        self.viewer, self.callee, self.plan = viewer, callee, plan
        self.rtc = RtcAgent(viewer)
        self.calls = 0
        self.call_id: str | None = None
        self._connected = asyncio.Event()
        self._ended = asyncio.Event()
        viewer.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        if m.get("type") == "call" and m.get("kind") == "call" and m.get("call_id") == self.call_id:
            if m.get("state") == "connected":
                self._connected.set()
            elif m.get("state") == "ended":
                self._ended.set()

    async def run(self, stop: asyncio.Event) -> None:
        if not await pause(stop, self.plan.call_after_s):
            return
        while not stop.is_set():
            self._connected.clear()
            self._ended.clear()
            ack = await self.viewer.ask({"type": "call_request", "to": self.callee})
            if not ack or ack.get("error"):
                await pause(stop, 10)
                continue
            self.call_id = str(ack.get("call_id"))
            self.calls += 1
            if await _until(self._connected, stop, 60):
                await _until(self._ended, stop, self.plan.call_hold_s)
            await self.hangup()
            await pause(stop, self.plan.call_gap_s)

    async def hangup(self) -> None:
        if self.call_id is not None and not self._ended.is_set() and not self.viewer.closed:
            await self.viewer.ask({"type": "call_hangup", "call_id": self.call_id})
        self.call_id = None

    async def close(self) -> None:
        await self.hangup()
        await self.rtc.close()
