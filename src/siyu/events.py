"""Typed domain events, their Context, and the in-process bus.

Every viewer and host action becomes an `Event` whose payload is one of the dataclasses below;
the payload class is the event's type (its `TYPE` is the name stored in the event log). Wings
subscribe by payload class, so a handler only ever sees the payload it declared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import orjson

log = logging.getLogger(__name__)

P = TypeVar("P")


def new_id() -> str:
    return uuid.uuid4().hex


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Context:
    """Why an event happened: `parent_id` links an event to the one that caused it."""

    id: str = field(default_factory=new_id)
    parent_id: str | None = None
    actor: str | None = None

    def child(self, actor: str | None = None) -> Context:
        return Context(parent_id=self.id, actor=actor if actor is not None else self.actor)


# --- payloads -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewerEntered:
    TYPE: ClassVar[str] = "viewer.entered"
    nickname: str
    level: int
    role: str
    returning: bool


@dataclass(frozen=True, slots=True)
class ViewerLeft:
    TYPE: ClassVar[str] = "viewer.left"
    dwell_ms: int
    close_code: int


@dataclass(frozen=True, slots=True)
class CommentPosted:
    TYPE: ClassVar[str] = "comment.posted"
    text: str
    cid: str | None
    question: bool
    nickname: str
    level: int = 0
    role: str = "viewer"
    badge: dict[str, Any] | None = None  # the badge the comment was shown with (the fan club's)


@dataclass(frozen=True, slots=True)
class HostReplied:
    TYPE: ClassVar[str] = "host.replied"
    text: str
    cid: str | None
    to_seq: int
    to_user: str
    nickname: str


@dataclass(frozen=True, slots=True)
class QuestionDismissed:
    """The staff decided a question needs no answer (it leaves the host's pending queue)."""

    TYPE: ClassVar[str] = "question.dismissed"
    seq: int
    nickname: str


@dataclass(frozen=True, slots=True)
class LikeSent:
    TYPE: ClassVar[str] = "like.sent"
    count: int


@dataclass(frozen=True, slots=True)
class GiftSent:
    TYPE: ClassVar[str] = "gift.sent"
    gift_id: str
    count: int
    coins: int
    nickname: str
    level: int = 0
    role: str = "viewer"


@dataclass(frozen=True, slots=True)
class Followed:
    TYPE: ClassVar[str] = "viewer.followed"
    nickname: str
    level: int = 0


@dataclass(frozen=True, slots=True)
class ProductPinned:
    TYPE: ClassVar[str] = "product.pinned"
    product_id: str | None


@dataclass(frozen=True, slots=True)
class SessionStarted:
    TYPE: ClassVar[str] = "session.started"
    title: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    TYPE: ClassVar[str] = "session.ended"
    duration_ms: int


@dataclass(frozen=True, slots=True)
class AssistantAnswered:
    """The assistant answered a question (`to` = "user": the asker only, "room": everyone)."""

    TYPE: ClassVar[str] = "assistant.answered"
    question_seq: int | None
    to_user: str
    intent: str
    product_id: str | None
    text: str
    handoff: bool
    confidence: float
    to: str
    key: str | None = None  # the question group a room answer was for
    size: str | None = None  # the size the question was about (recommendations learn from it)


@dataclass(frozen=True, slots=True)
class CommentHidden:
    """A comment moderation kept from the room (the author still saw their own echo)."""

    TYPE: ClassVar[str] = "comment.hidden"
    text: str
    cid: str | None
    reason: str
    words: list[str]


@dataclass(frozen=True, slots=True)
class ModerationActed:
    """hide / mute / unmute / ban / unban, by a moderator or automatically (`by` = "auto")."""

    TYPE: ClassVar[str] = "moderation.acted"
    action: str
    target: str
    by: str
    reason: str
    reason_text: str
    comment_seq: int | None
    until: int | None
    by_nickname: str = ""


@dataclass(frozen=True, slots=True)
class HostStatusChanged:
    TYPE: ClassVar[str] = "host.status"
    status: str


@dataclass(frozen=True, slots=True)
class StockChanged:
    TYPE: ClassVar[str] = "stock.changed"
    product_id: str
    color: str
    size: str
    count: int
    delta: int
    reason: str
    version: int = 0  # the SKU row's version after the change: nodes apply changes in version order


@dataclass(frozen=True, slots=True)
class ProductInterest:
    """A viewer showed interest in a product (e.g. asked about it). Signalled inside a room on every node
    by the feature that noticed it (the assistant's reading of a question); not logged, since it is
    derived from an event that is (the comment)."""

    TYPE: ClassVar[str] = "product.interest"
    product_id: str
    size: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class QuestionGrouped:
    """Viewers asked the same thing (the assistant's question group `key` now has `asked` askers): signalled
    on the node that committed the latest question, not logged (derived from the comments, which are)."""

    TYPE: ClassVar[str] = "question.grouped"
    key: str
    asked: int
    question: str
    answer: str
    intent: str
    product_id: str | None


PAYLOAD_TYPES: dict[str, type[Any]] = {}
"""Event type name -> payload class: every payload the log can hold (core ones below, wings' on import)."""


def payload(cls: type[P]) -> type[P]:
    """Register a payload class (a frozen dataclass with a `TYPE` ClassVar) so events of it can be decoded.

    Wings define their payloads next to their feature and decorate them; a name used twice is a bug.
    """
    name = getattr(cls, "TYPE", None)
    if not isinstance(name, str) or not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a payload dataclass with a TYPE")
    if PAYLOAD_TYPES.get(name, cls) is not cls:
        raise ValueError(f"payload type {name!r} is registered twice")
    PAYLOAD_TYPES[name] = cls
    return cls


for _core in (
    ViewerEntered,
    ViewerLeft,
    CommentPosted,
    HostReplied,
    QuestionDismissed,
    LikeSent,
    GiftSent,
    Followed,
    ProductPinned,
    SessionStarted,
    SessionEnded,
    AssistantAnswered,
    CommentHidden,
    ModerationActed,
    HostStatusChanged,
    StockChanged,
    ProductInterest,
    QuestionGrouped,
):
    payload(_core)


@dataclass(slots=True)
class Event(Generic[P]):
    """One domain event. `seq` is set when the event is also a room message (its room sequence)."""

    room_id: str
    user_id: str | None
    payload: P
    session_id: str | None = None
    context: Context = field(default_factory=Context)
    id: str = field(default_factory=new_id)
    ts: int = field(default_factory=now_ms)
    seq: int | None = None
    cid: str | None = None  # the client's id of the action (unique per room and user in the log)

    @property
    def type(self) -> str:
        return str(getattr(self.payload, "TYPE"))  # noqa: B009 - TYPE is a ClassVar of every payload


def decode_payload(type_name: str, data: dict[str, Any]) -> Any:
    """A payload from its stored/wire form; fields added later take their defaults, unknown ones are
    dropped (an older node reading a newer event)."""
    cls = PAYLOAD_TYPES[type_name]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def encode_event(event: Event[Any]) -> bytes:
    """One event as bytes, for carrying it between nodes beside its room message."""
    c = event.context
    return orjson.dumps(
        (event.type, event.id, event.room_id, event.user_id, event.session_id, event.ts, event.seq,
         c.id, c.parent_id, c.actor, event.payload, event.cid)
    )  # fmt: skip


def decode_event(data: bytes) -> Event[Any]:
    """The inverse of encode_event; raises KeyError/ValueError/TypeError on a foreign or broken form."""
    kind, eid, room, user, session, ts, seq, ctx, parent, actor, body, cid = orjson.loads(data)
    return Event(
        room_id=room,
        user_id=user,
        payload=decode_payload(kind, body),
        session_id=session,
        context=Context(id=ctx, parent_id=parent, actor=actor),
        id=eid,
        ts=ts,
        seq=seq,
        cid=cid,
    )


def event_to_json(event: Event[Any]) -> dict[str, Any]:
    """One event as a JSON object, as `siyu events export` writes it (one per line), keys in this order:
    type, id, room, user, session, ts (ms), seq, cid, ctx, parent, actor, payload (the dataclass's fields)."""
    c = event.context
    return {
        "type": event.type, "id": event.id, "room": event.room_id, "user": event.user_id,
        "session": event.session_id, "ts": event.ts, "seq": event.seq, "cid": event.cid, "ctx": c.id,
        "parent": c.parent_id, "actor": c.actor, "payload": dataclasses.asdict(event.payload),
    }  # fmt: skip


def event_from_json(d: dict[str, Any]) -> Event[Any]:
    """The inverse of event_to_json. `type`, `room`, `ts` and `payload` are required (KeyError, also for a
    type no module registered: import siyu.app first for the wings' types); the other keys may be left out
    (null, or a new id for `id` and `ctx`). A payload that is not an object or misses a required field
    raises TypeError."""
    body = d["payload"]
    if not isinstance(body, dict):
        raise TypeError(f"payload of {d['type']!r} is not an object")
    return Event(
        room_id=str(d["room"]),
        user_id=d.get("user"),
        payload=decode_payload(str(d["type"]), body),
        session_id=d.get("session"),
        context=Context(id=d.get("ctx") or new_id(), parent_id=d.get("parent"), actor=d.get("actor")),
        id=d.get("id") or new_id(),
        ts=int(d["ts"]),
        seq=None if d.get("seq") is None else int(d["seq"]),
        cid=d.get("cid"),
    )


Handler = Callable[[Event[P]], Awaitable[None] | None]


class Bus:
    """Typed in-process publish/subscribe.

    `publish` calls synchronous handlers inline and runs coroutine handlers as tracked tasks, so a
    slow subscriber never blocks the publisher. A failing handler is logged and the others still run.
    """

    def __init__(self) -> None:
        self._subs: dict[type[Any], list[tuple[Handler[Any], str | None]]] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    def subscribe(
        self, payload_type: type[P], handler: Handler[P], *, room: str | None = None
    ) -> Callable[[], None]:
        entry: tuple[Handler[Any], str | None] = (handler, room)
        self._subs.setdefault(payload_type, []).append(entry)

        def unsubscribe() -> None:
            subs = self._subs.get(payload_type, [])
            if entry in subs:
                subs.remove(entry)

        return unsubscribe

    def publish(self, event: Event[Any]) -> None:
        for handler, room in tuple(self._subs.get(type(event.payload), ())):
            if room is not None and room != event.room_id:
                continue
            try:
                result = handler(event)
            except Exception:
                log.exception("bus handler failed for %s", event.type)
                continue
            if result is not None:
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bus handler failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for the async handlers already started (used at shutdown and in tests)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
