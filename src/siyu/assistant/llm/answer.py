"""The model's answer or the rules': `answer_with_fallback`, and the assistant persona's system prompt.

The rule engine answers every question in-process; a chat model may phrase the answer instead, under three
constraints: it reads every product fact through the catalog tools, one time budget covers the whole
exchange, and a reply that is not grounded (``guard.py``) is replaced by the rules answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from siyu.assistant.llm.client import ChatClient
from siyu.assistant.llm.errors import LLMError
from siyu.assistant.llm.guard import ungrounded
from siyu.assistant.llm.tools import Tool

log = logging.getLogger(__name__)

__all__ = ["Source", "answer_with_fallback", "build_system_prompt"]

Source = Literal["llm", "rules"]


async def answer_with_fallback(
    client: ChatClient | None,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Tool],
    fallback: str,
    facts: Iterable[str] = (),
) -> tuple[str, Source]:
    """The model's answer if it is usable, else `fallback` (the rule engine's answer).

    Returns (text, "llm") or (fallback, "rules"); the rules answer is used when the client is absent or
    disabled, on any `LLMError`, on a truncated reply, and on a reply that is not `grounded` in the tool
    results plus `facts`. Never raises for a model failure.
    """
    if client is None or not client.settings.enabled:
        log.debug("assistant answer from the rules: LLM disabled")
        return fallback, "rules"
    try:
        reply = await client.complete(messages, tools)
    except LLMError as e:
        log.info("assistant answer from the rules: %s (%s)", e.code.value, e.message)
        return fallback, "rules"
    except Exception:
        log.exception("assistant answer from the rules: the LLM client failed unexpectedly")
        return fallback, "rules"
    if reply.finish_reason == "length":
        log.info("assistant answer from the rules: the LLM reply was cut at max_tokens")
        return fallback, "rules"
    invented = ungrounded(reply.text, [*facts, *reply.facts()])
    if invented:
        log.info(
            "assistant answer from the rules: the LLM reply states %s, found in no tool result or fact",
            ", ".join(invented),
        )
        return fallback, "rules"
    return reply.text.strip(), "llm"


def build_system_prompt(
    shop_name: str, host_name: str = "主播", *, product: str | None = None, max_chars: int = 60
) -> str:
    """The Chinese system prompt of the live-room assistant persona.

    `product` describes the product on screen (e.g. "3号链接 加绒阔腿裤"); pass the same text in the facts
    of `answer_with_fallback` so that the reply may repeat its numbers.
    """
    lines = [
        f"你是「{shop_name}」直播间的助播小助手，帮{host_name}回答观众在评论区的提问。",
        f"1. 像直播间助播一样说话：亲切、热情、口语化，可以称呼观众“宝宝”，每次回答不超过{max_chars}个字，"
        "不用Markdown和列表。",
        "2. 商品的价格、库存、尺码、颜色、面料、优惠券、发货和售后等信息，必须先调用工具查询，"
        "只说工具返回的内容，不凭记忆或猜测。",
        "3. 工具没有返回的库存、价格、尺码一律不说，不承诺“有货”“马上补货”“一定能抢到”。",
        "4. 工具查不到或返回错误时，就说“这个我帮你问问主播哦”，不要编造。",
        "5. 下单、改地址、退换货、物流异常和投诉等问题，请观众联系客服处理。",
        "6. 不评价其他商家，不回答与直播间购物无关的话题。",
    ]
    if product:
        lines.append(f"当前讲解的商品：{product}。观众说“这件”“这个”时指的就是它。")
    return "\n".join(lines)
