"""Text folding for moderation: NFKC, lower case, only letters and digits kept, with a map back to the
original positions, so "加-微-信" and "ｖｘ" are caught and the original spans can be masked.

The link view also keeps ``.:/`` (and reads 点/。 as a dot), so "abc点com" is a link.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MASK", "Folded", "fold", "mask_spans", "normalize", "original_span"]

MASK = "＊"

_DOTS = frozenset(".。｡．点點·・•∙")
_FOLD_CACHE_MAX = 1 << 16
_fold_cache: dict[str, tuple[str, str]] = {}


def _fold_char(ch: str) -> tuple[str, str]:
    """One character as (its normalised form, its form in the link view, which keeps dots, ':' and '/')."""
    norm: list[str] = []
    link: list[str] = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        keep = unicodedata.category(c)[0] in "LN"
        if keep:
            norm.append(c)
        if c in _DOTS:
            link.append(".")  # "abc点com", "abc。com"
        elif keep or c in ":/":
            link.append(c)
    return "".join(norm), "".join(link)


@dataclass(frozen=True, slots=True)
class Folded:
    norm: str
    nmap: list[int]
    link: str
    lmap: list[int]


def fold(text: str) -> Folded:
    norm: list[str] = []
    nmap: list[int] = []
    link: list[str] = []
    lmap: list[int] = []
    cache = _fold_cache
    for i, ch in enumerate(text):
        pieces = cache.get(ch)
        if pieces is None:
            pieces = _fold_char(ch)
            if len(cache) < _FOLD_CACHE_MAX:
                cache[ch] = pieces
        n, lk = pieces
        if n == ch and lk == ch:  # the common case (CJK, digits, lower-case latin): no list churn
            norm.append(ch)
            nmap.append(i)
            link.append(ch)
            lmap.append(i)
            continue
        if n:
            norm.append(n)
            nmap.extend([i] * len(n))
        if lk:
            link.append(lk)
            lmap.extend([i] * len(lk))
    return Folded("".join(norm), nmap, "".join(link), lmap)


def normalize(text: str) -> tuple[str, list[int]]:
    """NFKC, lower case, only letters and digits kept; `index[i]` is the original position of char i."""
    folded = fold(text)
    return folded.norm, folded.nmap


def original_span(index: list[int], start: int, end: int) -> tuple[int, int]:
    """(start, end) in the original text of the folded characters start..end."""
    return index[start], index[end - 1] + 1


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars)
