"""Slot extraction from a viewer's comment: link number, size, colour, height, weight, quantity, region.

Chinese numerals are converted with cn2an (``一米六五`` -> ``1米65``, ``一百斤`` -> ``100斤``); the rules
here only decide what a number *means* (a link number, a height, a weight, a jeans size).

Heights are returned in cm, weights in 斤 (kg and 公斤 are doubled). Two bare numbers such as ``166 112``
are told apart by range: a height is 140-210 cm, a weight 70-250 斤 (or 35-69, read as kg).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import cn2an

# --------------------------------------------------------------------------------------------------
# vocabularies (generic domain words; catalog colours are added per catalog)

# Colour words viewers use. Single characters are only read as colours in a colour-like context (see
# _SINGLE_COLOR) so that 红包, 粉丝团, 小黄车, 白菜价 do not count.
GENERIC_COLORS: tuple[str, ...] = (
    "黑色",
    "白色",
    "红色",
    "粉色",
    "蓝色",
    "绿色",
    "黄色",
    "紫色",
    "灰色",
    "棕色",
    "橙色",
    "杏色",
    "驼色",
    "咖色",
    "咖啡色",
    "卡其色",
    "卡其",
    "咖啡",
    "米色",
    "米白",
    "米白色",
    "奶白",
    "奶白色",
    "乳白色",
    "奶黄",
    "奶黄色",
    "燕麦",
    "燕麦色",
    "酒红",
    "酒红色",
    "大红",
    "大红色",
    "玫红",
    "玫红色",
    "粉红",
    "粉红色",
    "藕粉",
    "藕粉色",
    "雾粉",
    "雾粉色",
    "浅粉",
    "浅粉色",
    "墨绿",
    "墨绿色",
    "军绿",
    "军绿色",
    "橄榄绿",
    "薄荷绿",
    "牛油果绿",
    "浅蓝",
    "浅蓝色",
    "深蓝",
    "深蓝色",
    "天蓝",
    "天蓝色",
    "宝蓝",
    "宝蓝色",
    "藏青",
    "藏青色",
    "藏蓝",
    "藏蓝色",
    "雾霾蓝",
    "雾蓝",
    "雾蓝色",
    "牛仔蓝",
    "浅灰",
    "浅灰色",
    "深灰",
    "深灰色",
    "烟灰",
    "烟灰色",
    "银灰",
    "银灰色",
    "香槟",
    "香槟色",
    "金色",
    "银色",
    "焦糖色",
    "姜黄",
    "姜黄色",
    "芥末黄",
    "柠檬黄",
    "鹅黄",
    "鹅黄色",
    "香芋紫",
    "薰衣草紫",
    "桔色",
    "橘色",
    "纯白",
    "纯黑",
    "碎花",
    "条纹",
    "格子",
    "豆沙色",
    "裸色",
)
_SINGLE_COLOR = re.compile(
    r"(?<![小网大])([黑白红粉蓝绿黄紫灰棕橙杏驼])(?=的|款|系|[a-zA-Z0-9]|码|还|有|吗|呢|么|嘛"
    r"|[\s,，。?？!！~～]|$)"
)

# Where a parcel goes: aliases -> province-level name. The short forms are what viewers type.
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("北京",),
    "天津": ("天津",),
    "上海": ("上海", "魔都"),
    "重庆": ("重庆",),
    "河北": ("河北", "石家庄"),
    "山西": ("山西", "太原"),
    "辽宁": ("辽宁", "沈阳", "大连"),
    "吉林": ("吉林", "长春"),
    "黑龙江": ("黑龙江", "哈尔滨"),
    "江苏": ("江苏", "南京", "苏州", "无锡", "常州"),
    "浙江": ("浙江", "杭州", "宁波", "温州", "绍兴", "义乌"),
    "安徽": ("安徽", "合肥"),
    "福建": ("福建", "福州", "厦门"),
    "江西": ("江西", "南昌"),
    "山东": ("山东", "济南", "青岛"),
    "河南": ("河南", "郑州"),
    "湖北": ("湖北", "武汉"),
    "湖南": ("湖南", "长沙"),
    "广东": ("广东", "广州", "深圳", "东莞", "佛山"),
    "海南": ("海南", "海口", "三亚"),
    "四川": ("四川", "成都"),
    "贵州": ("贵州", "贵阳"),
    "云南": ("云南", "昆明"),
    "陕西": ("陕西", "西安"),
    "甘肃": ("甘肃", "兰州"),
    "青海": ("青海", "西宁"),
    "广西": ("广西", "南宁", "桂林"),
    "内蒙古": ("内蒙古", "内蒙", "呼和浩特", "包头"),
    "西藏": ("西藏", "拉萨"),
    "宁夏": ("宁夏", "银川"),
    "新疆": ("新疆", "乌鲁木齐"),
    "香港": ("香港",),
    "澳门": ("澳门",),
    "台湾": ("台湾",),
    "海外": ("海外", "国外", "外国", "美国", "日本", "韩国", "英国", "澳洲", "加拿大", "新加坡", "马来西亚"),
}
# Standard one-character abbreviations, used to read zone names such as 港澳台 / 江浙沪皖.
PROVINCE_ABBR: dict[str, str] = {
    "北京": "京",
    "天津": "津",
    "上海": "沪",
    "重庆": "渝",
    "河北": "冀",
    "山西": "晋",
    "辽宁": "辽",
    "吉林": "吉",
    "黑龙江": "黑",
    "江苏": "苏",
    "浙江": "浙",
    "安徽": "皖",
    "福建": "闽",
    "江西": "赣",
    "山东": "鲁",
    "河南": "豫",
    "湖北": "鄂",
    "湖南": "湘",
    "广东": "粤",
    "海南": "琼",
    "四川": "川",
    "贵州": "贵",
    "云南": "云",
    "陕西": "陕",
    "甘肃": "甘",
    "青海": "青",
    "广西": "桂",
    "内蒙古": "蒙",
    "西藏": "藏",
    "宁夏": "宁",
    "新疆": "新",
    "香港": "港",
    "澳门": "澳",
    "台湾": "台",
}
# Zone names that are not built from abbreviations.
KNOWN_ZONES: dict[str, frozenset[str]] = {
    "江浙沪": frozenset({"江苏", "浙江", "上海"}),
    "江浙沪皖": frozenset({"江苏", "浙江", "上海", "安徽"}),
    "珠三角": frozenset({"广东"}),
}
REMOTE_WORDS = ("偏远地区", "偏远", "边远")

_REGION_RE = re.compile(
    "|".join(
        sorted(
            {a for aliases in PROVINCES.values() for a in aliases} | set(REMOTE_WORDS), key=len, reverse=True
        )
    )
)
_REGION_OF = {a: p for p, aliases in PROVINCES.items() for a in aliases}

# --------------------------------------------------------------------------------------------------
# numbers

_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUM = "零〇一二两三四五六七八九十百千"
# 一米六五 / 1米65 / 米六五 / 一米7: the part after 米 is decimal digits of the metre.
_HEIGHT_METRE = re.compile(rf"(?<![\d.])(?:([一二两12])\s*)?米([{_CN_DIGIT}]{{1,2}}|\d{{1,2}})(?![\d])")
_HEIGHT_DOTTED = re.compile(r"(?<![\d.])([12])\.(\d{1,2})(?![\d.])\s*(m|米)?", re.IGNORECASE)
_DIGIT_CN_BOUNDARY = re.compile(rf"(?<=\d)(?=[{_CN_NUM}])|(?<=[{_CN_NUM}])(?=\d)")
_HAS_CN_NUM = re.compile(rf"[{_CN_NUM}]")

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
_LETTER_CANON = {
    "xs": "XS",
    "s": "S",
    "m": "M",
    "l": "L",
    "xl": "XL",
    "xxl": "XXL",
    "xxxl": "3XL",
    "xxxxl": "4XL",
}
_ONE_SIZE_RE = re.compile(r"均码|均号|one\s*size|free\s*size|统一尺码", re.IGNORECASE)
_WORD_SIZE = {"小码": "S", "中码": "M"}
BIGGEST = "加大"  # "加大码/特大码/大码": larger than the usual range
_BIGGEST_RE = re.compile(r"加大码|特大码|加大号|大码|加肥|最大码|最大的码")
# Hei/wei words that look like sizes inside units.
_UNIT_LETTERS = re.compile(r"\d(?:cm|kg|m)(?![a-z])", re.IGNORECASE)


def canonical_size(text: str) -> str:
    """``xl`` -> ``XL``, ``2xl`` -> ``XXL``, ``xxxl`` -> ``3XL``, ``28`` -> ``28``."""
    t = re.sub(r"\s+", "", text).lower()
    if t in _LETTER_CANON:
        return _LETTER_CANON[t]
    m = re.fullmatch(r"([2-5])xl", t)
    if m:
        return "XXL" if m.group(1) == "2" else f"{m.group(1)}XL"
    return text.strip().upper()


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width), whitespace collapsed to single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _cn_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    return int(cn2an.cn2an(text, "smart" if re.search("[十百千]", text) else "direct"))


def numerals_to_digits(text: str) -> str:
    """Chinese numerals -> Arabic with cn2an; heights like 一米六五 become ``165cm`` first."""

    def metre(m: re.Match[str]) -> str:
        metres = _cn_int(m.group(1)) if m.group(1) else 1
        if metres not in (1, 2):
            return m.group(0)
        digits = m.group(2)
        cm = _cn_int(digits) if len(digits) == 2 else _cn_int(digits) * 10
        return f" {metres * 100 + cm}cm "

    text = _HEIGHT_METRE.sub(metre, text)
    if not _HAS_CN_NUM.search(text):
        return text
    text = _DIGIT_CN_BOUNDARY.sub(" ", text)
    with warnings.catch_warnings():
        # cn2an warns (and leaves the text alone) on characters such as 百 in 百褶裙.
        warnings.simplefilter("ignore")
        converted: str = cn2an.transform(text, "cn2an")
    return converted


# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Slots:
    link_nos: list[int] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)  # canonical: S M L XL XXL 3XL 28 均码 加大
    colors: list[str] = field(default_factory=list)  # colour phrases as written (without a trailing 的)
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
        for m in self._color_re.finditer(raw):
            slots.colors.append(m.group(0))
            spans.append(m.span())
        for m in _SINGLE_COLOR.finditer(raw):
            if not any(a <= m.start() < b for a, b in spans):
                slots.colors.append(m.group(1))

    def _regions(self, raw: str, slots: Slots) -> None:
        for m in _REGION_RE.finditer(raw):
            region = "偏远地区" if m.group(0) in REMOTE_WORDS else _REGION_OF[m.group(0)]
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
            add("均码")
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
            slots.quantity = int(word) if word.isdigit() else int(cn2an.cn2an("两", "smart"))


def _weight(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 1)


def region_zone(region: str, zones: Iterable[str], remote_areas: Iterable[str]) -> str | None:
    """Which delivery zone key (e.g. ``江浙沪皖``, ``其他地区``, ``偏远地区``) a province falls in."""
    zones = list(zones)
    remote = set(remote_areas)
    if region == "偏远地区" or region in remote:
        return next((z for z in zones if "偏远" in z), None)
    for zone in zones:
        members = KNOWN_ZONES.get(zone)
        if members is not None and region in members:
            return zone
        if members is None and "地区" not in zone:
            abbr = PROVINCE_ABBR.get(region)
            if abbr and abbr in zone:
                return zone
    return next((z for z in zones if "其他" in z), None)


def region_in(region: str, areas: Iterable[str]) -> str | None:
    """The entry of `areas` (e.g. ``["港澳台", "海外"]``) that covers `region`, if any."""
    abbr = PROVINCE_ABBR.get(region)
    for area in areas:
        if area == region or region in area:
            return area
        members = KNOWN_ZONES.get(area)
        if members is not None and region in members:
            return area
        if abbr and members is None and len(area) <= 4 and abbr in area and "地区" not in area:
            return area
    return None
