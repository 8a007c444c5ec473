"""Size spellings and SKU keys: THE size normaliser, and ``颜色/尺码`` keys.

:func:`canonical_size` is the one way siyu spells a size: the slot extractor, the recommender and the LLM
grounding guard all compare sizes through it (``xl`` = ``XL``, ``2XL`` = ``XXL``, ``xxxl`` = ``3XL``,
``28码`` = ``28``, ``均码`` = ``均碼`` = ``F`` = ``free size``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LETTER_ORDER", "ONE_SIZE", "SKU_SEP", "canonical_size", "sku_key", "split_sku"]

ONE_SIZE = "均码"
SKU_SEP = "/"
LETTER_ORDER = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL", "5XL")
"""Letter sizes from small to large, as canonical_size spells them."""

_ONE_SIZE_ALIASES = frozenset({ONE_SIZE, "均", "均号", "F", "FREE", "FREESIZE", "ONESIZE", "统一尺码"})
_LETTERS = re.compile(r"(X*)([SML])")
_NUMBERED_X = re.compile(r"([2-9])X([SL])")


def canonical_size(text: str) -> str:
    """One spelling per size: ``xl`` -> ``XL``, ``2xl``/``xxl`` -> ``XXL``, ``xxxl``/``3xl`` -> ``3XL``,
    ``xxxxl`` -> ``4XL``, ``28码`` -> ``28``, ``均码``/``F``/``free size`` -> ``均码``.

    Full-width letters and spaces do not matter (``ｘ ｌ`` -> ``XL``); anything else is upper-cased as is.
    """
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
    if t in _ONE_SIZE_ALIASES:
        return ONE_SIZE
    t = t.removesuffix("码").removesuffix("碼")
    if t in _ONE_SIZE_ALIASES:
        return ONE_SIZE
    m = _NUMBERED_X.fullmatch(t)
    if m:  # 2XL -> XXL, 3XL, 4XL ...; 2XS -> XXS
        n = int(m.group(1))
        return "X" * n + m.group(2) if n == 2 else f"{n}X{m.group(2)}"
    m = _LETTERS.fullmatch(t)
    if m and len(m.group(1)) > 2:  # XXXL -> 3XL
        return f"{len(m.group(1))}X{m.group(2)}"
    return t


def sku_key(color: str, size: str) -> str:
    """The stock key of one colour + size: ``碎花蓝/XL``."""
    return f"{color}{SKU_SEP}{size}"


def split_sku(key: str) -> tuple[str, str]:
    """``碎花蓝/XL`` -> (``碎花蓝``, ``XL``)."""
    color, _, size = key.partition(SKU_SEP)
    return color, size
