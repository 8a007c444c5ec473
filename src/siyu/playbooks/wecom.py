"""A small client of WeCom's (企业微信) server API: the access token and the three invite calls.

Every call but `gettoken` carries `?access_token=`; the token is fetched with the app's corp id and secret,
kept until its `expires_in` (less a minute, so it never expires in flight) and fetched again once when
WeCom answers 40014 (invalid) or 42001 (expired), e.g. after another process refreshed it. WeCom answers
HTTP 200 with `errcode` != 0 for its own errors: `WeComApiError(errcode)`; a transport failure, another
HTTP status or a body that is not the JSON WeCom documents is `WeComUnreachable`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from siyu.config import WeComSettings

__all__ = ["TOKEN_ERRCODES", "WeComApiError", "WeComClient", "WeComError", "WeComUnreachable"]

TOKEN_ERRCODES = frozenset({40014, 42001})  # invalid access_token, access_token expired
TOKEN_MARGIN_S = 60.0
TIMEOUT_S = 5.0


class WeComError(Exception):
    """A WeCom call failed; `code` is a documented code (docs/invites.md)."""

    code = "wecom.error"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message


class WeComApiError(WeComError):
    """WeCom answered with `errcode` != 0."""

    code = "wecom.api_error"

    def __init__(self, errcode: int, errmsg: str, call: str) -> None:
        super().__init__(f"{call}: errcode {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.call = call


class WeComUnreachable(WeComError):
    """The call did not reach WeCom, or its answer was not WeCom's JSON."""

    code = "wecom.unreachable"


class WeComClient:
    """The calls the invites need. Owns its httpx client unless one is given (then the caller closes it)."""

    def __init__(
        self,
        settings: WeComSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=TIMEOUT_S)
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0  # how many times gettoken was called (observability, tests)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # --- the invite calls ----------------------------------------------------------------------

    async def add_contact_way(self, users: list[str], state: str, remark: str) -> tuple[str, str]:
        """A "contact me" QR for the staff `users` carrying `state`: (config_id, qr_code URL).

        `type` 1 (one person) needs exactly one user; several users are `type` 2 (WeCom picks one)."""
        body = {
            "type": 1 if len(users) == 1 else 2, "scene": 2, "style": 1, "remark": remark[:30],
            "skip_verify": True, "state": state, "user": users,
        }  # fmt: skip
        got = await self._call("externalcontact/add_contact_way", body)
        return _text(got, "config_id", "add_contact_way"), _text(got, "qr_code", "add_contact_way")

    async def add_join_way(self, chat_ids: list[str], state: str, remark: str) -> str:
        """A "join the group" way for the customer groups `chat_ids` carrying `state`: its config_id."""
        body = {"scene": 2, "remark": remark[:30], "chat_id_list": chat_ids, "state": state}
        got = await self._call("externalcontact/groupchat/add_join_way", body)
        return _text(got, "config_id", "add_join_way")

    async def get_join_way(self, config_id: str) -> str:
        """The QR code URL of a join way."""
        got = await self._call("externalcontact/groupchat/get_join_way", {"config_id": config_id})
        way = got.get("join_way")
        if not isinstance(way, dict):
            raise WeComUnreachable("get_join_way: the answer has no join_way")
        return _text(way, "qr_code", "get_join_way")

    # --- plumbing ------------------------------------------------------------------------------

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to `/cgi-bin/<path>` with the access token; the token is refreshed once."""
        token = await self._access_token()
        got = await self._request("POST", path, {"access_token": token}, body)
        errcode = _errcode(got, path)
        if errcode in TOKEN_ERRCODES:
            self._forget(token)
            token = await self._access_token()
            got = await self._request("POST", path, {"access_token": token}, body)
            errcode = _errcode(got, path)
        if errcode != 0:
            raise WeComApiError(errcode, str(got.get("errmsg", "")), path.rsplit("/", 1)[-1])
        return got

    def _forget(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def _access_token(self) -> str:
        async with self._token_lock:  # one gettoken at a time: concurrent callers share its answer
            if self._token is not None and self._clock() < self._token_until:
                return self._token
            s = self._settings
            query = {"corpid": s.corp_id, "corpsecret": s.secret.get_secret_value()}
            started = self._clock()
            self.token_fetches += 1
            got = await self._request("GET", "gettoken", query, None)
            errcode = _errcode(got, "gettoken")
            if errcode != 0:
                raise WeComApiError(errcode, str(got.get("errmsg", "")), "gettoken")
            token = _text(got, "access_token", "gettoken")
            expires_in = got.get("expires_in")
            if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
                raise WeComUnreachable("gettoken: the answer has no expires_in")
            self._token = token
            self._token_until = started + max(0.0, expires_in - TOKEN_MARGIN_S)
            return token

    async def _request(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        url = f"{self._settings.api_base}/cgi-bin/{path}"
        content = None if body is None else orjson.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json; charset=utf-8"}
        try:
            answer = await self._http.request(method, url, params=query, content=content, headers=headers)
        except httpx.HTTPError as exc:
            # the message names the call, never the URL: the query holds the secret or the token
            raise WeComUnreachable(f"{path}: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise WeComUnreachable(f"{path}: HTTP {answer.status_code}")
        try:
            got = orjson.loads(answer.content)
        except orjson.JSONDecodeError:
            raise WeComUnreachable(f"{path}: the answer is not JSON") from None
        if not isinstance(got, dict):
            raise WeComUnreachable(f"{path}: the answer is not a JSON object")
        return got


def _errcode(got: dict[str, Any], call: str) -> int:
    code = got.get("errcode", 0)  # gettoken's success carries errcode 0; WeCom may leave it out
    if not isinstance(code, int) or isinstance(code, bool):
        raise WeComUnreachable(f"{call}: errcode is not a number")
    return code


def _text(got: dict[str, Any], key: str, call: str) -> str:
    value = got.get(key)
    if not isinstance(value, str) or not value:
        raise WeComUnreachable(f"{call}: the answer has no {key}")
    return value
