"""The assistant in a live room, with real WebSocket clients: answers, groups, moderation, companion."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.playbooks.feature import shipped
from siyu.playbooks.service import put_document
from siyu.store.tables import events

pytestmark = pytest.mark.integration

RELAXED = {"comment_rate": "1000/second", "frame_rate": "1000/second"}


async def pinned_room(
    node_factory: Any, connect: Any, product: str = "P01", playbooks: str | None = None, **overrides: Any
) -> Any:
    node: Node = await node_factory(limits=RELAXED, **overrides)
    if playbooks is not None:  # the room's own document instead of the default (assistant template)
        await put_document(node.services, "demo", playbooks, "test")
    host = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    await host.send({"type": "pin", "cid": "p", "product_id": product})
    await host.expect("ack", cid="p")
    return node, host


async def event_count(node: Node, kind: str) -> int:
    async with node.db.engine.connect() as conn:
        q = select(func.count()).select_from(events).where(events.c.type == kind)
        return int((await conn.execute(q)).scalar_one())


async def test_a_question_gets_a_grounded_answer_and_the_host_sees_it_grouped(
    node_factory: Any, connect: Any
) -> None:
    # P01 碎花连衣裙: 碎花蓝/XL is sold out, 碎花黑/XL is in stock
    node, host = await pinned_room(node_factory, connect)
    v = await connect(node, user="v1", nickname="小美")
    await v.send({"type": "comment", "cid": "q1", "text": "碎花蓝XL还有吗"})
    ack = await v.expect("ack", cid="q1")
    answer = await v.expect("assistant")
    assert answer["reply_to"] == {"seq": ack["seq"], "cid": "q1"}
    assert answer["intent"] == "stock" and answer["product_id"] == "P01" and not answer["handoff"]
    assert "XL" in answer["text"] and any(w in answer["text"] for w in ("没有", "售罄", "卖完", "没货"))
    assert "碎花黑" in answer["text"]  # names the colour that still has XL

    q = await host.expect("question", seq=ack["seq"])
    assert q["intent"] == "stock" and q["product_id"] == "P01" and q["auto_answered"] is True
    group = await host.expect("question_group", key=q["key"])
    assert group["count"] == 1 and "有没有货" in group["label"] and group["seqs"] == [ack["seq"]]
    for _ in range(50):  # the answer is logged, linked to the question
        if await event_count(node, "assistant.answered") == 1:
            break
        await asyncio.sleep(0.02)
    assert await event_count(node, "assistant.answered") == 1


async def test_many_asking_the_same_get_one_room_answer_and_one_host_reply_answers_all(
    node_factory: Any, connect: Any
) -> None:
    node, host = await pinned_room(node_factory, connect)
    watcher = await connect(node, user="w", nickname="围观")
    seqs = []
    for i, text in enumerate(["这件多少钱", "这个多少钱呀", "这件多少钱啊"]):
        v = await connect(node, user=f"a{i}", nickname=f"问{i}")
        await v.send({"type": "comment", "cid": f"c{i}", "text": text})
        seqs.append((await v.expect("ack", cid=f"c{i}"))["seq"])
        mine = await v.expect("assistant")
        assert "159" in mine["text"] and mine["product_id"] == "P01"
    room_answer = await watcher.expect("assistant", to="room")
    assert room_answer["asked"] == 3 and "159" in room_answer["text"]
    assert room_answer["question"] == "这件多少钱啊" and room_answer["product_id"] == "P01"
    group = await host.expect("question_group", count=3)
    assert group["seqs"] == seqs

    await host.send({"type": "reply", "cid": "r", "to_seq": seqs[-1], "text": group["suggested"]})
    answered = {(await host.expect("answered"))["seq"] for _ in range(3)}
    assert answered == set(seqs)
    assert (await host.expect("question_group", key=group["key"]))["answered"] is True


async def test_unsure_and_handoff_questions_go_to_the_host_first(node_factory: Any, connect: Any) -> None:
    node, host = await pinned_room(node_factory, connect)
    v = await connect(node, user="v2")
    await v.send({"type": "comment", "cid": "h", "text": "我的订单号123456怎么还没发货"})
    await v.expect("ack", cid="h")
    reply = await v.expect("assistant")
    assert reply["handoff"] is True
    assert any(w in reply["text"] for w in ("客服", "人工", "售后", "小助理", "私信"))
    q = await host.expect("question", text="我的订单号123456怎么还没发货")
    assert q["priority"] == "high" and q["handoff"] is True


async def test_spam_is_hidden_from_the_room_but_echoed_to_its_author_and_escalates(
    node_factory: Any, connect: Any
) -> None:
    node, host = await pinned_room(node_factory, connect)
    spammer = await connect(node, user="spam", nickname="福利姐")
    other = await connect(node, user="o", nickname="路人")
    await spammer.send({"type": "comment", "cid": "s1", "text": "加V看福利 abc12345"})
    ack = await spammer.expect("ack", cid="s1")
    assert ack["msg"]["text"] == "加V看福利 abc12345" and "seq" not in ack  # shadow: looks sent
    note = await host.expect("moderation", action="hide")
    assert note["reason"] == "contact_ad" and note["text"] == "加V看福利 abc12345"
    await other.send({"type": "comment", "cid": "ok", "text": "主播好美"})
    seen = await other.expect("comment", text="主播好美")  # the room went on without the ad
    texts = [m.get("text") for b in other.batches for m in b["msgs"]]
    assert "主播好美" in texts and "加V看福利 abc12345" not in texts, seen
    assert await event_count(node, "comment.hidden") == 1

    await spammer.send({"type": "comment", "cid": "s2", "text": "加微信 wx987654 领券"})
    await spammer.expect("ack", cid="s2")
    mute = await other.expect("moderation", action="mute")  # the second strike mutes, room-wide
    assert mute["target"]["id"] == "spam" and mute["until"] > 0
    await spammer.send({"type": "comment", "cid": "s3", "text": "我就说一句"})
    refused = await spammer.expect("ack", cid="s3")
    assert refused["error"]["code"] == "muted"


async def test_moderators_hide_mute_and_ban(node_factory: Any, connect: Any) -> None:
    node, host = await pinned_room(node_factory, connect)
    v = await connect(node, user="rude", nickname="杠精")
    await v.send({"type": "comment", "cid": "x", "text": "这主播不行啊"})
    seq = (await v.expect("ack", cid="x"))["seq"]
    await v.send({"type": "moderate", "cid": "m", "action": "ban", "user_id": "someone"})
    assert (await v.expect("ack", cid="m"))["error"]["code"] == "forbidden_role"

    await host.send({"type": "moderate", "cid": "h", "action": "hide", "user_id": "rude", "comment_seq": seq})
    hidden = await v.expect("moderation", action="hide")
    assert hidden["comment_seq"] == seq and hidden["target"]["nick"] == "杠精"
    await host.send({"type": "moderate", "cid": "b", "action": "ban", "user_id": "rude"})
    await host.expect("ack", cid="b")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await v.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4010
    again = await connect(node, user="rude", nickname="杠精")
    await again.send({"type": "comment", "cid": "y", "text": "我又来了"})
    assert (await again.expect("ack", cid="y"))["error"]["code"] == "banned"
    assert await event_count(node, "moderation.acted") == 2


async def test_companion_mode_keeps_the_room_company_while_the_host_is_away(
    node_factory: Any, connect: Any
) -> None:
    every_second = shipped("assistant").replace("every_s: 30", "every_s: 1")  # companion mode is a playbook
    node, host = await pinned_room(node_factory, connect, playbooks=every_second)
    v = await connect(node, user="v3")
    await host.send({"type": "host_status", "cid": "away", "status": "away"})
    status = await v.expect("host_status")
    assert status["status"] == "away"
    lines = [await v.expect("assistant", intent="companion", timeout=5) for _ in range(2)]
    assert all(m["to"] == "room" for m in lines)
    text = " ".join(m["text"] for m in lines)
    assert "晚晚" in text or "碎花连衣裙" in text
    await v.send({"type": "host_status", "cid": "no", "status": "live"})
    assert (await v.expect("ack", cid="no"))["error"]["code"] == "forbidden_role"
    await host.send({"type": "host_status", "cid": "back", "status": "live"})
    await v.expect("host_status", status="live")
    staff = await connect(node, user="op", role=Role.ASSISTANT)
    snapshot = await staff.expect("questions")
    assert snapshot["host_status"] == "live"


def bearer(node: Node, role: Role = Role.HOST, user: str = "host") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room='demo', user=user, role=role)}"}


async def test_live_stock_changes_the_next_answer_and_feeds_recommendations(
    node_factory: Any, connect: Any
) -> None:
    node, host = await pinned_room(node_factory, connect)
    v = await connect(node, user="buyer")
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.post(
            "/api/rooms/demo/assistant/ask", json={"question": "碎花黑M有货吗"}, headers=bearer(node)
        )
        assert r.status_code == 200 and r.json()["intent"] == "stock"
        assert any(w in r.json()["answer"] for w in ("没有", "售罄", "卖完", "没货"))  # 碎花黑/M is 0

        body = {"product_id": "P01", "color": "碎花黑", "size": "M", "delta": 5, "reason": "restock"}
        r = await http.post("/api/rooms/demo/stock", json=body, headers=bearer(node))
        assert r.status_code == 200 and r.json()["count"] == 5
        stock = await v.expect("stock", product_id="P01", size="M")
        assert stock["count"] == 5
        await v.send({"type": "comment", "cid": "m", "text": "碎花黑M有货吗"})
        answer = await v.expect("assistant")
        assert "有货" in answer["text"] and not any(w in answer["text"] for w in ("售罄", "卖完"))

        order = {"product_id": "P01", "color": "碎花黑", "size": "M", "delta": -1, "reason": "order",
                 "user_id": "buyer"}  # fmt: skip
        r = await http.post("/api/rooms/demo/stock", json=order, headers=bearer(node))
        assert r.json()["count"] == 4
        bad = {"product_id": "P01", "color": "碎花黑", "size": "M", "delta": -99}
        r = await http.post("/api/rooms/demo/stock", json=bad, headers=bearer(node))
        assert r.status_code == 422 and r.json()["error"]["code"] == "stock.invalid"
        r = await http.post("/api/rooms/demo/stock", json=body, headers=bearer(node, Role.VIEWER, "v"))
        assert r.status_code == 403

        r = await http.get("/api/rooms/demo/recommendations", params={"user": "buyer"}, headers=bearer(node))
        items = r.json()["items"]
        assert len(items) == 5 and "P01" not in {i["product_id"] for i in items}  # bought: not again
    assert await event_count(node, "stock.changed") == 2
    cards = await node.rooms.catalog_document("wanwan")
    p01 = next(p for p in cards["products"] if p["id"] == "P01")
    assert p01["stock"]["碎花黑/M"] == 4  # persisted


async def test_chitchat_goes_through_the_llm_when_configured_and_falls_back_to_rules(
    node_factory: Any, connect: Any
) -> None:
    from tests.assistant import fake_openai as fake

    async with fake.FakeOpenAI() as llm:
        llm_cfg = {"enabled": True, "base_url": llm.base_url, "model": fake.MODEL, "api_key": fake.API_KEY}
        node, host = await pinned_room(node_factory, connect, assistant={"llm": llm_cfg})
        v = await connect(node, user="chat")
        llm.enqueue(fake.text("宝宝晚上好呀～欢迎来到直播间！"))
        await v.send({"type": "comment", "cid": "c1", "text": "晚上好呀？"})
        reply = await v.expect("assistant")
        assert reply["source"] == "llm" and reply["text"] == "宝宝晚上好呀～欢迎来到直播间！"
        sent = llm.requests[0].messages
        assert sent[0]["role"] == "system" and sent[-1]["content"] == "晚上好呀？"

        llm.enqueue(fake.text("宝宝，这件只要9块9！"))  # a price the catalog never said: not used
        await v.send({"type": "comment", "cid": "c2", "text": "你好呀主播？"})
        reply = await v.expect("assistant")
        assert reply["source"] == "rules" and "9块9" not in reply["text"]

        # the rules are unsure of this one: the model answers it, grounded in a tool result
        llm.enqueue(
            fake.tools(fake.tool_call("t1", "get_product", {"product": "P01"})),
            fake.text("在的宝宝～1号碎花连衣裙直播间价159元哦"),
        )
        await v.send({"type": "comment", "cid": "c3", "text": "主播在吗"})
        reply = await v.expect("assistant")
        assert reply["source"] == "llm" and "159" in reply["text"]
        assert '"live_price":159' in llm.requests[-1].tool_messages()[0]["content"]

