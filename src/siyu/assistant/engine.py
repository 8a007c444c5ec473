"""The assistant: ``Assistant(catalog).ask(text, current_product) -> Answer``.

Pure, synchronous and in-process: a question costs well under a millisecond (no I/O). Stock changes made
on the catalog (``catalog.adjust``) show in the next answer.

Two questions in one comment ("多少钱 有xl吗", "包邮吗？几天发货") are answered both, in order: the comment is
cut into clauses that are each a question, and when they ask different things each gets its answer (the
first one gives the intent and product).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siyu.assistant.answers import Composer, Reply
from siyu.assistant.nlu import Parse, Understander
from siyu.catalog import Catalog
from siyu.zh import is_question

DEFAULT_THRESHOLD = 0.5
_CLAUSE_CUT = re.compile(r"[\s,，。;；?？!！~～]+")


def clauses(text: str) -> list[str]:
    """The questions of a comment: pieces between separators, joined until each asks something; a trailing
    piece that asks nothing ("急用") stays with the question before it."""
    out: list[str] = []
    chunk = ""
    for piece in _CLAUSE_CUT.split(text.strip()):
        if not piece:
            continue
        chunk = f"{chunk} {piece}".strip()
        if is_question(chunk):
            out.append(chunk)
            chunk = ""
    if chunk:
        if out:
            out[-1] = f"{out[-1]} {chunk}"
        else:
            out.append(chunk)
    return out


@dataclass(slots=True, frozen=True)
class Answer:
    intent: str
    product_id: str | None
    answer: str
    handoff: bool  # the question needs a person (orders, complaints, quality problems, bargaining)
    confidence: float  # 0..1
    slots: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # same intent, product and slots -> same key (group viewers asking the same thing)
    suggested: str | None = None  # reply to suggest to the host when handing off or unsure
    needs_host: bool = False  # handoff or below the confidence threshold: host's panel first

    def to_dict(self) -> dict[str, Any]:
        """The scoring shape: ``{"intent", "product_id", "answer", "handoff"}``."""
        return {
            "intent": self.intent,
            "product_id": self.product_id,
            "answer": self.answer,
            "handoff": self.handoff,
        }


def group_key(intent: str, product_id: str | None, slots: dict[str, Any]) -> str:
    parts = [intent, product_id or "-"]
    for name in ("color", "size", "height_cm", "weight_jin", "region", "quantity", "basket", "aspect"):
        value = slots.get(name)
        if value is not None and value != "":
            parts.append(str(value))
    return "|".join(parts)


class Assistant:
    """Answers viewers' questions about one room's catalog."""

    def __init__(self, catalog: Catalog, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.catalog = catalog
        self.threshold = threshold
        self.nlu = Understander(catalog)
        self.composer = Composer(catalog, self.nlu)
        # warm-up: compiles the regexes of jieba/cn2an/rapidfuzz paths once, so the first viewer does not pay
        for text in ("一米六五 一百斤穿什么码", "3号链接卡其色XL还有吗", "那条裙子用券后多少钱"):
            self.composer.compose(self.nlu.parse(text, None))

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Assistant:
        return cls(Catalog.load(path), **kwargs)

    def parse(self, text: str, current_product: str | None = None) -> Parse:
        return self.nlu.parse(text, current_product)

    def ask(self, text: str, current_product: str | None = None) -> Answer:
        if not text or not text.strip():
            return Answer("chitchat", None, "", False, 0.0, {}, "chitchat|-|empty", None, True)
        parse = self.nlu.parse(text, current_product)
        reply = self.composer.compose(parse)
        parts = self._several(text, parse, current_product)
        if parts:
            parse = parts[0][0]
            reply = Reply(
                "".join(r.text for _, r in parts),
                min(r.confidence for _, r in parts),
                {k: v for _, r in reversed(parts) for k, v in r.slots.items()},
            )
        confidence = round(max(0.0, min(1.0, parse.confidence * reply.confidence)), 3)
        slots: dict[str, Any] = {}
        if parse.slots.link_nos:
            slots["link_no"] = parse.slots.link_nos[0]
        slots.update(reply.slots)
        handoff = parse.intent == "handoff"
        needs_host = handoff or confidence < self.threshold
        return Answer(
            intent=parse.intent,
            product_id=parse.product_id,
            answer=reply.text,
            handoff=handoff,
            confidence=confidence,
            slots=slots,
            key=group_key(parse.intent, parse.product_id, {k: v for k, v in slots.items() if k != "link_no"}),
            suggested=reply.text if needs_host else None,
            needs_host=needs_host,
        )

    def _several(self, text: str, whole: Parse, current: str | None) -> list[tuple[Parse, Reply]]:
        """Each question of a comment that asks two different things, with its reply; [] otherwise."""
        pieces = clauses(text)
        if len(pieces) < 2:
            return []
        context = whole.product_id or current
        parses = [self.nlu.parse(piece, context) for piece in pieces]
        intents = [p.intent for p in parses]
        unsure = min(p.confidence for p in parses) < 0.5
        if "chitchat" in intents or len(set(intents)) < len(intents) or unsure:
            return []
        return [(p, self.composer.compose(p)) for p in parses]
