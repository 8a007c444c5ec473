"""The grounding guard: a model reply may only state numbers and sizes that a tool result or a known fact
contains (docs/architecture.md, "AI assistant").

Numbers are compared by value (159 = 159.0 = 一百五十九, :func:`siyu.zh.cn_int`), sizes by
:func:`siyu.catalog.canonical_size` (XXL = 2XL, 均码).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from siyu.catalog import canonical_size
from siyu.zh import cn_int

__all__ = ["grounded", "ungrounded"]

# letter sizes (S, M, XL, XXL, 2XL, 3XL, XS...) not glued to other Latin letters or digits
_LETTER_SIZE = re.compile(r"(?<![A-Za-z0-9])([2-6]XL|X{1,4}L|X{1,3}S|[SML])(?![A-Za-z])", re.IGNORECASE)
_ONE_SIZE = re.compile(r"均码|均碼")
_ARABIC = re.compile(r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?")
# Chinese numerals count when a unit that carries a fact follows (price, quantity, size, body, time):
# 三件, 一百五十九元, 两天; not 一起, 十分, 百搭, 一款 (which are not facts)
_CHINESE = re.compile(
    r"([零〇一二两三四五六七八九十百千万]+)(?=元|块|件|单|份|套|条|码|號|号|斤|公斤|天|小时|分钟|折|厘米|米"
    r"|cm)"
)


def _canonical_number(raw: str) -> str | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.normalize())


def _tokens(text: str) -> dict[str, str]:
    """Fact-bearing tokens of `text`: canonical key → how it was written (first occurrence)."""
    found: dict[str, str] = {}
    text = unicodedata.normalize("NFKC", text)

    def size(m: re.Match[str]) -> str:
        found.setdefault("size:" + canonical_size(m.group(1)), m.group(1))
        return " "

    def one_size(m: re.Match[str]) -> str:
        found.setdefault("size:" + canonical_size(m.group(0)), m.group(0))
        return " "

    text = _LETTER_SIZE.sub(size, text)  # before the numbers: the 3 of 3XL is not a number
    text = _ONE_SIZE.sub(one_size, text)
    for m in _ARABIC.finditer(text):
        number = _canonical_number(m.group(0))
        if number is not None:
            found.setdefault("num:" + number, m.group(0))
    for m in _CHINESE.finditer(text):
        found.setdefault(f"num:{cn_int(m.group(1))}", m.group(1))
    return found


def ungrounded(text: str, facts: Iterable[str]) -> list[str]:
    """The numbers and sizes of `text` found in none of `facts`, as written in `text` (empty: grounded)."""
    known: set[str] = set()
    for fact in facts:
        known.update(_tokens(fact))
    return [written for key, written in _tokens(text).items() if key not in known]


def grounded(text: str, facts: Iterable[str]) -> bool:
    """Whether every number (159, 159元, 1.5, 三件) and size (M, XXL = 2XL, 3XL, 26码, 均码) of the model's
    `text` appears in `facts` (tool results as JSON text, and fact strings the caller knows to be true).

    Token-level: it stops invented prices, stock counts and sizes, not a wrong pairing of true facts (an
    L size with the M stock). Numbers the viewer gave (height, weight) count only if passed as facts.
    """
    return not ungrounded(text, facts)
