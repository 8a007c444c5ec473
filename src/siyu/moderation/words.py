"""The word list (``siyu/data/moderation_words.json``) and its Aho-Corasick matcher over folded text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal, cast

import ahocorasick

from siyu.moderation.text import mask_spans, normalize, original_span

__all__ = ["Category", "Match", "Verb", "WordFilter", "WordList", "load_words", "parse_words"]

Verb = Literal["allow", "hide", "mute", "ban"]

_ALLOW = "\x00allow"  # category of allow-list phrases inside the automaton; not a valid category name


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
        return self.find_folded(norm, index)

    def mask(self, text: str) -> str:
        """`text` with every hit replaced by ＊, one per original character; the rest is kept."""
        return mask_spans(text, (m.span for m in self.find(text)))

    def find_folded(self, norm: str, index: list[int]) -> list[Match]:
        """Hits in already folded text (`normalize`); `index` maps back to the original positions."""
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
        return [Match(c, w, original_span(index, s, e)) for s, e, c, w in hits]
