"""Failures of a model exchange: one exception with a stable code."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LLMError", "LLMErrorCode"]


class LLMErrorCode(StrEnum):
    TIMEOUT = "llm_timeout"
    AUTH = "llm_auth"
    RATE_LIMITED = "llm_rate_limited"
    UNAVAILABLE = "llm_unavailable"
    BAD_RESPONSE = "llm_bad_response"
    TOO_MANY_TOOL_ROUNDS = "llm_too_many_tool_rounds"
    DISABLED = "llm_disabled"


class LLMError(Exception):
    """Any failure of the model exchange; `code` is one of `LLMErrorCode`, `status` the HTTP status if any."""

    def __init__(self, code: LLMErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.status = status
