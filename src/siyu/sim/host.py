"""The demo's host at work: a real WebSocket client with a host token that runs the room's interactions
on a schedule (a topic, coupon drops, a 选款 poll, a flash sale, a lucky bag, each round), so a demo shows
them live.
Issue 13 turns schedules like this into playbooks."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any

from siyu.auth import Role, TokenSigner
from siyu.realtime.client import RoomClient, connect

ROUND_S = 90.0


def rounds(products: list[str]) -> list[tuple[float, dict[str, Any]]]:
    """(seconds into the round, frame without cid): what the host does in each round."""
    picks = products[:2] if len(products) >= 2 else []
    steps: list[tuple[float, dict[str, Any]]] = [
        (3, {"type": "topic_pin", "text": "你们希望下次直播有什么内容？"}),  # the comments until 85 s are its
        (85, {"type": "topic_unpin"}),
        (8, {"type": "coupon_push", "coupon_id": "C01", "quantity": 30, "seconds": 60}),
        (50, {"type": "coupon_push", "coupon_id": "C02", "quantity": 15, "seconds": 45}),
        (60, {"type": "luckybag_start", "prize": {"kind": "coupon", "coupon_id": "C02"}, "winners": 3,
              "seconds": 30, "entry": {"kind": "phrase", "phrase": "福袋来啦"}}),
    ]
    if picks:
        poll = {"type": "poll_start", "question": "下一款想看哪个？", "product_ids": picks, "seconds": 40}
        steps.append((20, poll))
    if products:
        steps.append((35, {"type": "flash_push", "product_id": products[-1], "price": 29, "quantity": 10,
                           "seconds": 50}))  # fmt: skip
    return sorted(steps, key=lambda s: s[0])


class DemoHost:
    def __init__(
        self, ws_url: Callable[[str], str], signer: TokenSigner, room_id: str, products: list[str]
    ) -> None:
        self._url = ws_url(room_id)
        self._token = signer.issue(room=room_id, user="demo-host-bot", role=Role.ASSISTANT, nickname="场控")
        self._products = products
        self._tag = secrets.token_hex(3)
        self.sent: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        client: RoomClient = await connect(f"{self._url}?token={self._token}", lambda _m: None)
        n, round_no = 0, 0
        try:
            while not stop.is_set():
                start = asyncio.get_running_loop().time()
                for at, frame in rounds(self._products[round_no % 2 :] or self._products):
                    wait = start + at - asyncio.get_running_loop().time()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), max(0.0, wait))
                    if stop.is_set():
                        return
                    n += 1
                    client.send({**frame, "cid": f"{self._tag}-{n}"})
                    self.sent[frame["type"]] = self.sent.get(frame["type"], 0) + 1
                rest = start + ROUND_S - asyncio.get_running_loop().time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, rest))
                round_no += 1
        finally:
            await client.close()
