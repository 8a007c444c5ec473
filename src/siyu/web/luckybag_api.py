"""HTTP route of lucky bags: the public audit of a bag (its entries in draw order, the seed hash, and after
the draw the seed and the winners), which `siyu luckybag verify` checks."""

# No `from __future__ import annotations`: FastAPI reads the annotations at runtime.
from typing import Annotated, Any

from fastapi import FastAPI, Path
from pydantic import BaseModel, Field

from siyu.interactions.luckybag import LuckyBags
from siyu.web.errors import ApiError, responses
from siyu.web.models import ID_PATTERN


class AuditPrize(BaseModel):
    kind: str = Field(description="`coupon` (a coupon of the shop's catalog) or `product` (a room product)")
    id: str
    name: str
    text: str = Field(description="its value in a few words, e.g. 满199减20 or 直播价¥159")


class AuditEntry(BaseModel):
    kind: str = Field(description="`phrase`, `watch`, `follow` or `fanclub`")
    phrase: str | None = None
    minutes: int | None = None
    text: str


class AuditWinner(BaseModel):
    id: str
    nick: str


class LuckyBagAudit(BaseModel):
    """A bag as anyone may check it (docs/protocol.md, "Lucky bags": the draw algorithm)."""

    room_id: str
    bag_id: str
    algorithm: str = Field(description="the draw algorithm, `siyu-luckybag-v1`")
    prize: AuditPrize
    entry: AuditEntry
    winner_count: int = Field(description="how many may win (fewer when fewer entered)")
    opens_at: int
    until: int = Field(description="when entries ended or end (ms): the countdown, or an early draw")
    seed_hash: str = Field(description="hex sha256 of the seed, published when the bag opened")
    seed: str | None = Field(description="the 32-byte seed in hex, once the bag is drawn (else null)")
    drawn: bool
    entries_count: int
    entries_hash: str | None = Field(description="hex sha256 of the entries joined by LF (after the draw)")
    entries: list[str] = Field(description="the entrants' user ids in draw order (sorted by code point)")
    winners: list[AuditWinner] = Field(description="in draw order (empty before the draw)")


def add_luckybag_routes(app: FastAPI, live_room: Any) -> None:
    @app.get(
        "/api/rooms/{room_id}/luckybags/{bag_id}", response_model=LuckyBagAudit, responses=responses(404, 422)
    )
    async def luckybag_audit(
        room_id: str, bag_id: Annotated[str, Path(pattern=ID_PATTERN)]
    ) -> dict[str, Any]:
        """A lucky bag's audit (public, like the room state): before the draw the entries so far and the
        seed hash; after it also the seed and the winners, so anyone can recompute the draw."""
        room = await live_room(room_id)
        feature = room.find(LuckyBags)
        audit: dict[str, Any] | None = None if feature is None else await feature.audit(bag_id)
        if audit is None:
            raise ApiError(404, "luckybag.unknown", f"no lucky bag {bag_id} in room {room_id}")
        return audit
