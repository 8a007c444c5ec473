"""The assistant as a room feature.

- Every node reads every viewer comment from the room stream (deterministic, memoised by seq) and puts
  its reading on the host's question panel, grouped ("N 人在问"), so every host console is the same.
- The node that committed the comment answers the asker (a personal message) and, when enough viewers
  asked the same thing, the room once (services.say). Handoffs get the 客服 pointer; what the rules are
  unsure of stays with the host (or goes to the optional LLM).
- A host reply to one question of a group answers the whole group.
- Companion mode: while the host is busy or away every chitchat comment (主播去哪了, 主播好美, 已拍) gets a
  short companion line instead of silence. The periodic companion line and "many asked -> answer the room"
  are playbooks (the shipped `assistant` template): this feature offers them as named services
  (`assistant.companion`, `assistant.answer_group`) and signals `question.grouped` when a group grows.
"""

from __future__ import annotations

import time
from typing import Any

from siyu.assistant.engine import Answer
from siyu.assistant.room_state import Group, RoomAssistant
from siyu.events import (
    CommentPosted,
    Event,
    HostReplied,
    ProductInterest,
    QuestionGrouped,
    now_ms,
)
from siyu.rooms.feature import Feature, committed, follows
from siyu.rooms.features.host import HostStatus
from siyu.rooms.features.products import Products
from siyu.rooms.features.questions import Annotation, Questions
from siyu.rooms.services import say, say_to


class AssistantFeature(Feature):
    name = "assistant"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.ra = RoomAssistant(room.catalog, room.info.host_name, room.settings.assistant)
        self.products = room.feature(Products)
        self.questions = room.feature(Questions)
        self.host = room.feature(HostStatus)
        self.questions.annotators.append(self.annotate)
        room.provided["assistant.companion"] = self.companion
        room.provided["assistant.answer_group"] = self.answer_group

    def staff_snapshot(self) -> dict[str, Any]:
        return {"groups": self.ra.snapshot()}

    def _reading(self, event: Event[CommentPosted]) -> Answer | None:
        p = event.payload
        if p.role != "viewer" or event.seq is None:
            return None
        self.ra.host_status = self.host.status
        answer = self.ra.analyse(event.seq, p.text, self.products.pinned_id)
        if answer is None or not self.ra.wants_answer(answer, p.question):
            return None
        return answer

    def annotate(self, event: Event[CommentPosted]) -> Annotation | None:
        answer = self._reading(event)
        if answer is None or (answer.intent == "chitchat" and not event.payload.question):
            return None  # chat answered only for company (host away) is not a question for the panel
        assert event.seq is not None and event.user_id is not None
        group = self.ra.note_question(event.seq, event.user_id, answer, now=_monotonic_at(event.ts))
        if answer.product_id is not None:
            interest = ProductInterest(answer.product_id, _size(answer), "asked")
            self.room.signal(Event(room_id=self.room.info.id, user_id=event.user_id, payload=interest))
        ai: dict[str, object] = {
            "intent": answer.intent,
            "product_id": answer.product_id,
            "key": answer.key,
            "priority": "high" if answer.needs_host else "normal",
            "handoff": answer.handoff,
            "suggested": answer.suggested or answer.answer,
            "auto_answered": not answer.needs_host or answer.handoff,
        }
        return Annotation(ai, then=lambda: self.room.to_staff(group.to_wire()))

    @committed(CommentPosted)
    def _answer_asker(self, event: Event[CommentPosted]) -> None:
        """On the node that committed the comment: the answer to the asker, and the room's when due."""
        answer = self._reading(event)
        if answer is None:
            return
        assert event.seq is not None and event.user_id is not None
        ra, room, p, seq, user = self.ra, self.room, event.payload, event.seq, event.user_id
        unsure = answer.needs_host and not answer.handoff
        companion = ra.companion_reply(answer)

        def send(text: str, source: str) -> None:
            say_to(room, user, text, answer.intent, parent=event.id, confidence=answer.confidence,
                   reply_to={"seq": seq, "cid": p.cid}, product_id=answer.product_id, handoff=answer.handoff,
                   source=source)  # fmt: skip

        if companion is not None:  # the host is busy or away: chat gets company instead of silence
            send(companion, "companion")
            if not p.question:
                return
        elif ra.llm is not None and (answer.intent == "chitchat" or unsure):
            # chitchat and what the rules are unsure of: the model, with the catalog as its only source;
            # an unsure question the model cannot answer stays with the host (it is on the panel already)
            async def via_llm() -> None:
                reply, source = await ra.llm_reply(p.text, answer, room.info.shop_name)
                if source == "llm" or not unsure:
                    send(reply, source)

            room.spawn(via_llm())
        elif not unsure:
            send(answer.answer, "rules")
        ra.note_question(seq, user, answer)  # a no-op when the stream has counted it already
        group = ra.groups.get(answer.key) if answer.key else None
        if group is not None and not group.answered and group.priority != "high" and len(group.users) >= 2:
            grouped = QuestionGrouped(group.key, len(group.users), p.text, answer.answer, answer.intent,
                                      answer.product_id)  # fmt: skip
            room.signal(Event(room_id=room.info.id, user_id=None, payload=grouped, ts=event.ts))

    @follows(HostReplied)
    def _host_replied(self, event: Event[HostReplied]) -> None:
        """One reply answers everyone who asked the same thing."""
        assert event.seq is not None
        to_seq = event.payload.to_seq
        group: Group | None = self.ra.answered_group(to_seq)
        if group is None:
            return
        for other in group.seqs:
            if other != to_seq:
                self.questions.answer(other, event.seq, event.payload.nickname)
        self.room.to_staff(group.to_wire())

    def tick(self, now_ms: int) -> None:
        self.ra.host_status = self.host.status

    def companion(self, **context: str | None) -> str | None:
        """`assistant.companion`: say a catalog-grounded line to the room while the host is busy or away
        (`context`: the caller's `actor` and `parent`, which the logged answer carries)."""
        self.ra.host_status = self.host.status
        line = self.ra.companion_line(self.products.pinned_id)
        if line is not None:
            say(self.room, line, "companion", **context)
        return line

    def answer_group(
        self, key: str, question: str, product_id: str | None = None, **context: str | None
    ) -> str | None:
        """`assistant.answer_group`: the answer of question group `key` to the whole room (clients show
        "N 人在问：<question>" from `asked` and `question`); None when the group is gone or answered."""
        group = self.ra.groups.get(key)
        if group is None or group.answered or not group.suggested:
            return None
        say(self.room, group.suggested, group.intent, key=key, product_id=product_id, asked=len(group.users),
            question=question, **context)  # fmt: skip
        return group.suggested

    async def stop(self) -> None:
        await self.ra.aclose()


def _monotonic_at(ts_ms: int) -> float:
    """The monotonic clock's reading at wall time `ts_ms` (a replayed question is as old as it is)."""
    return time.monotonic() - max(0.0, (now_ms() - ts_ms) / 1000)


def _size(answer: Answer) -> str | None:
    size = answer.slots.get("size")
    return str(size) if size else None
