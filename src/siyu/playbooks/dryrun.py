"""Dry run: replay a recorded event stream (`siyu events export`) through the engine, touching no room.

Each event is handed to the engine as committed, after the clock was advanced to its `ts` (so dwell,
silence, schedule and waits fire where they would have). Effects only record what would be done; the
contact budget and fire-once claims are kept in memory. The output is the runs in order: trigger, each
condition's verdict, each action (`would` lines).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import orjson

from siyu.events import Context, Event, event_from_json
from siyu.playbooks.actions.base import ActionFailed, RunCtx
from siyu.playbooks.engine import Engine
from siyu.playbooks.events import RECORDED
from siyu.playbooks.model import PlaybookFile
from siyu.playbooks.run import Trace
from siyu.rooms.budget import ContactBudget


class RecordingEffects:
    """Effects that do nothing but say what they would do (and keep the budget and claims in memory)."""

    def __init__(self, products: dict[str, str] | None = None) -> None:
        self.done: list[dict[str, Any]] = []
        self.budget = ContactBudget(None)
        self.claims: set[tuple[str, str]] = set()
        self._products = products or {}
        self.engine: Engine | None = None

    def _would(self, run: RunCtx, what: str, **detail: Any) -> None:
        self.done.append(
            {"run": run.run_id, "playbook": run.playbook_id, "at": run.now, "what": what, **detail}
        )

    async def claim(self, playbook_id: str, key: str) -> bool:
        if (playbook_id, key) in self.claims:
            return False
        self.claims.add((playbook_id, key))
        return True

    async def say_to(self, run: RunCtx, user_id: str, text: str, **extra: Any) -> None:
        self._would(run, "send_private", user=user_id, text=text)

    async def say(self, run: RunCtx, text: str, **extra: Any) -> None:
        self._would(run, "broadcast", text=text)

    async def card(self, run: RunCtx, user_id: str | None, card: dict[str, Any]) -> None:
        self._would(run, "show_card", user=user_id, **card)

    async def act(self, run: RunCtx, frame: dict[str, Any]) -> dict[str, Any]:
        self._would(run, "act", frame=frame)
        return {"reading": frame["type"]}

    async def pin(self, run: RunCtx, product_id: str | None) -> bool:
        if product_id is not None and self._products and product_id not in self._products:
            return False
        self._would(run, "pin_product", product_id=product_id)
        run.scope.pinned = product_id
        return True

    async def invite(
        self, run: RunCtx, user_id: str, channel: str, incentive: str, text: str
    ) -> dict[str, Any]:
        self._would(
            run, "invite_private_domain", user=user_id, channel=channel, incentive=incentive, text=text
        )
        return {"state": "(dry-run)"}

    async def assistant(self, run: RunCtx, kind: str, to: str) -> str | None:
        answer = (
            run.vars.get("answer")
            if kind == "answer_group"
            else f"（助手陪伴：{run.vars.get('current_product') or '本场好物'}）"
        )
        if not answer:
            raise ActionFailed("assistant.nothing", "没有可说的")
        self._would(run, "ask_assistant", kind=kind, text=answer)
        return str(answer)

    async def notify(self, run: RunCtx, text: str, level: str) -> None:
        self._would(run, "notify_host", text=text, level=level)

    async def tag(self, run: RunCtx, user_id: str, tag: str) -> None:
        self._would(run, "tag_viewer", user=user_id, tag=tag)

    async def record(self, run: RunCtx, type_name: str, body: dict[str, Any], user_id: str | None) -> None:
        self._would(run, "record", event=type_name, user=user_id, **body)
        if self.engine is not None:  # live, the engine sees what the run logged (points, tags) at once
            payload = RECORDED[type_name](**body)
            event = Event(room_id="dry", user_id=user_id, payload=payload, session_id=run.scope.session_id,
                          context=Context(parent_id=run.parent, actor=run.actor), ts=run.now)  # fmt: skip
            self.engine.seen(event)

    async def purchased(self, user_id: str, ts: int) -> None:
        await self.budget.note_purchase("dry", user_id, ts)

    async def spend(
        self, run: RunCtx, user_id: str, kind: str, *, value_felt: bool, override: bool
    ) -> str | None:
        return await self.budget.spend(
            "dry", user_id, kind, run.now, run.scope.session_id, value_felt=value_felt, override=override
        )

    def products(self) -> list[str]:
        return list(self._products)

    def product_name(self, product_id: str) -> str | None:
        return self._products.get(product_id, product_id if not self._products else None)


def read_events(lines: Iterable[str | bytes]) -> list[Event[Any]]:
    """A JSONL export back into events (blank lines skipped; a bad line raises ValueError with its number)."""
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(event_from_json(orjson.loads(line)))
        except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"line {n}: not an exported event ({exc})") from exc
    return out


async def dry_run(
    doc: PlaybookFile, events: list[Event[Any]], products: dict[str, str] | None = None, tick_ms: int = 1000
) -> tuple[list[Trace], list[dict[str, Any]]]:
    """Replay `events` through `doc`'s playbooks: the traces (in order) and what would have been done."""
    effects = RecordingEffects(products)
    engine = Engine(
        effects,
        shop_id="dry",
        budget_left=lambda v, kind, now: effects.budget.peek(
            "dry", v.user_id, kind, now, None, value_felt=v.value_felt(now)
        ),
    )
    engine.room_vars = {"room_title": "直播间", "host_name": "主播", "shop_name": "店铺"}
    traces: list[Trace] = []
    engine.on_trace = traces.append
    effects.engine = engine
    engine.load(doc)
    clock = None
    for event in events:
        if clock is None:
            clock = event.ts
        while clock + tick_ms <= event.ts:  # the room ticks once a second between events
            clock += tick_ms
            engine.advance(clock)
            await asyncio.sleep(0)
        clock = max(clock, event.ts)
        engine.advance(clock)
        engine.committed(event)
        engine.seen(event)  # live, the room stream also reaches this node (answers watched everywhere)
        for _ in range(3):
            await asyncio.sleep(0)
    # runs still waiting finish as if the room went on (a recording that ends with `session.ended` has
    # stopped them already: the live session's end stops every run)
    await engine.drain()
    engine.stop()
    return traces, effects.done
