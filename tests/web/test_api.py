"""The HTTP API: health, OpenAPI, tokens, rooms, catalog, welcome templates, pages."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from siyu.app import Node, demo_catalog
from siyu.auth import ANY_ROOM, Role
from tests.conftest import Client

pytestmark = pytest.mark.integration


def bearer(node: Node, role: Role, room: str = "demo", user: str = "u") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room=room, user=user, role=role)}"}


async def test_health_and_openapi(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        health = (await http.get("/healthz")).json()
        assert health["status"] == "ok" and health["ws_port"] == sqlite_node.gateway.port
        spec = (await http.get("/openapi.json")).json()
        assert {"/api/tokens", "/api/rooms", "/api/rooms/{room_id}/live"} <= set(spec["paths"])
        gw = (await http.get("/api/gateway")).json()
        assert gw == {"ws_port": sqlite_node.gateway.port, "ws_path": "/ws/rooms/{room_id}", "protocol": 1}


async def test_protocol_catalogue_is_what_the_server_runs(sqlite_node: Node) -> None:
    """Pages take message types, error texts, close codes, gifts and limits from here, not from copies."""
    from siyu.realtime import protocol as wire
    from siyu.rooms.gifts import GIFTS

    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        doc = (await http.get("/api/protocol")).json()
    assert doc["client_types"] == sqlite_node.router.types
    assert {"comment", "like", "gift", "follow", "reply", "pin", "host_status", "moderate", "ping",
            "resume"} <= set(doc["client_types"])  # fmt: skip
    room_types = set(doc["room_types"])
    assert {"comment", "reply", "gift", "pin", "live", "assistant", "moderation", "stock"} <= room_types
    codes = [v for k, v in vars(wire.ErrorCode).items() if not k.startswith("_")]
    assert all(doc["errors"][code] for code in codes)  # every code has a zh-CN text
    assert doc["close_codes"]["4010"] == {"name": "banned", "text": "你已被移出直播间", "fatal": True}
    assert doc["close_codes"]["4009"]["fatal"] is False  # a slow consumer reconnects and resumes
    assert [g["id"] for g in doc["gifts"]] == list(GIFTS) and all(g["icon"] for g in doc["gifts"])
    assert doc["limits"] == {"max_frame_bytes": 4096, "max_comment_chars": 200}


async def test_token_endpoint_needs_an_operator_and_issues_working_tokens(
    sqlite_node: Node, connect: Any
) -> None:
    node = sqlite_node
    body = {"room": "demo", "user": "u9", "role": "viewer", "nickname": "阿珍", "level": 4}
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post("/api/tokens", json=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.missing_token"
        r = await http.post("/api/tokens", json=body, headers={"Authorization": "Bearer junk"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.invalid_token"
        r = await http.post("/api/tokens", json=body, headers=bearer(node, Role.HOST))
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.forbidden_role"
        r = await http.post("/api/tokens", json=body, headers=bearer(node, Role.OPERATOR, room=ANY_ROOM))
        assert r.status_code == 200
        issued = r.json()
    assert issued["page_url"].startswith(f"{node.http_url}/room/demo#token=")
    claims = node.signer.verify(issued["token"])
    assert (claims.user, claims.nickname, claims.level, claims.role) == ("u9", "阿珍", 4, Role.VIEWER)
    c: Client = await connect(node, user="u9", token=issued["token"])
    assert c.welcome["you"]["nick"] == "阿珍"


async def test_rooms_catalog_and_template(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, room=ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.put("/api/shops/s2/catalog", json=demo_catalog(), headers=op)
        assert r.json() == {"shop_id": "s2", "products": 24, "assistant": True}
        r = await http.put("/api/shops/s3/catalog", json={"shop": {}}, headers=op)
        assert r.status_code == 422
        bad = {"id": "r2", "shop_id": "s2", "title": "二号间", "welcome_template": "{% if %}"}
        r = await http.post("/api/rooms", json=bad, headers=op)
        assert r.status_code == 422 and r.json()["error"]["code"] == "template.invalid"
        template = "{{ nickname }}，欢迎来到{{ room_title }}{% if badge %}（{{ badge }}）{% endif %}"
        good = {**bad, "welcome_template": template}
        assert (await http.post("/api/rooms", json=good, headers=op)).status_code == 201
        assert any(room["id"] == "r2" for room in (await http.get("/api/rooms", headers=op)).json())
        r = await http.put(
            "/api/rooms/r2/welcome-template", json={"template": "{{ x"}, headers=bearer(node, Role.HOST, "r2")
        )
        assert r.status_code == 422
        r = await http.put(
            "/api/rooms/r2/welcome-template", json={"template": "hi"}, headers=bearer(node, Role.HOST)
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.wrong_room"
        assert (await http.get("/api/rooms/nope")).status_code == 404
    c: Client = await connect(node, user="u1", room="r2", nickname="七七", level=8)
    assert c.welcome["text"] == "七七，欢迎来到二号间（Lv8 铁粉）"
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.put(
            "/api/rooms/r2/welcome-template",
            json={"template": "{{ nickname }}又来啦"},
            headers=bearer(node, Role.HOST, "r2"),
        )
        assert r.status_code == 200
    again: Client = await connect(node, user="u2", room="r2", nickname="阿杰")
    assert again.welcome["text"] == "阿杰又来啦"


async def test_pages_are_served_without_external_assets(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        for path in ("/room/demo", "/host/demo"):
            r = await http.get(path)
            assert r.status_code == 200 and "text/html" in r.headers["content-type"]
            assert 'lang="zh-CN"' in r.text
            assert "http://" not in r.text and "https://" not in r.text  # no CDN: everything is local
            # markup only: the page is one ES module (no inline script)
            entry = "viewer" if path.startswith("/room") else "host"
            scripts = re.findall(r"<script[^>]*>", r.text)
            assert scripts == [f'<script type="module" src="/static/js/{entry}.js">']
        js = await http.get("/static/js/core/client.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"] and "resume" in js.text


async def test_the_room_product_list_is_public_by_link_number_with_live_stock(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        r = await http.get("/api/rooms/demo/products")
        assert r.status_code == 200
        items = r.json()["items"]
        assert (await http.get("/api/rooms/nope/products")).status_code == 404
    links = [i["link_no"] for i in items]
    assert links == sorted(links) and len(items) == len(demo_catalog()["products"])
    first = items[0]
    want = {"id", "name", "short_name", "price", "live_price", "colors", "sizes", "stock", "explaining"}
    assert want <= set(first)
    assert all(k.count("/") == 1 and isinstance(v, int) for k, v in first["stock"].items())
