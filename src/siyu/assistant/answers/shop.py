"""Shop-level answers: shipping, returns, coupons, the shop FAQ, chitchat and handoffs to a person."""

from __future__ import annotations

import re
from typing import Any

from siyu.assistant.answers.common import Reply, join
from siyu.assistant.nlu import Parse
from siyu.assistant.vocab import region_in, region_zone
from siyu.catalog import Catalog, Coupon, CouponQuote, Product, money

__all__ = ["chitchat", "coupon", "handoff", "returns", "shipping", "shop_faq"]


def shipping(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    ship = catalog.shop.shipping
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
        shown = catalog.get(parse.current_product)
        if shown is not None and shown.presale_ship_days is not None:
            parts.append(f"现在讲解的{shown.short_name}是预售款，付款后{shown.presale_ship_days}天内发货哦～")
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


def returns(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    r = catalog.shop.returns
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


def coupon(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    rules = catalog.shop.coupon_rules
    aspects = set(parse.aspects)
    coupons = catalog.coupons
    slots: dict[str, Any] = {}
    named = [c for cid in parse.coupons for c in coupons if c.id == cid]
    if named:
        slots["coupon"] = "+".join(c.id for c in named)
        if len(named) > 1 or "stacking" in aspects:
            names = "和".join(f"「{c.name}」" for c in named)
            return Reply(f"{names}不能一起用哦，{rules.stacking}～", slots=slots)
        if p is not None:
            return Reply(_named_coupon(catalog, p, named[0]), slots=slots)
        c = named[0]
        how = f"{c.condition}才能用，" if c.condition else ""
        return Reply(f"「{_coupon_label(catalog, c.id)}」{how}{rules.where}～", slots=slots)
    if p is not None:
        qty = parse.slots.quantity or 1
        items = [(p.id, qty)]
        for n in parse.slots.link_nos[1:]:
            other = catalog.by_link_no(n)
            if other is not None and other.id != p.id:
                items.append((other.id, 1))
        if qty != 1:
            slots["quantity"] = qty
        if len(items) > 1:
            slots["basket"] = "+".join(pid for pid, _ in items)
        text = _quote_text(catalog, p, items, catalog.best_coupon_for_basket(items))
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
            "满减券有：" + join([_coupon_label(catalog, c.id) for c in tiers]) + "，每单限用一张哦～"
        )
    if "where" in aspects:
        parts.append(f"{rules.where}～")
    if not parts:
        open_ = [_coupon_label(catalog, c.id) for c in coupons if c.condition is None]
        cond = [f"{c.condition}可用{c.name}" for c in coupons if c.condition is not None]
        text = "直播间现在有：" + join(open_)
        if cond:
            text += "；" + "，".join(cond)
        parts.append(text + f"。{rules.stacking}，{rules.where}～")
    return Reply("".join(parts), slots={"aspect": "+".join(sorted(aspects)) or "list"})


def _named_coupon(catalog: Catalog, p: Product, c: Coupon) -> str:
    """Whether the coupon the viewer named works on this product, and what it comes to."""
    live = money(p.live_price)
    if not c.covers(p.id):
        names = join([q.short_name for pid in c.applies_to or () if (q := catalog.get(pid)) is not None])
        best = _quote_text(catalog, p, [(p.id, 1)], catalog.best_coupon_for_basket([(p.id, 1)]))
        return f"「{c.name}」只能用在{names}上，这款{p.short_name}用不了哦～{best}"
    if p.live_price < c.threshold:
        gap = money(c.threshold - p.live_price)
        return f"这款直播间价{live}元，还没到「{c.name}」的{money(c.threshold)}元门槛，再凑{gap}元就能用啦～"
    final = money(p.live_price - c.discount_on(p.live_price))
    if c.condition:
        return f"「{c.name}」需要{c.condition}才能用，满足的话这款用券后{final}元哦～"
    return f"可以用的宝宝，这款直播间价{live}元，用「{c.name}」券后到手{final}元哦～（每单限用一张）"


def _coupon_label(catalog: Catalog, coupon_id: str) -> str:
    c = next(c for c in catalog.coupons if c.id == coupon_id)
    label = c.name
    if c.type == "折扣" and c.max_discount is not None:
        label += f"（最多减{money(c.max_discount)}元）"
    if c.applies_to is not None:
        names = [p.short_name for pid in c.applies_to if (p := catalog.get(pid)) is not None]
        if names and not any(n in c.name for n in names):
            label += f"（限{join(names)}）"
    return label


def _quote_text(catalog: Catalog, p: Product, items: list[tuple[str, int]], quote: CouponQuote | None) -> str:
    total = catalog.basket_total(items)
    if len(items) == 1 and items[0][1] == 1:
        what = f"这款直播间价{money(p.live_price)}元"
    elif len(items) == 1:
        what = f"{items[0][1]}件一共{money(total)}元"
    else:
        names = "+".join(f"{catalog.product(pid).short_name}" for pid, _ in items)
        what = f"{names}一共{money(total)}元"
    if quote is not None:
        return f"{what}，用「{quote.coupon.name}」券后到手{money(quote.final)}元哦～（每单限用一张）"
    # the nearest threshold this basket could reach
    gaps = []
    for c in catalog.coupons:
        if c.condition is not None or c.threshold <= 0:
            continue
        eligible = sum(catalog.product(pid).live_price * q for pid, q in items if c.covers(pid))
        if eligible > 0 and eligible < c.threshold:
            gaps.append((c.threshold - eligible, c))
    if gaps:
        gap, c = min(gaps, key=lambda g: g[0])
        return f"{what}，暂时没有能直接用的券哦，再凑{money(gap)}元就能用「{c.name}」啦～"
    return f"{what}，暂时没有能用的券哦～"


def shop_faq(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    shop = catalog.shop
    aspects = set(parse.aspects)
    if parse.faq_index is not None and not aspects:
        entry = shop.faq[parse.faq_index]
        return Reply(f"亲，{entry.a}", slots={"aspect": f"faq{parse.faq_index + 1}"})
    if "payment" in aspects:
        pay = shop.payment
        cod = "暂不支持货到付款" if not pay.cash_on_delivery else "支持货到付款"
        return Reply(f"支持{join(pay.methods)}哦，{pay.installment}，{cod}～", slots={"aspect": "payment"})
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


def chitchat(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    shop = catalog.shop
    t = parse.norm.lower()
    if re.search(r"谢谢|感谢", t):
        return Reply("不客气哦宝宝，有问题随时问我～", slots={"aspect": "thanks"})
    if re.search(r"已拍|拍了|买了|下单了|付款了|付了|入手", t):
        return Reply("谢谢宝宝的支持～我们会尽快安排发货哦💕", slots={"aspect": "bought"})
    if re.search(r"我(平时|一般|都|就|一直|本来)?穿|刚好|正好|好穿|上次买|买过|回购", t):
        return Reply("谢谢宝宝的分享～穿着合适最重要，喜欢的款随时问我哦💕", slots={"aspect": "feedback"})
    if re.search(r"去哪|在哪|人呢|人去|不见|回来|走了|吃饭|吃了|喝水|休息|干嘛|干啥|在忙|忙啥|上厕所", t):
        host = shop.host or "主播"
        return Reply(
            f"宝宝稍等，{host}马上回来哦～有尺码、库存、发货的问题可以先问我💕", slots={"aspect": "host_away"}
        )
    if re.search(r"身高|多高|多重|体重|码|号|几岁|多大", t):
        return Reply(
            "主播的身高体重和尺码以主播口播为准哦～宝宝报一下自己的身高体重，帮你推荐合适的尺码💕",
            0.5,
            slots={"aspect": "host"},
        )
    if re.search(r"哈哈|嘿嘿|呵呵|hhh|笑死", t):
        return Reply("哈哈宝宝开心就好～喜欢的款随时问我哦💕", slots={"aspect": "laugh"})
    if re.search(r"晚安|拜拜|下次见|走了|下播", t):
        return Reply("谢谢宝宝的陪伴，记得关注主播，下次见哦～", slots={"aspect": "bye"})
    host = shop.host or "主播"
    if not re.search(rf"主播|{re.escape(host)}|你", t) and re.search(r"美|漂亮|好看|仙|绝|爱了|显", t):
        return Reply("宝宝眼光真好～喜欢的话记得看看小黄车哦💕", slots={"aspect": "like"})
    if re.search(r"美|漂亮|好看|可爱|瘦|仙女|女神|帅|身材|棒|厉害|好听", t):
        return Reply(
            f"谢谢宝宝的夸奖～{host}会继续努力哒，喜欢的款式记得看看小黄车哦💕",
            slots={"aspect": "praise"},
        )
    if re.search(r"辛苦|加油|支持|爱|冲|关注|点赞", t):
        return Reply("谢谢宝宝的支持，爱你哟～有想要的款随时问我💕", slots={"aspect": "support"})
    return Reply(f"欢迎宝宝来到{shop.name or '直播间'}～喜欢哪件随时问我哦💕", slots={"aspect": "greeting"})


# -- handoff -----------------------------------------------------------------------------------


def handoff(catalog: Catalog, parse: Parse, p: Product | None) -> Reply:
    shop = catalog.shop
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
        text = f"宝宝，价格助理这边改不了哦，议价的问题麻烦{channel}，人工客服帮你看{hours}～"
    elif "refund" in aspects:
        text = f"宝宝退款进度需要人工客服帮你查哦，{channel}{hours}～"
    elif aspects & {"order", "logistics", "address"}:
        text = f"宝宝订单和物流的问题需要人工客服帮你查哦，{channel}{hours}～"
    else:
        text = f"这个问题需要人工客服帮你处理哦，{channel}{hours}～"
    return Reply(text, slots={"aspect": "+".join(sorted(aspects)) or "human"})
