"""Interactions (issue 12): coupons — the `Coupons` room feature and its claim store — `Polls`, and the
fan club (`FanClub`, 粉丝团)."""

from siyu.interactions.coupons import ClaimIn, CouponPushIn, Coupons
from siyu.interactions.fanclub import FanClub
from siyu.interactions.fanclub_wire import FanJoinIn
from siyu.interactions.polls import PollCloseIn, Polls, PollStartIn, VoteIn

__all__ = [
    "ClaimIn", "CouponPushIn", "Coupons", "FanClub", "FanJoinIn",
    "PollCloseIn", "PollStartIn", "Polls", "VoteIn",
]  # fmt: skip
