"""The per-room moderator: judges each comment, escalates repeated violations, applies mutes and bans.

`Moderator.check()` returns a `Verdict` (allow / hide / mute / ban, a stable English reason code, a
Chinese reason text, the masked text); automatic mutes and bans also carry the `Action` record the
room logs. Content violations (sensitive words, contact ads, links) are strikes: repeated strikes within
a window escalate hide -> mute -> ban. Repetition and floods are only hidden (a fan repeating "主播看看我"
is not a spammer). All per-user state expires and is capped.

Times (`now`) are seconds on one clock shared by every call; the default clock is `time.time`.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from siyu.moderation.records import (
    AUTO,
    RANK,
    Action,
    ModerationConfig,
    StateSize,
    Verdict,
    duration_text,
)
from siyu.moderation.spam import contacts, links
from siyu.moderation.text import fold, mask_spans
from siyu.moderation.words import Match, Verb, WordFilter, WordList, load_words

__all__ = ["Moderator"]


@dataclass(frozen=True, slots=True)
class _Violation:
    code: str
    text: str
    action: Verb
    seconds: int = 0


@dataclass(slots=True)
class _User:
    last_seen: float
    recent: deque[tuple[float, int]]
    strikes: deque[float] = field(default_factory=deque)


_TEXTS: dict[str, str] = {
    "contact_ad": "疑似发布联系方式引流",
    "link": "包含外部链接",
    "repeat_spam": "短时间内重复发送相同内容",
    "flood": "多人短时间内刷相同内容，疑似机器刷屏",
    "repeat_chars": "连续重复字符过多",
    "banned": "已被封禁，评论不展示",
}
# which violation names the verdict when several share the highest action
_PRIORITY = ("sensitive_word", "contact_ad", "link", "repeat_spam", "flood", "repeat_chars")


class Moderator:
    """Per-room moderation state: strikes, recent comments, floods, mutes and bans."""

    def __init__(
        self,
        config: ModerationConfig | None = None,
        words: WordList | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or ModerationConfig()
        self.words = words if words is not None else load_words()
        self.filter = WordFilter(self.words.words_by_category(), self.words.allow)
        self._clock = clock
        self._users: OrderedDict[str, _User] = OrderedDict()
        self._floods: OrderedDict[int, deque[tuple[float, str]]] = OrderedDict()
        self._mutes: dict[str, float] = {}
        self._bans: dict[str, Action] = {}
        self._next_sweep = -math.inf

    # -- comments --

    def check(self, user_id: str, text: str, now: float | None = None) -> Verdict:
        """Judge one comment and update the user's state (strikes, automatic mute or ban)."""
        now = self._clock() if now is None else now
        if now >= self._next_sweep:
            self.sweep(now)
        folded = fold(text)
        matches = self.filter.find_folded(folded.norm, folded.nmap) + contacts(folded) + links(folded)
        masked = mask_spans(text, (m.span for m in matches)) if matches else text
        words = tuple(dict.fromkeys(m.word for m in matches))
        if user_id in self._bans:
            return Verdict("hide", "banned", _TEXTS["banned"], masked, words, tuple(matches), ("banned",))
        until = self._mutes.get(user_id)
        if until is not None and until > now:
            reason_text = f"禁言中（剩余约{duration_text(until - now)}），评论不展示"
            return Verdict("hide", "muted", reason_text, masked, words, tuple(matches), ("muted",))

        violations = self._content(folded.norm, matches)
        violations += self._behaviour(user_id, folded.norm, now)
        if not violations:
            return Verdict("allow", "ok", "", masked, words, tuple(matches))
        return self._decide(user_id, violations, masked, words, tuple(matches), now)

    def _content(self, norm: str, matches: list[Match]) -> list[_Violation]:
        found: list[_Violation] = []
        categories = self.words.categories
        for name in dict.fromkeys(m.category for m in matches):
            category = categories.get(name)
            if category is not None:
                found.append(
                    _Violation(category.code, category.reason, category.action, category.mute_seconds)
                )
            elif name in ("contact", "phone"):
                found.append(_Violation("contact_ad", _TEXTS["contact_ad"], "hide"))
            elif name == "link":
                found.append(_Violation("link", _TEXTS["link"], "hide"))
        limit = self.config.repeat_chars_limit
        if limit is not None and len(norm) >= limit:
            for m in re.finditer(r"(.{1,4}?)\1+", norm):
                if m.end() - m.start() >= limit:
                    found.append(_Violation("repeat_chars", _TEXTS["repeat_chars"], "hide"))
                    break
        return found

    def _behaviour(self, user_id: str, norm: str, now: float) -> list[_Violation]:
        cfg = self.config
        found: list[_Violation] = []
        key = hash(norm)
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(now, deque(maxlen=cfg.history_per_user))
            if len(self._users) > cfg.max_users:
                self._users.popitem(last=False)
        else:
            self._users.move_to_end(user_id)
            user.last_seen = now
        if len(norm) >= cfg.repeat_min_len and len(set(norm)) > 2:
            horizon = now - cfg.repeat_window
            same = sum(1 for t, k in user.recent if k == key and t > horizon)
            if same + 1 >= cfg.repeat_limit:
                found.append(_Violation("repeat_spam", _TEXTS["repeat_spam"], "hide"))
        user.recent.append((now, key))

        if len(norm) >= cfg.flood_min_len:
            seen = self._floods.get(key)
            if seen is None:
                seen = self._floods[key] = deque(maxlen=cfg.flood_users * 4)
                if len(self._floods) > cfg.max_flood_texts:
                    self._floods.popitem(last=False)
            else:
                self._floods.move_to_end(key)
            seen.append((now, user_id))
            horizon = now - cfg.flood_window
            if len({u for t, u in seen if t > horizon}) >= cfg.flood_users:
                found.append(_Violation("flood", _TEXTS["flood"], "hide"))
        return found

    def _decide(
        self,
        user_id: str,
        violations: list[_Violation],
        masked: str,
        words: tuple[str, ...],
        matches: tuple[Match, ...],
        now: float,
    ) -> Verdict:
        cfg = self.config
        order = {code: i for i, code in enumerate(_PRIORITY)}
        primary = min(violations, key=lambda v: (-RANK[v.action], order.get(v.code, len(order))))
        action, seconds, reason_text = primary.action, primary.seconds, primary.text
        codes = tuple(dict.fromkeys(v.code for v in violations))
        strikes = 0
        if any(v.code in cfg.strike_codes for v in violations):
            strikes = self._strike(user_id, now)
            step = cfg.escalation[min(strikes, len(cfg.escalation)) - 1]
            if RANK[step.action] > RANK[action] or (
                step.action == action == "mute" and step.seconds > seconds
            ):
                action, seconds = step.action, step.seconds
                penalty = (
                    "封禁" if action == "ban" else f"禁言{duration_text(seconds)}" if action == "mute" else ""
                )
                if penalty:
                    reason_text = f"{reason_text}；{strikes}次违规，{penalty}"
        record: Action | None = None
        if action == "mute":
            record = self._apply(Action("mute", user_id, AUTO, primary.code, reason_text, now, now + seconds))
        elif action == "ban":
            record = self._apply(Action("ban", user_id, AUTO, primary.code, reason_text, now))
        return Verdict(
            action,
            primary.code,
            reason_text,
            masked,
            words,
            matches,
            codes,
            seconds if action == "mute" else 0,
            strikes,
            record,
        )

    def _strike(self, user_id: str, now: float) -> int:
        user = self._users.get(user_id)
        if user is None:  # evicted between _behaviour and here only if max_users is tiny; start afresh
            user = self._users[user_id] = _User(now, deque(maxlen=self.config.history_per_user))
        strikes = user.strikes
        horizon = now - self.config.strike_window
        while strikes and strikes[0] <= horizon:
            strikes.popleft()
        strikes.append(now)
        while len(strikes) > len(self.config.escalation):  # older strikes cannot change the rung
            strikes.popleft()
        return len(strikes)

    # -- manual actions (moderators) --

    def mute(
        self, user_id: str, seconds: float, by: str, now: float | None = None, reason_text: str | None = None
    ) -> Action:
        """Mute `user_id` for `seconds` (replaces any current mute)."""
        if seconds <= 0:
            raise ValueError("mute seconds must be positive")
        now = self._clock() if now is None else now
        text = reason_text or f"被场控禁言{duration_text(seconds)}"
        return self._apply(Action("mute", user_id, by, "manual", text, now, now + seconds))

    def unmute(self, user_id: str, by: str, now: float | None = None) -> Action:
        """Lift a mute; the user's strikes are forgiven too."""
        now = self._clock() if now is None else now
        return self._apply(Action("unmute", user_id, by, "manual", "场控解除禁言", now))

    def ban(self, user_id: str, by: str, now: float | None = None, reason_text: str | None = None) -> Action:
        """Ban `user_id` from commenting in this room until unbanned."""
        now = self._clock() if now is None else now
        return self._apply(Action("ban", user_id, by, "manual", reason_text or "被场控封禁", now))

    def unban(self, user_id: str, by: str, now: float | None = None) -> Action:
        now = self._clock() if now is None else now
        return self._apply(Action("unban", user_id, by, "manual", "场控解除封禁", now))

    def hide(
        self,
        user_id: str,
        by: str,
        cid: str | None = None,
        now: float | None = None,
        reason_text: str | None = None,
    ) -> Action:
        """Record a moderator hiding one comment (no state change, no strike)."""
        now = self._clock() if now is None else now
        return Action("hide", user_id, by, "manual", reason_text or "被场控隐藏", now, cid=cid)

    def replay(self, actions: Iterable[Action]) -> None:
        """Rebuild mutes and bans from logged actions (e.g. after a restart)."""
        for action in actions:
            self._apply(action)

    def _apply(self, action: Action) -> Action:
        target = action.target
        if action.kind == "mute" and action.until is not None:
            self._mutes[target] = action.until
        elif action.kind == "unmute":
            self._mutes.pop(target, None)
            self._forgive(target)
        elif action.kind == "ban":
            self._bans[target] = action
        elif action.kind == "unban":
            self._bans.pop(target, None)
            self._forgive(target)
        return action

    def _forgive(self, user_id: str) -> None:
        user = self._users.get(user_id)
        if user is not None:
            user.strikes.clear()

    # -- queries and housekeeping --

    def is_muted(self, user_id: str, now: float | None = None) -> bool:
        return self.muted_until(user_id, now) is not None

    def muted_until(self, user_id: str, now: float | None = None) -> float | None:
        now = self._clock() if now is None else now
        until = self._mutes.get(user_id)
        if until is None:
            return None
        if until <= now:
            del self._mutes[user_id]
            return None
        return until

    def is_banned(self, user_id: str) -> bool:
        return user_id in self._bans

    def strikes(self, user_id: str, now: float | None = None) -> int:
        now = self._clock() if now is None else now
        user = self._users.get(user_id)
        horizon = now - self.config.strike_window
        return 0 if user is None else sum(1 for t in user.strikes if t > horizon)

    def size(self) -> StateSize:
        return StateSize(len(self._users), len(self._floods), len(self._mutes), len(self._bans))

    def sweep(self, now: float | None = None) -> None:
        """Forget users idle past every window, stale flood texts and expired mutes. `check()` calls this
        every `sweep_interval` seconds; bans are kept until lifted (each one is a logged decision)."""
        now = self._clock() if now is None else now
        cfg = self.config
        self._next_sweep = now + cfg.sweep_interval
        idle = now - max(cfg.repeat_window, cfg.strike_window)
        users = self._users
        while users:  # ordered by last activity: stop at the first recent one
            if next(iter(users.values())).last_seen > idle:
                break
            users.popitem(last=False)
        floods = self._floods
        stale = now - cfg.flood_window
        while floods:
            seen = next(iter(floods.values()))
            if seen and seen[-1][0] > stale:
                break
            floods.popitem(last=False)
        for user_id in [u for u, until in self._mutes.items() if until <= now]:
            del self._mutes[user_id]
