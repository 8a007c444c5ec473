"""GET /api/rooms/{room_id}/coupons: the shop's coupons the host console can drop (staff only)."""

from __future__ import annotations

import httpx
import pytest

from siyu.app import Node
from siyu.auth import ANY_ROOM, Role

pytestmark = pytest.mark.integration


def bearer(node: Node, role: Role, room: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room=room, user='u', role=role)}"}


async def test_the_staff_read_the_shops_coupons_and_nobody_else_does(sqlite_node: Node) -> None:
    node = sqlite_node
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.get("/api/rooms/demo/coupons", headers=bearer(node, Role.HOST))
        assert r.status_code == 200
        items = {c["id"]: c for c in r.json()["items"]}
        assert set(items) == {"C01", "C02", "C03", "C04", "C05", "C06"}  # the demo catalog's
        assert items["C01"] == {
            "id": "C01", "name": "直播间满199减20", "type": "满减", "threshold": 199, "amount": 20,
            "rate": None, "cap": None, "applies_to": "all", "condition": None, "total": 500,
            "per_user_limit": 1, "valid_minutes": 30,
        }  # fmt: skip
        assert items["C04"]["rate"] == 0.9 and items["C04"]["cap"] == 100
        assert items["C04"]["applies_to"] == ["P08", "P09", "P20"]
        assert items["C03"]["condition"] == "加入粉丝团"
        for role in (Role.ASSISTANT, Role.OPERATOR):
            assert (await http.get("/api/rooms/demo/coupons", headers=bearer(node, role))).status_code == 200
        op = bearer(node, Role.OPERATOR, ANY_ROOM)
        assert (await http.get("/api/rooms/demo/coupons", headers=op)).status_code == 200

        r = await http.get("/api/rooms/demo/coupons")
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.missing_token"
        r = await http.get("/api/rooms/demo/coupons", headers=bearer(node, Role.VIEWER))
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.forbidden_role"
        r = await http.get("/api/rooms/demo/coupons", headers=bearer(node, Role.HOST, room="other"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.wrong_room"
        r = await http.get("/api/rooms/nope/coupons", headers=op)
        assert r.status_code == 404 and r.json()["error"]["code"] == "room_not_found"


async def test_a_room_without_a_usable_catalog_has_no_coupons(sqlite_node: Node) -> None:
    node = sqlite_node
    op = bearer(node, Role.OPERATOR, ANY_ROOM)
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        empty = {"shop": {"name": "空店"}, "products": []}
        r = await http.put("/api/shops/s0/catalog", json=empty, headers=op)
        assert r.status_code == 200
        r = await http.post("/api/rooms", json={"id": "r0", "shop_id": "s0", "title": "开张"}, headers=op)
        assert r.status_code == 201
        r = await http.get("/api/rooms/r0/coupons", headers=op)
        assert r.status_code == 200 and r.json() == {"items": []}
