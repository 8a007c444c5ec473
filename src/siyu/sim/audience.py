"""A simulated audience of real WebSocket clients: viewers enter, comment, like, gift, follow, claim
coupons, vote, buy (sim/shopper.py) and leave.

Arrivals are a Poisson process; a share of viewers bounce within 3 s (the 三秒判断 the playbook is
about); the rest stay an exponentially distributed time, commenting (some of it questions) and liking.

Every action carries a cid and is counted when its ack comes (`comments` are comments the server
acknowledged; `sent` counts the frames); a viewer that leaves first waits for the acks it is
owed, then closes the WebSocket cleanly (close frame, then the server's), so no frame is lost on the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siyu.auth import Role, TokenSigner
from siyu.realtime.client import RoomClient, connect
from siyu.sim.phrases import CHATTER, NICKNAMES, QUESTIONS
from siyu.sim.shopper import Seen, ShopperConfig, next_action

ACK_WAIT_S = 10.0


@dataclass
class AudienceConfig:
    arrivals_per_s: float = 2.0
    max_online: int = 60
    bounce_share: float = 0.3
    mean_stay_s: float = 45.0
    mean_comment_gap_s: float = 6.0
    question_share: float = 0.35
    seed: int | None = None
    avoid_names: tuple[str, ...] = ()  # real people's nicknames (the demo's viewer): never in a simulated one
    shopper: ShopperConfig = field(default_factory=ShopperConfig)


@dataclass
class AudienceStats:
    entered: int = 0
    bounced: int = 0
    left: int = 0
    sent: int = 0  # action frames written (comments, likes, gifts, follows)
    comments: int = 0  # comments the server acknowledged
    questions: int = 0
    likes: int = 0
    gifts: int = 0
    claims: int = 0  # coupons granted
    votes: int = 0
    bag_entries: int = 0  # lucky bags entered with luckybag_join (a 口令 entry is a comment)
    orders: int = 0
    gmv: float = 0.0  # yuan, what the orders cost
    unacked: int = 0  # actions still without an answer when their viewer left (should stay 0)
    unacked_kinds: dict[str, int] = field(default_factory=dict)
    unacked_cids: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


class Audience:
    def __init__(
        self,
        ws_url: Callable[[str], str],
        signer: TokenSigner,
        room_id: str,
        config: AudienceConfig | None = None,
        products: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._ws_url = ws_url
        self._signer = signer
        self._room = room_id
        self.config = config or AudienceConfig()
        self.stats = AudienceStats()
        self.products = products or {}  # the 小黄车 listing (id -> item with colours, sizes, stock)
        self._rng = random.Random(self.config.seed)
        self._viewers: set[asyncio.Task[None]] = set()
        self._n = 0
        # a cid is the client's id for one action, forever: this run's cids differ from an earlier run's,
        # whose simulated viewers had the same user ids (the log would answer those with the first ack)
        self._run_tag = secrets.token_hex(3)
        self._stopping = asyncio.Event()

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the run stops: True if the viewer should go on."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep viewers arriving until `stop` is set, then let everyone leave."""
        cfg = self.config
        while not stop.is_set():
            gap = self._rng.expovariate(cfg.arrivals_per_s)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), gap)
            if stop.is_set():
                break
            if len(self._viewers) < cfg.max_online:
                task = asyncio.create_task(self._viewer())
                self._viewers.add(task)
                task.add_done_callback(self._viewers.discard)
        # everyone leaves the way a viewer leaves (stops acting, waits for the acks it is owed, closes):
        # cancelling them would cut a leaving viewer's wait short and count its acks as missing
        self._stopping.set()
        await asyncio.gather(*self._viewers, return_exceptions=True)

    def _answered(self, pending: dict[str, tuple[str, int]], msg: dict[str, Any]) -> None:
        """An ack settles the action it names: counted as done, or as refused under its error code."""
        err = msg.get("error") if msg.get("type") == "ack" else msg if msg.get("type") == "error" else None
        if isinstance(err, dict):
            code = str(err.get("code"))
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        if msg.get("type") != "ack" or not isinstance(msg.get("cid"), str):
            return
        got = pending.pop(str(msg["cid"]), None)
        if got is None or err is not None:
            return
        kind, n = got
        s = self.stats
        if kind in ("comment", "question"):
            s.comments += 1
            s.questions += int(kind == "question")
        elif kind == "like":
            s.likes += n
        elif kind == "gift":
            s.gifts += 1
        elif kind == "claim":
            s.claims += 1
        elif kind == "vote":
            s.votes += 1
        elif kind == "luckybag":
            s.bag_entries += 1
        elif kind == "order" and isinstance(msg.get("order"), dict):
            s.orders += 1
            s.gmv += float(msg["order"]["total"])

    async def _viewer(self) -> None:
        rng, cfg = self._rng, self.config
        self._n += 1
        user = f"sim-{self._n:05d}"
        names = [n for n in NICKNAMES if not any(a and (a in n or n in a) for a in cfg.avoid_names)]
        nick = rng.choice(names or ["观众"]) + (str(rng.randint(1, 99)) if rng.random() < 0.5 else "")
        level = rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 12, 18])
        token = self._signer.issue(room=self._room, user=user, role=Role.VIEWER, nickname=nick, level=level)
        pending: dict[str, tuple[str, int]] = {}  # cid -> (kind, count) until its ack
        seen = Seen()

        def on_message(msg: dict[str, Any]) -> None:
            seen.take(msg)
            self._answered(pending, msg)

        client: RoomClient = await connect(f"{self._ws_url(self._room)}?token={token}", on_message)
        self.stats.entered += 1

        def act(kind: str, frame: dict[str, object], n: int = 1) -> None:
            cid = f"{self._run_tag}-{self.stats.sent}"
            pending[cid] = (kind, n)
            self.stats.sent += 1
            client.send({**frame, "cid": cid})

        try:
            if rng.random() < cfg.bounce_share:
                self.stats.bounced += 1
                await self._pause(rng.uniform(0.3, 2.9))
                return
            deadline = asyncio.get_running_loop().time() + rng.expovariate(1 / cfg.mean_stay_s)
            while asyncio.get_running_loop().time() < deadline:
                if not await self._pause(rng.expovariate(1 / cfg.mean_comment_gap_s)):
                    break
                interaction = next_action(seen, self.products, cfg.shopper, rng, int(time.time() * 1000))
                if interaction is not None:
                    act(*interaction)
                    continue
                roll = rng.random()
                if roll < 0.55:
                    question = rng.random() < cfg.question_share
                    text = rng.choice(QUESTIONS if question else CHATTER)
                    act("question" if question else "comment", {"type": "comment", "text": text})
                elif roll < 0.9:
                    n = rng.randint(1, 8)
                    act("like", {"type": "like", "count": n}, n)
                elif roll < 0.96:
                    act("follow", {"type": "follow"})
                else:
                    act("gift", {"type": "gift", "gift_id": rng.choice(["heart", "rose", "lightstick"])})
        finally:
            await self._leave(client, pending)

    async def _leave(self, client: RoomClient, pending: dict[str, tuple[str, int]]) -> None:
        """Wait for the acks this viewer is owed (a leaving viewer still counts what it sent), then close.

        The wait ends with the last ack; its bound (ACK_WAIT_S) only stops a viewer from waiting forever for
        a server that died: on a starved machine a commit can wait seconds behind another writer."""
        deadline = asyncio.get_running_loop().time() + ACK_WAIT_S
        with contextlib.suppress(asyncio.CancelledError):
            while pending and asyncio.get_running_loop().time() < deadline and not client.closed.done():
                await asyncio.sleep(0.02)
        self.stats.unacked += len(pending)
        self.stats.unacked_cids.extend(pending)
        for kind, _n in pending.values():
            self.stats.unacked_kinds[kind] = self.stats.unacked_kinds.get(kind, 0) + 1
        if pending and client.closed.done():
            self.stats.unacked_kinds["closed-by-server"] = client.closed.result()
        self.stats.left += 1
        await client.close()
