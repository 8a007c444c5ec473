"""Checkout maths: a basket's lines at the price they sell for, the best coupon of a viewer's wallet, the
amounts. The coupon choice is :func:`~siyu.catalog.coupons.best_quote`, the same code the assistant's
"券后价" answers use; amounts are whole cents here (no float drift on an order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from siyu.catalog.coupons import Coupon, best_quote
from siyu.catalog.model import Product

__all__ = ["CouponNotApplicable", "Held", "Line", "Quote", "cents", "quote", "yuan"]


def cents(value: float) -> int:
    """A price in yuan as whole cents (half up)."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(value: int) -> float:
    """Whole cents as yuan, as the wire shows them (139, 413.1)."""
    return value // 100 if value % 100 == 0 else value / 100


@dataclass(frozen=True, slots=True)
class Line:
    product: Product
    color: str
    size: str
    qty: int
    price_cents: int  # the unit price this line sells for (the live price, or a flash sale's)
    coupon_ok: bool = True  # a flash-sale line takes no coupon (秒杀价不与优惠券叠加)


@dataclass(frozen=True, slots=True)
class Held:
    """A coupon in a viewer's wallet: granted, not yet redeemed."""

    grant_id: str
    coupon: Coupon
    expires_at: int


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[Line, ...]
    subtotal_cents: int
    discount_cents: int
    coupon: Held | None

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents


class CouponNotApplicable(Exception):
    """The viewer chose a coupon they do not hold, or one that takes nothing off this basket."""


def quote(lines: Sequence[Line], wallet: Sequence[Held], choice: str = "best") -> Quote:
    """The basket's amounts with `choice` applied: "best" (the coupon that takes most off; ties go to the
    one that expires first), "none", or a grant id of the wallet."""
    subtotal = sum(line.price_cents * line.qty for line in lines)
    if choice == "none":
        return Quote(tuple(lines), subtotal, 0, None)
    held = [h for h in wallet if choice in ("best", h.grant_id)]
    if choice != "best" and not held:
        raise CouponNotApplicable(choice)
    held.sort(key=lambda h: h.expires_at)
    coupons = list({h.coupon.id: h.coupon for h in held}.values())  # first expiring grant of each coupon
    # coupons see the lines that may take one, at the price they sell for
    basket = [(_at(line.product, line.price_cents), line.qty) for line in lines if line.coupon_ok]
    best = best_quote(coupons, basket, include_conditional=True) if basket and coupons else None
    if best is None:
        if choice != "best":
            raise CouponNotApplicable(choice)
        return Quote(tuple(lines), subtotal, 0, None)
    grant = next(h for h in held if h.coupon.id == best.coupon.id)
    return Quote(tuple(lines), subtotal, min(cents(best.discount), subtotal), grant)


def _at(product: Product, price_cents: int) -> Product:
    if cents(product.live_price) == price_cents:
        return product
    return replace(product, live_price=price_cents / 100)
