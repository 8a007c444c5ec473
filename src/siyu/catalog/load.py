"""Catalog files: the ``catalog.json`` document, or a CSV SKU table with a JSON side file.

CSV format
----------
A catalog can also be kept as a spreadsheet: **one row per SKU** (colour + size) of a product, UTF-8, with a
header row and these columns::

    id, link_no, name, short_name, category, gender, price, live_price, material, filling,
    fill_weight_g, fill_note, pilling, thickness, season, fit, colors, sizes, selling_points, care,
    presale_ship_days, tags, size_chart, color, size, stock

- The product columns (``id`` .. ``size_chart``) are repeated on every SKU row of the product and must be
  identical on all of them; the product order is the order of first appearance.
- ``color``, ``size``, ``stock``: the SKU and its count (``stock`` 0 = sold out).
- List columns (``colors``, ``sizes``, ``selling_points``, ``tags``) are ``|``-separated.
- ``size_chart`` is the JSON array of the product's size-chart rows, exactly as in ``catalog.json``.
- ``presale_ship_days``: empty for items in stock, else the number of days a presale item ships within.
- An empty cell is ``null`` (``filling``/``fill_weight_g``/``fill_note`` for non-down items, ``pilling``).

The shop policy, the coupons and the gifts do not fit a SKU table: they live in a JSON side file
``<name>.meta.json`` next to ``<name>.csv`` (``{"shop": {...}, "coupons": [...], "gifts"?: [...]}``, same
shapes as in ``catalog.json``), or any file given as ``meta=``. :func:`write_csv` writes both files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from siyu.catalog.errors import CatalogError
from siyu.catalog.model import Product
from siyu.catalog.sizes import sku_key, split_sku

__all__ = [
    "CSV_COLUMNS",
    "CSV_PRODUCT_COLUMNS",
    "LIST_SEP",
    "meta_path_for",
    "product_csv_rows",
    "products_from_csv_rows",
    "read_document",
    "write_csv",
]

LIST_SEP = "|"

CSV_PRODUCT_COLUMNS = (
    "id",
    "link_no",
    "name",
    "short_name",
    "category",
    "gender",
    "price",
    "live_price",
    "material",
    "filling",
    "fill_weight_g",
    "fill_note",
    "pilling",
    "thickness",
    "season",
    "fit",
    "colors",
    "sizes",
    "selling_points",
    "care",
    "presale_ship_days",
    "tags",
    "size_chart",
)
CSV_COLUMNS = (*CSV_PRODUCT_COLUMNS, "color", "size", "stock")


def meta_path_for(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".meta.json")


def read_document(path: str | Path, *, meta: str | Path | None = None) -> dict[str, Any]:
    """A ``.json`` catalog document, or a ``.csv`` SKU table plus its meta JSON, as one document."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            with path.open(encoding="utf-8") as fh:
                doc: dict[str, Any] = json.load(fh)
                return doc
        if suffix == ".csv":
            meta_path = Path(meta) if meta is not None else meta_path_for(path)
            if not meta_path.exists():
                raise CatalogError(f"{path}: missing shop/coupon side file {meta_path}")
            with meta_path.open(encoding="utf-8") as fh:
                meta_doc = json.load(fh)
            with path.open(encoding="utf-8", newline="") as fh:
                products = products_from_csv_rows(csv.DictReader(fh))
            if not isinstance(meta_doc, Mapping):
                raise CatalogError(f"{meta_path}: expected an object")
            return {
                "shop": meta_doc.get("shop") or {},
                "products": products,
                "coupons": meta_doc.get("coupons"),
                **({"gifts": meta_doc["gifts"]} if "gifts" in meta_doc else {}),
            }
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: invalid JSON: {exc}") from exc
    raise CatalogError(f"{path}: unsupported catalog format (use .json or .csv)")


def write_csv(
    path: str | Path,
    products: Iterable[Product],
    meta_doc: Mapping[str, Any],
    *,
    meta: str | Path | None = None,
) -> Path:
    """Write the SKU table to `path` and `meta_doc` (shop + coupons) to the meta side file; returns that."""
    path = Path(path)
    meta_path = Path(meta) if meta is not None else meta_path_for(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for p in products:
            writer.writerows(product_csv_rows(p))
    meta_path.write_text(json.dumps(meta_doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta_path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def product_csv_rows(p: Product) -> list[dict[str, str]]:
    base = {
        "id": p.id,
        "link_no": str(p.link_no),
        "name": p.name,
        "short_name": p.short_name,
        "category": p.category,
        "gender": p.gender,
        "price": _cell(p.price),
        "live_price": _cell(p.live_price),
        "material": p.material,
        "filling": _cell(p.filling),
        "fill_weight_g": _cell(p.fill_weight_g),
        "fill_note": _cell(p.fill_note),
        "pilling": _cell(p.pilling),
        "thickness": p.thickness,
        "season": p.season,
        "fit": p.fit,
        "colors": LIST_SEP.join(p.colors),
        "sizes": LIST_SEP.join(p.sizes),
        "selling_points": LIST_SEP.join(p.selling_points),
        "care": p.care,
        "presale_ship_days": _cell(p.presale_ship_days),
        "tags": LIST_SEP.join(p.tags),
        "size_chart": json.dumps([row.to_dict() for row in p.size_chart], ensure_ascii=False),
    }
    rows = []
    for key, count in p.stock.items():
        color, size = split_sku(key)
        rows.append({**base, "color": color, "size": size, "stock": str(count)})
    return rows


def _parse_number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CatalogError(f"{what}: not a number: {text!r}") from None
    return int(value) if value.is_integer() else value


def products_from_csv_rows(rows: Iterable[Mapping[str, str | None]]) -> list[dict[str, Any]]:
    """Group SKU rows into product documents (the catalog.json product shape)."""
    products: dict[str, dict[str, Any]] = {}
    signatures: dict[str, tuple[str, ...]] = {}
    for line, row in enumerate(rows, start=2):
        missing = [c for c in CSV_COLUMNS if c not in row]
        if missing:
            raise CatalogError(f"CSV is missing columns {missing}")
        cells = {k: (row[k] or "").strip() for k in CSV_COLUMNS}
        pid = cells["id"]
        if not pid:
            raise CatalogError(f"CSV line {line}: empty id")
        signature = tuple(cells[c] for c in CSV_PRODUCT_COLUMNS)
        if pid not in products:
            signatures[pid] = signature
            products[pid] = _product_from_cells(cells, line)
        elif signatures[pid] != signature:
            raise CatalogError(f"CSV line {line}: product {pid} columns differ from its first row")
        color, size = cells["color"], cells["size"]
        if not color or not size:
            raise CatalogError(f"CSV line {line}: empty colour or size")
        stock = _parse_number(cells["stock"], f"CSV line {line} stock")
        if not isinstance(stock, int):
            raise CatalogError(f"CSV line {line}: stock must be a whole number")
        products[pid]["stock"][sku_key(color, size)] = stock
    return list(products.values())


def _product_from_cells(cells: Mapping[str, str], line: int) -> dict[str, Any]:
    def opt(name: str) -> str | None:
        return cells[name] or None

    try:
        chart = json.loads(cells["size_chart"] or "[]")
    except json.JSONDecodeError as exc:
        raise CatalogError(f"CSV line {line}: size_chart is not JSON: {exc}") from exc
    doc: dict[str, Any] = {
        "id": cells["id"],
        "link_no": int(_parse_number(cells["link_no"], f"CSV line {line} link_no")),
        "name": cells["name"],
        "short_name": cells["short_name"],
        "category": cells["category"],
        "gender": cells["gender"],
        "price": _parse_number(cells["price"], f"CSV line {line} price"),
        "live_price": _parse_number(cells["live_price"], f"CSV line {line} live_price"),
        "material": cells["material"],
    }
    if cells["filling"] or cells["fill_weight_g"] or cells["fill_note"]:
        weight = cells["fill_weight_g"]
        doc["filling"] = opt("filling")
        doc["fill_weight_g"] = _parse_number(weight, f"CSV line {line} fill_weight_g") if weight else None
        doc["fill_note"] = opt("fill_note")
    ship_days = cells["presale_ship_days"]
    doc.update(
        pilling=opt("pilling"),
        thickness=cells["thickness"],
        season=cells["season"],
        colors=[c for c in cells["colors"].split(LIST_SEP) if c],
        sizes=[s for s in cells["sizes"].split(LIST_SEP) if s],
        stock={},
        size_chart=chart,
        fit=cells["fit"],
        selling_points=[s for s in cells["selling_points"].split(LIST_SEP) if s],
        care=cells["care"],
        presale=(
            {"ship_days": int(_parse_number(ship_days, f"CSV line {line} presale_ship_days"))}
            if ship_days
            else None
        ),
        tags=[t for t in cells["tags"].split(LIST_SEP) if t],
    )
    return doc
