"""Page tests: one headless Debian Chromium per test, driven by Playwright."""

from __future__ import annotations

import gc
import re
import shutil
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


@pytest.fixture(autouse=True)
def _collect_after() -> Iterator[None]:
    """Collect garbage after each page test, so a resource a test left open is reported at that test's
    teardown (filterwarnings = error) instead of at a random later test."""
    yield
    gc.collect()
