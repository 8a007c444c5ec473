"""The per-viewer contact budget: the pure rules, the in-memory ledger, the engine's use of it, quiet hours,
and the compare-and-set on a real database (SQLite; PostgreSQL as an integration test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from siyu.playbooks.run import Trace
from siyu.rooms.budget import AFTER_PURCHASE_MS, INVITE_GAP_MS, BudgetRules, ContactBudget, decide, spent
from siyu.store import Database
from siyu.store.tables import contact_budget
from tests.playbooks.streamkit import Stream, beijing, doc, replay

RULES = BudgetRules()
MIN = 60_000


def why(
    state: dict[str, Any],
    kind: str,
    now: int,
    *,
    felt: bool = True,
    override: bool = False,
    session: str | None = "s1",
) -> str | None:
    return decide(state, kind, now, session, RULES, value_felt=felt, override=override)


# --- the rules (decide / spent) ----------------------------------------------------------------------


def test_invite_needs_value_unless_overridden() -> None:
    assert why({}, "invite", 0, felt=False) == "budget.before_value"
    assert why({}, "invite", 0, felt=False, override=True) is None
    assert why({}, "invite", 0) is None
    assert why({}, "message", 0, felt=False) is None  # only invites wait for value


def test_invite_gap() -> None:
    state = spent({}, "invite", 0, "s1")
    assert why(state, "invite", INVITE_GAP_MS - 1) == "budget.gap"
    assert why(state, "invite", INVITE_GAP_MS) is None
    assert why(state, "message", 1) is None  # the gap is per kind


def test_no_invite_just_after_a_purchase() -> None:
    state = {"purchase": 1_000}
    assert why(state, "invite", 1_000 + AFTER_PURCHASE_MS - 1) == "budget.after_purchase"
    assert why(state, "invite", 1_000 + AFTER_PURCHASE_MS) is None
    assert why(state, "message", 1_001) is None


def test_session_cap_and_a_new_session() -> None:
    state: dict[str, Any] = {}
    for i in range(RULES.per_session["invite"]):
        assert why(state, "invite", i * INVITE_GAP_MS) is None
        state = spent(state, "invite", i * INVITE_GAP_MS, "s1")
    later = 10 * INVITE_GAP_MS
    assert why(state, "invite", later) == "budget.session_cap"
    assert why(state, "invite", later, session="s2") is None


def test_per_minute_rate_across_kinds() -> None:
    state: dict[str, Any] = {}
    for at, kind in ((0, "message"), (1_000, "card"), (2_000, "coupon")):
        state = spent(state, kind, at, "s1")
    assert why(state, "invite", 30_000) == "budget.rate"
    assert why(state, "invite", MIN) is None  # the first one left the rolling minute


async def test_memory_ledger_spends_and_notes_purchases() -> None:
    budget = ContactBudget(None)
    assert await budget.spend("shop", "u1", "invite", 0, "s1", value_felt=True) is None
    assert await budget.spend("shop", "u1", "invite", 1, "s1", value_felt=True) == "budget.gap"
    assert await budget.spend("shop", "u2", "invite", 1, "s1", value_felt=True) is None  # per viewer
    await budget.note_purchase("shop", "u3", 100)
    assert await budget.spend("shop", "u3", "invite", 200, "s1", value_felt=True) == "budget.after_purchase"
    assert not budget.peek("shop", "u1", "invite", 2, "s1", value_felt=True)
    assert budget.peek("shop", "u1", "message", 2, "s1", value_felt=True)
    with pytest.raises(ValueError):
        await budget.spend("shop", "u1", "hug", 0, "s1", value_felt=True)


# --- through the engine -------------------------------------------------------------------------------

INVITE = """
  - id: {pid}
    trigger: {{type: comment, keywords: [{word}]}}
    actions: [{{type: invite_private_domain, channel: wecom_contact, text: 加我{extra}}}]"""


def invites(*pairs: tuple[str, str], extra: str = "") -> Any:
    return doc("".join(INVITE.format(pid=pid, word=word, extra=extra) for pid, word in pairs))


def steps(traces: list[Trace]) -> list[tuple[str, str, str | None]]:
    return [(t.playbook, a["status"], a.get("code")) for t in traces for a in t.actions]


def _valued(s: Stream, user: str = "u1", at: float = 0) -> None:
    """The viewer felt value: a coupon (a benefit)."""
    s.enter(user, at)
    s.coupon(user, at + 1)


def test_engine_invite_before_value_and_the_override() -> None:
    s = Stream()
    s.comment("u1", "加", 1)
    traces, done = replay(invites(("inv", "加")), s)
    assert steps(traces) == [("inv", "refused", "budget.before_value")]
    assert traces[0].status == "refused" and done == []

    traces, done = replay(invites(("inv", "加"), extra=", override_value_gate: true"), s)
    (step,) = traces[0].actions
    assert step["status"] == "ok" and step["note"].startswith("override_value_gate")
    assert [d["what"] for d in done] == ["invite_private_domain"]


def test_engine_one_ledger_across_playbooks_gap() -> None:
    s = Stream()
    _valued(s)
    s.comment("u1", "甲", 10)
    s.comment("u1", "乙", 60)  # another playbook, 50 s later
    s.comment("u1", "乙", 10 + 601)  # past the 10 min gap
    traces, _ = replay(invites(("a", "甲"), ("b", "乙")), s)
    assert steps(traces) == [("a", "ok", None), ("b", "refused", "budget.gap"), ("b", "ok", None)]


def test_engine_no_invite_within_five_minutes_after_an_order() -> None:
    s = Stream()
    _valued(s)
    s.order("u1", 10)
    s.comment("u1", "加", 70)  # 1 min after the order
    s.comment("u2", "x", 400)
    traces, _ = replay(invites(("inv", "加")), s)
    assert steps(traces) == [("inv", "refused", "budget.after_purchase")]


def test_engine_session_cap_of_messages() -> None:
    d = doc(
        """
  - id: talk
    trigger: {type: comment, keywords: [hi]}
    actions: [{type: send_private, text: 你好}]"""
    )
    s = Stream()
    for i in range(RULES.per_session["message"] + 1):
        s.comment("u1", "hi", i * 20)  # past the message gap, three a minute
    traces, done = replay(d, s)
    codes = [code for _, _, code in steps(traces)]
    assert codes == [None] * RULES.per_session["message"] + ["budget.session_cap"]
    assert len(done) == RULES.per_session["message"]


def test_engine_per_minute_rate() -> None:
    d = doc(
        """
  - id: burst
    trigger: {type: comment, keywords: [hi]}
    actions:
      - {type: send_private, text: 你好}
      - {type: show_card, benefit: 新人券}
      - {type: push_coupon, coupon_id: C1}
      - {type: wait, seconds: 20}
      - {type: send_private, text: 再见}
      - {type: broadcast, text: 大家好}"""
    )
    s = Stream()
    s.comment("u1", "hi", 1)
    traces, _ = replay(d, s)
    assert [(a["type"], a["status"], a.get("code")) for a in traces[0].actions] == [
        ("send_private", "ok", None),
        ("show_card", "ok", None),
        ("push_coupon", "ok", None),
        ("wait", "ok", None),
        ("send_private", "refused", "budget.rate"),
        ("broadcast", "ok", None),  # not a personal contact
    ]
    assert traces[0].status == "partial"


QUIET = """
  - id: night
    trigger: {type: comment, keywords: [hi]}
    actions:
      - {type: send_private, text: 你好}
      - {type: broadcast, text: 大家好}
      - {type: notify_host, text: 有人说话}
      - {type: push_coupon, coupon_id: C1, to: room, quantity: 10}
      - {type: show_card, benefit: 新人券}"""


@pytest.mark.parametrize(
    ("hour", "refused"),
    [(23, True), (3, True), (8, False), (22, False)],
)
def test_quiet_hours_refuse_personal_contacts_only(hour: int, refused: bool) -> None:
    d = doc(QUIET, quiet_hours='{start: "23:00", end: "08:00"}')
    s = Stream(start=beijing(hour, 30))
    s.comment("u1", "hi", 1)
    traces, done = replay(d, s)
    got = [(a["type"], a.get("code")) for a in traces[0].actions]
    personal = "quiet_hours" if refused else None
    assert got == [
        ("send_private", personal),
        ("broadcast", None),
        ("notify_host", None),
        ("push_coupon", None),
        ("show_card", personal),
    ]
    assert {x["what"] for x in done} >= {"broadcast", "notify_host", "act"}


# --- the compare-and-set on a real database ------------------------------------------------------------


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url)
    await db.migrate()
    try:
        yield db
    finally:
        await db.close()


async def _row(db: Database, user: str) -> tuple[dict[str, Any], int]:
    c = contact_budget.c
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(c.state, c.version).where(c.user_id == user))).one()
    return dict(row.state), int(row.version)


@pytest.mark.parametrize("existing", [False, True], ids=["insert-race", "update-race"])
async def test_concurrent_invites_one_allowed(database: Database, existing: bool) -> None:
    """20 spends at once: exactly one wins, whether the row is new (insert race) or there (version CAS)."""
    budget = ContactBudget(database)
    if existing:
        assert await budget.spend("shop", "u1", "message", 0, "s1", value_felt=True) is None
    got = await asyncio.gather(
        *(budget.spend("shop", "u1", "invite", 1_000, "s1", value_felt=True) for _ in range(20))
    )
    assert got.count(None) == 1, got
    assert set(got) - {None} <= {"budget.gap", "budget.contended"}
    state, version = await _row(database, "u1")
    assert state["counts"]["invite"] == 1 and state["last"]["invite"] == 1_000
    assert version == (2 if existing else 1)


@pytest.mark.parametrize("existing", [False, True], ids=["insert-race", "update-race"])
async def test_two_nodes_on_one_database(database: Database, db_url: str, existing: bool) -> None:
    other = Database(db_url)  # the second node: its own engine and pool
    try:
        nodes = [ContactBudget(database), ContactBudget(other)]
        if existing:
            assert await nodes[1].spend("shop", "u2", "message", 0, "s1", value_felt=True) is None
        got = await asyncio.gather(
            *(nodes[i % 2].spend("shop", "u2", "invite", 5_000, "s1", value_felt=True) for i in range(20))
        )
    finally:
        await other.close()
    assert got.count(None) == 1, got
    state, version = await _row(database, "u2")
    assert state["counts"]["invite"] == 1 and version == (2 if existing else 1)


async def test_database_ledger_rules(database: Database) -> None:
    budget = ContactBudget(database)
    assert await budget.spend("shop", "u3", "invite", 0, "s1", value_felt=False) == "budget.before_value"
    assert await budget.spend("shop", "u3", "message", 0, "s1", value_felt=False) is None
    await budget.note_purchase("shop", "u3", 10_000)
    assert (
        await budget.spend("shop", "u3", "invite", 20_000, "s1", value_felt=True) == "budget.after_purchase"
    )
    assert (
        await budget.spend("shop", "u3", "invite", 10_000 + AFTER_PURCHASE_MS, "s1", value_felt=True) is None
    )
    state, version = await _row(database, "u3")
    assert state["purchase"] == 10_000 and version == 3
    # a second node reads the same row
    assert (
        await ContactBudget(database).spend("shop", "u3", "invite", 10 * MIN, "s1", value_felt=True)
        == "budget.gap"
    )
