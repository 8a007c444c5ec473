"""Moderation in the room: a guard on every comment, the staff's `moderate` message, mutes and bans that
hold on every node (they follow the room stream), and a ban that closes the user's connections (4010).

Spam (ads, contact details, links, sensitive words, repeats) is shadow-hidden: logged as `comment.hidden`,
acknowledged to its author with the echo, shown to the staff, never published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from siyu.events import CommentHidden, Event, ModerationActed, now_ms
from siyu.moderation import Action, Moderator, Verdict
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import (
    Cid,
    ClientMessage,
    CloseCode,
    ErrorCode,
    RoomMessage,
    ServerMessage,
    UserRef,
)
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.features.chat import Chat, Comment
from siyu.rooms.room import Member, member_ref

AUTO_NAME = "AI助理"


class ModerateIn(ClientMessage):
    type: Literal["moderate"]
    action: Literal["hide", "mute", "unmute", "ban", "unban"]
    user_id: str = Field(min_length=1, max_length=64)
    comment_seq: int | None = Field(None, ge=1)
    minutes: int = Field(10, ge=1, le=7 * 24 * 60)
    cid: Cid | None = None


@dataclass(slots=True, kw_only=True)
class ModerationMessage(RoomMessage):
    """A moderation action every viewer sees happen (and every node applies)."""

    type: Literal["moderation"] = "moderation"
    action: str
    target: UserRef
    by: str
    reason: str
    reason_text: str
    comment_seq: int | None
    until: int | None


@dataclass(slots=True, kw_only=True)
class HiddenNote(ServerMessage):
    """A comment moderation hid from the room, for the staff (the author saw it as sent)."""

    type: Literal["moderation"] = "moderation"
    action: Literal["hide"] = "hide"
    target: UserRef
    by: str
    reason: str
    reason_text: str
    text: str
    ts: int


class Moderation(Feature):
    name = "moderation"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.moderator = Moderator()
        self.chat = room.feature(Chat)
        self.chat.guards.append(self.guard)
        self._applied = 0  # the last moderation seq applied

    async def load(self) -> None:
        """Mutes and bans outlive a restart and a session: the room's moderation history is applied again."""
        room = self.room
        for event in await room.service.room_events(room.info.id, types=[ModerationActed.TYPE], limit=5000):
            self._acted(event)

    def guard(self, m: Member, cid: str, text: str, question: bool, message: Comment) -> bool:
        """Muted/banned authors get an error; spam is hidden. Many viewers asking the same question is a
        live room working, not a bot flood."""
        if m.is_staff:
            return False
        verdict = self.moderator.check(m.user_id, text)
        if verdict.allowed or (verdict.reason == "flood" and question):
            return False
        self._stopped(m, cid, text, message, verdict)
        return True

    def _stopped(self, m: Member, cid: str, text: str, message: Comment, verdict: Verdict) -> None:
        room = self.room
        if verdict.reason in ("muted", "banned"):
            code = ErrorCode.MUTED if verdict.reason == "muted" else ErrorCode.BANNED
            until = self.moderator.muted_until(m.user_id)
            extra = {"until_ms": int(until * 1000)} if until else {}
            m.send(wire.reject(cid, code, verdict.reason_text, **extra))
            return
        # acked (with the author's echo) once the log holds it, like every action; a re-send gets that answer
        room.record(m, cid, room.event_for(m, CommentHidden(text, cid, verdict.reason, list(verdict.words))),
                    None, echo=message)  # fmt: skip
        room.to_staff(HiddenNote(target=member_ref(m), by="auto", reason=verdict.reason,
                                 reason_text=verdict.reason_text, text=text, ts=now_ms()))  # fmt: skip
        if verdict.record is not None and verdict.record.kind in ("mute", "ban"):
            self.publish(None, verdict.record, member_ref(m))

    def publish(self, by: Member | None, action: Action, target: UserRef, *, cid: str | None = None,
                comment_seq: int | None = None) -> None:  # fmt: skip
        """A moderation action (automatic when `by` is None) as a room message: every node applies it."""
        until = int(action.until * 1000) if action.until else None
        by_name = by.nickname if by is not None else AUTO_NAME
        payload = ModerationActed(action.kind, action.target, action.by, action.reason, action.reason_text,
                                  comment_seq, until, by_name)  # fmt: skip
        message = ModerationMessage(
            action=action.kind, target=target, by=by_name, reason=action.reason,
            reason_text=action.reason_text, comment_seq=comment_seq, until=until,
        )  # fmt: skip
        self.room.record(by, cid, self.room.event_for(by, payload), message, Priority.HIGH)

    @handles(ModerateIn)  # staff only: bounded by the frame rate (docs/protocol.md section 7)
    def moderate(self, m: Member, msg: ModerateIn) -> None:
        """hide / mute / unmute / ban / unban by a moderator (host, assistant or operator)."""
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以管理评论"))
            return
        recent = self.chat.recent.get(msg.comment_seq) if msg.comment_seq is not None else None
        target = recent.user if recent is not None else self.room.user_ref(msg.user_id)
        mod = self.moderator
        if msg.action == "hide":
            if recent is None:
                m.send(wire.reject(msg.cid, ErrorCode.UNKNOWN_COMMENT, f"找不到评论 seq={msg.comment_seq}"))
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
        self.publish(m, action, target, cid=msg.cid, comment_seq=msg.comment_seq)

    @follows(ModerationActed)
    def _acted(self, event: Event[ModerationActed]) -> None:
        """Mutes and bans hold on every node of the room; a ban also closes the user's connections here."""
        if event.seq is not None:
            if event.seq <= self._applied:
                return  # applied at load already (the session replay brings it again)
            self._applied = event.seq
        p = event.payload
        mod, target, by = self.moderator, p.target, p.by
        if p.action == "mute" and p.until:
            left = (p.until - now_ms()) // 1000
            if left > 0:
                mod.mute(target, left, by)
        elif p.action == "unmute":
            mod.unmute(target, by)
        elif p.action == "ban":
            mod.ban(target, by)
            for peer in list(self.room.channel.peers):
                if peer.user_id == target and not peer.is_staff:
                    peer.close(CloseCode.BANNED, "banned")  # type: ignore[attr-defined]
        elif p.action == "unban":
            mod.unban(target, by)
