"""An open bag as a node knows it, and what a start makes of its frame (the bag's id, its entry)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from siyu.events import new_id
from siyu.rooms.room import Counter

from .model import BagStarted, PhraseEntryIn, WatchEntryIn


@dataclass(slots=True)
class Bag:
    """An open bag as this node knows it; `counter.value` is the room-wide entries count."""

    started: BagStarted
    starter: str
    counter: Counter
    until: int  # when entries end: the countdown, or an early `luckybag_draw`
    phrase: str | None  # the folded 口令 of a phrase bag
    shown: int | None = None
    drawing: bool = False
    entrants: set[str] = field(default_factory=set)  # the entries this node knows of

    @property
    def bag_id(self) -> str:
        return self.started.bag_id


def bag_id_for(room_id: str, user_id: str, cid: str | None) -> str:
    """From the starter's cid (a re-sent start finds its row and seed), else random."""
    if cid is None:
        return new_id()
    return hashlib.sha256(f"luckybag\x00{room_id}\x00{user_id}\x00{cid}".encode()).hexdigest()[:32]


def entry_of(e: Any) -> dict[str, Any]:
    if isinstance(e, PhraseEntryIn):
        return {
            "kind": "phrase",
            "phrase": e.phrase.strip(),
            "minutes": None,
            "text": f"发送口令「{e.phrase.strip()}」",
        }
    if isinstance(e, WatchEntryIn):
        return {"kind": "watch", "phrase": None, "minutes": e.minutes, "text": f"观看直播满{e.minutes}分钟"}
    text = "关注主播" if e.kind == "follow" else "加入粉丝团"
    return {"kind": e.kind, "phrase": None, "minutes": None, "text": text}
