"""Optional OpenAI-compatible chat client for the live-room assistant.

The rule engine answers every question in-process; this module lets a chat model phrase the answer instead,
under three constraints (docs/architecture.md, "AI assistant"):

- the model gets the catalog functions as tools and must read every product fact through them;
- one strict time budget (`LLMSettings.timeout_s`) covers the whole exchange, tool rounds included;
- `grounded` rejects a reply that mentions a number or a size that no tool result or known fact contains,
  and `answer_with_fallback` then sends the rule engine's answer instead.

The wire protocol is the documented Chat Completions API: POST {base_url}/chat/completions with
`Authorization: Bearer KEY`. Nothing is retried: a retry would not fit the time budget, and the rules answer
is always there.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import TracebackType
from typing import Any, Literal, Self

import httpx
import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

log = logging.getLogger(__name__)

__all__ = [
    "ChatClient",
    "LLMError",
    "LLMErrorCode",
    "LLMReply",
    "LLMSettings",
    "Source",
    "Tool",
    "ToolCall",
    "answer_with_fallback",
    "build_system_prompt",
    "grounded",
    "ungrounded",
]


# -- settings ------------------------------------------------------------------------------------------

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class LLMSettings(BaseModel):
    """Connection and behaviour of the optional model; off unless `enabled` is set.

    `timeout_s` bounds one whole question (every request and every tool call of the exchange), not one
    request. 1.5 s because the rules answer is already computed (in milliseconds) and a live-room answer is
    only useful while the question is still on the asker's screen: the comment stream scrolls past within a
    few seconds. A grounded answer usually takes two round-trips (tool call, then the answer), which a
    small fast model does in well under a second each; whatever takes longer is dropped for the rules answer.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    base_url: str = "https://api.openai.com/v1"
    model: str = Field("gpt-4o-mini", min_length=1, max_length=200)
    # empty: no Authorization header (some self-hosted OpenAI-compatible servers need none)
    api_key: SecretStr = SecretStr("")
    timeout_s: float = Field(1.5, gt=0, le=30)
    max_tool_rounds: int = Field(3, ge=1, le=10)
    # low: the answer must restate tool results, not be creative
    temperature: float = Field(0.3, ge=0, le=2)
    # live-room answers are one or two short sentences; a small cap also bounds the generation time
    max_tokens: int = Field(200, ge=16, le=4096)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        try:
            url = _HTTP_URL.validate_python(value.strip())
        except ValidationError as e:
            raise ValueError(f"base_url: {e.errors()[0]['msg']} (e.g. https://api.openai.com/v1)") from None
        if url.query or url.fragment or url.username or url.password:
            raise ValueError("base_url must not carry a query, a fragment or credentials (use api_key)")
        return str(url).rstrip("/")


# -- errors --------------------------------------------------------------------------------------------


class LLMErrorCode(StrEnum):
    TIMEOUT = "llm_timeout"
    AUTH = "llm_auth"
    RATE_LIMITED = "llm_rate_limited"
    UNAVAILABLE = "llm_unavailable"
    BAD_RESPONSE = "llm_bad_response"
    TOO_MANY_TOOL_ROUNDS = "llm_too_many_tool_rounds"
    DISABLED = "llm_disabled"


class LLMError(Exception):
    """Any failure of the model exchange; `code` is one of `LLMErrorCode`, `status` the HTTP status if any."""

    def __init__(self, code: LLMErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.status = status


# -- tools ---------------------------------------------------------------------------------------------

ToolHandler = Callable[[dict[str, Any]], Any | Awaitable[Any]]

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # the API's constraint on function names


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call.

    `handler` receives the parsed arguments (a dict) and returns a JSON-serialisable result; it may be a
    plain function or a coroutine function. Plain functions run inline on the event loop, so they must be
    fast (the catalog lookups are in-memory). An exception from the handler is reported to the model as an
    error result, never raised to the caller.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    handler: ToolHandler

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must match {_TOOL_NAME.pattern}")
        if self.parameters.get("type") != "object":
            raise ValueError(f"tool {self.name}: parameters must be a JSON schema with type 'object'")

    def spec(self) -> dict[str, Any]:
        """The entry of the request's `tools` array."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model made and what it was given back.

    `error` is None when the handler ran and its result was sent; otherwise one of unknown_tool,
    bad_arguments, tool_failed, bad_result, and `result` is the error object that was sent instead.
    `content` is the exact `tool` message content (JSON text).
    """

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    result: Any
    content: str
    round: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class LLMReply:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    requests: int = 1
    finish_reason: str | None = None
    model: str | None = None

    def facts(self) -> list[str]:
        """The results of the successful tool calls, as JSON text: what the reply may state."""
        return [c.content for c in self.tool_calls if c.ok]


# -- client --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RequestedCall:
    id: str
    name: str
    arguments: str
    wire: dict[str, Any]  # as echoed back in the assistant message


class ChatClient:
    """One `httpx.AsyncClient` to an OpenAI-compatible server; use as `async with ChatClient(s) as c`."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        key = settings.api_key.get_secret_value()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.AsyncClient(
            base_url=settings.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Tool] = ()) -> LLMReply:
        """Run the exchange: request, run the tools the model asks for, send their results, repeat.

        At most `max_tool_rounds` rounds of tool calls; if the model still asks for tools after the last
        one, `llm_too_many_tool_rounds`. The whole exchange is bounded by `timeout_s` (`llm_timeout`).
        `messages` is not modified.
        """
        s = self.settings
        if not s.enabled:
            raise LLMError(LLMErrorCode.DISABLED, "the LLM is disabled in the settings")
        by_name: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in by_name:
                raise ValueError(f"two tools are named {tool.name!r}")
            by_name[tool.name] = tool
        conversation = [dict(m) for m in messages]
        try:
            async with asyncio.timeout(s.timeout_s):
                return await self._exchange(conversation, by_name)
        except TimeoutError:
            raise LLMError(LLMErrorCode.TIMEOUT, f"no answer within {s.timeout_s:g} s") from None

    async def _exchange(self, conversation: list[dict[str, Any]], tools: dict[str, Tool]) -> LLMReply:
        s = self.settings
        body: dict[str, Any] = {
            "model": s.model,
            "messages": conversation,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }
        if tools:  # the API refuses an empty tools array
            body["tools"] = [t.spec() for t in tools.values()]
            body["tool_choice"] = "auto"
        made: list[ToolCall] = []
        for request_no in range(1, s.max_tool_rounds + 2):
            data = await self._post(body)
            message, finish_reason = _first_message(data)
            content = message.get("content")
            requested = _requested_calls(message)
            if not requested:
                text = content or ""
                if not text.strip():
                    raise LLMError(LLMErrorCode.BAD_RESPONSE, "the reply has neither text nor tool calls")
                model = data.get("model")
                return LLMReply(
                    text=text,
                    tool_calls=made,
                    requests=request_no,
                    finish_reason=finish_reason,
                    model=model if isinstance(model, str) else None,
                )
            if request_no > s.max_tool_rounds:
                raise LLMError(
                    LLMErrorCode.TOO_MANY_TOOL_ROUNDS,
                    f"the model still calls tools after {s.max_tool_rounds} rounds",
                )
            conversation.append(
                {"role": "assistant", "content": content, "tool_calls": [c.wire for c in requested]}
            )
            for call in requested:
                done = await _run_tool(call, tools, request_no)
                made.append(done)
                conversation.append({"role": "tool", "tool_call_id": call.id, "content": done.content})
        raise AssertionError("unreachable: the loop returns or raises")

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post("chat/completions", content=orjson.dumps(body))
        except httpx.TimeoutException as e:
            raise LLMError(LLMErrorCode.TIMEOUT, f"HTTP timeout: {type(e).__name__}") from e
        except httpx.DecodingError as e:
            raise LLMError(LLMErrorCode.BAD_RESPONSE, f"undecodable body: {e}") from e
        except httpx.RequestError as e:
            raise LLMError(
                LLMErrorCode.UNAVAILABLE, f"cannot reach {self.settings.base_url}: {type(e).__name__} {e}"
            ) from e
        if response.status_code != 200:
            raise _status_error(response)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError as e:
            raise LLMError(LLMErrorCode.BAD_RESPONSE, f"the body is not JSON: {e}", status=200) from None
        if not isinstance(data, dict):
            raise LLMError(LLMErrorCode.BAD_RESPONSE, "the body is not a JSON object", status=200)
        if data.get("error"):
            raise _bad(f"error in a 200 body: {_error_message(data)}")
        return data


def _error_message(data: Any) -> str:
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])[:300]
    if isinstance(err, str):
        return err[:300]
    return "no error message"


def _status_error(response: httpx.Response) -> LLMError:
    status = response.status_code
    try:
        detail = _error_message(orjson.loads(response.content))
    except orjson.JSONDecodeError:
        detail = response.text[:300] or "empty body"
    message = f"HTTP {status}: {detail}"
    if status in (401, 403):
        code = LLMErrorCode.AUTH
    elif status == 429:
        code = LLMErrorCode.RATE_LIMITED
    elif status == 408:
        code = LLMErrorCode.TIMEOUT
    elif status >= 500:
        code = LLMErrorCode.UNAVAILABLE
    else:  # 400, 404 (unknown model), 3xx...: the server did not give a usable answer
        code = LLMErrorCode.BAD_RESPONSE
    return LLMError(code, message, status=status)


def _bad(message: str) -> LLMError:
    return LLMError(LLMErrorCode.BAD_RESPONSE, message, status=200)


def _first_message(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _bad("no choices in the reply")
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise _bad("the first choice has no message")
    message: dict[str, Any] = choice["message"]
    if message.get("content") is not None and not isinstance(message["content"], str):
        raise _bad("the message content is not text")
    finish_reason = choice.get("finish_reason")
    return message, finish_reason if isinstance(finish_reason, str) else None


def _requested_calls(message: dict[str, Any]) -> list[_RequestedCall]:
    raw = message.get("tool_calls")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("tool_calls is not a list")
    calls = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(function, dict):
            raise _bad("a tool call has no function")
        call_id, name, arguments = item.get("id"), function.get("name"), function.get("arguments")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str):
            raise _bad("a tool call has no id or no function name")
        if isinstance(arguments, dict):  # some compatible servers send the object itself
            arguments = orjson.dumps(arguments).decode()
        elif arguments is None:
            arguments = ""
        elif not isinstance(arguments, str):
            arguments = str(arguments)
        wire = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        calls.append(_RequestedCall(call_id, name, arguments, wire))
    return calls


def _parse_arguments(raw: str) -> dict[str, Any] | None:
    if not raw.strip():  # a call without arguments; some servers send "" rather than "{}"
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


async def _run_tool(call: _RequestedCall, tools: dict[str, Tool], round_no: int) -> ToolCall:
    """Run one requested call; every failure becomes an error object sent back to the model."""
    arguments = _parse_arguments(call.arguments)
    error: str | None = None
    result: Any
    tool = tools.get(call.name)
    if tool is None:
        error = "unknown_tool"
        available = "、".join(tools) or "无"
        result = {"error": error, "message": f"没有名为「{call.name}」的工具，可用的工具：{available}。"}
    elif arguments is None:
        error = "bad_arguments"
        result = {"error": error, "message": "参数必须是一个JSON对象，请按工具的参数说明重新调用。"}
    else:
        try:
            result = tool.handler(arguments)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            log.warning("tool %s failed on %s", call.name, call.arguments, exc_info=True)
            error = "tool_failed"
            result = {"error": error, "message": "工具执行出错，查不到这条信息，请不要猜测。"}
    try:
        content = orjson.dumps(result).decode()
    except TypeError:
        log.warning("tool %s returned a result that is not JSON-serialisable: %r", call.name, result)
        error = "bad_result"
        result = {"error": error, "message": "工具返回的结果无法读取，查不到这条信息，请不要猜测。"}
        content = orjson.dumps(result).decode()
    if error is not None and error != "tool_failed":
        log.info("tool call %s(%s) answered with %s", call.name, call.arguments[:200], error)
    return ToolCall(call.id, call.name, call.arguments, arguments, result, content, round_no, error)


# -- grounding guard -----------------------------------------------------------------------------------

# letter sizes (S, M, XL, XXL, 2XL, 3XL, XS...) not glued to other Latin letters or digits
_LETTER_SIZE = re.compile(r"(?<![A-Za-z0-9])([2-6]XL|X{1,4}L|X{1,3}S|[SML])(?![A-Za-z])", re.IGNORECASE)
_ONE_SIZE = re.compile(r"均码|均碼")
_ARABIC = re.compile(r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?")
# Chinese numerals count when a unit that carries a fact follows (price, quantity, size, body, time):
# 三件, 一百五十九元, 两天; not 一起, 十分, 百搭, 一款 (which are not facts)
_CHINESE = re.compile(
    r"([零〇一二两三四五六七八九十百千万]+)(?=元|块|件|单|份|套|条|码|號|号|斤|公斤|天|小时|分钟|折|厘米|米"
    r"|cm)"
)
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _chinese_int(text: str) -> int:
    if not any(c in _CN_UNITS or c == "万" for c in text):  # digit by digit: 一五九
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[c]
            digit = 0
        else:  # 万
            total += (section + digit) * 10_000
            section = digit = 0
    return total + section + digit


def _canonical_number(raw: str) -> str | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.normalize())


def _canonical_size(raw: str) -> str:
    raw = raw.upper()
    x = raw.count("X")
    if raw[0].isdigit() or x <= 1:
        return raw
    return f"{x}X{raw[-1]}"  # XXL → 2XL, XXXL → 3XL, XXS → 2XS


def _tokens(text: str) -> dict[str, str]:
    """Fact-bearing tokens of `text`: canonical key → how it was written (first occurrence)."""
    found: dict[str, str] = {}
    text = unicodedata.normalize("NFKC", text)

    def size(m: re.Match[str]) -> str:
        found.setdefault("size:" + _canonical_size(m.group(1)), m.group(1))
        return " "

    def one_size(m: re.Match[str]) -> str:
        found.setdefault("size:均码", m.group(0))
        return " "

    text = _LETTER_SIZE.sub(size, text)  # before the numbers: the 3 of 3XL is not a number
    text = _ONE_SIZE.sub(one_size, text)
    for m in _ARABIC.finditer(text):
        number = _canonical_number(m.group(0))
        if number is not None:
            found.setdefault("num:" + number, m.group(0))
    for m in _CHINESE.finditer(text):
        found.setdefault(f"num:{_chinese_int(m.group(1))}", m.group(1))
    return found


def ungrounded(text: str, facts: Iterable[str]) -> list[str]:
    """The numbers and sizes of `text` found in none of `facts`, as written in `text` (empty: grounded)."""
    known: set[str] = set()
    for fact in facts:
        known.update(_tokens(fact))
    return [written for key, written in _tokens(text).items() if key not in known]


def grounded(text: str, facts: Iterable[str]) -> bool:
    """Whether every number (159, 159元, 1.5, 三件) and size (M, XXL = 2XL, 3XL, 26码, 均码) of the model's
    `text` appears in `facts` (tool results as JSON text, and fact strings the caller knows to be true).

    Token-level: it stops invented prices, stock counts and sizes, not a wrong pairing of true facts (an
    L size with the M stock). Numbers the viewer gave (height, weight) count only if passed as facts.
    """
    return not ungrounded(text, facts)


# -- answering -----------------------------------------------------------------------------------------

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
