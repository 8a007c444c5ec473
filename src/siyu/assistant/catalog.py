"""The room's product catalog: shop policy, products with SKUs and size charts, coupons.

The in-memory model the assistant answers from. It is built from the catalog document (the
``catalog.json`` format described in ``shared/data/README.md``; the room builds the same dicts from its
database rows) with :meth:`Catalog.from_document`, or read from a file with :meth:`Catalog.load`.

Live stock changes in place (:meth:`Catalog.set_stock`, :meth:`Catalog.adjust_stock`), so answers always
reflect the latest orders and restocks.

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

The shop policy and the coupons do not fit a SKU table: they live in a JSON side file
``<name>.meta.json`` next to ``<name>.csv`` (``{"shop": {...}, "coupons": [...]}``, same shapes as in
``catalog.json``), or any file given as ``meta=``. :meth:`Catalog.write_csv` writes both files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SKU_SEP = "/"
LIST_SEP = "|"
ONE_SIZE = "均码"

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
_CSV_LIST_COLUMNS = frozenset({"colors", "sizes", "selling_points", "tags"})


class CatalogError(ValueError):
    """The catalog document or file is invalid."""


class UnknownProductError(CatalogError):
    """No product with that id."""

    def __init__(self, product_id: str) -> None:
        super().__init__(f"unknown product {product_id!r}")
        self.product_id = product_id


class UnknownSkuError(CatalogError):
    """The product does not make that colour/size combination."""

    def __init__(self, product_id: str, color: str, size: str) -> None:
        super().__init__(f"product {product_id} has no SKU {color}{SKU_SEP}{size}")
        self.product_id, self.color, self.size = product_id, color, size


class StockError(CatalogError):
    """A stock count would become negative or is not a whole number."""


def sku_key(color: str, size: str) -> str:
    return f"{color}{SKU_SEP}{size}"


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"{what}: expected a number, got {value!r}")
    return value


def _opt_num(value: Any, what: str) -> float | None:
    return None if value is None else _num(value, what)


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{what}: expected a list of strings, got {value!r}")
    return tuple(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------------
# shop policy


@dataclass(slots=True)
class ShippingPolicy:
    free_shipping: bool = True
    free_shipping_threshold: float = 0
    free_shipping_note: str = ""
    ship_within_hours: int = 48
    ship_note: str = ""
    carrier: str = ""
    sf_upgrade_fee: float | None = None
    sf_note: str = ""
    ship_from: str = ""
    remote_areas: tuple[str, ...] = ()
    remote_area_fee: float | None = None
    remote_area_note: str = ""
    no_delivery: tuple[str, ...] = ()
    no_delivery_note: str = ""
    delivery_days: dict[str, str] = field(default_factory=dict)
    delivery_note: str = ""


@dataclass(slots=True)
class ReturnsPolicy:
    seven_day_no_reason: bool = True
    window_days: int = 7
    conditions: str = ""
    shipping_insurance: bool = False
    return_shipping: str = ""
    exchange: str = ""
    quality_issue: str = ""
    refund_time: str = ""
    presale_note: str = ""


@dataclass(slots=True)
class PaymentPolicy:
    methods: tuple[str, ...] = ()
    installment: str = ""
    cash_on_delivery: bool = False


@dataclass(slots=True)
class CustomerService:
    hours: str = ""
    channel: str = ""
    after_sales: str = ""


@dataclass(slots=True)
class CouponRules:
    stacking: str = ""
    where: str = ""
    best_price_note: str = ""


@dataclass(slots=True, frozen=True)
class FaqEntry:
    q: str
    a: str


_T = TypeVar("_T", bound="DataclassInstance")


def _section(cls: type[_T], data: Any, what: str) -> _T:
    """Build a flat policy dataclass from a dict; lists become tuples, keys it does not know are skipped."""
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise CatalogError(f"{what}: expected an object")
    names = {f.name for f in fields(cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - defensive
        raise CatalogError(f"{what}: {exc}") from exc


@dataclass(slots=True)
class ShopPolicy:
    name: str = ""
    host: str = ""
    intro: str = ""
    live_hours: str = ""
    shipping: ShippingPolicy = field(default_factory=ShippingPolicy)
    returns: ReturnsPolicy = field(default_factory=ReturnsPolicy)
    payment: PaymentPolicy = field(default_factory=PaymentPolicy)
    customer_service: CustomerService = field(default_factory=CustomerService)
    coupon_rules: CouponRules = field(default_factory=CouponRules)
    faq: tuple[FaqEntry, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShopPolicy:
        faq_raw = data.get("faq") or []
        if not isinstance(faq_raw, list):
            raise CatalogError("shop.faq: expected a list")
        faq = []
        for i, item in enumerate(faq_raw):
            if not isinstance(item, Mapping) or not isinstance(item.get("q"), str):
                raise CatalogError(f"shop.faq[{i}]: expected {{q, a}}")
            faq.append(FaqEntry(q=item["q"], a=str(item.get("a", ""))))
        return cls(
            name=str(data.get("name", "")),
            host=str(data.get("host", "")),
            intro=str(data.get("intro", "")),
            live_hours=str(data.get("live_hours", "")),
            shipping=_section(ShippingPolicy, data.get("shipping"), "shop.shipping"),
            returns=_section(ReturnsPolicy, data.get("returns"), "shop.returns"),
            payment=_section(PaymentPolicy, data.get("payment"), "shop.payment"),
            customer_service=_section(CustomerService, data.get("customer_service"), "shop.customer_service"),
            coupon_rules=_section(CouponRules, data.get("coupon_rules"), "shop.coupon_rules"),
            faq=tuple(faq),
        )

    def to_dict(self) -> dict[str, Any]:
        def flat(obj: Any) -> dict[str, Any]:
            return {f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj)}

        return {
            "name": self.name,
            "host": self.host,
            "intro": self.intro,
            "live_hours": self.live_hours,
            "shipping": flat(self.shipping),
            "returns": flat(self.returns),
            "payment": flat(self.payment),
            "customer_service": flat(self.customer_service),
            "coupon_rules": flat(self.coupon_rules),
            "faq": [{"q": e.q, "a": e.a} for e in self.faq],
        }


# --------------------------------------------------------------------------------------------------
# products


@dataclass(slots=True, frozen=True)
class SizeRow:
    """One size-chart row: who the size fits and its garment measurements (cm)."""

    size: str
    height_cm: tuple[float, float]
    weight_jin: tuple[float, float]
    bust_cm: float | None = None
    waist_cm: float | None = None
    hip_cm: float | None = None
    length_cm: float | None = None
    waist_note: str | None = None

    def fits_height(self, height_cm: float) -> bool:
        return self.height_cm[0] <= height_cm <= self.height_cm[1]

    def fits_weight(self, weight_jin: float) -> bool:
        return self.weight_jin[0] <= weight_jin <= self.weight_jin[1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], what: str) -> SizeRow:
        try:
            h, w = data["height_cm"], data["weight_jin"]
            if len(h) != 2 or len(w) != 2:
                raise CatalogError(f"{what}: ranges must be [min, max]")
            return cls(
                size=str(data["size"]),
                height_cm=(_num(h[0], what), _num(h[1], what)),
                weight_jin=(_num(w[0], what), _num(w[1], what)),
                bust_cm=_opt_num(data.get("bust_cm"), what),
                waist_cm=_opt_num(data.get("waist_cm"), what),
                hip_cm=_opt_num(data.get("hip_cm"), what),
                length_cm=_opt_num(data.get("length_cm"), what),
                waist_note=data.get("waist_note"),
            )
        except (KeyError, TypeError) as exc:
            raise CatalogError(f"{what}: missing or invalid {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "size": self.size,
            "height_cm": list(self.height_cm),
            "weight_jin": list(self.weight_jin),
        }
        for name in ("bust_cm", "waist_cm", "waist_note", "hip_cm", "length_cm"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(slots=True)
class Product:
    id: str
    link_no: int
    name: str
    short_name: str
    category: str
    gender: str
    price: float
    live_price: float
    material: str
    pilling: str | None
    thickness: str
    season: str
    fit: str
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    stock: dict[str, int]
    size_chart: tuple[SizeRow, ...]
    selling_points: tuple[str, ...] = ()
    care: str = ""
    presale_ship_days: int | None = None
    tags: tuple[str, ...] = ()
    filling: str | None = None
    fill_weight_g: float | None = None
    fill_note: str | None = None

    @property
    def one_size(self) -> bool:
        return self.sizes == (ONE_SIZE,)

    @property
    def presale(self) -> bool:
        return self.presale_ship_days is not None

    def has_sku(self, color: str, size: str) -> bool:
        return sku_key(color, size) in self.stock

    def size_in_stock(self, size: str) -> bool:
        """Some colour of this product has `size` in stock."""
        return any(self.stock.get(sku_key(color, size), 0) > 0 for color in self.colors)

    def stock_of(self, color: str, size: str) -> int:
        try:
            return self.stock[sku_key(color, size)]
        except KeyError:
            raise UnknownSkuError(self.id, color, size) from None

    def chart_row(self, size: str) -> SizeRow | None:
        for row in self.size_chart:
            if row.size == size:
                return row
        return None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Product:
        pid = data.get("id")
        if not isinstance(pid, str) or not pid:
            raise CatalogError(f"product without an id: {dict(data)!r:.80}")
        what = f"product {pid}"
        try:
            stock_raw = data["stock"]
            if not isinstance(stock_raw, Mapping):
                raise CatalogError(f"{what}.stock: expected an object")
            stock: dict[str, int] = {}
            for key, count in stock_raw.items():
                if SKU_SEP not in key or isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise CatalogError(f"{what}.stock[{key!r}]: expected '颜色/尺码' -> count >= 0")
                stock[key] = count
            presale = data.get("presale")
            if presale is not None and not isinstance(presale, Mapping):
                raise CatalogError(f"{what}.presale: expected null or {{ship_days}}")
            link_no = data["link_no"]
            if isinstance(link_no, bool) or not isinstance(link_no, int):
                raise CatalogError(f"{what}.link_no: expected an integer")
            product = cls(
                id=pid,
                link_no=link_no,
                name=str(data["name"]),
                short_name=str(data["short_name"]),
                category=str(data["category"]),
                gender=str(data.get("gender", "")),
                price=_num(data["price"], f"{what}.price"),
                live_price=_num(data["live_price"], f"{what}.live_price"),
                material=str(data.get("material", "")),
                pilling=data.get("pilling"),
                thickness=str(data.get("thickness", "")),
                season=str(data.get("season", "")),
                fit=str(data.get("fit", "")),
                colors=_strs(data["colors"], f"{what}.colors"),
                sizes=_strs(data["sizes"], f"{what}.sizes"),
                stock=stock,
                size_chart=tuple(
                    SizeRow.from_dict(row, f"{what}.size_chart[{i}]")
                    for i, row in enumerate(data.get("size_chart") or [])
                ),
                selling_points=_strs(data.get("selling_points") or [], f"{what}.selling_points"),
                care=str(data.get("care", "")),
                presale_ship_days=None if presale is None else int(presale["ship_days"]),
                tags=_strs(data.get("tags") or [], f"{what}.tags"),
                filling=data.get("filling"),
                fill_weight_g=_opt_num(data.get("fill_weight_g"), f"{what}.fill_weight_g"),
                fill_note=data.get("fill_note"),
            )
        except KeyError as exc:
            raise CatalogError(f"{what}: missing field {exc}") from exc
        for key in product.stock:
            color, _, size = key.partition(SKU_SEP)
            if color not in product.colors or size not in product.sizes:
                raise CatalogError(f"{what}.stock[{key!r}]: colour or size not in colors/sizes")
        return product

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "link_no": self.link_no,
            "name": self.name,
            "short_name": self.short_name,
            "category": self.category,
            "gender": self.gender,
            "price": self.price,
            "live_price": self.live_price,
            "material": self.material,
        }
        if self.filling is not None or self.fill_weight_g is not None or self.fill_note is not None:
            out.update(filling=self.filling, fill_weight_g=self.fill_weight_g, fill_note=self.fill_note)
        out.update(
            pilling=self.pilling,
            thickness=self.thickness,
            season=self.season,
            colors=list(self.colors),
            sizes=list(self.sizes),
            stock=dict(self.stock),
            size_chart=[row.to_dict() for row in self.size_chart],
            fit=self.fit,
            selling_points=list(self.selling_points),
            care=self.care,
            presale=None if self.presale_ship_days is None else {"ship_days": self.presale_ship_days},
            tags=list(self.tags),
        )
        return out


# --------------------------------------------------------------------------------------------------
# coupons


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def _money(value: Decimal) -> float:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(q) if q == q.to_integral_value() else float(q)


@dataclass(slots=True, frozen=True)
class Coupon:
    id: str
    name: str
    type: str  # 满减 / 立减 / 折扣
    threshold: float = 0
    amount: float | None = None
    rate: float | None = None
    max_discount: float | None = None
    applies_to: tuple[str, ...] | None = None  # None = every product ("all")
    total: int | None = None
    per_user_limit: int | None = None
    valid_minutes: int | None = None
    condition: str | None = None

    @property
    def unconditional(self) -> bool:
        return self.condition is None

    def covers(self, product_id: str) -> bool:
        return self.applies_to is None or product_id in self.applies_to

    def discount_on(self, eligible_amount: float) -> float:
        """The discount this coupon gives on `eligible_amount` (0 when the threshold is not reached)."""
        if eligible_amount <= 0 or eligible_amount < self.threshold:
            return 0
        amount = _dec(eligible_amount)
        if self.type == "折扣" and self.rate is not None:
            off = amount * (Decimal(1) - _dec(self.rate))
            if self.max_discount is not None:
                off = min(off, _dec(self.max_discount))
        else:
            off = _dec(self.amount or 0)
        return _money(min(off, amount))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Coupon:
        cid = data.get("id")
        if not isinstance(cid, str):
            raise CatalogError(f"coupon without an id: {dict(data)!r:.80}")
        applies = data.get("applies_to", "all")
        if applies == "all" or applies is None:
            applies_to = None
        else:
            applies_to = _strs(applies, f"coupon {cid}.applies_to")
        ctype = str(data.get("type", ""))
        if ctype not in ("满减", "立减", "折扣"):
            raise CatalogError(f"coupon {cid}: unknown type {ctype!r}")
        return cls(
            id=cid,
            name=str(data.get("name", cid)),
            type=ctype,
            threshold=_num(data.get("threshold", 0), f"coupon {cid}.threshold"),
            amount=_opt_num(data.get("amount"), f"coupon {cid}.amount"),
            rate=_opt_num(data.get("rate"), f"coupon {cid}.rate"),
            max_discount=_opt_num(data.get("max_discount"), f"coupon {cid}.max_discount"),
            applies_to=applies_to,
            total=data.get("total"),
            per_user_limit=data.get("per_user_limit"),
            valid_minutes=data.get("valid_minutes"),
            condition=data.get("condition"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "threshold": self.threshold,
        }
        if self.amount is not None:
            out["amount"] = self.amount
        if self.rate is not None:
            out["rate"] = self.rate
        if self.max_discount is not None:
            out["max_discount"] = self.max_discount
        out.update(
            applies_to="all" if self.applies_to is None else list(self.applies_to),
            total=self.total,
            per_user_limit=self.per_user_limit,
            valid_minutes=self.valid_minutes,
            condition=self.condition,
        )
        return out


@dataclass(slots=True, frozen=True)
class CouponQuote:
    """The price of a basket with one coupon applied."""

    coupon: Coupon
    subtotal: float  # the basket at live prices
    eligible: float  # the part of the basket the coupon covers
    discount: float
    final: float  # subtotal - discount


# --------------------------------------------------------------------------------------------------
# the catalog


class Catalog:
    """Shop policy, products and coupons, with lookups and live stock."""

    def __init__(self, shop: ShopPolicy, products: Sequence[Product], coupons: Sequence[Coupon]) -> None:
        self.shop = shop
        self.products: list[Product] = list(products)
        self.coupons: list[Coupon] = list(coupons)
        self.version = 0  # bumped on every stock change
        self._by_id: dict[str, Product] = {}
        self._by_link: dict[int, Product] = {}
        self._by_short: dict[str, Product] = {}
        self._by_name: dict[str, Product] = {}
        self._by_category: dict[str, list[Product]] = {}
        self._by_color: dict[str, list[Product]] = {}
        for p in self.products:
            if p.id in self._by_id:
                raise CatalogError(f"duplicate product id {p.id!r}")
            if p.link_no in self._by_link:
                raise CatalogError(f"duplicate product link_no {p.link_no!r}")
            if p.short_name in self._by_short:
                raise CatalogError(f"duplicate product short_name {p.short_name!r}")
            self._by_id[p.id] = self._by_link[p.link_no] = self._by_short[p.short_name] = p
            self._by_name.setdefault(p.name, p)
            self._by_category.setdefault(p.category, []).append(p)
            for color in p.colors:
                self._by_color.setdefault(color, []).append(p)
        seen: set[str] = set()
        for c in self.coupons:
            if c.id in seen:
                raise CatalogError(f"duplicate coupon id {c.id!r}")
            seen.add(c.id)

    # -- building ----------------------------------------------------------------------------------

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Catalog:
        """Build from the catalog.json structure: ``{"shop": {...}, "products": [...], "coupons": [...]}``."""
        if not isinstance(doc, Mapping):
            raise CatalogError("catalog document must be an object")
        shop_raw = doc.get("shop") or {}
        products_raw = doc.get("products")
        coupons_raw = doc.get("coupons") or []
        if not isinstance(shop_raw, Mapping):
            raise CatalogError("shop: expected an object")
        if not isinstance(products_raw, list):
            raise CatalogError("products: expected a list")
        if not isinstance(coupons_raw, list):
            raise CatalogError("coupons: expected a list")
        return cls(
            ShopPolicy.from_dict(shop_raw),
            [Product.from_dict(p) for p in products_raw],
            [Coupon.from_dict(c) for c in coupons_raw],
        )

    @classmethod
    def load(cls, path: str | Path, *, meta: str | Path | None = None) -> Catalog:
        """Read a ``.json`` catalog document, or a ``.csv`` SKU table plus its meta JSON (see module doc)."""
        path = Path(path)
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                with path.open(encoding="utf-8") as fh:
                    return cls.from_document(json.load(fh))
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
                return cls.from_document(
                    {
                        "shop": meta_doc.get("shop") or {},
                        "products": products,
                        "coupons": meta_doc.get("coupons"),
                    }
                )
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{path}: invalid JSON: {exc}") from exc
        raise CatalogError(f"{path}: unsupported catalog format (use .json or .csv)")

    def to_document(self) -> dict[str, Any]:
        return {
            "shop": self.shop.to_dict(),
            "products": [p.to_dict() for p in self.products],
            "coupons": [c.to_dict() for c in self.coupons],
        }

    def write_csv(self, path: str | Path, *, meta: str | Path | None = None) -> Path:
        """Write the SKU table to `path` and shop + coupons to the meta side file; returns the meta path."""
        path = Path(path)
        meta_path = Path(meta) if meta is not None else meta_path_for(path)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            for p in self.products:
                writer.writerows(product_csv_rows(p))
        doc = {"shop": self.shop.to_dict(), "coupons": [c.to_dict() for c in self.coupons]}
        meta_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        return meta_path

    # -- lookups -----------------------------------------------------------------------------------

    def get(self, product_id: str | None) -> Product | None:
        return None if product_id is None else self._by_id.get(product_id)

    def product(self, product_id: str) -> Product:
        try:
            return self._by_id[product_id]
        except KeyError:
            raise UnknownProductError(product_id) from None

    def by_link_no(self, link_no: int) -> Product | None:
        return self._by_link.get(link_no)

    def by_short_name(self, short_name: str) -> Product | None:
        return self._by_short.get(short_name)

    def by_name(self, name: str) -> Product | None:
        return self._by_name.get(name)

    def by_category(self, category: str) -> list[Product]:
        return list(self._by_category.get(category, ()))

    def by_color(self, color: str) -> list[Product]:
        return list(self._by_color.get(color, ()))

    @property
    def link_numbers(self) -> frozenset[int]:
        return frozenset(self._by_link)

    @property
    def categories(self) -> list[str]:
        return list(self._by_category)

    @property
    def colors(self) -> list[str]:
        return list(self._by_color)

    # -- live stock --------------------------------------------------------------------------------

    def set_stock(self, product_id: str, color: str, size: str, count: int) -> int:
        """Set the count of one SKU (e.g. after a stock take); returns it."""
        product = self.product(product_id)
        key = sku_key(color, size)
        if key not in product.stock:
            raise UnknownSkuError(product_id, color, size)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise StockError(f"stock of {product_id} {key} must be a whole number >= 0, got {count!r}")
        product.stock[key] = count
        self.version += 1
        return count

    def adjust_stock(self, product_id: str, color: str, size: str, delta: int) -> int:
        """Apply an order (negative delta) or a restock (positive); returns the new count."""
        product = self.product(product_id)
        key = sku_key(color, size)
        if key not in product.stock:
            raise UnknownSkuError(product_id, color, size)
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise StockError(f"stock change must be a whole number, got {delta!r}")
        new = product.stock[key] + delta
        if new < 0:
            raise StockError(f"{product_id} {key}: only {product.stock[key]} left, cannot take {-delta}")
        product.stock[key] = new
        self.version += 1
        return new

    # -- coupons -----------------------------------------------------------------------------------

    def best_coupon(
        self, product_id: str, quantity: int = 1, *, include_conditional: bool = False
    ) -> CouponQuote | None:
        """The single best coupon for `quantity` pieces of one product (README: 券后价/到手价)."""
        return self.best_coupon_for_basket([(product_id, quantity)], include_conditional=include_conditional)

    def best_coupon_for_basket(
        self, items: Iterable[tuple[str, int]] | Mapping[str, int], *, include_conditional: bool = False
    ) -> CouponQuote | None:
        """The single best coupon for a basket of ``(product_id, quantity)``; coupons never stack.

        A coupon counts the live prices of the products it applies to against its threshold; coupons with
        a ``condition`` (粉丝团, 新客首单) are left out unless `include_conditional`. Ties go to the coupon
        listed first. None when no coupon applies.
        """
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        lines = [(self.product(pid), qty) for pid, qty in pairs if qty > 0]
        subtotal = sum((_dec(p.live_price) * qty for p, qty in lines), Decimal(0))
        best: CouponQuote | None = None
        for coupon in self.coupons:
            if coupon.condition is not None and not include_conditional:
                continue
            eligible = sum((_dec(p.live_price) * qty for p, qty in lines if coupon.covers(p.id)), Decimal(0))
            off = coupon.discount_on(_money(eligible))
            if off <= 0:
                continue
            if best is None or off > best.discount:
                best = CouponQuote(
                    coupon=coupon,
                    subtotal=_money(subtotal),
                    eligible=_money(eligible),
                    discount=off,
                    final=_money(subtotal - _dec(off)),
                )
        return best

    def basket_total(self, items: Iterable[tuple[str, int]]) -> float:
        return _money(sum((_dec(self.product(pid).live_price) * qty for pid, qty in items), Decimal(0)))

    def coupons_for(self, product_id: str) -> list[Coupon]:
        return [c for c in self.coupons if c.covers(product_id)]


def meta_path_for(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".meta.json")


# --------------------------------------------------------------------------------------------------
# CSV rows


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
        color, _, size = key.partition(SKU_SEP)
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


def money(value: float) -> str:
    """A price as the viewer reads it: 139, 413.1, 99.5."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"
