"""Tools the model may call, the calls it made, and its reply.

A tool's handler runs inline (or is awaited); every failure (unknown tool, bad arguments, a raising
handler, a result that is not JSON) becomes an error object sent back to the model, never an exception.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

log = logging.getLogger(__name__)

__all__ = ["LLMReply", "RequestedCall", "Tool", "ToolCall", "ToolHandler", "run_tool"]

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


@dataclass(frozen=True, slots=True)
class RequestedCall:
    id: str
    name: str
    arguments: str
    wire: dict[str, Any]  # as echoed back in the assistant message


def _parse_arguments(raw: str) -> dict[str, Any] | None:
    if not raw.strip():  # a call without arguments; some servers send "" rather than "{}"
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


async def run_tool(call: RequestedCall, tools: dict[str, Tool], round_no: int) -> ToolCall:
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
