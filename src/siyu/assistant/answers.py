"""Answer templates: one function per intent, filled only from catalog facts.

Every number, colour, size and policy sentence in an answer is read from the catalog; the templates only
add the warm live-room wording (宝宝/亲). Sizes are written as the catalog writes them (``XL``, ``28码``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from siyu.assistant.catalog import ONE_SIZE, Catalog, CouponQuote, Product, SizeRow, money
from siyu.assistant.nlu import Parse, Understander
from siyu.assistant.slots import BIGGEST, region_in, region_zone

HANDOFF_WORDS = ("客服", "人工", "售后", "小助理", "私信")


@dataclass(slots=True)
class Reply:
    text: str
    confidence: float = 1.0  # multiplied into the parse confidence
    slots: dict[str, Any] = field(default_factory=dict)  # resolved slots (catalog spellings)


def size_label(size: str) -> str:
    """``28`` -> ``28码``, ``XL`` -> ``XL码``, ``均码`` -> ``均码``."""
    return size if size == ONE_SIZE or size.endswith("码") else f"{size}码"


def _join(items: Sequence[str]) -> str:
    return "、".join(items)


def _color_word(phrase: str) -> str:
    return phrase + "色" if len(phrase) == 1 else phrase


def match_colors(product: Product, phrase: str) -> list[str]:
    """The product colours a colour phrase means: 黑 -> 黑色, 蓝 -> 浅蓝色+深蓝色, 雾蓝 -> 雾蓝色."""
    if phrase in product.colors:
        return [phrase]
    base = phrase.removesuffix("色")
    same = [c for c in product.colors if c.removesuffix("色") == base]
    if same:
        return same
    if base:
        inside = [c for c in product.colors if base in c]
        if inside:
            return inside
        contained = [c for c in product.colors if c.removesuffix("色") and c.removesuffix("色") in base]
        if contained:
            return contained
    hit = process.extractOne(phrase, product.colors, scorer=fuzz.ratio, score_cutoff=75)
    return [str(hit[0])] if hit is not None else []


@dataclass(slots=True)
class SizeAsk:
    size: str | None  # the catalog size meant, if the product makes it
    asked: str | None  # what the viewer asked for (canonical)
    state: str  # none / ok / missing / one_size / bigger


def resolve_size(product: Product, parse: Parse) -> SizeAsk:
    slots = parse.slots
    asked = slots.size
    if asked is None:
        numeric = [s for s in product.sizes if s.isdigit()]
        for n in slots.numbers:
            if str(n) in numeric:
                return SizeAsk(str(n), str(n), "ok")
        return SizeAsk(None, None, "none")
    if asked == BIGGEST:
        return SizeAsk(product.sizes[-1], asked, "bigger")
    if asked in product.sizes:
        return SizeAsk(asked, asked, "ok")
    if product.one_size:
        return SizeAsk(ONE_SIZE, asked, "one_size")
    if asked == ONE_SIZE:
        return SizeAsk(None, asked, "missing")
    return SizeAsk(None, asked, "missing")


class Composer:
    """Builds the reply for a parsed question."""

    def __init__(self, catalog: Catalog, nlu: Understander) -> None:
        self.catalog = catalog
        self.nlu = nlu
        self._handlers: dict[str, Callable[[Parse, Product | None], Reply]] = {
            "stock": self.stock,
            "size_advice": self.size_advice,
            "price": self.price,
            "material": self.material,
            "shipping": self.shipping,
            "returns": self.returns,
            "color": self.color,
            "coupon": self.coupon,
            "product_info": self.product_info,
            "shop_faq": self.shop_faq,
            "chitchat": self.chitchat,
            "handoff": self.handoff,
        }

    def compose(self, parse: Parse) -> Reply:
        product = self.catalog.get(parse.product_id)
        if (
            parse.intent in ("stock", "size_advice", "price", "material", "color", "product_info")
            and product is None
        ):
            return self._which_product(parse)
        reply = self._handlers[parse.intent](parse, product)
        if (
            parse.product_source in ("category", "noun", "piece")
            and len(parse.candidates) > 1
            and product is not None
            and product.id != parse.current_product
        ):
            others = [p for pid in parse.candidates if (p := self.catalog.get(pid)) and p.id != product.id]
            if others:
                reply.text += (
                    f"（说的是{product.link_no}号链接{product.short_name}哦，"
                    + _join([f"{p.link_no}号{p.short_name}" for p in others])
                    + "也可以问我）"
                )
        return reply

    # -- helpers -----------------------------------------------------------------------------------

    def _which_product(self, parse: Parse) -> Reply:
        if parse.slots.link_nos:
            n = parse.slots.link_nos[0]
            links = sorted(self.catalog.link_numbers)
            return Reply(
                f"宝宝，小黄车里没有{n}号链接哦，现在是{links[0]}-{links[-1]}号，告诉我链接号帮你查～",
                0.5,
            )
        if parse.candidates:
            products = [p for pid in parse.candidates if (p := self.catalog.get(pid)) is not None]
            names = _join([f"{p.link_no}号{p.short_name}" for p in products])
            return Reply(f"宝宝问的是哪一款呀？{names}，告诉我链接号帮你查哦～", 0.5)
        return Reply("宝宝问的是哪个链接呀？告诉我链接号（比如3号链接），马上帮你查哦～", 0.5)

    @staticmethod
    def _colors(product: Product, parse: Parse) -> tuple[list[str], list[str]]:
        matched: list[str] = []
        unknown: list[str] = []
        for phrase in parse.slots.colors:
            hits = match_colors(product, phrase)
            if hits:
                matched += [c for c in hits if c not in matched]
            else:
                unknown.append(phrase)
        return matched, unknown

    @staticmethod
    def _one_size_range(product: Product) -> str:
        if not product.size_chart:
            return ""
        row = product.size_chart[0]
        return (
            f"身高{money(row.height_cm[0])}-{money(row.height_cm[1])}cm、"
            f"体重{money(row.weight_jin[0])}-{money(row.weight_jin[1])}斤都能穿"
        )

    # -- stock -------------------------------------------------------------------------------------

    def stock(self, parse: Parse, p: Product | None) -> Reply:
        assert p is not None
        colors, unknown = self._colors(p, parse)
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
                f"亲，这款没有{_color_word(unknown[0])}哦，只有{_join(p.colors)}{len(p.colors)}个颜色～",
                slots=slots,
            )
        if size.state == "missing":
            assert size.asked is not None
            bound = self._size_bound(p, size.asked)
            return Reply(
                f"亲，这款没有{size_label(size.asked)}哦，"
                f"尺码只有{_join([size_label(s) for s in p.sizes])}{bound}～",
                slots=slots,
            )
        prefix = ""
        if size.state == "one_size":
            prefix = f"这款是均码哦，{self._one_size_range(p)}～"
        elif size.state == "bigger":
            prefix = f"这款最大只到{size_label(p.sizes[-1])}哦～"
        count_wanted = "count" in parse.aspects
        extra = [x for x in parse.slots.sizes[1:] if x in p.sizes and x != size.size]
        if size.state == "ok" and size.size and extra:  # 黑色M和L还有吗
            slots["size"] = "+".join([size.size, *extra])
            sizes = [size.size, *extra]
            if colors:
                parts = [self._sku_sentence(p, c, x, count_wanted) for c in colors for x in sizes]
            else:
                parts = [self._size_sentence(p, x, count_wanted) for x in sizes]
            return Reply("".join(parts), slots=slots)
        if colors and size.size:
            parts = [self._sku_sentence(p, c, size.size, count_wanted) for c in colors]
            return Reply(prefix + "".join(parts), slots=slots)
        if size.size and (size.state in ("ok", "bigger") or (size.state == "one_size" and not colors)):
            return Reply(prefix + self._size_sentence(p, size.size, count_wanted), slots=slots)
        if colors:
            return Reply(
                prefix + "".join(self._color_sentence(p, c, count_wanted) for c in colors), slots=slots
            )
        return Reply(prefix + self._overview(p, "sizes" in parse.aspects), slots=slots)

    @staticmethod
    def _size_bound(p: Product, asked: str) -> str:
        order = ["XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL", "5XL"]
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

    @staticmethod
    def _sku_sentence(p: Product, color: str, size: str, with_count: bool) -> str:
        count = p.stock_of(color, size) if p.has_sku(color, size) else 0
        label = size_label(size)
        if count > 0:
            tail = f"，还剩{count}件" if with_count or count <= 5 else ""
            return f"有的宝宝，{color}{label}还有货{tail}，可以直接拍哦～"
        others = [c for c in p.colors if c != color and p.stock.get(f"{c}/{size}", 0) > 0]
        sizes_left = [size_label(s) for s in p.sizes if s != size and p.stock.get(f"{color}/{s}", 0) > 0]
        text = f"亲，{color}{label}已经售罄啦😭"
        if others:
            text += f"{label}的{_join(others)}还有货哦"
        if sizes_left:
            text += ("；" if others else "") + f"{color}可以看看{_join(sizes_left)}"
        if not others and not sizes_left:
            text += "这个颜色已经全部卖完了"
        return text + "～"

    @staticmethod
    def _size_sentence(p: Product, size: str, with_count: bool) -> str:
        label = size_label(size)
        have = [c for c in p.colors if p.stock.get(f"{c}/{size}", 0) > 0]
        gone = [c for c in p.colors if p.has_sku(c, size) and p.stock[f"{c}/{size}"] == 0]
        if not have:
            return f"亲，{label}所有颜色都已经售罄啦😭"
        if with_count:
            have_text = _join([f"{c}{p.stock[f'{c}/{size}']}件" for c in have])
        else:
            have_text = _join(have)
        if not gone:
            return f"有的宝宝，{label}{have_text}都有货，可以直接拍哦～"
        return f"{label}的{have_text}有货哦，{_join(gone)}的{label}已经售罄啦～"

    @staticmethod
    def _color_sentence(p: Product, color: str, with_count: bool) -> str:
        have = [s for s in p.sizes if p.stock.get(f"{color}/{s}", 0) > 0]
        gone = [s for s in p.sizes if p.has_sku(color, s) and p.stock[f"{color}/{s}"] == 0]
        if p.one_size:
            if have:
                n = p.stock[f"{color}/{ONE_SIZE}"]
                tail = f"，还剩{n}件" if with_count or n <= 5 else ""
                return f"有的宝宝，{color}还有货{tail}，可以直接拍哦～"
            others = [c for c in p.colors if c != color and p.stock.get(f"{c}/{ONE_SIZE}", 0) > 0]
            alt = f"，{_join(others)}还有货哦" if others else ""
            return f"亲，{color}已经售罄啦😭{alt}～"
        if not have:
            return f"亲，{color}所有尺码都已经售罄啦😭～"
        sizes = _join([size_label(s) + (f"{p.stock[f'{color}/{s}']}件" if with_count else "") for s in have])
        if not gone:
            return f"有的宝宝，{color}{sizes}都有货哦～"
        return f"{color}的{sizes}有货哦，{_join([size_label(s) for s in gone])}已经售罄啦～"

    @staticmethod
    def _overview(p: Product, sizes_asked: bool) -> str:
        gone = [f"{k.replace('/', '')}" for k, v in p.stock.items() if v == 0]
        sizes = _join([size_label(s) for s in p.sizes])
        head = f"这款尺码有{sizes}，" if sizes_asked or not gone else ""
        if all(v == 0 for v in p.stock.values()):
            return "亲，这款已经全部售罄啦😭～"
        if not gone:
            return f"{head}所有颜色尺码都有货哦，可以直接拍～"
        return f"{head}目前售罄的是：{_join(gone)}，其他颜色尺码都有货哦～"

    # -- size advice -------------------------------------------------------------------------------

    def size_advice(self, parse: Parse, p: Product | None) -> Reply:
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
            rng = self._one_size_range(p)
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
                f"有{_join([size_label(s) for s in p.sizes])}",
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

    # -- price -------------------------------------------------------------------------------------

    def price(self, parse: Parse, p: Product | None) -> Reply:
        assert p is not None
        others = [
            q
            for n in parse.slots.link_nos[1:]
            if (q := self.catalog.by_link_no(n)) is not None and q.id != p.id
        ]
        if others:
            items = [p, *others]
            total = self.catalog.basket_total([(q.id, 1) for q in items])
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

    # -- material ----------------------------------------------------------------------------------

    def material(self, parse: Parse, p: Product | None) -> Reply:
        assert p is not None
        aspects = list(parse.aspects) or ["composition"]
        parts: list[str] = []
        if "fibre" in aspects:
            parts.append(self._fibres(p, parse.norm))
        if "wash_effect" in aspects:
            parts.append(self._wash_effect(p, parse.norm))
        for aspect in aspects:
            sentence = self._material_sentence(p, aspect)
            if sentence and sentence not in parts:
                parts.append(sentence)
        return Reply("".join(parts), slots={"aspect": "+".join(aspects)})

    def _composition(self, p: Product) -> str:
        if p.filling:
            fill = f"，充绒量{money(p.fill_weight_g)}g" if p.fill_weight_g else ""
            return f"面料是{p.material}，填充{p.filling}{fill}～"
        return f"面料是{p.material}哦～"

    @staticmethod
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

    def _material_sentence(self, p: Product, aspect: str) -> str:
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
            return f"不是棉的哦，{self._composition(p)}"
        if aspect == "fill":
            if p.filling:
                weight = f"充绒量{money(p.fill_weight_g)}g，" if p.fill_weight_g else ""
                note = f"（{p.fill_note}）" if p.fill_note else ""
                return f"这款填充的是{p.filling}，{weight.rstrip('，')}{note}～"
            return f"这款不是羽绒款，没有填充哦，{self._composition(p)}"
        if aspect == "elastic":
            m = re.search(r"(\d+%)\s*氨纶", p.material)
            elastic = [s for s in p.selling_points if "弹" in s]
            if m:
                extra = f"，{_join(elastic)}" if elastic else ""
                return f"有弹力的哦，面料含{m.group(1)}氨纶{extra}～"
            if elastic:
                return f"{_join(elastic)}哦，面料是{p.material}～"
            return f"面料是{p.material}，不含氨纶，弹力一般哦～"
        if aspect == "sheer":
            sheer = [s for s in p.selling_points if "透" in s and "透气" not in s]
            if sheer:
                return f"{_join(sheer)}哦，放心穿～"
            return f"这款厚度{p.thickness}，面料是{p.material}～"
        if aspect == "breath":
            airy = [s for s in p.selling_points if re.search("透气|吸汗|凉", s)]
            lead = f"{_join(airy)}，" if airy else ""
            return f"{lead}这款是{p.thickness}款，面料{p.material}，适合{p.season}穿哦～"
        if aspect == "warmth":
            warm = [s for s in p.selling_points if re.search("保暖|加绒|充绒|羊毛", s)]
            lead = f"{_join(warm)}，" if warm else ""
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
            lead = f"{_join(feel)}，" if feel else ""
            return f"{lead}{self._composition(p)}"
        if aspect == "leak":
            leak = [s for s in p.selling_points if "绒" in s and re.search("防|不", s)]
            if not p.filling:
                return f"这款不是羽绒款，没有填充哦，{self._composition(p)}"
            lead = f"{_join(leak)}，" if leak else ""
            return f"{lead}填充{p.filling}哦～"
        if aspect == "composition":
            return f"这款{self._composition(p)}"
        return ""

    def _wash_effect(self, p: Product, text: str) -> str:
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
            return f"{_join(facts)}哦～面料是{p.material}，洗护：{p.care}。"
        return f"面料是{p.material}，按洗护说明洗就可以哦～洗护：{p.care}。"

    # -- shipping ----------------------------------------------------------------------------------

    def shipping(self, parse: Parse, p: Product | None) -> Reply:
        ship = self.catalog.shop.shipping
        aspects = set(parse.aspects)
        parts: list[str] = []
        slots: dict[str, Any] = {}
        if parse.slots.regions:
            region = parse.slots.regions[0]
            slots["region"] = region
            blocked = region_in(region, ship.no_delivery)
            remote = region == "偏远地区" or region_in(region, ship.remote_areas) is not None
            if blocked:
                parts.append(f"亲，{ship.no_delivery_note or blocked + '暂不发货'}哦～")
                return Reply("".join(parts), slots=slots)
            zone = region_zone(region, ship.delivery_days, ship.remote_areas)
            if remote:
                parts.append(f"亲，{ship.remote_area_note}～")
            elif aspects & {"free", "deliverable"} or not aspects:
                if ship.free_shipping and not ship.free_shipping_threshold:
                    parts.append(f"{region}包邮哦，一件也包邮～")
                elif ship.free_shipping:
                    parts.append(f"{region}满{money(ship.free_shipping_threshold)}元包邮哦～")
            if zone and (aspects & {"delivery"} or not parts):
                days = ship.delivery_days[zone]
                where = region if region != "偏远地区" else "偏远地区"
                parts.append(f"发货后到{where}一般{days}哦（{ship.delivery_note}）～")
        if p is not None and (aspects & {"presale", "ship_time", "delivery"} or not aspects or not parts):
            if p.presale_ship_days is not None:
                parts.append(f"这款是预售哦，付款后{p.presale_ship_days}天内发货～")
            else:
                parts.append(f"这款是现货，付款后{ship.ship_within_hours}小时内发货哦～")
        elif not parse.slots.regions and (
            ("ship_time" in aspects and "origin" not in aspects) or "presale" in aspects
        ):
            parts.append(f"{ship.ship_note}～")
            shown = self.catalog.get(parse.current_product)
            if shown is not None and shown.presale_ship_days is not None:
                parts.append(
                    f"现在讲解的{shown.short_name}是预售款，付款后{shown.presale_ship_days}天内发货哦～"
                )
        if "sf" in aspects:
            parts.append(f"{ship.sf_note}～")
        elif "carrier" in aspects:
            parts.append(f"默认发{ship.carrier}哦，从{ship.ship_from}发货～")
        if "origin" in aspects and "carrier" not in aspects:
            parts.append(f"我们从{ship.ship_from}发货哦～")
        if "delivery" in aspects and not parse.slots.regions:
            zones = "，".join(f"{z}{d}" for z, d in ship.delivery_days.items())
            parts.append(
                f"现货付款后{ship.ship_within_hours}小时内发货，物流时效：{zones}（{ship.delivery_note}）～"
            )
        if ("free" in aspects or not parts) and not parse.slots.regions:
            parts.insert(0, f"{ship.free_shipping_note}～")
        if "deliverable" in aspects and not parts:
            parts.append(f"全国都能发哦，{ship.no_delivery_note}～")
        return Reply("".join(parts), slots=slots)

    # -- returns -----------------------------------------------------------------------------------

    def returns(self, parse: Parse, p: Product | None) -> Reply:
        r = self.catalog.shop.returns
        aspects = set(parse.aspects)
        parts: list[str] = []
        base = f"支持{r.window_days}天无理由退换哦" if r.seven_day_no_reason else "不支持无理由退换哦"
        if "quality" in aspects:
            parts.append(f"{r.quality_issue}～")
        if "exchange" in aspects:
            parts.append(f"可以换的宝宝，{r.exchange}～")
        if "refund_time" in aspects and "exchange" not in aspects:
            parts.append(f"{r.refund_time}哦～")
        if ("insurance" in aspects or "cost" in aspects) and "quality" not in aspects:
            parts.append(f"{r.return_shipping}～")
        if "conditions" in aspects:
            parts.append(f"{base}，条件是{r.conditions}～")
        if "presale" in aspects:
            parts.append(f"{r.presale_note}哦～")
        if not parts:
            parts.append(f"{base}，{r.conditions}就可以～下单还送运费险哦")
        return Reply("".join(parts), slots={"aspect": "+".join(sorted(aspects)) or "policy"})

    # -- colours -----------------------------------------------------------------------------------

    def color(self, parse: Parse, p: Product | None) -> Reply:
        assert p is not None
        colors, unknown = self._colors(p, parse)
        all_colors = f"{_join(p.colors)}{len(p.colors)}个颜色"
        if unknown and not colors:
            return Reply(
                f"亲，这款没有{_color_word(unknown[0])}哦，只有{all_colors}～", slots={"color": unknown[0]}
            )
        if colors:
            gone = [c for c in colors if all(p.stock.get(f"{c}/{s}", 0) == 0 for s in p.sizes)]
            tail = f"，不过{_join(gone)}目前已经售罄啦" if gone else "，可以直接拍"
            return Reply(f"有的宝宝，这款有{_join(colors)}哦{tail}～", slots={"color": "+".join(colors)})
        gone = [c for c in p.colors if all(p.stock.get(f"{c}/{s}", 0) == 0 for s in p.sizes)]
        tail = f"，其中{_join(gone)}已经售罄啦" if gone else ""
        return Reply(f"这款有{all_colors}哦{tail}～")

    # -- coupons -----------------------------------------------------------------------------------

    def coupon(self, parse: Parse, p: Product | None) -> Reply:
        rules = self.catalog.shop.coupon_rules
        aspects = set(parse.aspects)
        coupons = self.catalog.coupons
        slots: dict[str, Any] = {}
        if p is not None:
            qty = parse.slots.quantity or 1
            items = [(p.id, qty)]
            for n in parse.slots.link_nos[1:]:
                other = self.catalog.by_link_no(n)
                if other is not None and other.id != p.id:
                    items.append((other.id, 1))
            if qty != 1:
                slots["quantity"] = qty
            if len(items) > 1:
                slots["basket"] = "+".join(pid for pid, _ in items)
            text = self._quote_text(p, items, self.catalog.best_coupon_for_basket(items))
            if "stacking" in aspects:
                text += f"{rules.stacking}～"
            return Reply(text, slots=slots)
        parts: list[str] = []
        if "stacking" in aspects:
            parts.append(f"{rules.stacking}哦～")
        if "newbie" in aspects:
            newbie = [c for c in coupons if c.condition and "新" in c.condition]
            parts += [f"{c.condition}可以用「{c.name}」哦～" for c in newbie]
        if "fans" in aspects:
            fans = [c for c in coupons if c.condition and "粉丝" in c.condition]
            parts += [f"{c.condition}就能领「{c.name}」哦～" for c in fans]
        if "threshold" in aspects:
            tiers = [c for c in coupons if c.type == "满减" and c.condition is None]
            parts.append(
                "满减券有：" + _join([self._coupon_label(c.id) for c in tiers]) + "，每单限用一张哦～"
            )
        if "where" in aspects:
            parts.append(f"{rules.where}～")
        if not parts:
            open_ = [self._coupon_label(c.id) for c in coupons if c.condition is None]
            cond = [f"{c.condition}可用{c.name}" for c in coupons if c.condition is not None]
            text = "直播间现在有：" + _join(open_)
            if cond:
                text += "；" + "，".join(cond)
            parts.append(text + f"。{rules.stacking}，{rules.where}～")
        return Reply("".join(parts), slots={"aspect": "+".join(sorted(aspects)) or "list"})

    def _coupon_label(self, coupon_id: str) -> str:
        c = next(c for c in self.catalog.coupons if c.id == coupon_id)
        label = c.name
        if c.type == "折扣" and c.max_discount is not None:
            label += f"（最多减{money(c.max_discount)}元）"
        if c.applies_to is not None:
            names = [p.short_name for pid in c.applies_to if (p := self.catalog.get(pid)) is not None]
            if names and not any(n in c.name for n in names):
                label += f"（限{_join(names)}）"
        return label

    def _quote_text(self, p: Product, items: list[tuple[str, int]], quote: CouponQuote | None) -> str:
        total = self.catalog.basket_total(items)
        if len(items) == 1 and items[0][1] == 1:
            what = f"这款直播间价{money(p.live_price)}元"
        elif len(items) == 1:
            what = f"{items[0][1]}件一共{money(total)}元"
        else:
            names = "+".join(f"{self.catalog.product(pid).short_name}" for pid, _ in items)
            what = f"{names}一共{money(total)}元"
        if quote is not None:
            return f"{what}，用「{quote.coupon.name}」券后到手{money(quote.final)}元哦～（每单限用一张）"
        # the nearest threshold this basket could reach
        gaps = []
        for c in self.catalog.coupons:
            if c.condition is not None or c.threshold <= 0:
                continue
            eligible = sum(self.catalog.product(pid).live_price * q for pid, q in items if c.covers(pid))
            if eligible > 0 and eligible < c.threshold:
                gaps.append((c.threshold - eligible, c))
        if gaps:
            gap, c = min(gaps, key=lambda g: g[0])
            return f"{what}，暂时没有能直接用的券哦，再凑{money(gap)}元就能用「{c.name}」啦～"
        return f"{what}，暂时没有能用的券哦～"

    # -- product info ------------------------------------------------------------------------------

    def product_info(self, parse: Parse, p: Product | None) -> Reply:
        assert p is not None
        aspects = list(parse.aspects)
        if not aspects:
            sp = _join(p.selling_points)
            return Reply(
                f"{p.link_no}号链接{p.name}，{p.fit}版型，适合{p.season}穿，亮点是{sp}哦～",
                slots={"aspect": "intro"},
            )
        parts = []
        for aspect in aspects:
            sentence = self._info_sentence(p, aspect, parse)
            if sentence and sentence not in parts:
                parts.append(sentence)
        slots: dict[str, Any] = {"aspect": "+".join(aspects)}
        if parse.slots.size:
            slots["size"] = parse.slots.size
        return Reply("".join(parts), slots=slots)

    def _info_sentence(self, p: Product, aspect: str, parse: Parse) -> str:
        text = parse.norm
        if aspect == "measure":
            return self._measure(p, parse)
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
                return f"有的哦，{_join(hits)}～"
            return f"这款的亮点：{_join(p.selling_points)}～"
        return ""

    def _measure(self, p: Product, parse: Parse) -> str:
        text = parse.norm
        fields_: list[tuple[str, str]] = []
        if "胸围" in text:
            fields_.append(("bust_cm", "胸围"))
        if "腰围" in text:
            fields_.append(("waist_cm", "腰围"))
        if "臀围" in text:
            fields_.append(("hip_cm", "臀围"))
        if not fields_ or re.search("长", text):
            label = (
                "裤长" if "裤" in p.category + p.name else "裙长" if "裙" in p.category + p.name else "衣长"
            )
            fields_.append(("length_cm", label))
        size = resolve_size(p, parse)
        rows: list[SizeRow]
        if size.state == "missing":
            return (
                f"这款没有{size_label(size.asked or '')}哦，尺码有{_join([size_label(s) for s in p.sizes])}～"
            )
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
            listed = _join([f"{size_label(s)}{money(v)}cm" for s, v in values])
            parts.append(f"{label}：{listed}")
            if attr == "waist_cm":
                notes = {r.waist_note for r in rows if r.waist_note}
                parts += sorted(notes)
        return "，".join(parts) + "～"

    # -- shop FAQ ----------------------------------------------------------------------------------

    def shop_faq(self, parse: Parse, p: Product | None) -> Reply:
        shop = self.catalog.shop
        aspects = set(parse.aspects)
        if parse.faq_index is not None and not aspects:
            entry = shop.faq[parse.faq_index]
            return Reply(f"亲，{entry.a}", slots={"aspect": f"faq{parse.faq_index + 1}"})
        if "payment" in aspects:
            pay = shop.payment
            cod = "暂不支持货到付款" if not pay.cash_on_delivery else "支持货到付款"
            return Reply(
                f"支持{_join(pay.methods)}哦，{pay.installment}，{cod}～", slots={"aspect": "payment"}
            )
        if "service_hours" in aspects:
            cs = shop.customer_service
            return Reply(f"客服在线时间{cs.hours}，{cs.channel}哦～", slots={"aspect": "service"})
        if "intro" in aspects:
            return Reply(f"我们是{shop.intro}哦～", slots={"aspect": "intro"})
        if parse.faq_index is not None:
            entry = shop.faq[parse.faq_index]
            return Reply(f"亲，{entry.a}", 0.8, slots={"aspect": f"faq{parse.faq_index + 1}"})
        return Reply(f"{shop.name}：{shop.intro}，{shop.live_hours}～", 0.5, slots={"aspect": "intro"})

    # -- chitchat ----------------------------------------------------------------------------------

    def chitchat(self, parse: Parse, p: Product | None) -> Reply:
        shop = self.catalog.shop
        t = parse.norm.lower()
        if re.search(r"谢谢|感谢", t):
            return Reply("不客气哦宝宝，有问题随时问我～", slots={"aspect": "thanks"})
        if re.search(r"身高|多高|多重|体重|码|号|几岁|多大", t):
            return Reply(
                "主播的身高体重和尺码以主播口播为准哦～宝宝报一下自己的身高体重，帮你推荐合适的尺码💕",
                0.5,
                slots={"aspect": "host"},
            )
        if re.search(r"已拍|拍了|买了|下单了|付款了|付了", t):
            return Reply("谢谢宝宝的支持～我们会尽快安排发货哦💕", slots={"aspect": "bought"})
        if re.search(r"哈哈|嘿嘿|呵呵|hhh|笑死", t):
            return Reply("哈哈宝宝开心就好～喜欢的款随时问我哦💕", slots={"aspect": "laugh"})
        if re.search(r"晚安|拜拜|下次见|走了|下播", t):
            return Reply("谢谢宝宝的陪伴，记得关注主播，下次见哦～", slots={"aspect": "bye"})
        if re.search(r"美|漂亮|好看|可爱|瘦|仙女|女神|帅|身材|棒|厉害|好听", t):
            host = shop.host or "主播"
            return Reply(
                f"谢谢宝宝的夸奖～{host}会继续努力哒，喜欢的款式记得看看小黄车哦💕",
                slots={"aspect": "praise"},
            )
        if re.search(r"辛苦|加油|支持|爱|冲|关注|点赞", t):
            return Reply("谢谢宝宝的支持，爱你哟～有想要的款随时问我💕", slots={"aspect": "support"})
        return Reply(
            f"欢迎宝宝来到{shop.name or '直播间'}～喜欢哪件随时问我哦💕", slots={"aspect": "greeting"}
        )

    # -- handoff -----------------------------------------------------------------------------------

    def handoff(self, parse: Parse, p: Product | None) -> Reply:
        shop = self.catalog.shop
        cs = shop.customer_service
        aspects = set(parse.aspects)
        channel = cs.channel or "私信直播间小助理"
        hours = f"（客服在线时间{cs.hours}）" if cs.hours else ""
        if "wrong_item" in aspects:
            text = f"非常抱歉给宝宝发错了😭 麻烦{channel}，拍下收到的商品，人工客服会尽快帮你处理{hours}～"
        elif "quality" in aspects:
            text = f"非常抱歉让宝宝遇到这种情况😭 {shop.returns.quality_issue}，{channel}～"
        elif "complaint" in aspects:
            text = f"非常抱歉给宝宝带来不好的体验😭 麻烦{channel}，人工客服会第一时间帮你处理{hours}～"
        elif "bargain" in aspects:
            text = "宝宝，直播间价已经是最低价啦，还可以领券再省哦～其他优惠问题可以私信小助理或联系客服～"
        elif "refund" in aspects:
            text = f"宝宝退款进度需要人工客服帮你查哦，{channel}{hours}～"
        elif aspects & {"order", "logistics", "address"}:
            text = f"宝宝订单和物流的问题需要人工客服帮你查哦，{channel}{hours}～"
        else:
            text = f"这个问题需要人工客服帮你处理哦，{channel}{hours}～"
        return Reply(text, slots={"aspect": "+".join(sorted(aspects)) or "human"})


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
