"""THE size normaliser: `canonical_size`, and the slot extractor, the recommender and the LLM grounding guard
all spelling sizes through it (they used to have one normaliser each, and disagreed)."""

from __future__ import annotations

import pytest

import siyu.assistant.llm.guard
import siyu.assistant.slots
import siyu.recommend.interaction_log
import siyu.recommend.recommender
from siyu.assistant.llm import ungrounded
from siyu.assistant.slots import SlotExtractor
from siyu.catalog import ONE_SIZE, canonical_size, sku_key, split_sku
from siyu.recommend import Recommender, has_stock, load_catalog_products


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("xl", "XL"),
        ("s", "S"),
        ("28", "28"),
        ("xxxxl", "4XL"),
        ("4XL", "4XL"),
        # the cases the three old normalisers disagreed on (slots / interaction_log / llm, before):
        ("XXL", "XXL"),  # XXL / XXL / 2XL
        ("2xl", "XXL"),  # XXL / XXL / 2XL
        ("2 xl", "XXL"),  # XXL / "2 XL" / -
        ("xxxl", "3XL"),  # 3XL / 3XL / 3XL
        ("XXS", "XXS"),  # XXS / XXS / 2XS
        ("XL码", "XL"),  # "XL码" / XL / -
        ("28码", "28"),  # "28码" / 28 / -
        ("ＸＬ", "XL"),  # "ＸＬ" / "ＸＬ" / XL
        ("均码", ONE_SIZE),
        ("均碼", ONE_SIZE),  # 均碼 / 均碼 / 均码
        ("F", ONE_SIZE),  # F / 均码 / -
        ("free size", ONE_SIZE),  # "FREE SIZE" / 均码 / -
        ("均", ONE_SIZE),  # 均 / 均码 / -
    ],
)
def test_canonical_size(raw: str, canonical: str) -> None:
    assert canonical_size(raw) == canonical


def test_one_normaliser_everywhere() -> None:
    for module in (siyu.assistant.slots, siyu.assistant.llm.guard, siyu.recommend.interaction_log,
                   siyu.recommend.recommender):  # fmt: skip
        assert module.canonical_size is canonical_size, module.__name__
    for gone in ("normalize_size", "_canonical_size"):
        assert not hasattr(siyu.recommend.interaction_log, gone)
        assert not hasattr(siyu.assistant.llm.guard, gone)


def test_the_old_disagreements_now_agree() -> None:
    # slots: what a viewer typed
    assert SlotExtractor().extract("2xl还有吗").sizes == ["XXL"]
    assert SlotExtractor().extract("xxl还有吗").sizes == ["XXL"]
    # recommender: the size of an event (was normalize_size: "2 XL" stayed "2 XL")
    rec = Recommender(load_catalog_products())
    rec.observe("u", "P03", "asked", 0.0, size="2 xl")
    rec.observe("v", "P03", "asked", 0.0, size="XL码")
    assert rec.size_profile("u") == ["XXL"] and rec.size_profile("v") == ["XL"]
    product = {"stock": {sku_key("黑色", "XXL"): 2, sku_key("黑色", ONE_SIZE): 0}}
    assert has_stock(product, "2xl") and has_stock(product, "xxl码") and not has_stock(product, "F")
    # grounding guard: XXL = 2XL, 3XL = XXXL, 均码 = 均碼 (same keys as the slots and the catalog)
    assert ungrounded("2XL还有3件", ['{"黑色/XXL": 3}']) == []
    assert ungrounded("XXXL有货", ['{"黑色/3XL": 1}']) == []
    assert ungrounded("这款是均碼", ['{"sizes": ["均码"]}']) == []
    assert ungrounded("XXL有货", ['{"黑色/XL": 1}']) == ["XXL"]


def test_sku_keys() -> None:
    assert sku_key("碎花蓝", "XL") == "碎花蓝/XL"
    assert split_sku("碎花蓝/XL") == ("碎花蓝", "XL")
    assert split_sku(sku_key("黑色", ONE_SIZE)) == ("黑色", ONE_SIZE)
