"""``siyu bench call --netem MS``: the same run inside a network namespace whose loopback delays every packet
by MS milliseconds (`tc qdisc add dev lo root netem delay MSms`): one way MS, a round trip 2 x MS, for the
room WebSocket and the media alike. Needs root and a kernel with the netem qdisc (sch_netem).

The bench re-runs itself inside the namespace (`ip netns exec NS python -m siyu bench call ... --in-netns MS
--json FILE`): the node, Playwright and Chromium (with `--allow-loopback-in-peer-connection`: the namespace
has no other interface, so the peers meet on 127.0.0.1) and the aiortc baseline all live there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def run_in_netns(delay_ms: int, argv: list[str]) -> dict[str, Any]:
    """Run `siyu bench call ARGV` in a fresh namespace with `delay_ms` on its loopback; the result's JSON,
    or {"netem_error": why} when the namespace or the qdisc cannot be made here."""
    ns = f"siyu-bench-{os.getpid()}"
    made = _ip("netns", "add", ns)
    if made.returncode != 0:
        return {"netem_error": f"`ip netns add` failed: {made.stderr.strip() or made.returncode}"}
    try:
        up = _ip("-n", ns, "link", "set", "lo", "up")
        if up.returncode != 0:
            return {"netem_error": f"`ip link set lo up` in the namespace failed: {up.stderr.strip()}"}
        if delay_ms > 0:
            tc = subprocess.run(
                ["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
                 f"{delay_ms}ms"], capture_output=True, text=True, check=False,
            )  # fmt: skip
            if tc.returncode != 0:
                why = f"{tc.stderr.strip()} (kernel {os.uname().release} without sch_netem)"
                return {"netem_error": f"`tc qdisc add dev lo root netem delay {delay_ms}ms` failed: {why}"}
        with tempfile.TemporaryDirectory(prefix="siyu-netem-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = ["ip", "netns", "exec", ns, sys.executable, "-m", "siyu", "bench", "call", *argv,
                   "--in-netns", str(delay_ms), "--json", str(out)]  # fmt: skip
            run = subprocess.run(cmd, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if run.returncode != 0 or not out.exists():
                return {"netem_error": f"the run in the namespace exited with {run.returncode}"}
            data: dict[str, Any] = json.loads(out.read_text())
            return data
    finally:
        _ip("netns", "del", ns)


def drop_opts(argv: list[str]) -> list[str]:
    """ARGV without --netem and --json (and their values), for the run inside the namespace."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--netem", "--json"):
            skip = True
        elif not a.startswith(("--netem=", "--json=")):
            out.append(a)
    return out

