"""The HTTP API keeps its promises for any input (issue 9): no 5xx, one error envelope with documented codes,
authorization before validation, a shop without products still serves its rooms."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from siyu.app import Node
from siyu.auth import ANY_ROOM, Role
from tests.conftest import Client
from tests.web.conftest import documented_http_codes

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def bearer(node: Node, role: Role, room: str = "demo", user: str = "u") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room=room, user=user, role=role)}", **JSON}


def assert_envelope(r: httpx.Response, status: int | None = None, code: str | None = None) -> str:
    """The response is `{"error": {"code", "message"}}` with a code (and status) docs/protocol.md lists."""
    assert r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    got: str = body["error"]["code"]
    documented = documented_http_codes()
    assert got in documented, f"{got} is not in docs/protocol.md section 8"
    assert r.status_code in documented[got], (got, r.status_code, documented[got])
    if status is not None:
        assert r.status_code == status, (r.status_code, r.text)
    if code is not None:
        assert got == code, r.text
    return got


def server_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Log records at ERROR or above during the test (an unhandled exception in the ASGI app logs one)."""
    return [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]


@pytest.fixture(autouse=True)
def no_unhandled_errors(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No test of this module leaves an error (a traceback) in the server's log, but the one about bugs."""
    yield
    if request.node.name != "test_an_unexpected_error_is_the_internal_envelope":
        assert [r.getMessage() for r in server_errors(caplog)] == []


# Bodies no JSON parser should take as data, or that used to crash building the 422 response.
ODD_BODIES = [
    '{"room": NaN, "user": "u"}',
    '{"room": "demo", "user": "u", "level": Infinity}',
    '{"room": "demo", "user": "u", "level": -Infinity}',
    '{"room": "\\ud800", "user": "u"}',
    '{"room": "demo", "user": "u", "nickname": "\\udfff"}',
    '{"\\ud800": 1}',
    '{"room": "demo", "user": "u", "level": 1e400}',
    "{bad",
    "",
    "[]",
    "null",
    '"just a string"',
    '{"room": "demo", "user": "u", "level": 1180591620717411303424}',
    '{"room": "de\\u0000mo", "user": "u"}',
]
BODY_ENDPOINTS = [
    ("POST", "/api/tokens"),
    ("POST", "/api/rooms"),
    ("PUT", "/api/shops/s1/catalog"),
    ("POST", "/api/rooms/demo/assistant/ask"),
    ("POST", "/api/rooms/demo/stock"),
    ("PUT", "/api/rooms/demo/welcome-template"),
    ("POST", "/api/rooms/demo/live"),
]


async def test_odd_bodies_never_give_a_5xx(sqlite_node: Node, caplog: pytest.LogCaptureFixture) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        for method, path in BODY_ENDPOINTS:
            for body in ODD_BODIES:
                r = await http.request(
                    method, path, content=body.encode("utf-8", "surrogatepass"), headers=op
                )
                code = assert_envelope(r)
                assert code in ("request.bad_json", "request.invalid"), (method, path, body, r.text)
            # raw bytes that are not UTF-8, and a raw (unescaped) surrogate
            for raw in (b'{"room": "\xff"}', b'{"room": "\xed\xa0\x80"}'):
                assert_envelope(
                    await http.request(method, path, content=raw, headers=op), 400, "request.bad_json"
                )
    assert server_errors(caplog) == []


async def test_huge_integers_in_a_catalog_are_refused_with_the_field(sqlite_node: Node) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    product = {"id": "p1", "name": "裙子", "price": 100}
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        for field, value in (("price", 2**70), ("link_no", 2**70), ("live_price", 2**63), ("price", 2**40)):
            doc = {"shop": {"name": "x"}, "products": [{**product, field: value}]}
            r = await http.put("/api/shops/s1/catalog", json=doc, headers=op)
            assert_envelope(r, 422, "request.invalid")
            assert f"products.0.{field}" in r.json()["error"]["message"]
        # a NUL anywhere in the document (PostgreSQL refuses it in text and JSONB)
        doc = {"shop": {"name": "x", "faq": [{"q": "a\u0000"}]}, "products": []}
        r = await http.put("/api/shops/s1/catalog", json=doc, headers=op)
        assert_envelope(r, 422, "request.invalid")
        assert "shop.faq.0.q" in r.json()["error"]["message"]


async def test_validation_failures_name_the_field(sqlite_node: Node) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post("/api/tokens", json={"room": "demo"}, headers=op)
        assert_envelope(r, 422, "request.invalid")
        assert "user" in r.json()["error"]["message"]
        r = await http.post("/api/rooms", json={"id": "a b", "shop_id": "wanwan", "title": "t"}, headers=op)
        assert_envelope(r, 422, "request.invalid")
        assert "id" in r.json()["error"]["message"]
        r = await http.get("/api/rooms/demo/recommendations", params={"user": "u", "k": "many"}, headers=op)
        assert_envelope(r, 422, "request.invalid")
        assert "k" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "body", ['{"question": NaN}', "{bad", '{"x": "\\ud800"}', '{"question": "这件有货吗"}']
)
async def test_authorization_comes_before_the_body(sqlite_node: Node, body: str) -> None:
    """A viewer posting to a staff or operator endpoint gets 403 whatever the body; no token gets 401."""
    node = sqlite_node
    viewer = bearer(node, Role.VIEWER)
    other_host = bearer(node, Role.HOST, room="elsewhere")
    host = bearer(node, Role.HOST)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        for method, path in BODY_ENDPOINTS:
            r = await http.request(method, path, content=body, headers=viewer)
            assert_envelope(r, 403, "auth.forbidden_role")
            r = await http.request(method, path, content=body, headers=JSON)
            assert_envelope(r, 401, "auth.missing_token")
            r = await http.request(
                method, path, content=body, headers={**JSON, "Authorization": "Bearer junk"}
            )
            assert_envelope(r, 401, "auth.invalid_token")
            if "/rooms/demo/" in path:
                r = await http.request(method, path, content=body, headers=other_host)
                assert_envelope(r, 403, "auth.wrong_room")
            else:  # operator-only
                r = await http.request(method, path, content=body, headers=host)
                assert_envelope(r, 403, "auth.forbidden_role")
        r = await http.get("/api/rooms/demo/recommendations", params={"k": "x"}, headers=viewer)
        assert_envelope(r, 403, "auth.forbidden_role")


async def test_unknown_paths_and_methods_use_the_envelope(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        assert_envelope(await http.get("/api/nope"), 404, "not_found")
        assert_envelope(await http.delete("/api/tokens"), 405, "method_not_allowed")
        assert_envelope(await http.get("/api/rooms/nope"), 404, "room_not_found")


async def test_an_unexpected_error_is_the_internal_envelope(
    sqlite_node: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The last resort: a bug answers 500 `internal` in the envelope (and is logged once, with its trace)."""
    node = sqlite_node

    async def broken() -> list[dict[str, Any]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(node.rooms, "list_rooms", broken)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.get("/api/rooms", headers=bearer(node, Role.OPERATOR, ANY_ROOM))
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "internal server error"}}
    assert "internal" in documented_http_codes()
    assert len([rec for rec in caplog.records if rec.exc_info and "boom" in str(rec.exc_info[1])]) == 1


async def test_room_ids_outside_the_id_alphabet_are_no_room(sqlite_node: Node) -> None:
    """Path ids never reach the database as arbitrary text (a NUL is refused by PostgreSQL)."""
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        for rid in ("a%00b", "x" * 65, "%E2%80%AE"):
            assert_envelope(await http.get(f"/api/rooms/{rid}"), 404, "room_not_found")
            assert_envelope(
                await http.post(f"/api/rooms/{rid}/live", json={}, headers=op), 404, "room_not_found"
            )
        r = await http.put("/api/shops/a%00b/catalog", json={"shop": {"name": "x"}}, headers=op)
        assert_envelope(r, 422, "request.invalid")


# --- point 6: a shop without products -----------------------------------------------------------


async def test_a_shop_without_products_serves_its_rooms(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.put("/api/shops/s0/catalog", json={"shop": {"name": "新店"}}, headers=op)
        assert r.status_code == 200
        assert r.json() == {
            "shop_id": "s0",
            "products": 0,
            "assistant": False,
            "problem": "products: the catalog has no products",
        }
        r = await http.post("/api/rooms", json={"id": "r0", "shop_id": "s0", "title": "开张"}, headers=op)
        assert r.status_code == 201
        r = await http.get("/api/rooms/r0")
        assert r.status_code == 200 and r.json()["title"] == "开张"
        r = await http.post("/api/rooms/r0/live", json={"title": "第一场"}, headers=op)
        assert r.status_code == 201
        r = await http.get("/api/rooms/r0/questions", headers=op)
        assert r.status_code == 200 and r.json() == []
        r = await http.post("/api/rooms/r0/assistant/ask", json={"question": "3号链接有货吗"}, headers=op)
        assert_envelope(r, 409, "assistant.off")
        r = await http.post(
            "/api/rooms/r0/stock",
            json={"product_id": "p", "color": "黑", "size": "M", "count": 1},
            headers=op,
        )
        assert_envelope(r, 409, "assistant.off")
        r = await http.get("/api/rooms/r0/recommendations", params={"user": "u"}, headers=op)
        assert r.status_code == 200 and r.json()["items"] == []
    c: Client = await connect(node, user="v1", room="r0")
    assert c.welcome["type"] == "welcome"
    await c.send({"type": "comment", "text": "3号链接有货吗", "cid": "c1"})
    ack = await c.expect("ack", cid="c1")
    assert "error" not in ack and ack["seq"] > 0


async def test_a_room_on_an_unknown_shop_is_refused(sqlite_node: Node) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post("/api/rooms", json={"id": "r9", "shop_id": "nope", "title": "t"}, headers=op)
        assert_envelope(r, 404, "shop_not_found")


# --- point 7, the issue side: odd claims --------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"nickname": "a\u0000b"}, {"nickname": "tab\there"}, {"nickname": "\u009b"}, {"nickname": "昵" * 33},
     {"nickname": ""}, {"level": 101}, {"level": -1}, {"level": "6"}, {"level": 6.5}, {"level": True},
     {"level": None}, {"user": "u\n1"}, {"room": ""}, {"user": "x" * 65}],
)  # fmt: skip
async def test_tokens_with_odd_claims_are_refused(sqlite_node: Node, changes: dict[str, Any]) -> None:
    node = sqlite_node
    body = {"room": "demo", "user": "u1", "role": "viewer", "nickname": "小鹿", "level": 6, **changes}
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post("/api/tokens", json=body, headers=bearer(node, Role.OPERATOR, ANY_ROOM))
    code = assert_envelope(r, 422)
    assert code in ("request.invalid", "auth.invalid_claims")


async def test_a_nickname_with_a_lone_surrogate_is_refused(sqlite_node: Node) -> None:
    node = sqlite_node
    body = '{"room": "demo", "user": "u1", "nickname": "\\ud83d"}'
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post("/api/tokens", content=body, headers=bearer(node, Role.OPERATOR, ANY_ROOM))
    assert_envelope(r, 400, "request.bad_json")


async def test_a_token_with_odd_claims_is_refused_by_the_api(sqlite_node: Node) -> None:
    import jwt

    node = sqlite_node
    odd = jwt.encode(
        {"room": "*", "sub": "op", "role": "operator", "lvl": 2**64, "exp": 2**31},
        node.settings.secret,
        algorithm="HS256",
    )
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.get("/api/rooms", headers={"Authorization": f"Bearer {odd}"})
    assert_envelope(r, 401, "auth.invalid_claims")


def test_every_code_the_api_can_answer_is_documented_with_its_status() -> None:
    """Each `ApiError(status, "code", …)` and `error_response(status, "code", …)` of siyu.web is in the
    table of docs/protocol.md section 8, with that status."""
    import re
    from pathlib import Path

    import siyu.web
    from siyu.web.errors import _HTTP_CODES

    documented = documented_http_codes()
    found: set[tuple[str, int]] = set()
    for path in Path(siyu.web.__file__).parent.glob("*.py"):
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r'(?:ApiError|error_response)\(\s*(\d{3}),\s*"([a-z_.]+)"', src):
            found.add((m.group(2), int(m.group(1))))
    found |= {(code, status) for status, code in _HTTP_CODES.items()}
    found |= {("auth.invalid_token", 401), ("auth.expired_token", 401), ("auth.invalid_claims", 401)}
    assert len(found) >= 20, found
    missing = sorted((code, status) for code, status in found if status not in documented.get(code, set()))
    assert missing == []
