"""Catalog model: loading (JSON, CSV), lookups, live stock, coupon maths, product shapes."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from siyu.catalog import (
    Catalog,
    CatalogError,
    OutOfStock,
    StockChange,
    StockError,
    UnknownProductError,
    UnknownSkuError,
    meta_path_for,
    money,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "catalog.json"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "siyu" / "data" / "catalog.json"
CATALOG = SHARED if SHARED.exists() else PACKAGED


def document() -> dict[str, Any]:
    with CATALOG.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.from_document(document())


def test_loads_the_catalog_document(catalog: Catalog) -> None:
    assert len(catalog.products) == 24
    assert len(catalog.coupons) == 6
    assert catalog.shop.name == "晚晚的衣橱"
    assert catalog.shop.shipping.remote_areas == ("新疆", "西藏", "青海", "内蒙古")
    assert len(catalog.shop.faq) == 10
    p = catalog.product("P08")
    assert (p.filling, p.fill_weight_g, p.fill_note) == ("90%白鸭绒", 130, "充绒量以M码为准")
    assert catalog.product("P09").presale_ship_days == 10
    assert catalog.product("P01").presale_ship_days is None
    assert catalog.product("P05").one_size
    assert catalog.product("P07").size_chart[0].waist_note == "松紧腰，可拉伸至84cm"


def test_document_round_trip_is_lossless(catalog: Catalog) -> None:
    assert catalog.to_document() == document()


def test_lookups(catalog: Catalog) -> None:
    # link numbers are not the id order
    by_link = catalog.by_link_no(5)
    assert by_link is not None and by_link.id == "P02"
    by_link = catalog.by_link_no(13)
    assert by_link is not None and by_link.id == "P14"
    assert catalog.by_link_no(99) is None
    short = catalog.by_short_name("高腰牛仔裤")
    assert short is not None and short.id == "P03"
    named = catalog.by_name("过膝长款鹅绒羽绒服")
    assert named is not None and named.id == "P09"
    assert [p.id for p in catalog.by_category("外套")] == ["P04", "P12", "P21"]
    assert [p.id for p in catalog.by_category("羽绒服")] == ["P08", "P09"]
    assert [p.id for p in catalog.by_color("雾霾蓝")] == ["P02"]
    assert {p.id for p in catalog.by_color("卡其色")} == {"P11", "P18", "P23"}
    assert catalog.get("P99") is None
    with pytest.raises(UnknownProductError):
        catalog.product("P99")


def test_csv_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "room.csv"
    meta = catalog.write_csv(path)
    assert meta == meta_path_for(path) == tmp_path / "room.meta.json"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(p.stock) for p in catalog.products)
    first = rows[0]
    assert (first["id"], first["color"], first["size"], first["stock"]) == ("P01", "碎花蓝", "S", "46")
    assert first["colors"] == "碎花蓝|碎花黑"
    assert json.loads(first["size_chart"])[0]["height_cm"] == [150, 156]

    loaded = Catalog.load(path)
    assert loaded.to_document() == catalog.to_document()
    assert loaded.product("P23").stock_of("卡其色", "XXL") == 0


def test_csv_needs_its_meta_file_and_consistent_rows(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "room.csv"
    meta = catalog.write_csv(path)
    meta.unlink()
    with pytest.raises(CatalogError, match="meta.json"):
        Catalog.load(path)

    catalog.write_csv(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[1]["live_price"] = "1"  # a second row of P01 disagrees with the first
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(CatalogError, match="differ"):
        Catalog.load(path)


def test_invalid_documents_are_rejected() -> None:
    doc = document()
    doc["products"][0]["stock"]["紫色/S"] = 3
    with pytest.raises(CatalogError, match="colour or size"):
        Catalog.from_document(doc)
    doc = document()
    doc["products"][1]["link_no"] = doc["products"][0]["link_no"]
    with pytest.raises(CatalogError, match="duplicate product link_no"):
        Catalog.from_document(doc)
    doc = document()
    del doc["products"][0]["live_price"]
    with pytest.raises(CatalogError, match="live_price"):
        Catalog.from_document(doc)
    with pytest.raises(CatalogError, match="unsupported"):
        Catalog.load(Path("catalog.xlsx"))


def test_adjust_sets_or_changes_one_sku_and_reports_the_change(catalog: Catalog) -> None:
    assert catalog.adjust("P18", "卡其色", "3XL", count=10) == StockChange("P18", "卡其色", "3XL", 3, 10)
    order = catalog.adjust("P18", "卡其色", "3XL", delta=-4)
    assert (order.before, order.after, order.delta) == (10, 6, -4)
    restock = catalog.adjust("P18", "卡其色", "3XL", delta=5)
    assert (restock.before, restock.after) == (6, 11)
    assert catalog.product("P18").stock_of("卡其色", "3XL") == 11
    assert catalog.adjust("P18", "卡其色", "3XL", delta=-11).after == 0  # the last ones: exactly 0 is fine


def test_adjust_refuses_impossible_changes_and_changes_nothing(catalog: Catalog) -> None:
    with pytest.raises(UnknownProductError):
        catalog.adjust("P77", "黑色", "M", delta=-1)
    with pytest.raises(UnknownSkuError):
        catalog.adjust("P18", "粉色", "M", delta=-1)
    with pytest.raises(UnknownSkuError):
        catalog.adjust("P13", "白色", "XXL", count=1)
    # exactly one of count and delta
    with pytest.raises(CatalogError, match="exactly one"):
        catalog.adjust("P18", "卡其色", "3XL")
    with pytest.raises(CatalogError, match="exactly one"):
        catalog.adjust("P18", "卡其色", "3XL", count=1, delta=1)
    # never below 0: an order of more than is left is OutOfStock (a StockError, a CatalogError)
    with pytest.raises(OutOfStock, match="only 3 left, cannot take 4") as info:
        catalog.adjust("P18", "卡其色", "3XL", delta=-4)
    assert isinstance(info.value, StockError) and isinstance(info.value, CatalogError)
    assert (info.value.left, info.value.wanted) == (3, 4)
    with pytest.raises(StockError):
        catalog.adjust("P18", "卡其色", "3XL", count=-1)
    with pytest.raises(StockError):
        catalog.adjust("P18", "卡其色", "3XL", delta=True)
    with pytest.raises(StockError):
        catalog.adjust("P18", "卡其色", "3XL", count=2.5)  # type: ignore[arg-type]
    assert catalog.product("P18").stock_of("卡其色", "3XL") == 3


def test_product_shapes(catalog: Catalog) -> None:
    p = catalog.product("P11")
    assert p.card() == {
        "id": "P11",
        "link_no": p.link_no,
        "name": p.name,
        "short_name": p.short_name,
        "price": p.price,
        "live_price": p.live_price,
    }
    details = p.details()
    assert {k: details[k] for k in p.card()} == p.card()
    assert details["colors"] == list(p.colors) and details["sizes"] == list(p.sizes)
    assert "stock" not in details and "size_chart" not in details
    assert p.to_dict()["stock"] == p.stock


def test_best_coupon_for_one_item(catalog: Catalog) -> None:
    quote = catalog.best_coupon("P04")  # 699: 满299减40 beats 满199减20
    assert quote is not None and quote.coupon.id == "C02" and quote.final == 659
    quote = catalog.best_coupon("P08")  # 459: 9折 (45.9 off) beats 满299减40
    assert quote is not None and quote.coupon.id == "C04" and quote.final == 413.1
    assert money(quote.final) == "413.1"
    quote = catalog.best_coupon("P20")  # 199: 满199减20 (20) beats 9折 (19.9)
    assert quote is not None and quote.coupon.id == "C01" and quote.final == 179
    quote = catalog.best_coupon("P03")  # 139: only the denim 满129减15 applies
    assert quote is not None and quote.coupon.id == "C06" and quote.final == 124
    assert catalog.best_coupon("P06") is None  # 169 reaches no threshold; 粉丝团/新客 need a condition
    assert catalog.best_coupon("P14") is None  # 79 < 129


def test_conditional_coupons_only_on_request(catalog: Catalog) -> None:
    quote = catalog.best_coupon("P06", include_conditional=True)
    assert quote is not None and quote.coupon.id == "C05" and quote.final == 154


def test_discount_is_capped_by_max_discount() -> None:
    doc = document()
    for p in doc["products"]:
        if p["id"] == "P09":
            p["live_price"] = 1500  # 10% would be 150, capped at 100
    catalog = Catalog.from_document(doc)
    quote = catalog.best_coupon("P09")
    assert quote is not None and quote.coupon.id == "C04"
    assert (quote.discount, quote.final) == (100, 1400)


def test_basket_counts_prices_together_and_never_stacks(catalog: Catalog) -> None:
    quote = catalog.best_coupon("P01", quantity=2)  # 318 -> 满299减40
    assert quote is not None and quote.coupon.id == "C02" and quote.final == 278
    assert catalog.best_coupon("P11", quantity=2) is None  # 138
    # 139 + 69 = 208: 满199减20 on the whole basket beats the denim coupon on the jeans alone
    quote = catalog.best_coupon_for_basket([("P03", 1), ("P11", 1)])
    assert quote is not None and quote.coupon.id == "C01"
    assert (quote.subtotal, quote.discount, quote.final) == (208, 20, 188)
    quote = catalog.best_coupon_for_basket({"P14": 2})  # 158 of denim -> 满129减15
    assert quote is not None and quote.coupon.id == "C06" and quote.final == 143


def test_threshold_is_inclusive(catalog: Catalog) -> None:
    c01 = next(c for c in catalog.coupons if c.id == "C01")
    assert c01.discount_on(199) == 20
    assert c01.discount_on(198.99) == 0
