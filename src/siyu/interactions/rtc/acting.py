"""The calls' and the mic's answers: refusals known at once, and the done-callback of a record nobody awaits.
An action that awaits the database answers through the room's `begin` / `finish` (rooms/answers.py)."""

from __future__ import annotations

import asyncio
import logging

from siyu.realtime import protocol as wire
from siyu.rooms.answers import Refused, answer, begin, finish
from siyu.rooms.room import Member

from .model import TEXT

__all__ = ["Refused", "answer", "begin", "finish", "logged", "refuse"]

log = logging.getLogger(__name__)


def refuse(m: Member, cid: str | None, code: str, text: str | None = None) -> None:
    """A refusal known at once: a failed ack (or an error frame without a cid)."""
    m.send(wire.reject(cid, code, text or TEXT.get(code) or wire.ERROR_TEXT.get(code, code)))


def logged(fut: asyncio.Future[None]) -> None:
    """A done-callback for a record() nobody awaits: its failure is logged, not lost."""
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("recording a call or mic event failed: %r", fut.exception())
