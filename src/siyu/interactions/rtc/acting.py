"""Answering an action that awaits the database before it records: exactly one ack per cid.

A handler checks what it can at once (`reject` there); then `begin` marks the cid in flight (a re-sent
frame waits for the first answer) and `finish` runs the work: its result is the ack (with extra fields), a
`Refused` its failed ack, anything else `store_unavailable` (not kept: a re-send may succeed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from siyu.realtime import protocol as wire
from siyu.realtime.protocol import ErrorCode
from siyu.rooms.room import Member, Room

from .model import TEXT

log = logging.getLogger(__name__)


class Refused(Exception):
    def __init__(self, code: str, text: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.text = text or TEXT.get(code) or wire.ERROR_TEXT.get(code, code)


def refuse(m: Member, cid: str | None, code: str, text: str | None = None) -> None:
    """A refusal known at once: a failed ack (or an error frame without a cid)."""
    m.send(wire.reject(cid, code, text or TEXT.get(code) or wire.ERROR_TEXT.get(code, code)))


def begin(room: Room, m: Member, cid: str | None) -> bool:
    """False when the cid was seen already (its first answer is sent, or will be)."""
    if cid is None:
        return True
    if room.answer_known(m, cid):
        return False
    room.acks.begin((m.user_id, cid), m)
    return True


def logged(fut: asyncio.Future[None]) -> None:
    """A done-callback for a record() nobody awaits: its failure is logged, not lost."""
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("recording a call or mic event failed: %r", fut.exception())


async def finish(room: Room, m: Member, cid: str | None, work: Awaitable[dict[str, Any] | None]) -> None:
    keep = True
    try:
        extra = await work
    except Refused as r:
        data: bytes | None = wire.reject(cid, r.code, r.text)
    except Exception:
        log.exception("room %s: a call action of %s failed", room.info.id, m.user_id)
        data, keep = wire.reject(cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"), False
    else:
        data = wire.encode({"type": "ack", "cid": cid, **(extra or {})}) if cid is not None else None
    if cid is None:
        if data is not None:
            m.send(data)
        return
    assert data is not None
    room.acks.settle((m.user_id, cid), data, keep=keep)
