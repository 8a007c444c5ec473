"""Size advice: the size-chart row that fits a viewer's height and weight (README conventions)."""

from __future__ import annotations

from statistics import median
from typing import Any

from siyu.assistant.answers.common import Reply, join, one_size_range, size_label
from siyu.assistant.nlu import Parse
from siyu.catalog import Catalog, Product, SizeRow, money

__all__ = ["equivalent_sizes", "size_advice"]


def size_advice(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    h, w = parse.slots.height_cm, parse.slots.weight_jin
    slots: dict[str, Any] = {}
    if h is not None:
        slots["height_cm"] = h
    if w is not None:
        slots["weight_jin"] = w
    who = "、".join(x for x in (f"{h}cm" if h else "", f"{money(w)}斤" if w else "") if x)
    chart = list(p.size_chart)
    if not chart:
        return Reply(f"这款按平时尺码拍就可以哦，{p.fit}版型～", 0.6, slots)
    if p.one_size:
        row = chart[0]
        state = _position(row, h, w)
        rng = one_size_range(p)
        if h is None and w is None:
            return Reply(f"这款是均码哦，{rng}，宝宝可以对照一下～", slots=slots)
        if state == "fits":
            return Reply(f"这款是均码哦，{rng}，宝宝{who}可以穿的～", slots=slots)
        word = "偏小" if state == "above" else "偏大"
        return Reply(
            f"这款是均码哦，{rng}，宝宝{who}超出了建议范围，穿着可能会{word}，不太建议哦～", slots=slots
        )
    if h is None and w is None:
        return Reply(
            f"宝宝报一下身高体重，帮你推荐尺码哦～这款是{p.fit}版型，尺码"
            f"有{join([size_label(s) for s in p.sizes])}",
            0.7,
            slots,
        )
    both = [r for r in chart if (h is None or r.fits_height(h)) and (w is None or r.fits_weight(w))]
    if h is not None and w is not None and both:
        row = _most_central(both, w)
        slots["size"] = row.size
        return Reply(f"宝宝{who}，建议拍{size_label(row.size)}哦～", slots=slots)
    if h is None or w is None:
        if len(both) == 1:
            row = both[0]
            slots["size"] = row.size
            missing = "体重" if w is None else "身高"
            return Reply(
                f"按{who}建议拍{size_label(row.size)}哦，方便的话再说下{missing}帮你看得更准～",
                0.8,
                slots,
            )
        if not both:
            value_state = _outside(chart, h, w)
            row = chart[-1] if value_state == "above" else chart[0]
            slots["size"] = row.size
            word = "偏小" if value_state == "above" else "偏大"
            return Reply(
                f"宝宝{who}超出了这款尺码表的范围，{size_label(row.size)}可能也会{word}，不太建议哦～",
                0.8,
                slots,
            )
        what = "体重" if w is None else "身高"
        return Reply(f"这款主要看{what}选码哦，宝宝说下{what}帮你推荐～", 0.6, slots)
    # height and weight given, no row covers both
    w_state = "above" if w > chart[-1].weight_jin[1] else "below" if w < chart[0].weight_jin[0] else "in"
    h_state = "above" if h > chart[-1].height_cm[1] else "below" if h < chart[0].height_cm[0] else "in"
    if w_state != "in" or (h_state != "in" and not any(r.fits_weight(w) for r in chart)):
        state = w_state if w_state != "in" else h_state
        row = chart[-1] if state == "above" else chart[0]
        slots["size"] = row.size
        word = "偏小" if state == "above" else "偏大"
        limit = (
            f"（{size_label(row.size)}建议{money(row.height_cm[0])}-{money(row.height_cm[1])}cm、"
            f"{money(row.weight_jin[0])}-{money(row.weight_jin[1])}斤）"
        )
        return Reply(
            f"宝宝{who}超出了这款的尺码范围{limit}，{'最大' if state == 'above' else '最小'}的"
            f"{size_label(row.size)}穿着也可能{word}，不太建议哦～",
            slots=slots,
        )
    by_weight = [r for r in chart if r.fits_weight(w)]
    row = by_weight[0] if by_weight else chart[0]
    slots["size"] = row.size
    length = "裤长" if "裤" in p.category + p.name else "裙长" if "裙" in p.category + p.name else "衣长"
    taller = h > row.height_cm[1]
    note = f"宝宝个子{'高' if taller else '娇小'}，{length}可能会偏{'短' if taller else '长'}一点哦"
    return Reply(f"宝宝{who}，按体重建议拍{size_label(row.size)}，{note}～", 0.8, slots)


def _position(row: SizeRow, h: float | None, w: float | None) -> str:
    """fits / above / below for one chart row."""
    if w is not None and w > row.weight_jin[1]:
        return "above"
    if w is not None and w < row.weight_jin[0]:
        return "below"
    if h is not None and h > row.height_cm[1]:
        return "above"
    if h is not None and h < row.height_cm[0]:
        return "below"
    return "fits"


def _outside(chart: list[SizeRow], h: float | None, w: float | None) -> str:
    if w is not None:
        return "above" if w > chart[-1].weight_jin[1] else "below"
    assert h is not None
    return "above" if h > chart[-1].height_cm[1] else "below"


def _most_central(rows: list[SizeRow], w: float) -> SizeRow:
    def distance(r: SizeRow) -> float:
        mid = (r.weight_jin[0] + r.weight_jin[1]) / 2
        return abs(w - mid) / max(1.0, r.weight_jin[1] - r.weight_jin[0])

    return min(rows, key=distance)


def equivalent_sizes(catalog: Catalog, p: Product, asked: str) -> tuple[list[str], str]:
    """The sizes of `p` that match a size it is not sized in (a letter on waist-numbered jeans, a waist
    number on letter sizes), from the catalog's size charts: the waist of `asked` on the other products of
    the same gender sized that way, else their weight range. ([], "") when the catalog does not say."""
    if p.one_size or not p.size_chart or asked.isdigit() == all(s.isdigit() for s in p.sizes):
        return [], ""
    same = [q for q in catalog.products if q.id != p.id and q.gender == p.gender] or [
        q for q in catalog.products if q.id != p.id
    ]
    rows = [row for q in same if (row := q.chart_row(asked)) is not None]
    waists = [r.waist_cm for r in rows if r.waist_cm is not None]
    targets = [r for r in p.size_chart if r.waist_cm is not None]
    label = size_label(asked)
    if waists and targets:
        waist = median(waists)
        ranked = sorted(targets, key=lambda r: abs((r.waist_cm or 0) - waist))
        best = [r for r in ranked if abs((r.waist_cm or 0) - waist) <= 3][:2] or ranked[:1]
        best.sort(key=lambda r: p.sizes.index(r.size))
        options = "或".join(f"{size_label(r.size)}（腰围{money(r.waist_cm or 0)}cm）" for r in best)
        return [r.size for r in best], f"平时穿{label}（腰围约{money(waist)}cm）的宝宝可以看{options}"
    if rows:
        lo, hi = median(r.weight_jin[0] for r in rows), median(r.weight_jin[1] for r in rows)
        best = [r for r in p.size_chart if r.weight_jin[0] < hi and r.weight_jin[1] > lo][:2]
        if best:
            options = "或".join(size_label(r.size) for r in best)
            who = f"平时穿{label}（约{money(lo)}-{money(hi)}斤）的宝宝"
            return [r.size for r in best], f"{who}可以看{options}"
    return [], ""
