"""The optional LLM client against a real local HTTP server speaking the Chat Completions protocol."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pydantic import SecretStr, ValidationError

from siyu.assistant.llm import (
    ChatClient,
    LLMError,
    LLMErrorCode,
    LLMSettings,
    Tool,
    answer_with_fallback,
    build_system_prompt,
    grounded,
    ungrounded,
)
from tests.assistant import fake_openai as fake
from tests.assistant.fake_openai import FakeOpenAI, FakeResponse, Recorded, tool_call

QUESTION = [
    {"role": "system", "content": build_system_prompt("晚晚的衣橱", "晚晚", product="3号链接 加绒阔腿裤")},
    {"role": "user", "content": "阔腿裤L码还有吗"},
]
RULES = "宝宝，L码的库存请以购物车显示为准哦～"
STOCK = {"product": "3号链接 加绒阔腿裤", "size": "L", "stock": 3, "live_price": 159}


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as s:
        yield s


def settings_for(server: FakeOpenAI | None = None, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "base_url": server.base_url if server else "http://127.0.0.1:9/v1",
        "model": fake.MODEL,
        "api_key": fake.API_KEY,
        "timeout_s": 5.0,  # generous: only the timeout tests measure time
    }
    values.update(overrides)
    return LLMSettings(**values)


class StockTool:
    """check_stock with a recording handler."""

    def __init__(self, result: Any = None, *, fail: bool = False) -> None:
        self.seen: list[dict[str, Any]] = []
        self.result = STOCK if result is None else result
        self.fail = fail
        self.tool = Tool(
            name="check_stock",
            description="查询商品某个尺码的库存和直播价",
            parameters={
                "type": "object",
                "properties": {
                    "product": {"type": "string", "description": "链接号或商品名"},
                    "size": {"type": "string", "description": "尺码，如 M、L、XL"},
                },
                "required": ["product"],
            },
            handler=self.handle,
        )

    def handle(self, args: dict[str, Any]) -> Any:
        self.seen.append(args)
        if self.fail:
            raise KeyError("no such product")
        return self.result


def coupon_tool(seen: list[dict[str, Any]]) -> Tool:
    async def handle(args: dict[str, Any]) -> dict[str, Any]:
        seen.append(args)
        await asyncio.sleep(0)
        return {"coupon": "满299减30", "threshold": 299, "amount": 30}

    return Tool(
        name="best_coupon",
        description="查询当前可用的最优优惠券",
        parameters={"type": "object", "properties": {}},
        handler=handle,
    )


def answer_from_stock(req: Recorded) -> FakeResponse:
    """A model that asks check_stock, then answers from the tool result it received."""
    last = req.messages[-1]
    if last["role"] == "user":
        return fake.tools(tool_call("call_stock_1", "check_stock", {"product": "3", "size": "L"}))
    result = orjson.loads(last["content"])
    return fake.text(f"宝宝，L码还有{result['stock']}件，直播价{result['live_price']}元，喜欢就拍哦～")


# -- the exchange --------------------------------------------------------------------------------------


async def test_text_reply(server: FakeOpenAI) -> None:
    server.enqueue(fake.text("欢迎宝宝来到直播间～"))
    async with ChatClient(settings_for(server, temperature=0.2, max_tokens=120)) as client:
        reply = await client.complete(QUESTION)
    assert reply.text == "欢迎宝宝来到直播间～"
    assert reply.tool_calls == [] and reply.requests == 1
    assert reply.finish_reason == "stop" and reply.model == fake.MODEL
    [req] = server.requests
    assert req.status == 200
    assert req.headers["authorization"] == f"Bearer {fake.API_KEY}"
    assert req.headers["content-type"] == "application/json"
    assert req.body == {"model": fake.MODEL, "messages": QUESTION, "temperature": 0.2, "max_tokens": 120}


async def test_one_tool_round(server: FakeOpenAI) -> None:
    server.responder = answer_from_stock
    stock = StockTool()
    messages = [dict(m) for m in QUESTION]
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(messages, [stock.tool])

    assert reply.text == "宝宝，L码还有3件，直播价159元，喜欢就拍哦～"
    assert stock.seen == [{"product": "3", "size": "L"}]
    assert messages == QUESTION  # the caller's list is not modified
    first, second = server.requests
    assert first.body["tools"] == [stock.tool.spec()]
    assert first.body["tools"][0]["function"]["name"] == "check_stock"
    assert first.body["tool_choice"] == "auto"
    assert first.messages == QUESTION
    # the second request replays the assistant's tool call and answers it with the same id
    assistant, tool_msg = second.messages[-2:]
    assert assistant["role"] == "assistant"
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_stock_1"]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_stock_1"
    assert orjson.loads(tool_msg["content"]) == STOCK
    assert second.status == 200  # the fake's protocol check accepted the tool message
    [call] = reply.tool_calls
    assert (call.id, call.name, call.arguments, call.result, call.ok) == (
        "call_stock_1",
        "check_stock",
        {"product": "3", "size": "L"},
        STOCK,
        True,
    )
    assert reply.requests == 2 and reply.facts() == [tool_msg["content"]]


async def test_two_tool_calls_in_one_round(server: FakeOpenAI) -> None:
    server.enqueue(
        fake.tools(
            tool_call("call_a", "check_stock", {"product": "3", "size": "M"}),
            tool_call("call_b", "best_coupon", "{}"),
        ),
        fake.text("M码还有3件，满299减30哦～"),
    )
    stock, coupon_seen = StockTool(), list[dict[str, Any]]()
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(QUESTION, [stock.tool, coupon_tool(coupon_seen)])
    assert reply.text == "M码还有3件，满299减30哦～"
    assert stock.seen == [{"product": "3", "size": "M"}] and coupon_seen == [{}]
    second = server.requests[1]
    assert second.status == 200
    assert [(m["tool_call_id"], orjson.loads(m["content"])) for m in second.tool_messages()] == [
        ("call_a", STOCK),
        ("call_b", {"coupon": "满299减30", "threshold": 299, "amount": 30}),
    ]
    assert [c.name for c in reply.tool_calls] == ["check_stock", "best_coupon"]
    assert {c.round for c in reply.tool_calls} == {1}


async def test_unknown_tool_is_reported_to_the_model(server: FakeOpenAI) -> None:
    server.enqueue(
        fake.tools(tool_call("call_x", "get_weather", {"city": "杭州"})),
        fake.text("这个我帮你问问主播哦"),
    )
    stock = StockTool()
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(QUESTION, [stock.tool])
    assert reply.text == "这个我帮你问问主播哦"
    [tool_msg] = server.requests[1].tool_messages()
    assert tool_msg["tool_call_id"] == "call_x"
    result = orjson.loads(tool_msg["content"])
    assert result["error"] == "unknown_tool" and "check_stock" in result["message"]
    assert reply.tool_calls[0].error == "unknown_tool" and not reply.tool_calls[0].ok
    assert reply.facts() == [] and stock.seen == []


@pytest.mark.parametrize("arguments", ['{"product": "3", "size":', '["3", "L"]', '"L"', "null"])
async def test_bad_arguments_are_reported_to_the_model(server: FakeOpenAI, arguments: str) -> None:
    server.enqueue(fake.tools(tool_call("call_bad", "check_stock", arguments)), fake.text("我帮你问问主播哦"))
    stock = StockTool()
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(QUESTION, [stock.tool])
    assert stock.seen == []  # the handler never sees arguments that are not an object
    [tool_msg] = server.requests[1].tool_messages()
    assert tool_msg["tool_call_id"] == "call_bad"
    assert orjson.loads(tool_msg["content"])["error"] == "bad_arguments"
    assert reply.tool_calls[0].error == "bad_arguments" and reply.tool_calls[0].raw_arguments == arguments


async def test_failing_handler_is_reported_to_the_model(server: FakeOpenAI) -> None:
    server.enqueue(
        fake.tools(tool_call("call_1", "check_stock", {"product": "99"})), fake.text("我帮你问问主播哦")
    )
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(QUESTION, [StockTool(fail=True).tool])
    assert orjson.loads(server.requests[1].tool_messages()[0]["content"])["error"] == "tool_failed"
    assert reply.tool_calls[0].error == "tool_failed"


async def test_unserialisable_result_is_reported_to_the_model(server: FakeOpenAI) -> None:
    server.enqueue(
        fake.tools(tool_call("call_1", "check_stock", {"product": "3"})), fake.text("我帮你问问主播哦")
    )
    async with ChatClient(settings_for(server)) as client:
        reply = await client.complete(QUESTION, [StockTool(result={1, 2}).tool])
    assert orjson.loads(server.requests[1].tool_messages()[0]["content"])["error"] == "bad_result"
    assert reply.tool_calls[0].error == "bad_result"


async def test_max_tool_rounds_exceeded(server: FakeOpenAI) -> None:
    rounds = iter(range(100))
    server.responder = lambda req: fake.tools(
        tool_call(f"call_{next(rounds)}", "check_stock", {"product": "3"})
    )
    stock = StockTool()
    async with ChatClient(settings_for(server, max_tool_rounds=2)) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION, [stock.tool])
    assert caught.value.code is LLMErrorCode.TOO_MANY_TOOL_ROUNDS
    assert caught.value.code.value == "llm_too_many_tool_rounds"
    assert len(server.requests) == 3 and len(stock.seen) == 2
    assert [m["tool_call_id"] for m in server.requests[2].tool_messages()] == ["call_0", "call_1"]


# -- failures ------------------------------------------------------------------------------------------


async def test_timeout(server: FakeOpenAI) -> None:
    server.enqueue(fake.text("太慢了", delay_s=10))
    async with ChatClient(settings_for(server, timeout_s=0.3)) as client:
        started = time.perf_counter()
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION)
        elapsed = time.perf_counter() - started
    assert caught.value.code == "llm_timeout"
    assert 0.25 < elapsed < 5.0  # gave up at its budget, not after the server's 10 s (generous: noisy CI)
    assert len(server.requests) == 1


async def test_timeout_covers_the_whole_exchange(server: FakeOpenAI) -> None:
    # each request alone fits in the budget, the tool round does not
    server.enqueue(
        fake.tools(tool_call("call_1", "check_stock", {"product": "3"}), delay_s=0.3),
        fake.text("L码还有3件", delay_s=0.3),
    )
    async with ChatClient(settings_for(server, timeout_s=0.45)) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION, [StockTool().tool])
    assert caught.value.code == "llm_timeout"
    assert len(server.requests) == 2  # the second request was cut off by the budget, not completed


async def test_slow_tool_counts_against_the_timeout(server: FakeOpenAI) -> None:
    async def slow(args: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(10)
        return {}

    server.enqueue(fake.tools(tool_call("call_1", "slow_lookup", {})))
    tool = Tool("slow_lookup", "慢查询", {"type": "object", "properties": {}}, slow)
    async with ChatClient(settings_for(server, timeout_s=0.3)) as client:
        started = time.perf_counter()
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION, [tool])
    assert caught.value.code == "llm_timeout" and time.perf_counter() - started < 5.0  # not the tool's 10 s


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (
            fake.error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            "llm_auth",
        ),
        (fake.error(403, "Your account is not allowed.", "permission_error"), "llm_auth"),
        (
            fake.error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded"),
            "llm_rate_limited",
        ),
        (
            fake.error(500, "The server had an error while processing your request.", "server_error"),
            "llm_unavailable",
        ),
        (fake.error(503, "The engine is currently overloaded.", "server_error"), "llm_unavailable"),
        (fake.error(404, "The model `gpt-x` does not exist", "invalid_request_error"), "llm_bad_response"),
    ],
)
async def test_http_errors(server: FakeOpenAI, response: FakeResponse, code: str) -> None:
    server.enqueue(response)
    async with ChatClient(settings_for(server)) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION)
    assert caught.value.code == code
    assert caught.value.status == response.status
    assert response.body["error"]["message"] in caught.value.message


async def test_wrong_api_key(server: FakeOpenAI) -> None:
    async with ChatClient(settings_for(server, api_key="sk-wrong")) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION)
    assert caught.value.code == "llm_auth" and "Incorrect API key" in caught.value.message
    assert "sk-wrong" not in str(caught.value)
    assert server.requests[0].headers["authorization"] == "Bearer sk-wrong"


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    async with ChatClient(settings_for(base_url=f"http://127.0.0.1:{port}/v1")) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION)
    assert caught.value.code == "llm_unavailable" and caught.value.status is None


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(200, b'{"id": "chatcmpl-1", "choices": [{"message": {"role": "assis'),
        FakeResponse(200, "<html>502 Bad Gateway</html>", content_type="text/html"),
        FakeResponse(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": fake.MODEL}),
        FakeResponse(200, {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}),
        FakeResponse(200, {"choices": [{"index": 0, "finish_reason": "stop"}]}),
        FakeResponse(200, [1, 2, 3]),
        FakeResponse(200, fake.completion("")),
        FakeResponse(200, fake.completion(None, [{"type": "function", "function": {"name": "check_stock"}}])),
        FakeResponse(200, {"error": {"message": "upstream failed", "type": "server_error"}}),
    ],
    ids=[
        "truncated",
        "html",
        "no-choices",
        "empty-choices",
        "no-message",
        "not-object",
        "empty-text",
        "call-without-id",
        "error-in-200",
    ],
)
async def test_malformed_body(server: FakeOpenAI, response: FakeResponse) -> None:
    server.enqueue(response)
    async with ChatClient(settings_for(server)) as client:
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION, [StockTool().tool])
    assert caught.value.code == "llm_bad_response"


# -- grounding guard -----------------------------------------------------------------------------------

FACTS = [orjson.dumps(STOCK).decode(), "尺码：S、M、L、XL、XXL；26-32码", "偏远地区补运费10元", "均码"]


@pytest.mark.parametrize(
    "text",
    [
        "宝宝，L码还有3件，直播价159元～",
        "直播价￥159.00，L码有3件",
        "直播价１５９元",  # full-width digits
        "L码还剩三件，一百五十九元带回家",
        "XXL和2XL是一个码哦，这款也有S码，26到32码都有",
        "这款是均码哦，偏远地区补10元运费",
        "这件真的十分百搭，一起下单吧，宝宝们冲～",  # 十分/百搭/一起 are not numbers
        "165cm的宝宝可以看看哦",  # the asker's height, passed as a fact below
    ],
)
def test_grounded_accepts_stated_facts(text: str) -> None:
    assert grounded(text, [*FACTS, "身高165cm"]), ungrounded(text, [*FACTS, "身高165cm"])


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("L码还有5件，直播价159元", ["5"]),
        ("直播价149元，手慢无", ["149"]),
        ("直播价159.5元", ["159.5"]),
        ("只剩两件了，赶紧拍", ["两"]),
        ("XL和3XL都有货", ["3XL"]),
        ("XXXL也有哦", ["XXXL"]),
        ("34码也有", ["34"]),
        ("今天下单48小时发货", ["48"]),
    ],
)
def test_grounded_rejects_invented_numbers_and_sizes(text: str, invented: list[str]) -> None:
    assert not grounded(text, FACTS)
    assert ungrounded(text, FACTS) == invented


def test_grounded_size_tokens_stand_alone() -> None:
    assert grounded("宝宝穿M码刚好", ["尺码：S、M、L"])
    assert not grounded("宝宝穿M码刚好", ["尺码：S、L、XL"])  # the M of a word or the L of XL do not count
    assert not grounded("这款是均码", ["尺码：S、M、L"])
    assert grounded("165cm穿M码", ["M", "165"])  # the m of cm is not a size


# -- answer_with_fallback ------------------------------------------------------------------------------


async def test_fallback_uses_a_grounded_llm_reply(server: FakeOpenAI) -> None:
    server.responder = answer_from_stock
    async with ChatClient(settings_for(server)) as client:
        answer = await answer_with_fallback(client, QUESTION, [StockTool().tool], RULES, [])
    assert answer == ("宝宝，L码还有3件，直播价159元，喜欢就拍哦～", "llm")


@pytest.mark.parametrize(
    "invented", ["宝宝，L码还有8件，直播价159元～", "宝宝，XL码还有3件，直播价159元～", "L码3件，直播价99元"]
)
async def test_fallback_rejects_an_invented_fact(
    server: FakeOpenAI, invented: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(
        fake.tools(tool_call("call_1", "check_stock", {"product": "3", "size": "L"})), fake.text(invented)
    )
    with caplog.at_level(logging.INFO, logger="siyu.assistant.llm"):
        async with ChatClient(settings_for(server)) as client:
            answer = await answer_with_fallback(client, QUESTION, [StockTool().tool], RULES, ["3号链接"])
    assert answer == (RULES, "rules")
    assert "found in no tool result or fact" in caplog.text


async def test_fallback_rejects_numbers_without_a_tool_call(server: FakeOpenAI) -> None:
    server.enqueue(fake.text("L码还有3件哦"))
    async with ChatClient(settings_for(server)) as client:
        assert await answer_with_fallback(client, QUESTION, [StockTool().tool], RULES) == (RULES, "rules")


async def test_fallback_on_errors(server: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    server.enqueue(
        fake.error(429, "Rate limit reached", "requests", "rate_limit_exceeded"),
        FakeResponse(200, b"{not json"),
        fake.text("宝宝，L码还有", finish_reason="length"),
    )
    with caplog.at_level(logging.INFO, logger="siyu.assistant.llm"):
        async with ChatClient(settings_for(server)) as client:
            for _ in range(3):
                assert await answer_with_fallback(client, QUESTION, [], RULES) == (RULES, "rules")
    assert "llm_rate_limited" in caplog.text and "llm_bad_response" in caplog.text
    assert "max_tokens" in caplog.text
    assert len(server.requests) == 3


async def test_fallback_on_timeout(server: FakeOpenAI) -> None:
    server.enqueue(fake.text("宝宝好", delay_s=10))
    async with ChatClient(settings_for(server, timeout_s=0.2)) as client:
        started = time.perf_counter()
        assert await answer_with_fallback(client, QUESTION, [], RULES) == (RULES, "rules")
    assert time.perf_counter() - started < 5.0  # not the server's 10 s


async def test_disabled_settings_never_make_a_request(server: FakeOpenAI) -> None:
    server.enqueue(fake.text("不该被请求"))
    disabled = settings_for(server, enabled=False)
    async with ChatClient(disabled) as client:
        assert await answer_with_fallback(client, QUESTION, [StockTool().tool], RULES) == (RULES, "rules")
        with pytest.raises(LLMError) as caught:
            await client.complete(QUESTION)
    assert caught.value.code == "llm_disabled"
    assert await answer_with_fallback(None, QUESTION, [], RULES) == (RULES, "rules")
    assert server.requests == []


# -- settings, tools, prompt ---------------------------------------------------------------------------


def test_settings_defaults() -> None:
    s = LLMSettings()
    assert not s.enabled
    assert s.timeout_s == 1.5 and s.max_tool_rounds == 3
    assert s.base_url == "https://api.openai.com/v1"
    s = LLMSettings(base_url="http://localhost:11434/v1/", api_key="sk-secret")
    assert s.base_url == "http://localhost:11434/v1"
    assert isinstance(s.api_key, SecretStr) and "sk-secret" not in repr(s)


@pytest.mark.parametrize(
    "bad",
    [
        {"base_url": "api.openai.com/v1"},
        {"base_url": "ftp://example.com/v1"},
        {"base_url": "http://"},
        {"base_url": "https://user:pw@example.com/v1"},
        {"base_url": "https://example.com/v1?key=1"},
        {"base_url": "http://exa mple.com"},
        {"timeout_s": 0},
        {"timeout_s": -1},
        {"max_tool_rounds": 0},
        {"temperature": 3},
        {"max_tokens": 0},
        {"model": ""},
        {"unknown_option": 1},
    ],
)
def test_settings_validation(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LLMSettings(**bad)


def test_tool_validation() -> None:
    with pytest.raises(ValueError, match="tool name"):
        Tool("查库存", "", {"type": "object"}, lambda args: args)
    with pytest.raises(ValueError, match="type 'object'"):
        Tool("check", "", {"type": "string"}, lambda args: args)


async def test_duplicate_tool_names_are_refused(server: FakeOpenAI) -> None:
    tool = StockTool().tool
    async with ChatClient(settings_for(server)) as client:
        with pytest.raises(ValueError, match="two tools"):
            await client.complete(QUESTION, [tool, tool])
    assert server.requests == []


def test_system_prompt() -> None:
    prompt = build_system_prompt("晚晚的衣橱", "晚晚", product="3号链接 加绒阔腿裤")
    assert "晚晚的衣橱" in prompt and "3号链接 加绒阔腿裤" in prompt
    assert "工具" in prompt and "客服" in prompt and "库存" in prompt
    assert "当前讲解" not in build_system_prompt("晚晚的衣橱")
