"""The playbooks HTTP API on a real node: who may read and write, the schema, and odd input that must never
be answered with a 5xx (docs/protocol.md section 8, "Playbooks")."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from siyu.app import Node
from siyu.auth import Role
from siyu.playbooks.feature import Playbooks, shipped
from siyu.playbooks.model import ACTIONS, CONDITIONS, TRIGGERS
from siyu.playbooks.service import put_document
from tests.playbooks.support import RELAXED, Watch, bearer, is_said, overview, put, running, runs

pytestmark = pytest.mark.integration

ROUTES = [
    ("GET", "/api/rooms/demo/playbooks", None),
    ("GET", "/api/rooms/demo/playbooks/runs", None),
    ("PUT", "/api/rooms/demo/playbooks", {"source": "version: 1\nplaybooks: []\n"}),
    ("POST", "/api/rooms/demo/playbooks/answer_many/pause", {"paused": True}),
]
WRITES = ROUTES[2:]
DOC = """
version: 1
playbooks:
  - id: hi
    trigger: {type: comment, keywords: [你好]}
    actions: [{type: broadcast, text: 你好呀}]
"""


@pytest.fixture
async def api(node_factory: Any) -> AsyncIterator[tuple[Node, httpx.AsyncClient]]:
    node: Node = await node_factory(limits=RELAXED)
    async with httpx.AsyncClient(base_url=node.http_url, timeout=60) as http:
        yield node, http


async def call(
    http: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return await http.request(method, path, json=body, headers=headers)


async def test_who_may_read_and_write(api: tuple[Node, httpx.AsyncClient]) -> None:
    node, http = api
    for method, path, body in ROUTES:
        r = await call(http, method, path, body, {})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "auth.missing_token"), (path, r.text)
        r = await call(http, method, path, body, {"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401, (path, r.text)
        r = await call(http, method, path, body, bearer(node, Role.VIEWER, "v"))
        assert (r.status_code, r.json()["error"]["code"]) == (403, "auth.forbidden_role"), (path, r.text)
        r = await call(http, method, path, body, bearer(node, Role.HOST, room="other"))
        assert (r.status_code, r.json()["error"]["code"]) == (403, "auth.wrong_room"), (path, r.text)
    for method, path, body in ROUTES:  # the assistant role reads, never writes
        r = await call(http, method, path, body, bearer(node, Role.ASSISTANT, "a"))
        if method == "GET":
            assert r.status_code == 200, (path, r.text)
        else:
            assert (r.status_code, r.json()["error"]["code"]) == (403, "auth.forbidden_role"), (path, r.text)
    r = await http.post(  # a pause of the default document (version 0) stores it first
        "/api/rooms/demo/playbooks/answer_many/pause", json={"paused": True}, headers=bearer(node)
    )
    assert r.json() == {"version": 2, "playbook": "answer_many", "paused": True}, r.text
    got = await running(http, node, 2, paused={"answer_many"})  # (the reload is spawned: see below)
    assert got["source"] == shipped("assistant")
    assert {p["id"]: p["paused"] for p in got["playbooks"]} == {"companion": False, "answer_many": True}
    r = await http.put(
        "/api/rooms/demo/playbooks", content=b"\x00not json", headers=bearer(node, Role.VIEWER)
    )
    assert r.status_code == 403  # refused before the body is read
    for role in (Role.HOST, Role.OPERATOR):
        r = await http.put("/api/rooms/demo/playbooks", json={"source": DOC}, headers=bearer(node, role))
        assert r.status_code == 200 and r.json()["playbooks"] == ["hi"], r.text
    await running(http, node, 4)
    schema = await http.get("/api/playbooks/schema")  # public: editors load it
    assert schema.status_code == 200


async def test_unknown_rooms_and_playbooks_are_404(api: tuple[Node, httpx.AsyncClient]) -> None:
    node, http = api
    r = await http.post("/api/rooms/demo/playbooks/nope/pause", json={"paused": True}, headers=bearer(node))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "playbook.not_found")
    for method, path, body in ROUTES:
        r = await call(http, method, path.replace("demo", "ghost"), body, bearer(node, room="ghost"))
        assert (r.status_code, r.json()["error"]["code"]) == (404, "room_not_found"), (path, r.text)
    r = await http.post("/api/rooms/demo/playbooks/" + "x" * 41 + "/pause", json={"paused": True},
                        headers=bearer(node))  # fmt: skip
    assert r.status_code == 422
    for bad in ({}, {"paused": None}, [True], {"paused": [True]}):
        r = await http.post("/api/rooms/demo/playbooks/companion/pause", json=bad, headers=bearer(node))
        assert r.status_code == 422, (bad, r.text)
    r = await http.get("/api/rooms/demo/playbooks/runs", params={"limit": 0}, headers=bearer(node))
    assert r.status_code == 422


ISSUE_TRIGGERS = {"viewer_enter", "dwell", "comment", "question_unanswered", "like_count", "gift", "follow",
                  "fanclub_join", "coupon_claimed", "poll_voted", "order_placed", "silence", "schedule",
                  "product_changed", "engagement", "stage_changed", "many_asked"}  # fmt: skip
ISSUE_ACTIONS = {"send_private", "broadcast", "show_card", "push_coupon", "start_poll", "pin_product",
                 "pin_topic", "start_lucky_bag", "invite_private_domain", "ask_assistant", "notify_host",
                 "tag_viewer", "add_points", "wait", "choose", "random_split"}  # fmt: skip


async def test_the_schema_lists_every_trigger_condition_and_action(
    api: tuple[Node, httpx.AsyncClient],
) -> None:
    _node, http = api
    schema = (await http.get("/api/playbooks/schema")).json()
    defs = schema["$defs"]

    def names(field: str) -> set[str]:
        """The `type` of every model the Playbook's `field` may hold."""
        refs = set(
            re.findall(r"#/\$defs/([\w-]+)", orjson.dumps(defs["Playbook"]["properties"][field]).decode())
        )
        kinds = [defs[ref]["properties"]["type"] for ref in refs if "type" in defs[ref].get("properties", {})]
        return {k.get("const") or k["enum"][0] for k in kinds}

    assert ISSUE_TRIGGERS <= set(TRIGGERS) and ISSUE_ACTIONS <= set(ACTIONS)
    assert names("trigger") == set(TRIGGERS)
    assert names("actions") == set(ACTIONS)
    assert names("conditions") == set(CONDITIONS)


def deep(n: int) -> str:
    return "[" * n + "]" * n


ODD: list[tuple[str, bytes, str]] = [
    ("not json", b"{", "application/json"),
    ("yaml as the body", b"version: 1\nplaybooks: []\n", "text/plain"),
    ("an array", b"[]", "application/json"),
    ("no source", b"{}", "application/json"),
    ("a number", b'{"source": 123}', "application/json"),
    ("null", b'{"source": null}', "application/json"),
    ("empty", b'{"source": ""}', "application/json"),
    ("a scalar", b'{"source": "hello"}', "application/json"),
    ("a list", b'{"source": "- a\\n- b"}', "application/json"),
    ("a lone surrogate", b'{"source": "\\ud800"}', "application/json"),
    ("NaN", b'{"source": NaN}', "application/json"),
    ("NUL", orjson.dumps({"source": "version: 1\x00\nplaybooks: []"}), "application/json"),
    ("NUL in a key", orjson.dumps({"source": "version: 1\nplay\x00books: []"}), "application/json"),
    ("over 256 KB", orjson.dumps({"source": "#" + "x" * (256 * 1024)}), "application/json"),
    ("over 8 MB", orjson.dumps({"source": "x" * (9 * 1024 * 1024)}), "application/json"),
    (
        "a python tag",
        orjson.dumps({"source": "!!python/object/apply:os.system ['true']"}),
        "application/json",
    ),
    (
        "a YAML escape of a surrogate",
        orjson.dumps({"source": 'version: 1\n"\\ud800": 1\n'}),
        "application/json",
    ),
    ("an unhashable key", orjson.dumps({"source": "? [a, b]\n: c\n"}), "application/json"),
    ("a null key", orjson.dumps({"source": "version: 1\n~: 1\n"}), "application/json"),
    ("a date", orjson.dumps({"source": "version: 1\ntitle: 2024-01-01\n"}), "application/json"),
    (
        "aliases (billion laughs)",
        orjson.dumps(
            {
                "source": "a: &a [x,x,x,x,x,x,x,x,x]\n"
                + "".join(
                    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
                    for p, n in zip("abcdefg", "bcdefgh", strict=True)
                )
                + "version: 1\nplaybooks: *h\n"
            }
        ),
        "application/json",
    ),
    ("nesting 100 deep", orjson.dumps({"source": deep(100)}), "application/json"),
]


@pytest.mark.parametrize("case", ODD, ids=[c[0] for c in ODD])
async def test_odd_input_to_put_is_refused_never_a_5xx(
    api: tuple[Node, httpx.AsyncClient], case: tuple[str, bytes, str]
) -> None:
    node, http = api
    _name, body, ctype = case
    r = await http.put(
        "/api/rooms/demo/playbooks", content=body, headers={**bearer(node), "Content-Type": ctype}
    )
    assert r.status_code in (400, 413, 422), r.text[:500]
    code = r.json()["error"]["code"]
    assert code in ("request.bad_json", "request.invalid", "request.too_large", "playbook.invalid"), code
    if code == "playbook.invalid":
        assert all({"path", "message", "type"} <= set(e) for e in r.json()["error"]["errors"])
    assert (await overview(http, node))["version"] == 0  # nothing was stored


async def test_deeply_nested_yaml_is_refused_not_a_crash(api: tuple[Node, httpx.AsyncClient]) -> None:
    node, http = api
    for source in (deep(500), deep(3000), "title: " + "{a: " * 3000 + "1" + "}" * 3000):
        r = await http.put("/api/rooms/demo/playbooks", json={"source": source}, headers=bearer(node))
        assert r.status_code == 422, r.text[:300]


async def test_pause_and_upload_bodies_are_strict(api: tuple[Node, httpx.AsyncClient]) -> None:
    node, http = api
    pause = "/api/rooms/demo/playbooks/companion/pause"
    for bad in ({"paused": "yes"}, {"paused": 0}, {"paused": True, "until": 5}):
        r = await http.post(pause, json=bad, headers=bearer(node))
        assert r.status_code == 422, (bad, r.text)
    r = await http.put(
        "/api/rooms/demo/playbooks", json={"source": DOC, "dry_run": True}, headers=bearer(node)
    )
    assert r.status_code == 422, r.text


async def test_a_template_cannot_show_viewers_python_objects(
    api: tuple[Node, httpx.AsyncClient], connect: Any
) -> None:
    node, http = api
    source = DOC.replace("你好呀", '"你好{{ nickname.upper }}"')
    r = await http.put("/api/rooms/demo/playbooks", json={"source": source}, headers=bearer(node))
    if r.status_code == 422:
        return
    assert r.status_code == 200
    await put(http, node, source)
    v = Watch(await connect(node, user="v"))
    await v.comment("c", "你好")
    said = await v.until(lambda m: m.get("type") == "assistant" and m.get("to") == "room")
    assert "built-in" not in said["text"] and "0x" not in said["text"], said["text"]


async def test_a_put_runs_on_its_node_before_it_answers(api: tuple[Node, httpx.AsyncClient]) -> None:
    node, _http = api
    version, _doc = await put_document(node.services, "demo", DOC, "test")
    room = await node.registry.get("demo")
    assert room is not None
    assert room.feature(Playbooks).version == version


async def test_a_put_then_a_comment_meets_the_new_version(
    api: tuple[Node, httpx.AsyncClient], connect: Any
) -> None:
    """What an operator does: upload, then watch it work (awaiting the version the API reports)."""
    node, http = api
    await put(http, node, DOC)
    v = Watch(await connect(node, user="v"))
    ack = await v.comment("c", "你好")
    said = await v.until(is_said("你好呀"))
    assert said["seq"] > ack["seq"]


async def test_runs_are_filtered_by_playbook_and_viewer_and_paged(
    api: tuple[Node, httpx.AsyncClient], connect: Any
) -> None:
    node, http = api
    await put(http, node, DOC + DOC.replace("id: hi", "id: ho").split("playbooks:")[1])
    for i in range(3):
        v = Watch(await connect(node, user=f"u{i}"))
        await v.comment("c", "你好")
    both = await runs(http, node, "hi", 3)
    assert len(both) == 3 and len(await runs(http, node, "ho", 3)) == 3
    assert [r["started_at"] for r in both] == sorted((r["started_at"] for r in both), reverse=True)
    headers = bearer(node, Role.ASSISTANT, "a")
    r = await http.get("/api/rooms/demo/playbooks/runs", params={"user": "u1"}, headers=headers)
    assert {(t["playbook"], t["user_id"]) for t in r.json()["runs"]} == {("hi", "u1"), ("ho", "u1")}
    r = await http.get(
        "/api/rooms/demo/playbooks/runs", params={"playbook": "hi", "limit": 1}, headers=headers
    )
    (newest,) = r.json()["runs"]
    assert newest == both[0]
    params = {"playbook": "hi", "before": newest["started_at"]}
    r = await http.get("/api/rooms/demo/playbooks/runs", params=params, headers=headers)
    assert all(t["started_at"] < newest["started_at"] for t in r.json()["runs"])
    for bad in ({"limit": 501}, {"user": "a b"}, {"before": -1}, {"playbook": "x" * 41}):
        r = await http.get("/api/rooms/demo/playbooks/runs", params=bad, headers=headers)
        assert r.status_code == 422, (bad, r.text)
