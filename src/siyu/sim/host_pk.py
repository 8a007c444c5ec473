"""The demo's PK battles, played by simulated hosts over real connections (docs/protocol.md section 11).

`PkChallenger` is the demo room's simulated host: it invites the partner room to a PK (`pk_invite`), follows
the battle's room messages (`pk`), ends the punishment phase after a while (`pk_end`) and invites again
after a pause. When the demo stops during a battle it stops the battle (`pk_end` in `live`: result reason
"stopped") and closes it, so the summary has a result. `PkPartner` is the partner room's simulated host:
it accepts every PK invite to its room (`pk_answer`), the one from the human host console too.

What a battle scored is not kept here: the summary reads it from the log (sim/together_report.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from siyu.sim.peer import Peer, pause


@dataclass
class PkPlan:
    first_after_s: float = 8.0  # the first invite, after the audience had time to arrive
    seconds: int = 120  # the battle (60..900)
    punish_s: int = 30  # the punishment/mvp phase (0..300); the challenger ends it after half of it
    gap_s: float = 30.0  # between a battle's close and the next invite
    answer_after_s: float = 1.5  # the partner host's "thinking" before it accepts


@dataclass
class PkLog:
    invites: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # invite refusals by code
    phases: list[tuple[str, str]] = field(default_factory=list)  # (pk_id, phase) as the room saw them


class PkChallenger:
    def __init__(self, host: Peer, partner_room: str, plan: PkPlan) -> None:
        self.host, self.partner_room, self.plan = host, partner_room, plan
        self.log = PkLog()
        self.current: dict[str, Any] | None = None  # the last `pk` room message of the battle on
        self.scores: list[int] = []  # the scoreboard as this room sees it: [ours, theirs]
        self._changed = asyncio.Event()
        host.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        kind = m.get("type")
        if kind == "state" and isinstance(m.get("pk"), dict):
            m = {"type": "pk", **m["pk"]}
            kind = "pk"
        if kind == "pk_score":
            self.scores = [int(x) for x in m.get("scores") or ()]
        elif kind == "pk":
            self.current = m if m.get("phase") != "closed" else None
            self.scores = [int(side.get("score", 0)) for side in m.get("sides") or ()] or self.scores
            self.log.phases.append((str(m.get("pk_id")), str(m.get("phase"))))
            self._changed.set()
        elif kind == "pk_invite" and m.get("status") == "accepted":
            self.log.accepted += 1

    async def _phase(self, stop: asyncio.Event, until_s: float) -> None:
        """Wait for the next phase change (or `until_s`, or the stop)."""
        self._changed.clear()
        waits = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=until_s, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()

    async def run(self, stop: asyncio.Event) -> None:
        plan = self.plan
        if not await pause(stop, plan.first_after_s):
            return
        while not stop.is_set():
            if self.current is None:
                ack = await self.host.ask({"type": "pk_invite", "room_id": self.partner_room,
                                           "seconds": plan.seconds, "punish_s": plan.punish_s})  # fmt: skip
                self.log.invites += 1
                err = ack.get("error")
                if isinstance(err, dict):
                    code = str(err.get("code"))
                    self.log.refused[code] = self.log.refused.get(code, 0) + 1
                    if not await pause(stop, plan.gap_s / 3):
                        return
                    continue
                await self._phase(stop, 60)  # accepted: the battle goes live (or the invite expired)
            if self.current is None:
                continue
            if self.current.get("phase") == "live":
                await self._phase(stop, plan.seconds + 5)
            elif self.current.get("phase") == "punish":
                await self._phase(stop, plan.punish_s / 2)
                cur = self.current
                if cur is not None and cur.get("phase") == "punish" and not stop.is_set():
                    # the hosts end the punishment/mvp time before its timer does
                    # the punishment timer may close it first: then this host's end finds nothing to end
                    await self.host.ask({"type": "pk_end", "pk_id": cur["pk_id"]}, benign=("pk.unknown",))
                    await self._phase(stop, 10)
                if self.current is None and not await pause(stop, plan.gap_s):
                    return

    async def finish(self) -> None:
        """The demo stops: a battle still on is stopped (its result recorded), then closed."""
        for _ in range(2):
            cur = self.current
            if cur is None or self.host.closed:
                return
            never = asyncio.Event()
            ack = await self.host.ask({"type": "pk_end", "pk_id": cur["pk_id"]}, benign=("pk.unknown",))
            if ack.get("error"):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._phase(never, 10), 11)


class PkPartner:
    """The partner room's simulated host: it accepts the PK invites to its room."""

    def __init__(self, host: Peer, plan: PkPlan) -> None:
        self.host, self.plan = host, plan
        self.accepted: list[str] = []
        self._answering: set[asyncio.Task[None]] = set()
        self._answered: set[str] = set()  # invites answered (or being answered): each once
        host.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        if m.get("type") == "questions":  # the staff snapshot on entry: invites already pending
            for invite in m.get("pk_invites") or ():
                self._take({"type": "pk_invite", **invite})
            return
        if m.get("type") != "pk_invite" or m.get("status") != "pending":
            return
        if str((m.get("to") or {}).get("room_id")) != self.host.room_id:
            return  # our own invitation to another room
        pk_id = str(m["pk_id"])
        if pk_id in self._answered:
            return  # the same invite again (the staff snapshot and the live message both carry it)
        self._answered.add(pk_id)
        task = asyncio.get_running_loop().create_task(self._accept(pk_id))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _accept(self, pk_id: str) -> None:
        await asyncio.sleep(self.plan.answer_after_s)
        ack = await self.host.ask({"type": "pk_answer", "pk_id": pk_id, "accept": True})
        if ack and not ack.get("error"):
            self.accepted.append(pk_id)

    async def close(self) -> None:
        for task in list(self._answering):
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
