"""Actions on the viewer's record: tag_viewer, add_points, hand_off (the follow-up for the CRM)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from siyu.playbooks.actions.base import Action, RunCtx
from siyu.playbooks.model import register_action


@register_action("viewer")
class TagViewer(Action):
    """Tag the viewer (kept for the shop: later sessions and the CRM see it; `viewer.tagged` event)."""

    type: Literal["tag_viewer"]
    tag: str = Field(min_length=1, max_length=30)

    async def run(self, ctx: RunCtx) -> str:
        await ctx.effects.tag(ctx, ctx.user_id, self.tag)
        if ctx.viewer is not None:
            ctx.viewer.tags.add(self.tag)
        return self.tag


@register_action("viewer")
class AddPoints(Action):
    """Add engagement points to the viewer (`points.added` event; the score and stage follow)."""

    type: Literal["add_points"]
    points: int = Field(ge=-100, le=100)
    reason: str = Field("", max_length=40)

    async def run(self, ctx: RunCtx) -> str:
        await ctx.effects.record(
            ctx, "points.added", {"points": self.points, "reason": self.reason}, ctx.user_id
        )
        return f"{self.points:+d}"


@register_action("viewer")
class HandOff(Action):
    """Hand the viewer to the follow-up journey (the CRM): a `crm.handoff` event with `journey` and `note`."""

    type: Literal["hand_off"]
    journey: str = Field(min_length=1, max_length=40)
    note: str = Field("", max_length=200)

    async def run(self, ctx: RunCtx) -> str:
        body = {"journey": self.journey, "note": self.note, "stage": ctx.viewer.stage if ctx.viewer else None}
        await ctx.effects.record(ctx, "crm.handoff", body, ctx.user_id)
        return self.journey
