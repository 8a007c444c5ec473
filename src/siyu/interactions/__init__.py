"""Interactions (issue 12): coupons — the `Coupons` room feature and its claim store — and `Polls`."""

from siyu.interactions.coupons import ClaimIn, CouponPushIn, Coupons
from siyu.interactions.polls import PollCloseIn, Polls, PollStartIn, VoteIn

__all__ = ["ClaimIn", "CouponPushIn", "Coupons", "PollCloseIn", "PollStartIn", "Polls", "VoteIn"]
