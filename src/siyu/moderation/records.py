"""Moderation settings and records: the escalation ladder, spam limits, verdicts and logged actions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from siyu.moderation.words import Match, Verb

__all__ = [
    "AUTO",
    "RANK",
    "Action",
    "ActionKind",
    "ModerationConfig",
    "StateSize",
    "Step",
    "Verdict",
    "duration_text",
]

ActionKind = Literal["hide", "mute", "unmute", "ban", "unban"]

AUTO = "auto"
"""`Action.by` of actions the moderator took by itself."""

RANK: dict[str, int] = {"allow": 0, "hide": 1, "mute": 2, "ban": 3}
"""How severe each verdict is."""


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the escalation ladder."""

    action: Verb
    seconds: int = 0


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    """Defaults are tuned for a busy e-commerce room where false positives cost more than a missed ad."""

    # nth strike within strike_window -> escalation[n-1] (the last rung repeats): one ad is hidden, a second
    # mutes for 10 minutes, a third bans. 30 minutes spans an ad bot's session but forgives an old slip.
    escalation: tuple[Step, ...] = (Step("hide"), Step("mute", 600), Step("ban"))
    strike_window: float = 1800.0
    # only content violations count as strikes; repetition and floods are hidden but never escalate
    strike_codes: frozenset[str] = frozenset({"sensitive_word", "contact_ad", "link"})
    # the 3rd identical comment from one user within a minute is hidden; short or one-or-two-character
    # reactions ("666", "哈哈哈哈哈", "扣1") are never repeat spam
    repeat_limit: int = 3
    repeat_window: float = 60.0
    repeat_min_len: int = 5
    history_per_user: int = 6
    # the same comment (at least 8 normalised chars) from 5 users within 10 s is a bot flood; short
    # answers to a host's call ("1", "想要", "3号链接多少钱") are exempt
    flood_users: int = 5
    flood_window: float = 10.0
    flood_min_len: int = 8
    # a comment that is one 1..4-char unit repeated over >= 50 chars is hidden (None: never)
    repeat_chars_limit: int | None = 50
    # memory caps: least recently active users / texts are forgotten first
    max_users: int = 50_000
    max_flood_texts: int = 20_000
    sweep_interval: float = 30.0

    def __post_init__(self) -> None:
        if not self.escalation:
            raise ValueError("escalation needs at least one step")
        for step in self.escalation:
            if step.action == "mute" and step.seconds <= 0:
                raise ValueError("a mute step needs seconds > 0")
        if self.repeat_limit < 2 or self.flood_users < 2:
            raise ValueError("repeat_limit and flood_users must be at least 2")
        if self.max_users < 1 or self.max_flood_texts < 1 or self.history_per_user < self.repeat_limit - 1:
            raise ValueError("caps too small")


@dataclass(frozen=True, slots=True)
class Action:
    """A moderation action for the room's event log; `by` is a moderator id or `AUTO`."""

    kind: ActionKind
    target: str
    by: str
    reason: str
    reason_text: str
    at: float
    until: float | None = None
    cid: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one comment. `reason` is a stable code ("ok" when allowed); `codes` lists every
    violation found; `record` is set when this comment triggered an automatic mute or ban."""

    action: Verb
    reason: str
    reason_text: str
    masked: str
    words: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    codes: tuple[str, ...] = ()
    mute_seconds: int = 0
    strikes: int = 0
    record: Action | None = None

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


@dataclass(frozen=True, slots=True)
class StateSize:
    users: int
    flood_texts: int
    mutes: int
    bans: int


def duration_text(seconds: float) -> str:
    """A mute's length as the viewer reads it: 10分钟, 1小时, 30秒."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}小时"
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"{math.ceil(seconds)}秒"
