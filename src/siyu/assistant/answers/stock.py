"""Stock and colour answers: which colour / size is in stock, sold out, or not made at all."""

from __future__ import annotations

from typing import Any

from siyu.assistant.answers.common import (
    Reply,
    color_word,
    colors_in,
    join,
    match_colors,
    one_size_range,
    resolve_size,
    size_label,
)
from siyu.assistant.answers.sizing import equivalent_sizes
from siyu.assistant.nlu import Parse
from siyu.catalog import LETTER_ORDER, ONE_SIZE, Catalog, Product, split_sku

__all__ = ["color", "stock"]


def stock(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    colors, unknown = colors_in(p, parse)
    size = resolve_size(p, parse)
    slots: dict[str, Any] = {}
    if colors:
        slots["color"] = "+".join(colors)
    elif unknown:
        slots["color"] = unknown[0]
    if size.asked:
        slots["size"] = size.asked
    if unknown and not colors:
        return Reply(
            f"亲，这款没有{color_word(unknown[0])}哦，只有{join(p.colors)}{len(p.colors)}个颜色～",
            slots=slots,
        )
    if size.state == "missing":
        assert size.asked is not None
        bound = _size_bound(p, size.asked)
        _, equivalent = equivalent_sizes(catalog, p, size.asked)
        if equivalent:  # M on waist-numbered jeans: the waist sizes it corresponds to
            equivalent = f"{equivalent}～"
        return Reply(
            f"亲，这款没有{size_label(size.asked)}哦，{equivalent}"
            f"尺码有{join([size_label(s) for s in p.sizes])}{bound}～",
            slots=slots,
        )
    prefix = ""
    if size.state == "one_size":
        prefix = f"这款是均码哦，{one_size_range(p)}～"
    elif size.state == "bigger":
        prefix = f"这款最大只到{size_label(p.sizes[-1])}哦～"
    count_wanted = "count" in parse.aspects
    extra = [x for x in parse.slots.sizes[1:] if x in p.sizes and x != size.size]
    if size.state == "ok" and size.size and extra:  # 黑色M和L还有吗
        slots["size"] = "+".join([size.size, *extra])
        sizes = [size.size, *extra]
        if colors:
            parts = [_sku_sentence(p, c, x, count_wanted) for c in colors for x in sizes]
        else:
            parts = [_size_sentence(p, x, count_wanted) for x in sizes]
        return Reply("".join(parts), slots=slots)
    if colors and size.size:
        parts = [_sku_sentence(p, c, size.size, count_wanted) for c in colors]
        return Reply(prefix + "".join(parts), slots=slots)
    if size.size and (size.state in ("ok", "bigger") or (size.state == "one_size" and not colors)):
        return Reply(prefix + _size_sentence(p, size.size, count_wanted), slots=slots)
    if colors:
        return Reply(prefix + "".join(_color_sentence(p, c, count_wanted) for c in colors), slots=slots)
    return Reply(prefix + _overview(p, "sizes" in parse.aspects), slots=slots)


def _size_bound(p: Product, asked: str) -> str:
    order = LETTER_ORDER
    sizes = list(p.sizes)
    if asked in order and all(s in order for s in sizes):
        if order.index(asked) > order.index(sizes[-1]):
            return f"，最大只到{size_label(sizes[-1])}"
        if order.index(asked) < order.index(sizes[0]):
            return f"，最小是{size_label(sizes[0])}"
    if asked.isdigit() and all(s.isdigit() for s in sizes):
        if int(asked) > int(sizes[-1]):
            return f"，最大只到{size_label(sizes[-1])}"
        if int(asked) < int(sizes[0]):
            return f"，最小是{size_label(sizes[0])}"
        return f"，没有做{size_label(asked)}"
    return ""


def _sku_sentence(p: Product, color: str, size: str, with_count: bool) -> str:
    count = p.count(color, size)
    label = size_label(size)
    if count > 0:
        tail = f"，还剩{count}件" if with_count or count <= 5 else ""
        return f"有的宝宝，{color}{label}还有货{tail}，可以直接拍哦～"
    others = [c for c in p.colors if c != color and p.count(c, size) > 0]
    sizes_left = [size_label(s) for s in p.sizes if s != size and p.count(color, s) > 0]
    text = f"亲，{color}{label}已经售罄啦😭"
    if others:
        text += f"{label}的{join(others)}还有货哦"
    if sizes_left:
        text += ("；" if others else "") + f"{color}可以看看{join(sizes_left)}"
    if not others and not sizes_left:
        text += "这个颜色已经全部卖完了"
    return text + "～"


def _size_sentence(p: Product, size: str, with_count: bool) -> str:
    label = size_label(size)
    have = [c for c in p.colors if p.count(c, size) > 0]
    gone = [c for c in p.colors if p.has_sku(c, size) and p.count(c, size) == 0]
    if not have:
        return f"亲，{label}所有颜色都已经售罄啦😭"
    if with_count:
        have_text = join([f"{c}{p.count(c, size)}件" for c in have])
    else:
        have_text = join(have)
    if not gone:
        return f"有的宝宝，{label}{have_text}都有货，可以直接拍哦～"
    return f"{label}的{have_text}有货哦，{join(gone)}的{label}已经售罄啦～"


def _color_sentence(p: Product, color: str, with_count: bool) -> str:
    have = [s for s in p.sizes if p.count(color, s) > 0]
    gone = [s for s in p.sizes if p.has_sku(color, s) and p.count(color, s) == 0]
    if p.one_size:
        if have:
            n = p.count(color, ONE_SIZE)
            tail = f"，还剩{n}件" if with_count or n <= 5 else ""
            return f"有的宝宝，{color}还有货{tail}，可以直接拍哦～"
        others = [c for c in p.colors if c != color and p.count(c, ONE_SIZE) > 0]
        alt = f"，{join(others)}还有货哦" if others else ""
        return f"亲，{color}已经售罄啦😭{alt}～"
    if not have:
        return f"亲，{color}所有尺码都已经售罄啦😭～"
    sizes = join([size_label(s) + (f"{p.count(color, s)}件" if with_count else "") for s in have])
    if not gone:
        return f"有的宝宝，{color}{sizes}都有货哦～"
    return f"{color}的{sizes}有货哦，{join([size_label(s) for s in gone])}已经售罄啦～"


def _overview(p: Product, sizes_asked: bool) -> str:
    gone = ["".join(split_sku(k)) for k, v in p.stock.items() if v == 0]
    sizes = join([size_label(s) for s in p.sizes])
    head = f"这款尺码有{sizes}，" if sizes_asked or not gone else ""
    if all(v == 0 for v in p.stock.values()):
        return "亲，这款已经全部售罄啦😭～"
    if not gone:
        return f"{head}所有颜色尺码都有货哦，可以直接拍～"
    return f"{head}目前售罄的是：{join(gone)}，其他颜色尺码都有货哦～"


def color(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    colors, unknown = colors_in(p, parse)
    all_colors = f"{join(p.colors)}{len(p.colors)}个颜色"
    if parse.slots.except_colors and not colors:  # 除了黑白还有什么颜色
        left_out = [c for phrase in parse.slots.except_colors for c in match_colors(p, phrase)]
        others = [c for c in p.colors if c not in left_out]
        said = join([color_word(c) for c in parse.slots.except_colors])
        if not others:
            return Reply(f"这款只有{all_colors}哦～", slots={"color": "except"})
        return Reply(f"除了{said}，这款还有{join(others)}哦，一共{all_colors}～", slots={"color": "except"})
    if unknown and not colors:
        return Reply(
            f"亲，这款没有{color_word(unknown[0])}哦，只有{all_colors}～", slots={"color": unknown[0]}
        )
    if colors:
        gone = [c for c in colors if all(p.count(c, s) == 0 for s in p.sizes)]
        tail = f"，不过{join(gone)}目前已经售罄啦" if gone else "，可以直接拍"
        return Reply(f"有的宝宝，这款有{join(colors)}哦{tail}～", slots={"color": "+".join(colors)})
    gone = [c for c in p.colors if all(p.count(c, s) == 0 for s in p.sizes)]
    tail = f"，其中{join(gone)}已经售罄啦" if gone else ""
    return Reply(f"这款有{all_colors}哦{tail}～")
