"""What every answer template shares: the reply, size labels, colour matching, which size was asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from siyu.assistant.nlu import Parse
from siyu.assistant.slots import BIGGEST
from siyu.catalog import ONE_SIZE, Product, money

__all__ = [
    "HANDOFF_WORDS",
    "Reply",
    "SizeAsk",
    "color_word",
    "colors_in",
    "join",
    "match_colors",
    "one_size_range",
    "resolve_size",
    "size_label",
]

HANDOFF_WORDS = ("客服", "人工", "售后", "小助理", "私信")


@dataclass(slots=True)
class Reply:
    text: str
    confidence: float = 1.0  # multiplied into the parse confidence
    slots: dict[str, Any] = field(default_factory=dict)  # resolved slots (catalog spellings)


def size_label(size: str) -> str:
    """``28`` -> ``28码``, ``XL`` -> ``XL码``, ``均码`` -> ``均码``."""
    return size if size == ONE_SIZE or size.endswith("码") else f"{size}码"


def join(items: Sequence[str]) -> str:
    return "、".join(items)


def color_word(phrase: str) -> str:
    return phrase + "色" if len(phrase) == 1 else phrase


def match_colors(product: Product, phrase: str) -> list[str]:
    """The product colours a colour phrase means: 黑 -> 黑色, 蓝 -> 浅蓝色+深蓝色, 雾蓝 -> 雾蓝色."""
    if phrase in product.colors:
        return [phrase]
    base = phrase.removesuffix("色")
    same = [c for c in product.colors if c.removesuffix("色") == base]
    if same:
        return same
    if base:
        inside = [c for c in product.colors if base in c]
        if inside:
            return inside
        contained = [c for c in product.colors if c.removesuffix("色") and c.removesuffix("色") in base]
        if contained:
            return contained
    hit = process.extractOne(phrase, product.colors, scorer=fuzz.ratio, score_cutoff=75)
    return [str(hit[0])] if hit is not None else []


@dataclass(slots=True)
class SizeAsk:
    size: str | None  # the catalog size meant, if the product makes it
    asked: str | None  # what the viewer asked for (canonical)
    state: str  # none / ok / missing / one_size / bigger


def resolve_size(product: Product, parse: Parse) -> SizeAsk:
    slots = parse.slots
    asked = slots.size
    if asked is None:
        numeric = [s for s in product.sizes if s.isdigit()]
        for n in slots.numbers:
            if str(n) in numeric:
                return SizeAsk(str(n), str(n), "ok")
        return SizeAsk(None, None, "none")
    if asked == BIGGEST:
        return SizeAsk(product.sizes[-1], asked, "bigger")
    if asked in product.sizes:
        return SizeAsk(asked, asked, "ok")
    if product.one_size:
        return SizeAsk(ONE_SIZE, asked, "one_size")
    if asked == ONE_SIZE:
        return SizeAsk(None, asked, "missing")
    return SizeAsk(None, asked, "missing")


def colors_in(product: Product, parse: Parse) -> tuple[list[str], list[str]]:
    """(the product colours the comment's colour phrases mean, the phrases that match none)."""
    matched: list[str] = []
    unknown: list[str] = []
    for phrase in parse.slots.colors:
        hits = match_colors(product, phrase)
        if hits:
            matched += [c for c in hits if c not in matched]
        else:
            unknown.append(phrase)
    return matched, unknown


def one_size_range(product: Product) -> str:
    """Who a 均码 item fits, from its one size-chart row ("" without a chart)."""
    if not product.size_chart:
        return ""
    row = product.size_chart[0]
    return (
        f"身高{money(row.height_cm[0])}-{money(row.height_cm[1])}cm、"
        f"体重{money(row.weight_jin[0])}-{money(row.weight_jin[1])}斤都能穿"
    )
