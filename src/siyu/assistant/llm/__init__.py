"""Optional OpenAI-compatible chat model for the live-room assistant.

The rule engine answers every question in-process; this package lets a chat model phrase the answer
instead, under three constraints (docs/architecture.md, "AI assistant"):

- the model gets the catalog functions as tools and must read every product fact through them
  (``tools.py``);
- one strict time budget (`LLMSettings.timeout_s`) covers the whole exchange, tool rounds included
  (``client.py``);
- `grounded` rejects a reply that mentions a number or a size that no tool result or known fact contains
  (``guard.py``), and `answer_with_fallback` then sends the rule engine's answer instead (``answer.py``).
"""

from siyu.assistant.llm.answer import Source, answer_with_fallback, build_system_prompt
from siyu.assistant.llm.client import ChatClient
from siyu.assistant.llm.errors import LLMError, LLMErrorCode
from siyu.assistant.llm.guard import grounded, ungrounded
from siyu.assistant.llm.tools import LLMReply, Tool, ToolCall
from siyu.config import LLMSettings

__all__ = [
    "ChatClient",
    "LLMError",
    "LLMErrorCode",
    "LLMReply",
    "LLMSettings",
    "Source",
    "Tool",
    "ToolCall",
    "answer_with_fallback",
    "build_system_prompt",
    "grounded",
    "ungrounded",
]
