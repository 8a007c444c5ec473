"""Intent scoring and product resolution (README order: link > name/category > 这件/current > shop-level)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siyu.assistant.nlu import INTENTS, Understander, tokenize
from siyu.catalog import Catalog

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "catalog.json"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "siyu" / "data" / "catalog.json"
CATALOG = SHARED if SHARED.exists() else PACKAGED


@pytest.fixture(scope="module")
def nlu() -> Understander:
    with CATALOG.open(encoding="utf-8") as fh:
        return Understander(Catalog.from_document(json.load(fh)))


@pytest.mark.parametrize(
    ("text", "current", "product"),
    [
        # 1. a link number wins over the product on screen; link numbers are not the id order
        ("5号链接多少钱", "P01", "P02"),
        ("13号有XXL吗", "P13", "P14"),
        ("小黄车4号奶白色M码有吗", "P09", "P08"),
        ("链接十六什么面料", "P02", "P13"),
        # 2. a name, short name, category or a piece of a name
        ("那条高腰牛仔裤多少钱", "P05", "P03"),
        ("过膝长款鹅绒羽绒服多少钱", None, "P09"),
        ("连衣裙什么面料", "P12", "P01"),
        ("摇粒绒那件会起球吗", "P01", "P21"),
        ("男款牛仔裤有33的吗", None, "P17"),
        ("女款卫衣多少钱", "P19", "P05"),
        ("那个轻薄的羽绒服多少钱", "P09", "P08"),
        ("羽绒服多少钱", "P09", "P09"),  # the category covers the product on screen
        ("裙子多少钱", "P14", "P14"),
        # 3. 这件 / nothing named -> the current product
        ("这件多少钱", "P07", "P07"),
        ("什么面料", "P12", "P12"),
        ("有s码吗", "P02", "P02"),
        # a colour only one product makes, when nothing is on screen
        ("雾霾蓝还有吗", None, "P02"),
    ],
)
def test_product_resolution(nlu: Understander, text: str, current: str | None, product: str) -> None:
    assert nlu.parse(text, current).product_id == product


@pytest.mark.parametrize(
    ("text", "current"),
    [
        ("包邮吗", "P16"),
        ("新疆包邮吗", "P05"),
        ("能退吗", "P04"),
        ("运费险有吗", "P04"),
        ("有券吗", "P21"),
        ("券能叠加吗", "P03"),
        ("几点开播", "P10"),
        ("主播好美", "P01"),
        ("我的快递怎么还没到", "P02"),
        ("99号链接多少钱", "P01"),  # not in the cart: no product, never the one on screen
    ],
)
def test_shop_level_questions_have_no_product(nlu: Understander, text: str, current: str | None) -> None:
    assert nlu.parse(text, current).product_id is None


def test_product_specific_shipping_and_coupon_questions_keep_the_product(nlu: Understander) -> None:
    assert nlu.parse("这件是预售吗", "P09").product_id == "P09"
    assert nlu.parse("3号几天发货", None).product_id == "P03"
    assert nlu.parse("这件券后多少", "P04").product_id == "P04"
    assert nlu.parse("到手多少", "P08").product_id == "P08"
    assert nlu.parse("买两件用券多少钱", "P01").product_id == "P01"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("黑色的L码还有没有呀", "stock"),
        ("m码断码了吗", "stock"),
        ("有木有xl", "stock"),
        ("这个还有库存吗 要白色", "stock"),
        ("我一米六 九十五斤 穿哪个码", "size_advice"),
        ("172 65公斤 选啥码", "size_advice"),
        ("身高158体重50kg 能穿吗", "size_advice"),
        ("这个怎么卖", "price"),
        ("吊牌价多少", "price"),
        ("比原价便宜了多少", "price"),
        ("料子是啥", "material"),
        ("会不会起球啊", "material"),
        ("冬天穿冷不冷", "material"),
        ("充绒量多少克", "material"),
        ("是羊毛的吗", "material"),
        ("发什么快递", "shipping"),
        ("能发顺丰吗", "shipping"),
        ("到广东要几天", "shipping"),
        ("香港能寄吗", "shipping"),
        ("不喜欢能退吗", "returns"),
        ("退款多久到账", "returns"),
        ("买大了能换吗", "returns"),
        ("有什么颜色", "color"),
        ("有没有红色的", "color"),
        ("领券在哪", "coupon"),
        ("新客有优惠吗", "coupon"),
        ("到手价多少", "coupon"),
        ("L码裤长多少", "product_info"),
        ("可以丢洗衣机吗", "product_info"),
        ("适合什么季节穿", "product_info"),
        ("男生能穿吗", "product_info"),
        ("能开发票不", "shop_faq"),
        ("线下有店吗", "shop_faq"),
        ("支持花呗吗", "shop_faq"),
        ("福袋怎么抢", "shop_faq"),
        ("打卡打卡", "chitchat"),
        ("主播辛苦啦", "chitchat"),
        ("拍了三天还没发货", "handoff"),
        ("收到的衣服开线了", "handoff"),
        ("我要改地址", "handoff"),
        ("再便宜点呗", "handoff"),
        ("转人工", "handoff"),
        ("洗了会缩水吗", "material"),  # a question about the fabric, not a complaint
    ],
)
def test_intents_generalise(nlu: Understander, text: str, intent: str) -> None:
    parse = nlu.parse(text, "P12")
    assert parse.intent == intent, (parse.intent, parse.scores)
    assert parse.intent in INTENTS
    assert 0.0 <= parse.confidence <= 1.0


def test_confidence_drops_without_a_product(nlu: Understander) -> None:
    assert nlu.parse("这个多少钱", "P07").confidence > 0.8
    assert nlu.parse("这个多少钱", None).confidence <= 0.4


def test_aspects_and_tokens(nlu: Understander) -> None:
    assert nlu.parse("会起球吗", "P22").aspects == ("pilling",)
    assert "sf" in nlu.parse("能发顺丰吗", None).aspects
    assert "高腰牛仔裤" in tokenize("那条高腰牛仔裤多少钱")  # catalog names are jieba user words
