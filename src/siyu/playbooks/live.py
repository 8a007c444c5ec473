"""Effects on a live room: the service layer, under the playbook's own account (`pb:<id>`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from siyu.auth import Role
from siyu.events import Context, now_ms
from siyu.playbooks.actions.base import ActionFailed, RunCtx
from siyu.playbooks.events import RECORDED, CardShown, InviteSent
from siyu.playbooks.invite import InviteService
from siyu.playbooks.store import PlaybookStore
from siyu.realtime.protocol import ServerMessage
from siyu.rooms.actor import ActRefused, ServiceActor, act
from siyu.rooms.budget import ContactBudget
from siyu.rooms.features.products import Products
from siyu.rooms.services import notify_staff, push_card, say, say_to

if TYPE_CHECKING:
    from siyu.rooms.room import Room


@dataclass(slots=True, kw_only=True)
class PersonalCard(ServerMessage):
    """A card for one viewer (a benefit or a product); its countdown starts when it shows."""

    type: Literal["card"] = "card"
    to: Literal["user"] = "user"
    product: dict[str, Any] | None
    title: str
    benefit: str | None
    seconds: int


@dataclass(slots=True, kw_only=True)
class InviteCard(ServerMessage):
    """A private-domain invite for one viewer: scan `qr` (a data URI) or open `url`; `state` attributes it."""

    type: Literal["invite"] = "invite"
    channel: str
    text: str
    incentive: str
    state: str
    url: str | None = None
    qr: str | None = None


class LiveEffects:
    def __init__(
        self, room: Room, store: PlaybookStore, budget: ContactBudget, invites: InviteService
    ) -> None:
        self.room = room
        self.store = store
        self.budget = budget
        self.invites = invites  # WeCom contact ways and join ways, mini-program links, follows
        self._actors: dict[str, ServiceActor] = {}

    def actor(self, run: RunCtx) -> ServiceActor:
        got = self._actors.get(run.playbook_id)
        if got is None:
            got = self._actors[run.playbook_id] = ServiceActor(run.actor, "直播助理", Role.OPERATOR)
        return got

    async def claim(self, playbook_id: str, key: str) -> bool:
        return await self.store.claim(self.room.info.id, playbook_id, key)

    async def say_to(self, run: RunCtx, user_id: str, text: str, **extra: Any) -> None:
        say_to(self.room, user_id, text, "playbook", parent=run.parent, actor=run.actor, source="playbook")

    async def say(self, run: RunCtx, text: str, **extra: Any) -> None:
        say(self.room, text, "playbook", actor=run.actor, parent=run.parent)

    async def card(self, run: RunCtx, user_id: str | None, card: dict[str, Any]) -> None:
        pid = card.get("product_id")
        if user_id is None:
            if pid is None:
                say(
                    self.room,
                    card.get("benefit") or card["title"],
                    "playbook",
                    actor=run.actor,
                    parent=run.parent,
                )
            elif not push_card(self.room, pid, card["title"], seconds=card["seconds"], actor=run.actor):
                raise ActionFailed("card.unknown_product", str(pid))
            return
        product = self.room.products.get(pid) if pid else None
        self.room.to_user(
            user_id,
            PersonalCard(
                product=product, title=card["title"], benefit=card.get("benefit"), seconds=card["seconds"]
            ),
        )
        self._log(run, CardShown(pid, card["title"], card.get("benefit"), card["seconds"]), user_id)

    async def act(self, run: RunCtx, frame: dict[str, Any]) -> dict[str, Any]:
        try:
            ack = await act(self.room, self.actor(run), frame)
        except ActRefused as exc:
            raise ActionFailed(exc.code, exc.message) from exc
        msg = ack.get("msg") or {}
        return {"reading": f"{frame['type']} seq={ack.get('seq')}", "msg": msg}

    async def pin(self, run: RunCtx, product_id: str | None) -> bool:
        return self.room.feature(Products).pin(product_id, by=self.actor(run))  # type: ignore[arg-type]

    async def invite(
        self, run: RunCtx, user_id: str, channel: str, incentive: str, text: str
    ) -> dict[str, Any]:
        session = self.room.session.id if self.room.session else ""
        if self.invites is None:
            if channel != "follow_notify":
                raise ActionFailed("invite.not_configured", f"{channel} 未配置（[wecom]）")
            offer: dict[str, Any] = {"state": "", "url": None, "qr": None}
        else:
            try:
                got = await self.invites.issue(
                    self.room.info.id, session, run.playbook_id, user_id, channel, incentive
                )
            except Exception as exc:
                raise ActionFailed(getattr(exc, "code", "invite.failed"), str(exc)) from exc
            offer = {"state": got.state, "url": got.url, "qr": got.qr}
        self.room.to_user(user_id, InviteCard(channel=channel, text=text, incentive=incentive, **offer))
        self._log(run, InviteSent(channel, offer["state"] or "", incentive, run.playbook_id), user_id)
        return offer

    async def assistant(self, run: RunCtx, kind: str, to: str) -> str | None:
        service = self.room.provided.get(f"assistant.{kind}")
        if service is None:
            raise ActionFailed("assistant.unavailable", "这个房间没有助手")
        context = {"actor": run.actor, "parent": run.parent}  # the logged answer names the run
        if kind == "companion":
            return service(**context)  # type: ignore[no-any-return]
        v = run.vars
        key, question = str(v.get("key")), str(v.get("question") or "")
        return service(key, question, v.get("product_id"), **context)  # type: ignore[no-any-return]

    async def notify(self, run: RunCtx, text: str, level: str) -> None:
        notify_staff(self.room, text, "warn" if level == "warn" else "info")

    async def tag(self, run: RunCtx, user_id: str, tag: str) -> None:
        await self.store.tag(self.room.info.shop_id, user_id, tag)
        await self.record(run, "viewer.tagged", {"tag": tag}, user_id)

    async def record(self, run: RunCtx, type_name: str, body: dict[str, Any], user_id: str | None) -> None:
        self._log(run, RECORDED[type_name](**body), user_id)

    def _log(self, run: RunCtx, payload: Any, user_id: str | None) -> None:
        event = self.room.event_for(None, payload, parent=run.parent)
        event.user_id = user_id
        event.context = Context(parent_id=run.parent, actor=run.actor)
        self.room.log(event)
        feature = self.room.provided.get("playbooks.observe")  # the engine sees what it did at once
        if feature is not None:
            feature(event)

    async def purchased(self, user_id: str, ts: int) -> None:
        await self.budget.note_purchase(self.room.info.shop_id, user_id, ts)

    async def spend(
        self, run: RunCtx, user_id: str, kind: str, *, value_felt: bool, override: bool
    ) -> str | None:
        session = self.room.session.id if self.room.session else None
        return await self.budget.spend(
            self.room.info.shop_id, user_id, kind, now_ms(), session, value_felt=value_felt, override=override
        )

    def products(self) -> list[str]:
        """The shop's products in link order (1号链接 first): the pin rotation's order."""
        cards = self.room.products
        return sorted(cards, key=lambda pid: (cards[pid].get("link_no") or 10**6, pid))

    def product_name(self, product_id: str) -> str | None:
        card = self.room.products.get(product_id)
        return str(card.get("short_name") or card.get("name") or product_id) if card else None
