"""Pages and their screenshots render Chinese: Chromium finds a CJK font (`make test` installs
fonts-noto-cjk), so 直播间 is drawn with real glyphs, not the identical boxes of a missing font."""

from __future__ import annotations

import subprocess

import pytest
from playwright.async_api import Browser

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_chinese_text_is_drawn_with_a_cjk_font(browser: Browser) -> None:
    fonts = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=True)
    assert fonts.stdout.strip(), "no Chinese font: `make test` installs fonts-noto-cjk"
    page = await browser.new_page()
    await page.set_content(
        "<p id='a' style='font-size:40px;display:inline-block'>直播间</p><br>"
        "<p id='b' style='font-size:40px;display:inline-block'>间直播</p>"
    )
    # a missing font draws every character as the same box: the two words would look the same
    assert await page.locator("#a").screenshot() != await page.locator("#b").screenshot()
