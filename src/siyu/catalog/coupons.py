"""Coupon maths: what one coupon takes off a basket, the single best coupon (they never stack), prices.

Amounts are computed in :class:`~decimal.Decimal` and rounded half up to the cent; :func:`money` writes a
price as the viewer reads it (139, 413.1, 99.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from siyu.catalog.errors import CatalogError, num, opt_num, strs
from siyu.catalog.model import Product

__all__ = ["Coupon", "CouponQuote", "best_quote", "money", "total"]


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def _money(value: Decimal) -> float:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(q) if q == q.to_integral_value() else float(q)


def money(value: float) -> str:
    """A price as the viewer reads it: 139, 413.1, 99.5."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


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
            applies_to = strs(applies, f"coupon {cid}.applies_to")
        ctype = str(data.get("type", ""))
        if ctype not in ("满减", "立减", "折扣"):
            raise CatalogError(f"coupon {cid}: unknown type {ctype!r}")
        return cls(
            id=cid,
            name=str(data.get("name", cid)),
            type=ctype,
            threshold=num(data.get("threshold", 0), f"coupon {cid}.threshold"),
            amount=opt_num(data.get("amount"), f"coupon {cid}.amount"),
            rate=opt_num(data.get("rate"), f"coupon {cid}.rate"),
            max_discount=opt_num(data.get("max_discount"), f"coupon {cid}.max_discount"),
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


def total(lines: Iterable[tuple[Product, int]]) -> float:
    """The basket at live prices."""
    return _money(sum((_dec(p.live_price) * qty for p, qty in lines), Decimal(0)))


def best_quote(
    coupons: Sequence[Coupon], lines: Sequence[tuple[Product, int]], *, include_conditional: bool = False
) -> CouponQuote | None:
    """The single best coupon for the basket `lines` (product, quantity > 0); coupons never stack.

    A coupon counts the live prices of the products it applies to against its threshold; coupons with a
    ``condition`` (粉丝团, 新客首单) are left out unless `include_conditional`. Ties go to the coupon listed
    first. None when no coupon applies.
    """
    subtotal = sum((_dec(p.live_price) * qty for p, qty in lines), Decimal(0))
    best: CouponQuote | None = None
    for coupon in coupons:
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
