"""How real 弹幕 are spelled, brought to one spelling before anything reads them.

- NFKC and whitespace (:func:`siyu.zh.normalize`; it also turns ``🈶`` into ``有``), then the traditional
  characters viewers type (:func:`siyu.zh.to_simplified`: 這款多少錢);
- emoji: variation selectors and the keycap mark go (``6️⃣号`` -> ``6号``), ``💰`` is 钱;
- link numbers written ``21#`` / ``#21`` -> ``21号链接``;
- pinyin initials used as words (``sf`` 顺丰, ``yfx`` 运费险, ``by`` 包邮 …) and frequent typos (多少前,
  包油, 起求, 尺马 …), each a whole-word replacement.
"""

from __future__ import annotations

import re

from siyu.zh import normalize, to_simplified

__all__ = ["PINYIN_INITIALS", "TYPOS", "clean"]

_EMOJI_MARKS = re.compile("[\ufe0e\ufe0f\u20e3\u200d]")
_EMOJI_WORDS = {"💰": "钱", "💴": "钱", "💵": "钱", "❓": "?", "❔": "?"}
_HASH_LINK = re.compile(r"(?<![\d#])(\d{1,3})\s*#|#\s*(\d{1,3})(?![\d#])")

PINYIN_INITIALS: dict[str, str] = {
    "sf": "顺丰",
    "yfx": "运费险",
    "by": "包邮",
    "kf": "客服",
    "zb": "主播",
    "jg": "价格",
    "ys": "颜色",
    "ck": "尺码",
}
"""Pinyin initials that stand for a word (only as a whole ASCII word: ``xl`` is a size, not these)."""
_PINYIN = re.compile(
    r"(?<![a-z])(" + "|".join(sorted(PINYIN_INITIALS, key=len, reverse=True)) + r")(?![a-z])", re.IGNORECASE
)

TYPOS: dict[str, str] = {
    "多少前": "多少钱",
    "包油": "包邮",
    "保邮": "包邮",
    "起求": "起球",
    "尺马": "尺码",
    "有么有": "有没有",
    "有米有": "有没有",
    "运费线": "运费险",
    "运废险": "运费险",
    "颜射": "颜色",
    "几码合适": "穿几码",
}
"""Frequent misspellings (input-method slips) -> the word meant."""
_TYPO = re.compile("|".join(sorted(TYPOS, key=len, reverse=True)))


def clean(text: str) -> str:
    """One spelling of a viewer's comment for the rules (see the module doc)."""
    t = to_simplified(normalize(text))
    t = _EMOJI_MARKS.sub("", t)
    for emoji, word in _EMOJI_WORDS.items():
        t = t.replace(emoji, word)
    t = _HASH_LINK.sub(lambda m: f"{m.group(1) or m.group(2)}号链接", t)
    t = _PINYIN.sub(lambda m: PINYIN_INITIALS[m.group(1).lower()], t)
    return _TYPO.sub(lambda m: TYPOS[m.group(0)], t)
