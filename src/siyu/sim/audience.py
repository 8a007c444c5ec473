"""A simulated audience of real WebSocket clients: viewers enter, comment, like, gift, follow and leave.

Arrivals are a Poisson process; a share of viewers bounce within 3 s (the 三秒判断 the playbook is
about); the rest stay an exponentially distributed time, commenting (some of it questions) and liking.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from siyu.auth import Role, TokenSigner
from siyu.realtime.client import RoomClient, connect
from siyu.sim.phrases import CHATTER, NICKNAMES, QUESTIONS


@dataclass
class AudienceConfig:
    arrivals_per_s: float = 2.0
    max_online: int = 60
    bounce_share: float = 0.3
    mean_stay_s: float = 45.0
    mean_comment_gap_s: float = 6.0
    question_share: float = 0.35
    seed: int | None = None


@dataclass
class AudienceStats:
    entered: int = 0
    bounced: int = 0
    left: int = 0
    comments: int = 0
    questions: int = 0
    likes: int = 0
    gifts: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class Audience:
    def __init__(
        self,
        ws_url: Callable[[str], str],
        signer: TokenSigner,
        room_id: str,
        config: AudienceConfig | None = None,
    ) -> None:
        self._ws_url = ws_url
        self._signer = signer
        self._room = room_id
        self.config = config or AudienceConfig()
        self.stats = AudienceStats()
        self._rng = random.Random(self.config.seed)
        self._viewers: set[asyncio.Task[None]] = set()
        self._n = 0

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
        for task in list(self._viewers):
            task.cancel()
        await asyncio.gather(*self._viewers, return_exceptions=True)

    def _count_error(self, msg: dict[str, object]) -> None:
        err = msg.get("error") if msg.get("type") == "ack" else msg if msg.get("type") == "error" else None
        if isinstance(err, dict):
            code = str(err.get("code"))
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1

    async def _viewer(self) -> None:
        rng, cfg = self._rng, self.config
        self._n += 1
        user = f"sim-{self._n:05d}"
        nick = rng.choice(NICKNAMES) + (str(rng.randint(1, 99)) if rng.random() < 0.5 else "")
        level = rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 12, 18])
        token = self._signer.issue(room=self._room, user=user, role=Role.VIEWER, nickname=nick, level=level)
        client: RoomClient = await connect(f"{self._ws_url(self._room)}?token={token}", self._count_error)
        self.stats.entered += 1
        try:
            if rng.random() < cfg.bounce_share:
                self.stats.bounced += 1
                await asyncio.sleep(rng.uniform(0.3, 2.9))
                return
            deadline = asyncio.get_running_loop().time() + rng.expovariate(1 / cfg.mean_stay_s)
            k = 0
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(rng.expovariate(1 / cfg.mean_comment_gap_s))
                roll = rng.random()
                k += 1
                if roll < 0.55:
                    question = rng.random() < cfg.question_share
                    text = rng.choice(QUESTIONS if question else CHATTER)
                    client.send({"type": "comment", "cid": f"{user}-{k}", "text": text})
                    self.stats.comments += 1
                    self.stats.questions += int(question)
                elif roll < 0.9:
                    n = rng.randint(1, 8)
                    client.send({"type": "like", "count": n})
                    self.stats.likes += n
                elif roll < 0.96:
                    client.send({"type": "follow"})
                else:
                    client.send({"type": "gift", "gift_id": rng.choice(["heart", "rose", "lightstick"])})
                    self.stats.gifts += 1
        finally:
            self.stats.left += 1
            await client.close()
