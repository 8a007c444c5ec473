"""The demo summary's PK, mic and call part, read from the event log (nothing the simulation counted).

For every battle that ended in the session it gives the result the `pk.ended` event recorded (scores, winner,
top supporters) next to an independent recount of each side from the log: the coins of that room's
`gift.sent` events with a seq above the room's `pk.started` of the battle and a ts before the battle's end
(docs/protocol.md section 11). For calls: every `call.ended` (kind "mic": a mic guest's turn; "call": a 1v1
call) with its parties, length and end reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from siyu.store import Database
from siyu.store.tables import events, rooms, shops, viewers


@dataclass
class PkResult:
    pk_id: str
    titles: dict[str, str]  # room id -> its host's name (or the room's title)
    scores: dict[str, int]  # as `pk.ended` recorded them
    recount: dict[str, int | None]  # from the log's gifts (None: the room's log has no start of it)
    winner: str
    reason: str
    top: dict[str, list[list[Any]]]  # room -> [[user_id, nickname, coins, ...], ...]

    @property
    def agrees(self) -> bool:
        return self.recount == {room: self.scores.get(room) for room in self.recount}


@dataclass
class CallRecord:
    kind: str  # "mic" | "call"
    caller: str  # nicknames
    callee: str
    duration_ms: int
    reason: str


@dataclass
class TogetherReport:
    battles: list[PkResult] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def mic_guests(self) -> list[CallRecord]:
        return [c for c in self.calls if c.kind == "mic"]

    def lines(self) -> list[str]:
        out: list[str] = []
        for n, b in enumerate(self.battles, 1):
            sides = list(b.scores)
            board = " : ".join(f"{b.titles.get(r, r)} {b.scores[r]}" for r in sides)
            won = "平局" if b.winner == "draw" else f"{b.titles.get(b.winner, b.winner)} 获胜"
            why = "主播提前结束" if b.reason == "stopped" else "时间到"
            out.append(f"PK 第 {n} 场：{board} 币，{won}（{why}）。")
            for r in sides:
                top = "、".join(f"{row[1]} {row[2]} 币" for row in b.top.get(r) or ()) or "无"
                out.append(f"  · {b.titles.get(r, r)} 助力榜：{top}")
            check = "，".join(f"{b.titles.get(r, r)} {'—' if c is None else c}" for r, c in b.recount.items())
            verdict = "与结果一致" if b.agrees else "与结果不一致！"
            out.append(f"  · 按事件日志重算礼物：{check} 币，{verdict}")
        if not self.battles:
            out.append("PK：本场没有结束的 PK。")
        mic = self.mic_guests
        if mic:
            guests = "、".join(f"{c.caller}（{_secs(c.duration_ms)}）" for c in mic)
            out.append(f"连麦嘉宾 {len(mic)} 位次：{guests}。")
        else:
            out.append("连麦：本场没有嘉宾上麦。")
        calls = [c for c in self.calls if c.kind == "call"]
        for c in calls:
            out.append(f"1v1 通话：{c.caller} → {c.callee}，{_secs(c.duration_ms)}，结束原因 {c.reason}。")
        if not calls:
            out.append("1v1 通话：本场没有。")
        return out


def _secs(ms: int) -> str:
    return f"{ms / 1000:.0f} 秒" if ms else "未接通"


async def _titles(conn: AsyncConnection, ids: set[str]) -> dict[str, str]:
    """How a side is named in the summary: its host (the shop's), else the room's title."""
    q = select(rooms.c.id, rooms.c.title, shops.c.host_name).join(shops, shops.c.id == rooms.c.shop_id)
    rows = await conn.execute(q.where(rooms.c.id.in_(ids)))
    return {str(i): str(host or title) for i, title, host in rows.all()}


async def _nicknames(conn: AsyncConnection, ids: set[str]) -> dict[str, str]:
    rows = await conn.execute(select(viewers.c.id, viewers.c.nickname).where(viewers.c.id.in_(ids)))
    return {str(i): str(n) for i, n in rows.all()}


async def _recount(conn: AsyncConnection, room_id: str, pk_id: str, end: int) -> int | None:
    q = select(events.c.seq).where(
        events.c.room_id == room_id, events.c.type == "pk.started", events.c.user_id == f"pk:{pk_id}"
    )
    start = await conn.scalar(q)
    if start is None:
        return None
    gifts = select(events.c.payload).where(
        events.c.room_id == room_id, events.c.type == "gift.sent", events.c.seq > start, events.c.ts < end
    )
    return sum(int(p["coins"]) for (p,) in (await conn.execute(gifts)).all())


def battle_end(started: dict[str, Any], ended: dict[str, Any]) -> int:
    """When the battle's scoring window closed: its `ends_at`; for a battle a host stopped, the stop (the
    punishment phase starts then: `punish_until` - `punish_s`), if earlier."""
    ends_at = int(started["ends_at"])
    if ended.get("reason") != "stopped":
        return ends_at
    return min(ends_at, int(ended["punish_until"]) - int(started["punish_s"]) * 1000)


async def together_report(db: Database, room_id: str, session_id: str) -> TogetherReport:
    report = TogetherReport()
    mine = (events.c.room_id == room_id, events.c.session_id == session_id)
    async with db.engine.connect() as conn:
        q = select(events.c.type, events.c.payload).where(
            *mine, events.c.type.in_(("pk.started", "pk.ended", "call.ended"))
        ).order_by(events.c.seq)
        rows = (await conn.execute(q)).all()
        started = {str(p["pk_id"]): dict(p) for t, p in rows if t == "pk.started"}
        ended = [dict(p) for t, p in rows if t == "pk.ended"]
        calls = [dict(p) for t, p in rows if t == "call.ended"]
        titles = await _titles(conn, {r for p in ended for r in p["scores"]})
        for p in ended:
            pk_id = str(p["pk_id"])
            s = started.get(pk_id)
            end = battle_end(s, p) if s is not None else 0
            recount = {r: await _recount(conn, r, pk_id, end) for r in p["scores"]}
            scores = {r: int(v) for r, v in p["scores"].items()}
            ordered = {room_id: scores.pop(room_id)} | scores if room_id in scores else scores
            report.battles.append(PkResult(pk_id, titles, ordered, recount, str(p["winner"]),
                                           str(p["reason"]), dict(p.get("top") or {})))  # fmt: skip
        nicks = await _nicknames(conn, {str(c.get(k)) for c in calls for k in ("caller", "callee")})
    for c in calls:
        caller, callee = str(c.get("caller")), str(c.get("callee"))
        who = (nicks.get(caller, caller), nicks.get(callee, callee))
        length, reason = int(c.get("duration_ms") or 0), str(c.get("reason"))
        report.calls.append(CallRecord(str(c.get("kind")), *who, length, reason))
    return report
