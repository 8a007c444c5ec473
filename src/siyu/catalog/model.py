"""Products: SKUs (colour + size) with live counts, size-chart rows, and the shapes a product is shown in.

A product has three shapes and no other: :meth:`Product.to_dict` (the catalog document, ``catalog.json``),
:meth:`Product.card` (the room's 讲解卡) and :meth:`Product.details` (card + what viewers ask about, for the
LLM's tools).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from siyu.catalog.errors import CatalogError, UnknownSkuError, num, opt_num, strs
from siyu.catalog.sizes import ONE_SIZE, SKU_SEP, sku_key, split_sku

__all__ = ["Product", "SizeRow"]


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
                height_cm=(num(h[0], what), num(h[1], what)),
                weight_jin=(num(w[0], what), num(w[1], what)),
                bust_cm=opt_num(data.get("bust_cm"), what),
                waist_cm=opt_num(data.get("waist_cm"), what),
                hip_cm=opt_num(data.get("hip_cm"), what),
                length_cm=opt_num(data.get("length_cm"), what),
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
    stock: dict[str, int]  # sku_key(colour, size) -> count; changed only through Catalog.adjust
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

    def count(self, color: str, size: str) -> int:
        """The count of one SKU; 0 for a colour/size the product does not make."""
        return self.stock.get(sku_key(color, size), 0)

    def size_in_stock(self, size: str) -> bool:
        """Some colour of this product has `size` in stock."""
        return any(self.count(color, size) > 0 for color in self.colors)

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

    # -- shapes ------------------------------------------------------------------------------------

    def card(self) -> dict[str, Any]:
        """The room's product card (讲解卡): id, link number, names and the two prices."""
        return {
            "id": self.id,
            "link_no": self.link_no,
            "name": self.name,
            "short_name": self.short_name,
            "price": self.price,
            "live_price": self.live_price,
        }

    def details(self) -> dict[str, Any]:
        """The card plus what viewers ask about (no stock, no size chart): the LLM's `get_product`."""
        return {
            **self.card(),
            "colors": list(self.colors),
            "sizes": list(self.sizes),
            "material": self.material,
            "fit": self.fit,
            "season": self.season,
            "selling_points": list(self.selling_points),
            "presale_ship_days": self.presale_ship_days,
        }

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
                price=num(data["price"], f"{what}.price"),
                live_price=num(data["live_price"], f"{what}.live_price"),
                material=str(data.get("material", "")),
                pilling=data.get("pilling"),
                thickness=str(data.get("thickness", "")),
                season=str(data.get("season", "")),
                fit=str(data.get("fit", "")),
                colors=strs(data["colors"], f"{what}.colors"),
                sizes=strs(data["sizes"], f"{what}.sizes"),
                stock=stock,
                size_chart=tuple(
                    SizeRow.from_dict(row, f"{what}.size_chart[{i}]")
                    for i, row in enumerate(data.get("size_chart") or [])
                ),
                selling_points=strs(data.get("selling_points") or [], f"{what}.selling_points"),
                care=str(data.get("care", "")),
                presale_ship_days=None if presale is None else int(presale["ship_days"]),
                tags=strs(data.get("tags") or [], f"{what}.tags"),
                filling=data.get("filling"),
                fill_weight_g=opt_num(data.get("fill_weight_g"), f"{what}.fill_weight_g"),
                fill_note=data.get("fill_note"),
            )
        except KeyError as exc:
            raise CatalogError(f"{what}: missing field {exc}") from exc
        for key in product.stock:
            color, size = split_sku(key)
            if color not in product.colors or size not in product.sizes:
                raise CatalogError(f"{what}.stock[{key!r}]: colour or size not in colors/sizes")
        return product

    def to_dict(self) -> dict[str, Any]:
        """The catalog document's product (``catalog.json``), with the live stock."""
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
