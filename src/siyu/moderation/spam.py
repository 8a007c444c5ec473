"""Contact ads, phone numbers and links, matched with a few regexes over folded text.

Chinese digits are read as digits first (``一三八…``, ``壹叁捌…``: :func:`siyu.zh.fold_digits`, same length,
so the position map still holds).
"""

from __future__ import annotations

import re

from siyu.moderation.text import Folded, original_span
from siyu.moderation.words import Match
from siyu.zh import fold_digits

__all__ = ["contacts", "links"]

_FILL = "[号码是为搜加我的]{0,3}"
_UNITS = "个件元块份单人万千百斤赞次"
_CONTACT = re.compile(
    # WeChat cues take a WeChat id (a letter, then 5..19 letters/digits) or digits
    rf"(?:(?<![a-z])(?:vx|wx|wechat|weixin)|微信|薇信|威信|v信){_FILL}(?:[a-z][a-z0-9]{{5,19}}|\d{{6,}})"
    # QQ and phone cues take digits only ("手机iphone15" is not an ad)
    rf"|(?:(?<![a-z])(?:qq|tel)|扣扣|企鹅|电话|手机|联系){_FILL}\d{{6,}}"
    # weak cues (加, a lone v or q) need digits in the id: "v领", "加大码", "加油" stay clean
    # ("再加100000件" is a quantity, not an id)
    rf"|(?:加|(?<![a-z])[vq]){_FILL}(?:(?=[a-z]*\d)[a-z][a-z0-9]{{4,19}}|\d{{6,}}(?![\d{_UNITS}]))"
)
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# cheering numbers that look like a phone once spaces are gone: "1314 1314 520"
_CHEER = re.compile(r"(?:1314|520|521|666|888|999)+")
_TLDS = (
    "com|cn|net|org|top|xyz|vip|cc|io|info|shop|club|site|online|link|icu|fun|ink|wang|tk|ml|tv|hk|app|live"
)
_LINK = re.compile(
    r"https?:/*[a-z0-9][a-z0-9.:/]*"
    r"|www\.[a-z0-9][a-z0-9.]*"
    rf"|(?<![a-z0-9.])[a-z0-9]{{2,}}(?:\.[a-z0-9]+)*\.(?:{_TLDS})(?![a-z0-9])(?:/[a-z0-9./]*)?"
)


def contacts(folded: Folded) -> list[Match]:
    digits = fold_digits(folded.norm)  # same length, so the index map still holds
    found = [
        Match("contact", m.group(), original_span(folded.nmap, *m.span())) for m in _CONTACT.finditer(digits)
    ]
    for m in _PHONE.finditer(digits):
        if not _CHEER.fullmatch(m.group()):
            found.append(Match("phone", m.group(), original_span(folded.nmap, *m.span())))
    return found


def links(folded: Folded) -> list[Match]:
    return [
        Match("link", m.group(), original_span(folded.lmap, *m.span())) for m in _LINK.finditer(folded.link)
    ]
