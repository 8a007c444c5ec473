"""The shop FAQ: which entry of ``shop.faq`` a comment is about, by keyword overlap.

Keywords are the jieba tokens of an entry's question (and, at half weight, of its answer) and their
2-character pieces; a viewer's word also counts as every word of its synonym group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from siyu.assistant.nlu.tokens import tokenize
from siyu.catalog import FaqEntry
from siyu.zh import normalize

__all__ = ["FaqIndex", "faq_keywords"]

_FAQ_STOP = frozenset(
    "衣服 东西 商品 宝贝 支持 直播间 发货 吗 呢 呀 啊 吧 么 嘛 的 了 是 有 可以 能 不 "
    "什么 啥 怎么 怎么样 多久 几 "
    "一下 请问 宝宝 姐妹 主播 亲 你们 我们 我 你 "
    "这个 那个 还 都 也 就 要 想 在 和 跟 与 或 吧 哦 哈 问 下 会 给 会不会 能不能 可不可以 有没有".split()
)
# Words that name a FAQ topic in another way; a viewer word counts as any word of its group.
_FAQ_SYNONYM_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split())
    for g in (
        "发票 开票 专票 普票 开发票",
        "粉丝团 灯牌 亲密度",
        "会员 vip 积分 金卡",
        "开播 直播 几点 播 下播",
        "货到付款 到付 货到",
        "色差 实物 图片 实拍",
        "实体店 线下 门店 店面 专柜",
        "合并 一起 合并发货 分开 分开拍 几单 多单 一起发",
        "福袋 抽奖 口令 中奖",
        "福利 好处 优惠",
        "什么 啥 意思 啥意思",
    )
)
_FAQ_SYNONYMS: dict[str, frozenset[str]] = {w: g for g in _FAQ_SYNONYM_GROUPS for w in g}


def faq_keywords(question: str) -> frozenset[str]:
    words = {t for t in tokenize(normalize(question).lower()) if t not in _FAQ_STOP and len(t) >= 2}
    # also the 2-character pieces of longer words (开发票 -> 发票)
    for w in list(words):
        if len(w) > 2:
            words |= {w[i : i + 2] for i in range(len(w) - 1)}
    return frozenset(words)


class FaqIndex:
    """The keywords of each FAQ entry, and the best entry for a comment's tokens."""

    def __init__(self, faq: Sequence[FaqEntry]) -> None:
        self._keys = [(faq_keywords(e.q), faq_keywords(e.a) - faq_keywords(e.q)) for e in faq]

    def match(self, tokens: Iterable[str]) -> tuple[int | None, float]:
        """(index of the best entry, its score); (None, 0.0) when no entry shares a keyword."""
        if not self._keys:
            return None, 0.0
        words: set[str] = set()
        for t in tokens:
            t = t.lower()
            if t in _FAQ_STOP:
                continue
            words.add(t)
            words.update(_FAQ_SYNONYMS.get(t, ()))
            if len(t) > 2:
                words |= {t[i : i + 2] for i in range(len(t) - 1)}
        best, best_score = None, 0.0
        for i, (keys, answer_keys) in enumerate(self._keys):
            score = float(sum(min(len(w), 3) for w in words & keys if len(w) >= 2))
            score += 0.5 * sum(min(len(w), 3) for w in words & answer_keys if len(w) >= 2)
            if score > best_score:
                best, best_score = i, score
        return best, best_score
