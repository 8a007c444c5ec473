"""The playbooks as a room feature: the live feed of the engine, hot reload, traces to the host console.

- Every payload type committed on this node (the node bus, one node per event) goes to `engine.committed`;
  the room stream (every node) to `engine.seen`. Replay after a restart rebuilds stages and scores.
- The room's document comes from `playbook_files`; a room without one runs the shipped `assistant`
  template (companion mode and "many asked -> answer the room", what used to be code).
- A `playbooks.changed` event (a new version or a pause) makes every node reload; a version that does not
  validate leaves the old one running and is reported to the staff.
- Traces: the last ones to the host consoles (`automation`, at most one message per tick and node) and all
  to `playbook_runs` in batches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from siyu.events import PAYLOAD_TYPES, Event, QuestionGrouped
from siyu.playbooks.engine import Engine
from siyu.playbooks.events import PlaybooksChanged
from siyu.playbooks.invite import InviteService
from siyu.playbooks.live import LiveEffects
from siyu.playbooks.model import PlaybookFile, PlaybookIssue, parse_file
from siyu.playbooks.run import Trace
from siyu.playbooks.store import PlaybookStore
from siyu.playbooks.viewers import Viewer
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import RoomMessage
from siyu.rooms.budget import ContactBudget
from siyu.rooms.feature import Feature, follows
from siyu.rooms.room import Member
from siyu.rooms.services import notify_staff

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "assistant"
SENT_PER_TICK = 20


def shipped(name: str) -> str:
    return resources.files("siyu.playbooks").joinpath(f"templates/{name}.yaml").read_text(encoding="utf-8")


@dataclass(slots=True, kw_only=True)
class _VersionMessage(RoomMessage):
    """Room message of `playbooks.changed` (clients may ignore it): the document's new version."""

    type: Literal["playbooks"] = "playbooks"
    version: int


def automation(runs: list[dict[str, Any]], playbooks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "automation", "runs": runs, "playbooks": playbooks}


class Playbooks(Feature):
    name = "playbooks"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = PlaybookStore(room.service.db)
        self.budget = ContactBudget(room.service.db)
        self.invites = InviteService(room.service.db, room.settings.wecom)
        self.effects = LiveEffects(room, self.store, self.budget, self.invites)
        self.engine = Engine(
            self.effects, shop_id=room.info.shop_id, budget_left=self._budget_left, on_trace=self._traced
        )
        self.engine.likes_from_events = False
        self.engine.room_vars = {
            "room_title": room.info.title,
            "host_name": room.info.host_name,
            "shop_name": room.info.shop_name,
        }
        self.version = 0
        self.source = ""
        self.problem: PlaybookIssue | None = None
        self._pending: list[Trace] = []
        self._unsubscribe: list[Any] = []
        room.provided["playbooks.observe"] = self.engine.seen
        self.engine.viewers.profile = self._profile

    def _profile(self, user_id: str) -> dict[str, Any]:
        """What the room knows of a viewer who enters beyond this session's events (their fan club)."""
        member = self.room.provided.get("fanclub.member")
        return {"fan": bool(member(user_id))} if member is not None else {}

    def _budget_left(self, v: Viewer, kind: str, now: int) -> bool:
        session = self.room.session.id if self.room.session else None
        return self.budget.peek(
            self.room.info.shop_id, v.user_id, kind, now, session, value_felt=v.value_felt(now)
        )

    async def load(self) -> None:
        await self.reload()
        room, bus = self.room, self.room.deps.bus
        for cls in list(PAYLOAD_TYPES.values()):
            if cls is QuestionGrouped:  # signalled on the committing node only
                self._unsubscribe.append(room.follow(cls, self.engine.committed))
                continue
            self._unsubscribe.append(bus.subscribe(cls, self.engine.committed, room=room.info.id))
            self._unsubscribe.append(room.follow(cls, self.engine.seen))
        session = room.session
        if session is not None:
            self.engine.scope.session_id, self.engine.scope.session_started_at = (
                session.id,
                session.started_at,
            )

    async def reload(self) -> None:
        """Read the room's document; a version that does not validate keeps the running one (reported)."""
        stored = await self.store.get(self.room.info.id)
        source = stored.source if stored is not None else shipped(DEFAULT_TEMPLATE)
        paused = set(stored.paused) if stored is not None else set()
        version = stored.version if stored is not None else 0
        try:
            doc: PlaybookFile = parse_file(source, f"room {self.room.info.id} v{version}")
        except PlaybookIssue as exc:
            self.problem = exc
            log.warning(
                "room %s: playbooks v%s do not validate; keeping v%s: %s",
                self.room.info.id,
                version,
                self.version,
                exc,
            )
            notify_staff(
                self.room,
                f"剧本 v{version} 校验失败，继续运行 v{self.version}：{exc.errors[0]['message']}",
                "warn",
            )
            return
        self.problem = None
        if source != self.source or not self.engine.playbooks:
            self.engine.load(doc, paused)
        else:
            self.engine.paused = paused
        self.version, self.source = version, source
        if not self.room.replaying:  # the consoles' list follows at once (a pause, a new version)
            self.room.to_staff(automation([], self.summary()))

    @follows(PlaybooksChanged)
    def _changed(self, event: Event[PlaybooksChanged]) -> None:
        if not self.room.replaying and event.payload.version != self.version:
            self.room.spawn(self.reload())

    def changed(self, version: int, by: Member | None, by_id: str, *, reload: bool = True) -> None:
        """Tell every node (the API saved a new version or a pause); this node reloads now unless the caller
        awaits `reload()` itself (the API answers once the new version runs here)."""
        event = self.room.event_for(by, PlaybooksChanged(version, by_id))
        self.room.record(None, None, event, _VersionMessage(version=version))
        if reload:
            self.room.spawn(self.reload())

    def on_enter(self, m: Member, returning: bool) -> None:
        if not m.is_staff:
            self.room.spawn(self._tags(m.user_id))
        else:
            m.send(
                wire.encode(
                    automation([t.wire() for t in list(self.engine.traces)[-SENT_PER_TICK:]], self.summary())
                )
            )

    async def _tags(self, user_id: str) -> None:
        tags = await self.store.tags(self.room.info.shop_id, user_id)
        if tags:
            self.engine.viewers.get(user_id).tags |= tags

    def _traced(self, trace: Trace) -> None:
        self._pending.append(trace)

    def tick(self, now_ms: int) -> None:
        scope = self.engine.scope
        scope.online = self.room.online
        scope.likes = self.room.counter("likes").value
        self.engine.advance(now_ms)
        if self._pending:
            batch, self._pending = self._pending, []
            wired = [t.wire() for t in batch]
            self.room.spawn(self._write(batch, wired))
            shown = [w for t, w in zip(batch, wired, strict=True) if t.status != "skipped"][-SENT_PER_TICK:]
            if shown:
                self.room.to_staff_everywhere(automation(shown, self.summary()))

    async def _write(self, batch: list[Trace], wired: list[dict[str, Any]]) -> None:
        """Store a batch of traces (`wired`: their wire form) in `playbook_runs`; best effort."""
        session = self.engine.scope.session_id
        rows = [{"id": t.id, "room_id": self.room.info.id, "session_id": session, "playbook_id": t.playbook,
                 "user_id": t.user_id, "status": t.status, "started_at": t.started_at, "trace": w}
                for t, w in zip(batch, wired, strict=True)]  # fmt: skip
        try:
            await self.store.write_runs(rows)
        except Exception as exc:  # noqa: BLE001 - traces are best effort; the actions happened
            log.warning("room %s: %d traces not stored (%r)", self.room.info.id, len(rows), exc)

    def summary(self) -> list[dict[str, Any]]:
        """Each playbook: what it is, paused or not, its run counts and last run."""
        out = []
        for pid, c in self.engine.playbooks.items():
            pb = c.pb
            exp = pb.experiment
            out.append(
                {
                    "id": pid,
                    "name": pb.name or pid,
                    "stage": pb.stage,
                    "enabled": pb.enabled,
                    "paused": pid in self.engine.paused,
                    "mode": pb.mode,
                    "triggers": [t.type for t in pb.trigger],
                    "counts": dict(c.counts),
                    "last_run": c.last_trace,
                    "experiment": None
                    if exp is None
                    else {
                        "id": exp.id,
                        "holdout": exp.holdout,
                        "variants": [{"name": v.name, "weight": v.weight} for v in exp.variants],
                        "exposed": c.runner.exposure_counts(),
                    },
                }
            )
        return out

    def staff_snapshot(self) -> dict[str, Any]:
        return {"automation": {"version": self.version, "playbooks": self.summary()}}

    async def stop(self) -> None:
        for undo in self._unsubscribe:
            undo()
        self.engine.stop()
        await self.invites.aclose()
        if self._pending:
            batch, self._pending = self._pending, []
            await self._write(batch, [t.wire() for t in batch])
