"""Chinese text helpers: THE numeral parser, numerals in running text, digit folding, normalisation."""

from __future__ import annotations

import pytest

import siyu.assistant.llm.guard
import siyu.assistant.slots
from siyu.zh import cn_int, cn_to_arabic, fold_digits, normalize


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一五九", 159),  # digit by digit (the grounding guard: 一五九元)
        ("六五", 65),  # the metre part of 一米六五
        ("〇五", 5),
        ("两", 2),
        ("十", 10),
        ("十一", 11),
        ("一百五十九", 159),
        ("两千", 2000),
        ("三万", 30000),
        ("1", 1),
        ("12", 12),
    ],
)
def test_cn_int(text: str, value: int) -> None:
    assert cn_int(text) == value


def test_cn_int_refuses_what_is_not_a_numeral() -> None:
    with pytest.raises(KeyError):
        cn_int("一起")


def test_one_parser_for_the_slots_and_the_grounding_guard() -> None:
    assert vars(siyu.assistant.slots)["cn_int"] is cn_int
    assert vars(siyu.assistant.llm.guard)["cn_int"] is cn_int
    assert not hasattr(siyu.assistant.slots, "_cn_int")
    assert not hasattr(siyu.assistant.llm.guard, "_chinese_int")


def test_numerals_in_running_text() -> None:
    assert cn_to_arabic("一百斤") == "100斤"
    assert cn_to_arabic("百褶裙多少钱") == "百褶裙多少钱"  # cn2an leaves it alone, no warning
    assert cn_to_arabic("M码多少钱") == "M码多少钱"


def test_fold_digits_keeps_the_length() -> None:
    assert fold_digits("加微一三八幺贰叁") == "加微138123"
    assert fold_digits("两件") == "两件"  # 两 is "two of", not a digit of a number


def test_normalize() -> None:
    assert normalize("ＸＬ码　还有吗 ") == "XL码 还有吗"
