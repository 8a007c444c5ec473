"""Signed tokens (JWT, HS256) carrying room, user and role."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

ALGORITHM = "HS256"
ANY_ROOM = "*"


class Role(StrEnum):
    VIEWER = "viewer"
    HOST = "host"
    ASSISTANT = "assistant"  # 场控: room staff who may reply and pin, like the host
    OPERATOR = "operator"
    CONSULTANT = "consultant"  # 顾问: shop staff who take 1v1 calls (issue 14); staff like the 场控

    @property
    def is_staff(self) -> bool:
        return self in (Role.HOST, Role.ASSISTANT, Role.OPERATOR, Role.CONSULTANT)


class AuthError(Exception):
    """A token was refused; `code` is `auth.invalid_token`, `auth.expired_token` or `auth.invalid_claims`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


ROOM_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
"""What a room id is made of (the HTTP API creates rooms with it; the gateway refuses anything else)."""
# Bidirectional embedding, override and isolate controls: they reorder how a name is shown (spoofing).
_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
MAX_NICKNAME = 32
MAX_ID = 64
MAX_LEVEL = 100


def _clean_text(value: object, field: str, limit: int) -> str:
    """A claim that is shown to people or used as a key: a str of printable text (no lone surrogates, no
    control characters), 1..limit characters."""
    if not isinstance(value, str) or not value:
        raise AuthError("auth.invalid_claims", f"{field} must be a non-empty string")
    if len(value) > limit:
        raise AuthError("auth.invalid_claims", f"{field} is longer than {limit} characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ord(ch) in _BIDI
           for ch in value):  # fmt: skip
        raise AuthError("auth.invalid_claims", f"{field} holds a control character or invalid text")
    return value


def check_claims(
    *, room: object, user: object, nickname: object, level: object, joining: bool = False
) -> tuple[str, str, str, int]:
    """Validate claim values at issue and at join alike: (room, user, nickname, level) or AuthError
    `auth.invalid_claims`. A level is an int 0..100 (not a bool, not a string). A nickname longer than 32
    characters is refused at issue and cut to 32 at join (a token another issuer signed)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise AuthError("auth.invalid_claims", f"level must be an integer 0..{MAX_LEVEL}")
    if joining and isinstance(nickname, str):
        nickname = nickname[:MAX_NICKNAME]
    return (
        _clean_text(room, "room", MAX_ID),
        _clean_text(user, "user", MAX_ID),
        _clean_text(nickname, "nickname", MAX_NICKNAME),
        level,
    )


@dataclass(frozen=True, slots=True)
class Claims:
    room: str
    user: str
    role: Role
    nickname: str
    level: int = 0
    avatar: str | None = None
    exp: int = 0

    def allows_room(self, room_id: str) -> bool:
        return self.room == room_id or (self.role is Role.OPERATOR and self.room == ANY_ROOM)


class TokenSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self._ttl_s = ttl_s

    def issue(
        self,
        *,
        room: str,
        user: str,
        role: Role,
        nickname: str | None = None,
        level: int = 0,
        avatar: str | None = None,
        ttl_s: int | None = None,
    ) -> str:
        now = int(time.time())
        room, user, nick, level = check_claims(room=room, user=user, nickname=nickname or user, level=level)
        payload: dict[str, object] = {
            "room": room,
            "sub": user,
            "role": role.value,
            "nick": nick,
            "lvl": level,
            "iat": now,
            "exp": now + (ttl_s if ttl_s is not None else self._ttl_s),
        }
        if avatar:
            payload["avatar"] = avatar
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Claims:
        try:
            data = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "room"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("auth.expired_token", "token has expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("auth.invalid_token", f"token rejected: {exc}") from exc
        nick = data.get("nick") or data["sub"]
        room, user, nickname, level = check_claims(
            room=data["room"], user=data["sub"], nickname=nick, level=data.get("lvl", 0), joining=True
        )
        avatar = data.get("avatar")
        try:
            return Claims(
                room=room,
                user=user,
                role=Role(data.get("role", "viewer")),
                nickname=nickname,
                level=level,
                avatar=_clean_text(avatar, "avatar", 500) if avatar else None,
                exp=int(data["exp"]),
            )
        except (ValueError, TypeError) as exc:
            raise AuthError("auth.invalid_claims", f"token claims malformed: {exc}") from exc
