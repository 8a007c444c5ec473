"""The cost of one topic summary on `topics.KEEP` (2,000) comments: `python -m siyu.bench.topic_summary`.

Two synthetic corpora (seeded): "realistic" (live comments repeat a few subjects in a few frames, with
filler and noise) and "near-unique" (every comment differs: the clustering's worst case, bounded by
`MAX_COMPARISONS`). For each, the median of 5 runs of the first summary (every comment cut by jieba) and
of a summary whose comments were cut by the previous one (the steady state: a summary cuts only what is
new). docs/architecture.md ("Topics") quotes what it printed.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from siyu.interactions.topic_summary import Said, Words, cut, keywords, opinions
from siyu.interactions.topics import KEEP

SUBJECTS = (
    "羽绒服", "福袋", "抽奖", "大码", "男装", "连衣裙", "毛衣", "穿搭", "情侣款", "牛仔裤", "卫衣", "风衣",
    "羊绒大衣", "童装", "高腰牛仔裤", "碎花连衣裙",
)  # fmt: skip
FRAMES = (
    "希望多讲讲{}", "想看{}", "{}能不能便宜点", "多来点{}", "{}！", "{}{}", "下次讲{}吧", "求{}返场",
    "{}什么时候上新", "想要{}", "{}有没有优惠", "主播试穿一下{}", "{}显瘦吗", "{}的搭配教程",
)  # fmt: skip
FILLERS = ("", "", "～", "!!", "呀", "啊啊", "😊", "求求了", "宝宝们", "姐妹们冲")
NOISE = ("666", "哈哈哈哈", "来了来了", "主播好美", "好看", "支持支持", "晚上好")
CHARS = "衣服裤子颜色尺码面料价格发货质量款式好看腰身长短厚薄软硬"


def realistic(rng: random.Random, n: int) -> list[Said]:
    out = []
    for i in range(n):
        if rng.random() < 0.15:
            text = rng.choice(NOISE)
        else:
            s = rng.choice(SUBJECTS)
            text = rng.choice(FRAMES).format(s, s) + rng.choice(FILLERS)
        out.append(Said(i, f"u{rng.randrange(900)}", text))
    return out


def near_unique(rng: random.Random, n: int) -> list[Said]:
    def text() -> str:
        head = rng.choice(FRAMES).format(rng.choice(SUBJECTS), rng.choice(SUBJECTS))
        return head + "".join(rng.choice(CHARS) for _ in range(rng.randrange(3, 12)))

    return [Said(i, f"u{i}", text()) for i in range(n)]


def measure(
    make: Callable[[random.Random, int], list[Said]], words: Words, runs: int = 5
) -> tuple[float, float]:
    """(first, steady) medians in ms."""
    rng = random.Random(12)
    first, steady = [], []
    for _ in range(runs):
        said = make(rng, KEEP)
        t0 = time.perf_counter()
        cut(said, words)
        keywords(said)
        opinions(said)
        t1 = time.perf_counter()
        cut(said, words)
        keywords(said)
        opinions(said)
        t2 = time.perf_counter()
        first.append(t1 - t0)
        steady.append(t2 - t1)
    return 1000 * statistics.median(first), 1000 * statistics.median(steady)


def main() -> None:
    words = Words(["高腰牛仔裤", "碎花连衣裙", "羊绒大衣"], "你们希望下次直播有什么内容？")
    words.of("预热")  # jieba's dictionary loads once per process, not per summary
    for name, make in (("realistic", realistic), ("near-unique", near_unique)):
        first, steady = measure(make, words)
        print(  # noqa: T201 - a command-line report
            f"{name}: one summary of {KEEP:,} comments: first (all cut) {first:.0f} ms, "
            f"steady (cut before) {steady:.0f} ms (median of 5)"
        )


if __name__ == "__main__":
    main()
