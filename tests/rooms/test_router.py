"""The transport's router: features fill it; it parses frames into their models."""

from __future__ import annotations

from typing import Literal

import pytest

from siyu.realtime.protocol import ClientMessage, ErrorCode, PingIn, ProtocolError, ResumeIn
from siyu.realtime.router import Router


class HelloIn(ClientMessage):
    type: Literal["hello"]
    name: str
    cid: str | None = None


class BadModel(ClientMessage):
    type: str


def test_transport_messages_are_built_in() -> None:
    router = Router()
    assert router.types == ["ping", "resume"]
    assert isinstance(router.parse(b'{"type":"ping"}'), PingIn)
    assert isinstance(router.parse(b'{"type":"resume","last_seq":3}'), ResumeIn)


def test_a_registered_model_parses_with_its_rate_rule_and_cost() -> None:
    router = Router()
    router.rate_rule("greet", "2/second")
    route = router.add(HelloIn, rate="greet", cost=lambda m: len(m.name))
    msg = router.parse('{"type":"hello","name":"小美"}')
    assert isinstance(msg, HelloIn) and msg.name == "小美"
    assert router.route("hello") is route
    assert route.rate == "greet" and route.cost(msg) == 2
    assert router.rates == {"greet": "2/second"}


def test_unknown_type_keeps_the_cid_for_the_failed_ack() -> None:
    with pytest.raises(ProtocolError) as info:
        Router().parse(b'{"type":"hello","cid":"c9"}')
    assert (info.value.code, info.value.cid) == (ErrorCode.UNKNOWN_TYPE, "c9")


def test_invalid_fields_name_the_field() -> None:
    router = Router()
    router.add(HelloIn)
    with pytest.raises(ProtocolError) as info:
        router.parse(b'{"type":"hello","name":5,"cid":"c1"}')
    assert info.value.code == ErrorCode.BAD_MESSAGE and info.value.message.startswith("name:")
    assert info.value.cid == "c1"


def test_registration_mistakes_fail_at_start_up() -> None:
    router = Router()
    router.add(HelloIn)
    with pytest.raises(ValueError, match="registered twice"):
        router.add(HelloIn)
    with pytest.raises(ValueError, match="not defined"):
        Router().add(HelloIn, rate="nope")
    router.rate_rule("r", "1/second")
    with pytest.raises(ValueError, match="different limits"):
        router.rate_rule("r", "2/second")
    with pytest.raises(TypeError, match="Literal"):
        Router().add(BadModel)
