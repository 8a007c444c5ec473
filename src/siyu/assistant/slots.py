"""Slot extraction from a viewer's comment: link number, size, colour, height, weight, quantity, region.

Chinese numerals are converted with :func:`siyu.zh.cn_to_arabic` (cn2an: ``一百斤`` -> ``100斤``) once
heights such as ``一米六五`` have become ``165cm``; the rules here only decide what a number *means* (a link
number, a height, a weight, a jeans size). Sizes are spelled by :func:`siyu.catalog.canonical_size`.

Heights are returned in cm, weights in 斤 (kg and 公斤 are doubled). Two bare numbers such as ``166 112``
are told apart by range: a height is 140-210 cm, a weight 70-250 斤 (or 35-69, read as kg).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from siyu.assistant.vocab import GENERIC_COLORS, REGION_OF, REGION_RE, REMOTE_WORDS
from siyu.catalog import ONE_SIZE, canonical_size
from siyu.zh import CN_DIGITS, cn_int, cn_to_arabic, normalize

__all__ = ["BIGGEST", "SlotExtractor", "Slots", "numerals_to_digits"]

# Single colour characters count only in a colour-like context, so that 红包, 粉丝团, 小黄车, 白菜价 do not.
_SINGLE_COLOR = re.compile(
    r"(?<![小网大显])([黑白红粉蓝绿黄紫灰棕橙杏驼])(?=的|款|系|[a-zA-Z0-9]|码|还|有|吗|呢|么|嘛"
    r"|[\s,，。?？!！~～]|$)"
)

# "除了黑白还有什么颜色": the colours after 除了 are left out, not asked for.
_EXCEPT = re.compile(r"除了(.{1,12}?)(?=以外|之外|外|还|也|别的|其他|其它|[,，\s]|有|$)")
_COLOR_CHARS = "黑白红粉蓝绿黄紫灰棕橙杏驼"

# --------------------------------------------------------------------------------------------------
# numbers

# 一米六五 / 1米65 / 米六五 / 一米7: the part after 米 is decimal digits of the metre.
_HEIGHT_METRE = re.compile(rf"(?<![\d.])(?:([一二两12])\s*)?米([{CN_DIGITS}]{{1,2}}|\d{{1,2}})(?![\d])")
_HEIGHT_DOTTED = re.compile(r"(?<![\d.])([12])\.(\d{1,2})(?![\d.])\s*(m|米)?", re.IGNORECASE)

_ORDER_NO = re.compile(r"\d{8,}")
_LINK_PATTERNS = (
    re.compile(r"(\d{1,3})\s*号?\s*链接"),
    re.compile(r"链接\s*(?:号\s*)?(\d{1,3})"),
    re.compile(r"小黄车\s*(?:里|上)?\s*(?:的)?\s*(?:第\s*)?(\d{1,3})"),
    re.compile(r"第\s*(\d{1,3})\s*(?:个|号)"),
    re.compile(r"(\d{1,3})\s*号\s*(?:宝贝|商品|款|衣服|裙子|裤子|外套|的(?=价|面|颜|尺|库))"),
)
_BARE_HAO = re.compile(r"(?<![\d.])(\d{1,3})\s*号(?!\s*码)")
_HEIGHT_UNIT = re.compile(r"(?<![\d.])(\d{3})\s*(?:cm|厘米|公分)", re.IGNORECASE)
_HEIGHT_WORD = re.compile(r"(?:身高|个子|高)\s*(?:是|有|:|：)?\s*(\d{3})(?![\d.])")
_WEIGHT_JIN = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*斤")
_WEIGHT_KG = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:kg|公斤|千克|KG|Kg)", re.IGNORECASE)
_WEIGHT_WORD = re.compile(r"(?:体重|重)\s*(?:是|有|:|：)?\s*(\d{2,3}(?:\.\d)?)(?![\d.])")
_NUM_SIZE = re.compile(r"(?<![\d.])(\d{2})\s*(?:码|号码|号|的|腰)")
_QUANTITY = re.compile(r"(?<![\d.])(\d{1,2}|两|俩)\s*(?:件|个|条|套|单)")
_BARE_NUMBER = re.compile(r"(?<![\d.])(\d{2,3})(?![\d.])")
_BODY_PAIR = re.compile(r"(?<![\d.])(\d{2,3})\s*[\s/,，、\\+]\s*(\d{2,3})(?![\d.])")
_BODY_CUE = re.compile(r"穿|码|合适|尺码|身高|体重|个子|斤|kg|公斤|胖|瘦|高|重", re.IGNORECASE)

# --------------------------------------------------------------------------------------------------
# sizes

_LETTER_SIZE = re.compile(r"(?<![a-z])(xxxxl|xxxl|xxl|xl|xs|[2-5]\s*xl|s|m|l)(?![a-z])", re.IGNORECASE)
_ONE_SIZE_RE = re.compile(r"均码|均号|one\s*size|free\s*size|统一尺码", re.IGNORECASE)
_WORD_SIZE = {"小码": "S", "中码": "M"}
BIGGEST = "加大"  # "加大码/特大码/大码": larger than the usual range
_BIGGEST_RE = re.compile(r"加大码|特大码|加大号|大码|加肥|最大码|最大的码")
# Hei/wei words that look like sizes inside units.
_UNIT_LETTERS = re.compile(r"\d(?:cm|kg|m)(?![a-z])", re.IGNORECASE)


def numerals_to_digits(text: str) -> str:
    """Chinese numerals -> Arabic (`siyu.zh.cn_to_arabic`); heights like 一米六五 become ``165cm`` first."""

    def metre(m: re.Match[str]) -> str:
        metres = cn_int(m.group(1)) if m.group(1) else 1
        if metres not in (1, 2):
            return m.group(0)
        digits = m.group(2)
        cm = cn_int(digits) if len(digits) == 2 else cn_int(digits) * 10
        return f" {metres * 100 + cm}cm "

    return cn_to_arabic(_HEIGHT_METRE.sub(metre, text))


# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Slots:
    link_nos: list[int] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)  # canonical: S M L XL XXL 3XL 28 均码 加大
    colors: list[str] = field(default_factory=list)  # colour phrases as written (without a trailing 的)
    except_colors: list[str] = field(default_factory=list)  # 除了黑白…: colours the viewer leaves out
    height_cm: int | None = None
    weight_jin: float | None = None
    numbers: list[int] = field(default_factory=list)  # bare 2-digit numbers left over (maybe a jeans size)
    quantity: int | None = None
    regions: list[str] = field(default_factory=list)  # province-level names, or 偏远地区
    order_no: str | None = None

    @property
    def link_no(self) -> int | None:
        return self.link_nos[0] if self.link_nos else None

    @property
    def size(self) -> str | None:
        return self.sizes[0] if self.sizes else None

    @property
    def color(self) -> str | None:
        return self.colors[0] if self.colors else None


class SlotExtractor:
    """Extracts slots; knows the catalog's colours and link numbers."""

    def __init__(self, colors: Iterable[str] = (), link_numbers: Iterable[int] = ()) -> None:
        vocab = set(GENERIC_COLORS) | {c for c in colors if c}
        self.link_numbers = frozenset(link_numbers)
        self._color_re = re.compile("|".join(re.escape(c) for c in sorted(vocab, key=len, reverse=True)))

    def extract(self, text: str) -> Slots:
        raw = normalize(text)
        slots = Slots()
        self._colors(raw, slots)
        self._regions(raw, slots)
        t = numerals_to_digits(raw)
        t = self._order_and_links(t, slots)
        t = self._body(t, slots)
        self._sizes(t, raw, slots)
        self._quantity(t, slots)
        return slots

    # -- pieces ------------------------------------------------------------------------------------

    def _colors(self, raw: str, slots: Slots) -> None:
        spans: list[tuple[int, int]] = []
        excluded = [m.span(1) for m in _EXCEPT.finditer(raw)]

        def put(phrase: str, at: int) -> None:
            if any(a <= at < b for a, b in excluded):
                if phrase not in slots.except_colors:
                    slots.except_colors.append(phrase)
            else:
                slots.colors.append(phrase)

        for m in self._color_re.finditer(raw):
            put(m.group(0), m.start())
            spans.append(m.span())
        for m in _SINGLE_COLOR.finditer(raw):
            if not any(a <= m.start() < b for a, b in spans):
                put(m.group(1), m.start())
        for a, b in excluded:  # 黑白 / 黑灰: bare colour characters side by side
            for i in range(a, b):
                if raw[i] in _COLOR_CHARS and not any(x <= i < y for x, y in spans):
                    put(raw[i], i)

    def _regions(self, raw: str, slots: Slots) -> None:
        for m in REGION_RE.finditer(raw):
            region = "偏远地区" if m.group(0) in REMOTE_WORDS else REGION_OF[m.group(0)]
            if region not in slots.regions:
                slots.regions.append(region)

    def _order_and_links(self, t: str, slots: Slots) -> str:
        m = _ORDER_NO.search(t)
        if m:
            slots.order_no = m.group(0)
            t = t[: m.start()] + " " + t[m.end() :]

        def take(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if n not in slots.link_nos:
                slots.link_nos.append(n)
            return " " * len(m.group(0))

        for pattern in _LINK_PATTERNS:
            t = pattern.sub(take, t)

        def bare(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if n in self.link_numbers:
                return take(m)
            return m.group(0)

        return _BARE_HAO.sub(bare, t)

    def _body(self, t: str, slots: Slots) -> str:
        def blank(span: tuple[int, int]) -> None:
            nonlocal t
            t = t[: span[0]] + " " * (span[1] - span[0]) + t[span[1] :]

        for pattern in (_HEIGHT_UNIT, _HEIGHT_WORD):
            for m in pattern.finditer(t):
                value = int(m.group(1))
                if 100 <= value <= 230 and slots.height_cm is None:
                    slots.height_cm = value
                    blank(m.span())
        for pattern, factor in ((_WEIGHT_JIN, 1), (_WEIGHT_KG, 2)):
            for m in pattern.finditer(t):
                if slots.weight_jin is None:
                    slots.weight_jin = _weight(float(m.group(1)) * factor)
                    blank(m.span())
        dotted = _HEIGHT_DOTTED.search(t)
        if dotted and slots.height_cm is None:
            decimals = dotted.group(2)
            cm = int(dotted.group(1)) * 100 + int(decimals) * (10 if len(decimals) == 1 else 1)
            if 130 <= cm <= 220:
                slots.height_cm = cm
                blank(dotted.span())
        for m in _WEIGHT_WORD.finditer(t):
            if slots.weight_jin is None:
                number = float(m.group(1))
                slots.weight_jin = _weight(number * 2 if number < 70 else number)
                blank(m.span())
        # Bare numbers: a pair "166 112" / "165/55", or single numbers next to body cues.
        pair = _BODY_PAIR.search(t)
        candidates: list[tuple[int, tuple[int, int]]] = []
        if pair:
            candidates = [(int(pair.group(1)), pair.span(1)), (int(pair.group(2)), pair.span(2))]
        elif slots.height_cm is not None or slots.weight_jin is not None or _BODY_CUE.search(t):
            candidates = [(int(m.group(1)), m.span(1)) for m in _BARE_NUMBER.finditer(t)]
            # "28的" / "28码" are sizes, not body numbers
            candidates = [(v, s) for v, s in candidates if not _NUM_SIZE.match(t, s[0])]
        if slots.height_cm is None:
            for value, span in candidates:
                if 140 <= value <= 210:
                    slots.height_cm = value
                    blank(span)
                    candidates = [c for c in candidates if c[1] != span]
                    break
        if slots.weight_jin is None:
            for value, span in candidates:
                if 70 <= value <= 250:
                    slots.weight_jin = value
                elif 35 <= value < 70 and (slots.height_cm is not None or pair):
                    slots.weight_jin = value * 2
                else:
                    continue
                blank(span)
                break
        return t

    def _sizes(self, t: str, raw: str, slots: Slots) -> None:
        def add(size: str) -> None:
            if size not in slots.sizes:
                slots.sizes.append(size)

        if _ONE_SIZE_RE.search(raw):
            add(ONE_SIZE)
        for word, size in _WORD_SIZE.items():
            if word in raw:
                add(size)
        if _BIGGEST_RE.search(raw):
            add(BIGGEST)
        letters = _UNIT_LETTERS.sub(" ", t)
        for m in _LETTER_SIZE.finditer(letters):
            add(canonical_size(m.group(1)))
        for m in _NUM_SIZE.finditer(t):
            value = int(m.group(1))
            if 23 <= value <= 44 and value not in slots.link_nos:
                add(str(value))
        for m in _BARE_NUMBER.finditer(t):
            value = int(m.group(1))
            if 10 <= value <= 99 and str(value) not in slots.sizes:
                slots.numbers.append(value)

    def _quantity(self, t: str, slots: Slots) -> None:
        m = _QUANTITY.search(t)
        if m:
            word = m.group(1)
            slots.quantity = int(word) if word.isdigit() else 2  # 两 / 俩


def _weight(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 1)
