"""The host's question panel: every question of the room, in every host console on every node.

It follows the room stream: a comment that is a question (or that an annotator, such as the assistant,
claims) becomes a `question` for the staff; a host reply marks it answered. Annotators add their reading
(intent, suggested reply …) and may act once the question is on the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from siyu.events import CommentPosted, Event, HostReplied, QuestionDismissed
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, ServerMessage, UserRef
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.questions import Question, QuestionBoard
from siyu.rooms.room import Member


class DismissIn(ClientMessage):
    """Staff: question `seq` needs no answer (it leaves the pending queue)."""

    type: Literal["dismiss"]
    seq: int = Field(ge=1)
    cid: Cid | None = None


@dataclass(slots=True, kw_only=True)
class Dismissed(RoomMessage):
    """Question `question_seq` was dismissed by `by` (host consoles move it out of 待回复)."""

    type: Literal["dismissed"] = "dismissed"
    question_seq: int
    by: str


@dataclass(slots=True, kw_only=True)
class QuestionMessage(ServerMessage):
    """A question for the host console (staff only)."""

    type: Literal["question"] = "question"
    question: Question

    def wire(self) -> dict[str, Any]:
        return {"type": "question", **self.question.to_wire()}


@dataclass(slots=True, kw_only=True)
class Answered(ServerMessage):
    """A question was answered by a host reply (staff only)."""

    type: Literal["answered"] = "answered"
    seq: int
    reply_seq: int
    by: str


@dataclass(slots=True)
class Annotation:
    """An annotator's reading of a comment: `ai` goes on the question; `then` runs once it is posted."""

    ai: dict[str, object]
    then: Callable[[], None] | None = None


Annotator = Callable[[Event[CommentPosted]], Annotation | None]


class Questions(Feature):
    name = "questions"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.board = QuestionBoard()
        self.annotators: list[Annotator] = []

    def staff_snapshot(self) -> dict[str, Any]:
        return {"items": self.board.snapshot(), "pending": self.board.pending()}

    @handles(DismissIn)
    def dismiss(self, m: Member, msg: DismissIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以忽略提问"))
            return
        q = self.board.items.get(msg.seq)
        if q is None:
            m.send(wire.reject(msg.cid, ErrorCode.UNKNOWN_COMMENT, f"找不到提问 seq={msg.seq}"))
            return
        event = self.room.event_for(m, QuestionDismissed(msg.seq, m.nickname))
        self.room.record(m, msg.cid, event, Dismissed(question_seq=msg.seq, by=m.nickname), Priority.NORMAL)

    @follows(QuestionDismissed)
    def _dismissed(self, event: Event[QuestionDismissed]) -> None:
        self.board.dismiss(event.payload.seq, event.payload.nickname)

    @follows(CommentPosted)
    def _comment(self, event: Event[CommentPosted]) -> None:
        p = event.payload
        assert event.seq is not None and event.user_id is not None
        note = None
        for annotate in self.annotators:
            note = annotate(event)
            if note is not None:
                break
        if not p.question and note is None:
            return
        user = UserRef(event.user_id, p.nickname, p.level, p.role)
        q = Question(seq=event.seq, ts=event.ts, user=user, text=p.text, ai=note.ai if note else None)
        self.board.add(q)
        self.room.to_staff(QuestionMessage(question=q))
        if note is not None and note.then is not None:
            note.then()

    def answer(self, seq: int, reply_seq: int, by: str) -> bool:
        """Mark question `seq` answered by reply `reply_seq`; tell the staff. False if not on the board."""
        if self.board.answer(seq, reply_seq, by) is None:
            return False
        self.room.to_staff(Answered(seq=seq, reply_seq=reply_seq, by=by))
        return True

    @follows(HostReplied)
    def _reply(self, event: Event[HostReplied]) -> None:
        assert event.seq is not None
        self.answer(event.payload.to_seq, event.seq, event.payload.nickname)
