"""WeCom's callback protocol (企业微信 "接收消息与事件" / "加解密方案"): signature, AES decryption, events.

- `msg_signature` = hex SHA-1 of the sorted concatenation of Token, `timestamp`, `nonce` and the encrypted
  text (`echostr` for the URL check, the `<Encrypt>` of the posted XML for a message).
- The encrypted text is base64 of AES-256-CBC with key = base64decode(EncodingAESKey + "="), iv = key[:16],
  PKCS#7 padding to a multiple of 32 bytes. The plaintext is 16 random bytes, a 4-byte big-endian length,
  the message (the XML, or the echo text), then the receiver id (the corp id for a corp's own app).

Whatever arrives, a failure is a `CallbackRefused` with a documented code and status, never another error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "CallbackRefused",
    "ContactAdded",
    "contact_added",
    "decrypt",
    "encrypted_field",
    "parse_fields",
    "signature",
    "verify",
]

PAD_BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16
MAX_XML_BYTES = 64 * 1024
ADD_CHANGES = frozenset({"add_external_contact", "add_half_external_contact"})
_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class CallbackRefused(Exception):
    """A callback request that is refused: HTTP `status` and a documented `code`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's msg_signature of an encrypted text."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypted))).encode()).hexdigest()


def verify(token: str, timestamp: str, nonce: str, encrypted: str, msg_signature: str) -> None:
    want = signature(token, timestamp, nonce, encrypted)
    if not hmac.compare_digest(want.encode(), msg_signature.lower().encode()):
        raise CallbackRefused(403, "wecom.bad_signature", "msg_signature does not match")


def decrypt(aes_key: str, encrypted: str, receive_id: str) -> bytes:
    """The message inside `encrypted` (base64), checked to be for `receive_id` (the corp id)."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused(400, "wecom.bad_cipher", "the encrypted text is not base64") from None
    if not data or len(data) % 16:
        raise CallbackRefused(400, "wecom.bad_cipher", "the encrypted text is not whole AES blocks")
    key = base64.b64decode(aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
        raise CallbackRefused(400, "wecom.bad_cipher", "the padding is wrong (another EncodingAESKey?)")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CallbackRefused(400, "wecom.bad_cipher", "the plaintext is too short")
    size = int.from_bytes(plain[16:20], "big")
    if 20 + size > len(plain):
        raise CallbackRefused(400, "wecom.bad_cipher", "the message length is wrong")
    message, receiver = plain[20 : 20 + size], plain[20 + size :]
    if not hmac.compare_digest(receiver, receive_id.encode()):
        raise CallbackRefused(403, "wecom.wrong_receiver", "the message is for another corp id")
    return message


def parse_fields(xml: bytes) -> dict[str, str]:
    """The child elements of WeCom's `<xml>` root as {tag: text}; anything else is `wecom.bad_xml`."""
    if len(xml) > MAX_XML_BYTES:
        raise CallbackRefused(400, "wecom.bad_xml", f"the XML is larger than {MAX_XML_BYTES} bytes")
    if _DECLARATIONS.search(xml):  # WeCom sends none; refusing them rules out entity expansion
        raise CallbackRefused(400, "wecom.bad_xml", "the XML holds a DOCTYPE or ENTITY declaration")
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, ValueError, LookupError):  # LookupError: an unknown encoding="…"
        raise CallbackRefused(400, "wecom.bad_xml", "the body is not well-formed XML") from None
    if root.tag != "xml":
        raise CallbackRefused(400, "wecom.bad_xml", "the root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def encrypted_field(body: bytes) -> str:
    """The `<Encrypt>` of a posted callback body."""
    encrypted = parse_fields(body).get("Encrypt", "")
    if not encrypted:
        raise CallbackRefused(400, "wecom.bad_xml", "the XML has no <Encrypt>")
    return encrypted


@dataclass(frozen=True, slots=True)
class ContactAdded:
    """A customer added a staff member through a contact way (event change_external_contact)."""

    state: str
    external_id: str  # ExternalUserID: the customer, as the corp knows them
    staff_user: str  # UserID: the staff member who was added
    change: str  # add_external_contact | add_half_external_contact


def contact_added(fields: dict[str, str]) -> ContactAdded | None:
    """The contact-add event these fields are, or None (another event, or one without a State)."""
    if fields.get("Event") != "change_external_contact" or fields.get("ChangeType") not in ADD_CHANGES:
        return None
    state, external = fields.get("State", ""), fields.get("ExternalUserID", "")
    if not state or not external:
        return None
    return ContactAdded(state, external[:64], fields.get("UserID", "")[:64], fields["ChangeType"])
