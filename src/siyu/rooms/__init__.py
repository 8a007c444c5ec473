"""The room core: the runtime features plug into, its core features, and the service layer."""

from siyu.rooms.feature import Feature, FeatureSet, committed, follows, handles
from siyu.rooms.registry import RoomRegistry
from siyu.rooms.room import Counter, Member, Room, RoomDeps, member_ref
from siyu.rooms.service import NotFound, RoomInfo, RoomService, SessionInfo
from siyu.rooms.services import RoomServices

__all__ = [
    "Counter",
    "Feature",
    "FeatureSet",
    "Member",
    "NotFound",
    "Room",
    "RoomDeps",
    "RoomInfo",
    "RoomRegistry",
    "RoomService",
    "RoomServices",
    "SessionInfo",
    "committed",
    "follows",
    "handles",
    "member_ref",
]
