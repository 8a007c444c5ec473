"""Chinese text helpers shared by every part of siyu: normalisation, numerals, question detection.

Base level: this module imports nothing from siyu.

- :func:`normalize`: NFKC (full-width -> half-width) with whitespace collapsed.
- :func:`cn_int`: THE Chinese-numeral parser (``一五九`` -> 159, ``一百五十九`` -> 159, ``两`` -> 2);
  :func:`cn_to_arabic` converts the numerals inside running text (cn2an: ``一百斤`` -> ``100斤``);
  :func:`fold_digits` turns each Chinese digit character into an ASCII digit, keeping the length (contact
  numbers written as ``一三八…`` or ``壹叁捌…``).
- :func:`to_simplified`: traditional characters viewers type (這款多少錢) as simplified ones, from a small
  table of the characters a shop room uses (not a full converter).
- :func:`is_question`: whether a live-room comment is a question (traditional characters too).
"""

from __future__ import annotations

import re
import unicodedata
import warnings

__all__ = [
    "CN_DIGITS",
    "CN_NUMERALS",
    "cn_int",
    "cn_to_arabic",
    "fold_digits",
    "is_question",
    "normalize",
    "to_simplified",
]

# --------------------------------------------------------------------------------------------------
# normalisation


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width), whitespace collapsed to single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


# Traditional -> simplified, one character each: the characters of live-room comments (shop, sizes,
# shipping, coupons, garments). Pairs are written side by side: 這这 錢钱 ...
_TRAD_PAIRS = (
    "這这錢钱還还碼码嗎吗麼么幾几個个號号鏈链車车黃黄價价優优條条褲裤們们應应該该適适問问題题會会選选買买賣卖順顺豐丰東东邊边內内門门實实體体現现預预換换單单訂订質质麵面絨绒彈弹顯显熱热涼凉頭头領领"
    "帶带錯错點点塊块減减滿满無无檻槛貴贵謝谢愛爱時时間间後后沒没對对說说話话讓让給给過过進进運运費费險险達达幫帮庫库斷断補补樣样雙双鵝鹅鴨鸭絲丝襯衬針针織织夾夹連连衛卫馬马裡里裏里來来見见壞坏燙烫"
    "機机縮缩郵邮遠远區区顏颜發发貨货開开紅红藍蓝綠绿銀银閃闪齊齐長长寬宽鬆松緊紧試试歲岁廣广聯联繫系撥拨與与為为幹干釦扣鈕钮鍊链紗纱綢绸緞缎網网購购額额劵券紀纪戶户處处稱称專专屬属圖图數数貼贴遲迟"
    "擇择潔洁濕湿腳脚舊旧麗丽莊庄鄉乡廠厂產产線线讚赞氣气獎奖蘭兰燈灯團团員员規规則则雲云離离極极夠够釋释僅仅將将準准剛刚樂乐歡欢寶宝貝贝媽妈"
)
_TRAD = str.maketrans({_TRAD_PAIRS[i]: _TRAD_PAIRS[i + 1] for i in range(0, len(_TRAD_PAIRS), 2)})


def to_simplified(text: str) -> str:
    """The traditional characters of `text` that a shop room uses, as simplified ones (這款多少錢 ->
    这款多少钱); other characters are kept. Same length as `text`."""
    return text.translate(_TRAD)


# --------------------------------------------------------------------------------------------------
# numerals

CN_DIGITS = "零〇一二两三四五六七八九"
"""The characters that are one decimal digit each."""
CN_NUMERALS = CN_DIGITS + "十百千"
"""Digits and the units a number in running text is written with."""

_DIGIT_VALUE: dict[str, int] = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNIT_VALUE: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
# Financial (大写) forms and 幺 (one, as in phone numbers read aloud) fold to digits too; 两 does not (it is
# "two of", not a digit someone spells a number with).
_FOLD = str.maketrans(
    {
        **{c: str(v) for c, v in _DIGIT_VALUE.items() if c != "两"},
        **dict.fromkeys("幺壹", "1"),
        **{c: str(i) for i, c in enumerate("贰叁肆伍陆柒捌玖", start=2)},
    }
)
_DIGIT_CN_BOUNDARY = re.compile(rf"(?<=\d)(?=[{CN_NUMERALS}])|(?<=[{CN_NUMERALS}])(?=\d)")
_HAS_CN_NUMERAL = re.compile(rf"[{CN_NUMERALS}]")


def cn_int(text: str) -> int:
    """A whole number written in Chinese (or in ASCII digits): ``一五九`` (digit by digit), ``一百五十九``,
    ``两千``, ``三万``, ``〇五`` -> 5. Raises KeyError on a character that is not a numeral."""
    if text.isdigit():
        return int(text)
    if not any(c in _UNIT_VALUE or c == "万" for c in text):  # digit by digit: 一五九
        return int("".join(str(_DIGIT_VALUE[c]) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[c]
        elif c in _UNIT_VALUE:
            section += (digit or 1) * _UNIT_VALUE[c]
            digit = 0
        elif c == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        else:
            raise KeyError(c)
    return total + section + digit


def cn_to_arabic(text: str) -> str:
    """The Chinese numerals of running text as Arabic numbers, with cn2an (``一百斤`` -> ``100斤``).

    Words that only contain a numeral character (百褶裙, 一起) are left alone."""
    if not _HAS_CN_NUMERAL.search(text):
        return text
    import cn2an  # ~0.2 s to import: only paid by the code that converts running text

    text = _DIGIT_CN_BOUNDARY.sub(" ", text)
    with warnings.catch_warnings():
        # cn2an warns (and leaves the text alone) on characters such as 百 in 百褶裙.
        warnings.simplefilter("ignore")
        converted: str = cn2an.transform(text, "cn2an")
    return converted


def fold_digits(text: str) -> str:
    """Every Chinese digit character (一, 〇, 壹, 幺 …) as its ASCII digit; same length as `text`."""
    return text.translate(_FOLD)


# --------------------------------------------------------------------------------------------------
# questions
#
# A comment is a question when it ends with a question mark, carries a question particle at its end
# (吗/呢/么/嘛), or contains an interrogative (几/多少/有没有/能不能/什么/哪/怎么...). A short list of
# exclamatory idioms that contain interrogatives ("没什么", "怎么这么好看") is excluded.

_ENDS_QMARK = re.compile(r"[?？]\s*$")
_FINAL_PARTICLE = re.compile(r"(吗|呢|么|嘛|不)[~～。.!！\s]*$")
# A-not-A questions (厚不厚, 掉不掉色, 有没有, 穿没穿) and two-character ones (可不可以).
_A_NOT_A = re.compile(r"(\w)[不没]\1|可不可以|合不合适|喜不喜欢|舒不舒服|方不方便")
# An alternative question: "修身还是宽松".
_ALTERNATIVE = re.compile(r"\w还是\w")
# 几 counts only as "how many", not in 好几 / 这几 / 十几 ("several", "these").
_INTERROGATIVE = re.compile(
    r"((?<![好这那十没])几[号码件天点个斤岁寸米位种款]|多少|多大|多高|多重|多长|多久|什么|啥|哪|怎么|咋|谁"
    r"|为什么|为啥|如何|有吗|能吗|可以吗)"
)
_EXCLAMATIONS = re.compile(r"(没什么|不怎么样|怎么这么|怎么那么|什么都好|哪里哪里|多少有点|怎么\w*都|不不)")
_ENGLISH = re.compile(r"^(how|what|when|where|which|who|why|is|are|do|does|can|could|will)\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether a live-room comment (Chinese, or simple English) asks something."""
    t = to_simplified(text.strip())
    if not t:
        return False
    if _ENDS_QMARK.search(t):
        return True
    if _EXCLAMATIONS.search(t):
        return False
    if _A_NOT_A.search(t) or _ALTERNATIVE.search(t) or _INTERROGATIVE.search(t):
        return True
    if _FINAL_PARTICLE.search(t):
        return True
    return bool(_ENGLISH.match(t))
