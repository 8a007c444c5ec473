"""The host's question panel: every question of the room, in every host console on every node.

It follows the room stream: a comment that is a question (or that an annotator, such as the assistant,
claims) becomes a `question` for the staff; a host reply marks it answered. Annotators add their reading
(intent, suggested reply …) and may act once the question is on the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from siyu.events import CommentPosted, Event, HostReplied
from siyu.realtime.protocol import ServerMessage, UserRef
from siyu.rooms.feature import Feature, follows
from siyu.rooms.questions import Question, QuestionBoard


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
        return {"items": self.board.snapshot()}

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
