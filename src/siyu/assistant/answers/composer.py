"""Answer templates: one function per intent, filled only from catalog facts; the Composer picks one.

Every number, colour, size and policy sentence in an answer is read from the catalog; the templates only
add the warm live-room wording (宝宝/亲). Sizes are written as the catalog writes them (``XL``, ``28码``).
The templates live by family: ``stock.py`` (stock, colours), ``sizing.py`` (size advice), ``product.py``
(price, material, product details), ``shop.py`` (shipping, returns, coupons, FAQ, chitchat, handoff).
"""

from __future__ import annotations

from collections.abc import Callable

from siyu.assistant.answers.common import Reply, join
from siyu.assistant.answers.product import material, price, product_info
from siyu.assistant.answers.shop import chitchat, coupon, handoff, returns, shipping, shop_faq
from siyu.assistant.answers.sizing import size_advice
from siyu.assistant.answers.stock import color, stock
from siyu.assistant.nlu import Parse, Understander
from siyu.catalog import Catalog, Product

__all__ = ["Composer", "Template"]

Template = Callable[[Catalog, Parse, Product | None], Reply]
"""One intent's answer: (catalog, parse, the product asked about or None) -> Reply."""

_TEMPLATES: dict[str, Template] = {
    "stock": stock,
    "size_advice": size_advice,
    "price": price,
    "material": material,
    "shipping": shipping,
    "returns": returns,
    "color": color,
    "coupon": coupon,
    "product_info": product_info,
    "shop_faq": shop_faq,
    "chitchat": chitchat,
    "handoff": handoff,
}


class Composer:
    """Builds the reply for a parsed question."""

    def __init__(self, catalog: Catalog, nlu: Understander) -> None:
        self.catalog = catalog
        self.nlu = nlu

    def compose(self, parse: Parse) -> Reply:
        product = self.catalog.get(parse.product_id)
        if (
            parse.intent in ("stock", "size_advice", "price", "material", "color", "product_info")
            and product is None
        ):
            return self._which_product(parse)
        reply = _TEMPLATES[parse.intent](self.catalog, parse, product)
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
                    + join([f"{p.link_no}号{p.short_name}" for p in others])
                    + "也可以问我）"
                )
        return reply

    # -- helpers -----------------------------------------------------------------------------------

    def _which_product(self, parse: Parse) -> Reply:
        if parse.slots.link_nos:
            n = parse.slots.link_nos[0]
            links = sorted(self.catalog.link_numbers)
            on_sale = f"，现在是{links[0]}-{links[-1]}号" if links else ""
            return Reply(f"宝宝，小黄车里没有{n}号链接哦{on_sale}，告诉我链接号帮你查～", 0.5)
        if parse.candidates:
            products = [p for pid in parse.candidates if (p := self.catalog.get(pid)) is not None]
            names = join([f"{p.link_no}号{p.short_name}" for p in products])
            return Reply(f"宝宝问的是哪一款呀？{names}，告诉我链接号帮你查哦～", 0.5)
        return Reply("宝宝问的是哪个链接呀？告诉我链接号（比如3号链接），马上帮你查哦～", 0.5)
