"""The AI live assistant: grounded answers to viewers' questions from the room's live catalog.

- ``engine.py``: :class:`Assistant` (``ask(text, current_product) -> Answer``), pure and in-process;
- ``nlu/``: intent, aspects and the product a question is about; ``slots.py`` + ``vocab.py``: sizes,
  colours, height and weight, link numbers, regions;
- ``answers/``: one template per intent family, filled only from catalog facts;
- ``llm/``: the optional OpenAI-compatible model, its catalog tools and the grounding guard;
- ``evaluate.py``: scoring against a QA file (``shared/data/README.md``).

It imports :mod:`siyu.catalog`, :mod:`siyu.zh` and :mod:`siyu.config`, and no other wing (moderation,
recommend). The room feature (``feature.py``, ``room_state.py``, ``llm_tools.py``) is imported on its own.
"""

from siyu.assistant.answers import Composer, Reply
from siyu.assistant.engine import Answer, Assistant
from siyu.assistant.evaluate import EvalReport, QAItem, load_qa, load_questions
from siyu.assistant.llm import (
    ChatClient,
    LLMError,
    LLMErrorCode,
    LLMReply,
    Tool,
    ToolCall,
    answer_with_fallback,
    build_system_prompt,
    grounded,
    ungrounded,
)
from siyu.assistant.nlu import INTENTS, Parse, Understander
from siyu.assistant.slots import SlotExtractor, Slots

__all__ = [
    "INTENTS",
    "Answer",
    "Assistant",
    "ChatClient",
    "Composer",
    "EvalReport",
    "LLMError",
    "LLMErrorCode",
    "LLMReply",
    "Parse",
    "QAItem",
    "Reply",
    "SlotExtractor",
    "Slots",
    "Tool",
    "ToolCall",
    "Understander",
    "answer_with_fallback",
    "build_system_prompt",
    "grounded",
    "load_qa",
    "load_questions",
    "ungrounded",
]
