"""The room's question board: viewers' questions in arrival order, answered or not.

Which comments are questions is decided by :func:`siyu.zh.is_question`.
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

    def to_wire(self) -> dict[str, object]:
        return {
            **(self.ai or {}),
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

    def snapshot(self) -> list[dict[str, object]]:
        return [q.to_wire() for q in self.items.values()]
