"""A fake OpenAI Chat Completions server for the LLM client tests: FastAPI on uvicorn on 127.0.0.1.

It speaks the documented protocol (POST /v1/chat/completions, `Authorization: Bearer KEY`, the request and
response bodies, `{"error": {...}}` bodies with 400/401/429/500) and checks the request the way the real
API does (a `tool` message must answer a tool call of the preceding assistant message, and every tool call
must be answered). Each test scripts it with a queue of `FakeResponse`s or a `responder` that decides from
the request; `requests` records what it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

MODEL = "fake-model"
API_KEY = "sk-test-0123456789"


@dataclass
class FakeResponse:
    """What the fake answers: a JSON-able `body` (dict or list) or raw bytes/str, after `delay_s`."""

    status: int = 200
    body: Any = None
    delay_s: float = 0.0
    content_type: str = "application/json"


@dataclass
class Recorded:
    """One request the fake received (also the ones it rejected, with the status it returned)."""

    headers: dict[str, str]
    body: Any
    status: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body["messages"]
        return messages

    def tool_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("role") == "tool"]


Responder = Callable[[Recorded], FakeResponse | Awaitable[FakeResponse]]

_ids = itertools.count(1)


# -- response builders ---------------------------------------------------------------------------------


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """One entry of `message.tool_calls`; `arguments` is a JSON string on the wire (a str is sent as is)."""
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments).decode()
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion(
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    model: str = MODEL,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if finish_reason is None:
        finish_reason = "tool_calls" if tool_calls else "stop"
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
    }


def text(content: str, *, delay_s: float = 0.0, finish_reason: str = "stop") -> FakeResponse:
    return FakeResponse(200, completion(content, finish_reason=finish_reason), delay_s)


def tools(*calls: dict[str, Any], content: str | None = None, delay_s: float = 0.0) -> FakeResponse:
    return FakeResponse(200, completion(content, list(calls)), delay_s)


def error(status: int, message: str, type_: str, code: str | None = None) -> FakeResponse:
    return FakeResponse(status, {"error": {"message": message, "type": type_, "param": None, "code": code}})


# -- protocol checks -----------------------------------------------------------------------------------


def protocol_error(body: Any) -> str | None:
    """Why the real API would answer 400 to this body, or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array"
    pending: set[str] = set()  # tool calls of the last assistant message not answered yet
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in ("system", "user", "assistant", "tool"):
            return f"messages[{i}].role is invalid"
        if role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending:
                return (
                    f"messages[{i}]: messages with role 'tool' must be a response to a preceding message "
                    "with 'tool_calls'"
                )
            if not isinstance(m.get("content"), str):
                return f"messages[{i}].content must be a string"
            pending.discard(call_id)
            continue
        if pending:
            return (
                f"an assistant message with 'tool_calls' must be followed by tool messages: {sorted(pending)}"
            )
        if role == "assistant" and m.get("tool_calls"):
            for call in m["tool_calls"]:
                if call.get("type") != "function" or not isinstance(call["function"].get("arguments"), str):
                    return f"messages[{i}].tool_calls is invalid"
                pending.add(call["id"])
        elif not isinstance(m.get("content"), str):
            return f"messages[{i}].content must be a string"
    if pending:
        return f"tool calls without a tool message: {sorted(pending)}"
    specs = body.get("tools")
    if specs is not None:
        if not isinstance(specs, list) or not specs:
            return "tools must be a non-empty array"
        for spec in specs:
            fn = spec.get("function") if isinstance(spec, dict) else None
            if (
                spec.get("type") != "function"
                or not isinstance(fn, dict)
                or not isinstance(fn.get("name"), str)
            ):
                return "tools[].function.name is required"
            if fn.get("parameters", {}).get("type") != "object":
                return "tools[].function.parameters must be a JSON schema object"
    elif "tool_choice" in body:
        return "tool_choice is only allowed when tools are specified"
    return None


# -- server --------------------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:  # the test runner owns the signals
        yield


class FakeOpenAI:
    """`async with FakeOpenAI() as fake:`; point the client at `fake.base_url` with `fake.api_key`."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.queue: deque[FakeResponse] = deque()
        self.responder: Responder | None = None
        self.port = 0
        self._stopping = asyncio.Event()
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = FastAPI()
        self.app.add_api_route("/v1/chat/completions", self._handle, methods=["POST"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *responses: FakeResponse) -> None:
        self.queue.extend(responses)

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw
        recorded = Recorded(dict(request.headers), body)
        self.requests.append(recorded)
        reply = await self._decide(request, recorded)
        recorded.status = reply.status
        if reply.delay_s:
            with contextlib.suppress(TimeoutError):  # stop() wakes the sleepers
                await asyncio.wait_for(self._stopping.wait(), reply.delay_s)
        content = reply.body if isinstance(reply.body, bytes | str) else orjson.dumps(reply.body)
        return Response(content, status_code=reply.status, media_type=reply.content_type)

    async def _decide(self, request: Request, recorded: Recorded) -> FakeResponse:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        problem = protocol_error(recorded.body)
        if problem is not None:
            return error(400, problem, "invalid_request_error")
        if self.responder is not None:
            reply = self.responder(recorded)
            return await reply if inspect.isawaitable(reply) else reply
        if self.queue:
            return self.queue.popleft()
        return error(500, "fake: no scripted response left", "server_error")

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=5,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(), name="fake-openai")
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the fake OpenAI server stopped during start-up")
            await asyncio.sleep(0.005)
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
