"""The room core's features: chat, reactions, products, host status, the question panel."""

from siyu.rooms.feature import Feature
from siyu.rooms.features.chat import Chat, CommentGuard, CommentIn, ReplyIn
from siyu.rooms.features.host import HostStatus, HostStatusIn
from siyu.rooms.features.products import PinIn, Products, catalog_from
from siyu.rooms.features.questions import Annotation, DismissIn, Questions
from siyu.rooms.features.reactions import FollowIn, GiftIn, LikeIn, Reactions

CORE_FEATURES: list[type[Feature]] = [Chat, Reactions, Products, HostStatus, Questions]
"""In this order: wings' features come after (they find these in their __init__)."""

__all__ = [
    "CORE_FEATURES",
    "Annotation",
    "Chat",
    "CommentGuard",
    "CommentIn",
    "DismissIn",
    "FollowIn",
    "GiftIn",
    "HostStatus",
    "HostStatusIn",
    "LikeIn",
    "PinIn",
    "Products",
    "Questions",
    "ReplyIn",
    "Reactions",
    "catalog_from",
]
