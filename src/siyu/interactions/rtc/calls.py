"""1v1 calls and the signalling relay as a room feature (issue 14; docs/protocol.md section 12).

Staff who take calls say so (`call_ready`); a viewer rings one (`call_request`), the callee accepts or
declines, either party hangs up. The rows decide (rtc/store.py: a compare-and-set per transition, the
party lock for busy); the node that wins a transition records its event, with a sequenced room message
(`callees`, or the mic's `mic`) so that every node of the room follows it and tells the parties connected
to it (the personal `call`). `rtc_signal` goes only between the two parties of a ringing or connected call,
to whichever node the other party is on, never logged. Timers (ring timeout, the longest call, a call whose
node died, a ready staff member whose node died: rtc/ready.py, a party who left and did not come back within
`rtc.leave_grace_s`: rtc/presence.py) run on every node's tick; the compare-and-set lets one of them record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

from siyu.events import Event, new_id, now_ms
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode, RoomMessage
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Member, member_ref

from . import acting
from .acting import Refused, refuse
from .book import LIVE, CallBook, Live
from .ice import call_message
from .loading import load_calls
from .model import (
    MAX_CANDIDATE,
    MAX_SDP,
    CallAccepted,
    CallAnswerIn,
    CallConnected,
    CalleesMessage,
    CallEnded,
    CallHangupIn,
    CallReady,
    CallReadyIn,
    CallReportIn,
    CallRequested,
    CallRequestIn,
    RtcCode,
    RtcSignalIn,
    SignalMessage,
)  # fmt: skip
from .presence import Grace
from .ready import Readiness
from .store import REFRESH_S, STALE_S, Busy, CallRow, CallStore

log = logging.getLogger(__name__)


class Calls(Feature):
    name = "calls"
    rates = {"signal": lambda limits: limits.signal_rate, "call": lambda limits: limits.call_rate}

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.book = CallBook()
        self.store = CallStore(room.service.db.engine)
        self.here: dict[str, int] = {}  # connections per user on this node
        self.mic_message: Any = None  # set by Mic: the `mic` room message that carries mic calls' events
        self.readiness = Readiness(self)  # the staff ready for calls: their rows and liveness (rtc/ready.py)
        self.grace = Grace(self)  # parties who left this node, and whether they are back (rtc/presence.py)
        self._refresh_at = 0

    @property
    def rtc(self) -> Any:
        return self.room.settings.rtc

    async def load(self) -> None:
        await load_calls(self)

    def state(self) -> dict[str, Any]:
        return {"callees": self.book.callees()}

    # --- recording ------------------------------------------------------------------------------

    def message(self, kind: str) -> RoomMessage:
        if kind == "mic" and self.mic_message is not None:
            msg: RoomMessage = self.mic_message()
            return msg
        return CalleesMessage(callees=self.book.callees())

    def record(
        self, m: Member | None, payload: Any, kind: str, cid: str | None = None, *, user: str | None = None
    ) -> asyncio.Future[None]:
        """Apply on this node at once (the room message shows the change), then append and publish. `user`:
        whom an event nobody acted for concerns (its user_id)."""
        event = self.room.event_for(m, payload)
        if user is not None:
            event.user_id = user
        self.book.apply(event.user_id, payload, event.ts)
        fut: asyncio.Future[None] = self.room.record(m, cid, event, self.message(kind), Priority.HIGH)
        fut.add_done_callback(acting.logged)
        return fut

    # --- following ------------------------------------------------------------------------------

    @follows(CallReady, CallRequested, CallAccepted, CallEnded)
    def _follow(self, event: Event[Any]) -> None:
        if self.room.replaying:
            return  # load() read the calls from their rows
        p = event.payload
        before = self.book.calls.get(getattr(p, "call_id", ""))
        call = self.book.apply(event.user_id, p, event.ts) or before
        if call is None or isinstance(p, CallReady):
            return
        if isinstance(p, CallRequested) and p.kind == "mic":
            return  # a mic call is accepted at once: its parties hear of it then
        state = {CallRequested: "ringing", CallAccepted: "connected", CallEnded: "ended"}[type(p)]
        reason = p.reason if isinstance(p, CallEnded) else None
        for user in call.parties():
            self.tell(call, user, state, reason)

    def tell(self, call: Live, user: str, state: str, reason: str | None = None) -> None:
        """The `call` message to the user's connections on this node (each node tells its own)."""
        if self.here.get(user):
            msg = call_message(call, user, state, reason, self.rtc, int(time.time()))
            self.room.channel.to_user(user, orjson.dumps(msg))

    def on_enter(self, m: Member, returning: bool) -> None:
        self.here[m.user_id] = self.here.get(m.user_id, 0) + 1
        self.grace.back(m.user_id)
        for call in self.book.of(m.user_id):  # back after a reconnect: the call it is in
            if call.status in LIVE and (call.kind == "call" or call.status == "connected"):
                self.tell(call, m.user_id, call.status)

    def on_leave(self, m: Member) -> None:
        """The user's last connection on this node left: not ready any more; their calls end ("left"):
        ringing ones at once, connected ones unless back on a node within the grace (rtc/presence.py)."""
        left = self.here.get(m.user_id, 0) - 1
        if left > 0:
            self.here[m.user_id] = left
            return
        self.here.pop(m.user_id, None)
        if m.user_id in self.book.ready:
            self.readiness.say(m, False)
        self.grace.left(m)

    # --- ready -------------------------------------------------------------------------------------

    @handles(CallReadyIn)
    def ready(self, m: Member, msg: CallReadyIn) -> None:
        if not m.is_staff:
            refuse(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有工作人员可以接听通话")
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        self.readiness.say(m, msg.ready, msg.cid)

    # --- request, answer, hang up -------------------------------------------------------------------

    @handles(CallRequestIn, rate="call")
    def request(self, m: Member, msg: CallRequestIn) -> None:
        if m.is_staff:
            refuse(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "工作人员不能发起通话")
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        if msg.to == m.user_id:
            refuse(m, msg.cid, RtcCode.SELF)
            return
        if msg.to not in self.book.ready:
            refuse(m, msg.cid, RtcCode.UNAVAILABLE)
            return
        if m.user_id in self.book.by_user or msg.to in self.book.by_user:
            refuse(m, msg.cid, RtcCode.BUSY)
            return
        acting.answer(self.room, m, msg.cid, lambda: self._request(m, msg.to))

    async def _request(self, m: Member, to: str) -> dict[str, Any]:
        now = now_ms()
        row = CallRow(new_id(), self.room.info.id, "call", m.user_id, to, "ringing", now)
        await self.open(row)
        callee = self.book.ready.get(to) or self.room.user_ref(to)
        ring_until = now + int(self.rtc.ring_timeout_s * 1000)
        me = member_ref(m)
        payload = CallRequested(row.call_id, "call", m.user_id, to, callee.role, [me.nick, me.lvl, me.role],
                                [callee.nick, callee.lvl, callee.role], ring_until)  # fmt: skip
        await self.record(m, payload, "call")
        return {"call_id": row.call_id}

    async def open(self, row: CallRow, max_guests: int | None = None) -> None:
        """Insert the call and lock its parties; a lock held by a call nobody refreshes is taken over."""
        try:
            await self.store.create(row, max_guests=max_guests)
            return
        except Busy:
            stale = await self.store.holding(row.locked, now_ms() - STALE_S * 1000)
            if not stale:
                raise Refused(RtcCode.BUSY) from None
        for old in stale:
            here = self if old.room_id == self.room.info.id else None
            if here is None and (other := await self.room.other(old.room_id)) is not None:
                here = other.find(Calls)
            if here is not None:
                await here.end(here.known(old), "lost")
        try:
            await self.store.create(row, max_guests=max_guests)
        except Busy:
            raise Refused(RtcCode.BUSY) from None

    def known(self, row: CallRow) -> Live:
        return self.book.calls.get(row.call_id) or Live(
            row.call_id, row.kind, row.caller, row.callee, row.status, 0,
            {u: self.room.user_ref(u) for u in (row.caller, row.callee)}, accepted_at=row.accepted_at,
        )  # fmt: skip

    @handles(CallAnswerIn)
    def answer(self, m: Member, msg: CallAnswerIn) -> None:
        call = self.book.party_call(msg.call_id, m.user_id)
        if call is None or call.callee != m.user_id or call.status != "ringing" or call.kind != "call":
            if msg.cid is None or not self.room.answer_known(m, msg.cid):
                refuse(m, msg.cid, RtcCode.UNKNOWN)
            return
        acting.answer(self.room, m, msg.cid, lambda: self._accept(m, call) if msg.accept
                      else self.hang(m, call, "declined", ("ringing",)))  # fmt: skip

    async def _accept(self, m: Member, call: Live) -> None:
        row = await self.store.move(call.call_id, ("ringing",), "connected", now_ms())
        if row is None:
            raise Refused(RtcCode.UNKNOWN)
        at = row.accepted_at or now_ms()
        accepted = CallAccepted(call.call_id, call.kind, call.caller, call.callee, at)
        await self.record(m, accepted, call.kind)

    async def hang(self, m: Member | None, call: Live, reason: str, from_: tuple[str, ...] = LIVE) -> None:
        if not await self.end(call, reason, m, from_):
            raise Refused(RtcCode.UNKNOWN)

    async def end(
        self, call: Live, reason: str, m: Member | None = None, from_: tuple[str, ...] = LIVE,
        absent: tuple[str, int] | None = None,
    ) -> bool:  # fmt: skip
        """End a call if it is still in `from_` (the compare-and-set; `absent` (user, at): and no node saw
        that party after `at`, who is then `by`); the winner records `call.ended`."""
        row = await self.store.move(call.call_id, from_, "ended", now_ms(), reason, absent)
        if row is None:
            return False
        duration = (row.ended_at or 0) - row.accepted_at if row.accepted_at else 0
        by = m.user_id if m is not None else absent[0] if absent is not None else None
        ended = CallEnded(call.call_id, call.kind, call.caller, call.callee, reason, by, max(duration, 0))
        await self.record(m, ended, call.kind, user=by if m is None else None)
        return True

    @handles(CallHangupIn)
    def hangup(self, m: Member, msg: CallHangupIn) -> None:
        call = self.book.party_call(msg.call_id, m.user_id)
        if call is None:
            if msg.cid is None or not self.room.answer_known(m, msg.cid):
                refuse(m, msg.cid, RtcCode.UNKNOWN)
            return
        reason = "hangup"
        if call.status == "ringing":
            reason = "cancelled" if m.user_id == call.caller else "declined"
        acting.answer(self.room, m, msg.cid, lambda: self.hang(m, call, reason))

    # --- what the peer connection negotiated ------------------------------------------------------------

    @handles(CallReportIn)
    def report(self, m: Member, msg: CallReportIn) -> None:
        call = self.book.party_call(msg.call_id, m.user_id)
        if call is None or call.status != "connected":
            if msg.cid is None or not self.room.answer_known(m, msg.cid):
                refuse(m, msg.cid, RtcCode.UNKNOWN)
            return
        if not acting.begin(self.room, m, msg.cid):
            return
        logged: Any = None
        if msg.state == "connected" and not call.reported:
            call.reported = True
            fps = None if msg.fps is None else round(float(msg.fps), 1)
            event = self.room.event_for(m, CallConnected(call.call_id, msg.width, msg.height, fps, m.user_id))
            event.user_id = call.caller  # the log keeps the first report of the call (either party's)
            once = f"call-connected:{call.call_id}"
            logged = self.room.record(None, None, event, None, Priority.NORMAL, once=once)
        elif msg.state == "failed":
            log.info("room %s: call %s: %s reports failed", self.room.info.id, call.call_id, m.user_id)
        self.room.spawn(acting.finish(self.room, m, msg.cid, _after(logged)))

    # --- signalling ------------------------------------------------------------------------------------

    @handles(RtcSignalIn, rate="signal")
    def signal(self, m: Member, msg: RtcSignalIn) -> None:
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        if (msg.sdp is not None and len(msg.sdp) > MAX_SDP) or (
            msg.candidate is not None and len(orjson.dumps(msg.candidate)) > MAX_CANDIDATE
        ):
            refuse(m, msg.cid, RtcCode.TOO_LARGE, f"sdp ≤ {MAX_SDP} 字符，candidate ≤ {MAX_CANDIDATE} 字节")
            return
        needed = msg.candidate if msg.kind == "candidate" else msg.sdp
        if needed is None:
            refuse(m, msg.cid, ErrorCode.BAD_MESSAGE, "offer/answer 需要 sdp，candidate 需要 candidate")
            return
        call = self.book.party_call(msg.call_id, m.user_id)
        if call is None or msg.to != call.other(m.user_id) or msg.to == m.user_id:
            refuse(m, msg.cid, RtcCode.NOT_PARTY)
            return
        m.charge()
        out = SignalMessage(call_id=call.call_id, from_=m.user_id, kind=msg.kind, sdp=msg.sdp,
                            candidate=msg.candidate)  # fmt: skip
        self.room.to_user(msg.to, out.wire())
        if msg.cid is not None:
            self.room.acks.begin((m.user_id, msg.cid), m)
            self.room.acks.settle((m.user_id, msg.cid), orjson.dumps({"type": "ack", "cid": msg.cid}))

    # --- timers ----------------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> None:
        """Ring timeouts, the longest call and the leave grace (every node tries; the compare-and-set picks
        one), and every REFRESH_S the liveness of the calls and of the staff ready for calls (`refresh`)."""
        for call in list(self.book.calls.values()):
            if call.busy:
                continue
            if call.status == "ringing" and call.ring_until and call.ring_until <= now_ms:
                self._timer(call, "timeout", ("ringing",))
            elif (
                call.status == "connected" and call.accepted_at is not None
                and call.accepted_at + self.rtc.max_call_s * 1000 <= now_ms
            ):  # fmt: skip
                self._timer(call, "max_duration", ("connected",))
        self.grace.tick(now_ms)
        if now_ms - self._refresh_at >= REFRESH_S * 1000 and (self.book.calls or self.book.ready):
            self._refresh_at = now_ms
            self.room.spawn(self.refresh(now_ms))

    def _timer(self, call: Live, reason: str, from_: tuple[str, ...]) -> None:
        call.busy = True

        async def run() -> None:
            try:
                await self.end(call, reason, None, from_)
            except Exception:
                log.exception("room %s: ending call %s (%s) failed", self.room.info.id, call.call_id, reason)
            finally:
                call.busy = False

        self.room.spawn(run())

    async def refresh(self, now: int) -> None:
        """Refresh the calls a party is connected to here (or left within the grace), end as "lost" those
        nobody refreshed for STALE_S (their node died); the same for the ready staff (rtc/ready.py: unready
        instead of lost)."""
        await self.readiness.refresh(now)
        if not self.book.calls:
            return
        pending = self.grace.pending  # a party who left here within the grace still keeps the call here
        mine = [c.call_id for c in self.book.calls.values()
                if any(self.here.get(u) or u in pending for u in c.parties())]  # fmt: skip
        others = [c for c in self.book.calls.values() if c.call_id not in mine and not c.busy]
        try:
            await self.store.touch(mine, now)
            seen = await self.store.seen([c.call_id for c in others]) if others else {}
        except Exception:
            log.warning("room %s: refreshing calls failed", self.room.info.id, exc_info=True)
            return
        for call in others:
            if seen.get(call.call_id, now) < now - STALE_S * 1000:
                self._timer(call, "lost", LIVE)


async def _after(fut: Any) -> None:
    if fut is not None:
        await fut
