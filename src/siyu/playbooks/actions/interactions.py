"""Actions that run an interaction: push_coupon, start_poll, start_lucky_bag, start_flash_sale, pin_topic
(through the
owning feature's own staff message, `services.act`), and pin_product (the service layer's pin).

The playbook knows interactions only as frames (data): the frame is validated by the interaction's own
client message model when the playbook is validated (if that wing is installed), and again when it runs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from siyu.playbooks.actions.base import Action, ActionFailed, RunCtx
from siyu.playbooks.model import register_action
from siyu.realtime.protocol import ClientMessage


def frame_model(kind: str) -> type[ClientMessage] | None:
    """The client message model of frame type `kind` among the loaded features' messages."""
    todo: list[type[ClientMessage]] = [ClientMessage]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        field = cls.model_fields.get("type")
        args = getattr(field.annotation, "__args__", ()) if field is not None else ()
        if args == (kind,):
            return cls
    return None


class FrameAction(Action):
    """An action that is one staff frame of an interaction."""

    frame_type: ClassVar[str] = ""

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        raise NotImplementedError

    @model_validator(mode="after")
    def _frame_valid(self) -> FrameAction:
        model = frame_model(self.frame_type)
        if model is not None:
            model.model_validate({"type": self.frame_type, **self.frame(None)})
        return self

    async def run(self, ctx: RunCtx) -> str:
        frame = {"type": self.frame_type, **self.frame(ctx)}
        ack = await ctx.effects.act(ctx, frame)
        return str(ack.get("reading") or self.frame_type)


@register_action("any")
class PushCoupon(FrameAction):
    """Drop catalog coupon `coupon_id` for `seconds`: to the run's viewer (a personal drop of one), or to the
    room (`quantity`, on a room run or with `to: room`)."""

    type: Literal["push_coupon"]
    coupon_id: str = Field(min_length=1, max_length=64)
    seconds: int = Field(60, ge=10, le=3600)
    quantity: int | None = Field(None, ge=1, le=100_000)
    to: Literal["viewer", "room"] = "viewer"
    frame_type: ClassVar[str] = "coupon_push"

    @property
    def contact(self) -> str | None:  # type: ignore[override]
        return "coupon" if self.to == "viewer" else None

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        out: dict[str, Any] = {"coupon_id": self.coupon_id, "seconds": self.seconds}
        if self.quantity is not None:
            out["quantity"] = self.quantity
        if ctx is not None and self.to == "viewer" and ctx.viewer is not None:
            out["to_user"], out["quantity"] = ctx.viewer.user_id, 1
        return out


@register_action("any")
class StartPoll(FrameAction):
    """Open a poll: `question` with 2–6 `options`, or 2–6 `product_ids` (选款), for `seconds`."""

    type: Literal["start_poll"]
    question: str = Field(min_length=1, max_length=60)
    options: list[str] | None = Field(None, min_length=2, max_length=6)
    product_ids: list[str] | None = Field(None, min_length=2, max_length=6)
    seconds: int = Field(60, ge=10, le=3600)
    frame_type: ClassVar[str] = "poll_start"

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "seconds": self.seconds}
        if self.options is not None:
            out["options"] = self.options
        if self.product_ids is not None:
            out["product_ids"] = self.product_ids
        return out


@register_action("any")
class StartLuckyBag(FrameAction):
    """Start a lucky bag (福袋): `prize` and `entry` as the luckybag_start message has them."""

    type: Literal["start_lucky_bag"]
    prize: dict[str, Any]
    entry: dict[str, Any]
    winners: int = Field(1, ge=1, le=1000)
    seconds: int = Field(180, ge=30, le=3600)
    frame_type: ClassVar[str] = "luckybag_start"

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        return {"prize": self.prize, "entry": self.entry, "winners": self.winners, "seconds": self.seconds}


@register_action("any")
class StartFlashSale(FrameAction):
    """A flash sale (限时秒杀): `product_id` (or `current`: the pinned one) at `price` yuan, `quantity`
    units for `seconds`, at most `per_user` each."""

    type: Literal["start_flash_sale"]
    product_id: str = Field(min_length=1, max_length=64)
    price: float = Field(gt=0, le=1_000_000, allow_inf_nan=False)
    quantity: int = Field(ge=1, le=100_000)
    seconds: int = Field(60, ge=10, le=3600)
    per_user: int = Field(1, ge=1, le=10)
    frame_type: ClassVar[str] = "flash_push"

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        pid = self.product_id
        if pid == "current":
            pid = (ctx.scope.pinned if ctx is not None else None) or "current"
            if ctx is not None and pid == "current":
                raise ActionFailed("card.no_product", "没有正在讲解的商品")
        return {"product_id": pid, "price": self.price, "quantity": self.quantity, "seconds": self.seconds,
                "per_user": self.per_user}  # fmt: skip


@register_action("any")
class PinTopic(FrameAction):
    """Pin a topic (话题) for the room to talk about."""

    type: Literal["pin_topic"]
    text: str = Field(min_length=1, max_length=100)
    frame_type: ClassVar[str] = "topic_pin"

    def frame(self, ctx: RunCtx | None) -> dict[str, Any]:
        return {"text": self.text}


@register_action("any")
class PinProduct(Action):
    """Pin a product (讲解卡): `product_id`, or `next` (the next product of the shop after the pinned one: a
    rotation), or `none` to unpin."""

    type: Literal["pin_product"]
    product_id: str = Field(min_length=1, max_length=64)

    async def run(self, ctx: RunCtx) -> str:
        pid: str | None = self.product_id
        if pid == "next":
            products = ctx.effects.products()
            if not products:
                raise ActionFailed("pin.no_products", "店铺没有商品")
            current = ctx.scope.pinned
            pid = (
                products[(products.index(current) + 1) % len(products)]
                if current in products
                else products[0]
            )
        elif pid == "none":
            pid = None
        if not await ctx.effects.pin(ctx, pid):
            raise ActionFailed("pin.unknown_product", str(pid))
        return (ctx.effects.product_name(pid) or pid) if pid else "取消讲解"
