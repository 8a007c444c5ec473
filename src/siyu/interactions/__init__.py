"""Interactions (issue 12): coupons — the `Coupons` room feature and its claim store — `Polls`, the
fan club (`FanClub`, 粉丝团), the contributor board (`Leaderboard`) and `Topics`."""

from siyu.interactions.coupons import ClaimIn, CouponPushIn, Coupons
from siyu.interactions.fanclub import FanClub
from siyu.interactions.fanclub_wire import FanJoinIn
from siyu.interactions.leaderboard import Leaderboard
from siyu.interactions.polls import PollCloseIn, Polls, PollStartIn, VoteIn
from siyu.interactions.topics import TopicPinIn, Topics, TopicUnpinIn

__all__ = [
    "ClaimIn", "CouponPushIn", "Coupons", "FanClub", "FanJoinIn", "Leaderboard",
    "PollCloseIn", "PollStartIn", "Polls", "TopicPinIn", "TopicUnpinIn", "Topics", "VoteIn",
]  # fmt: skip
