"""The playbook engine of one room: compiled playbooks, their runs (modes, caps, loop guard) and traces.

It sees events (`committed`: this node made them, triggers fire; `seen`: the room stream, state only) and a
clock (`advance`), and acts only through Effects. The live feed is playbooks/feature.py, the recorded one
playbooks/dryrun.py: the same engine.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siyu.events import Event, new_id
from siyu.playbooks.actions.base import Effects, RunCtx
from siyu.playbooks.model import Playbook, PlaybookFile
from siyu.playbooks.run import Runner, Trace
from siyu.playbooks.runtime import Fire, Scope, Unsubscribe
from siyu.playbooks.viewers import Viewer, ViewerBook
from siyu.rooms.welcome import level_badge

log = logging.getLogger(__name__)

MAX_CHAIN = 3
TRACES_KEPT = 200


@dataclass(slots=True)
class Compiled:
    pb: Playbook
    runner: Runner
    undo: list[Unsubscribe] = field(default_factory=list)
    active: dict[str, list[asyncio.Task[None]]] = field(default_factory=dict)  # subject -> runs
    queued: dict[str, deque[tuple[Fire, RunCtx, Trace]]] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)  # subject -> runs started this session
    last: dict[str, int] = field(default_factory=dict)  # subject -> last start (ms)
    counts: dict[str, int] = field(default_factory=dict)  # status -> runs (the console's figures)
    last_trace: dict[str, Any] | None = None


class Engine:
    def __init__(
        self,
        effects: Effects,
        *,
        shop_id: str,
        budget_left: Callable[[Viewer, str, int], bool] | None = None,
        on_trace: Callable[[Trace], None] | None = None,
    ) -> None:
        self.effects = effects
        self.shop_id = shop_id
        self.viewers = ViewerBook()
        self.viewers.name_of = effects.product_name
        self.scope = Scope(self.viewers)
        self.playbooks: dict[str, Compiled] = {}
        self.doc: PlaybookFile | None = None
        self.paused: set[str] = set()
        self.traces: deque[Trace] = deque(maxlen=TRACES_KEPT)
        self.on_trace = on_trace
        self._budget_left = budget_left or (lambda v, kind, now: True)
        self._seen: dict[str, None] = {}  # event ids observed (the stream and the commits overlap)
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._depth: dict[str, int] = {}
        self.likes_from_events = True
        self.skipped = 0
        self.room_vars: dict[str, Any] = {}  # room_title, host_name, shop_name
        self._tasks: set[asyncio.Future[None]] = set()

    # --- the file ---------------------------------------------------------------------------------

    def load(self, doc: PlaybookFile, paused: set[str] | None = None) -> None:
        """Run this (validated) document from now on: the old version's triggers go, running runs finish."""
        for compiled in self.playbooks.values():
            for undo in compiled.undo:
                undo()
        self.doc, self.paused = doc, set(paused or ())
        self.scope.planned_ms = doc.planned_minutes * 60_000
        old, self.playbooks = self.playbooks, {}
        for pb in doc.playbooks:
            compiled = Compiled(pb, Runner(pb, doc.quiet_hours, self.shop_id, self._budget_left))
            if pb.id in old and old[pb.id].pb == pb:  # unchanged: keep its caps and figures
                prev = old[pb.id]
                compiled.runs, compiled.last, compiled.counts = prev.runs, prev.last, prev.counts
                compiled.runner.exposed, compiled.last_trace = prev.runner.exposed, prev.last_trace
                compiled.runner.exposures = prev.runner.exposures
            self.playbooks[pb.id] = compiled
            if not pb.enabled:
                continue
            for i, trigger in enumerate(pb.trigger):
                compiled.undo.append(trigger.attach(self.scope, self._fire_for(compiled, i)))

    def pause(self, playbook_id: str, paused: bool) -> None:
        (self.paused.add if paused else self.paused.discard)(playbook_id)

    # --- the feeds ----------------------------------------------------------------------------------

    def committed(self, event: Event[Any]) -> None:
        """An event this node committed (or, in a dry run, the next recorded one): state, then triggers."""
        self._observe(event)
        if event.type == "order.placed" and event.user_id:
            self._spawn(self.effects.purchased(event.user_id, event.ts))
        self.scope.committed(event)

    def seen(self, event: Event[Any]) -> None:
        """An event of the room stream (every node): state and what triggers watch everywhere."""
        self._observe(event)
        self.scope.seen(event)

    def _observe(self, event: Event[Any]) -> None:
        if event.id in self._seen:
            return
        self._seen[event.id] = None
        if len(self._seen) > 20_000:
            for key in list(itertools.islice(self._seen, 5_000)):
                del self._seen[key]
        t = event.type
        if t == "session.started":
            self.viewers.reset()
            self.scope.session_id, self.scope.session_started_at, self.scope.likes = (
                event.session_id,
                event.ts,
                0,
            )
            for compiled in self.playbooks.values():
                compiled.runs.clear()
        elif t == "session.ended":
            self.scope.session_started_at = None  # schedules stop; waits end with the session
            self.cancel_all("下播：直播结束，运行停止")
            for v in self.viewers.present():
                v.entered_at = None
        elif t == "like.sent" and self.likes_from_events:
            self.scope.likes += int(event.payload.count)
        elif t == "product.pinned":
            self.scope.pinned = event.payload.product_id
        elif t == "host.status":
            self.scope.host_status = event.payload.status
        elif t == "points.added" and event.user_id:
            self.viewers.add_points(event.user_id, int(event.payload.points), event.ts)
            return
        elif t == "viewer.tagged" and event.user_id:
            self.viewers.get(event.user_id).tags.add(str(event.payload.tag))
        self.viewers.observe(event)

    def advance(self, now: int) -> None:
        """The clock: wake waits that are due, then stage/dwell updates, then timer triggers."""
        while self._sleepers and self._sleepers[0][0] <= now:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)
        self.viewers.tick(now)
        self.scope.advance(now)

    async def sleep(self, until_ms: int) -> None:
        """Until the clock reaches `until_ms` (a run's own time plus its wait: live, the room tick wakes it,
        at most one tick late, never early)."""
        if until_ms <= self.scope.now:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (until_ms, next(self._order), fut))
        await fut

    # --- firing -------------------------------------------------------------------------------------

    def _fire_for(self, compiled: Compiled, index: int) -> Callable[[Fire], None]:
        def fire(f: Fire) -> None:
            try:
                self._fire(compiled, index, f)
            except Exception:
                log.exception("playbook %s: firing failed", compiled.pb.id)

        return fire

    def _fire(self, c: Compiled, index: int, f: Fire) -> None:
        pb = c.pb
        if pb.id in self.paused or self.playbooks.get(pb.id) is not c:
            return
        subject = f.user_id or "room"
        depth = 1
        actor = f.event.context.actor if f.event is not None else None
        if actor and actor.startswith("pb:"):
            if actor == f"pb:{pb.id}":
                return self._skip(c, f, "loop", "由本剧本自己的动作触发，不再触发（防循环）")
            depth = self._depth.get(actor[3:], 1) + 1
            if depth > MAX_CHAIN:
                return self._skip(c, f, "chain_too_deep", f"剧本连锁超过 {MAX_CHAIN} 层")
        if (
            f.user_id is not None
            and pb.max_runs_per_viewer is not None
            and c.runs.get(subject, 0) >= pb.max_runs_per_viewer
        ):
            self.skipped += 1
            return  # capped: not traced (every later event of this viewer would be)
        last = c.last.get(subject)
        if last is not None and pb.cooldown_s and f.ts - last < pb.cooldown_s * 1000:
            self.skipped += 1
            return
        trace = self._trace(c, f)
        ctx = self._ctx(c, f, trace)
        if not c.runner.conditions(ctx, trace):  # before caps count and before any exposure
            trace.status, trace.finished_at = "conditions_failed", trace.started_at
            return self._done(c, trace)
        active = [t for t in c.active.get(subject, []) if not t.done()]
        if active and pb.mode == "single":
            return self._skip(c, f, "running", "上一次运行尚未结束（single）", trace)
        if active and pb.mode == "restart":
            for task in active:
                task.cancel()
            active = []
        if active and pb.mode == "queued":
            queue = c.queued.setdefault(subject, deque())
            if len(queue) >= pb.max:
                return self._skip(c, f, "queue_full", f"排队已满（{pb.max}）", trace)
            queue.append((f, ctx, trace))
            c.runs[subject] = c.runs.get(subject, 0) + 1  # a queued run counts against the caps now
            c.last[subject] = f.ts
            return
        if pb.mode == "parallel" and len(active) >= pb.max:
            return self._skip(c, f, "max_parallel", f"并行已达上限（{pb.max}）", trace)
        c.runs[subject] = c.runs.get(subject, 0) + 1
        c.last[subject] = f.ts
        self._depth[pb.id] = depth
        task = asyncio.ensure_future(self._run(c, index, f, ctx, trace))
        c.active[subject] = [*active, task]

    def _ctx(self, c: Compiled, f: Fire, trace: Trace) -> RunCtx:
        viewer = self.viewers.get(f.user_id) if f.user_id else None
        now = max(f.ts, self.scope.now)
        ctx = RunCtx(self.effects, self.scope, c.pb.id, trace.context["id"], viewer, now,
                     parent=f.event.id if f.event else None, vars=self._vars(viewer, f))  # fmt: skip
        ctx.variant = trace.variant = c.runner.arm(f.user_id)
        ctx.vars["variant"] = ctx.variant or ""
        return ctx

    def _skip(self, c: Compiled, f: Fire, code: str, reading: str, trace: Trace | None = None) -> None:
        self.skipped += 1
        trace = trace or self._trace(c, f)
        trace.status, trace.note, trace.finished_at = "skipped", f"{code}: {reading}", f.ts
        self._done(c, trace)

    def _trace(self, c: Compiled, f: Fire) -> Trace:
        ev = f.event
        trigger: dict[str, Any] = {
            "type": f.trigger,
            "why": f.why,
            "event": {"type": ev.type, "id": ev.id, "seq": ev.seq} if ev else None,
        }
        detail = {k: v for k, v in f.vars.items() if isinstance(v, str | int | float) and k != "answer"}
        if detail:
            trigger["detail"] = {k: (v[:100] if isinstance(v, str) else v) for k, v in detail.items()}
        trace = Trace(
            new_id(), c.pb.id, f.user_id, trigger, f.ts, {"id": new_id(), "parent_id": ev.id if ev else None}
        )
        if f.user_id is not None:
            v = self.viewers.viewers.get(f.user_id)
            trace.nickname = v.nickname if v is not None and v.nickname else None
        return trace

    async def _run(self, c: Compiled, index: int, f: Fire, ctx: RunCtx, trace: Trace) -> None:
        subject = f.user_id or "room"
        try:
            if f.key is not None and not await self.effects.claim(c.pb.id, f"{index}:{f.key}"):
                c.runs[subject] = max(0, c.runs.get(subject, 1) - 1)
                trace.status = "claimed_elsewhere"  # another node runs it (not traced here)
            else:
                ctx.now = max(ctx.now, self.scope.now)  # a queued run starts later than it fired
                await c.runner.run(ctx, trace, self.sleep)
        except asyncio.CancelledError as exc:
            trace.status = "cancelled"
            trace.note = str(exc.args[0]) if exc.args else "restart: 新的触发取代了这次运行"
        except Exception as exc:
            log.exception("playbook %s: run failed", c.pb.id)
            trace.status, trace.note = "failed", f"{type(exc).__name__}"
        trace.finished_at = max(self.scope.now, trace.started_at)
        if trace.status != "claimed_elsewhere":
            self._done(c, trace)
        queue = c.queued.get(subject)
        if queue:
            nf, nctx, ntrace = queue.popleft()
            task = asyncio.ensure_future(self._run(c, index, nf, nctx, ntrace))
            c.active[subject] = [task]

    def cancel_all(self, note: str) -> None:
        """Stop every run in progress (the live session ended; a dry run reached the end of its recording)."""
        for c in self.playbooks.values():
            c.queued.clear()
            for tasks in c.active.values():
                for task in tasks:
                    if not task.done():
                        task.cancel(note)

    def _done(self, c: Compiled, trace: Trace) -> None:
        c.counts[trace.status] = c.counts.get(trace.status, 0) + 1
        c.last_trace = {
            "id": trace.id,
            "status": trace.status,
            "at": trace.started_at,
            "user_id": trace.user_id,
        }
        self.traces.append(trace)
        if self.on_trace is not None:
            self.on_trace(trace)

    def _vars(self, viewer: Viewer | None, f: Fire) -> dict[str, Any]:
        s = self.scope
        values: dict[str, Any] = {
            "current_product": self.effects.product_name(s.pinned) if s.pinned else None,
            "online": s.online,
            "likes": s.likes,
            "incentive": "",
        }
        values.update(self.room_vars)
        if viewer is not None:
            values.update(viewer.context(max(f.ts, s.now)))
            values["badge"] = level_badge(viewer.level)
        values.update(f.vars)
        return values

    async def drain(self) -> None:
        """Let every run finish (a dry run's end): waits past the clock are woken in order."""
        while True:
            tasks = [
                t for c in self.playbooks.values() for ts in c.active.values() for t in ts if not t.done()
            ]
            if not tasks:
                return
            await asyncio.sleep(0)
            if self._sleepers:
                self.advance(self._sleepers[0][0])
            else:
                await asyncio.wait(tasks, timeout=0.05)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self) -> None:
        for c in self.playbooks.values():
            for undo in c.undo:
                undo()
            for tasks in c.active.values():
                for t in tasks:
                    t.cancel()
