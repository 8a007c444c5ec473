"""Comment moderation: sensitive words, contact ads, links, spam, and hide / mute / ban.

Text is folded once (NFKC, lower case, spaces and inserted symbols or emoji dropped) with a map back
to the original positions, so "加-微-信" and "ｖｘ" are caught and the original spans can be masked.
Words are matched with one Aho-Corasick automaton; contact ids, phone numbers and links with a few
regexes over the folded text.

`Moderator.check()` returns a `Verdict` (allow / hide / mute / ban, a stable English reason code, a
Chinese reason text, the masked text); automatic mutes and bans also carry the `Action` record the
room logs. Content violations are strikes: repeated strikes within a window escalate hide -> mute ->
ban. Repetition and floods are only hidden (a fan repeating "主播看看我" is not a spammer). All
per-user state expires and is capped.

Times (`now`) are seconds on one clock shared by every call; the default clock is `time.time`.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, cast

import ahocorasick

Verb = Literal["allow", "hide", "mute", "ban"]
ActionKind = Literal["hide", "mute", "unmute", "ban", "unban"]

AUTO = "auto"
"""`Action.by` of actions the moderator took by itself."""
MASK = "＊"

_RANK: dict[str, int] = {"allow": 0, "hide": 1, "mute": 2, "ban": 3}
_ALLOW = "\x00allow"  # category of allow-list phrases inside the automaton; not a valid category name

# --- text folding ----------------------------------------------------------------------------

_DOTS = frozenset(".。｡．点點·・•∙")
_CN_DIGITS = str.maketrans(
    {
        **dict.fromkeys("零〇", "0"),
        **dict.fromkeys("一幺壹", "1"),
        **dict.fromkeys("二贰", "2"),
        **dict.fromkeys("三叁", "3"),
        **dict.fromkeys("四肆", "4"),
        **dict.fromkeys("五伍", "5"),
        **dict.fromkeys("六陆", "6"),
        **dict.fromkeys("七柒", "7"),
        **dict.fromkeys("八捌", "8"),
        **dict.fromkeys("九玖", "9"),
    }
)
_FOLD_CACHE_MAX = 1 << 16
_fold_cache: dict[str, tuple[str, str]] = {}


def _fold_char(ch: str) -> tuple[str, str]:
    """One character as (its normalised form, its form in the link view, which keeps dots, ':' and '/')."""
    norm: list[str] = []
    link: list[str] = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        keep = unicodedata.category(c)[0] in "LN"
        if keep:
            norm.append(c)
        if c in _DOTS:
            link.append(".")  # "abc点com", "abc。com"
        elif keep or c in ":/":
            link.append(c)
    return "".join(norm), "".join(link)


@dataclass(frozen=True, slots=True)
class _Folded:
    norm: str
    nmap: list[int]
    link: str
    lmap: list[int]


def _fold(text: str) -> _Folded:
    norm: list[str] = []
    nmap: list[int] = []
    link: list[str] = []
    lmap: list[int] = []
    cache = _fold_cache
    for i, ch in enumerate(text):
        pieces = cache.get(ch)
        if pieces is None:
            pieces = _fold_char(ch)
            if len(cache) < _FOLD_CACHE_MAX:
                cache[ch] = pieces
        n, lk = pieces
        if n == ch and lk == ch:  # the common case (CJK, digits, lower-case latin): no list churn
            norm.append(ch)
            nmap.append(i)
            link.append(ch)
            lmap.append(i)
            continue
        if n:
            norm.append(n)
            nmap.extend([i] * len(n))
        if lk:
            link.append(lk)
            lmap.extend([i] * len(lk))
    return _Folded("".join(norm), nmap, "".join(link), lmap)


def normalize(text: str) -> tuple[str, list[int]]:
    """NFKC, lower case, only letters and digits kept; `index[i]` is the original position of char i."""
    folded = _fold(text)
    return folded.norm, folded.nmap


def _span(index: list[int], start: int, end: int) -> tuple[int, int]:
    return index[start], index[end - 1] + 1


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars)


# --- word list and filter --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A hit in a comment: `span` is (start, end) in the original text."""

    category: str
    word: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    action: Verb
    code: str
    reason: str
    words: tuple[str, ...]
    mute_seconds: int = 0


@dataclass(frozen=True, slots=True)
class WordList:
    categories: Mapping[str, Category]
    allow: tuple[str, ...] = ()
    version: int = 1

    def words_by_category(self) -> dict[str, tuple[str, ...]]:
        return {name: c.words for name, c in self.categories.items()}


def parse_words(data: Mapping[str, object]) -> WordList:
    """Validate a word list in the shape of `siyu/data/moderation_words.json`."""
    raw = data.get("categories")
    if not isinstance(raw, dict):
        raise ValueError("word list: 'categories' must be an object")
    categories: dict[str, Category] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ValueError(f"word list: category {name!r} must be an object")
        action = spec.get("action", "hide")
        if action not in ("hide", "mute", "ban"):
            raise ValueError(f"word list: category {name!r} has unknown action {action!r}")
        words = spec.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError(f"word list: category {name!r} needs a list of words")
        categories[name] = Category(
            name=name,
            action=cast(Verb, action),
            code=str(spec.get("code", "sensitive_word")),
            reason=str(spec.get("reason", "含违规内容")),
            words=tuple(words),
            mute_seconds=int(spec.get("mute_seconds", 600 if action == "mute" else 0)),
        )
    allow = data.get("allow", [])
    if not isinstance(allow, list):
        raise ValueError("word list: 'allow' must be a list")
    version = data.get("version", 1)
    return WordList(categories, tuple(str(a) for a in allow), version if isinstance(version, int) else 1)


def load_words(name: str = "moderation_words.json") -> WordList:
    """The word list shipped in `siyu.data`."""
    text = resources.files("siyu.data").joinpath(name).read_text(encoding="utf-8")
    return parse_words(json.loads(text))


class WordFilter:
    """Aho-Corasick over normalised words. Allow-list phrases suppress the hits they fully cover
    ("怎么加微信" is a viewer's question, "加微信" alone is an ad)."""

    def __init__(self, words_by_category: Mapping[str, Iterable[str]], allow: Iterable[str] = ()) -> None:
        table: dict[str, list[tuple[str, str]]] = {}
        pairs = [(c, w) for c, words in words_by_category.items() for w in words]
        pairs += [(_ALLOW, a) for a in allow]
        for category, word in pairs:
            key = normalize(word)[0]
            if not key:
                raise ValueError(f"word {word!r} ({category}) is empty once normalised")
            entries = table.setdefault(key, [])
            if (category, word) not in entries:
                entries.append((category, word))
        self._automaton: ahocorasick.Automaton | None = None
        if table:
            automaton = ahocorasick.Automaton()
            for key, entries in table.items():
                automaton.add_word(key, (len(key), tuple(entries)))
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> list[Match]:
        """Hits in `text`, leftmost first; a hit inside a longer hit is dropped."""
        norm, index = normalize(text)
        return self._find(norm, index)

    def mask(self, text: str) -> str:
        """`text` with every hit replaced by ＊, one per original character; the rest is kept."""
        return _mask(text, (m.span for m in self.find(text)))

    def _find(self, norm: str, index: list[int]) -> list[Match]:
        if self._automaton is None or not norm:
            return []
        hits: list[tuple[int, int, str, str]] = []
        allowed: list[tuple[int, int]] = []
        for last, (length, entries) in self._automaton.iter(norm):
            start = last - length + 1
            for category, word in entries:
                if category == _ALLOW:
                    allowed.append((start, last + 1))
                else:
                    hits.append((start, last + 1, category, word))
        if not hits:
            return []
        if allowed:
            hits = [h for h in hits if not any(a <= h[0] and h[1] <= b for a, b in allowed)]
        if len(hits) > 1:
            hits = [
                h
                for h in hits
                if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
            ]
        hits.sort()
        return [Match(c, w, _span(index, s, e)) for s, e, c, w in hits]


# --- contact ads and links -------------------------------------------------------------------

_FILL = "[号码是为搜加我的]{0,3}"
_UNITS = "个件元块份单人万千百斤赞次"
_CONTACT = re.compile(
    # WeChat cues take a WeChat id (a letter, then 5..19 letters/digits) or digits
    rf"(?:(?<![a-z])(?:vx|wx|wechat|weixin)|微信|薇信|威信|v信){_FILL}(?:[a-z][a-z0-9]{{5,19}}|\d{{6,}})"
    # QQ and phone cues take digits only ("手机iphone15" is not an ad)
    rf"|(?:(?<![a-z])(?:qq|tel)|扣扣|企鹅|电话|手机|联系){_FILL}\d{{6,}}"
    # weak cues (加, a lone v or q) need digits in the id: "v领", "加大码", "加油" stay clean
    # ("再加100000件" is a quantity, not an id)
    rf"|(?:加|(?<![a-z])[vq]){_FILL}(?:(?=[a-z]*\d)[a-z][a-z0-9]{{4,19}}|\d{{6,}}(?![\d{_UNITS}]))"
)
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# cheering numbers that look like a phone once spaces are gone: "1314 1314 520"
_CHEER = re.compile(r"(?:1314|520|521|666|888|999)+")
_TLDS = (
    "com|cn|net|org|top|xyz|vip|cc|io|info|shop|club|site|online|link|icu|fun|ink|wang|tk|ml|tv|hk|app|live"
)
_LINK = re.compile(
    r"https?:/*[a-z0-9][a-z0-9.:/]*"
    r"|www\.[a-z0-9][a-z0-9.]*"
    rf"|(?<![a-z0-9.])[a-z0-9]{{2,}}(?:\.[a-z0-9]+)*\.(?:{_TLDS})(?![a-z0-9])(?:/[a-z0-9./]*)?"
)


def _contacts(folded: _Folded) -> list[Match]:
    digits = folded.norm.translate(_CN_DIGITS)  # same length, so the index map still holds
    found = [Match("contact", m.group(), _span(folded.nmap, *m.span())) for m in _CONTACT.finditer(digits)]
    for m in _PHONE.finditer(digits):
        if not _CHEER.fullmatch(m.group()):
            found.append(Match("phone", m.group(), _span(folded.nmap, *m.span())))
    return found


def _links(folded: _Folded) -> list[Match]:
    return [Match("link", m.group(), _span(folded.lmap, *m.span())) for m in _LINK.finditer(folded.link)]


# --- configuration and records ---------------------------------------------------------------


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


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}小时"
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"{math.ceil(seconds)}秒"


# --- the moderator ---------------------------------------------------------------------------


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
        folded = _fold(text)
        matches = self.filter._find(folded.norm, folded.nmap) + _contacts(folded) + _links(folded)
        masked = _mask(text, (m.span for m in matches)) if matches else text
        words = tuple(dict.fromkeys(m.word for m in matches))
        if user_id in self._bans:
            return Verdict("hide", "banned", _TEXTS["banned"], masked, words, tuple(matches), ("banned",))
        until = self._mutes.get(user_id)
        if until is not None and until > now:
            reason_text = f"禁言中（剩余约{_duration(until - now)}），评论不展示"
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
        primary = min(violations, key=lambda v: (-_RANK[v.action], order.get(v.code, len(order))))
        action, seconds, reason_text = primary.action, primary.seconds, primary.text
        codes = tuple(dict.fromkeys(v.code for v in violations))
        strikes = 0
        if any(v.code in cfg.strike_codes for v in violations):
            strikes = self._strike(user_id, now)
            step = cfg.escalation[min(strikes, len(cfg.escalation)) - 1]
            if _RANK[step.action] > _RANK[action] or (
                step.action == action == "mute" and step.seconds > seconds
            ):
                action, seconds = step.action, step.seconds
                penalty = (
                    "封禁" if action == "ban" else f"禁言{_duration(seconds)}" if action == "mute" else ""
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
        text = reason_text or f"被场控禁言{_duration(seconds)}"
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
