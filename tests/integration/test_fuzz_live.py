"""Fuzzing a live node over real WebSockets: the promises of docs/protocol.md hold for any input (issue 9).

A host and two viewers of the demo room each send a seeded, reproducible stream of generated frames: valid
actions of every type, the same with one field wrong, text that is not JSON (NaN, lone surrogates, huge
numbers, invalid UTF-8, deep nesting …), binary frames, frames above `max_frame_bytes`, fragmented messages
(one of them above the hard limit), re-sent cids (later, and back to back), a volley right after the upgrade
and one burst above the per-connection frame rate. Otherwise they are paced under 40 frames/s, so the frame
rate is not what is mostly tested; a connection the server closes for what the fuzz did (4008 flooding, 4010
banned) is replaced by a new one.

Checked:
- the server never closes a connection with a code the fuzz did not earn (never 1011), and every `error` /
  failed `ack` carries a code of `siyu.realtime.protocol.ERROR_TEXT`;
- every message (text or binary, whole or fragmented) that is a JSON object with a string `cid` of 1-64
  characters gets exactly one `ack` with that cid on its connection, while the connection lives; a cid sent
  n times gets n acks, and the successful ones are all the same (never posted twice); a cid that is not a
  1-64 character string never gets an ack (an `error` frame instead);
- afterwards the node still serves: a fresh viewer's comment is acked and the host sees it; GET /healthz is
  200; nothing was logged at ERROR.

Synchronisation is by awaited acks and a ping barrier, never by sleeping; pacing is the only timing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
import websockets

from siyu.app import Node
from siyu.auth import Role
from siyu.config import Limits
from siyu.realtime.protocol import ERROR_TEXT
from tests.conftest import Client

pytestmark = pytest.mark.integration

SEED = 20241126
PACED_FRAMES = 120  # per lane
PACE_S = 1 / 25  # per connection, well under the 40 frames/s frame rate
EARLY = 36  # sent right after the upgrade, before the welcome (the allowance is 32)
BURST = 45  # back to back after a quiet second: 40 pass the frame rate, at least 5 are refused
DRAIN_S = 10.0  # how long the acks of accepted actions may take (they follow the commit)
FUZZ_CLOSES = {4008: "flooding", 4010: "banned"}  # closes the fuzz can earn: the lane reconnects
HARD_LIMIT = Limits().hard_frame_bytes  # above it: close 1009 (docs/protocol.md section 7)
U64 = str(2**64 - 1).encode()  # the largest integer the gateway's JSON decoder keeps an integer
WATCHED_LOGGERS = ("siyu", "picows", "asyncio", "uvicorn")

GIFTS = ["heart", "lightstick", "rose", "sportscar", "rocket", "carnival", "unicorn", "ROSE", "x" * 32]
PRODUCTS = [f"P{i:02d}" for i in range(1, 21)] + ["P99", "", "p01", "x" * 64, None]
TEXTS = [
    "这件有XL码吗", "主播好～", "1号多少钱", "有没有S码呀", "160斤穿什么码", "发什么快递", "  前后有空格  ",
    "💗💗💗", "<script>alert(1)</script>", "<b>粗</b>", "长" * 200, "x" * 201, "长" * 201, "   ", "\u200b",
    "\t\n", "", "加微信 abc12345 领福利", "看我主页 http://spam.example.com", "مرحبا", "a\x00b", "🙂" * 100,
    "'; DROP TABLE events; --", "{{7*7}}", "${jndi:ldap://x}", "%s%s%n", "\u202eevil", "e\u0301\u0301\u0301",
]  # fmt: skip
ALPHABET = "abcXYZ019 好看吗？！，。呢几多少🙂💗\u0301\u200b\u202e\t\n\"\\/<>{}[]'"
ODD_VALUES: list[Any] = [
    None, True, 0, -1, 1.5, 2.0, 1e300, 2**63, 2**64 - 1, -(2**63), "", "x", "c" * 65, "评论", [], [1], {},
    {"a": None},
]  # fmt: skip


def promised_cid(payload: bytes) -> str | None:
    """The cid the server owes exactly one ack: a string of 1-64 characters without control characters, in a
    JSON object (docs/protocol.md section 2)."""
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    cid = raw.get("cid") if isinstance(raw, dict) else None
    return cid if acceptable_cid(cid) else None


def acceptable_cid(cid: object) -> bool:
    if not isinstance(cid, str) or not 0 < len(cid) <= 64:
        return False
    return not any(ord(c) < 0x20 or ord(c) == 0x7F for c in cid)


@dataclass
class Out:
    """One message to send: its bytes, as a text or binary message, whole or in fragments."""

    label: str
    payload: bytes
    binary: bool = False
    fragments: int = 1
    cid: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.cid = promised_cid(self.payload)

    def show(self) -> str:
        how = "binary" if self.binary else "text"
        if self.fragments > 1:
            how += f" in {self.fragments} fragments"
        data = self.payload if len(self.payload) <= 160 else self.payload[:150] + b"..."
        return f"[{self.label}] {how} {len(self.payload)} B: {data!r}"


def dumps(frame: Any) -> bytes:
    return orjson.dumps(frame)


@dataclass
class Shared:
    """What the lanes learn from the room, to aim their frames (reply / hide targets, resume points)."""

    comment_seqs: list[int] = field(default_factory=list)
    epochs: list[str] = field(default_factory=list)
    lane_users: set[str] = field(default_factory=set)


class Fuzzer:
    """A seeded generator of frames for one lane."""

    def __init__(self, seed: int, lane: str, shared: Shared) -> None:
        self.rng = random.Random(seed)
        self.lane = lane
        self.shared = shared
        self.n = 0
        self.history: list[Out] = []

    # --- building blocks ---------------------------------------------------------------------------

    def cid(self) -> str:
        self.n += 1
        base = f"{self.lane}-{self.n}"
        return self.rng.choice(
            [
                base,
                base,
                base,
                f"评{base}",
                f"{base}-".ljust(64, "z"),
                f" {base} 🙂",
                f"{base}\t\u200b",
                f"{base}\x00",
            ]
        )

    def text(self) -> str:
        if self.rng.random() < 0.6:
            return self.rng.choice(TEXTS)
        return "".join(self.rng.choice(ALPHABET) for _ in range(self.rng.randint(1, 80)))

    def seq(self) -> int:
        seqs = self.shared.comment_seqs
        if seqs and self.rng.random() < 0.6:
            return self.rng.choice(seqs[-50:])
        return self.rng.choice([1, 2, self.rng.randint(1, 10_000), 2**31, 2**63 - 1, 2**64 - 1])

    def target(self, action: str) -> str:
        pool = ["fz-victim", "ghost", "u9", "x" * 64, "用户", "fz-host"]
        if action != "ban":  # mutes and hides of the fuzzing viewers, yes; bans only of bystanders
            pool += sorted(self.shared.lane_users)
        return self.rng.choice(pool)

    def maybe_cid(self, frame: dict[str, Any]) -> dict[str, Any]:
        if self.rng.random() < 0.8:
            frame["cid"] = self.cid()
        return frame

    def valid(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        kind = rng.choices(
            [
                "comment",
                "like",
                "gift",
                "follow",
                "reply",
                "pin",
                "host_status",
                "moderate",
                "ping",
                "resume",
            ],
            weights=[5, 4, 2, 1, 2, 1, 1, 2, 1, 1],
        )[0]
        if kind == "comment":
            return kind, {"type": "comment", "cid": self.cid(), "text": self.text()}
        if kind == "like":
            frame: dict[str, Any] = {"type": "like"}
            if rng.random() < 0.8:
                frame["count"] = rng.choice([1, 1, 2, 5, 30, 99, 100])
            return kind, self.maybe_cid(frame)
        if kind == "gift":
            frame = {"type": "gift", "gift_id": rng.choice(GIFTS)}
            if rng.random() < 0.5:
                frame["count"] = rng.choice([1, 2, 99])
            return kind, self.maybe_cid(frame)
        if kind == "follow":
            return kind, self.maybe_cid({"type": "follow"})
        if kind == "reply":
            return kind, {"type": "reply", "cid": self.cid(), "to_seq": self.seq(), "text": self.text()}
        if kind == "pin":
            return kind, self.maybe_cid({"type": "pin", "product_id": rng.choice(PRODUCTS)})
        if kind == "host_status":
            return kind, self.maybe_cid(
                {"type": "host_status", "status": rng.choice(["live", "busy", "away"])}
            )
        if kind == "moderate":
            action = rng.choice(["hide", "mute", "unmute", "ban", "unban"])
            frame = {"type": "moderate", "action": action, "user_id": self.target(action)}
            if action == "hide" or rng.random() < 0.3:
                frame["comment_seq"] = self.seq()
            if action == "mute" and rng.random() < 0.5:
                frame["minutes"] = rng.choice([1, 10, 10080])
            return kind, self.maybe_cid(frame)
        if kind == "ping":
            frame = {"type": "ping"}
            if rng.random() < 0.7:
                frame["t"] = rng.choice([0, -1, 1.5, 1732600000000, 2**63 - 1, 1e308, -0.0, None])
            return kind, frame
        frame = {"type": "resume", "last_seq": rng.choice([0, 1, self.seq(), 2**63 - 1, 2**64 - 1])}
        if rng.random() < 0.7:
            epochs = self.shared.epochs
            frame["epoch"] = rng.choice([None, "0" * 8, "x" * 64, *(epochs[-1:] or ["ffff"])])
        return kind, frame

    # --- the categories -----------------------------------------------------------------------------

    def next(self) -> Out:
        r = self.rng.random()
        if r < 0.45:
            out = self.valid_out()
        elif r < 0.65:
            out = self.invalid()
        elif r < 0.80:
            out = self.garbage()
        elif r < 0.85:
            out = self.binary()
        elif r < 0.89:
            out = self.oversize()
        elif r < 0.94:
            out = self.fragmented()
        else:
            out = self.again()
        self.history.append(out)
        return out

    def valid_out(self) -> Out:
        kind, frame = self.valid()
        return Out(f"valid {kind}", dumps(frame))

    def invalid(self) -> Out:
        rng = self.rng
        kind, frame = self.valid()
        how = rng.choice(["odd value", "odd value", "odd value", "drop", "extra", "type", "cid"])
        if how == "odd value":
            name = rng.choice([k for k in frame if k != "type"] or ["type"])
            frame[name] = rng.choice(ODD_VALUES)
        elif how == "drop":
            del frame[rng.choice(list(frame))]
        elif how == "extra":
            frame[rng.choice(["html", "seq", "user", "Type", "", "cid2"])] = rng.choice(ODD_VALUES)
        elif how == "type":
            frame["type"] = rng.choice(["dance", "COMMENT", f"{kind} ", "ack", "batch", "", None, 5, [kind]])
            frame.setdefault("cid", self.cid())
        else:
            frame["cid"] = rng.choice(["", "c" * 65, 42, None, ["c"], {"c": 1}, self.cid()])
        return Out(f"invalid {kind}: {how}", dumps(frame))

    def garbage(self) -> Out:
        rng, cid = self.rng, self.cid()
        c = cid.encode()
        choices: list[tuple[str, bytes]] = [
            ("not json", b"{not json"),
            ("empty", b""),
            ("scalar", rng.choice([b"null", b"true", b"1", b'"comment"', b"1e999", b"-0"])),
            ("array", b'[{"type": "like", "cid": "' + c + b'"}]'),
            ("NaN", b'{"type": "like", "count": NaN, "cid": "' + c + b'"}'),
            ("Infinity", b'{"type": "ping", "t": Infinity}'),
            ("1e400", b'{"type": "like", "count": 1e400, "cid": "' + c + b'"}'),
            ("huge int", b'{"type": "like", "count": 100000000000000000000000, "cid": "' + c + b'"}'),
            ("huge seq", b'{"type": "resume", "last_seq": ' + U64 + b', "epoch": null}'),
            ("huge to_seq", b'{"type": "reply", "cid": "' + c + b'", "to_seq": ' + U64 + b', "text": "x"}'),
            ("lone surrogate", b'{"type": "comment", "cid": "' + c + b'", "text": "\\ud800"}'),
            ("surrogate cid", b'{"type": "comment", "cid": "\\udfff' + c + b'", "text": "x"}'),
            ("invalid utf-8", b'{"type": "comment", "cid": "' + c + b'", "text": "\xff\xfe\xc3"}'),
            ("bom", b'\xef\xbb\xbf{"type": "like", "cid": "' + c + b'"}'),
            ("trailing", b'{"type": "like", "cid": "' + c + b'"} {}'),
            ("cut", b'{"type": "comment", "cid": "' + c + b'", "text": "x'),
            ("duplicate keys", b'{"type": "like", "cid": "dup-key-' + c + b'", "cid": "' + c + b'"}'),
            ("deep", b"[" * 3000 + b"]" * 3000),
            ("deep field", b'{"type": "ping", "cid": "' + c + b'", "t": ' + b"[" * 600 + b"]" * 600 + b"}"),
            ("random bytes", bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))),
            ("nul", b'{"type": "comment", "cid": "' + c + b'", "text": "\\u0000"}'),
        ]  # fmt: skip
        label, payload = rng.choice(choices)
        return Out(f"garbage: {label}", payload)

    def binary(self) -> Out:
        kind, frame = self.valid()
        frame.setdefault("cid", self.cid())
        return Out(f"binary {kind}", dumps(frame), binary=True)

    def oversize(self) -> Out:
        rng, cid = self.rng, self.cid()
        if rng.random() < 0.5:
            frame: dict[str, Any] = {"type": "comment", "cid": cid, "text": "长" * rng.randint(1400, 20_000)}
        else:
            frame = {"type": "like", "cid": cid, "pad": "x" * rng.randint(4100, 60_000)}
        return Out(f"oversize {frame['type']}", dumps(frame), binary=rng.random() < 0.2)

    def fragmented(self) -> Out:
        out = self.rng.choice([self.valid_out, self.invalid, self.garbage])()
        parts = self.rng.randint(2, 4)
        return Out(f"fragmented {out.label}", out.payload, binary=self.rng.random() < 0.2, fragments=parts)

    def again(self) -> Out:
        """A message sent before, again (a retry with the same cid)."""
        earlier = [o for o in self.history if o.cid is not None]
        if not earlier:
            return self.valid_out()
        first = self.rng.choice(earlier[-30:])
        return Out(f"again: {first.label}", first.payload, binary=first.binary, fragments=first.fragments)

    def twice(self) -> tuple[Out, Out]:
        """One action and its retry back to back (the first is still in flight when the second comes)."""
        kind = self.rng.choice(["comment", "gift", "follow", "like"])
        frame: dict[str, Any] = {"type": kind, "cid": self.cid()}
        if kind == "comment":
            frame["text"] = f"重发{self.n}"
        elif kind == "gift":
            frame["gift_id"] = self.rng.choice(GIFTS[:6])
        payload = dumps(frame)
        return Out(f"twice {kind}", payload), Out(f"twice {kind} (retry)", payload)

    def huge_fragmented(self) -> Out:
        """A message above the hard limit in fragments each below it (3 to 5 of 35-60 KB): its ack, or the
        close 1009."""
        parts, each = self.rng.randint(3, 5), self.rng.randint(35_000, 60_000)
        frame = {"type": "like", "cid": self.cid(), "pad": "x" * (parts * each - 60)}
        return Out("huge fragmented like", dumps(frame), fragments=parts)

    def burst(self) -> list[Out]:
        out = []
        for i in range(BURST):
            cid = self.cid()
            frame = [
                {"type": "like", "count": 1, "cid": cid},
                {"type": "nope", "cid": cid},
                {"type": "ping", "cid": cid},
                {"type": "comment", "cid": cid, "text": f"快{i}"},
                {"type": "gift", "gift_id": "unicorn", "cid": cid},
            ][i % 5]
            out.append(Out(f"burst {frame['type']}", dumps(frame)))
        return out


@dataclass
class Conn:
    """One connection of a lane, and everything it got."""

    client: Client
    user: str
    sent: list[Out] = field(default_factory=list)
    acks: defaultdict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    bare: Counter[str] = field(default_factory=Counter)  # `error` frames by code
    codes: Counter[str] = field(default_factory=Counter)  # every refusal code, in acks and errors
    closed: int | None = None  # the close code, once the server closed it

    def owed(self) -> Counter[str]:
        """cid -> acks still owed."""
        want = Counter(o.cid for o in self.sent if o.cid is not None)
        return Counter({cid: n - len(self.acks.get(cid, ())) for cid, n in want.items()}) + Counter()


class Lane:
    """One user sending a fuzzed stream over one connection at a time."""

    def __init__(self, node: Node, connect: Any, name: str, role: Role, shared: Shared, seed: int) -> None:
        self.node, self._connect, self.name, self.role, self.shared = node, connect, name, role, shared
        self.fuzz = Fuzzer(seed, name, shared)
        self.generation = 0
        self.conns: list[Conn] = []
        self.pongs: list[float] = []
        self.problems: list[str] = []

    @property
    def conn(self) -> Conn:
        return self.conns[-1]

    async def open(self, early: int = 0) -> Conn:
        """A new connection; `early` fuzzed frames go out at once, before the welcome can have come (beyond
        32 of them, those the server still holds for the room are refused, each with its ack)."""
        user = self.name if self.generation == 0 else f"{self.name}-{self.generation}"
        client: Client = await self._connect(
            self.node, user=user, role=self.role, nickname=f"测{self.name}", welcome=False
        )
        self.shared.lane_users.add(user)
        self.conns.append(Conn(client, user))
        for _ in range(early):
            await self.send(self.fuzz.next())
        msg = await client.recv(10)
        if msg.get("type") != "welcome":  # "the server always sends exactly one first frame: a welcome"
            self.problems.append(f"{self.name}: the first frame is not the welcome: {msg}")
            while msg.get("type") != "welcome":
                self.take(self.conn, msg)
                msg = await client.recv(10)
        client.welcome = msg
        if isinstance(msg.get("epoch"), str):
            self.shared.epochs.append(msg["epoch"])
        return self.conn

    async def reopen(self) -> None:
        if self.conn.closed == 4010:  # banned: this user may not come back
            self.generation += 1
        await self.open()

    def take(self, conn: Conn, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "ack":
            conn.acks[str(msg.get("cid"))].append(msg)
            if "error" in msg:
                conn.codes[str(msg["error"].get("code"))] += 1
            echo = msg.get("msg")
            if isinstance(echo, dict) and echo.get("type") == "comment" and isinstance(msg.get("seq"), int):
                self.shared.comment_seqs.append(msg["seq"])
        elif kind == "error":
            conn.bare[str(msg.get("code"))] += 1
            conn.codes[str(msg.get("code"))] += 1
        elif kind == "comment" and isinstance(msg.get("seq"), int):
            self.shared.comment_seqs.append(msg["seq"])
        elif kind == "pong" and isinstance(msg.get("t"), float | int):
            self.pongs.append(msg["t"])

    async def pump(self, until: float, done: Any = None) -> None:
        """Read what comes until `until` (loop time), until `done()` holds, or until the server closes."""
        conn, loop = self.conn, asyncio.get_running_loop()
        while conn.closed is None and not (done is not None and done()):
            left = until - loop.time()
            if left <= 0:
                return
            try:
                msg = await conn.client.recv(left)
            except TimeoutError:
                return
            except websockets.ConnectionClosed as exc:
                conn.closed = exc.rcvd.code if exc.rcvd is not None else 1006
                return
            self.take(conn, msg)

    async def send(self, out: Out) -> None:
        if self.conn.closed is not None:
            await self.reopen()
        conn = self.conn
        data = out.payload
        step = max(1, -(-len(data) // out.fragments))
        chunks = [data[i : i + step] for i in range(0, len(data), step)]
        message: Any = chunks if len(chunks) > 1 else data
        try:
            await conn.client.ws.send(message, text=not out.binary)
        except websockets.ConnectionClosed as exc:
            conn.closed = exc.rcvd.code if exc.rcvd is not None else 1006
            return
        conn.sent.append(out)

    async def run(self, frames: int) -> None:
        loop = asyncio.get_running_loop()
        await self.open(early=EARLY)
        await self.pump(loop.time() + 1.1)  # the early frames leave the frame-rate window
        for i in range(frames):
            if i == frames // 2:  # a quiet second, then a burst above the frame rate
                await self.pump(loop.time() + 1.1)
                for out in self.fuzz.burst():
                    await self.send(out)
                await self.pump(loop.time() + 1.1)  # the burst's 40 frames leave the window
            if i == frames * 3 // 4:
                await self.send(self.fuzz.huge_fragmented())
            if i % 15 == 7:
                for out in self.fuzz.twice():
                    await self.send(out)
            await self.send(self.fuzz.next())
            await self.pump(loop.time() + PACE_S)
        await self.drain()

    async def drain(self) -> None:
        """Await every ack still owed (they follow the commit), then a ping barrier: whatever the server
        answers to the frames before the ping, it has sent before the pong."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_S
        await self.pump(deadline, done=lambda: not self.conn.owed())
        marker = float(424242 + len(self.conns))
        while self.conn.closed is None and marker not in self.pongs and loop.time() < deadline:
            await self.send(Out("barrier ping", dumps({"type": "ping", "t": marker})))
            await self.pump(min(deadline, loop.time() + 2), done=lambda: marker in self.pongs)


def string_cid(payload: bytes) -> str | None:
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    cid = raw.get("cid") if isinstance(raw, dict) else None
    return cid if isinstance(cid, str) else None


def check_lane(lane: Lane, problems: list[str], lost: list[str]) -> None:
    problems.extend(lane.problems)
    successes: defaultdict[tuple[str, str], set[bytes]] = defaultdict(set)  # (user, cid) -> success acks
    for n, conn in enumerate(lane.conns):
        where = f"{lane.name} connection {n} (user {conn.user})"
        earned = set(FUZZ_CLOSES)
        if any(len(o.payload) > HARD_LIMIT for o in conn.sent):
            earned.add(1009)
        if conn.closed is not None and conn.closed not in earned:
            problems.append(f"{where}: closed by the server with {conn.closed}")
        for code in conn.codes:
            if code not in ERROR_TEXT:
                problems.append(f"{where}: refusal code {code!r} is not in ERROR_TEXT")
        sent = Counter(o.cid for o in conn.sent if o.cid is not None)
        any_cid = Counter(string_cid(o.payload) for o in conn.sent)  # also empty or too long ones
        for cid, acks in conn.acks.items():
            if not acceptable_cid(cid):  # "whose cid is not a 1-64 character string gets an error frame"
                problems.append(f"{where}: an ack for an invalid cid {cid!r}: {acks[0]}")
            if len(acks) > any_cid[cid]:
                problems.append(
                    f"{where}: {len(acks)} acks for cid {cid!r} sent {any_cid[cid]} time(s): {acks}"
                )
            for a in acks:
                if "error" not in a:
                    successes[conn.user, cid].add(orjson.dumps(a, option=orjson.OPT_SORT_KEYS))
        missing = [o for o in conn.sent if o.cid is not None and len(conn.acks.get(o.cid, ())) < sent[o.cid]]
        for cid in dict.fromkeys(o.cid for o in missing):
            out = next(o for o in missing if o.cid == cid)
            got = len(conn.acks.get(cid or "", ()))
            line = f"{where}: {got} ack(s) for cid {cid!r} sent {sent[cid]} time(s): {out.show()}"
            (lost if conn.closed in earned else problems).append(line)
    for (user, cid), acks in successes.items():
        if len(acks) > 1:  # a re-sent cid is answered with its first ack: never posted twice
            problems.append(f"{lane.name} user {user}: cid {cid!r} acked differently: {sorted(acks)}")


async def test_fuzzed_frames_keep_every_promise(
    sqlite_node: Node, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    node = sqlite_node
    caplog.set_level(logging.WARNING)
    shared = Shared()
    lanes = [
        Lane(node, connect, "fz-host", Role.HOST, shared, SEED),
        Lane(node, connect, "fz-a", Role.VIEWER, shared, SEED + 1),
        Lane(node, connect, "fz-b", Role.VIEWER, shared, SEED + 2),
    ]
    shared.lane_users.update(lane.name for lane in lanes)
    await asyncio.gather(*(lane.run(PACED_FRAMES) for lane in lanes))

    problems: list[str] = []
    lost: list[str] = []
    for lane in lanes:
        check_lane(lane, problems, lost)

    # the node keeps serving: a fresh viewer's comment is acked and the host sees it
    fresh: Client = await connect(node, user="fz-fresh", nickname="新来的")
    host: Client = await connect(node, user="fz-host-after", role=Role.HOST)
    await fresh.send({"type": "comment", "cid": "after-fuzz", "text": "请问主播这件大衣还有M码吗"})
    ack = await fresh.expect("ack", timeout=10, cid="after-fuzz")
    assert "error" not in ack and isinstance(ack.get("seq"), int), ack
    seen = await host.expect("comment", timeout=10, cid="after-fuzz")
    assert seen["seq"] == ack["seq"]
    fuzz_host = lanes[0]
    if fuzz_host.conn.closed is None:  # the fuzzing host's own connection still works too
        await fuzz_host.conn.client.expect("comment", timeout=10, cid="after-fuzz")
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        assert (await http.get("/healthz")).status_code == 200

    logged = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.split(".")[0] in WATCHED_LOGGERS
    ]
    for r in logged:
        problems.append(f"logged at {r.levelname} by {r.name}: {r.getMessage()}\n{r.exc_text or ''}")

    sent = [o for lane in lanes for conn in lane.conns for o in conn.sent]
    summary = (
        f"{len(sent)} messages sent ({sum(o.cid is not None for o in sent)} with a cid) on "
        f"{sum(len(lane.conns) for lane in lanes)} connections; closes "
        f"{[c.closed for lane in lanes for c in lane.conns if c.closed is not None]}; "
        f"{len(lost)} owed acks lost to a close the fuzz earned; bare errors "
        f"{sum((c.bare for lane in lanes for c in lane.conns), Counter())}"
    )
    assert len(sent) >= 3 * PACED_FRAMES, summary
    if problems:
        pytest.fail(summary + "\n" + "\n".join(problems[:60]), pytrace=False)


async def test_a_fragmented_message_above_the_hard_limit_gets_its_ack_or_1009(
    sqlite_node: Node, connect: Any
) -> None:
    """Fragments each below the hard limit (64 KiB) that add up to more: the message carries a cid, so its
    refusal is its ack (frame_too_large), unless the connection is closed 1009 as for one frame above the
    hard limit. Never a bare error (the fuzz's minimal reproduction)."""
    c: Client = await connect(sqlite_node, user="frag")
    data = dumps({"type": "like", "cid": "frag-big", "pad": "x" * 100_000})
    await c.ws.send([data[i : i + 30_000] for i in range(0, len(data), 30_000)], text=True)
    try:
        msg = await c.recv(5)
        while msg.get("type") not in ("ack", "error"):
            msg = await c.recv(5)
    except websockets.ConnectionClosed as exc:
        assert exc.rcvd is not None and exc.rcvd.code == 1009
        return
    assert msg.get("type") == "ack" and msg.get("cid") == "frag-big", msg
    assert msg["error"]["code"] == "frame_too_large"


def _masked(payload: bytes, opcode: int = 1) -> bytes:
    """One client WebSocket frame (FIN, masked), built by hand to go out in the same write as the upgrade."""
    mask = os.urandom(4)
    n = len(payload)
    size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return bytes([0x80 | opcode]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_frames_pipelined_with_the_upgrade_come_after_the_welcome(sqlite_node: Node) -> None:
    """A client that writes its first frames together with the upgrade request (before the room is joined):
    the first frame it gets is still the welcome (section 1), and each frame with a cid gets exactly one ack,
    those beyond the 32 held for the room too (rate_limited). The fuzz's minimal reproduction."""
    token = sqlite_node.signer.issue(room="demo", user="early", role=Role.VIEWER)
    key = base64.b64encode(os.urandom(16)).decode()
    upgrade = (
        f"GET /ws/rooms/demo?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    cids = [f"e{i}" for i in range(34)]
    frames = b"".join(_masked(dumps({"type": "like", "cid": cid})) for cid in cids)
    reader, writer = await asyncio.open_connection("127.0.0.1", sqlite_node.gateway.port)
    try:
        writer.write(upgrade + frames)
        await writer.drain()
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 101")
        got: list[dict[str, Any]] = []
        acks: Counter[str] = Counter()
        while set(acks) != set(cids):
            try:
                head = await asyncio.wait_for(reader.readexactly(2), 5)
            except TimeoutError:
                raise AssertionError(f"no ack for {sorted(set(cids) - set(acks))}; got {got}") from None
            n = head[1] & 0x7F
            if n >= 126:
                n = int.from_bytes(await reader.readexactly(2 if n == 126 else 8), "big")
            payload = await reader.readexactly(n)
            if head[0] & 0x0F == 1:
                msg = orjson.loads(payload)
                got.append(msg)
                if msg.get("type") == "ack":
                    acks[msg["cid"]] += 1
        assert got[0]["type"] == "welcome", [(m["type"], m.get("cid")) for m in got[:4]]
        assert set(acks.values()) == {1}
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_a_cid_with_a_nul_character_fails_nobody(
    node: Node, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL is refused at the door (`bad_message`; a cid with a control character is not a cid, so the answer
    is an error frame), never `store_unavailable`, and the other actions are not failed with it. (The fuzz's
    minimal reproduction: on PostgreSQL the event log's cid column refused the NUL and the whole commit
    failed.)"""
    caplog.set_level(logging.WARNING)
    nul: Client = await connect(node, user="nul")
    other: Client = await connect(node, user="other")
    await nul.send({"type": "like", "cid": "like\x00"})
    await other.send({"type": "comment", "cid": "innocent", "text": "正常的评论"})
    mine = await nul.expect("error", timeout=10)
    theirs = await other.expect("ack", timeout=10, cid="innocent")
    assert "error" not in theirs and isinstance(theirs.get("seq"), int), theirs
    assert mine["code"] == "bad_message", mine
    await nul.send({"type": "comment", "cid": "c1", "text": "a\x00b"})  # a NUL in any text: bad_message
    assert (await nul.expect("ack", timeout=10, cid="c1"))["error"]["code"] == "bad_message"
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, [f"{r.name}: {r.getMessage()}" for r in logged]
