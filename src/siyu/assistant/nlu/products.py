"""Which product a comment is about (README order).

A link number > a product name / short name / category named in the comment (rapidfuzz for near misses) >
这件/这个/这款/它 or nothing named on a product question -> the current product. Shop-level questions
(returns, FAQ, chitchat, handoff, shipping and coupons in general) carry no product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from siyu.assistant.slots import Slots
from siyu.catalog import Catalog, Product

__all__ = ["PRONOUN", "Mention", "ProductResolver", "blank"]

_COMMON_PAIRS = frozenset(
    {"这个", "那个", "这件", "那件", "这款", "那款", "这条", "那条", "多少", "少钱", "有没", "没有"}
)
_MALE = re.compile(r"男款|男士|男生|男装|男的|男人|男朋友|老公|男式")
_FEMALE = re.compile(r"女款|女士|女生|女装|女的|女式|老婆|女朋友")
PRONOUN = re.compile(
    r"这件|这个|这款|这条|这套|这一款|这一件|这双|这顶|它|此款|该款|这裤子|这裙子|这衣服"
    r"|这外套|当前|现在这|这是|这啥"
)
_SHOP_PREFIX = re.compile(r"你们|店里|店铺|直播间|咱们|你家")

# Garment nouns viewers use for a product ("那条裙子") -> the character(s) that must appear in the
# product's category or name for it to be meant.
_GARMENT_NOUNS: dict[str, tuple[str, ...]] = {
    "裙子": ("裙",),
    "裙": ("裙",),
    "裤子": ("裤",),
    "长裤": ("裤",),
    "短袖": ("短袖", "T恤"),
    "体恤": ("T恤",),
    "t恤": ("T恤",),
    "毛衣": ("针织",),
    "开衫": ("开衫",),
    "大衣": ("大衣",),
    "外套": ("外套", "夹克", "大衣"),
    "羽绒": ("羽绒",),
    "衬衣": ("衬衫",),
    "马甲": ("马甲",),
    "背心": ("马甲",),
    "夹克": ("夹克",),
    "短裤": ("短裤",),
    "牛仔": ("牛仔",),
    "卫衣": ("卫衣",),
    "上衣": ("上衣", "T恤", "衬衫", "针织", "卫衣"),
}


# A nickname: two characters of a product name + the garment word (冰丝裤, 鹅绒服, 碎花裙, 羊毛外套).
_NICKNAME = re.compile(r"([\u4e00-\u9fff]{2})(裤|裙|服|衫|衣|外套|夹克|马甲|t恤|t)")


@dataclass(slots=True)
class Mention:
    product_ids: list[str]
    kind: str  # link / name / short_name / category / piece / nickname / noun / fuzzy
    span: tuple[int, int] | None = None


def blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


class ProductResolver:
    """Finds the products a comment names, and the one a parsed question is about, in one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # exact aliases, longest first: (alias lowercased, kind, product ids)
        aliases: dict[str, tuple[str, list[str]]] = {}
        for p in catalog.products:
            for alias, kind in ((p.name, "name"), (p.short_name, "short_name")):
                aliases[alias.lower()] = (kind, [p.id])
        for category in catalog.categories:
            ids = [p.id for p in catalog.by_category(category)]
            aliases.setdefault(category.lower(), ("category", ids))
        self._aliases = sorted(aliases.items(), key=lambda kv: len(kv[0]), reverse=True)
        # every 3+ character piece of a name or short name -> products (摇粒绒 -> 摇粒绒外套)
        self._pieces: dict[str, list[str]] = {}
        for p in catalog.products:
            for alias in {p.short_name.lower(), p.name.lower()}:
                for i in range(len(alias)):
                    for j in range(i + 3, len(alias) + 1):
                        ids = self._pieces.setdefault(alias[i:j], [])
                        if p.id not in ids:
                            ids.append(p.id)
        self._longest_piece = max((len(k) for k in self._pieces), default=0)
        self._fuzzy_choices = {p.id: p.short_name.lower() for p in catalog.products}
        self._fuzzy_names = {p.id: p.name.lower() for p in catalog.products}

    # -- product mentions --------------------------------------------------------------------------

    def numeric_sizes(self, slots: Slots, mention: Mention | None, current: str | None) -> None:
        """A bare number that is a size of the product in question (浅蓝26, 黑色32有吗) is a size."""
        if slots.sizes or not slots.numbers:
            return
        pid = mention.product_ids[0] if mention is not None and mention.product_ids else current
        product = self.catalog.get(pid)
        if product is None:
            return
        for n in slots.numbers:
            if str(n) in product.sizes:
                slots.sizes.append(str(n))
                return

    def mention(self, low: str, slots: Slots) -> tuple[Mention | None, str]:
        """The product named in the comment (if any) and the comment with that name blanked out."""
        if slots.link_nos:
            ids = [p.id for n in slots.link_nos if (p := self.catalog.by_link_no(n)) is not None]
            return Mention(ids, "link"), self._blank_aliases(low)
        for alias, (kind, ids) in self._aliases:
            i = low.find(alias)
            if i >= 0:
                span = (i, i + len(alias))
                if kind == "category":
                    ids = [p.id for p in self.catalog.products if alias in self._haystack(p)]
                return Mention(self._rank(ids, low, span), kind, span), blank(low, span)
        piece = self._piece(low)
        if piece is not None:
            return piece, blank(low, piece.span) if piece.span else low
        nickname = self._nickname(low)
        if nickname is not None and nickname.span is not None:
            return nickname, blank(low, nickname.span)
        for noun, marks in _GARMENT_NOUNS.items():
            i = low.find(noun)
            if i >= 0:
                ids = [
                    p.id for p in self.catalog.products if any(m.lower() in self._haystack(p) for m in marks)
                ]
                if ids:
                    span = (i, i + len(noun))
                    return Mention(self._rank(ids, low, span), "noun", span), low
        fuzzy = self._fuzzy(low)
        if fuzzy is not None:
            return fuzzy, blank(low, fuzzy.span) if fuzzy.span else low
        return None, low

    def _piece(self, low: str) -> Mention | None:
        """The longest piece of a product name in the comment (4+ characters, or 3 without 这件/这个)."""
        shortest = 3 if not PRONOUN.search(low) else 4
        for length in range(min(len(low), self._longest_piece), shortest - 1, -1):
            for i in range(len(low) - length + 1):
                ids = self._pieces.get(low[i : i + length])
                if ids:
                    span = (i, i + length)
                    return Mention(self._rank(list(ids), low, span), "piece", span)
        return None

    def _nickname(self, low: str) -> Mention | None:
        """A name viewers coin from two characters of a product's name and its garment word: 冰丝裤
        (冰丝阔腿裤), 鹅绒服 (鹅绒羽绒服), 碎花裙. Only when exactly one product has both."""
        for m in _NICKNAME.finditer(low):
            word, garment = m.group(1), m.group(2)
            ids = [
                p.id
                for p in self.catalog.products
                if word in f"{p.short_name}|{p.name}".lower() and garment in self._haystack(p)
            ]
            if len(ids) == 1:
                return Mention(ids, "nickname", m.span())
        return None

    def _rank(self, ids: list[str], low: str, span: tuple[int, int]) -> list[str]:
        """Order the products a vague mention could mean; the best-fitting ones first, ties kept.

        Evidence: 男款/男士 or 女款 in the comment (gender), two-character pieces of the rest of the comment
        found in a product's short name or name (那个轻薄的羽绒服 -> 轻薄羽绒服), and the mention being part
        of the short name rather than only of the full name."""
        if len(ids) < 2:
            return ids
        want = "男" if _MALE.search(low) else "女" if _FEMALE.search(low) else None
        rest = low[: span[0]] + " " + low[span[1] :]
        pairs = {rest[i : i + 2] for i in range(len(rest) - 1)} - _COMMON_PAIRS
        mentioned = low[span[0] : span[1]]

        def score(pid: str) -> float:
            p = self.catalog.product(pid)
            names = f"{p.short_name}|{p.name}".lower()
            value = float(sum(1 for pair in pairs if pair.strip() == pair and pair in names))
            if mentioned in p.short_name.lower():
                value += 0.5
            if want is not None:
                value += 2 if p.gender == want else 1 if p.gender == "中性" else -2
            return value

        scored = sorted(((score(pid), i, pid) for i, pid in enumerate(ids)), key=lambda t: (-t[0], t[1]))
        top = scored[0][0]
        return [pid for value, _, pid in scored if value >= top]

    def _blank_aliases(self, low: str) -> str:
        for alias, _ in self._aliases:
            i = low.find(alias)
            if i >= 0:
                low = blank(low, (i, i + len(alias)))
        return low

    @staticmethod
    def _haystack(p: Product) -> str:
        return f"{p.category}|{p.name}|{p.short_name}".lower()

    def _fuzzy(self, low: str) -> Mention | None:
        """A near-miss of a short name or name (高腰牛仔 for 高腰牛仔裤), via rapidfuzz."""
        if len(low) < 3:
            return None
        best: tuple[float, str, tuple[int, int] | None] | None = None
        for choices in (self._fuzzy_choices, self._fuzzy_names):
            hit = process.extractOne(low, choices, scorer=fuzz.partial_ratio, score_cutoff=80)
            if hit is None:
                continue
            _, score, pid = hit
            alias = choices[pid]
            if len(alias) < 4:
                continue
            align = fuzz.partial_ratio_alignment(alias, low)
            span = (align.dest_start, align.dest_end) if align is not None else None
            if span is not None:
                window = low[span[0] : span[1]]
                # at least 3 characters of the alias in the window, in order
                common = sum(1 for ch in window if ch in alias)
                if common < 3:
                    continue
            if best is None or score > best[0]:
                best = (score, str(pid), span)
        if best is None:
            return None
        return Mention([best[1]], "fuzzy", best[2])

    # -- product resolution ------------------------------------------------------------------------

    def resolve(
        self,
        intent: str,
        mention: Mention | None,
        slots: Slots,
        current: str | None,
        pronoun: bool,
        aspects: tuple[str, ...],
        masked: str,
    ) -> tuple[str | None, str, list[str]]:
        """(product id or None, where it came from, the products a vague mention could mean)."""
        if current is not None and self.catalog.get(current) is None:
            current = None
        if intent in ("returns", "shop_faq", "chitchat", "handoff"):
            return None, "none", []
        named: str | None = None
        source = "none"
        candidates: list[str] = []
        if mention is not None and mention.kind == "link" and not mention.product_ids:
            return None, "link", []  # a link number that is not in the cart
        if mention is not None and mention.product_ids:
            candidates = list(mention.product_ids)
            if mention.kind in ("category", "noun", "piece") and len(candidates) > 1:
                named = current if current in candidates else candidates[0]
            elif mention.kind in ("category", "noun", "piece") and current in candidates:
                named = current
            else:
                named = candidates[0]
            source = mention.kind
        if intent == "shipping":
            # only when the answer depends on the product: presale / when this item ships
            about_item = "presale" in aspects or "ship_time" in aspects
            specific = about_item and (named is not None or pronoun or "presale" in aspects)
            if not specific or _SHOP_PREFIX.search(masked):
                return None, "none", []
        if intent == "coupon":
            specific = named is not None or pronoun or "final" in aspects or slots.quantity is not None
            if not specific or (
                named is None and not pronoun and set(aspects) & {"newbie", "fans", "stacking"}
            ):
                return None, "none", []
        if named is not None:
            return named, source, candidates
        if current is not None:
            return current, "current", []
        if slots.colors:
            owners = {p.id for c in slots.colors for p in self.catalog.by_color(c)}
            if len(owners) == 1:
                return owners.pop(), "color", []
        return None, "none", []
