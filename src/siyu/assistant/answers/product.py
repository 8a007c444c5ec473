"""Product answers: price, material and fabric, measurements, care, fit, season, features."""

from __future__ import annotations

import re
from typing import Any

from siyu.assistant.answers.common import Reply, join, resolve_size, size_label
from siyu.assistant.nlu import Parse
from siyu.catalog import Catalog, Product, SizeRow, money

__all__ = ["material", "price", "product_info"]


def price(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    others = [
        q for n in parse.slots.link_nos[1:] if (q := catalog.by_link_no(n)) is not None and q.id != p.id
    ]
    if others:
        items = [p, *others]
        total = catalog.basket_total([(q.id, 1) for q in items])
        each = "，".join(f"{q.link_no}号{q.short_name}直播间价{money(q.live_price)}元" for q in items)
        return Reply(f"{each}，一起买一共{money(total)}元哦～")
    live, original = money(p.live_price), money(p.price)
    if "diff" in parse.aspects:
        diff = money(p.price - p.live_price)
        return Reply(f"这款原价{original}元，直播间价{live}元，比原价便宜了{diff}元哦～")
    if "rate" in parse.aspects:
        rate = round(p.live_price / p.price * 10, 1) if p.price else 10
        return Reply(f"这款原价{original}元，直播间价{live}元，相当于{money(rate)}折哦～")
    if "original" in parse.aspects:
        return Reply(f"这款原价（吊牌价）{original}元，直播间价只要{live}元哦～")
    return Reply(f"{p.short_name}直播间价{live}元哦，喜欢的宝宝直接拍～")


def material(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    aspects = list(parse.aspects) or ["composition"]
    parts: list[str] = []
    if "fibre" in aspects:
        parts.append(_fibres(p, parse.norm))
    if "wash_effect" in aspects:
        parts.append(_wash_effect(p, parse.norm))
    for aspect in aspects:
        sentence = _material_sentence(p, aspect)
        if sentence and sentence not in parts:
            parts.append(sentence)
    return Reply("".join(parts), slots={"aspect": "+".join(aspects)})


def _composition(p: Product) -> str:
    if p.filling:
        fill = f"，充绒量{money(p.fill_weight_g)}g" if p.fill_weight_g else ""
        return f"面料是{p.material}，填充{p.filling}{fill}～"
    return f"面料是{p.material}哦～"


def _fibres(p: Product, text: str) -> str:
    """Does the fabric contain the fibre the viewer named (含羊毛吗)?"""
    synonyms = {"涤纶": "聚酯纤维", "聚酯": "聚酯纤维"}
    parts = []
    for word in (
        "羊毛",
        "羊绒",
        "聚酯",
        "涤纶",
        "氨纶",
        "锦纶",
        "粘纤",
        "腈纶",
        "亚麻",
        "冰丝",
        "真丝",
        "莫代尔",
    ):
        if word not in text:
            continue
        fibre = synonyms.get(word, word)
        m = re.search(rf"(\d+%)\s*{fibre}", p.material)
        if m:
            parts.append(f"含{m.group(1)}{fibre}哦，面料是{p.material}～")
        elif fibre in p.material or any(fibre in s for s in p.selling_points):
            parts.append(f"有{fibre}哦，面料是{p.material}～")
        else:
            parts.append(f"这款不含{word}哦，面料是{p.material}～")
    return parts[0] if parts else ""


def _material_sentence(p: Product, aspect: str) -> str:
    if aspect == "pilling":
        if p.pilling == "不起球":
            return "这款面料不起球哦，放心穿～"
        if p.pilling:
            return f"这款会有{p.pilling}起球哦，属于正常现象，反面洗涤、用洗衣袋可以减少～"
        return f"这款是{p.material}，不涉及起球的问题哦～"
    if aspect == "cotton":
        if re.search(r"100%\s*棉", p.material):
            return f"是纯棉的哦，面料{p.material}～"
        if "棉" in p.material:
            return f"不是纯棉哦，面料是{p.material}～"
        return f"不是棉的哦，{_composition(p)}"
    if aspect == "fill":
        if p.filling:
            weight = f"充绒量{money(p.fill_weight_g)}g，" if p.fill_weight_g else ""
            note = f"（{p.fill_note}）" if p.fill_note else ""
            return f"这款填充的是{p.filling}，{weight.rstrip('，')}{note}～"
        return f"这款不是羽绒款，没有填充哦，{_composition(p)}"
    if aspect == "elastic":
        m = re.search(r"(\d+%)\s*氨纶", p.material)
        elastic = [s for s in p.selling_points if "弹" in s]
        if m:
            extra = f"，{join(elastic)}" if elastic else ""
            return f"有弹力的哦，面料含{m.group(1)}氨纶{extra}～"
        if elastic:
            return f"{join(elastic)}哦，面料是{p.material}～"
        return f"面料是{p.material}，不含氨纶，弹力一般哦～"
    if aspect == "sheer":
        sheer = [s for s in p.selling_points if "透" in s and "透气" not in s]
        if sheer:
            return f"{join(sheer)}哦，放心穿～"
        return f"这款厚度{p.thickness}，面料是{p.material}～"
    if aspect == "breath":
        airy = [s for s in p.selling_points if re.search("透气|吸汗|凉", s)]
        lead = f"{join(airy)}，" if airy else ""
        return f"{lead}这款是{p.thickness}款，面料{p.material}，适合{p.season}穿哦～"
    if aspect == "warmth":
        warm = [s for s in p.selling_points if re.search("保暖|加绒|充绒|羊毛", s)]
        lead = f"{join(warm)}，" if warm else ""
        fill = f"填充{p.filling}，" if p.filling else ""
        thickness = {"薄": "轻薄款", "厚": "厚实款", "适中": "厚度适中的款"}.get(p.thickness, p.thickness)
        return f"{lead}{fill}这款是{thickness}，适合{p.season}穿哦～"
    if aspect in ("fibre", "wash_effect"):
        return ""
    if aspect == "thickness":
        if p.thickness == "薄":
            return f"这款是薄款哦，适合{p.season}穿～"
        if p.thickness == "厚":
            return f"这款比较厚实哦，{p.season}穿很保暖～"
        return f"这款厚度适中，不厚不薄，{p.season}穿刚好～"
    if aspect == "feel":
        feel = [s for s in p.selling_points if re.search("软|亲肤|扎|舒适|舒服", s)]
        lead = f"{join(feel)}，" if feel else ""
        return f"{lead}{_composition(p)}"
    if aspect == "leak":
        leak = [s for s in p.selling_points if "绒" in s and re.search("防|不", s)]
        if not p.filling:
            return f"这款不是羽绒款，没有填充哦，{_composition(p)}"
        lead = f"{join(leak)}，" if leak else ""
        return f"{lead}填充{p.filling}哦～"
    if aspect == "composition":
        return f"这款{_composition(p)}"
    return ""


def _wash_effect(p: Product, text: str) -> str:
    """会缩水/掉色/变形/皱吗: the selling points and care notes about it, else the care instructions."""
    topics = {
        "皱": "皱|免烫",
        "变形": "变形",
        "掉色": "掉色|褪色|浮色",
        "褪色": "掉色|褪色|浮色",
        "浮色": "掉色|褪色|浮色",
        "缩水": "缩水",
    }
    pattern = "|".join(v for k, v in topics.items() if k in text) or "皱|变形|缩水|浮色"
    facts = [s for s in p.selling_points if re.search(pattern, s)]
    facts += [c for c in re.split("[，,；;。]", p.care) if c and re.search(pattern, c)]
    if facts:
        return f"{join(facts)}哦～面料是{p.material}，洗护：{p.care}。"
    return f"面料是{p.material}，按洗护说明洗就可以哦～洗护：{p.care}。"


def product_info(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    assert p is not None
    aspects = list(parse.aspects)
    if not aspects:
        sp = join(p.selling_points)
        return Reply(
            f"{p.link_no}号链接{p.name}，{p.fit}版型，适合{p.season}穿，亮点是{sp}哦～",
            slots={"aspect": "intro"},
        )
    parts = []
    for aspect in aspects:
        sentence = _info_sentence(p, aspect, parse)
        if sentence and sentence not in parts:
            parts.append(sentence)
    slots: dict[str, Any] = {"aspect": "+".join(aspects)}
    if parse.slots.size:
        slots["size"] = parse.slots.size
    return Reply("".join(parts), slots=slots)


def _info_sentence(p: Product, aspect: str, parse: Parse) -> str:
    text = parse.norm
    if aspect == "measure":
        return _measure(p, parse)
    if aspect == "care":
        care = p.care
        if re.search("烘干", text):
            verdict = "这款不能烘干哦" if "不可烘干" in care else "烘干的话建议低温哦"
        elif re.search("熨", text):
            verdict = "这款不能熨烫哦" if "不可熨烫" in care else "可以熨烫哦"
        elif re.search("干洗", text) and not re.search("机洗|洗衣机", text):
            verdict = "这款不能干洗哦" if "不可干洗" in care else "可以干洗哦"
        elif "不可机洗" in care:
            verdict = "这款不建议机洗哦"
        elif "可机洗" in care:
            verdict = "可以机洗哦"
        else:
            verdict = "洗护方式"
        return f"{verdict}～洗护：{care}。"
    if aspect == "look":
        return _look(p, parse)
    if aspect == "fit":
        advice = {
            "修身": "修身版型，介意紧身的宝宝可以拍大一码",
            "宽松": "宽松版型，按平时尺码拍就可以",
            "正常": "正常版型，按平时尺码拍就可以",
        }.get(p.fit, f"{p.fit}版型")
        return f"这款是{advice}哦～"
    if aspect == "gender":
        if p.gender == "中性":
            kind = "情侣款" if any("情侣" in t for t in p.tags) else "中性款"
            return f"这款是{kind}，男女都能穿哦～"
        if p.gender == "女":
            return "这款是女款哦，按女装尺码做的～"
        return "这款是男款哦，按男装尺码做的～"
    if aspect == "season":
        season = p.season
        if season == "四季":
            return "这款一年四季都能穿哦～"
        asked = [s for s in "春夏秋冬" if s in text and s not in season]
        if asked:
            return f"这款是{season}款哦，更适合{season}穿，{asked[0]}天穿可能不太合适～"
        return f"这款是{season}款，{season}穿刚好哦～"
    if aspect == "features":
        words = [w for w in ("口袋", "帽", "内衬", "拉链", "扣", "领", "袖", "通勤", "约会") if w in text]
        hits = [s for s in p.selling_points if any(w in s for w in words)]
        if words and hits:
            return f"有的哦，{join(hits)}～"
        return f"这款的亮点：{join(p.selling_points)}～"
    return ""


def _look(p: Product, parse: Parse) -> str:
    """显白/显瘦/百搭: the catalog's own words about the look, else a neutral line; never a colour claim
    (显白 asks how a colour looks, not whether the product comes in 白)."""
    text = parse.norm
    notes = [*p.selling_points, *(t for t in p.tags if t not in p.selling_points)]
    parts = []
    if re.search("百搭|好搭|怎么搭|搭配", text):
        hits = [s for s in notes if "搭" in s]
        parts.append(f"这款{join(hits)}哦" if hits else f"这款是{p.fit}版型的{p.category}，日常好搭配哦")
    if re.search("显(瘦|胖|高|矮|腿|壮|宽)", text):
        hits = [s for s in notes if re.search("显(?!白|黑|脖)|遮|修饰(?!脸)|收腰|A字|不挑", s)]
        lead = f"{join(hits)}，" if hits else ""
        parts.append(f"这款{lead}是{p.fit}版型哦")
    if re.search("显(白|黑|气色|脸|年轻|老|嫩|肤色)|肤色|黄皮|黑皮", text):
        named = [c for c in p.colors if any(match in c for match in _colour_words(parse))]
        which = join(named) if named else "每个颜色"
        parts.append(
            f"{which}上身显不显白和肤色、光线都有关系哦，这款有{join(p.colors)}，宝宝可以看看主播上身的效果再挑"
        )
    return "，".join(parts or [f"这款是{p.fit}版型，亮点是{join(p.selling_points)}哦"]) + "～"


def _colour_words(parse: Parse) -> list[str]:
    return [c.removesuffix("色") for c in parse.slots.colors if c.removesuffix("色")]


def _measure(p: Product, parse: Parse) -> str:
    text = parse.norm
    fields_: list[tuple[str, str]] = []
    if "胸围" in text:
        fields_.append(("bust_cm", "胸围"))
    if "腰围" in text:
        fields_.append(("waist_cm", "腰围"))
    if "臀围" in text:
        fields_.append(("hip_cm", "臀围"))
    if not fields_ or re.search("长", text):
        label = "裤长" if "裤" in p.category + p.name else "裙长" if "裙" in p.category + p.name else "衣长"
        fields_.append(("length_cm", label))
    size = resolve_size(p, parse)
    rows: list[SizeRow]
    if size.state == "missing":
        return f"这款没有{size_label(size.asked or '')}哦，尺码有{join([size_label(s) for s in p.sizes])}～"
    if size.size:
        row = p.chart_row(size.size)
        rows = [row] if row is not None else []
    else:
        rows = list(p.size_chart)
    parts = []
    for attr, label in fields_:
        values = [(r.size, getattr(r, attr)) for r in rows if getattr(r, attr) is not None]
        if not values:
            parts.append(f"尺码表没有标{label}哦")
            continue
        listed = join([f"{size_label(s)}{money(v)}cm" for s, v in values])
        parts.append(f"{label}：{listed}")
        if attr == "waist_cm":
            notes = {r.waist_note for r in rows if r.waist_note}
            parts += sorted(notes)
    return "，".join(parts) + "～"
