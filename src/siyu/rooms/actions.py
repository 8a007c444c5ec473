"""Viewer and host actions: validate, build the event and the room message, record.

Each function takes the live room and the acting member; `LiveRoom.record` does the rest (durable append,
seq, publish, ack with the echo).
"""

from __future__ import annotations

from typing import Any

from siyu.assistant.moderation import Action, Verdict
from siyu.auth import Role
from siyu.events import (
    AssistantAnswered,
    CommentHidden,
    CommentPosted,
    Followed,
    GiftSent,
    HostReplied,
    HostStatusChanged,
    LikeSent,
    ModerationActed,
    now_ms,
)
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
    if not m.is_staff:
        verdict = room.assistant.moderator.check(m.user_id, text)
        # many viewers asking the same question is a live room working, not a bot flood
        if not verdict.allowed and not (verdict.reason == "flood" and question):
            moderated(room, m, msg.cid, text, message, verdict)
            return

    def after(seq: int | None) -> None:
        if seq is not None and not m.is_staff:
            answer_asker(room, m, msg.cid, seq, text, question, event.id)

    room.record(m, msg.cid, event, message, Priority.NORMAL, after=after)


def answer_asker(
    room: LiveRoom, m: Member, cid: str, seq: int, text: str, question: bool, event_id: str
) -> None:
    """The assistant's answer goes to the asker at once; a question many viewers ask, to the room once.

    Handoffs (orders, complaints, bargaining) get the pointer to 客服 and go to the host's panel; a
    question the assistant is unsure of goes to the host's panel only, with the suggested reply.
    """
    ra = room.assistant
    answer = ra.analyse(seq, text, room.pinned_id)
    if answer is None or not ra.wants_answer(answer, question):
        return
    unsure = answer.needs_host and not answer.handoff

    def send(text: str, source: str) -> None:
        frame = {
            "type": "assistant",
            "reply_to": {"seq": seq, "cid": cid},
            "text": text,
            "intent": answer.intent,
            "product_id": answer.product_id,
            "handoff": answer.handoff,
            "source": source,
        }
        m.send(wire.encode(frame))
        payload = AssistantAnswered(
            seq, m.user_id, answer.intent, answer.product_id, text, answer.handoff, answer.confidence, "user"
        )
        room.record(None, None, room.event_for(None, payload, parent=event_id), None)

    if ra.llm is not None and (answer.intent == "chitchat" or unsure):
        # chitchat and what the rules are unsure of: the model, with the catalog as its only source;
        # an unsure question the model cannot answer stays with the host (it is on the panel already)
        async def via_llm() -> None:
            reply, source = await ra.llm_reply(text, answer, room.info.shop_name)
            if source == "llm" or not unsure:
                send(reply, source)

        room.spawn(via_llm())
    elif not unsure:
        send(answer.answer, "rules")
    ra.note_question(seq, m.user_id, answer)  # a no-op when observe() has counted it already
    group = ra.room_answer_due(answer.key)
    if group is not None:
        n = len(group.users)
        room.say(
            answer.answer,  # clients show "N 人在问：<question>" from `asked` and `question`
            answer.intent,
            key=group.key,
            product_id=answer.product_id,
            asked=n,
            question=text,
        )


def moderated(
    room: LiveRoom, m: Member, cid: str, text: str, message: dict[str, Any], verdict: Verdict
) -> None:
    """A comment moderation stopped: muted/banned authors get an error; spam is hidden from the room.

    A hidden comment is acknowledged with its own echo (the author sees it as sent), logged as
    `comment.hidden`, and shown to the staff; an automatic mute or ban it triggered is a room message.
    """
    if verdict.reason in ("muted", "banned"):
        code = ErrorCode.MUTED if verdict.reason == "muted" else ErrorCode.BANNED
        until = room.assistant.moderator.muted_until(m.user_id)
        extra = {"until_ms": int(until * 1000)} if until else {}
        reject(m, cid, code, verdict.reason_text, **extra)
        return
    hidden = CommentHidden(text, cid, verdict.reason, list(verdict.words))
    room.record(None, None, room.event_for(m, hidden), None)
    m.send(wire.ack_ok(cid, None, wire.encode(message)))
    note = {
        "type": "moderation",
        "action": "hide",
        "target": member_ref(m),
        "by": "auto",
        "reason": verdict.reason,
        "reason_text": verdict.reason_text,
        "text": text,
        "ts": now_ms(),
    }
    room.channel.to_staff(wire.encode(note))
    if verdict.record is not None and verdict.record.kind in ("mute", "ban"):
        publish_action(room, None, verdict.record, member_ref(m))


def publish_action(
    room: LiveRoom,
    by: Member | None,
    action: Action,
    target: dict[str, Any],
    *,
    cid: str | None = None,
    comment_seq: int | None = None,
) -> None:
    """A moderation action (automatic when `by` is None) as a room message: every node applies it, the
    viewers see it happen."""
    until = int(action.until * 1000) if action.until else None
    payload = ModerationActed(
        action.kind, action.target, action.by, action.reason, action.reason_text, comment_seq, until
    )
    message = {
        "type": "moderation",
        "action": action.kind,
        "target": target,
        "by": by.nickname if by is not None else "AI助理",
        "reason": action.reason,
        "reason_text": action.reason_text,
        "comment_seq": comment_seq,
        "until": until,
    }
    room.record(by, cid, room.event_for(by, payload), message, Priority.HIGH)


def moderate(room: LiveRoom, m: Member, msg: wire.ModerateIn) -> None:
    """hide / mute / unmute / ban / unban by a moderator (host, assistant or operator)."""
    if not m.is_staff:
        reject(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以管理评论")
        return
    target = room.user_ref(msg.user_id)
    if msg.comment_seq is not None and msg.comment_seq in room.recent:
        target = room.recent[msg.comment_seq][0]
    mod = room.assistant.moderator
    if msg.action == "hide":
        if msg.comment_seq is None or msg.comment_seq not in room.recent:
            reject(m, msg.cid, ErrorCode.UNKNOWN_COMMENT, f"找不到评论 seq={msg.comment_seq}")
            return
        action = mod.hide(msg.user_id, m.user_id, reason_text=f"{m.nickname} 隐藏了一条评论")
    elif msg.action == "mute":
        action = mod.mute(msg.user_id, msg.minutes * 60, m.user_id, reason_text=f"禁言{msg.minutes}分钟")
    elif msg.action == "unmute":
        action = mod.unmute(msg.user_id, m.user_id)
    elif msg.action == "ban":
        action = mod.ban(msg.user_id, m.user_id, reason_text="已被移出直播间")
    else:
        action = mod.unban(msg.user_id, m.user_id)
    publish_action(room, m, action, target, cid=msg.cid, comment_seq=msg.comment_seq)


def host_status(room: LiveRoom, m: Member, msg: wire.HostStatusIn) -> None:
    """live / busy / away: while the host is busy or away the assistant keeps the room company."""
    if m.role not in (Role.HOST, Role.OPERATOR):
        reject(m, msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播可以切换状态")
        return
    message = {"type": "host_status", "status": msg.status}
    room.record(m, msg.cid, room.event_for(m, HostStatusChanged(msg.status)), message, Priority.HIGH)


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

    room.pin(msg.product_id, m, msg.cid)
