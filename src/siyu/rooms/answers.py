"""Answering an action that awaits the database before it records: exactly one ack per cid.

A handler checks what it can at once (a failed ack there); then `begin` marks the cid in flight (a re-sent
frame waits for the first answer) and `finish` runs the work: its result is the ack (with extra fields), a
`Refused` its failed ack (the code's text from protocol.ERROR_TEXT unless given, and any detail fields),
anything else `store_unavailable` (not kept: a re-send may succeed). Without a cid, only a refusal is sent (an
error frame). An answer known without awaiting anything (e.g. "voted before") is work that returns at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from siyu.realtime import protocol as wire
from siyu.realtime.protocol import ErrorCode

if TYPE_CHECKING:
    from siyu.rooms.room import Member, Room

log = logging.getLogger(__name__)


class Refused(Exception):
    """The action is refused with a documented code (and its Chinese text); `detail`: more fields of the
    failed ack's `error` beside `code` and `message` (e.g. which line, what is missing)."""

    def __init__(self, code: str, text: str | None = None, **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.text = text or wire.ERROR_TEXT.get(code, code)
        self.detail = detail


def begin(room: Room, m: Member, cid: str | None) -> bool:
    """False when the cid was seen already (its first answer is sent, or will be)."""
    if cid is None:
        return True
    if room.answer_known(m, cid):
        return False
    room.acks.begin((m.user_id, cid), m)
    return True


async def finish(room: Room, m: Member, cid: str | None, work: Awaitable[dict[str, Any] | None]) -> None:
    keep = True
    try:
        extra = await work
    except Refused as r:
        data: bytes | None = wire.reject(cid, r.code, r.text, **r.detail)
    except Exception:
        log.exception("room %s: an action of %s failed", room.info.id, m.user_id)
        data, keep = wire.reject(cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"), False
    else:
        data = wire.encode({"type": "ack", "cid": cid, **(extra or {})}) if cid is not None else None
    if cid is None:
        if data is not None:
            m.send(data)
        return
    assert data is not None
    room.acks.settle((m.user_id, cid), data, keep=keep)


def answer(
    room: Room, m: Member, cid: str | None, work: Callable[[], Awaitable[dict[str, Any] | None]]
) -> None:
    """`begin`, then `finish` in a task of the room. The work is made only for a cid not seen yet; a known one
    (answered, or in flight) gets the first answer."""
    if begin(room, m, cid):
        room.spawn(finish(room, m, cid, work()))
