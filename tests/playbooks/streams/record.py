"""Record the event streams the playbook dry-run tests replay (a script, not a test; run it once and commit
its output):

    PYTHONPATH=src python tests/playbooks/streams/record.py [--seconds 95] [--only ecommerce|show|one_on_one]

- ``ecommerce.jsonl``: a real node with the demo room (带货, 晚晚的衣橱) on a temporary SQLite database, the
  demo's simulated audience (real WebSocket clients: enter, comment, ask, like, follow, gift, claim coupons,
  vote, enter the lucky bag, join the fan club, buy), the demo's scheduled host bot (topic, coupon drops, a
  选款 poll, a flash sale, a lucky bag) and a pin rotation, for ``--seconds`` of real time (the simulation
  has no clock to speed up), then the session is ended and exported with ``siyu events export``.
- ``show.jsonl`` (秀场) and ``one_on_one.jsonl`` (1V1社交): shaped by hand, ~10 minutes of `ts` each, from
  a deterministic generator (random.Random(seed), ids too, so a re-run writes the same bytes) with the real
  payload classes, in the same line format (siyu.events.event_to_json).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from siyu.events import Event, event_to_json

HERE = Path(__file__).parent


async def _run_demo(db_url: str, seconds: float, arrivals: float, max_online: int) -> str:
    """The demo room running the 带货直播 template with its simulated audience for `seconds` (as
    `siyu demo`); the live session's id. (The committed ecommerce.jsonl was recorded before the template
    existed, with a scripted host bot: re-recording gives a stream with the template's own actions.)"""
    from siyu.app import Node
    from siyu.config import load_settings
    from siyu.playbooks.service import create_from_template
    from siyu.rooms.features import Products
    from siyu.sim.audience import Audience, AudienceConfig

    node = Node(load_settings(db_url=db_url, port=0, ws_port=0))
    room_id = "demo"
    await node.start()
    try:
        title = "晚晚的衣橱·秋冬上新专场"
        await create_from_template(node.rooms, room_id, "wanwan", title, "ecommerce", "record")
        await node.ensure_demo_room(room_id, new_session=True)
        room = await node.registry.get(room_id)
        assert room is not None and room.session is not None
        session_id = room.session.id
        listing = room.feature(Products).listing()
        audience = Audience(
            node.ws_url, node.signer, room_id,
            AudienceConfig(arrivals, max_online, mean_comment_gap_s=6.0, seed=13),
            products={str(p["id"]): p for p in listing},
        )  # fmt: skip
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(audience.run(stop)),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        stop.set()
        await asyncio.gather(*tasks)  # everyone has left (their leaves are appended)
        await room.end_session()  # committed: the event log's queue holds the leaves before it
        s = audience.stats
        print(f"audience: {s.entered} viewers, {s.comments} comments, refused {s.errors}")  # noqa: T201
    finally:
        await node.stop()
    return session_id


def record_ecommerce(seconds: float, arrivals: float, max_online: int) -> Path:
    out = HERE / "ecommerce.jsonl"
    with tempfile.TemporaryDirectory(prefix="siyu-record-") as tmp:
        db_url = f"sqlite+aiosqlite:///{tmp}/record.db"
        session_id = asyncio.run(_run_demo(db_url, seconds, arrivals, max_online))
        subprocess.run(
            [sys.executable, "-m", "siyu", "events", "export", "--room", "demo", "--session", session_id,
             "--db", db_url, "--out", str(out)],
            check=True,
        )  # fmt: skip
    return out


def write_stream(path: Path, events: list[Event[Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(event_to_json(e)) + b"\n" for e in events))
    return path


def summary(path: Path) -> str:
    counts: collections.Counter[str] = collections.Counter()
    users: set[str] = set()
    first = last = 0
    for line in path.read_bytes().splitlines():
        d = orjson.loads(line)
        counts[d["type"]] += 1
        if d["user"]:
            users.add(d["user"])
        first, last = first or d["ts"], d["ts"]
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return (f"{path.name}: {path.stat().st_size:,} bytes, {sum(counts.values())} events, {len(users)} users, "
            f"{(last - first) / 1000:.0f} s of ts\n  {kinds}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=95.0, help="real seconds of the ecommerce recording")
    parser.add_argument("--arrivals", type=float, default=1.5, help="simulated viewers arriving per second")
    parser.add_argument("--max-online", type=int, default=60)
    parser.add_argument("--only", choices=["ecommerce", "show", "one_on_one"])
    args = parser.parse_args()
    from shaped import one_on_one_stream, show_stream  # beside this script

    import siyu.app  # noqa: F401 - every payload type registered

    written: list[Path] = []
    if args.only in (None, "show"):
        written.append(write_stream(HERE / "show.jsonl", show_stream()))
    if args.only in (None, "one_on_one"):
        written.append(write_stream(HERE / "one_on_one.jsonl", one_on_one_stream()))
    if args.only in (None, "ecommerce"):
        written.append(record_ecommerce(args.seconds, args.arrivals, args.max_online))
    for path in written:
        print(summary(path))  # noqa: T201 - the script's report


if __name__ == "__main__":
    main()
