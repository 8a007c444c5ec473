"""Understanding a live-room question: intent, aspects, slots and the product it is about.

- ``understand.py``: :class:`Understander` (``parse(text, current_product) -> Parse``), intent scoring;
- ``rules.py`` / ``aspects.py``: the intent and aspect patterns;
- ``products.py``: product mentions and resolution (README order);
- ``faq.py``: the shop FAQ entry a comment is about; ``tokens.py``: jieba.
"""

from siyu.assistant.nlu.products import Mention, ProductResolver
from siyu.assistant.nlu.rules import INTENTS, PRODUCT_INTENTS
from siyu.assistant.nlu.tokens import ensure_jieba, tokenize
from siyu.assistant.nlu.understand import Parse, Understander

__all__ = [
    "INTENTS",
    "PRODUCT_INTENTS",
    "Mention",
    "Parse",
    "ProductResolver",
    "Understander",
    "ensure_jieba",
    "tokenize",
]
