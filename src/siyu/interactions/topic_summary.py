"""What the comments on a pinned topic say: top keywords and opinions grouped by similarity.

Pure and bounded, so the topics feature can run it in a worker thread on a snapshot of at most
`topics.KEEP` comments:

- **Words.** jieba (the process-wide dictionary, read only) cuts each comment once; live-commerce words
  jieba's dictionary lacks (福袋, 穿搭, 大码 …) and the room's product short names are cut out first, so they
  stay whole. Stop words, punctuation, numbers, single characters and the words of the topic itself (a
  viewer answering "你们希望下次直播有什么内容？" repeats 直播, 内容) are dropped: what remains are the
  comment's content words.
- **Keywords: counting, not TF-IDF.** A word scores the number of distinct commenters who used it (ties:
  how many comments, then the word). Counting people, not occurrences, keeps one viewer repeating a word
  from owning the list; jieba.analyse's TF-IDF would re-cut the whole corpus on every summary and weighs
  words by a news-corpus IDF that knows nothing of a live room.
- **Opinions: greedy clustering.** Comments with the same set of content words are one item ("想看羽绒服",
  "羽绒服！", "多讲讲羽绒服吧" are all {羽绒服}); items go largest first (then fewest words: the common
  subjects become the seeds), each joining the first group whose seed's words match it with rapidfuzz's
  `token_set_ratio` >= `SIMILAR` (so {羽绒服, 便宜} joins {羽绒服}), else starting a group (up to
  `MAX_GROUPS` seeds: an item like no seed past that is left out). An item is compared only with the seeds
  that share a pair of adjacent characters with it (an index), not with every seed, and a summary makes at
  most `MAX_COMPARISONS` comparisons (the items said least are left out past that). A group's
  representative is the most repeated text of its largest item; its examples are the other items' texts.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import jieba
from rapidfuzz import fuzz, process

SIMILAR = 70  # token_set_ratio (0..100) for two comments to voice the same opinion
MAX_GROUPS = 200  # seeds (groups) a summary starts at most
MAX_COMPARISONS = 50_000  # seed comparisons a summary makes at most (the least said items past it: left out)
KEYWORDS = 8
OPINIONS = 5
EXAMPLES = 3

DOMAIN_WORDS = (
    "福袋", "抽奖", "秒杀", "上新", "返场", "穿搭", "搭配", "大码", "小码", "尺码", "面料", "主播",
    "直播间", "连麦", "粉丝团", "优惠券", "红包", "包邮", "运费险", "小黄车", "链接", "试穿", "显瘦",
    "显高", "情侣款", "亲子装", "男装", "女装", "童装", "羽绒服", "连衣裙", "半身裙", "牛仔裤", "卫衣",
    "毛衣", "风衣", "外套", "羊绒", "真丝", "福利",
)  # fmt: skip

STOP_WORDS = frozenset(
    """
    的 了 是 我 你 他 她 它 我们 你们 他们 她们 咱们 大家 这 那 这个 那个 这些 那些 这样 那样 这么 那么
    就 都 也 还 又 和 与 及 跟 或 或者 在 有 没有 没 不 不是 吗 呢 吧 啊 呀 哦 噢 嗯 哈 哈哈 哈哈哈
    哈哈哈哈 嘿嘿 嘻嘻 么 嘛 呗 啦 哇 喔 什么 怎么 怎样 为什么 一下 一个 一些 一点 一点点 有点 点 些 个
    可以 可不可以 能 能不能 不能 会 要 想 想要 想看 看 看看 希望 觉得 感觉 认为 真的 非常 特别 很 太 超
    好 好的 好啊 多 多点 多一些 少 更 最 再 下次 以后 今天 明天 现在 时候 主播 宝宝 宝宝们 姐姐 姐妹
    姐妹们 家人 家人们 老师 亲 亲们 谢谢 喜欢 支持 加油 来 去 上 下 给 让 把 被 对 讲 讲讲 说 说说 搞 弄
    做 求 求求 求求了 多来 来点 几款 一款 就是 还是 但是 可是 所以 因为 如果 然后 而且 其实 应该 可能
    已经 一直 一起 比较 还有 没什么 直播 内容 东西 这种 哪个 哪些 啥 多少 几 怎么样 那种 一次 每次 一样
    其他 别的 自己 多发 多上 多讲 多来点 再讲 来个 安排 这里 那里
    """.split()
)

_PUNCT_OR_DIGITS = re.compile(r"^[\W\d_]+$")
_NORMAL = re.compile(r"[\W_]+")

_jieba_ready = False


def _ensure_jieba() -> None:
    global _jieba_ready
    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True


def normal(text: str) -> str:
    """The comparison form of a comment: NFKC, lower case, without punctuation or spaces."""
    return _NORMAL.sub("", unicodedata.normalize("NFKC", text).lower())


class Words:
    """Content words of comments: jieba with a room's own words kept whole, stop words dropped."""

    def __init__(self, room_words: Iterable[str] = (), topic: str = "") -> None:
        words = {w for w in (*DOMAIN_WORDS, *room_words) if len(w) >= 2}
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._keep = re.compile(f"({alternation})") if alternation else None
        self._kept = words
        self.ignore: frozenset[str] = frozenset()
        self.ignore = frozenset(self.of(topic)) - words  # the topic's own words (a product name still counts)

    def of(self, text: str) -> tuple[str, ...]:
        """The content words of one comment, in order, each once."""
        _ensure_jieba()
        text = unicodedata.normalize("NFKC", text).lower()
        parts = self._keep.split(text) if self._keep is not None else [text]
        out: dict[str, None] = {}
        for i, part in enumerate(parts):
            tokens = [part] if i % 2 == 1 else jieba.lcut(part)  # odd parts are the words kept whole
            for t in tokens:
                t = t.strip()
                if len(t) < 2 or t in STOP_WORDS or t in self.ignore or _PUNCT_OR_DIGITS.match(t):
                    continue
                out[t] = None
        return tuple(out)


@dataclass(slots=True)
class Said:
    """One comment linked to a topic; `words` are cut once (in the summary's worker thread)."""

    seq: int
    user_id: str
    text: str
    words: tuple[str, ...] | None = None


@dataclass(slots=True, frozen=True)
class Keyword:
    word: str
    count: int  # distinct commenters who used it


@dataclass(slots=True, frozen=True)
class Opinion:
    text: str  # the representative: the group's most repeated comment
    size: int  # comments in the group
    users: int  # distinct commenters in the group
    examples: list[str]  # a few other texts of the group


@dataclass(slots=True)
class _Item:
    """The comments that say the same content words (in any order, with any filler) as one item."""

    words: tuple[str, ...]
    count: int = 0
    users: set[str] = field(default_factory=set)
    texts: Counter[str] = field(default_factory=Counter)  # comparison form -> comments
    shown: dict[str, str] = field(default_factory=dict)  # comparison form -> its first text as written

    def top_texts(self) -> list[str]:
        return [self.shown[k] for k, _n in self.texts.most_common()]


def cut(comments: Sequence[Said], words: Words) -> None:
    """Cut the comments not cut yet (a comment is cut once, whatever the number of summaries)."""
    for c in comments:
        if c.words is None:
            c.words = words.of(c.text)


def keywords(comments: Sequence[Said], n: int = KEYWORDS) -> list[Keyword]:
    """The words most commenters used (ties: most comments, then the word)."""
    people: dict[str, set[str]] = {}
    mentions: Counter[str] = Counter()
    for c in comments:
        for w in c.words or ():
            people.setdefault(w, set()).add(c.user_id)
            mentions[w] += 1
    ranked = sorted(people, key=lambda w: (-len(people[w]), -mentions[w], w))
    return [Keyword(w, len(people[w])) for w in ranked[:n]]


def opinions(comments: Sequence[Said], n: int = OPINIONS, similar: int = SIMILAR) -> list[Opinion]:
    """Up to `n` opinions: groups of similar comments, largest first."""
    items: dict[frozenset[str], _Item] = {}
    for c in comments:
        if not c.words:
            continue  # nothing but stop words, emoji or 666: no opinion
        key = frozenset(c.words)
        item = items.get(key)
        if item is None:
            item = items[key] = _Item(tuple(sorted(key)))
        item.count += 1
        item.users.add(c.user_id)
        form = normal(c.text)
        item.texts[form] += 1
        item.shown.setdefault(form, c.text)
    groups: list[list[_Item]] = []
    seeds: list[str] = []
    by_gram: dict[str, list[int]] = {}  # a character pair of a seed's words -> the seeds that have it
    budget = MAX_COMPARISONS
    # the most said first, and of equally said the most general (fewer words): the seeds are the subjects
    for item in sorted(items.values(), key=lambda i: (-i.count, len(i.words))):
        probe = " ".join(item.words)
        grams = {w[k : k + 2] for w in item.words for k in range(len(w) - 1)}
        near = sorted({s for gram in grams for s in by_gram.get(gram, ())})  # seeds sharing a character pair
        budget -= len(near)
        if budget < 0:
            break  # the rest are said least: bounded work
        hit = process.extractOne(
            probe, [seeds[s] for s in near], scorer=fuzz.token_set_ratio, score_cutoff=similar
        )
        if hit is not None:
            groups[near[hit[2]]].append(item)
        elif len(seeds) < MAX_GROUPS:
            for gram in grams:
                by_gram.setdefault(gram, []).append(len(seeds))
            seeds.append(probe)
            groups.append([item])
    groups.sort(key=lambda group: -sum(i.count for i in group))
    out = []
    for group in groups[:n]:
        users: set[str] = set()
        for i in group:
            users |= i.users
        first, *rest = group[0].top_texts()
        others = [i.top_texts()[0] for i in group[1:]] + rest
        out.append(Opinion(first, sum(i.count for i in group), len(users), others[:EXAMPLES]))
    return out
