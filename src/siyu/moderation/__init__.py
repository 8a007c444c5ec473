"""Comment moderation: sensitive words, contact ads, links, spam, and hide / mute / ban.

Text is folded once (``text.py``: NFKC, lower case, spaces and inserted symbols or emoji dropped) with a
map back to the original positions, so "加-微-信" and "ｖｘ" are caught and the original spans can be
masked. Words are matched with one Aho-Corasick automaton (``words.py``, the word list
``siyu/data/moderation_words.json``); contact ids, phone numbers and links with a few regexes over the
folded text (``spam.py``). :class:`Moderator` (``moderator.py``) judges each comment and escalates
repeated violations (``records.py``: the ladder, limits, verdicts and actions).

A wing of its own: it imports no other wing (assistant, recommend); :mod:`siyu.zh` for the digits.
"""

from siyu.moderation.moderator import Moderator
from siyu.moderation.records import AUTO, Action, ActionKind, ModerationConfig, StateSize, Step, Verdict
from siyu.moderation.text import MASK, normalize
from siyu.moderation.words import Category, Match, Verb, WordFilter, WordList, load_words, parse_words

__all__ = [
    "AUTO",
    "MASK",
    "Action",
    "ActionKind",
    "Category",
    "Match",
    "ModerationConfig",
    "Moderator",
    "StateSize",
    "Step",
    "Verb",
    "Verdict",
    "WordFilter",
    "WordList",
    "load_words",
    "normalize",
    "parse_words",
]
