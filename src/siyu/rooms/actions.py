"""Viewer and host actions: validate, build the event and the room message, record.

Each function takes the live room and the acting member; `LiveRoom.record` does the rest (durable append,
seq, publish, ack with the echo).
"""

from __future__ import annotations

from typing import Any

from siyu.events import CommentPosted, Followed, GiftSent, HostReplied, LikeSent, ProductPinned
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode
from siyu.rooms.gifts import GIFTS
from siyu.rooms.live import LiveRoom, Member, member_ref
from siyu.rooms.questions import is_question


def reject(m: Member, cid: str | None, code: str, message: str, **extra: Any) -> None:
    m.send(wire.reject(cid, code, message, **extra))


def clean_text(room: LiveRoom, m: Member, cid: str, text: str) -> str | None:
    text = text.strip()
    if not text:
        reject(m, cid, ErrorCode.EMPTY_COMMENT, "评论不能为空")
        return None
    limit = room.settings.limits.max_comment_chars
    if len(text) > limit:
        reject(m, cid, ErrorCode.COMMENT_TOO_LONG, f"评论最多{limit}个字", limit=limit)
        return None
    return text


def comment(room: LiveRoom, m: Member, msg: wire.CommentIn) -> None:
    text = clean_text(room, m, msg.cid, msg.text)
    if text is None:
        return
    question = is_question(text)
    ref = member_ref(m)
    event = room.event_for(m, CommentPosted(text, msg.cid, question, m.nickname))
    message = {
        "type": "comment",
        "user": ref,
        "text": text,
        "question": question,
        "cid": msg.cid,
        "eid": event.id,
    }
    room.record(m, msg.cid, event, message, Priority.NORMAL)


def reply(room: LiveRoom, m: Member, msg: wire.ReplyIn) -> None:
    if not m.is_staff:
        reject(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以回复")
        return
    text = clean_text(room, m, msg.cid, msg.text)
    if text is None:
        return
    target = room.recent.get(msg.to_seq)
    if target is None:
        reject(m, msg.cid, ErrorCode.UNKNOWN_COMMENT, f"找不到评论 seq={msg.to_seq}")
        return
    to_user, to_text, to_event = target
    message = {
        "type": "reply",
        "user": member_ref(m),
        "text": text,
        "reply_to": {"seq": msg.to_seq, "user": to_user, "text": to_text},
    }
    payload = HostReplied(text, msg.cid, msg.to_seq, str(to_user["id"]), m.nickname)
    event = room.event_for(m, payload, parent=to_event)
    room.record(m, msg.cid, event, message, Priority.HIGH)


def like(room: LiveRoom, m: Member, msg: wire.LikeIn) -> None:
    def after(_seq: int | None) -> None:
        room.likes += msg.count
        room.likes_delta += msg.count

    room.record(m, msg.cid, room.event_for(m, LikeSent(msg.count)), None, after=after)


def gift(room: LiveRoom, m: Member, msg: wire.GiftIn) -> None:
    gift = GIFTS.get(msg.gift_id)
    if gift is None:
        reject(m, msg.cid, ErrorCode.UNKNOWN_GIFT, f"没有这个礼物: {msg.gift_id}")
        return
    message = {"type": "gift", "user": member_ref(m), "gift": gift.to_wire(), "count": msg.count}
    event = room.event_for(m, GiftSent(gift.id, msg.count, gift.coins * msg.count, m.nickname))
    room.record(m, msg.cid, event, message)


def follow(room: LiveRoom, m: Member, msg: wire.FollowIn) -> None:
    if m.user_id in room.followed:
        if msg.cid is not None:
            m.send(wire.ack_ok(msg.cid, None))
        return
    room.followed.add(m.user_id)
    message = {"type": "follow", "user": member_ref(m)}
    room.record(m, msg.cid, room.event_for(m, Followed(m.nickname)), message, Priority.NORMAL)


def pin(room: LiveRoom, m: Member, msg: wire.PinIn) -> None:
    if not m.is_staff:
        reject(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以置顶商品")
        return
    card = None
    if msg.product_id is not None:
        card = room.products.get(msg.product_id)
        if card is None:
            reject(m, msg.cid, ErrorCode.UNKNOWN_PRODUCT, f"没有这个商品: {msg.product_id}")
            return

    def after(_seq: int | None) -> None:
        room.spawn(room.service.set_room_fields(room.info.id, pinned_product_id=msg.product_id))

    message = {"type": "pin", "product": card}
    room.record(m, msg.cid, room.event_for(m, ProductPinned(msg.product_id)), message, after=after)
