"""The room's question board: viewers' questions in arrival order, with their state for the host.

Which comments are questions is decided by :func:`siyu.zh.is_question`. A question's state:

- `pending`: it needs a person (nobody answered it: a hand-off, a question the assistant was unsure of or
  could not answer, or no assistant);
- `auto_answered`: the assistant answered the viewer (the host may still add a reply);
- `answered`: a host (or another staff member) replied;
- `dismissed`: the staff decided it needs no answer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class Question:
    seq: int
    ts: int
    user: object  # a UserRef (encoded by orjson)
    text: str
    answered: bool = False
    reply_seq: int | None = None
    answered_by: str | None = None
    ai: dict[str, object] | None = None  # the assistant's reading: intent, product, key, suggestion
    dismissed_by: str | None = None

    @property
    def state(self) -> str:
        if self.answered:
            return "answered"
        if self.dismissed_by is not None:
            return "dismissed"
        ai = self.ai or {}
        if ai.get("auto_answered") and not ai.get("handoff"):
            return "auto_answered"
        return "pending"

    def to_wire(self) -> dict[str, object]:
        return {
            **(self.ai or {}),
            "state": self.state,
            "dismissed_by": self.dismissed_by,
            "seq": self.seq,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "answered": self.answered,
            "reply_seq": self.reply_seq,
            "answered_by": self.answered_by,
        }


@dataclass(slots=True)
class QuestionBoard:
    """Open and answered questions of one room in arrival order, bounded (oldest dropped first)."""

    limit: int = 500
    items: OrderedDict[int, Question] = field(default_factory=OrderedDict)

    def add(self, q: Question) -> None:
        self.items[q.seq] = q
        while len(self.items) > self.limit:
            self.items.popitem(last=False)

    def answer(self, seq: int, reply_seq: int, by: str) -> Question | None:
        q = self.items.get(seq)
        if q is not None:
            q.answered, q.reply_seq, q.answered_by = True, reply_seq, by
        return q

    def dismiss(self, seq: int, by: str) -> Question | None:
        q = self.items.get(seq)
        if q is not None and not q.answered:
            q.dismissed_by = by
        return q

    def pending(self) -> int:
        return sum(1 for q in self.items.values() if q.state == "pending")

    def snapshot(self) -> list[dict[str, object]]:
        return [q.to_wire() for q in self.items.values()]
