"""Intent scoring for live-room questions, and the :class:`Parse` of one comment.

Intent: weighted features over the normalised comment and its jieba tokens (``rules.py``: synonym lists
per intent, not phrasings) plus slot features (a height and a weight mean size advice, a size or a colour
with an availability word means stock, ...). The best score wins; the confidence reflects its margin. The
product comes from ``products.py``, the FAQ entry from ``faq.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from siyu.assistant.nlu.aspects import ASPECTS, COLOR_THEN_HAVE, COMPLAINT, HYPOTHETICAL
from siyu.assistant.nlu.clean import clean
from siyu.assistant.nlu.coupons import CouponFinder
from siyu.assistant.nlu.faq import FaqIndex
from siyu.assistant.nlu.products import PRONOUN, ProductResolver, blank
from siyu.assistant.nlu.rules import ABOUT_HOST, HOST_REMARK, PRIORITY, PRODUCT_INTENTS, RULES, STATEMENT
from siyu.assistant.nlu.tokens import ensure_jieba, tokenize
from siyu.assistant.slots import SlotExtractor, Slots
from siyu.catalog import Catalog
from siyu.zh import is_question

__all__ = ["Parse", "Understander"]

_STATEMENT = re.compile(STATEMENT, re.IGNORECASE)


@dataclass(slots=True)
class Parse:
    text: str
    norm: str
    tokens: list[str]
    slots: Slots
    intent: str
    scores: dict[str, float]
    confidence: float
    product_id: str | None
    product_source: str  # link / name / short_name / category / noun / fuzzy / color / current / none
    candidates: list[str] = field(default_factory=list)  # products a vague mention could mean
    current_product: str | None = None
    aspects: tuple[str, ...] = ()
    is_question: bool = True
    pronoun: bool = False
    mentioned: bool = False  # a product was named (link, name, category)
    faq_index: int | None = None
    faq_score: float = 0.0
    coupons: tuple[str, ...] = ()  # ids of the coupons the comment names


class Understander:
    """Turns a comment into a :class:`Parse` against one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        words: list[str] = []
        for p in catalog.products:
            words += [p.short_name, p.name, p.category, *p.colors]
        ensure_jieba(words)  # before the FAQ keywords are tokenised: catalog words stay whole
        self.slots = SlotExtractor(catalog.colors, catalog.link_numbers)
        self.products = ProductResolver(catalog)
        self.coupons = CouponFinder(catalog.coupons)
        host = catalog.shop.host.strip()
        self._host_re = (
            re.compile(rf"{re.escape(host)}((的)?{ABOUT_HOST}|{HOST_REMARK})") if host else None
        )
        self.faq = FaqIndex(catalog.shop.faq)

    # -- public ------------------------------------------------------------------------------------

    def parse(self, text: str, current_product: str | None) -> Parse:
        norm = clean(text)
        coupons, spans = self.coupons.find(norm.lower())
        read = norm  # the comment without the coupons it names (羽绒服9折券 is not the 羽绒服)
        for span in spans:
            read = blank(read, span)
        low = read.lower()
        slots = self.slots.extract(read)
        mention, masked = self.products.mention(low, slots)
        self.products.numeric_sizes(slots, mention, current_product)
        tokens = tokenize(masked)
        question = is_question(norm)
        scores = self._score(masked, tokens, slots)
        if coupons:
            scores["coupon"] = scores.get("coupon", 0.0) + 4.0 * len(coupons)
        if not question and _STATEMENT.search(masked) and scores.get("handoff", 0.0) < 4:
            # 已拍 / 我穿M刚好 / 白色好仙: telling, not asking (拍了三天还没发 stays a handoff)
            scores["chitchat"] = scores.get("chitchat", 0.0) + 8.0
        faq_index, faq_score = self.faq.match(tokens)
        if faq_score >= 3:
            scores["shop_faq"] = scores.get("shop_faq", 0.0) + faq_score
        pronoun = bool(PRONOUN.search(norm.lower()))
        intent, confidence = self._decide(scores, question, mention is not None, pronoun, current_product)
        aspects = self._aspects(intent, masked)
        product_id, source, candidates = self.products.resolve(
            intent, mention, slots, current_product, pronoun, aspects, masked
        )
        if intent in PRODUCT_INTENTS and product_id is None:
            confidence = min(confidence, 0.4)
        if source in ("category", "noun", "piece") and len(candidates) > 1 and product_id != current_product:
            confidence = min(confidence, 0.6)
        return Parse(
            text=text,
            norm=norm,
            tokens=tokens,
            slots=slots,
            intent=intent,
            scores=scores,
            confidence=round(confidence, 3),
            product_id=product_id,
            product_source=source,
            candidates=candidates,
            current_product=current_product,
            aspects=aspects,
            is_question=question,
            pronoun=pronoun,
            mentioned=mention is not None,
            faq_index=faq_index if intent == "shop_faq" else None,
            faq_score=faq_score,
            coupons=tuple(coupons),
        )

    # -- intent ------------------------------------------------------------------------------------

    def _score(self, masked: str, tokens: list[str], slots: Slots) -> dict[str, float]:
        scores: dict[str, float] = {}

        def add(intent: str, weight: float) -> None:
            scores[intent] = scores.get(intent, 0.0) + weight

        for intent, pattern, weight in RULES:
            if pattern.search(masked):
                add(intent, weight)
        if self._host_re is not None and self._host_re.search(masked):
            add("chitchat", 6.0)
        body = (slots.height_cm is not None) + (slots.weight_jin is not None)
        if body:
            add("size_advice", 2.0 + 2.0 * body)
        measure = any(p.search(masked) for name, p in ASPECTS["product_info"] if name == "measure")
        if slots.sizes and not body:
            if measure:
                add("product_info", 1.0)
            else:
                add("stock", 2.0 if not slots.colors else 3.0)
        if slots.colors and not slots.sizes:
            add("color", 2.0)
        if slots.regions:
            add("shipping", 2.0)
        if slots.order_no:
            add("handoff", 4.0)
        if "handoff" in scores and HYPOTHETICAL.search(masked) and not COMPLAINT.search(masked):
            scores["handoff"] = max(0.0, scores["handoff"] - 5.0)
        if "有" in tokens and (slots.sizes or slots.colors):
            add("stock" if slots.sizes else "color", 0.5)
        if slots.colors and COLOR_THEN_HAVE.search(masked):
            add("stock", 1.5)  # 奶黄色有吗 / 黑色还有没有: availability of a colour
        if slots.quantity is not None and slots.quantity > 1 and "price" in scores:
            add("coupon", 3.0)  # 两件多少钱: a basket price, counted against the 满减 thresholds
        return scores

    def _decide(
        self, scores: dict[str, float], question: bool, mentioned: bool, pronoun: bool, current: str | None
    ) -> tuple[str, float]:
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], PRIORITY[kv[0]]))
        if not ranked or ranked[0][1] < 1.5:
            if mentioned or (question and (pronoun or current is not None)):
                return "product_info", 0.35
            if question:
                return "chitchat", 0.3
            return "chitchat", 0.7
        top_intent, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (top - second) / top
        confidence = 0.45 + 0.35 * margin + 0.2 * min(1.0, top / 6.0)
        if top_intent == "chitchat" and question and (pronoun or mentioned):
            return "product_info", 0.35
        return top_intent, min(confidence, 0.99)

    def _aspects(self, intent: str, masked: str) -> tuple[str, ...]:
        return tuple(name for name, p in ASPECTS.get(intent, ()) if p.search(masked))
