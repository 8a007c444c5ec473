"""WeCom's callback codec (siyu.playbooks.wecom_callback) against the test's own encryptor, and properties:
whatever the input, the only failure is a CallbackRefused with a documented code."""

from __future__ import annotations

import base64

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from siyu.playbooks.wecom_callback import (
    CallbackRefused,
    contact_added,
    decrypt,
    encrypted_field,
    parse_fields,
    signature,
    verify,
)
from siyu.sim.wecom import CORP_ID
from tests.web.test_wecom_callback import AES_KEY, TOKEN, wecom_encrypt, wecom_sign

CODES = {"wecom.bad_xml", "wecom.bad_cipher", "wecom.bad_signature", "wecom.wrong_receiver"}


@given(st.binary(max_size=3000))
@example(b"")
@example(b"x" * 31)
def test_what_wecom_encrypts_decrypts_to_the_message(message: bytes) -> None:
    assert decrypt(AES_KEY, wecom_encrypt(message), CORP_ID) == message


@given(st.text(max_size=40), st.text(max_size=40), st.text(min_size=1, max_size=200))
def test_the_signature_is_wecoms(timestamp: str, nonce: str, encrypted: str) -> None:
    assert signature(TOKEN, timestamp, nonce, encrypted) == wecom_sign(timestamp, nonce, encrypted)
    verify(TOKEN, timestamp, nonce, encrypted, wecom_sign(timestamp, nonce, encrypted).upper())
    with pytest.raises(CallbackRefused) as no:
        verify(TOKEN, timestamp, nonce, encrypted + "x", wecom_sign(timestamp, nonce, encrypted))
    assert (no.value.status, no.value.code) == (403, "wecom.bad_signature")


@given(st.text(max_size=400) | st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()))
@example("QUJD")
@example(base64.b64encode(bytes(32)).decode())
@example(base64.b64encode(bytes(16)).decode())
def test_any_encrypted_text_decrypts_or_is_refused(encrypted: str) -> None:
    try:
        decrypt(AES_KEY, encrypted, CORP_ID)
    except CallbackRefused as no:
        assert no.code in CODES and no.status in (400, 403)


XMLISH = st.text(max_size=300).map(lambda t: f"<xml>{t}</xml>".encode("utf-8", "ignore"))


@given(st.binary(max_size=500) | XMLISH)
@example(b'<?xml version="1.0" encoding="bogus"?><xml/>')
@example(b'<?xml version="1.0" encoding="utf-16"?><xml/>')
@example(b"<xml><a><b>deep</b></a><Encrypt>x</Encrypt></xml>")
@example(b"\xef\xbb\xbf<xml><Encrypt>x</Encrypt></xml>")
def test_any_body_parses_or_is_refused(body: bytes) -> None:
    try:
        fields = parse_fields(body)
        encrypted_field(body)
        contact_added(fields)
    except CallbackRefused as no:
        assert no.code == "wecom.bad_xml" and no.status == 400


def test_contact_added_reads_wecoms_fields() -> None:
    fields = {"Event": "change_external_contact", "ChangeType": "add_external_contact", "UserID": "zhangsan",
              "ExternalUserID": "wmEXT", "State": "syabc"}  # fmt: skip
    added = contact_added(fields)
    assert added is not None
    assert (added.state, added.external_id, added.staff_user) == ("syabc", "wmEXT", "zhangsan")
    assert contact_added({**fields, "ChangeType": "edit_external_contact"}) is None
    assert contact_added({**fields, "State": ""}) is None
    assert contact_added({**fields, "Event": "change_external_chat"}) is None
