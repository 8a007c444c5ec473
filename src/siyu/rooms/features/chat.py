"""Comments (弹幕) and host replies: the `comment` rate rule, guards other features add, recent comments."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from siyu.events import CommentPosted, Event, HostReplied
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, UserRef
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.room import Member, member_ref
from siyu.zh import is_question

RECENT_COMMENTS = 2000


class CommentIn(ClientMessage):
    type: Literal["comment"]
    cid: Cid
    text: str


class ReplyIn(ClientMessage):
    type: Literal["reply"]
    cid: Cid
    to_seq: int = Field(ge=1)
    text: str


@dataclass(slots=True, kw_only=True)
class Comment(RoomMessage):
    type: Literal["comment"] = "comment"
    user: UserRef
    text: str
    question: bool
    cid: str
    eid: str


@dataclass(slots=True, kw_only=True)
class BadgedComment(Comment):
    """A comment whose author wears a badge (the fan club's {name, level, active}); others have no key."""

    badge: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class ReplyTo:
    seq: int
    user: UserRef
    text: str


@dataclass(slots=True, kw_only=True)
class Reply(RoomMessage):
    type: Literal["reply"] = "reply"
    user: UserRef
    text: str
    reply_to: ReplyTo


CommentGuard = Callable[[Member, str, str, bool, Comment], bool]
"""(member, cid, text, question, message) -> True when the guard took the comment over (refused or hid it)."""

Badger = Callable[[Member], dict[str, Any] | None]
"""member -> the badge their comment carries (the first feature that gives one wins), or None."""


@dataclass(slots=True, frozen=True)
class Recent:
    user: UserRef
    text: str
    event_id: str


def reject(m: Member, cid: str | None, code: str, message: str, **extra: Any) -> None:
    m.send(wire.reject(cid, code, message, **extra))


class Chat(Feature):
    name = "chat"
    rates = {"comment": lambda limits: limits.comment_rate}

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.guards: list[CommentGuard] = []
        self.badges: list[Badger] = []
        # recent comments by seq, so replies can quote them and moderators can act on them
        self.recent: OrderedDict[int, Recent] = OrderedDict()
        self.comments = room.counter("comments")  # this live session's comments

    async def load(self) -> None:
        room = self.room
        if room.session is not None:
            figures = await room.service.session_figures(room.info.id, room.session.id)
            await room.seed(self.comments, figures["comments"])

    def on_session(self, session_id: str | None) -> None:
        self.comments = self.room.counter("comments")

    def state(self) -> dict[str, Any]:
        return {"comments": self.comments.value}

    @committed(CommentPosted)
    def _counted(self, event: Event[CommentPosted]) -> None:
        self.comments.add(1)

    def clean_text(self, m: Member, cid: str, text: str) -> str | None:
        text = text.strip()
        if not text:
            reject(m, cid, ErrorCode.EMPTY_COMMENT, "评论不能为空")
            return None
        limit = self.room.settings.limits.max_comment_chars
        if len(text) > limit:
            reject(m, cid, ErrorCode.COMMENT_TOO_LONG, f"评论最多{limit}个字", limit=limit)
            return None
        return text

    @handles(CommentIn, rate="comment")
    def comment(self, m: Member, msg: CommentIn) -> None:
        text = self.clean_text(m, msg.cid, msg.text)
        if text is None:
            return
        question = is_question(text)
        room = self.room
        badge = next((b for badger in self.badges if (b := badger(m)) is not None), None)
        payload = CommentPosted(text, msg.cid, question, m.nickname, m.level, m.role.value, badge)
        event = room.event_for(m, payload)
        ref = member_ref(m)
        message = (
            Comment(user=ref, text=text, question=question, cid=msg.cid, eid=event.id)
            if badge is None
            else BadgedComment(user=ref, text=text, question=question, cid=msg.cid, eid=event.id, badge=badge)
        )
        for guard in self.guards:
            if guard(m, msg.cid, text, question, message):
                return
        room.record(m, msg.cid, event, message, Priority.NORMAL)

    @handles(ReplyIn)  # staff only: bounded by the frame rate (docs/protocol.md section 7)
    def reply(self, m: Member, msg: ReplyIn) -> None:
        if not m.is_staff:
            reject(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以回复")
            return
        text = self.clean_text(m, msg.cid, msg.text)
        if text is None:
            return
        target = self.recent.get(msg.to_seq)
        if target is None:
            reject(m, msg.cid, ErrorCode.UNKNOWN_COMMENT, f"找不到评论 seq={msg.to_seq}")
            return
        quoted = ReplyTo(seq=msg.to_seq, user=target.user, text=target.text)
        message = Reply(user=member_ref(m), text=text, reply_to=quoted)
        payload = HostReplied(text, msg.cid, msg.to_seq, target.user.id, m.nickname)
        self.room.record(m, msg.cid, self.room.event_for(m, payload, parent=target.event_id), message)

    @follows(CommentPosted)
    def _seen(self, event: Event[CommentPosted]) -> None:
        p = event.payload
        assert event.seq is not None and event.user_id is not None
        ref = UserRef(event.user_id, p.nickname, p.level, p.role)
        self.room.members.seen(ref)
        self.recent[event.seq] = Recent(ref, p.text, event.id)
        if len(self.recent) > RECENT_COMMENTS:
            self.recent.popitem(last=False)
