"""jieba for the assistant: its dictionary is initialised once, catalog words are added once each."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import jieba

__all__ = ["ensure_jieba", "tokenize"]

_JIEBA_LOCK = threading.Lock()
_JIEBA_READY = False
_JIEBA_WORDS: set[str] = set()


def ensure_jieba(words: Iterable[str] = ()) -> None:
    """Initialise jieba's dictionary once (quietly) and add catalog words as user words."""
    global _JIEBA_READY
    with _JIEBA_LOCK:
        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA_READY = True
        for word in words:
            if word and word not in _JIEBA_WORDS:
                jieba.add_word(word, freq=20000)
                _JIEBA_WORDS.add(word)


def tokenize(text: str) -> list[str]:
    ensure_jieba()
    return [t for t in jieba.lcut(text) if t.strip()]
