"""Question detection for Chinese (and simple English) live-room comments.

A comment is a question when it ends with a question mark, carries a question particle at its end
(吗/呢/么/嘛), or contains an interrogative (几/多少/有没有/能不能/什么/哪/怎么...). A short list of
exclamatory idioms that contain interrogatives ("没什么", "怎么这么好看") is excluded.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

_ENDS_QMARK = re.compile(r"[?？]\s*$")
_FINAL_PARTICLE = re.compile(r"(吗|呢|么|嘛|不)[~～。.!！\s]*$")
# A-not-A questions (厚不厚, 掉不掉色, 有没有, 穿没穿) and two-character ones (可不可以).
_A_NOT_A = re.compile(r"(\w)[不没]\1|可不可以|合不合适|喜不喜欢|舒不舒服|方不方便")
# An alternative question: "修身还是宽松".
_ALTERNATIVE = re.compile(r"\w还是\w")
# 几 counts only as "how many", not in 好几 / 这几 / 十几 ("several", "these").
_INTERROGATIVE = re.compile(
    r"((?<![好这那十没])几[号码件天点个斤岁寸米位种款]|多少|多大|多高|多重|多长|多久|什么|啥|哪|怎么|咋|谁"
    r"|为什么|为啥|如何|有吗|能吗|可以吗)"
)
_EXCLAMATIONS = re.compile(r"(没什么|不怎么样|怎么这么|怎么那么|什么都好|哪里哪里|多少有点|怎么\w*都|不不)")
_ENGLISH = re.compile(r"^(how|what|when|where|which|who|why|is|are|do|does|can|could|will)\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    t = text.strip()
    if not t:
        return False
    if _ENDS_QMARK.search(t):
        return True
    if _EXCLAMATIONS.search(t):
        return False
    if _A_NOT_A.search(t) or _ALTERNATIVE.search(t) or _INTERROGATIVE.search(t):
        return True
    if _FINAL_PARTICLE.search(t):
        return True
    return bool(_ENGLISH.match(t))


@dataclass(slots=True)
class Question:
    seq: int
    ts: int
    user: dict[str, object]
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
