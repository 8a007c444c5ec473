"""Who may call a route: the bearer token, its role and its room, checked before the body is read.

A route declares what it needs with a dependency (`Depends(require.operator)`, `…staff`, `…token`);
:class:`siyu.web.strict.StrictRoute` runs the same check before it reads or validates the body, so a
viewer posting anything to a staff route gets 403 `auth.forbidden_role`, whatever the body holds.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's signature at runtime.
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from siyu.auth import AuthError, Claims, Role, TokenSigner
from siyu.web.errors import ApiError

__all__ = ["Need", "Require", "Requirements", "bearer_scheme"]

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="`Authorization: Bearer <token>`: a token from POST /api/tokens or `siyu token issue`",
)
_CLAIMS = "siyu.claims"


class Need(StrEnum):
    TOKEN = "token"  # any valid token
    OPERATOR = "operator"  # an operator token
    STAFF = "staff"  # host, assistant or operator, for the room in the path (`room_id`)
    ANY_STAFF = "any_staff"  # staff of whichever room (a route about no one room, e.g. the live rooms)


class Require:
    """A route dependency that answers the caller's claims, or refuses with 401/403 in the envelope."""

    def __init__(self, signer: TokenSigner, need: Need) -> None:
        self.signer = signer
        self.need = need

    def check(self, request: Request) -> Claims:
        cached = request.scope.get(_CLAIMS)
        claims = cached if isinstance(cached, Claims) else self._verify(request)
        request.scope[_CLAIMS] = claims
        if self.need is Need.OPERATOR and claims.role is not Role.OPERATOR:
            raise ApiError(403, "auth.forbidden_role", "operator role required")
        if self.need is Need.ANY_STAFF and not claims.role.is_staff:
            raise ApiError(403, "auth.forbidden_role", "a staff role required")
        if self.need is Need.STAFF:
            if not claims.role.is_staff:
                raise ApiError(403, "auth.forbidden_role", "host, assistant or operator role required")
            if not claims.allows_room(str(request.path_params.get("room_id", ""))):
                raise ApiError(403, "auth.wrong_room", "token is for another room")
        return claims

    def _verify(self, request: Request) -> Claims:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "auth.missing_token", "Authorization: Bearer <token> required")
        try:
            return self.signer.verify(token.strip())
        except AuthError as exc:
            raise ApiError(401, exc.code, str(exc)) from exc

    async def __call__(
        self, request: Request, _doc: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> Claims:
        return self.check(request)


class Requirements:
    """The dependencies of one app (they share its signer)."""

    def __init__(self, signer: TokenSigner) -> None:
        self.token = Require(signer, Need.TOKEN)
        self.operator = Require(signer, Need.OPERATOR)
        self.staff = Require(signer, Need.STAFF)
        self.any_staff = Require(signer, Need.ANY_STAFF)
