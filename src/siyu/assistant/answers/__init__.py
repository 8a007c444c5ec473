"""The assistant's answers: one template per intent and case, filled only from catalog facts.

:class:`Composer` (``composer.py``) picks the template of a parsed question; the templates live by intent
family in ``stock.py``, ``sizing.py``, ``product.py`` and ``shop.py``; ``common.py`` has what they share.
"""

from siyu.assistant.answers.common import (
    HANDOFF_WORDS,
    Reply,
    SizeAsk,
    match_colors,
    resolve_size,
    size_label,
)
from siyu.assistant.answers.composer import Composer, Template

__all__ = [
    "HANDOFF_WORDS",
    "Composer",
    "Reply",
    "SizeAsk",
    "Template",
    "match_colors",
    "resolve_size",
    "size_label",
]
