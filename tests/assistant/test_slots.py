"""Slot extraction: link numbers, sizes, colours, heights, weights (many numeral forms), regions."""

from __future__ import annotations

import pytest

from siyu.assistant.slots import SlotExtractor, numerals_to_digits
from siyu.assistant.vocab import region_in, region_zone
from siyu.catalog import canonical_size
from siyu.zh import normalize

LINKS = frozenset(range(1, 25))
COLORS = ("卡其色", "碎花黑", "雾霾蓝", "米白色", "浅蓝色")
extractor = SlotExtractor(COLORS, LINKS)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("3号链接多少钱", 3),
        ("链接7多少钱", 7),
        ("7号多少钱呀", 7),
        ("小黄车7号有货吗", 7),
        ("小黄车里的12号", 12),
        ("三号链接什么面料", 3),
        ("二十三号还有吗", 23),
        ("第5个链接", 5),
        ("链接二十一多少钱", 21),
        ("10号L码衣长多少", 10),
    ],
)
def test_link_numbers(text: str, link: int) -> None:
    assert extractor.extract(text).link_no == link


def test_no_link_number_without_a_link_form() -> None:
    assert extractor.extract("这件多少钱").link_nos == []
    assert extractor.extract("165 110斤").link_nos == []
    # 28号 is not a link here (the cart has 24 links): a jeans size
    slots = extractor.extract("有28号的吗")
    assert slots.link_nos == [] and slots.sizes == ["28"]


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("黑色L还有吗", "L"),
        ("这件有xl码吗", "XL"),
        ("有s码吗", "S"),
        ("m码还有吗", "M"),
        ("XXL有吗", "XXL"),
        ("2xl还有吗", "XXL"),
        ("xxxl有吗", "3XL"),
        ("3XL还有吗", "3XL"),
        ("有XS吗", "XS"),
        ("均码吗", "均码"),
        ("28码还有吗", "28"),
        ("32的有吗", "32"),
        ("有加大码吗", "加大"),
    ],
)
def test_sizes(text: str, size: str) -> None:
    assert extractor.extract(text).size == size


def test_units_are_not_sizes() -> None:
    assert extractor.extract("164cm 111斤").sizes == []
    assert extractor.extract("1.65m 55kg").sizes == []


@pytest.mark.parametrize(
    ("text", "height", "weight"),
    [
        ("165 110斤穿什么码", 165, 110),
        ("166 112斤", 166, 112),
        ("166 112", 166, 112),
        ("165/55", 165, 110),
        ("110斤 165", 165, 110),
        ("1米65 110斤", 165, 110),
        ("一米六五 一百一十斤", 165, 110),
        ("米六五 110斤", 165, 110),
        ("一米六 九十五斤", 160, 95),
        ("一米五八一百斤", 158, 100),
        ("1.65 110斤", 165, 110),
        ("1.65米 55公斤", 165, 110),
        ("165cm 55kg", 165, 110),
        ("身高165体重110", 165, 110),
        ("体重55 身高163", 163, 110),
        ("身高一米七九体重143斤选多大的", 179, 143),
        ("一米七 62kg 选哪个码", 170, 124),
        ("一米八 一百四十斤", 180, 140),
        ("宝宝164cm 111斤这个拍哪个码", 164, 111),
        ("184 206斤能穿吗", 184, 206),
        ("55公斤 163", 163, 110),
        ("体重一百斤", None, 100),
        ("身高170", 170, None),
    ],
)
def test_height_and_weight(text: str, height: int | None, weight: float | None) -> None:
    slots = extractor.extract(text)
    assert (slots.height_cm, slots.weight_jin) == (height, weight)


def test_numbers_that_are_not_body_measures() -> None:
    for text in ("满199减20", "3号链接多少钱", "原价299直播间159", "满299减40怎么用"):
        slots = extractor.extract(text)
        assert (slots.height_cm, slots.weight_jin) == (None, None), text


def test_chinese_numerals_are_converted_with_cn2an() -> None:
    assert numerals_to_digits("一米六五").strip() == "165cm"
    assert numerals_to_digits("一百斤") == "100斤"
    assert numerals_to_digits("百褶裙多少钱") == "百褶裙多少钱"  # cn2an leaves it alone, no warning


@pytest.mark.parametrize(
    ("text", "colors"),
    [
        ("这个卡其色XXL码还有货吗", ["卡其色"]),
        ("碎花黑m码有木有", ["碎花黑"]),
        ("有咖啡色这个颜色吗", ["咖啡色"]),
        ("黑L还有吗", ["黑"]),
        ("白的有吗", ["白"]),
        ("雾霾蓝还有吗", ["雾霾蓝"]),
        ("有红包吗", []),
        ("粉丝团有什么福利", []),
        ("小黄车7号", []),
        ("网红款吗", []),
    ],
)
def test_colors(text: str, colors: list[str]) -> None:
    assert extractor.extract(text).colors == colors


def test_quantity_order_number_and_regions() -> None:
    assert extractor.extract("买两件券后多少").quantity == 2
    assert extractor.extract("俩件一起多少钱").quantity == 2
    assert extractor.extract("2件一起买").quantity == 2
    assert extractor.extract("订单号6140813192203334696 还没到").order_no == "6140813192203334696"
    assert extractor.extract("内蒙古包邮吗").regions == ["内蒙古"]
    assert extractor.extract("内蒙包邮吗").regions == ["内蒙古"]
    assert extractor.extract("寄到杭州几天").regions == ["浙江"]
    assert extractor.extract("偏远地区包邮吗").regions == ["偏远地区"]


def test_region_zones() -> None:
    zones = ["江浙沪皖", "其他地区", "偏远地区"]
    remote = ["新疆", "西藏", "青海", "内蒙古"]
    assert region_zone("江苏", zones, remote) == "江浙沪皖"
    assert region_zone("安徽", zones, remote) == "江浙沪皖"
    assert region_zone("江西", zones, remote) == "其他地区"
    assert region_zone("广东", zones, remote) == "其他地区"
    assert region_zone("新疆", zones, remote) == "偏远地区"
    assert region_in("香港", ["港澳台", "海外"]) == "港澳台"
    assert region_in("海外", ["港澳台", "海外"]) == "海外"
    assert region_in("广东", ["港澳台", "海外"]) is None


def test_canonical_size_and_normalize() -> None:
    assert [canonical_size(s) for s in ("xl", "2XL", "xxxl", "3xl", "s", "28")] == [
        "XL",
        "XXL",
        "3XL",
        "3XL",
        "S",
        "28",
    ]
    assert normalize("ＸＬ码　还有吗") == "XL码 还有吗"
