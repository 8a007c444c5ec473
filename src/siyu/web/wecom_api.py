"""WeCom's (企业微信) callback: `GET /api/wecom/callback` (URL verification) and `POST` (events).

WeCom calls it, not a person: no bearer token, but WeCom's signature and encryption with the `[wecom]`
callback_token and callback_aes_key (siyu.playbooks.wecom_callback). The one event acted on is a customer
adding a staff member through an invite's contact way (`change_external_contact`, `add_external_contact`
or `add_half_external_contact`, with the invite's `State`): the invite is marked accepted once and
`invite.accepted` is logged in its room. Every other event, and a State that is not an invite of ours, is
answered `success` and ignored (WeCom re-sends what it gets no answer to). Bad input is 400 or 403 with a
documented code, never a 5xx.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.
import logging
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import PlainTextResponse

from siyu.playbooks.invite import InviteStore, accept_contact
from siyu.playbooks.wecom_callback import (
    MAX_XML_BYTES,
    CallbackRefused,
    contact_added,
    decrypt,
    encrypted_field,
    parse_fields,
    verify,
)
from siyu.web.errors import ApiError, responses

if TYPE_CHECKING:
    from siyu.app import Node

__all__ = ["CALLBACK_PATH", "add_wecom_routes"]

log = logging.getLogger(__name__)

CALLBACK_PATH = "/api/wecom/callback"
Signature = Annotated[str, Query(min_length=1, max_length=128, description="WeCom's msg_signature")]
Timestamp = Annotated[str, Query(min_length=1, max_length=32)]
Nonce = Annotated[str, Query(min_length=1, max_length=128)]
XML_BODY = {"type": "string", "description": "<xml><ToUserName/><AgentID/><Encrypt>…</Encrypt></xml>"}
# the answers WeCom reads are plain text; the errors are the JSON envelope like every route's
TEXT_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "plain text", "content": {"text/plain": {"schema": {"type": "string"}}}}
}
_REASONS = {
    400: "wecom.bad_xml / wecom.bad_cipher",
    403: "wecom.bad_signature / wecom.wrong_receiver / wecom.callback_off",
}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    documented = responses(*statuses)
    for status, reason in _REASONS.items():
        if status in documented:
            documented[status] = {**documented[status], "description": reason}
    return {**TEXT_OK, **documented}


Echo = Annotated[str, Query(min_length=1, max_length=4096, description="the encrypted echo text")]


def add_wecom_routes(app: FastAPI, node: "Node") -> None:
    settings = node.settings.wecom
    store = InviteStore(node.db)

    def keys() -> tuple[str, str]:
        if not settings.callback_on:
            raise ApiError(403, "wecom.callback_off", "the WeCom callback is off ([wecom] unset)")
        return settings.callback_token.get_secret_value(), settings.callback_aes_key.get_secret_value()

    @app.get(CALLBACK_PATH, responses=_responses(400, 403, 422))
    async def wecom_verify(
        msg_signature: Signature, timestamp: Timestamp, nonce: Nonce, echostr: Echo
    ) -> PlainTextResponse:
        """WeCom's URL verification: the decrypted `echostr`, as plain text."""
        token, aes_key = keys()
        try:
            verify(token, timestamp, nonce, echostr, msg_signature)
            echo = decrypt(aes_key, echostr, settings.corp_id)
            text = echo.decode("utf-8")
        except CallbackRefused as no:
            raise ApiError(no.status, no.code, no.message) from None
        except UnicodeDecodeError:
            raise ApiError(400, "wecom.bad_cipher", "the echo text is not UTF-8") from None
        return PlainTextResponse(text)

    @app.post(
        CALLBACK_PATH, responses=_responses(400, 403, 413, 422),
        openapi_extra={"requestBody": {"required": True, "content": {"text/xml": {"schema": XML_BODY}}}},
    )  # fmt: skip
    async def wecom_event(
        request: Request, msg_signature: Signature, timestamp: Timestamp, nonce: Nonce
    ) -> PlainTextResponse:
        """A WeCom event (encrypted XML): `success` once handled or ignored."""
        token, aes_key = keys()
        body = await request.body()
        if len(body) > MAX_XML_BYTES:
            raise ApiError(413, "request.too_large", f"a WeCom callback is at most {MAX_XML_BYTES} bytes")
        try:
            encrypted = encrypted_field(body)
            verify(token, timestamp, nonce, encrypted, msg_signature)
            fields = parse_fields(decrypt(aes_key, encrypted, settings.corp_id))
        except CallbackRefused as no:
            raise ApiError(no.status, no.code, no.message) from None
        added = contact_added(fields)
        if added is not None:
            event = await accept_contact(store, added.state, added.external_id,
                                         staff_user=added.staff_user, change=added.change)  # fmt: skip
            if event is None:
                log.info("wecom: contact added with state %r: not an open invite of ours", added.state[:40])
            else:
                room = node.registry.loaded(event.room_id)
                await (room.log(event) if room is not None else node.eventlog.append(event))
        return PlainTextResponse("success")
