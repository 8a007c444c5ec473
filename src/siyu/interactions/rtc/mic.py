"""The co-host mic (连麦) as a room feature (issue 14; docs/protocol.md section 12).

Viewers ask for the mic (`mic_request`); the staff see the queue (`mic_queue`: fan-club members first, then
higher levels, then the earliest, when the host chooses `fans_first`; else the earliest first) and accept,
decline or end. An accepted guest is a call of kind "mic" through `Calls` (the guest the caller, the staff
member who accepted the callee), connected at once; at most `max_guests` of them, exactly across nodes (a
mic slot per guest, unique per room). The room message `mic` shows the guests ("连麦中") and how many wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siyu.events import Event, new_id, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode, UserRef
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.features.chat import Chat
from siyu.rooms.room import Member, member_ref

from . import acting
from .acting import Refused, refuse
from .calls import Calls
from .loading import rows
from .model import (
    CallAccepted,
    CallRequested,
    Guest,
    MicAcceptIn,
    MicCancelIn,
    MicCancelled,
    MicDeclined,
    MicDeclineIn,
    MicEndIn,
    MicMessage,
    MicQueueMessage,
    MicRequested,
    MicRequestIn,
    MicSettings,
    MicSettingsIn,
    MicStatusMessage,
    QueueEntry,
    RtcCode,
)  # fmt: skip
from .store import CallRow, Full

QUEUE_WINDOW_MS = 6 * 3600 * 1000  # a request older than this is forgotten when a room loads


@dataclass(slots=True)
class Waiting:
    ref: UserRef
    fan: dict[str, Any] | None
    member: bool
    at: int
    seq: int


class Mic(Feature):
    name = "mic"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        calls = room.find(Calls)
        if calls is None:
            raise RuntimeError("the Mic feature needs Calls before it in the feature list")
        self.calls: Calls = calls
        calls.mic_message = self.message
        rtc = room.settings.rtc
        self.open = True
        self.max_guests = min(rtc.max_guests, rtc.max_guests_limit)
        self.fans_first = False
        self.waiting: dict[str, Waiting] = {}
        self.here: dict[str, int] = {}
        self._shown: list[QueueEntry] | None = None

    # --- what people see -------------------------------------------------------------------------------

    def queue(self) -> list[Waiting]:
        if self.fans_first:
            return sorted(self.waiting.values(), key=lambda w: (not w.member, -w.ref.lvl, w.at, w.seq))
        return sorted(self.waiting.values(), key=lambda w: (w.at, w.seq))

    def entries(self) -> list[QueueEntry]:
        return [QueueEntry(user=w.ref, fan=w.fan, at=w.at) for w in self.queue()]

    def guests(self) -> list[Guest]:
        calls = [c for c in self.calls.book.calls.values() if c.kind == "mic" and c.status == "connected"]
        calls.sort(key=lambda c: c.accepted_at or 0)
        return [Guest(user=c.refs[c.caller], badge=c.badge, since=c.accepted_at or 0) for c in calls]

    def message(self) -> MicMessage:
        return MicMessage(open=self.open, max_guests=self.max_guests, fans_first=self.fans_first,
                          guests=self.guests(), queued=len(self.waiting))  # fmt: skip

    def state(self) -> dict[str, Any]:
        return {"mic": self.message()}

    def staff_snapshot(self) -> dict[str, Any]:
        return {"mic_queue": self.entries()}

    def personal(self, m: Member) -> dict[str, Any]:
        return {"mic_queued": m.user_id in self.waiting}

    def tick(self, now_ms: int) -> None:
        """The queue to the staff connected here, at most once a tick (a second), when it changed."""
        entries = self.entries()
        if entries != self._shown:
            self._shown = entries
            self.room.to_staff(MicQueueMessage(queue=entries))

    # --- the stream ------------------------------------------------------------------------------------

    def apply(self, user_id: str | None, p: Any, ts: int, seq: int) -> str | None:
        """Apply one mic event (idempotent); what it means to the viewer concerned, if anything."""
        if isinstance(p, MicRequested) and user_id is not None:
            if user_id not in self.waiting:
                ref = UserRef(user_id, p.nickname, p.level, "viewer")
                self.waiting[user_id] = Waiting(ref, p.fan, p.member, ts, seq)
            return "queued"
        if isinstance(p, MicCancelled) and user_id is not None:
            self.waiting.pop(user_id, None)
            return "cancelled"
        if isinstance(p, MicDeclined):
            self.waiting.pop(p.user_id, None)
            return "declined"
        if isinstance(p, MicSettings):
            self.open, self.max_guests, self.fans_first = p.open, p.max_guests, p.fans_first
            if not p.open:
                self.waiting.clear()
            return None
        if isinstance(p, CallRequested) and p.kind == "mic":
            self.waiting.pop(p.caller, None)
        return None

    @follows(MicRequested, MicCancelled, MicDeclined, MicSettings, CallRequested)
    def _follow(self, event: Event[Any]) -> None:
        if self.room.replaying:
            return
        p = event.payload
        before = set(self.waiting) if isinstance(p, MicSettings) else set()
        said = self.apply(event.user_id, p, event.ts, event.seq or 0)
        who = p.user_id if isinstance(p, MicDeclined) else event.user_id
        if said is not None and who is not None:
            self._status(who, said)
        for user in before - set(self.waiting):  # the mic closed: the queue is gone
            self._status(user, "closed")

    @follows(CallAccepted)
    def _on_mic(self, event: Event[CallAccepted]) -> None:
        if event.payload.kind == "mic" and not self.room.replaying:
            self._status(event.payload.caller, "on_mic")

    def _status(self, user_id: str, state: str) -> None:
        if self.here.get(user_id):
            self.room.channel.to_user(user_id, wire.encode(MicStatusMessage(state=state)))

    async def load(self) -> None:
        room = self.room
        last = await rows(room, (MicSettings.TYPE,), 0)
        if last:
            self.apply(None, MicSettings(**last[-1][2]), 0, 0)
        types = (MicRequested.TYPE, MicCancelled.TYPE, MicDeclined.TYPE, MicSettings.TYPE, CallRequested.TYPE)
        kinds = {c.TYPE: c for c in (MicRequested, MicCancelled, MicDeclined, MicSettings, CallRequested)}
        for kind, user_id, body, ts, seq in await rows(room, types, now_ms() - QUEUE_WINDOW_MS):
            self.apply(user_id, kinds[kind](**body), ts, seq)

    def on_enter(self, m: Member, returning: bool) -> None:
        self.here[m.user_id] = self.here.get(m.user_id, 0) + 1

    def on_leave(self, m: Member) -> None:
        left = self.here.get(m.user_id, 0) - 1
        if left > 0:
            self.here[m.user_id] = left
            return
        self.here.pop(m.user_id, None)
        if m.user_id in self.waiting:  # left the room: out of the queue
            self._record(m, MicCancelled("left"), None)

    def _record(self, m: Member | None, payload: Any, cid: str | None) -> None:
        event = self.room.event_for(m, payload)
        before = set(self.waiting)
        self.apply(event.user_id, payload, event.ts, 0)
        if isinstance(payload, MicSettings):  # (the stream finds the queue gone on this node)
            for user in before - set(self.waiting):
                self._status(user, "closed")
        self.room.record(m, cid, event, self.message(), Priority.NORMAL).add_done_callback(acting.logged)

    # --- viewers ---------------------------------------------------------------------------------------

    @handles(MicRequestIn, rate="call")
    def request(self, m: Member, msg: MicRequestIn) -> None:
        if m.is_staff:
            refuse(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "工作人员不能申请连麦")
        elif msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        elif not self.open:
            refuse(m, msg.cid, RtcCode.MIC_CLOSED)
        elif m.user_id in self.waiting:
            refuse(m, msg.cid, RtcCode.MIC_QUEUED)
        elif m.user_id in self.calls.book.by_user:
            refuse(m, msg.cid, RtcCode.BUSY, "你正在通话或连麦中")
        else:
            chat = self.room.find(Chat)
            badge = next((b for f in (chat.badges if chat else ()) if (b := f(m)) is not None), None)
            fan = None if badge is None else {"name": badge.get("name"), "level": badge.get("level")}
            lit = self.room.provided.get("fanclub.member")
            member = bool(lit(m.user_id)) if lit is not None else False
            self._record(m, MicRequested(m.nickname, m.level, fan, member), msg.cid)

    @handles(MicCancelIn)
    def cancel(self, m: Member, msg: MicCancelIn) -> None:
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        if m.user_id not in self.waiting:
            refuse(m, msg.cid, RtcCode.MIC_NOT_QUEUED, "你不在连麦队列中")
            return
        self._record(m, MicCancelled("cancelled"), msg.cid)

    # --- staff ------------------------------------------------------------------------------------------

    def _staff(self, m: Member, cid: str | None) -> bool:
        if not m.is_staff:
            refuse(m, cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或工作人员可以管理连麦")
            return False
        return cid is None or not self.room.answer_known(m, cid)

    @handles(MicAcceptIn)
    def accept(self, m: Member, msg: MicAcceptIn) -> None:
        if not self._staff(m, msg.cid):
            return
        if msg.user_id not in self.waiting:
            refuse(m, msg.cid, RtcCode.MIC_NOT_QUEUED)
        elif len(self.guests()) >= self.max_guests:
            refuse(m, msg.cid, RtcCode.MIC_FULL)
        else:
            acting.answer(self.room, m, msg.cid, lambda: self._accept(m, self.waiting[msg.user_id]))

    async def _accept(self, m: Member, guest: Waiting) -> dict[str, Any]:
        now = now_ms()
        row = CallRow(new_id(), self.room.info.id, "mic", guest.ref.id, m.user_id, "connected", now, now)
        try:
            await self.calls.open(row, max_guests=self.max_guests)
        except Full:
            raise Refused(RtcCode.MIC_FULL) from None
        me = member_ref(m)
        g = guest.ref
        asked = CallRequested(row.call_id, "mic", g.id, m.user_id, me.role, [g.nick, g.lvl, g.role],
                              [me.nick, me.lvl, me.role], now, guest.fan)  # fmt: skip
        self.apply(None, asked, now, 0)
        self.calls.record(m, asked, "mic")
        await self.calls.record(m, CallAccepted(row.call_id, "mic", g.id, m.user_id, now), "mic")
        return {"call_id": row.call_id}

    @handles(MicDeclineIn)
    def decline(self, m: Member, msg: MicDeclineIn) -> None:
        if not self._staff(m, msg.cid):
            return
        if msg.user_id not in self.waiting:
            refuse(m, msg.cid, RtcCode.MIC_NOT_QUEUED)
            return
        self._record(m, MicDeclined(msg.user_id, m.user_id), msg.cid)

    @handles(MicEndIn)
    def end(self, m: Member, msg: MicEndIn) -> None:
        if msg.user_id != m.user_id and not self._staff(m, msg.cid):
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        mine = self.calls.book.of(msg.user_id)
        call = next((c for c in mine if c.kind == "mic" and c.caller == msg.user_id), None)
        if call is None:
            refuse(m, msg.cid, RtcCode.MIC_NOT_QUEUED, "这位观众不在连麦中")
            return
        reason = "hangup" if m.user_id == msg.user_id else "ended_by_staff"
        acting.answer(self.room, m, msg.cid, lambda: self.calls.hang(m, call, reason))

    @handles(MicSettingsIn)
    def settings(self, m: Member, msg: MicSettingsIn) -> None:
        if not self._staff(m, msg.cid):
            return
        limit = self.room.settings.rtc.max_guests_limit
        if msg.max_guests > limit:
            refuse(m, msg.cid, ErrorCode.BAD_MESSAGE, f"连麦人数最多 {limit} 人")
            return
        self._record(m, MicSettings(msg.open, msg.max_guests, msg.fans_first, m.user_id), msg.cid)
