"""``siyu bench call``: the console report (rich) of one run's result."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_call(console: Console, data: dict[str, Any]) -> None:
    if "netem_error" in data:
        console.print(f"[yellow]netem run not possible here:[/] {data['netem_error']}")
        return
    delay = f", +{data['delay_ms']} ms one way (netem)" if data["delay_ms"] else ", loopback"
    if data.get("answer_after_ms"):
        delay += f", 接听 {data['answer_after_ms']} ms after the ring"
    if data.get("emulated_delay_ms"):
        delay = f", emulated {data['emulated_delay_ms']} ms (userspace proxy, not netem)"
    table = Table(title=f"siyu bench call ({data['machine']}{delay})")
    for col in ("", "p50 ms", "p95 ms", "min ms", "max ms", "n"):
        table.add_column(col, justify="right")

    def row(label: str, s: dict[str, Any] | None) -> None:
        if s and s.get("count"):
            table.add_row(label, *(f"{s[k]:.1f}" for k in ("p50_ms", "p95_ms", "min_ms", "max_ms")),
                          str(s["count"]))  # fmt: skip

    b, s = data["baseline"], data["siyu"]
    row("baseline aiortc: offer → first frame", b["total"])
    row("  signalling (in-process)", b["signalling"])
    row("  ICE/DTLS/media", b["media"])
    if s:
        row("siyu: request → first frame", s["total"])
        for k, label in (("ring_accept", "  ring/accept"), ("signalling", "  signalling"),
                         ("media", "  ICE/DTLS/media"), ("first_packet", "    answer → first RTP packet"),
                         ("connect", "  accept → first frame"),
                         ("frames_decoded_total", "  request → framesDecoded > 0")):  # fmt: skip
            row(label, s.get(k))
    console.print(table)
    h = data.get("hold")
    if h:
        f = h["final"]
        console.print(
            f"held {h['seconds']:g} s: {f.get('frameWidth')}x{f.get('frameHeight')} at "
            f"{f.get('framesPerSecond')} fps (median {h['fps_median']}), "
            f"resolutions {', '.join(h['resolutions_seen'])}; freezes "
            f"{f.get('freezeCount')} ({f.get('totalFreezesDuration')} s); sender limited by "
            f"{(h.get('callee_sender') or {}).get('qualityLimitationReason')}"
        )
    if data.get("delay_note"):
        console.print(data["delay_note"])
    if data["failures"]:
        console.print(f"[red]failed calls:[/] {data['failures']}")
    if data["target_met"] is not None:
        p50 = s["total"].get("p50_ms", float("nan"))
        verdict = "met" if data["target_met"] else "NOT met"
        console.print(f"siyu request → first frame p50 {p50:.1f} ms; target ≤ {data['target_p50_ms']:g} ms: "
                      f"{verdict}")  # fmt: skip
