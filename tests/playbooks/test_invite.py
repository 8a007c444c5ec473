"""Private-domain invites: the state codec, the QR code, and InviteService against a local server speaking
WeCom's documented API (siyu/sim/wecom.py)."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from siyu.config import WeComSettings
from siyu.events import PAYLOAD_TYPES, Context, Event, decode_event, encode_event
from siyu.playbooks.invite import (
    Channel,
    InviteAccepted,
    InviteError,
    InviteService,
    InviteUnavailable,
    WeComApiError,
    WeComUnreachable,
    accept_contact,
    make_state,
    qr_data_uri,
    state_matches,
)
from siyu.sim import wecom as wecom_fake
from siyu.sim.wecom import CORP_ID, SECRET, FakeWeCom
from siyu.store.db import Database

ROOM, SESSION, PLAYBOOK = "demo", "s1", "pb-benefit"
ids = st.text(min_size=1, max_size=64)


# --- the state --------------------------------------------------------------------------------------


@given(ids, ids, ids, ids)
def test_state_is_30_characters_wecom_accepts_and_deterministic(r: str, s: str, p: str, u: str) -> None:
    state = make_state(r, s, p, u)
    assert len(state) == 30
    assert re.fullmatch(r"[0-9a-zA-Z_-]{1,30}", state)
    assert state.startswith("sy")
    assert make_state(r, s, p, u) == state
    assert state_matches(state, r, s, p, u)


@given(st.tuples(ids, ids, ids, ids), st.integers(0, 3), ids)
def test_state_changes_when_any_id_changes(four: tuple[str, str, str, str], which: int, other: str) -> None:
    changed = list(four)
    changed[which] = other
    assume(changed[which] != four[which])
    assert make_state(*four) != make_state(*changed)
    assert not state_matches(make_state(*four), *changed)


def test_state_format_is_pinned() -> None:
    """"sy" + 7 lowercase base32 characters of SHA-256 of each id: a stored state must keep matching."""
    assert make_state("demo", "s1", "pb-welcome", "u1") == "syfklvc3b5c6bmped77dlazxobagdn"
    # each id has its own 7 characters: another room changes only the room's part
    other = make_state("other", "s1", "pb-welcome", "u1")
    assert other[:2] == "sy" and other[2:9] != "fklvc3b" and other[9:] == "5c6bmped77dlazxobagdn"


def test_qr_is_a_full_qr_code_svg_data_uri() -> None:
    uri = qr_data_uri("https://wwcdn.weixin.qq.com/contact/cfg1.png")
    assert uri.startswith("data:image/svg+xml")
    svg = unquote(uri.split(",", 1)[1])
    width = int(re.search(r"width=.(\d+)", svg).group(1))  # type: ignore[union-attr]
    assert width >= (21 + 2 * 4) * 4  # a full QR code (21+ modules, never Micro QR) with its quiet zone
    assert qr_data_uri("https://a.example/x") != uri


# --- the service --------------------------------------------------------------------------------------


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    with wecom_fake.serve() as fake:
        yield fake


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


def settings(fake: FakeWeCom | None, **extra: Any) -> WeComSettings:
    base: dict[str, Any] = {}
    if fake is not None:
        base = {"api_base": fake.base, "corp_id": CORP_ID, "secret": SECRET, "contact_users": ["zhangsan"],
                "group_chat_ids": ["wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"]}  # fmt: skip
    return WeComSettings(**{**base, **extra})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def service(db: Database, wecom: FakeWeCom) -> AsyncIterator[InviteService]:
    svc = InviteService(db, settings(wecom))
    yield svc
    await svc.aclose()


async def test_wecom_contact_adds_a_contact_way_with_the_documented_body(
    service: InviteService, wecom: FakeWeCom
) -> None:
    offer = await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT, "领赠品")
    state = make_state(ROOM, SESSION, PLAYBOOK, "u1")
    [token] = wecom.of("gettoken")
    assert token.method == "GET" and token.query == {"corpid": CORP_ID, "corpsecret": SECRET}
    [add] = wecom.of("externalcontact/add_contact_way")
    assert add.method == "POST" and add.query == {"access_token": "T1"}
    assert add.body is not None
    assert {k: add.body[k] for k in ("type", "scene", "style", "user", "state")} == {
        "type": 1, "scene": 2, "style": 1, "user": ["zhangsan"], "state": state,
    }  # fmt: skip
    assert offer.state == state and offer.channel is Channel.WECOM_CONTACT
    assert offer.url == "https://wwcdn.weixin.qq.com/contact/cfg2.png"  # WeCom's qr_code
    assert offer.qr == qr_data_uri(offer.url)
    assert offer.text == "扫码添加企业微信，领赠品" and offer.incentive == "领赠品"
    row = await service.store.get(state)
    assert row is not None and (row.room_id, row.session_id, row.playbook_id, row.user_id) == (
        ROOM, SESSION, PLAYBOOK, "u1")  # fmt: skip
    assert (row.channel, row.url, row.config_id) == ("wecom_contact", offer.url, "cfg2")
    assert row.accepted_at is None


async def test_several_staff_make_a_multi_person_contact_way(db: Database, wecom: FakeWeCom) -> None:
    svc = InviteService(db, settings(wecom, contact_users=["zhangsan", "lisi"]))
    try:
        await svc.issue(ROOM, SESSION, PLAYBOOK, "u1", "wecom_contact")
    finally:
        await svc.aclose()
    [add] = wecom.of("externalcontact/add_contact_way")
    assert add.body is not None and add.body["type"] == 2 and add.body["user"] == ["zhangsan", "lisi"]


async def test_issue_is_idempotent_on_this_node_and_on_another(
    db: Database, service: InviteService, wecom: FakeWeCom
) -> None:
    first = await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT, "领赠品")
    again = await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT, "领赠品")
    other_node = InviteService(db, settings(wecom))
    try:
        there = await other_node.issue(ROOM, SESSION, PLAYBOOK, "u1", "wecom_contact", "领赠品")
    finally:
        await other_node.aclose()
    assert first == again == there
    assert len(wecom.of("externalcontact/add_contact_way")) == 1
    # another viewer, session or playbook is another invite
    await service.issue(ROOM, "s2", PLAYBOOK, "u1", Channel.WECOM_CONTACT)
    assert len(wecom.of("externalcontact/add_contact_way")) == 2


async def test_concurrent_issues_of_one_invite_make_one_call(
    service: InviteService, wecom: FakeWeCom
) -> None:
    offers = await asyncio.gather(
        *(service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT) for _ in range(5))
    )
    assert len({o.state for o in offers}) == 1
    assert len(wecom.of("externalcontact/add_contact_way")) == 1
    assert len(wecom.of("gettoken")) == 1


async def test_community_group_adds_a_join_way_then_reads_its_qr_code(
    service: InviteService, wecom: FakeWeCom
) -> None:
    offer = await service.issue(ROOM, SESSION, PLAYBOOK, "u2", Channel.COMMUNITY_GROUP, "一对一穿搭建议")
    [add] = wecom.of("externalcontact/groupchat/add_join_way")
    assert add.body is not None
    assert {k: add.body[k] for k in ("scene", "chat_id_list", "state")} == {
        "scene": 2, "chat_id_list": ["wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"], "state": offer.state,
    }  # fmt: skip
    [get] = wecom.of("externalcontact/groupchat/get_join_way")
    assert get.body == {"config_id": "join2"} and get.query == {"access_token": "T1"}
    assert offer.url == "https://wwcdn.weixin.qq.com/join/join2.png"
    assert offer.qr == qr_data_uri(offer.url)
    assert offer.text == "扫码加入专属社群，一对一穿搭建议"


async def test_mini_program_is_the_configured_url_with_the_state(db: Database) -> None:
    svc = InviteService(db, settings(None, mini_program_url="https://m.example.com/live?from=qr&state=old"))
    offer = await svc.issue(ROOM, SESSION, PLAYBOOK, "u3", Channel.MINI_PROGRAM)
    assert offer.url is not None and offer.qr == qr_data_uri(offer.url)
    query = parse_qs(urlsplit(offer.url).query)
    assert query == {"from": ["qr"], "state": [offer.state]}
    assert offer.url.startswith("https://m.example.com/live?")
    assert offer.text == "扫码打开小程序，专属福利等你领"
    await svc.aclose()


async def test_follow_notify_calls_nothing_and_has_no_qr(db: Database, wecom: FakeWeCom) -> None:
    svc = InviteService(db, settings(None))  # WeCom not configured at all
    offer = await svc.issue(ROOM, SESSION, PLAYBOOK, "u4", Channel.FOLLOW_NOTIFY)
    assert (offer.url, offer.qr) == (None, None)
    assert offer.text == "点个关注，下次开播第一时间提醒你"
    assert await svc.issue(ROOM, SESSION, PLAYBOOK, "u4", "follow_notify") == offer
    assert wecom.calls == []
    await svc.aclose()


async def test_channels_that_are_not_configured_are_unavailable(db: Database, wecom: FakeWeCom) -> None:
    svc = InviteService(db, settings(None))
    for channel in (Channel.WECOM_CONTACT, Channel.COMMUNITY_GROUP, Channel.MINI_PROGRAM):
        with pytest.raises(InviteUnavailable) as no:
            await svc.issue(ROOM, SESSION, PLAYBOOK, "u1", channel)
        assert no.value.code == "invite.not_configured"
    only_contact = InviteService(db, settings(wecom, group_chat_ids=[]))
    with pytest.raises(InviteUnavailable):
        await only_contact.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.COMMUNITY_GROUP)
    assert wecom.calls == []
    await svc.aclose()
    await only_contact.aclose()


async def test_another_channel_for_the_same_invite_is_refused(service: InviteService) -> None:
    await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.FOLLOW_NOTIFY)
    with pytest.raises(InviteError) as no:
        await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT)
    assert no.value.code == "invite.state_taken"


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("", SESSION, PLAYBOOK, "u1", "wecom_contact"), "room_id"),
        ((ROOM, SESSION, PLAYBOOK, "u\n1", "wecom_contact"), "user_id"),
        ((ROOM, SESSION, "p" * 65, "u1", "wecom_contact"), "playbook_id"),
        ((ROOM, SESSION, PLAYBOOK, "u1", "email"), "channel"),
        ((ROOM, SESSION, PLAYBOOK, "u1", "wecom_contact", "赠" * 51), "incentive"),
    ],
)
async def test_invalid_invites_are_refused(service: InviteService, args: tuple[str, ...], where: str) -> None:
    with pytest.raises(InviteError) as no:
        await service.issue(*args)
    assert no.value.code == "invite.invalid" and where in str(no.value)


async def test_the_token_is_kept_until_expires_in(db: Database, wecom: FakeWeCom) -> None:
    clock = Clock()
    svc = InviteService(db, settings(wecom), clock=clock)
    await svc.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.WECOM_CONTACT)
    clock.now += 7200 - 61  # still valid (fetched again 60 s before WeCom's expires_in)
    await svc.issue(ROOM, SESSION, PLAYBOOK, "b", Channel.WECOM_CONTACT)
    assert len(wecom.of("gettoken")) == 1
    clock.now += 2
    await svc.issue(ROOM, SESSION, PLAYBOOK, "c", Channel.WECOM_CONTACT)
    assert len(wecom.of("gettoken")) == 2
    tokens = [c.query["access_token"] for c in wecom.of("externalcontact/add_contact_way")]
    assert tokens == ["T1", "T1", "T2"]
    await svc.aclose()


async def test_an_expired_token_is_fetched_again_once(service: InviteService, wecom: FakeWeCom) -> None:
    await service.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.WECOM_CONTACT)
    wecom.expire_tokens()  # e.g. another process asked for a new one: WeCom answers 42001
    offer = await service.issue(ROOM, SESSION, PLAYBOOK, "b", Channel.WECOM_CONTACT)
    adds = wecom.of("externalcontact/add_contact_way")
    assert [c.query["access_token"] for c in adds] == ["T1", "T1", "T2"]
    assert adds[1].body == adds[2].body and offer.url is not None
    assert len(wecom.of("gettoken")) == 2


async def test_a_token_error_after_the_refresh_is_raised(service: InviteService, wecom: FakeWeCom) -> None:
    wecom.fail("externalcontact/add_contact_way", 42001, 40014)
    with pytest.raises(WeComApiError) as no:
        await service.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.WECOM_CONTACT)
    assert no.value.errcode == 40014 and no.value.code == "wecom.api_error"
    assert len(wecom.of("gettoken")) == 2  # refreshed once, not in a loop


async def test_a_wecom_error_is_raised_with_its_errcode_and_nothing_is_stored(
    service: InviteService, wecom: FakeWeCom
) -> None:
    wecom.fail("externalcontact/groupchat/add_join_way", 41054)
    with pytest.raises(WeComApiError) as no:
        await service.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.COMMUNITY_GROUP)
    assert (no.value.errcode, no.value.call) == (41054, "add_join_way")
    assert await service.store.get(make_state(ROOM, SESSION, PLAYBOOK, "a")) is None
    offer = await service.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.COMMUNITY_GROUP)  # tried again
    assert offer.url is not None
    wecom.fail("gettoken", 40001)
    wecom.expire_tokens()
    with pytest.raises(WeComApiError) as bad_secret:
        await service.issue(ROOM, SESSION, PLAYBOOK, "b", Channel.WECOM_CONTACT)
    assert (bad_secret.value.errcode, bad_secret.value.call) == (40001, "gettoken")


async def test_an_unreachable_wecom_is_wecom_unreachable(db: Database) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    svc = InviteService(db, settings(None, api_base=f"http://127.0.0.1:{port}", corp_id=CORP_ID,
                                     secret=SECRET, contact_users=["zhangsan"]))  # fmt: skip
    with pytest.raises(WeComUnreachable) as no:
        await svc.issue(ROOM, SESSION, PLAYBOOK, "a", Channel.WECOM_CONTACT)
    assert no.value.code == "wecom.unreachable" and SECRET not in str(no.value)
    await svc.aclose()


# --- accepting ------------------------------------------------------------------------------------------


async def test_an_invite_is_accepted_once_by_its_first_customer(service: InviteService) -> None:
    offer = await service.issue(ROOM, SESSION, PLAYBOOK, "u1", Channel.WECOM_CONTACT, "领赠品")
    event = await accept_contact(service.store, offer.state, "wmEXT1", staff_user="zhangsan",
                                 change="add_external_contact", now=lambda: 5000)  # fmt: skip
    assert event is not None
    assert (event.room_id, event.session_id, event.user_id, event.ts) == (ROOM, SESSION, "u1", 5000)
    assert event.cid == f"invite:{offer.state}" and event.context.actor == "wecom"
    p = event.payload
    assert (p.state, p.channel, p.playbook_id, p.external_id, p.staff_user, p.incentive) == (
        offer.state, "wecom_contact", PLAYBOOK, "wmEXT1", "zhangsan", "领赠品")  # fmt: skip
    # WeCom re-sends the same callback: the same event (the log skips it by its cid), the first time kept
    again = await accept_contact(service.store, offer.state, "wmEXT1", now=lambda: 9000)
    assert again is not None and again.ts == 5000 and again.cid == event.cid
    # somebody else scanned the same QR code: not this invite's acceptance
    assert await accept_contact(service.store, offer.state, "wmEXT2") is None
    row = await service.store.get(offer.state)
    assert row is not None and (row.accepted_at, row.external_id) == (5000, "wmEXT1")
    assert await accept_contact(service.store, "sy" + "a" * 28, "wmEXT1") is None  # no such invite
    assert await accept_contact(service.store, "not a state!", "wmEXT1") is None


def test_the_accepted_event_is_registered_and_crosses_nodes_intact() -> None:
    payload = InviteAccepted("sy" + "a" * 28, "wecom_contact", PLAYBOOK, "wmEXT1", "zhangsan",
                             "add_external_contact", "领赠品", 1234)  # fmt: skip
    assert PAYLOAD_TYPES["invite.accepted"] is InviteAccepted
    event = Event(room_id=ROOM, user_id="u1", payload=payload, session_id=SESSION,
                  context=Context(actor="wecom"), cid="invite:x")  # fmt: skip
    assert decode_event(encode_event(event)) == event
