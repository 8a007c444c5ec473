"""A WeCom sandbox: a local HTTP server speaking the part of WeCom's server API the invites use, as
documented (the demo runs it so its invites show real contact-way QR codes; the tests run it as WeCom):

- `GET /cgi-bin/gettoken?corpid=&corpsecret=` -> {errcode: 0, access_token, expires_in}
- `POST /cgi-bin/externalcontact/add_contact_way?access_token=` {type, scene, style, user, state, …}
  -> {errcode: 0, config_id, qr_code}
- `POST /cgi-bin/externalcontact/groupchat/add_join_way?access_token=` {scene, chat_id_list, state, …}
  -> {errcode: 0, config_id}
- `POST /cgi-bin/externalcontact/groupchat/get_join_way?access_token=` {config_id} -> {errcode: 0, join_way}

A call with a token it never issued is 40014, with a token it expired (`expire_tokens`) 42001. It checks the
documented constraints of each body (a breach is errcode 40058, invalid parameter) and records every
request. `fail(path, errcode)` makes the next call of that path answer that errcode.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CORP_ID = "ww0123456789abcdef"
SECRET = "app-secret-not-for-logs"


@dataclass
class Call:
    method: str
    path: str  # without /cgi-bin/
    query: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeWeCom:
    expires_in: int = 7200
    calls: list[Call] = field(default_factory=list)
    tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    failures: dict[str, list[int]] = field(default_factory=dict)
    join_ways: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def fail(self, path: str, *errcodes: int) -> None:
        self.failures.setdefault(path, []).extend(errcodes)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, False)

    # --- the endpoints ---------------------------------------------------------------------------

    def answer(self, call: Call) -> dict[str, Any]:
        with self.lock:
            self.calls.append(call)
            if self.failures.get(call.path):
                code = self.failures[call.path].pop(0)
                return {"errcode": code, "errmsg": f"forced {code}"}
            if call.path == "gettoken":
                if call.query.get("corpid") != CORP_ID or call.query.get("corpsecret") != SECRET:
                    return {"errcode": 40001, "errmsg": "invalid credential"}
                token = f"T{len(self.tokens) + 1}"
                self.tokens[token] = True
                return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}
            valid = self.tokens.get(call.query.get("access_token", ""))
            if valid is None:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            if not valid:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            body = call.body or {}
            n = len(self.calls)
            if call.path == "externalcontact/add_contact_way":
                return self._add_contact_way(body, n)
            if call.path == "externalcontact/groupchat/add_join_way":
                return self._add_join_way(body, n)
            if call.path == "externalcontact/groupchat/get_join_way":
                way = self.join_ways.get(str(body.get("config_id")))
                if way is None:
                    return {"errcode": 40058, "errmsg": "invalid config_id"}
                return {"errcode": 0, "errmsg": "ok", "join_way": way}
            return {"errcode": 60011, "errmsg": "no privilege"}

    def _add_contact_way(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        users, state = body.get("user"), body.get("state", "")
        ok = (
            body.get("type") in (1, 2) and body.get("scene") in (1, 2) and body.get("style", 1) in (1, 2, 3)
            and isinstance(users, list) and users and (body["type"] == 2 or len(users) == 1)
            and isinstance(state, str) and len(state) <= 30 and len(body.get("remark", "")) <= 30
        )  # fmt: skip
        if not ok:
            return {"errcode": 40058, "errmsg": "invalid parameter"}
        config_id = f"cfg{n}"
        return {"errcode": 0, "errmsg": "ok", "config_id": config_id,
                "qr_code": f"https://wwcdn.weixin.qq.com/contact/{config_id}.png"}  # fmt: skip

    def _add_join_way(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        chats, state = body.get("chat_id_list"), body.get("state", "")
        ok = (
            body.get("scene") in (1, 2) and isinstance(chats, list) and 1 <= len(chats) <= 5
            and isinstance(state, str) and len(state) <= 30
        )  # fmt: skip
        if not ok:
            return {"errcode": 40058, "errmsg": "invalid parameter"}
        config_id = f"join{n}"
        self.join_ways[config_id] = {
            "config_id": config_id, "scene": body["scene"], "chat_id_list": chats, "state": state,
            "qr_code": f"https://wwcdn.weixin.qq.com/join/{config_id}.png",
        }  # fmt: skip
        return {"errcode": 0, "errmsg": "ok", "config_id": config_id}


def _handler(fake: FakeWeCom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            if not url.path.startswith("/cgi-bin/"):
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = None
            if method == "POST":
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw)
            data = json.dumps(fake.answer(Call(method, url.path.removeprefix("/cgi-bin/"), query, body)))
            out = data.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve() -> Iterator[FakeWeCom]:
    fake = FakeWeCom()
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), name="fake-wecom", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        thread.join(10)
