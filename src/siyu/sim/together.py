"""The demo's real-time-together cast (issue 14): who plays PK, mic and calls, and in which room.

- the demo room's simulated host (晚晚): invites the partner room to PK battles and takes mic guests;
- the partner room's simulated host (小柚): accepts PK invites;
- a simulated consultant (顾问安安) in the demo room: takes 1v1 calls;
- a simulated viewer who asks for the mic, and one who calls the consultant.
Each is a real WebSocket client (sim/peer.py); mic and calls connect aiortc peers (sim/rtc_peer.py).
The audiences of both rooms are `Audience`s (sim/audience.py): they gift during a battle (sim/shopper.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from siyu.auth import Role, TokenSigner
from siyu.sim.host_pk import PkChallenger, PkPartner, PkPlan
from siyu.sim.mic_calls import Caller, Consultant, MicGuest, MicHost, TogetherPlan
from siyu.sim.peer import Peer

PARTNER_SHOP = {"name": "小柚的衣橱", "host": "小柚"}
PARTNER_TITLE = "小柚的衣橱·暖冬穿搭夜"


@dataclass
class Cast:
    host: str = "晚晚"
    partner_host: str = "小柚"
    consultant: str = "顾问安安"
    guest: str = "奶茶不加糖"
    caller: str = "想买大衣的阿杰"


@dataclass
class TogetherConfig:
    pk: PkPlan = field(default_factory=PkPlan)
    plan: TogetherPlan = field(default_factory=TogetherPlan)
    cast: Cast = field(default_factory=Cast)
    calls: bool = True  # the 1v1 caller and the consultant
    mic: bool = True  # the mic guest (the host takes the human viewer's requests either way)


class Together:
    def __init__(
        self,
        ws_url: Callable[[str], str],
        signer: TokenSigner,
        room_id: str,
        partner_room: str,
        config: TogetherConfig | None = None,
    ) -> None:
        cfg = self.config = config or TogetherConfig()
        c = cfg.cast

        def peer(room: str, user: str, role: Role, nick: str, level: int = 0) -> Peer:
            return Peer(ws_url, signer, room, user, role, nick, level)

        self.host = peer(room_id, "sim-host", Role.HOST, c.host)
        self.partner_host = peer(partner_room, "sim-partner-host", Role.HOST, c.partner_host)
        self.peers = [self.host, self.partner_host]
        self.challenger = PkChallenger(self.host, partner_room, cfg.pk)
        self.partner = PkPartner(self.partner_host, cfg.pk)
        self.mic_host = MicHost(self.host, cfg.plan)
        self.guest: MicGuest | None = None
        self.consultant: Consultant | None = None
        self.caller: Caller | None = None
        if cfg.mic:
            guest = peer(room_id, "sim-guest", Role.VIEWER, c.guest, 15)
            self.guest = MicGuest(guest, cfg.plan)
            self.peers.append(guest)
        if cfg.calls:
            staff = peer(room_id, "sim-consultant", Role.CONSULTANT, c.consultant)
            viewer = peer(room_id, "sim-caller", Role.VIEWER, c.caller, 4)
            self.consultant = Consultant(staff, cfg.plan)
            self.caller = Caller(viewer, staff.user_id, cfg.plan)
            self.peers += [staff, viewer]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, stop: asyncio.Event) -> None:
        """Connect everyone and start their parts (they run until `stop`)."""
        await asyncio.gather(*(p.open() for p in self.peers))
        if self.consultant is not None:
            await self.consultant.start()
        runs = [self.challenger.run(stop), self.mic_host.run(stop)]
        runs += [p.run(stop) for p in (self.guest, self.caller) if p is not None]
        self._tasks = [asyncio.create_task(r) for r in runs]

    async def finish(self) -> None:
        """After `stop`: end what is still on (a battle gets its result, calls and mic turns end), close."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.challenger.finish()
        parts = [self.mic_host, self.guest, self.caller, self.consultant]
        for part in parts:
            if part is not None:
                await part.close()
        await self.partner.close()
        await asyncio.gather(*(p.close() for p in self.peers))

    @property
    def connected_calls(self) -> int:
        """Calls whose remote video played on the demo room host's or the consultant's side."""
        sides = [self.mic_host.rtc, *(p.rtc for p in (self.consultant,) if p is not None)]
        return sum(len(a.connected) for a in sides)

    def refusals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.peers:
            for code, n in p.errors.items():
                out[code] = out.get(code, 0) + n
        return out
