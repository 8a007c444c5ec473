"""Signed tokens: round trip, expiry, tampering, malformed claims, room access and roles."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from siyu.auth import ALGORITHM, ANY_ROOM, AuthError, Claims, Role, TokenSigner

SECRET = "test-secret-0123456789-abcdefghijklmnop"  # >= 32 chars: no InsecureKeyLengthWarning
OTHER_SECRET = "another-secret-0123456789-abcdefghijkl"
TTL = 3600


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET, TTL)


def raw_token(claims: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def valid_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"room": "r1", "sub": "u1", "role": "viewer", "exp": int(time.time()) + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def expect_auth_error(signer: TokenSigner, token: str, code: str) -> AuthError:
    with pytest.raises(AuthError) as info:
        signer.verify(token)
    assert info.value.code == code
    return info.value


# --- round trip --------------------------------------------------------------------------------


def test_round_trip_all_claims(signer: TokenSigner) -> None:
    before = int(time.time())
    token = signer.issue(
        room="room-7", user="u-42", role=Role.ASSISTANT, nickname="小美", level=9, avatar="https://a/x.png"
    )
    after = int(time.time())
    claims = signer.verify(token)
    assert claims.room == "room-7"
    assert claims.user == "u-42"
    assert claims.role is Role.ASSISTANT
    assert claims.nickname == "小美"
    assert claims.level == 9
    assert claims.avatar == "https://a/x.png"
    assert before + TTL <= claims.exp <= after + TTL


def test_optional_claims_default(signer: TokenSigner) -> None:
    claims = signer.verify(signer.issue(room="r", user="viewer-1", role=Role.VIEWER))
    assert claims.nickname == "viewer-1"  # nickname falls back to the user id
    assert claims.level == 0
    assert claims.avatar is None
    assert claims.role is Role.VIEWER


@pytest.mark.parametrize("role", list(Role))
def test_round_trip_every_role(signer: TokenSigner, role: Role) -> None:
    assert signer.verify(signer.issue(room="r", user="u", role=role)).role is role


def test_explicit_ttl(signer: TokenSigner) -> None:
    before = int(time.time())
    claims = signer.verify(signer.issue(room="r", user="u", role=Role.HOST, ttl_s=120))
    assert before + 120 <= claims.exp <= int(time.time()) + 120


def test_token_is_signed_hs256(signer: TokenSigner) -> None:
    token = signer.issue(room="r", user="u", role=Role.VIEWER)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_long_nickname_refused_at_issue_and_truncated_to_32_at_join(signer: TokenSigner) -> None:
    with pytest.raises(AuthError) as info:
        signer.issue(room="r", user="u", role=Role.VIEWER, nickname="昵" * 50)
    assert info.value.code == "auth.invalid_claims"
    claims = signer.verify(raw_token(valid_claims(nick="昵" * 50)))  # signed by another issuer
    assert claims.nickname == "昵" * 32


@pytest.mark.parametrize(
    "changes",
    [{"nick": "\udcff"}, {"nick": "a\x00b"}, {"nick": {"x": 1}}, {"lvl": 2**64}, {"lvl": -1}, {"lvl": "6"},
     {"lvl": True}, {"sub": "u\n1"}],
)  # fmt: skip
def test_odd_but_signed_claims_are_refused_at_join(signer: TokenSigner, changes: dict[str, Any]) -> None:
    """A signed token whose claims are not what siyu issues never reaches a room (issue 9, point 7)."""
    expect_auth_error(signer, raw_token(valid_claims(**changes)), "auth.invalid_claims")


@pytest.mark.parametrize(
    "kwargs", [{"nickname": "\udcff"}, {"nickname": "tab\there"}, {"level": 101}, {"level": -1}, {"user": ""}]
)
def test_odd_claims_are_refused_at_issue(signer: TokenSigner, kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"room": "r", "user": "u", "role": Role.VIEWER, **kwargs}
    with pytest.raises(AuthError) as info:
        signer.issue(**args)
    assert info.value.code == "auth.invalid_claims"


def test_role_missing_defaults_to_viewer(signer: TokenSigner) -> None:
    claims = signer.verify(raw_token(valid_claims(role=None)))
    assert claims.role is Role.VIEWER


# --- refused tokens ----------------------------------------------------------------------------


def test_expired_token(signer: TokenSigner) -> None:
    token = signer.issue(room="r", user="u", role=Role.VIEWER, ttl_s=-10)
    expect_auth_error(signer, token, "auth.expired_token")


def test_wrong_secret(signer: TokenSigner) -> None:
    token = TokenSigner(OTHER_SECRET, TTL).issue(room="r", user="u", role=Role.VIEWER)
    expect_auth_error(signer, token, "auth.invalid_token")


def test_tampered_payload_keeps_old_signature(signer: TokenSigner) -> None:
    """Escalating the role in the payload while keeping the signature is refused."""
    header, payload, signature = signer.issue(room="r", user="u", role=Role.VIEWER).split(".")
    data = json.loads(b64url_decode(payload))
    data["role"] = "operator"
    data["room"] = ANY_ROOM
    forged = ".".join([header, b64url(json.dumps(data).encode()), signature])
    expect_auth_error(signer, forged, "auth.invalid_token")


def test_tampered_signature(signer: TokenSigner) -> None:
    header, payload, signature = signer.issue(room="r", user="u", role=Role.VIEWER).split(".")
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 0xFF
    expect_auth_error(signer, ".".join([header, payload, b64url(bytes(raw))]), "auth.invalid_token")


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "😀.😀.😀"])
def test_garbage(signer: TokenSigner, garbage: str) -> None:
    expect_auth_error(signer, garbage, "auth.invalid_token")


def test_unsigned_alg_none_refused(signer: TokenSigner) -> None:
    token = jwt.encode(valid_claims(role="operator"), None, algorithm="none")
    expect_auth_error(signer, token, "auth.invalid_token")


@pytest.mark.parametrize("missing", ["exp", "sub", "room"])
def test_missing_required_claim(signer: TokenSigner, missing: str) -> None:
    claims = valid_claims()
    del claims[missing]
    expect_auth_error(signer, raw_token(claims), "auth.invalid_token")


@pytest.mark.parametrize("role", ["admin", "HOST", "", "superuser"])
def test_unknown_role(signer: TokenSigner, role: str) -> None:
    expect_auth_error(signer, raw_token(valid_claims(role=role)), "auth.invalid_claims")


@pytest.mark.parametrize("changes", [{"lvl": "high"}, {"lvl": [1]}])
def test_malformed_claims(signer: TokenSigner, changes: dict[str, Any]) -> None:
    expect_auth_error(signer, raw_token(valid_claims(**changes)), "auth.invalid_claims")


@pytest.mark.parametrize("changes", [{"exp": "soon"}, {"sub": 5}])
def test_registered_claims_of_the_wrong_type_are_an_invalid_token(
    signer: TokenSigner, changes: dict[str, Any]
) -> None:
    """PyJWT itself refuses these (RFC 7519 types)."""
    expect_auth_error(signer, raw_token(valid_claims(**changes)), "auth.invalid_token")


# --- room access and roles ---------------------------------------------------------------------


def claims_for(room: str, role: Role) -> Claims:
    return Claims(room=room, user="u", role=role, nickname="n")


@pytest.mark.parametrize("role", list(Role))
def test_allows_exact_room(role: Role) -> None:
    claims = claims_for("demo", role)
    assert claims.allows_room("demo")
    assert not claims.allows_room("other")
    assert not claims.allows_room("demo2")


def test_operator_wildcard_allows_every_room() -> None:
    claims = claims_for(ANY_ROOM, Role.OPERATOR)
    assert claims.allows_room("demo")
    assert claims.allows_room("another-room")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.HOST, Role.ASSISTANT])
def test_wildcard_refused_for_non_operators(role: Role) -> None:
    claims = claims_for(ANY_ROOM, role)
    assert not claims.allows_room("demo")
    assert not claims.allows_room("another-room")


def test_wildcard_through_a_real_token(signer: TokenSigner) -> None:
    op = signer.verify(signer.issue(room=ANY_ROOM, user="ops", role=Role.OPERATOR))
    viewer = signer.verify(signer.issue(room=ANY_ROOM, user="v", role=Role.VIEWER))
    assert op.allows_room("demo")
    assert not viewer.allows_room("demo")


@pytest.mark.parametrize(
    ("role", "staff"),
    [(Role.VIEWER, False), (Role.HOST, True), (Role.ASSISTANT, True), (Role.OPERATOR, True),
     (Role.CONSULTANT, True)],
)
def test_is_staff(role: Role, staff: bool) -> None:
    assert role.is_staff is staff


def test_role_values_are_wire_strings() -> None:
    assert {r.value for r in Role} == {"viewer", "host", "assistant", "operator", "consultant"}
    assert Role("host") is Role.HOST
