"""`siyu bench call` at a tiny size: the aiortc baseline sets up calls and decodes frames of the asked size;
the command runs end to end and writes its JSON; the siyu half (a node, Chromium with fake devices) sets up
2 calls with each driver (the real pages; the bench page over the room WebSocket), and once through the
user-space delay proxies (coturn relay). Structure and counts only, no timings."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.bench.call import run_call_bench
from siyu.bench.call_delay import TcpDelayProxy, UdpDelayProxy
from siyu.bench.call_netem import drop_opts
from siyu.cli.bench import bench_app


async def test_baseline_calls_reach_a_decoded_frame() -> None:
    result = await run_call_bench(calls=2, hold=0, width=320, height=240, fps=15, baseline_only=True)
    data = result.as_dict()
    assert data["baseline"]["total"]["count"] == 2
    assert data["baseline"]["resolution"] == ["320x240"]
    b = data["baseline"]
    assert b["total"]["min_ms"] >= b["media"]["min_ms"] > 0 and b["signalling"]["min_ms"] > 0
    assert data["siyu"] == {} and data["target_met"] is None


def test_cli_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "call.json"
    run = CliRunner().invoke(bench_app, ["call", "--calls", "2", "--baseline-only", "--width", "320",
                                         "--height", "240", "--json", str(out)])  # fmt: skip
    assert run.exit_code == 0, run.output
    data = json.loads(out.read_text())
    assert data["calls"] == 2 and data["baseline"]["total"]["count"] == 2 and data["nproc"] >= 1


def test_netem_run_gets_the_options_without_netem_and_json() -> None:
    argv = ["--calls", "3", "--netem", "50", "--json", "x.json", "--hold=5", "--netem=50", "--json=y"]
    assert drop_opts(argv) == ["--calls", "3", "--hold=5"]


def _calls_ok(data: dict[str, object], calls: int) -> dict[str, object]:
    assert data["failures"] == [], data["failures"]
    siyu = data["siyu"]
    assert isinstance(siyu, dict)
    for k in ("ring_accept", "signalling", "media", "total", "frames_decoded_total"):
        assert siyu[k]["count"] == calls, (k, siyu[k])
    for c in siyu["per_call"]:  # the phases add up to the total (same clock: the viewer page's)
        assert math.isclose(c["ring_accept"] + c["signalling"] + c["media"], c["total"], abs_tol=0.01), c
        assert c["total"] > 0
    return siyu


@pytest.mark.parametrize("driver", ["pages", "bench"])
@pytest.mark.integration
@pytest.mark.browser
async def test_siyu_calls_reach_a_first_frame(driver: str) -> None:
    answer_after = 300 if driver == "pages" else 0  # the automated 接听 waits, as a person would
    result = await run_call_bench(calls=2, hold=1 if driver == "bench" else 0, width=320, height=240, fps=15,
                                  driver=driver, answer_after_ms=answer_after)  # fmt: skip
    data = json.loads(json.dumps(result.as_dict()))  # the JSON the CLI writes
    siyu = _calls_ok(data, 2)
    assert data["driver"] == driver and data["target_met"] in (True, False)
    if driver == "pages":  # both pages' marks: the signalling split across the viewer and the console
        for k in ("caller_offer", "callee_accept", "offer_relay", "callee_answer", "answer_relay", "connect"):
            assert siyu[k]["count"] == 2, (k, siyu[k])
        assert data["answer_after_ms"] == 300 and siyu["callee_accept"]["min_ms"] >= 300
        assert data["hold"] is None
    else:
        assert data["hold"] is not None and data["hold"]["samples"], data["hold"]


@pytest.mark.integration
@pytest.mark.browser
async def test_siyu_calls_through_the_delay_proxies() -> None:
    result = await run_call_bench(calls=1, hold=0, width=320, height=240, fps=15, driver="bench",
                                  emulated_delay_ms=20)  # fmt: skip
    data = json.loads(json.dumps(result.as_dict()))
    _calls_ok(data, 1)
    assert data["emulated_delay_ms"] == 20 and "not netem" in data["delay_note"]


async def test_the_delay_proxies_pass_data_both_ways() -> None:
    loop = asyncio.get_running_loop()
    got: asyncio.Queue[bytes] = asyncio.Queue()

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            self.t.sendto(b"echo:" + data, addr)  # type: ignore[attr-defined]

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            got.put_nowait(data)

    echo_t, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    proxy = UdpDelayProxy(echo_t.get_extra_info("sockname"), 0.005)
    proxy_t, _ = await loop.create_datagram_endpoint(lambda: proxy, local_addr=("127.0.0.1", 0))
    client_t, _ = await loop.create_datagram_endpoint(Client, remote_addr=proxy_t.get_extra_info("sockname"))
    try:
        for i in range(3):
            client_t.sendto(f"d{i}".encode())
        assert sorted([await got.get() for _ in range(3)]) == [b"echo:d0", b"echo:d1", b"echo:d2"]
    finally:
        client_t.close()
        proxy.close()
        echo_t.close()

    async def upper(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while line := await r.readline():
            w.write(line.upper())
            await w.drain()
        w.close()
        await w.wait_closed()

    server = await asyncio.start_server(upper, "127.0.0.1", 0)
    proxy = TcpDelayProxy(server.sockets[0].getsockname()[:2], 0.005)
    port = await proxy.start()
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"one\ntwo\n")
        await w.drain()
        assert await r.readline() == b"ONE\n" and await r.readline() == b"TWO\n"
        w.close()
        await w.wait_closed()
    finally:
        await proxy.close()
        server.close()
        await server.wait_closed()
