"""Calls and the co-host mic on the wire and in the log: error codes, events, client and server messages.

docs/protocol.md section 12 is the human-readable contract; keep both in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from siyu.events import payload
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, ServerMessage, UserRef

MAX_SDP = 16 * 1024  # characters of one offer/answer
MAX_CANDIDATE = 2 * 1024  # bytes of one ICE candidate object (JSON)
SIGNAL_FRAME_BYTES = 32 * 1024  # an rtc_signal frame may exceed limits.max_frame_bytes up to this


class RtcCode:
    UNAVAILABLE = "call.unavailable"
    BUSY = "call.busy"
    SELF = "call.self"
    UNKNOWN = "call.unknown"
    NOT_PARTY = "rtc.not_party"
    TOO_LARGE = "rtc.too_large"
    MIC_CLOSED = "mic.closed"
    MIC_QUEUED = "mic.queued"
    MIC_FULL = "mic.full"
    MIC_NOT_QUEUED = "mic.not_queued"


TEXT = {
    RtcCode.UNAVAILABLE: "对方现在不接听通话",
    RtcCode.BUSY: "对方正在通话中，请稍后再试",
    RtcCode.SELF: "不能呼叫自己",
    RtcCode.UNKNOWN: "通话已结束或不存在",
    RtcCode.NOT_PARTY: "你不在这个通话中",
    RtcCode.TOO_LARGE: "连接信息太大了",
    RtcCode.MIC_CLOSED: "主播暂未开放连麦",
    RtcCode.MIC_QUEUED: "你已经在连麦队列中了",
    RtcCode.MIC_FULL: "连麦人数已满",
    RtcCode.MIC_NOT_QUEUED: "这位观众不在连麦队列中",
}
wire.ERROR_TEXT.update(TEXT)

END_REASONS = (
    "declined", "timeout", "hangup", "cancelled", "left", "busy", "lost", "max_duration", "ended_by_staff",
)  # fmt: skip


# --- events ------------------------------------------------------------------------------------------
@payload
@dataclass(frozen=True, slots=True)
class CallReady:
    """A staff member takes 1v1 calls (or stops)."""

    TYPE: ClassVar[str] = "call.ready"
    ready: bool
    nickname: str
    role: str
    level: int = 0


@payload
@dataclass(frozen=True, slots=True)
class CallRequested:
    """A call began: kind "call" rings the callee; kind "mic" (a mic guest, the caller, with the staff
    member who accepted, the callee) is accepted at once (`call.accepted` follows)."""

    TYPE: ClassVar[str] = "call.requested"
    call_id: str
    kind: str
    caller: str
    callee: str
    role: str  # the callee's role
    caller_ref: list[Any]  # [nickname, level, role]
    callee_ref: list[Any]
    ring_until: int
    badge: dict[str, Any] | None = None  # a mic guest's fan badge {name, level}


@payload
@dataclass(frozen=True, slots=True)
class CallAccepted:
    TYPE: ClassVar[str] = "call.accepted"
    call_id: str
    kind: str
    caller: str
    callee: str
    accepted_at: int


@payload
@dataclass(frozen=True, slots=True)
class CallConnected:
    """What the first reporting party's peer connection negotiated (its getStats)."""

    TYPE: ClassVar[str] = "call.connected"
    call_id: str
    width: int | None
    height: int | None
    fps: float | None
    by: str


@payload
@dataclass(frozen=True, slots=True)
class CallEnded:
    """A call's record for the CRM: who, when (the event's ts), how long from the accept, why."""

    TYPE: ClassVar[str] = "call.ended"
    call_id: str
    kind: str
    caller: str
    callee: str
    reason: str
    by: str | None
    duration_ms: int


@payload
@dataclass(frozen=True, slots=True)
class MicRequested:
    TYPE: ClassVar[str] = "mic.requested"
    nickname: str
    level: int
    fan: dict[str, Any] | None  # the fan-club badge {name, level}
    member: bool  # a lit fan-club member (fans_first ranks them first)


@payload
@dataclass(frozen=True, slots=True)
class MicCancelled:
    TYPE: ClassVar[str] = "mic.cancelled"
    reason: str  # cancelled | left


@payload
@dataclass(frozen=True, slots=True)
class MicDeclined:
    TYPE: ClassVar[str] = "mic.declined"
    user_id: str
    by: str


@payload
@dataclass(frozen=True, slots=True)
class MicSettings:
    TYPE: ClassVar[str] = "mic.settings"
    open: bool
    max_guests: int
    fans_first: bool
    by: str


# --- client messages -------------------------------------------------------------------------------
UserId = Field(min_length=1, max_length=64)
CallId = Field(min_length=1, max_length=32)


class CallReadyIn(ClientMessage):
    type: Literal["call_ready"]
    ready: bool
    cid: Cid | None = None


class CallRequestIn(ClientMessage):
    type: Literal["call_request"]
    to: str = UserId
    cid: Cid | None = None


class CallAnswerIn(ClientMessage):
    type: Literal["call_answer"]
    call_id: str = CallId
    accept: bool
    cid: Cid | None = None


class CallHangupIn(ClientMessage):
    type: Literal["call_hangup"]
    call_id: str = CallId
    cid: Cid | None = None


class CallReportIn(ClientMessage):
    type: Literal["call_report"]
    call_id: str = CallId
    state: Literal["connected", "failed"]
    width: int | None = Field(None, ge=0, le=8192)
    height: int | None = Field(None, ge=0, le=8192)
    fps: float | None = Field(None, ge=0, le=240)
    cid: Cid | None = None


class RtcSignalIn(ClientMessage):
    """Sizes are checked by the handler (`rtc.too_large`), not here (that would be `bad_message`)."""

    max_frame_bytes: ClassVar[int] = SIGNAL_FRAME_BYTES  # the router lets it past limits.max_frame_bytes

    type: Literal["rtc_signal"]
    call_id: str = CallId
    to: str = UserId
    kind: Literal["offer", "answer", "candidate"]
    sdp: str | None = None
    candidate: dict[str, Any] | None = None
    cid: Cid | None = None


class MicRequestIn(ClientMessage):
    type: Literal["mic_request"]
    cid: Cid | None = None


class MicCancelIn(ClientMessage):
    type: Literal["mic_cancel"]
    cid: Cid | None = None


class MicAcceptIn(ClientMessage):
    type: Literal["mic_accept"]
    user_id: str = UserId
    cid: Cid | None = None


class MicDeclineIn(ClientMessage):
    type: Literal["mic_decline"]
    user_id: str = UserId
    cid: Cid | None = None


class MicEndIn(ClientMessage):
    type: Literal["mic_end"]
    user_id: str = UserId
    cid: Cid | None = None


class MicSettingsIn(ClientMessage):
    """`max_guests` above the node's `rtc.max_guests_limit` is refused (bad_message)."""

    type: Literal["mic_settings"]
    open: bool
    max_guests: int = Field(ge=1, le=8)
    fans_first: bool
    cid: Cid | None = None


# --- server messages -------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Callee:
    user: UserRef
    role: str
    busy: bool


@dataclass(slots=True, kw_only=True)
class CalleesMessage(RoomMessage):
    """Who takes 1v1 calls now (also `state.callees`); sequenced so every node follows the call events."""

    type: Literal["callees"] = "callees"
    callees: list[Callee]


@dataclass(slots=True, kw_only=True)
class CallMessage(ServerMessage):
    """Personal: a call's state, to both parties on every change."""

    type: Literal["call"] = "call"
    call_id: str
    kind: str
    state: str  # ringing | connected | ended
    role: str  # caller | callee
    peer: UserRef
    ice_servers: list[dict[str, Any]]
    ice_transport_policy: str
    video: dict[str, int]
    polite: bool
    ring_until: int | None
    reason: str | None = None


@dataclass(slots=True, kw_only=True)
class SignalMessage(ServerMessage):
    """Personal, ephemeral: the other party's offer, answer or ICE candidate."""

    type: Literal["rtc_signal"] = "rtc_signal"
    call_id: str
    from_: str
    kind: str
    sdp: str | None = None
    candidate: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "call_id": self.call_id, "from": self.from_}
        out["kind"] = self.kind
        if self.sdp is not None:
            out["sdp"] = self.sdp
        if self.candidate is not None:
            out["candidate"] = self.candidate
        return out


@dataclass(slots=True, frozen=True)
class Guest:
    user: UserRef
    badge: dict[str, Any] | None
    since: int


@dataclass(slots=True, kw_only=True)
class MicMessage(RoomMessage):
    """The mic (also `state.mic`): open or not, its guests (the "连麦中" layout), how many wait."""

    type: Literal["mic"] = "mic"
    open: bool
    max_guests: int
    fans_first: bool
    guests: list[Guest]
    queued: int


@dataclass(slots=True, frozen=True)
class QueueEntry:
    user: UserRef
    fan: dict[str, Any] | None
    at: int


@dataclass(slots=True, kw_only=True)
class MicQueueMessage(ServerMessage):
    """Staff: the mic queue in order (at most once a second, when it changed)."""

    type: Literal["mic_queue"] = "mic_queue"
    queue: list[QueueEntry]


@dataclass(slots=True, kw_only=True)
class MicStatusMessage(ServerMessage):
    """Personal: the viewer's own place in the mic queue changed (queued, declined, cancelled, on_mic)."""

    type: Literal["mic_status"] = "mic_status"
    state: str
