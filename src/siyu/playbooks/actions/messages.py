"""Actions that speak: send_private, broadcast, show_card, notify_host, ask_assistant,
invite_private_domain."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from siyu.playbooks.actions.base import Action, ActionFailed, RunCtx
from siyu.playbooks.model import register_action

Text = Field(min_length=1, max_length=500)
CHANNEL_ZH = {"wecom_contact": "加企业微信", "community_group": "加入专属社群", "mini_program": "打开小程序",
              "follow_notify": "关注开播提醒"}  # fmt: skip


@register_action("viewer")
class SendPrivate(Action):
    """A personal message from the assistant to the run's viewer (only they see it)."""

    type: Literal["send_private"]
    text: str = Text
    contact: ClassVar[str | None] = "message"
    templates: ClassVar[tuple[str, ...]] = ("text",)

    async def run(self, ctx: RunCtx) -> str:
        text = ctx.text(self.text)
        await ctx.effects.say_to(ctx, ctx.user_id, text)
        return text


@register_action("any")
class Broadcast(Action):
    """The assistant says `text` to the whole room."""

    type: Literal["broadcast"]
    text: str = Text
    templates: ClassVar[tuple[str, ...]] = ("text",)

    async def run(self, ctx: RunCtx) -> str:
        text = ctx.text(self.text)
        await ctx.effects.say(ctx, text)
        return text


@register_action("any")
class ShowCard(Action):
    """A card: a product (`product_id`, or `current`: the pinned one) or a benefit (`benefit` text), for
    `seconds` counted from when that viewer sees it. To the run's viewer; to the room on a room run."""

    type: Literal["show_card"]
    product_id: str | None = Field(None, max_length=64)
    title: str = Field("", max_length=60)
    benefit: str | None = Field(None, max_length=100)
    seconds: int = Field(30, ge=5, le=3600)
    contact: ClassVar[str | None] = "card"
    templates: ClassVar[tuple[str, ...]] = ("title", "benefit")

    async def run(self, ctx: RunCtx) -> str:
        pid = ctx.scope.pinned if self.product_id == "current" else self.product_id
        if self.product_id is not None and pid is None:
            raise ActionFailed("card.no_product", "没有正在讲解的商品")
        if pid is not None and ctx.effects.product_name(pid) is None:
            raise ActionFailed("card.unknown_product", pid)
        card = {
            "product_id": pid,
            "title": ctx.text(self.title),
            "seconds": self.seconds,
            "benefit": ctx.text(self.benefit) if self.benefit else None,
        }
        await ctx.effects.card(ctx, ctx.viewer.user_id if ctx.viewer else None, card)
        return str(card["title"] or card["benefit"] or (ctx.effects.product_name(pid) if pid else "") or "")


@register_action("any")
class NotifyHost(Action):
    """A toast on every host console (`priority` high: a warning the host should not miss)."""

    type: Literal["notify_host"]
    text: str = Text
    priority: Literal["normal", "high"] = "normal"
    templates: ClassVar[tuple[str, ...]] = ("text",)

    async def run(self, ctx: RunCtx) -> str:
        text = ctx.text(self.text)
        await ctx.effects.notify(ctx, text, "warn" if self.priority == "high" else "info")
        return text


@register_action("any")
class AskAssistant(Action):
    """The assistant speaks from the catalog: `companion` (a line about the pinned product, to keep the
    room company), or `answer_group` (the answer many asked for: needs a many_asked trigger)."""

    type: Literal["ask_assistant"]
    kind: Literal["companion", "answer_group"]

    async def run(self, ctx: RunCtx) -> str:
        said = await ctx.effects.assistant(ctx, self.kind, "room")
        if said is None:
            raise ActionFailed("assistant.nothing", "助手这次没有可说的")
        return said


@register_action("viewer")
class InvitePrivateDomain(Action):
    """Invite the viewer to the private domain: `channel` wecom_contact (加企业微信), community_group
    (加入专属社群), mini_program (小程序), follow_notify (关注开播提醒), with an `incentive`. The QR carries a
    `state` (≤ 30
    characters) naming room, session, playbook and viewer for attribution. Spends the `invite` budget and,
    unless `override_value_gate`, needs the viewer to have felt value first."""

    type: Literal["invite_private_domain"]
    channel: Literal["wecom_contact", "community_group", "mini_program", "follow_notify"]
    incentive: str = Field("", max_length=60)
    text: str = Text
    override_value_gate: bool = False
    contact: ClassVar[str | None] = "invite"
    templates: ClassVar[tuple[str, ...]] = ("text", "incentive")

    async def run(self, ctx: RunCtx) -> str:
        incentive = ctx.text(self.incentive) if self.incentive else ""
        ctx.vars["incentive"] = incentive
        offer = await ctx.effects.invite(ctx, ctx.user_id, self.channel, incentive, ctx.text(self.text))
        state = offer.get("state") or ""
        return f"{CHANNEL_ZH[self.channel]}" + (f"（state {state}）" if state else "")
