"""Which coupon a comment names ("羽绒服9折券", "牛仔券", "满199减20那张券", "粉丝团券和新人券").

A coupon phrase is the text before a 券 back to the previous separator; it names the catalog coupon with
which it shares the most 2-character pieces (numbers included: 19, 99, 9折), the two characters right
before 券 among them. The phrase is blanked before
products are looked for, so the 羽绒服 of 羽绒服9折券 is not read as the product asked about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from siyu.catalog import Coupon

__all__ = ["CouponFinder"]

_SEPARATOR = re.compile(r"[\s,，。.!！?？、和跟与及还或]")
_FILLER = ("那张", "这张", "那个", "这个", "张", "的")
_WINDOW = 12


def _pieces(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class CouponFinder:
    def __init__(self, coupons: Sequence[Coupon]) -> None:
        self._coupons = [(c.id, _pieces(_key(c))) for c in coupons]

    def find(self, low: str) -> tuple[list[str], list[tuple[int, int]]]:
        """(ids of the coupons named, in order; the spans of those phrases)."""
        found: list[str] = []
        spans: list[tuple[int, int]] = []
        for m in re.finditer("[券卷]", low):
            end = m.end()
            start = end - 1
            while start > 0 and end - start < _WINDOW and not _SEPARATOR.match(low[start - 1]):
                start -= 1
            phrase = low[start : end - 1]
            for filler in _FILLER:
                phrase = phrase.replace(filler, "")
            pieces = _pieces(phrase)
            # the words right before 券 must be the coupon's (羽绒马甲用券 names no coupon)
            hits = [(len(pieces & keys), cid) for cid, keys in self._coupons if phrase[-2:] in keys]
            scored = sorted(hits, reverse=True)
            if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
                continue
            cid = scored[0][1]
            if cid not in found:
                found.append(cid)
            keys = dict(self._coupons)[cid]
            first = next((i for i in range(start, end - 1) if low[i : i + 2] in keys), start)
            spans.append((first, end))
        return found, spans


def _key(c: Coupon) -> str:
    """The words a viewer may call a coupon by: its name, its threshold and amount, its 折."""
    words = [c.name.lower()]
    if c.threshold:
        words.append(f"满{c.threshold:g}")
    if c.amount:
        words.append(f"减{c.amount:g}")
    if c.rate:
        words.append(f"{c.rate * 10:g}折")
    if c.condition:
        words.append(c.condition)
    return "|".join(words)
