"""WeCom's callback on a running node: URL verification and the contact-added event, with requests made by
an encryptor written here from WeCom's published scheme (not the server's code), and every refusal."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select

from siyu.app import Node
from siyu.playbooks.invite import Channel, InviteService, make_state
from siyu.sim import wecom as wecom_fake
from siyu.sim.wecom import CORP_ID, SECRET, FakeWeCom
from siyu.store.tables import events
from tests.web.conftest import documented_http_codes

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # the example EncodingAESKey of WeCom's docs
PATH = "/api/wecom/callback"


# --- the test's own implementation of WeCom's side --------------------------------------------------------


def wecom_encrypt(message: bytes, *, key: str = AES_KEY, receiver: str = CORP_ID) -> str:
    """WeCom's encryption: AES-256-CBC(key = b64(EncodingAESKey + "="), iv = key[:16]) of 16 random bytes,
    the message's length (4 bytes, network order), the message and the receiver id, PKCS#7-padded to 32."""
    aes = base64.b64decode(key + "=")
    plain = os.urandom(16) + struct.pack("!I", len(message)) + message + receiver.encode()
    n = 32 - len(plain) % 32
    plain += bytes([n]) * n
    enc = Cipher(algorithms.AES(aes), modes.CBC(aes[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def wecom_sign(timestamp: str, nonce: str, encrypted: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def contact_added_xml(state: str, external: str, change: str = "add_external_contact") -> bytes:
    """The decrypted event as WeCom's docs show it (客户联系 > 添加企业客户事件)."""
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        "<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
        f"<ExternalUserID><![CDATA[{external}]]></ExternalUserID><State><![CDATA[{state}]]></State>"
        "<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
    ).encode()


def envelope(encrypted: str) -> bytes:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()  # fmt: skip


def signed_post(
    message: bytes, *, key: str = AES_KEY, receiver: str = CORP_ID
) -> tuple[dict[str, str], bytes]:
    """The query and body WeCom posts for `message`."""
    encrypted = wecom_encrypt(message, key=key, receiver=receiver)
    ts, nonce = "1409659813", "1372623149"
    query = {"msg_signature": wecom_sign(ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    return query, envelope(encrypted)


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    with wecom_fake.serve() as fake:
        yield fake


def wecom_settings(fake: FakeWeCom) -> dict[str, Any]:
    return {"api_base": fake.base, "corp_id": CORP_ID, "secret": SECRET, "contact_users": ["zhangsan"],
            "callback_token": TOKEN, "callback_aes_key": AES_KEY}  # fmt: skip


@pytest.fixture
async def wnode(node_factory: Callable[..., Any], db_url: str, wecom: FakeWeCom) -> Node:
    node: Node = await node_factory(db_url, wecom=wecom_settings(wecom))
    return node


@pytest.fixture
async def http(wnode: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=wnode.http_url) as client:
        yield client


@pytest.fixture
async def invites(wnode: Node) -> AsyncIterator[InviteService]:
    svc = InviteService(wnode.db, wnode.settings.wecom)
    yield svc
    await svc.aclose()


async def accepted_events(node: Node, room_id: str) -> list[Any]:
    q = select(events).where(events.c.room_id == room_id, events.c.type == "invite.accepted")
    async with node.db.engine.connect() as conn:
        return list((await conn.execute(q)).all())


def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert status in documented_http_codes()[code]


# --- the tests ----------------------------------------------------------------------------------------------


async def test_url_verification_answers_the_decrypted_echostr(http: httpx.AsyncClient) -> None:
    echo = wecom_encrypt(b"5927782489442352469")
    ts, nonce = "1409659589", "263014780"
    got = await http.get(PATH, params={"msg_signature": wecom_sign(ts, nonce, echo), "timestamp": ts,
                                       "nonce": nonce, "echostr": echo})  # fmt: skip
    assert got.status_code == 200 and got.text == "5927782489442352469"
    assert got.headers["content-type"].startswith("text/plain")
    bad = await http.get(PATH, params={"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce,
                                       "echostr": echo})  # fmt: skip
    refused(bad, 403, "wecom.bad_signature")


@pytest.mark.parametrize("change", ["add_external_contact", "add_half_external_contact"])
async def test_a_contact_added_through_an_invite_accepts_it_once_and_logs_it_in_the_room(
    wnode: Node, http: httpx.AsyncClient, invites: InviteService, change: str
) -> None:
    room = wnode.registry.loaded("demo")
    assert room is not None and room.session is not None
    offer = await invites.issue("demo", room.session.id, "pb-benefit", "u1", Channel.WECOM_CONTACT, "领赠品")
    query, body = signed_post(contact_added_xml(offer.state, "wmEXT1", change))
    got = await http.post(PATH, params=query, content=body, headers={"Content-Type": "text/xml"})
    assert got.status_code == 200 and got.text == "success"
    row = await invites.store.get(offer.state)
    assert row is not None and row.external_id == "wmEXT1" and row.accepted_at is not None
    [event] = await accepted_events(wnode, "demo")
    assert (event.user_id, event.session_id, event.cid, event.actor) == (
        "u1", room.session.id, f"invite:{offer.state}", "wecom")  # fmt: skip
    assert event.payload["external_id"] == "wmEXT1" and event.payload["change"] == change
    assert event.payload["channel"] == "wecom_contact" and event.payload["staff_user"] == "zhangsan"
    # WeCom re-sends the callback (its retry), then someone else scans the same QR code: logged once
    again = await http.post(PATH, params=query, content=body)
    query2, body2 = signed_post(contact_added_xml(offer.state, "wmEXT2", change))
    other = await http.post(PATH, params=query2, content=body2)
    assert again.text == other.text == "success"
    assert len(await accepted_events(wnode, "demo")) == 1
    row = await invites.store.get(offer.state)
    assert row is not None and row.external_id == "wmEXT1"


async def test_an_invite_of_a_room_not_loaded_here_is_logged_through_the_event_log(
    wnode: Node, http: httpx.AsyncClient, invites: InviteService
) -> None:
    offer = await invites.issue("elsewhere", "s9", "pb-1", "u7", Channel.FOLLOW_NOTIFY)
    assert wnode.registry.loaded("elsewhere") is None
    query, body = signed_post(contact_added_xml(offer.state, "wmEXT7"))
    assert (await http.post(PATH, params=query, content=body)).text == "success"
    [event] = await accepted_events(wnode, "elsewhere")
    assert (event.user_id, event.session_id) == ("u7", "s9")


async def test_unknown_states_and_other_events_are_answered_success_and_ignored(
    wnode: Node, http: httpx.AsyncClient
) -> None:
    messages = [
        contact_added_xml(make_state("demo", "s", "pb", "nobody"), "wmX"),  # no such invite
        contact_added_xml("not-ours-at-all", "wmX"),
        contact_added_xml("", "wmX"),
        b"<xml><MsgType>event</MsgType><Event>change_external_contact</Event>"
        b"<ChangeType>del_external_contact</ChangeType><State>x</State></xml>",
        b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>",
    ]
    for message in messages:
        query, body = signed_post(message)
        got = await http.post(PATH, params=query, content=body)
        assert got.status_code == 200 and got.text == "success"
    assert await accepted_events(wnode, "demo") == []


async def test_a_bad_signature_is_403(http: httpx.AsyncClient) -> None:
    query, body = signed_post(contact_added_xml("x", "wmX"))
    refused(await http.post(PATH, params={**query, "msg_signature": "0" * 40}, content=body),
            403, "wecom.bad_signature")  # fmt: skip
    other_nonce = await http.post(PATH, params={**query, "nonce": "other"}, content=body)
    refused(other_nonce, 403, "wecom.bad_signature")
    encrypted = wecom_encrypt(contact_added_xml("x", "wmX"))
    ts, nonce = "1", "2"
    forged = wecom_sign(ts, nonce, encrypted, token="another")
    refused(await http.post(PATH, params={"msg_signature": forged, "timestamp": ts, "nonce": nonce},
                            content=envelope(encrypted)), 403, "wecom.bad_signature")  # fmt: skip


async def test_a_message_for_another_corp_or_key_is_refused(http: httpx.AsyncClient) -> None:
    query, body = signed_post(contact_added_xml("x", "wmX"), receiver="wwSOMEONEELSE")
    refused(await http.post(PATH, params=query, content=body), 403, "wecom.wrong_receiver")
    query, body = signed_post(contact_added_xml("x", "wmX"), key="b" * 43)  # signed right, wrong key
    refused(await http.post(PATH, params=query, content=body), 400, "wecom.bad_cipher")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><Encrypt>abc",
        b"<other><Encrypt>abc</Encrypt></other>",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        "<xml><Encrypt>\udcff</Encrypt></xml>".encode("utf-8", "surrogateescape"),
    ],
)
async def test_a_body_that_is_not_wecoms_xml_is_400(http: httpx.AsyncClient, body: bytes) -> None:
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "2"}
    refused(await http.post(PATH, params=query, content=body), 400, "wecom.bad_xml")


@pytest.mark.parametrize("encrypted", ["%%%notbase64", base64.b64encode(b"short").decode(), "QUJD"])
async def test_an_encrypt_that_is_not_wecoms_cipher_is_400(http: httpx.AsyncClient, encrypted: str) -> None:
    ts, nonce = "1", "2"
    query = {"msg_signature": wecom_sign(ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    refused(await http.post(PATH, params=query, content=envelope(encrypted)), 400, "wecom.bad_cipher")


async def test_decrypted_text_that_is_not_xml_is_400(http: httpx.AsyncClient) -> None:
    query, body = signed_post(b"<xml><State>unclosed")
    refused(await http.post(PATH, params=query, content=body), 400, "wecom.bad_xml")
    query, body = signed_post(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>')
    refused(await http.post(PATH, params=query, content=body), 400, "wecom.bad_xml")


async def test_missing_parameters_and_a_huge_body(http: httpx.AsyncClient) -> None:
    refused(await http.post(PATH, content=b"<xml/>"), 422, "request.invalid")
    refused(await http.get(PATH, params={"timestamp": "1"}), 422, "request.invalid")
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "2"}
    refused(await http.post(PATH, params=query, content=b"<xml>" + b" " * 70_000 + b"</xml>"),
            413, "request.too_large")  # fmt: skip


async def test_the_callback_is_off_without_its_keys(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        query, body = signed_post(contact_added_xml("x", "wmX"))
        refused(await http.post(PATH, params=query, content=body), 403, "wecom.callback_off")
        refused(await http.get(PATH, params={**query, "echostr": "abc"}), 403, "wecom.callback_off")
