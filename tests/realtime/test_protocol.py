"""Wire protocol v1: client frame parsing and server frame builders."""

from __future__ import annotations

from typing import Any

import orjson
import pydantic
import pytest

from siyu.app import FEATURES
from siyu.config import Limits
from siyu.interactions import ClaimIn, CouponPushIn, FanJoinIn, PollCloseIn, PollStartIn, VoteIn
from siyu.interactions.luckybag.model import LuckyBagDrawIn, LuckyBagJoinIn, LuckyBagStartIn
from siyu.interactions.orders import FlashPushIn, OrderIn, QuoteIn, WalletIn
from siyu.interactions.pk import PkAnswerIn, PkCancelIn, PkEndIn, PkInviteIn
from siyu.interactions.quiz import QuizRewardIn
from siyu.interactions.topics import TopicPinIn, TopicUnpinIn
from siyu.moderation.room import ModerateIn
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import ErrorCode, PingIn, ProtocolError, ResumeIn
from siyu.realtime.router import Router
from siyu.rooms.feature import FeatureSet
from siyu.rooms.features import CommentIn, DismissIn, FollowIn, GiftIn, HostStatusIn, LikeIn, PinIn, ReplyIn

# the router a node builds from its features: parsing goes through it
ROUTER = FeatureSet(FEATURES).fill(Router(), Limits())
parse_client = ROUTER.parse
CLIENT_TYPES = frozenset(ROUTER.types)


def frame(**fields: Any) -> bytes:
    return orjson.dumps(fields)


def parse_error(data: bytes | str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_client(data)
    return info.value


def decoded(data: bytes) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(data)
    return result


# --- valid frames ------------------------------------------------------------------------------


VALID: list[tuple[dict[str, Any], type[Any], dict[str, Any]]] = [
    ({"type": "comment", "cid": "c1", "text": "包邮吗"}, CommentIn, {"cid": "c1", "text": "包邮吗"}),
    ({"type": "like"}, LikeIn, {"count": 1, "cid": None}),
    ({"type": "like", "count": 100, "cid": "l1"}, LikeIn, {"count": 100, "cid": "l1"}),
    ({"type": "gift", "gift_id": "rose"}, GiftIn, {"gift_id": "rose", "count": 1, "cid": None}),
    ({"type": "gift", "gift_id": "rocket", "count": 99, "cid": "g1"}, GiftIn, {"count": 99}),
    ({"type": "follow"}, FollowIn, {"cid": None}),
    ({"type": "follow", "cid": "f1"}, FollowIn, {"cid": "f1"}),
    (
        {"type": "reply", "cid": "r1", "to_seq": 12, "text": "包邮的"},
        ReplyIn,
        {"to_seq": 12, "text": "包邮的"},
    ),
    ({"type": "pin", "product_id": "P01"}, PinIn, {"product_id": "P01", "cid": None}),
    ({"type": "pin", "product_id": None, "cid": "p1"}, PinIn, {"product_id": None}),  # unpin
    ({"type": "host_status", "status": "away", "cid": "h1"}, HostStatusIn, {"status": "away"}),
    (
        {"type": "moderate", "action": "mute", "user_id": "u9", "minutes": 30, "cid": "m1"},
        ModerateIn,
        {"action": "mute", "user_id": "u9", "minutes": 30, "comment_seq": None},
    ),
    (
        {"type": "moderate", "action": "hide", "user_id": "u9", "comment_seq": 12},
        ModerateIn,
        {"action": "hide", "comment_seq": 12, "minutes": 10},
    ),
    ({"type": "dismiss", "seq": 1042, "cid": "d1"}, DismissIn, {"seq": 1042, "cid": "d1"}),
    ({"type": "dismiss", "seq": 7}, DismissIn, {"seq": 7, "cid": None}),
    (
        {"type": "coupon_push", "coupon_id": "C01", "quantity": 100, "cid": "k1"},
        CouponPushIn,
        {"coupon_id": "C01", "quantity": 100, "seconds": 60, "to_user": None},
    ),
    ({"type": "coupon_push", "coupon_id": "C04", "to_user": "u1"}, CouponPushIn, {"quantity": None}),
    ({"type": "claim", "batch_id": "b1", "cid": "q1"}, ClaimIn, {"batch_id": "b1", "cid": "q1"}),
    (
        {"type": "poll_start", "question": "下一款讲哪个", "options": ["碎花裙", "风衣"], "cid": "v1"},
        PollStartIn,
        {"seconds": 60, "answer": None, "product_ids": None},
    ),
    (
        {"type": "poll_start", "question": "选款", "product_ids": ["P01", "P02"], "seconds": 30, "answer": 1},
        PollStartIn,
        {"product_ids": ["P01", "P02"], "options": None, "cid": None},
    ),
    ({"type": "vote", "poll_id": "pl1", "option": 1, "cid": "w1"}, VoteIn, {"poll_id": "pl1", "option": 1}),
    ({"type": "poll_close", "poll_id": "pl1"}, PollCloseIn, {"poll_id": "pl1", "cid": None}),
    ({"type": "fanclub_join", "cid": "f1"}, FanJoinIn, {"cid": "f1"}),
    ({"type": "topic_pin", "text": "你们希望下次直播有什么内容？", "cid": "t1"}, TopicPinIn, {"cid": "t1"}),
    ({"type": "topic_unpin"}, TopicUnpinIn, {"cid": None}),
    ({"type": "pk_invite", "room_id": "b", "cid": "k1"}, PkInviteIn, {"seconds": 300, "punish_s": 60}),
    ({"type": "pk_answer", "pk_id": "p1", "accept": False}, PkAnswerIn, {"accept": False, "cid": None}),
    ({"type": "pk_cancel", "pk_id": "p1", "cid": "k2"}, PkCancelIn, {"pk_id": "p1"}),
    ({"type": "pk_end", "pk_id": "p1"}, PkEndIn, {"pk_id": "p1", "cid": None}),
    (
        {"type": "order", "items": [{"product_id": "P01", "color": "碎花蓝", "size": "M", "qty": 2}],
         "cid": "o1"},
        OrderIn,
        {"coupon": "best", "flash_id": None, "via": None},
    ),
    (
        {"type": "quote", "items": [{"product_id": "P01", "color": "碎花蓝", "size": "M", "qty": 1}],
         "coupon": "none", "cid": "qu1"},
        QuoteIn,
        {"coupon": "none", "flash_id": None},
    ),
    ({"type": "wallet", "cid": "wa1"}, WalletIn, {"cid": "wa1"}),
    (
        {"type": "flash_push", "product_id": "P02", "price": 9.9, "quantity": 50},
        FlashPushIn,
        {"seconds": 60, "per_user": 1, "cid": None},
    ),
    (
        {"type": "quiz_reward", "poll_id": "pl1", "coupon_id": "C01", "cid": "x2"},
        QuizRewardIn,
        {"poll_id": "pl1", "coupon_id": "C01"},
    ),
    (
        {"type": "luckybag_start", "prize": {"kind": "coupon", "coupon_id": "C01"},
         "entry": {"kind": "phrase", "phrase": "福袋来了"}, "winners": 3, "cid": "b1"},
        LuckyBagStartIn,
        {"winners": 3},
    ),
    ({"type": "luckybag_join", "bag_id": "bg1", "cid": "b2"}, LuckyBagJoinIn, {"bag_id": "bg1"}),
    ({"type": "luckybag_draw", "bag_id": "bg1"}, LuckyBagDrawIn, {"bag_id": "bg1", "cid": None}),
    ({"type": "ping"}, PingIn, {"t": None}),
    ({"type": "ping", "t": 123.5}, PingIn, {"t": 123.5}),
    ({"type": "resume", "last_seq": 0}, ResumeIn, {"last_seq": 0, "epoch": None}),
    (
        {"type": "resume", "last_seq": 41, "epoch": "ab12cd34"},
        ResumeIn,
        {"last_seq": 41, "epoch": "ab12cd34"},
    ),
]


@pytest.mark.parametrize(
    ("raw", "cls", "expected"), VALID, ids=[f"{raw['type']}-{i}" for i, (raw, _, _) in enumerate(VALID)]
)
def test_parse_valid(raw: dict[str, Any], cls: type[Any], expected: dict[str, Any]) -> None:
    msg = parse_client(orjson.dumps(raw))
    assert type(msg) is cls
    assert msg.type == raw["type"]
    for key, value in expected.items():
        assert getattr(msg, key) == value


def test_every_client_type_has_a_valid_example() -> None:
    assert {raw["type"] for raw, _, _ in VALID} == CLIENT_TYPES


def test_parse_accepts_str_and_bytes() -> None:
    text = '{"type": "comment", "cid": "c1", "text": "几天发货"}'
    assert parse_client(text) == parse_client(text.encode())


def test_parsed_messages_are_frozen() -> None:
    msg = parse_client(frame(type="comment", cid="c1", text="hi"))
    assert isinstance(msg, CommentIn)
    with pytest.raises(pydantic.ValidationError):
        msg.text = "changed"  # type: ignore[misc]
    assert msg.text == "hi"


def test_comment_text_is_not_trimmed_or_limited_here() -> None:
    """Length and emptiness are room rules (comment_too_long / empty_comment), not parsing rules."""
    assert parse_client(frame(type="comment", cid="c", text="")).text == ""  # type: ignore[union-attr]
    assert parse_client(frame(type="comment", cid="c", text="x" * 5000)).text == "x" * 5000  # type: ignore[union-attr]


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"{", b"not json", b"{'type': 'ping'}", b"\xff\xfe", '{"type": }'])
def test_bad_json(data: bytes | str) -> None:
    err = parse_error(data)
    assert err.code == ErrorCode.BAD_JSON == "bad_json"
    assert err.cid is None


@pytest.mark.parametrize("data", [b"[]", b'[{"type": "ping"}]', b'"ping"', b"42", b"null", b"true"])
def test_non_object_is_bad_message(data: bytes) -> None:
    err = parse_error(data)
    assert err.code == ErrorCode.BAD_MESSAGE == "bad_message"
    assert err.cid is None


def test_unknown_type_keeps_cid() -> None:
    err = parse_error(frame(type="teleport", cid="c9"))
    assert err.code == ErrorCode.UNKNOWN_TYPE == "unknown_type"
    assert err.cid == "c9"
    assert "teleport" in err.message


@pytest.mark.parametrize("raw", [{"type": None}, {"type": 5}, {"type": "COMMENT"}, {"type": ""}])
def test_unknown_type(raw: dict[str, Any]) -> None:
    err = parse_error(orjson.dumps(raw))
    assert err.code == "unknown_type"
    assert err.cid is None


@pytest.mark.parametrize("raw", [{}, {"cid": "c1", "text": "hi"}])
def test_a_frame_without_type_is_bad_message(raw: dict[str, Any]) -> None:
    err = parse_error(orjson.dumps(raw))
    assert err.code == "bad_message" and err.message.startswith("type:")
    assert err.cid == raw.get("cid")


def test_unknown_type_message_is_truncated() -> None:
    err = parse_error(frame(type="x" * 500))
    assert err.code == "unknown_type"
    assert len(err.message) < 100


def test_non_string_cid_is_not_echoed() -> None:
    err = parse_error(frame(type="teleport", cid=123))
    assert err.cid is None


@pytest.mark.parametrize("raw", [{"type": ["comment"]}, {"type": {"a": 1}}], ids=["list", "object"])
def test_unhashable_type_is_a_protocol_error(raw: dict[str, Any]) -> None:
    err = parse_error(orjson.dumps(raw))
    assert err.code == "unknown_type"


def test_comment_without_cid() -> None:
    err = parse_error(frame(type="comment", text="包邮吗"))
    assert err.code == "bad_message"
    assert err.cid is None
    assert "cid" in err.message


def test_comment_without_text_keeps_cid() -> None:
    err = parse_error(frame(type="comment", cid="c1"))
    assert err.code == "bad_message"
    assert err.cid == "c1"
    assert "text" in err.message


def test_extra_field() -> None:
    err = parse_error(frame(type="comment", cid="c1", text="hi", color="red"))
    assert err.code == "bad_message"
    assert err.cid == "c1"
    assert "color" in err.message


@pytest.mark.parametrize("count", [0, -1, 101])
def test_like_count_bounds(count: int) -> None:
    err = parse_error(frame(type="like", count=count, cid="l1"))
    assert err.code == "bad_message"
    assert err.cid == "l1"
    assert "count" in err.message


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "comment", "cid": "", "text": "hi"},
        {"type": "comment", "cid": "c" * 65, "text": "hi"},
        {"type": "comment", "cid": "c1", "text": 5},
        {"type": "gift", "gift_id": ""},
        {"type": "gift", "gift_id": "g" * 33},
        {"type": "gift", "gift_id": "rose", "count": 0},
        {"type": "gift", "gift_id": "rose", "count": 100},
        {"type": "gift"},
        {"type": "reply", "cid": "r1", "to_seq": 0, "text": "x"},
        {"type": "reply", "cid": "r1", "text": "x"},
        {"type": "reply", "to_seq": 3, "text": "x"},
        {"type": "pin", "product_id": "p" * 65},
        {"type": "ping", "t": "now"},
        {"type": "resume", "last_seq": -1},
        {"type": "resume"},
        {"type": "resume", "last_seq": 1, "epoch": "e" * 65},
        {"type": "follow", "user": "u2"},
    ],
)
def test_invalid_fields_are_bad_message(raw: dict[str, Any]) -> None:
    assert parse_error(orjson.dumps(raw)).code == "bad_message"


def test_cid_length_limit_accepted_at_64() -> None:
    msg = parse_client(frame(type="comment", cid="c" * 64, text="hi"))
    assert msg.cid == "c" * 64  # type: ignore[union-attr]


# --- server frames -----------------------------------------------------------------------------


def test_reject_with_cid_is_failed_ack() -> None:
    out = decoded(wire.reject("c1", ErrorCode.RATE_LIMITED, "slow down", retry_after_ms=250))
    assert out == {
        "type": "ack",
        "cid": "c1",
        "error": {"code": "rate_limited", "message": "slow down", "retry_after_ms": 250},
    }


@pytest.mark.parametrize("cid", [None, ""])
def test_reject_without_cid_is_error_frame(cid: str | None) -> None:
    out = decoded(wire.reject(cid, ErrorCode.BAD_JSON, "bad", retry_after_ms=5))
    assert out == {"type": "error", "code": "bad_json", "message": "bad", "retry_after_ms": 5}


def test_reject_from_protocol_error() -> None:
    err = parse_error(frame(type="like", count=0, cid="l7"))
    out = decoded(wire.reject(err.cid, err.code, err.message))
    assert out["type"] == "ack"
    assert out["cid"] == "l7"
    assert out["error"]["code"] == "bad_message"


def test_ack_ok_with_seq() -> None:
    assert decoded(wire.ack_ok("c1", 42)) == {"type": "ack", "cid": "c1", "seq": 42}


def test_ack_ok_omits_seq_when_none() -> None:
    out = decoded(wire.ack_ok("c1", None))
    assert out == {"type": "ack", "cid": "c1"}
    assert "seq" not in out


def test_ack_ok_keeps_seq_zero() -> None:
    assert decoded(wire.ack_ok("c1", 0)) == {"type": "ack", "cid": "c1", "seq": 0}


def test_error_frame() -> None:
    assert decoded(wire.error("internal", "oops")) == {"type": "error", "code": "internal", "message": "oops"}


def test_pong() -> None:
    assert decoded(wire.pong(1.5, 1000)) == {"type": "pong", "t": 1.5, "ts": 1000}
    assert decoded(wire.pong(None, 7)) == {"type": "pong", "t": None, "ts": 7}


def test_user_ref_encodes_with_the_wire_keys() -> None:
    assert decoded(wire.encode({"user": wire.user_ref("u1", "小美", 3, "viewer")})) == {
        "user": {"id": "u1", "nick": "小美", "lvl": 3, "role": "viewer"}
    }


def test_typed_room_messages_encode_with_their_type_first_and_the_seq_the_log_gave() -> None:
    from siyu.rooms.features.chat import Comment

    user = wire.user_ref("u1", "小美", 3, "viewer")
    msg = Comment(user=user, text="包邮吗", question=True, cid="c1", eid="e1")
    msg.seq, msg.ts = 7, 1000
    out = decoded(wire.encode(msg))
    assert list(out)[0] == "type"
    assert out == {
        "type": "comment", "seq": 7, "ts": 1000,
        "user": {"id": "u1", "nick": "小美", "lvl": 3, "role": "viewer"},
        "text": "包邮吗", "question": True, "cid": "c1", "eid": "e1",
    }  # fmt: skip


def test_room_types_come_from_the_message_classes() -> None:
    types = wire.message_types(wire.RoomMessage)
    assert {"comment", "reply", "gift", "follow", "pin", "live", "assistant", "host_status", "moderation",
            "stock", "card"} <= set(types)  # fmt: skip
    assert "welcome" not in types and "state" not in types  # personal / unsequenced


def test_encode_is_compact_utf8() -> None:
    data = wire.encode({"type": "comment", "text": "包邮吗"})
    assert isinstance(data, bytes)
    assert "包邮吗".encode() in data  # not \\u-escaped
    assert b" " not in data
