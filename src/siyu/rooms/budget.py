"""The per-viewer contact budget: ONE ledger per shop and viewer that every personal contact asks first,
whichever playbook (and later the CRM's journeys) makes it.

Rules (BudgetRules; docs/playbooks.md "The contact budget"):
- a minimum gap per kind since the last contact of that kind (invite: 10 min);
- a cap per kind and live session;
- at most `per_minute` personal contacts of any kind in a rolling minute;
- no invite within `after_purchase_ms` (5 min) after a purchase;
- no invite before the viewer felt value, unless the caller overrides it explicitly.

`spend` is one compare-and-set on the viewer's `contact_budget` row (its `version`): two nodes cannot both
spend the last slot. A refusal is a reason code (`budget.gap`, `budget.session_cap`, `budget.rate`,
`budget.after_purchase`, `budget.before_value`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from siyu.store.db import Database
from siyu.store.tables import contact_budget

INVITE_GAP_MS = 10 * 60_000
AFTER_PURCHASE_MS = 5 * 60_000
KINDS = ("message", "card", "coupon", "invite")


@dataclass(frozen=True, slots=True)
class BudgetRules:
    gap_ms: dict[str, int] = field(
        default_factory=lambda: {
            "message": 15_000,
            "card": 60_000,
            "coupon": 5 * 60_000,
            "invite": INVITE_GAP_MS,
        }
    )
    per_session: dict[str, int] = field(
        default_factory=lambda: {"message": 12, "card": 6, "coupon": 3, "invite": 2}
    )
    per_minute: int = 3
    after_purchase_ms: int = AFTER_PURCHASE_MS


def decide(
    state: dict[str, Any],
    kind: str,
    now: int,
    session: str | None,
    rules: BudgetRules,
    *,
    value_felt: bool,
    override: bool,
) -> str | None:
    """The reason `kind` may not be spent now (None: it may). Pure: tests and the local mirror use it."""
    if kind == "invite" and not value_felt and not override:
        return "budget.before_value"
    if kind == "invite" and now - int(state.get("purchase", -(10**15))) < rules.after_purchase_ms:
        return "budget.after_purchase"
    last = state.get("last", {}).get(kind)
    if last is not None and now - int(last) < rules.gap_ms.get(kind, 0):
        return "budget.gap"
    counts = state.get("counts", {}) if state.get("session") == session else {}
    if counts.get(kind, 0) >= rules.per_session.get(kind, 10**9):
        return "budget.session_cap"
    if len([t for t in state.get("recent", []) if now - int(t) < 60_000]) >= rules.per_minute:
        return "budget.rate"
    return None


def spent(state: dict[str, Any], kind: str, now: int, session: str | None) -> dict[str, Any]:
    counts = dict(state.get("counts", {})) if state.get("session") == session else {}
    counts[kind] = counts.get(kind, 0) + 1
    recent = [t for t in state.get("recent", []) if now - int(t) < 60_000] + [now]
    return {
        **state,
        "last": {**state.get("last", {}), kind: now},
        "session": session,
        "counts": counts,
        "recent": recent,
    }


class _Lost(Exception):
    """The compare-and-set lost to another writer."""


class ContactBudget:
    """The service. With `db` None it keeps the ledger in memory (a dry run, one process)."""

    def __init__(self, db: Database | None, rules: BudgetRules | None = None) -> None:
        self.db = db
        self.rules = rules or BudgetRules()
        self._mirror: dict[tuple[str, str], dict[str, Any]] = {}  # this node's last reading of each row

    def peek(
        self,
        shop_id: str,
        user_id: str,
        kind: str,
        now: int,
        session: str | None,
        *,
        value_felt: bool,
        override: bool = False,
    ) -> bool:
        """This node's reading (no database): whether `kind` looks spendable now."""
        state = self._mirror.get((shop_id, user_id), {})
        return decide(state, kind, now, session, self.rules, value_felt=value_felt, override=override) is None

    async def spend(
        self,
        shop_id: str,
        user_id: str,
        kind: str,
        now: int,
        session: str | None,
        *,
        value_felt: bool,
        override: bool = False,
    ) -> str | None:
        """Spend one `kind` contact: None when done, else the reason it was refused."""
        if kind not in KINDS:
            raise ValueError(f"unknown contact kind {kind!r}")
        return await self._change(
            shop_id, user_id, lambda s: self._try(s, kind, now, session, value_felt, override)
        )

    async def note_purchase(self, shop_id: str, user_id: str, now: int) -> None:
        """A purchase starts the quiet period after it."""
        await self._change(
            shop_id, user_id, lambda s: (None, {**s, "purchase": max(now, int(s.get("purchase", 0)))})
        )

    def _try(
        self,
        state: dict[str, Any],
        kind: str,
        now: int,
        session: str | None,
        value_felt: bool,
        override: bool,
    ) -> tuple[str | None, dict[str, Any] | None]:
        reason = decide(state, kind, now, session, self.rules, value_felt=value_felt, override=override)
        return (reason, None) if reason is not None else (None, spent(state, kind, now, session))

    async def _change(self, shop_id: str, user_id: str, change: Any) -> str | None:
        key = (shop_id, user_id)
        if self.db is None:
            reason, new = change(self._mirror.get(key, {}))
            if new is not None:
                self._mirror[key] = new
            return reason  # type: ignore[no-any-return]
        c = contact_budget.c
        for _ in range(20):
            try:
                async with self.db.engine.begin() as conn:
                    row = (
                        await conn.execute(
                            select(c.state, c.version).where(c.shop_id == shop_id, c.user_id == user_id)
                        )
                    ).first()
                    state, version = (dict(row.state), int(row.version)) if row is not None else ({}, 0)
                    reason, new = change(state)
                    self._mirror[key] = state
                    if new is None:
                        return reason  # type: ignore[no-any-return]
                    if row is None:
                        await conn.execute(
                            insert(contact_budget).values(
                                shop_id=shop_id, user_id=user_id, state=new, version=1
                            )
                        )
                    else:
                        done = await conn.execute(
                            update(contact_budget)
                            .where(c.shop_id == shop_id, c.user_id == user_id, c.version == version)
                            .values(state=new, version=version + 1)
                        )
                        if done.rowcount != 1:
                            raise _Lost
            except (IntegrityError, _Lost):
                continue  # another node changed (or inserted) the row first: read it again
            self._mirror[key] = new
            return reason  # type: ignore[no-any-return]
        return "budget.contended"
