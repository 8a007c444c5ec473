"""The room feature contract.

A feature is one class (usually one module) that a room instantiates once. It declares, next to each
other:

- its client messages: a pydantic model (realtime.protocol.ClientMessage) and a handler method,
  `@handles(Model, rate="comment")`; the rate rule is checked per user before the handler runs and spent
  when the action is recorded (refused actions cost nothing);
- the rate rules it defines (`rates = {"comment": lambda limits: limits.comment_rate}`);
- the room and personal messages it emits: realtime.protocol.RoomMessage / ServerMessage dataclasses,
  encoded in one place (protocol.encode);
- its part of the room snapshot (`state()`, merged into the `state` message; `staff_snapshot()`,
  merged into the host console's `questions` snapshot);
- how it follows the room stream: `@follows(Payload)` methods get every committed event of that payload
  type, in seq order, on every node of the room (decoded once; never re-parsed wire JSON);
  `@committed(Payload)` methods run only on the node that committed the event (e.g. to answer the sender);
- its events (payload dataclasses registered with siyu.events.payload).

Hooks with defaults: `load()` (async, once before the room opens), `admit(m)` (async, before the welcome:
the member may be set from a record, e.g. its fan level), `personal(m)` (its part of the welcome's `me`),
`on_enter(m, returning)`, `on_leave(m)`, `on_session(session_id)` (a new live session starts),
`tick(now_ms)` (once a second), `stop()`.

The gateway never imports a feature: app.py composes the feature list; `FeatureSet.fill(router)` registers
their client messages and rate rules with the transport's Router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from siyu.config import Limits
from siyu.realtime.protocol import ClientMessage
from siyu.realtime.router import Router, one

if TYPE_CHECKING:
    from siyu.rooms.room import Member, Room

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", bound="Feature")


def handles(
    model: type[ClientMessage], *, rate: str | None = None, cost: Callable[[Any], int] = one
) -> Callable[[F], F]:
    """Mark a method `(self, member, msg)` as the handler of one client message type."""

    def mark(fn: F) -> F:
        fn.__siyu_handles__ = (model, rate, cost)  # type: ignore[attr-defined]
        return fn

    return mark


def follows(*payloads: type[Any]) -> Callable[[F], F]:
    """Mark a method `(self, event)` to follow committed events of these payload types (every node)."""

    def mark(fn: F) -> F:
        fn.__siyu_follows__ = payloads  # type: ignore[attr-defined]
        return fn

    return mark


def committed(*payloads: type[Any]) -> Callable[[F], F]:
    """Mark a method `(self, event)` to run when this node commits an event of these types."""

    def mark(fn: F) -> F:
        fn.__siyu_committed__ = payloads  # type: ignore[attr-defined]
        return fn

    return mark


class Feature:
    name: ClassVar[str] = ""
    rates: ClassVar[dict[str, Callable[[Limits], str]]] = {}
    # filled by __init_subclass__ from the decorated methods
    inbound: ClassVar[dict[type[ClientMessage], tuple[str, str | None, Callable[[Any], int]]]] = {}
    following: ClassVar[list[tuple[type[Any], str]]] = []
    on_committed: ClassVar[list[tuple[type[Any], str]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inbound = {}
        following, on_committed = [], []
        for klass in reversed(cls.__mro__):
            for attr, fn in vars(klass).items():
                mark = getattr(fn, "__siyu_handles__", None)
                if mark is not None:
                    inbound[mark[0]] = (attr, mark[1], mark[2])
                following += [(p, attr) for p in getattr(fn, "__siyu_follows__", ())]
                on_committed += [(p, attr) for p in getattr(fn, "__siyu_committed__", ())]
        cls.inbound, cls.following, cls.on_committed = inbound, following, on_committed

    def __init__(self, room: Room) -> None:
        self.room = room

    async def load(self) -> None:
        """Read what this feature needs before the room opens (e.g. a recount from the event log)."""

    def state(self) -> dict[str, Any]:
        """This feature's part of the room's `state` message."""
        return {}

    def staff_snapshot(self) -> dict[str, Any]:
        """This feature's part of the host console's snapshot (the `questions` message on entry)."""
        return {}

    async def admit(self, m: Member) -> None:
        """Before the welcome (the gateway awaits it): set what the member shows from this feature's records
        (e.g. the fan club's level instead of the token's claim). Keep it short: the welcome waits."""

    def personal(self, m: Member) -> dict[str, Any]:
        """This feature's part of the member's own state in the welcome (`me`), e.g. their fan membership."""
        return {}

    def on_enter(self, m: Member, returning: bool) -> None:
        """A member entered on this node (after the welcome was sent)."""

    def on_leave(self, m: Member) -> None:
        """A member left on this node."""

    def on_session(self, session_id: str | None) -> None:
        """A live session started (its id) or ended (None), on every node."""

    def tick(self, now_ms: int) -> None:
        """Once per room tick (`entry_banner_interval_s`), after the counters were synced."""

    async def stop(self) -> None:
        """The room is unloading."""


class FeatureSet:
    """The features every room of a node runs, in order (earlier ones see each event first)."""

    def __init__(self, features: list[type[Feature]]) -> None:
        names = [f.name for f in features]
        if len(set(names)) != len(names) or "" in names:
            raise ValueError(f"features need distinct, non-empty names: {names}")
        self.features = list(features)

    def fill(self, router: Router, limits: Limits) -> Router:
        """Register every feature's rate rules and client messages with the transport's router."""
        for f in self.features:
            for name, limit in f.rates.items():
                router.rate_rule(name, limit(limits))
        for f in self.features:
            for model, (_attr, rate, cost) in f.inbound.items():
                router.add(model, rate=rate, cost=cost)
        return router
