"""Interactions (issue 12): coupons first — the `Coupons` room feature and its claim store."""

from siyu.interactions.coupons import ClaimIn, CouponPushIn, Coupons

__all__ = ["ClaimIn", "CouponPushIn", "Coupons"]
