"""A staff action run by the service layer: the typed client message handed to the owning feature's
handler under a service account, exactly as a host console's frame would be; the ack is the result.

This is how a playbook starts a poll or drops a coupon without importing the interaction that owns it:
the frame is data (its `type` names the message), the feature validates and decides, and a refusal comes
back as the ack's error.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError

from siyu.auth import Role
from siyu.events import now_ms
from siyu.realtime.protocol import ClientMessage

if TYPE_CHECKING:
    from siyu.rooms.room import Room

_seq = itertools.count(1)


class ActRefused(Exception):
    """The feature refused the action (its ack's error code), or the frame is not valid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ServiceActor:
    """A Member without a connection: what the handler sends back is read for the action's ack."""

    behind = False

    def __init__(self, user_id: str, nickname: str, role: Role = Role.OPERATOR) -> None:
        self.user_id = user_id
        self.nickname = nickname
        self.level = 0
        self.role = role
        self.joined_at_ms = now_ms()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    def expect(self, cid: str) -> asyncio.Future[dict[str, Any]]:
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[cid] = fut
        return fut

    def send(self, data: bytes) -> None:
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        fut = self._waiting.pop(str(msg.get("cid")), None) if isinstance(msg, dict) else None
        if fut is not None and not fut.done():
            fut.set_result(msg)

    def buffered(self) -> int:
        return 0

    def evict(self) -> None:
        pass

    def close(self, code: int, reason: str) -> None:
        pass

    def charge(self) -> None:
        pass


def frame_models(room: Room) -> dict[str, type[ClientMessage]]:
    return {model.message_type(): model for f in room.features.values() for model in f.inbound}


async def act(
    room: Room, actor: ServiceActor, frame: dict[str, Any], timeout: float = 10.0
) -> dict[str, Any]:
    """Run one staff frame in `room` as `actor`; the ack (with its `msg`, if any). Raises ActRefused with the
    feature's error code, `act.unknown_type` or `act.bad_message`."""
    model = frame_models(room).get(str(frame.get("type")))
    if model is None:
        raise ActRefused("act.unknown_type", f"no feature of this room handles {frame.get('type')!r}")
    cid = f"{actor.user_id}-{next(_seq)}-{now_ms()}"[:64]
    try:
        msg = model.model_validate({**frame, "cid": cid})
    except ValidationError as exc:
        raise ActRefused("act.bad_message", str(exc.errors()[0]["msg"])) from exc
    answer = actor.expect(cid)
    room.dispatch(actor, msg)  # type: ignore[arg-type]
    try:
        ack = await asyncio.wait_for(answer, timeout)
    except TimeoutError as exc:
        raise ActRefused("act.timeout", f"{frame.get('type')} was not answered in {timeout:g} s") from exc
    error = ack.get("error")
    if error:
        raise ActRefused(str(error.get("code")), str(error.get("message")))
    return ack
