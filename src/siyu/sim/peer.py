"""One simulated participant who is not part of the audience crowd: a room's simulated host, a mic guest, a
1v1 caller, a consultant. A real WebSocket client (siyu.realtime.client, as the audience's viewers use) that
awaits the ack of each action by its cid and hands every other message, batches unpacked, to its handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Callable
from typing import Any

from siyu.auth import Role, TokenSigner
from siyu.realtime.client import RoomClient, connect

ACK_WAIT_S = 10.0

Handler = Callable[[dict[str, Any]], None]


class Peer:
    def __init__(
        self,
        ws_url: Callable[[str], str],
        signer: TokenSigner,
        room_id: str,
        user_id: str,
        role: Role,
        nickname: str,
        level: int = 0,
    ) -> None:
        self.room_id, self.user_id, self.nickname, self.role = room_id, user_id, nickname, role
        self._url = f"{ws_url(room_id)}?token=" + signer.issue(
            room=room_id, user=user_id, role=role, nickname=nickname, level=level
        )
        self._client: RoomClient | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._cids = itertools.count()
        self._tag = secrets.token_hex(3)  # a cid is forever: this run's differ from an earlier run's
        self.handlers: list[Handler] = []
        self.errors: dict[str, int] = {}  # refusals by code
        self._benign: dict[str, tuple[str, ...]] = {}  # cid -> refusal codes not counted (see ask)
        self._asked: dict[str, str] = {}  # cid -> the type of the action asked, until its ack
        self.refused: list[tuple[str, str]] = []  # (action type, code) of the counted refusals of `ask`
        self.state: dict[str, Any] = {}  # the room state of the welcome, updated by `state` messages

    async def open(self) -> None:
        self._client = await connect(self._url, self._take)

    @property
    def closed(self) -> bool:
        return self._client is None or self._client.closed.done()

    def _take(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "welcome":
            self.state = dict(frame.get("state") or {})
        msgs = frame.get("msgs", ()) if frame.get("type") == "batch" else (frame,)
        for m in msgs:
            kind = m.get("type")
            if kind == "ack" and isinstance(m.get("cid"), str):
                waiter = self._acks.pop(m["cid"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(m)
            if kind in ("ack", "error"):
                err = m.get("error") if kind == "ack" else m
                cid = m.get("cid") if kind == "ack" else None
                benign = self._benign.pop(cid, ()) if isinstance(cid, str) else ()
                asked = self._asked.pop(cid, None) if isinstance(cid, str) else None
                if isinstance(err, dict) and str(err.get("code")) not in benign:
                    code = str(err.get("code"))
                    self.errors[code] = self.errors.get(code, 0) + 1
                    if asked is not None:
                        self.refused.append((asked, code))
                continue
            if kind == "state":
                self.state.update({k: v for k, v in m.items() if k != "type"})
            for handler in list(self.handlers):
                handler(m)

    def send(self, frame: dict[str, Any]) -> None:
        """Send a frame without waiting for its answer (signalling: relayed, acked only with a cid)."""
        if self._client is not None:
            self._client.send(frame)

    async def ask(self, frame: dict[str, Any], benign: tuple[str, ...] = ()) -> dict[str, Any]:
        """Send one action with a cid; its ack (with `error` when refused), or {} if none came in time.
        `benign`: refusals that are an expected outcome (a race this actor may lose), not counted as
        errors."""
        cid = f"{self._tag}-{self.user_id}-{next(self._cids)}"
        if benign:
            self._benign[cid] = benign
        self._asked[cid] = str(frame.get("type"))
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[cid] = waiter
        self.send({**frame, "cid": cid})
        try:
            return await asyncio.wait_for(waiter, ACK_WAIT_S)
        except TimeoutError:
            self._acks.pop(cid, None)
            self._benign.pop(cid, None)
            self._asked.pop(cid, None)
            return {}

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less if `stop` is set: True if the run goes on."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
    return not stop.is_set()
