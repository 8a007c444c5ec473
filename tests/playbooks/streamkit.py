"""Build event streams for the playbook dry-run tests from the real payload classes (core and wings').

A `Stream` numbers room messages (`seq`) and keeps `ts` in order; `at` is seconds after the session start.
`replay` runs a document over a stream with `siyu.playbooks.dryrun.dry_run`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import siyu.app  # noqa: F401 - the wings register their payload types
from siyu.events import (
    PAYLOAD_TYPES,
    AssistantAnswered,
    CommentPosted,
    Context,
    Event,
    Followed,
    GiftSent,
    HostReplied,
    HostStatusChanged,
    LikeSent,
    ProductPinned,
    QuestionDismissed,
    QuestionGrouped,
    SessionStarted,
    ViewerEntered,
    ViewerLeft,
)
from siyu.playbooks.dryrun import RecordingEffects, dry_run
from siyu.playbooks.engine import Engine
from siyu.playbooks.model import PlaybookFile, parse_file
from siyu.playbooks.run import Trace

BEIJING = timezone(timedelta(hours=8))
START = int(datetime(2025, 6, 6, 20, 0, tzinfo=BEIJING).timestamp() * 1000)


def beijing(hour: int, minute: int = 0, day: int = 6) -> int:
    """A start time (ms) at a Beijing wall-clock time."""
    return int(datetime(2025, 6, day, hour, minute, tzinfo=BEIJING).timestamp() * 1000)


def wing(type_name: str, **fields: Any) -> Any:
    """A wing's payload (registered by `import siyu.app`) by its event type name."""
    return PAYLOAD_TYPES[type_name](**fields)


class Stream:
    """One live session's events, in `ts` order (`at` seconds after the start, never backwards)."""

    def __init__(self, start: int = START, session: str = "s1", room: str = "r1", begin: bool = True) -> None:
        self.start, self.session, self.room = start, session, room
        self.events: list[Event[Any]] = []
        self.seq = 0
        self.last = start
        if begin:
            self.add(None, SessionStarted("测试专场"), 0)

    def add(
        self,
        user: str | None,
        payload: Any,
        at: float,
        *,
        actor: str | None = None,
        numbered: bool = True,
        session: str | None = None,
    ) -> Event[Any]:
        ts = self.start + int(at * 1000)
        assert ts >= self.last, "events go forward in time"
        self.last = ts
        seq = None
        if numbered:
            self.seq += 1
            seq = self.seq
        event = Event(
            room_id=self.room,
            user_id=user,
            payload=payload,
            session_id=session or self.session,
            context=Context(actor=actor if actor is not None else user),
            ts=ts,
            seq=seq,
        )
        self.events.append(event)
        return event

    def new_session(self, session: str, at: float) -> Event[Any]:
        """The room goes live again: a new session (later events carry its id)."""
        self.session = session
        return self.add(None, SessionStarted("第二场"), at)

    # --- people ---------------------------------------------------------------------------------

    def enter(
        self, user: str, at: float, *, returning: bool = False, level: int = 0, role: str = "viewer"
    ) -> Event[Any]:
        return self.add(user, ViewerEntered(f"昵称{user}", level, role, returning), at, numbered=False)

    def leave(self, user: str, at: float) -> Event[Any]:
        return self.add(user, ViewerLeft(0, 1000), at, numbered=False)

    def comment(
        self, user: str, text: str, at: float, *, question: bool = False, role: str = "viewer", **kw: Any
    ) -> Event[Any]:
        payload = CommentPosted(text, None, question, f"昵称{user}", role=role)
        return self.add(user, payload, at, **kw)

    def points(self, user: str, points: int, at: float) -> Event[Any]:
        return self.add(user, wing("points.added", points=points, reason="测试"), at, numbered=False)

    def tagged(self, user: str, tag: str, at: float) -> Event[Any]:
        return self.add(user, wing("viewer.tagged", tag=tag), at, numbered=False)

    def like(self, user: str, at: float, count: int = 1) -> Event[Any]:
        return self.add(user, LikeSent(count), at, numbered=False)

    def gift(self, user: str, coins: int, at: float, gift_id: str = "rose") -> Event[Any]:
        return self.add(user, GiftSent(gift_id, 1, coins, f"昵称{user}"), at)

    def follow(self, user: str, at: float) -> Event[Any]:
        return self.add(user, Followed(f"昵称{user}"), at)

    def fanclub(self, user: str, at: float) -> Event[Any]:
        return self.add(user, wing("fanclub.joined", club="c1", via="join", nickname=f"昵称{user}"), at)

    def coupon(self, user: str, at: float, coupon_id: str = "C1") -> Event[Any]:
        payload = wing(
            "coupon.claimed", batch_id="b1", coupon_id=coupon_id, grant_id=f"g-{user}", n=1, expires_at=0
        )
        return self.add(user, payload, at, numbered=False)

    def poll_started(self, at: float, options: list[str], poll_id: str = "p1") -> Event[Any]:
        payload = wing(
            "poll.started",
            poll_id=poll_id,
            question="选哪个",
            options=options,
            product_ids=None,
            answer=None,
            opens_at=0,
            until=0,
            by="host",
        )
        return self.add(None, payload, at)

    def vote(self, user: str, at: float, option: int = 0, poll_id: str = "p1") -> Event[Any]:
        return self.add(user, wing("poll.voted", poll_id=poll_id, option=option), at)

    def order(self, user: str, at: float, yuan: float = 99.0, product_id: str = "P1") -> Event[Any]:
        cents = int(round(yuan * 100))
        payload = wing(
            "order.placed",
            order_id=f"o-{user}-{at}",
            source="room",
            items=[{"product_id": product_id, "count": 1}],
            subtotal_cents=cents,
            discount_cents=0,
            total_cents=cents,
            coupon_id=None,
            grant_id=None,
            flash_id=None,
            via=None,
            external_id=None,
            nickname=f"昵称{user}",
        )
        return self.add(user, payload, at)

    # --- the room -------------------------------------------------------------------------------

    def pin(self, product_id: str | None, at: float) -> Event[Any]:
        return self.add("host", ProductPinned(product_id), at)

    def host_status(self, status: str, at: float) -> Event[Any]:
        return self.add("host", HostStatusChanged(status), at)

    def host_reply(self, question: Event[Any], at: float) -> Event[Any]:
        assert question.seq is not None and question.user_id is not None
        return self.add("host", HostReplied("回复", None, question.seq, question.user_id, "主播"), at)

    def dismiss(self, question: Event[Any], at: float) -> Event[Any]:
        assert question.seq is not None
        return self.add("host", QuestionDismissed(question.seq, "昵称"), at, numbered=False)

    def answer(
        self, user: str, at: float, *, intent: str = "size", question: Event[Any] | None = None
    ) -> Event[Any]:
        payload = AssistantAnswered(
            question.seq if question is not None else None, user, intent, None, "答复", False, 0.9, "user"
        )
        return self.add("assistant", payload, at, numbered=False, actor="assistant")

    def grouped(self, key: str, asked: int, at: float) -> Event[Any]:
        payload = QuestionGrouped(key, asked, "有XL吗", "有的，XL有货", "size", None)
        return self.add(None, payload, at, numbered=False)


def doc(body: str, **head: Any) -> PlaybookFile:
    """A document from the playbooks' YAML (`body` is the list under `playbooks:`), validated."""
    lines = [f"{k}: {v}" for k, v in head.items()]
    return parse_file("\n".join([*lines, "playbooks:", body]))


def replay(
    document: PlaybookFile | str, stream: Stream | list[Event[Any]], products: dict[str, str] | None = None
) -> tuple[list[Trace], list[dict[str, Any]]]:
    """Dry-run `document` over the stream: (traces, what would be done)."""
    d = parse_file(document) if isinstance(document, str) else document
    events = stream.events if isinstance(stream, Stream) else stream
    return asyncio.run(dry_run(d, events, products))


def ran(traces: list[Trace], playbook: str | None = None, status: str | None = None) -> list[Trace]:
    return [
        t
        for t in traces
        if (playbook is None or t.playbook == playbook) and (status is None or t.status == status)
    ]


async def live_feed(
    document: PlaybookFile, events: list[Event[Any]], *, online: int = 0
) -> tuple[list[Trace], list[dict[str, Any]]]:
    """The dry run's loop fed as the live room feature feeds the engine: each event is committed on this
    node AND seen on the room stream (`engine.seen`, what `everywhere` subscriptions get), with the room's
    online count set as the room tick sets it."""
    effects = RecordingEffects()
    engine = Engine(effects, shop_id="live")
    engine.load(document)
    engine.scope.online = online
    clock: int | None = None
    for event in events:
        clock = event.ts if clock is None else clock
        while clock + 1000 <= event.ts:
            clock += 1000
            engine.advance(clock)
            await asyncio.sleep(0)
        clock = max(clock, event.ts)
        engine.advance(clock)
        engine.committed(event)
        engine.seen(event)
        for _ in range(3):
            await asyncio.sleep(0)
    await engine.drain()
    engine.stop()
    return list(engine.traces), effects.done
