"""The assistant's state in one live room: answers, the host's question groups, companion mode.

Everything here is synchronous and in memory. Every node of a room runs the same analysis on the same
room stream (the catalog, the pinned product and the stock all follow that stream), so every host
console sees the same groups whichever node it is connected to; only the asker's node answers the asker.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from siyu.assistant.engine import Answer, Assistant
from siyu.assistant.llm import ChatClient, Tool, answer_with_fallback, build_system_prompt
from siyu.catalog import Catalog, Product, money
from siyu.config import AssistantSettings

log = logging.getLogger(__name__)

GROUP_WINDOW_S = 120.0
"""Questions with the same key within this window form one group on the host console."""
MAX_GROUPS = 200
_KIND_WORDS = frozenset({"thanks", "bought", "feedback", "praise", "like", "support", "laugh"})
"""Chitchat readings whose own first line (谢谢宝宝的支持) leads the companion reply."""
MEMO = 2000

_INTENT_LABEL = {
    "stock": "有没有货",
    "size_advice": "穿什么码",
    "price": "多少钱",
    "material": "面料材质",
    "shipping": "发货物流",
    "returns": "退换货",
    "color": "有哪些颜色",
    "coupon": "优惠券",
    "product_info": "商品详情",
    "shop_faq": "店铺问题",
    "handoff": "需要人工处理",
    "chitchat": "闲聊",
}


@dataclass(slots=True)
class Group:
    """Viewers asking the same thing (same intent, product and slots)."""

    key: str
    label: str
    intent: str
    product_id: str | None
    suggested: str
    priority: str
    handoff: bool
    seqs: list[int] = field(default_factory=list)
    users: set[str] = field(default_factory=set)
    last: float = 0.0
    answered: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": "question_group",
            "key": self.key,
            "label": self.label,
            "count": len(self.users),
            "intent": self.intent,
            "product_id": self.product_id,
            "suggested": self.suggested,
            "priority": self.priority,
            "handoff": self.handoff,
            "seqs": self.seqs[-50:],
            "answered": self.answered,
        }


class RoomAssistant:
    def __init__(
        self, catalog: Catalog | None, host_name: str = "主播", settings: AssistantSettings | None = None
    ) -> None:
        self.settings = settings or AssistantSettings()
        if not self.settings.enabled:
            catalog = None
        self.catalog = catalog
        self.engine = Assistant(catalog) if catalog is not None else None
        if self.engine is not None:
            # jieba loads its dictionary on first use (~1 s): pay it when the room loads, not on the
            # first viewer's question
            self.engine.ask("这件有XL码吗", None)
        self.host_name = host_name or "主播"
        self.groups: OrderedDict[str, Group] = OrderedDict()
        self._group_of: OrderedDict[int, str] = OrderedDict()
        self._memo: OrderedDict[int, Answer] = OrderedDict()
        self.host_status = "live"
        self.llm: ChatClient | None = None
        self._tools: list[Tool] = []
        if catalog is not None and self.settings.llm.enabled:
            from siyu.assistant.llm_tools import catalog_tools

            self.llm = ChatClient(self.settings.llm)
            self._tools = catalog_tools(catalog)
        self._companion_turn = 0

    # --- answers ---------------------------------------------------------------------------------

    def analyse(self, seq: int, text: str, current: str | None) -> Answer | None:
        """The assistant's reading of comment `seq` (memoised: observe and the asker's node share it)."""
        if self.engine is None:
            return None
        got = self._memo.get(seq)
        if got is None:
            got = self.engine.ask(text, current)
            self._memo[seq] = got
            if len(self._memo) > MEMO:
                self._memo.popitem(last=False)
        return got

    def wants_answer(self, answer: Answer, question: bool) -> bool:
        """Plain chat is not answered; product and shop questions are, even without a question mark. While
        the host is busy or away, chat is answered too (:meth:`companion_reply`)."""
        return answer.intent != "chitchat" or question or self.host_status != "live"

    def companion_reply(self, answer: Answer) -> str | None:
        """While the host is busy or away, a chitchat comment (主播去哪了, 主播好美, 已拍) gets a short
        companion line instead of waiting for the host; None while she is live or for other intents."""
        if answer.intent != "chitchat" or self.host_status == "live" or self.engine is None:
            return None
        away = "在忙，马上回来" if self.host_status == "busy" else "暂时离开一下，很快回来"
        tail = f"{self.host_name}{away}哦，助理先陪着宝宝，有尺码、库存、发货问题直接问我💕"
        if answer.slots.get("aspect") in _KIND_WORDS:
            first = answer.answer.split("～")[0]
            return f"{first}～{tail}"
        return f"宝宝好呀～{tail}"

    def note_question(self, seq: int, user_id: str, answer: Answer, now: float | None = None) -> Group:
        """Count the question into its group (the host console's "N 人在问")."""
        now = time.monotonic() if now is None else now
        g = self.groups.get(answer.key)
        if g is not None and self._group_of.get(seq) == answer.key:
            return g  # counted already (the asker's node and the room stream both report it)
        if g is None or now - g.last > GROUP_WINDOW_S or g.answered:
            g = Group(
                key=answer.key,
                label=self.label(answer),
                intent=answer.intent,
                product_id=answer.product_id,
                suggested=answer.suggested or answer.answer,
                priority="high" if answer.needs_host else "normal",
                handoff=answer.handoff,
            )
            self.groups[answer.key] = g
        self.groups.move_to_end(answer.key)
        g.seqs.append(seq)
        g.users.add(user_id)
        g.last = now
        self._group_of[seq] = answer.key
        while len(self._group_of) > MEMO:
            self._group_of.popitem(last=False)
        while len(self.groups) > MAX_GROUPS:
            self.groups.popitem(last=False)
        return g

    def answered_group(self, question_seq: int) -> Group | None:
        """A host reply to one question answers its whole group."""
        key = self._group_of.get(question_seq)
        g = self.groups.get(key) if key is not None else None
        if g is None or g.answered:
            return None
        g.answered = True
        return g

    def snapshot(self) -> list[dict[str, Any]]:
        live = [g for g in self.groups.values() if not g.answered]
        live.sort(key=lambda g: (g.priority != "high", -len(g.users)))
        return [g.to_wire() for g in live[:50]]

    def label(self, answer: Answer) -> str:
        """"黑色XL 有没有货" style: product, colour and size, then what is asked."""
        parts = []
        product = self.catalog.get(answer.product_id) if self.catalog is not None else None
        if product is not None:
            parts.append(f"{product.link_no}号 {product.short_name}")
        detail = "".join(str(answer.slots[k]) for k in ("color", "size") if answer.slots.get(k))
        if answer.slots.get("height_cm") and answer.slots.get("weight_jin"):
            detail += f"{answer.slots['height_cm']}cm {answer.slots['weight_jin']}斤"
        if detail:
            parts.append(detail)
        parts.append(_INTENT_LABEL.get(answer.intent, answer.intent))
        return " ".join(parts)

    async def llm_reply(self, question: str, rules: Answer, shop_name: str) -> tuple[str, str]:
        """Chitchat through the optional LLM (catalog tools, grounding guard, strict timeout); the rule
        engine's answer whenever the model fails, is off, or says something the catalog does not."""
        product = self.catalog.get(rules.product_id) if self.catalog is not None else None
        about = f"{product.link_no}号链接 {product.short_name}" if product is not None else None
        messages = [
            {"role": "system", "content": build_system_prompt(shop_name, self.host_name, product=about)},
            {"role": "user", "content": question},
        ]
        facts = [rules.answer, question] + ([about] if about else [])
        return await answer_with_fallback(self.llm, messages, self._tools, rules.answer, facts)

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()

    # --- companion mode --------------------------------------------------------------------------

    def companion_line(self, current: str | None) -> str | None:
        """While the host is busy or away: a line that keeps the room going, from catalog facts only (how
        often is the playbook's schedule)."""
        if self.host_status == "live" or self.catalog is None:
            return None
        lines = self._companion_lines(self.catalog.get(current))
        line = lines[self._companion_turn % len(lines)]
        self._companion_turn += 1
        return line

    def _companion_lines(self, product: Product | None) -> list[str]:
        host = self.host_name
        away = "马上回来" if self.host_status == "busy" else "暂时离开一下"
        lines = [f"宝宝们，{host}{away}～AI助理在线陪大家，有尺码、库存、发货问题直接发评论，秒回哦！"]
        if product is not None:
            sizes = "、".join(s for s in product.sizes if product.size_in_stock(s))
            lines.append(
                f"现在讲解的是{product.link_no}号链接「{product.short_name}」，直播间价{money(product.live_price)}元"
                f"（原价{money(product.price)}元）" + (f"，{sizes}码有货" if sizes else "，已经抢光啦")
                + "，喜欢的宝宝点左下角小黄车～"
            )
            lines.append(f"不知道{product.short_name}穿什么码？发「身高+体重」，比如 165 110斤，助理帮你挑～")
        coupons = [c for c in self.catalog.coupons if c.unconditional] if self.catalog else []
        if coupons:
            names = "、".join(c.name for c in coupons[:3])
            lines.append(f"新来的宝宝先领券：{names}，小黄车里领取，每单限用一张哦～")
        return lines

