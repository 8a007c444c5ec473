"""GET /api/live-rooms: the rooms live now, the PK panel's partner picker (staff only)."""

from __future__ import annotations

import httpx
import pytest

from siyu.app import Node
from siyu.auth import Role

pytestmark = pytest.mark.integration


def bearer(node: Node, role: Role, room: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room=room, user='u', role=role)}"}


async def test_only_rooms_with_a_live_session_are_listed_newest_first(sqlite_node: Node) -> None:
    node = sqlite_node
    await node.rooms.create_room("quiet", "wanwan", "还没开播的直播间")
    await node.rooms.create_room("second", "wanwan", "第二直播间")
    second = await node.registry.get("second")
    assert second is not None
    await second.start_session("PK专场")
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.get("/api/live-rooms", headers=bearer(node, Role.HOST))
        assert r.status_code == 200
        items = r.json()["items"]
        assert [i["id"] for i in items] == ["second", "demo"]
        assert items[0]["title"] == "第二直播间" and items[0]["session_title"] == "PK专场"
        assert items[0]["started_at"] >= items[1]["started_at"]

        await second.end_session()
        r = await http.get("/api/live-rooms", headers=bearer(node, Role.CONSULTANT))
        assert [i["id"] for i in r.json()["items"]] == ["demo"]

        r = await http.get("/api/live-rooms")
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.missing_token"
        r = await http.get("/api/live-rooms", headers=bearer(node, Role.VIEWER))
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.forbidden_role"
