"""CPU time of the playbook engine, measured inside the process that runs the node (`siyu bench playbooks`).

While the meter is installed, the engine's entry points are wrapped on the class, so a room loaded in this
process feeds its engine through them:

- the feed: `Engine.committed` (events this node committed: state, trigger matching, firing) and
  `Engine.seen` (the room stream: state);
- the clock: `Engine.advance` (each room tick: every viewer's stage and dwell, timer triggers);
- the runs: every step of each `Engine._run` coroutine (claim, conditions, templates, the actions and the
  service calls they make on the loop), and, as a part of that, `ContactBudget.spend` (the ledger's
  transaction, loop side; the SQLite driver's own thread is not in it).

`time.thread_time()` is the loop thread's CPU time, so time the loop spends on other work while a run
awaits is not counted. A feed call made from inside a run (the engine seeing its own action's event) is
counted once, in the run.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any

from siyu.playbooks.engine import Engine
from siyu.rooms.budget import BudgetRules, ContactBudget

_FEED = ("committed", "seen", "advance")


class EngineMeter:
    """A context manager: installs the wrappers on enter, restores the classes on exit."""

    def __init__(self) -> None:
        self.feed_s = 0.0  # committed + seen
        self.clock_s = 0.0  # advance: a cost per tick (every viewer's stage and dwell), not per event
        self.run_s = 0.0
        self.budget_s = 0.0
        self.calls: Counter[str] = Counter()  # committed / seen / advance / runs / spends
        self.committed_types: Counter[str] = Counter()
        self._inside = False
        self._saved: list[tuple[type[Any], str, Any]] = []
        self.overhead_us = _clock_overhead_us()

    def __enter__(self) -> EngineMeter:
        for name in _FEED:
            self._patch(Engine, name, self._sync(getattr(Engine, name), name))
        self._patch(Engine, "_run", self._coro(Engine._run, "runs"))
        self._patch(ContactBudget, "spend", self._coro(ContactBudget.spend, "spends"))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)
        self._saved.clear()

    def _patch(self, cls: type[Any], name: str, wrapper: Any) -> None:
        self._saved.append((cls, name, cls.__dict__[name]))
        setattr(cls, name, wrapper)

    def snapshot(self) -> dict[str, Any]:
        return {
            "feed_s": self.feed_s,
            "clock_s": self.clock_s,
            "run_s": self.run_s,
            "budget_s": self.budget_s,
            "calls": dict(self.calls),
            "committed_types": dict(self.committed_types),
        }

    def _sync(self, original: Callable[[Any, Any], None], name: str) -> Callable[[Any, Any], None]:
        def timed(engine: Any, arg: Any) -> None:
            self.calls[name] += 1
            if name == "committed":
                self.committed_types[arg.type] += 1
            if self._inside:
                original(engine, arg)
                return
            self._inside = True
            t0 = time.thread_time()
            try:
                original(engine, arg)
            finally:
                spent = time.thread_time() - t0
                if name == "advance":
                    self.clock_s += spent
                else:
                    self.feed_s += spent
                self._inside = False

        return timed

    def _coro(self, original: Callable[..., Coroutine[Any, Any, Any]], name: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> _Timed:
            self.calls[name] += 1
            return _Timed(original(*args, **kwargs), self, outer=name == "runs")

        return timed

    def add(self, outer: bool, seconds: float) -> None:
        if outer:
            self.run_s += seconds
        else:
            self.budget_s += seconds


def _clock_overhead_us(n: int = 20_000) -> float:
    """What one measured window adds by itself: the CPU time between two back-to-back clock reads (a
    system call on some machines). Each feed call and each run step includes it once."""
    total = 0.0
    for _ in range(n):
        t0 = time.thread_time()
        total += time.thread_time() - t0
    return round(total / n * 1e6, 3)


class _Timed:
    """An awaitable that drives a coroutine and adds the thread CPU time of each of its steps to the meter.
    `outer` (a run) counts only when no other run step is being measured; the budget's steps are a part
    of the run step that drives them and are counted on their own as well."""

    __slots__ = ("coro", "meter", "outer")

    def __init__(self, coro: Coroutine[Any, Any, Any], meter: EngineMeter, *, outer: bool) -> None:
        self.coro = coro
        self.meter = meter
        self.outer = outer

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, meter, outer = self.coro, self.meter, self.outer
        value: Any = None
        error: BaseException | None = None
        while True:
            mark = outer and not meter._inside
            if mark:
                meter._inside = True
            t0 = time.thread_time()
            try:
                out = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                if mark or not outer:
                    meter.add(outer, time.thread_time() - t0)
                if mark:
                    meter._inside = False
            try:
                value, error = (yield out), None
            except BaseException as exc:  # noqa: BLE001 - handed to the coroutine, as a Task would
                value, error = None, exc


async def engine_alone(
    document: str, texts: list[str], rules: BudgetRules, viewers: int = 500
) -> dict[str, float]:
    """The engine with no room around it (the dry run's recording effects, the budget in memory): feed
    one comment event per text, let the runs finish; CPU µs per event for the feed and in all."""
    from siyu.events import CommentPosted, Event
    from siyu.playbooks.dryrun import RecordingEffects
    from siyu.playbooks.model import parse_file

    effects = RecordingEffects()
    effects.budget.rules = rules
    engine = Engine(effects, shop_id="bench")
    engine.scope.online = viewers
    engine.load(parse_file(document, "bench"))
    events = [
        Event("bench", f"u{i % viewers}", CommentPosted(text, str(i), False, f"观众{i % viewers}", 1))
        for i, text in enumerate(texts)
    ]
    feed = 0.0
    t0 = time.thread_time()
    for i, event in enumerate(events):
        t = time.thread_time()
        engine.committed(event)
        engine.seen(event)
        feed += time.thread_time() - t
        if i % 100 == 99:
            await asyncio.sleep(0)  # let the runs started so far go
    await engine.drain()
    total = time.thread_time() - t0
    engine.stop()
    runs = sum(sum(c.counts.values()) for c in engine.playbooks.values())
    n = max(1, len(events))
    return {"events": len(events), "runs": runs, "feed_us_per_event": round(feed / n * 1e6, 1),
            "us_per_event": round(total / n * 1e6, 1)}  # fmt: skip
