"""One Settings model, read from env vars (SIYU_*) and an optional siyu.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SECRET = "siyu-development-secret-do-not-use-in-production"


class ConfigError(Exception):
    """Invalid configuration; `code` is one of the documented config error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Limits(BaseModel):
    """Wire limits; documented in docs/protocol.md. Set as SIYU_LIMITS__<NAME> or [limits] in siyu.toml."""

    max_frame_bytes: int = Field(4096, ge=256, le=65536)
    hard_frame_bytes: int = Field(65536, ge=4096)
    max_comment_chars: int = Field(200, ge=1, le=2000)
    comment_rate: str = "5/10second"
    # a like frame carries up to 100 taps (the pages batch them every 500 ms): the budget must fit one frame
    like_rate: str = "100/second"
    frame_rate: str = "40/second"
    # orders, quotes and wallet reads of one user (a checkout page asks a quote per change of the basket)
    order_rate: str = "10/10second"
    flood_strikes: int = Field(20, ge=1)
    history_size: int = Field(2000, ge=10)


class FanoutSettings(BaseModel):
    """Room fan-out (docs/architecture.md explains the defaults). SIYU_FANOUT__<NAME> or [fanout]."""

    flush_ms: int = Field(100, ge=1, le=1000)
    high_flush_ms: int = Field(10, ge=1, le=1000)
    max_batch: int = Field(64, ge=1, le=10_000)
    sampling: bool = True
    normal_cap_per_s: float = Field(20.0, gt=0)
    drop_low_bytes: int = Field(64 * 1024, ge=1024)
    drop_normal_bytes: int = Field(256 * 1024, ge=1024)
    max_buffer_bytes: int = Field(1024 * 1024, ge=4096)
    reorder_ms: int = Field(200, ge=1, le=5000)
    chunk: int = Field(250, ge=1)


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class LLMSettings(BaseModel):
    """Connection and behaviour of the optional model; off unless `enabled` is set.

    `timeout_s` bounds one whole question (every request and every tool call of the exchange), not one
    request. 1.5 s because the rules answer is already computed (in milliseconds) and a live-room answer is
    only useful while the question is still on the asker's screen: the comment stream scrolls past within a
    few seconds. A grounded answer usually takes two round-trips (tool call, then the answer), which a
    small fast model does in well under a second each; whatever takes longer is dropped for the rules answer.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    base_url: str = "https://api.openai.com/v1"
    model: str = Field("gpt-4o-mini", min_length=1, max_length=200)
    # empty: no Authorization header (some self-hosted OpenAI-compatible servers need none)
    api_key: SecretStr = SecretStr("")
    timeout_s: float = Field(1.5, gt=0, le=30)
    max_tool_rounds: int = Field(3, ge=1, le=10)
    # low: the answer must restate tool results, not be creative
    temperature: float = Field(0.3, ge=0, le=2)
    # live-room answers are one or two short sentences; a small cap also bounds the generation time
    max_tokens: int = Field(200, ge=16, le=4096)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        try:
            url = _HTTP_URL.validate_python(value.strip())
        except ValidationError as e:
            raise ValueError(f"base_url: {e.errors()[0]['msg']} (e.g. https://api.openai.com/v1)") from None
        if url.query or url.fragment or url.username or url.password:
            raise ValueError("base_url must not carry a query, a fragment or credentials (use api_key)")
        return str(url).rstrip("/")



class AssistantSettings(BaseModel):
    """The room assistant (docs/architecture.md). SIYU_ASSISTANT__<NAME> or [assistant]."""

    enabled: bool = True
    llm: LLMSettings = Field(default_factory=LLMSettings)


class OrdersSettings(BaseModel):
    """The shop's order webhook (POST /api/orders). SIYU_ORDERS__<NAME> or [orders]."""

    # the secret the shop system signs its order posts with (HMAC-SHA256); empty: the webhook is off
    webhook_secret: str = ""
    # how old a signed timestamp may be (a replayed post older than this is refused)
    webhook_tolerance_s: int = Field(300, ge=10, le=86400)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIYU_", env_nested_delimiter="__", toml_file="siyu.toml", extra="forbid"
    )

    env: Literal["development", "production"] = "development"
    secret: str = DEFAULT_SECRET
    token_ttl_s: int = Field(12 * 3600, ge=60)
    db_url: str = "sqlite+aiosqlite:///./var/siyu.db"
    # SQLite synchronous pragma: FULL makes every commit (hence every ack) survive power loss.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    ws_port: int | None = Field(None, ge=0, le=65535)
    public_host: str | None = None
    entry_banner_interval_s: float = Field(1.0, gt=0, le=10)
    limits: Limits = Field(default_factory=Limits)
    fanout: FanoutSettings = Field(default_factory=FanoutSettings)
    assistant: AssistantSettings = Field(default_factory=AssistantSettings)
    orders: OrdersSettings = Field(default_factory=OrdersSettings)
    redis_url: str | None = None
    # set for the processes of `siyu serve --workers N`: they share the ports (SO_REUSEPORT)
    reuse_port: bool = False

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and (self.secret == DEFAULT_SECRET or len(self.secret) < 32):
            raise ValueError("config.default_secret: production needs SIYU_SECRET of 32+ characters")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(toml_path: Path | None = None, **overrides: object) -> Settings:
    """Build Settings, turning validation failures into a ConfigError with a documented code."""
    try:
        if toml_path is not None:
            if not toml_path.is_file():
                raise ConfigError("config.file_missing", f"{toml_path} does not exist")

            class _FromFile(Settings):
                model_config = SettingsConfigDict(toml_file=toml_path)

            return _FromFile(**overrides)  # type: ignore[arg-type]
        return Settings(**overrides)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config.invalid", f"{toml_path or 'siyu.toml'} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first.get("msg", ""))
        if "config.default_secret" in msg:
            raise ConfigError("config.default_secret", msg.split(": ", 2)[-1]) from exc
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError("config.invalid", f"{loc}: {msg}") from exc
