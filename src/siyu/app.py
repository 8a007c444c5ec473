"""App factory: one isolated node (store, bus, event log, rooms, gateway, HTTP API) from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import socket
import sys
from collections.abc import Generator
from importlib import resources
from typing import Any

import uvicorn

from siyu.assistant.feature import AssistantFeature
from siyu.auth import TokenSigner
from siyu.config import ConfigError, Settings
from siyu.events import Bus
from siyu.interactions import Coupons, FanClub, Leaderboard, Polls, Topics
from siyu.interactions.luckybag import LuckyBags
from siyu.interactions.orders import Orders
from siyu.interactions.pk import Pk
from siyu.interactions.quiz import QuizRewards
from siyu.interactions.rtc import Calls, Mic
from siyu.moderation.room import Moderation
from siyu.playbooks.feature import Playbooks
from siyu.realtime.broker import Broker, MemoryBroker
from siyu.realtime.fanout import FanoutStats
from siyu.realtime.gateway import Gateway
from siyu.realtime.router import Router
from siyu.recommend.room import Recommendations
from siyu.rooms.feature import Feature, FeatureSet
from siyu.rooms.features import CORE_FEATURES, Products
from siyu.rooms.registry import RoomRegistry
from siyu.rooms.report import SessionReport, session_report
from siyu.rooms.room import RoomDeps
from siyu.rooms.service import RoomService
from siyu.rooms.services import RoomServices
from siyu.store import Database, EventLog

log = logging.getLogger(__name__)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket that several worker processes bind together (the kernel spreads connections)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def tune_gc() -> None:
    """Freeze start-up objects out of the collector and collect less often.

    Measured: the full collections of a default-threshold GC stalled the loop up to ~100 ms under
    connection churn, which is the whole p99 of the welcome latency (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    # The event log's writer thread needs the GIL a few times per commit; at the default 5 ms switch
    # interval each of those waits out a loop busy writing to thousands of sockets (docs/benchmarks.md).
    sys.setswitchinterval(0.001)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the node's owner (CLI or test) handles signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def demo_catalog() -> dict[str, Any]:
    """The catalog fixture shipped in the package (the demo shop 晚晚的衣橱)."""
    text = resources.files("siyu.data").joinpath("catalog.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def make_broker(settings: Settings) -> Broker:
    """The in-process broker, or Redis when `redis_url` is set (scale-out across processes and machines)."""
    if settings.redis_url:
        from siyu.realtime.redis_broker import RedisBroker

        return RedisBroker(settings.redis_url, history_size=settings.limits.history_size)
    return MemoryBroker()


FEATURES: list[type[Feature]] = [
    *CORE_FEATURES, Moderation, AssistantFeature, Recommendations, FanClub, Coupons, Polls, QuizRewards,
    Orders, LuckyBags, Leaderboard, Topics, Pk, Calls, Mic, Playbooks,
]  # fmt: skip
"""The room features a node runs: the core's, then the wings' (a wing's feature may find core ones)."""


class Node:
    def __init__(self, settings: Settings, features: list[type[Feature]] | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
        self.bus = Bus()
        self.broker: Broker = make_broker(settings)
        self.eventlog = EventLog(self.db, self.bus)
        self.rooms = RoomService(self.db)
        self.signer = TokenSigner(settings.secret, settings.token_ttl_s)
        self.fanout_stats = FanoutStats()
        self.features = FeatureSet(FEATURES if features is None else features)
        self.router = self.features.fill(Router(), settings.limits)
        deps = RoomDeps(
            self.rooms, self.eventlog, self.broker, self.bus, settings, self.fanout_stats, self.features
        )
        self.registry = RoomRegistry(deps)
        self.services = RoomServices(self.registry)
        self.gateway = Gateway(settings, self.signer, self.registry, self.router)
        self._http: _EmbeddedServer | None = None
        self._http_task: asyncio.Task[None] | None = None
        self.http_port = 0
        self.ready = False
        """True once the node serves rooms (GET /readyz): set at the end of `start`, cleared by `stop`."""

    @property
    def public_host(self) -> str:
        if self.settings.public_host:
            return self.settings.public_host
        return "127.0.0.1" if self.settings.host in ("0.0.0.0", "::", "") else self.settings.host

    @property
    def http_url(self) -> str:
        return f"http://{self.public_host}:{self.http_port}"

    def ws_url(self, room_id: str) -> str:
        return f"ws://{self.public_host}:{self.gateway.port}/ws/rooms/{room_id}"

    async def start(self, *, demo_room: str | None = None) -> None:
        """Migrate, start the broker, the event log, the gateway and the HTTP API; with `demo_room`, also
        load the shipped catalog into that room with a live session. Ready (GET /readyz) only then."""
        from siyu.web.api import create_api

        await self.db.migrate()
        await self.broker.start()
        if self.db.is_sqlite:  # a SQLite file is one machine's: nodes elsewhere would keep another log
            machine = socket.gethostname()
            others = [m for m in await self.broker.announce("sqlite-machine", machine) if m != machine]
            if others:
                await self.broker.stop()  # a refused start leaves no connection behind
                raise ConfigError(
                    "config.sqlite_shared",
                    f"nodes on {', '.join(sorted(set(others)))} serve the same Redis on SQLite; "
                    "several machines need one PostgreSQL database (--db postgresql+asyncpg://…)",
                )
        self.eventlog.start()
        s = self.settings
        ws_port = s.ws_port if s.ws_port is not None else (s.port + 1 if s.port else 0)
        await self.gateway.start(s.host, ws_port, reuse_port=s.reuse_port)
        config = uvicorn.Config(
            create_api(self), host=s.host, port=s.port, log_level="warning", lifespan="off", ws="none"
        )
        self._http = _EmbeddedServer(config)
        sockets = [reuse_port_socket(s.host, s.port)] if s.reuse_port else None
        self._http_task = asyncio.create_task(self._http.serve(sockets=sockets), name="siyu-http")
        while not self._http.started:
            if self._http_task.done():
                await self._http_task  # re-raises the bind error
                raise RuntimeError("HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        self.http_port = int(self._http.servers[0].sockets[0].getsockname()[1])
        if demo_room is not None:
            await self.ensure_demo_room(demo_room)
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self.gateway.stop()
        await self.registry.stop()
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            await self._http_task
        await self.eventlog.stop()
        await self.broker.stop()
        await self.bus.drain()
        await self.db.close()

    async def session_report(self, room_id: str) -> SessionReport | None:
        """What happened in the room's current (or last loaded) live session, from the log."""
        room = await self.registry.get(room_id)
        if room is None or room.session is None:
            return None
        return await session_report(self.db, room.session.id)

    async def ensure_demo_room(
        self, room_id: str = "demo", shop_id: str = "wanwan", *, new_session: bool = False
    ) -> None:
        """Load the shipped catalog, create the demo room and start a live session if none is on (or a new
        one with `new_session`: the demo counts each run as its own live session)."""
        # a new demo session restocks the shelves (a stock take); a restart keeps the live counts
        await self.rooms.load_catalog(shop_id, demo_catalog(), keep_stock=not new_session)
        await self.rooms.create_room(room_id, shop_id, "晚晚的衣橱·秋冬上新专场")
        room = await self.registry.get(room_id)
        assert room is not None
        if new_session:
            await room.feature(Products).reload_stock()
        if room.session is None or new_session:
            await room.start_session("秋冬上新专场")
