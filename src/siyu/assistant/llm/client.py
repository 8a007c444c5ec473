"""Optional OpenAI-compatible chat client for the live-room assistant.

The wire protocol is the documented Chat Completions API: POST {base_url}/chat/completions with
`Authorization: Bearer KEY`. One strict time budget (`LLMSettings.timeout_s`) covers the whole exchange,
tool rounds included. Nothing is retried: a retry would not fit the time budget, and the rules answer is
always there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx
import orjson

from siyu.assistant.llm.errors import LLMError, LLMErrorCode
from siyu.assistant.llm.tools import LLMReply, RequestedCall, Tool, ToolCall, run_tool
from siyu.config import LLMSettings

__all__ = ["ChatClient"]


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
                done = await run_tool(call, tools, request_no)
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


def _requested_calls(message: dict[str, Any]) -> list[RequestedCall]:
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
        calls.append(RequestedCall(call_id, name, arguments, wire))
    return calls
