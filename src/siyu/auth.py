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

    @property
    def is_staff(self) -> bool:
        return self in (Role.HOST, Role.ASSISTANT, Role.OPERATOR)


class AuthError(Exception):
    """A token was refused; `code` is `auth.invalid_token` or `auth.expired_token`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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
        payload: dict[str, object] = {
            "room": room,
            "sub": user,
            "role": role.value,
            "nick": nickname or user,
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
        try:
            return Claims(
                room=str(data["room"]),
                user=str(data["sub"]),
                role=Role(data.get("role", "viewer")),
                nickname=str(data.get("nick") or data["sub"])[:32],
                level=int(data.get("lvl", 0)),
                avatar=str(data["avatar"])[:500] if data.get("avatar") else None,
                exp=int(data["exp"]),
            )
        except (ValueError, TypeError) as exc:
            raise AuthError("auth.invalid_token", f"token claims malformed: {exc}") from exc
