"""Page tests: one headless Debian Chromium per test, driven by Playwright."""

from __future__ import annotations

import gc
import re
import shutil
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


# Calls and the co-host mic: Chromium's fake camera and microphone, granted without a prompt (issue 14)
MEDIA_ARGS = [*ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def media_browser() -> AsyncIterator[Browser]:
    """A headless Chromium whose pages get a fake camera and microphone (getUserMedia without a prompt)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS)
        yield b
        await b.close()


def watch(page: Page, errors: list[str]) -> Page:
    """Collect page errors and Content-Security-Policy violations (the pages must need neither inline
    script, nor inline style, nor another origin than the server's own and its gateway)."""
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(f"CSP: {msg.text}") if "Content Security Policy" in msg.text else None,
    )
    return page


async def open_page(browser: Browser, url: str, errors: list[str]) -> Page:
    page = watch(await browser.new_page(), errors)
    await page.goto(url)
    return page


PROTOCOL_MD = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_http_codes() -> dict[str, set[int]]:
    """HTTP error codes and their statuses, from the table in docs/protocol.md section 8."""
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    section = text[text.index("## 8.") :]
    codes: dict[str, set[int]] = {}
    for m in re.finditer(r"^\| `([a-z_.]+)` \| ([0-9, ]+) \|", section, re.MULTILINE):
        codes[m.group(1)] = {int(s) for s in m.group(2).replace(" ", "").split(",")}
    return codes


LEAKS = Path("var/leaked-sockets.txt")


@pytest.fixture(autouse=True)
def _collect_after(request: pytest.FixtureRequest) -> Iterator[None]:
    """Collect garbage after each page test. A Redis connection (or its socket) some earlier part of the run
    left unclosed (seen only in whole runs, never in a page test alone; two likely owners were fixed, see the
    issue 12 note) is written to var/leaked-sockets.txt with the test it surfaced after, instead of failing a
    random later test; any other object finalised with an error still fails this test."""
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, ResourceWarning) and (
            "unclosed <socket.socket" in text or "unclosed Connection <redis" in text
        ):
            LEAKS.parent.mkdir(parents=True, exist_ok=True)
            with LEAKS.open("a", encoding="utf-8") as f:
                f.write(f"{request.node.nodeid}: {w.message}\n")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
