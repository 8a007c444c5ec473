"""The service layer: what playbooks, the HTTP API, the CLI and the wings call to act on a room.

Functions taking a Room act inside it (a feature calls them); `RoomServices` finds the room by id on this
node first (loading it if needed). None of them touches the wire directly: each records an event (when
the change matters) and lets the room publish its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from siyu.catalog import OutOfStock, StockChange, UnknownSkuError, check_stock_change, sku_key
from siyu.events import AssistantAnswered, Context, StockChanged, now_ms, payload
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import RoomMessage, ServerMessage
from siyu.rooms.features.products import Products, Stock
from siyu.rooms.messages import AssistantSays, Notice
from siyu.rooms.registry import RoomRegistry
from siyu.rooms.room import Room
from siyu.rooms.service import NotFound
from siyu.store.stock import Level

__all__ = [
    "AssistantToUser",
    "Card",
    "CardPushed",
    "RoomServices",
    "adjust_stock",
    "notify_staff",
    "push_card",
    "say",
    "say_to",
    "stock_moved",
]


@dataclass(slots=True, kw_only=True)
class AssistantToUser(ServerMessage):
    """The assistant (or a playbook) speaking to one viewer; `reply_to` names the comment it answers."""

    type: Literal["assistant"] = "assistant"
    to: Literal["user"] = "user"
    text: str
    intent: str
    reply_to: dict[str, Any] | None = None
    product_id: str | None = None
    handoff: bool = False
    source: str = "rules"


@payload
@dataclass(frozen=True, slots=True)
class CardPushed:
    TYPE: ClassVar[str] = "card.pushed"
    product_id: str
    title: str
    until: int | None


@dataclass(slots=True, kw_only=True)
class Card(RoomMessage):
    """A product card pushed to every viewer (a playbook's or the host's call to look at a product)."""

    type: Literal["card"] = "card"
    product: dict[str, Any]
    title: str
    until: int | None = None
    seconds: int | None = None  # a countdown each viewer starts when the card shows (instead of `until`)


def say(room: Room, text: str, intent: str, **extra: Any) -> None:
    """A room-wide assistant message (companion lines, answers many viewers asked for), logged."""
    key = extra.get("key")
    actor = extra.pop("actor", None)
    answered = AssistantAnswered(None, "", intent, extra.get("product_id"), text, False, 1.0, "room", key)
    event = room.event_for(None, answered, parent=extra.pop("parent", None))
    event.context = Context(parent_id=event.context.parent_id, actor=actor)
    room.record(None, None, event, AssistantSays(text=text, intent=intent, **extra), Priority.HIGH)


def say_to(room: Room, user_id: str, text: str, intent: str = "playbook", *, parent: str | None = None,
           confidence: float = 1.0, **extra: Any) -> None:  # fmt: skip
    """A personal assistant message to one viewer (on this node if they are connected here, else on
    whichever node they are), logged as `assistant.answered` to "user"."""
    reply_to = extra.get("reply_to") or {}
    actor = extra.pop("actor", None)
    payload_ = AssistantAnswered(reply_to.get("seq"), user_id, intent, extra.get("product_id"), text,
                                 bool(extra.get("handoff")), confidence, "user")  # fmt: skip
    event = room.event_for(None, payload_, parent=parent)
    event.context = Context(parent_id=parent, actor=actor)
    room.log(event)
    room.to_user(user_id, AssistantToUser(text=text, intent=intent, **extra))


def notify_staff(room: Room, text: str, level: Literal["info", "warn"] = "info") -> None:
    """A toast on every host console of the room, on every node (not logged: it changes no state)."""
    room.to_staff_everywhere(Notice(text=text, level=level, ts=now_ms()))


def push_card(room: Room, product_id: str, title: str = "", until: int | None = None, *,
              seconds: int | None = None, actor: str | None = None) -> bool:  # fmt: skip
    """Push a product card to the room; False when the shop has no such product."""
    card = room.products.get(product_id)
    if card is None:
        return False
    event = room.event_for(None, CardPushed(product_id, title, until))
    event.context = Context(actor=actor)
    title = title or str(card["short_name"])
    room.record(None, None, event, Card(product=card, title=title, until=until, seconds=seconds))
    return True


async def adjust_stock(
    room: Room,
    product_id: str,
    color: str,
    size: str,
    *,
    count: int | None = None,
    delta: int | None = None,
    reason: str = "set",
    actor: str | None = None,
    buyer: str | None = None,
) -> StockChange:
    """A stock take (`count`) or a change (`delta`) of one SKU: the `sku_stock` row decides (a delta that
    takes more than is left raises OutOfStock and changes nothing), then the `stock.changed` event and the
    room's `stock` message carry the new count and version (every node's catalog follows it). Raises
    CatalogError for an unknown product or SKU or an invalid number."""
    catalog = room.catalog
    if catalog is None:
        raise LookupError("this room has no usable catalog")
    product = catalog.product(product_id)
    key = sku_key(color, size)
    if key not in product.stock:
        raise UnknownSkuError(product_id, color, size)
    check_stock_change(count, delta)
    level = await room.service.change_stock(room.info.shop_id, product_id, key, count=count, delta=delta)
    if level is None:
        assert delta is not None
        raise OutOfStock(product_id, color, size, product.stock[key], -delta)
    return await stock_moved(room, product_id, color, size, level, reason, actor=actor, buyer=buyer)


async def stock_moved(
    room: Room, product_id: str, color: str, size: str, level: Level, reason: str, *,
    delta: int | None = None, actor: str | None = None, buyer: str | None = None, cid: str | None = None,
) -> StockChange:  # fmt: skip
    """A change the database made (`level`): the `stock.changed` event (with `cid`: a re-sent one is logged
    once) and, unless this node already holds a newer count (a late relay), the catalog and the room's
    `stock` message."""
    catalog = room.catalog
    assert catalog is not None
    versions = room.feature(Products).versions
    key = (product_id, sku_key(color, size))
    before = catalog.product(product_id).stock.get(key[1], 0)
    newer = level.version > versions.get(key, 0)
    if newer:
        versions[key] = level.version
        catalog.adjust(product_id, color, size, count=level.count)
    moved = delta if delta is not None else level.count - before
    change = StockChange(product_id, color, size, level.count - moved, level.count)
    changed = StockChanged(product_id, color, size, level.count, change.delta, reason, level.version)
    event = room.event_for(None, changed)
    event.user_id = buyer
    event.cid = cid
    event.context = Context(actor=actor)
    message = Stock(product_id=product_id, color=color, size=size, count=level.count) if newer else None
    await room.record(None, None, event, message, Priority.LOW)
    return change


class RoomServices:
    """The same services by room id, for callers outside a room (playbooks, HTTP routes, the CLI)."""

    def __init__(self, registry: RoomRegistry) -> None:
        self.registry = registry

    async def room(self, room_id: str) -> Room:
        room = await self.registry.get(room_id)
        if room is None:
            raise NotFound(room_id)
        return room

    async def say(self, room_id: str, text: str, intent: str = "playbook", **extra: Any) -> None:
        say(await self.room(room_id), text, intent, **extra)

    async def say_to(self, room_id: str, user_id: str, text: str, intent: str = "playbook") -> None:
        say_to(await self.room(room_id), user_id, text, intent)

    async def pin(self, room_id: str, product_id: str | None) -> bool:
        return (await self.room(room_id)).feature(Products).pin(product_id)

    async def push_card(
        self, room_id: str, product_id: str, title: str = "", until: int | None = None
    ) -> bool:
        return push_card(await self.room(room_id), product_id, title, until)

    async def notify_staff(self, room_id: str, text: str, level: Literal["info", "warn"] = "info") -> None:
        notify_staff(await self.room(room_id), text, level)

    async def adjust_stock(
        self, room_id: str, product_id: str, color: str, size: str, **kw: Any
    ) -> StockChange:
        return await adjust_stock(await self.room(room_id), product_id, color, size, **kw)
