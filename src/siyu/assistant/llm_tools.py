"""The catalog functions the optional LLM may call (so it can only state what the catalog says)."""

from __future__ import annotations

from typing import Any

from siyu.assistant.llm import Tool
from siyu.catalog import Catalog, Product, split_sku


def _product(catalog: Catalog, ref: Any) -> Product | None:
    text = str(ref or "").strip()
    if text.isdigit():
        return catalog.by_link_no(int(text))
    return catalog.get(text) or catalog.by_short_name(text) or catalog.by_name(text)


def catalog_tools(catalog: Catalog) -> list[Tool]:
    def get_product(args: dict[str, Any]) -> Any:
        p = _product(catalog, args.get("product"))
        if p is None:
            return {"error": "unknown_product", "message": "没有这个商品"}
        return p.details()

    def check_stock(args: dict[str, Any]) -> Any:
        p = _product(catalog, args.get("product"))
        if p is None:
            return {"error": "unknown_product", "message": "没有这个商品"}
        color, size = args.get("color"), args.get("size")
        rows = {
            k: v
            for k, v in p.stock.items()
            if (not color or split_sku(k)[0] == color) and (not size or split_sku(k)[1] == str(size).upper())
        }
        return {"product": p.short_name, "stock": rows}

    def list_coupons(_args: dict[str, Any]) -> Any:
        return [  # fmt: skip
            {"name": c.name, "type": c.type, "threshold": c.threshold, "amount": c.amount,
             "condition": c.condition}
            for c in catalog.coupons
        ]

    product_arg = {"product": {"type": "string", "description": "商品ID、链接号或商品名"}}
    return [
        Tool("get_product", "查询商品信息（价格、颜色、尺码、面料等）",
             {"type": "object", "properties": product_arg, "required": ["product"]}, get_product),
        Tool("check_stock", "查询商品某颜色/尺码的库存",
             {"type": "object", "properties": {**product_arg, "color": {"type": "string"},
                                               "size": {"type": "string"}}, "required": ["product"]},
             check_stock),
        Tool("list_coupons", "查询直播间可领的优惠券", {"type": "object", "properties": {}}, list_coupons),
    ]  # fmt: skip
