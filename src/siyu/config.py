"""One Settings model, read from env vars (SIYU_*) and an optional siyu.toml."""

from __future__ import annotations

import re
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
    ValidationInfo,
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
    # rings and mic requests of one viewer (`call_request`, `mic_request`); WebRTC signalling of one party
    call_rate: str = "10/minute"
    signal_rate: str = "50/second"
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


_WECOM_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_WECOM_CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class WeComSettings(BaseModel):
    """The shop's WeCom (企业微信) app for private-domain invites and their callback (docs/invites.md).
    SIYU_WECOM__<NAME> or [wecom]. Empty `corp_id`: WeCom invites are off."""

    model_config = ConfigDict(extra="forbid")

    api_base: str = "https://qyapi.weixin.qq.com"
    corp_id: str = Field("", max_length=64)
    secret: SecretStr = SecretStr("")  # the app's Secret (gettoken's corpsecret)
    # the staff who are added as contacts (add_contact_way's `user`); WeCom allows up to 100
    contact_users: list[str] = Field(default_factory=list, max_length=100)
    # the customer groups a viewer is invited to (groupchat/add_join_way's chat_id_list: at most 5)
    group_chat_ids: list[str] = Field(default_factory=list, max_length=5)
    # the callback's Token and EncodingAESKey, as set in the WeCom admin console
    callback_token: SecretStr = SecretStr("")
    callback_aes_key: SecretStr = SecretStr("")
    # the URL whose QR code opens the mini-program page (a registered QR rule); `state` is added to it
    mini_program_url: str = ""

    @field_validator("api_base", "mini_program_url")
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.field_name == "mini_program_url":
            return value
        try:
            url = _HTTP_URL.validate_python(value.strip())
        except ValidationError:
            raise ValueError(f"config.wecom: {info.field_name} must be an http(s) URL") from None
        if url.fragment or url.username or url.password:
            raise ValueError(f"config.wecom: {info.field_name} must not carry a fragment or credentials")
        if info.field_name == "api_base" and url.query:
            raise ValueError("config.wecom: api_base must not carry a query")
        return str(url).rstrip("/") if info.field_name == "api_base" else str(url)

    @field_validator("contact_users")
    @classmethod
    def _check_users(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _WECOM_USERID.fullmatch(user):
                raise ValueError("config.wecom: a contact_users entry is 1..64 of letters, digits, _ - @ .")
        return value

    @field_validator("group_chat_ids")
    @classmethod
    def _check_chats(cls, value: list[str]) -> list[str]:
        for chat in value:
            if not _WECOM_CHAT_ID.fullmatch(chat):
                raise ValueError("config.wecom: a group_chat_ids entry is 1..64 of letters, digits, _ -")
        return value

    @field_validator("callback_token")
    @classmethod
    def _check_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if token and not re.fullmatch(r"[A-Za-z0-9]{3,32}", token):
            raise ValueError("config.wecom: callback_token is 3..32 letters or digits (WeCom's Token)")
        return value

    @field_validator("callback_aes_key")
    @classmethod
    def _check_aes_key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if key and not re.fullmatch(r"[A-Za-z0-9]{43}", key):
            raise ValueError("config.wecom_aes_key: WeCom's EncodingAESKey is 43 letters or digits")
        return value

    @model_validator(mode="after")
    def _complete(self) -> WeComSettings:
        has_secret = bool(self.secret.get_secret_value())
        if bool(self.corp_id) != has_secret:
            raise ValueError("config.wecom_incomplete: corp_id and secret go together")
        token, key = self.callback_token.get_secret_value(), self.callback_aes_key.get_secret_value()
        if bool(token) != bool(key):
            raise ValueError("config.wecom_incomplete: callback_token and callback_aes_key go together")
        if token and not self.corp_id:
            raise ValueError("config.wecom_incomplete: the callback needs corp_id (the messages' receiver)")
        if (self.contact_users or self.group_chat_ids) and not self.corp_id:
            raise ValueError("config.wecom_incomplete: contact_users and group_chat_ids need corp_id")
        return self

    @property
    def api_on(self) -> bool:
        """WeCom's API can be called (corp_id and secret are set)."""
        return bool(self.corp_id)

    @property
    def callback_on(self) -> bool:
        """The callback is configured (token and EncodingAESKey)."""
        return bool(self.callback_token.get_secret_value())


class IceServer(BaseModel):
    """One STUN/TURN server as RTCPeerConnection's `iceServers` takes it (docs/rtc.md)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(min_length=1, max_length=8)
    username: str | None = Field(None, max_length=256)
    credential: SecretStr | None = None

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.fullmatch(r"(stun|stuns|turn|turns):[^\s]{1,250}", url):
                raise ValueError(f"config.rtc: {url!r} is not a stun:, stuns:, turn: or turns: URL")
        return value


class RtcSettings(BaseModel):
    """WebRTC for the co-host mic and 1v1 calls (issue 14). SIYU_RTC__<NAME> or [rtc].

    `ice_servers` go to the two parties of a call only (in its `call` message). With `turn_secret` (coturn's
    `static-auth-secret`, `use-auth-secret`), each party gets a TURN REST credential for the `turn:`/`turns:`
    servers instead of a static one: username `<expiry>:<user_id>`, credential base64(HMAC-SHA1(secret,
    username)), valid `turn_ttl_s`. Empty `ice_servers`: host candidates only (loopback, one LAN).

    `leave_grace_s`: a party of a connected call whose last connection on a node leaves stays in the call
    this long (the media is peer to peer): back on any node within it, the call goes on; else it ends as
    `left`. 0: it ends at once."""

    model_config = ConfigDict(extra="forbid")

    ice_servers: list[IceServer] = Field(default_factory=list, max_length=8)
    turn_secret: SecretStr = SecretStr("")
    turn_ttl_s: int = Field(3600, ge=60, le=86400)
    ice_transport_policy: Literal["all", "relay"] = "all"
    ring_timeout_s: float = Field(30.0, ge=5, le=120)
    max_call_s: int = Field(3600, ge=60, le=4 * 3600)
    leave_grace_s: float = Field(15.0, ge=0, le=120)
    max_guests: int = Field(1, ge=1, le=8)  # the mic's default; the host may choose 1..max_guests_limit
    max_guests_limit: int = Field(4, ge=1, le=8)
    video_width: int = Field(1280, ge=160, le=3840)
    video_height: int = Field(720, ge=120, le=2160)
    video_fps: int = Field(30, ge=5, le=60)

    @model_validator(mode="after")
    def _guests_within_limit(self) -> RtcSettings:
        if self.max_guests > self.max_guests_limit:
            raise ValueError("config.rtc: max_guests must not exceed max_guests_limit")
        return self


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
    wecom: WeComSettings = Field(default_factory=WeComSettings)
    rtc: RtcSettings = Field(default_factory=RtcSettings)
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
        loc = ".".join(str(p) for p in first.get("loc", ()))
        coded = _CODED.search(msg)  # a validator's own code (config.default_secret, config.wecom_aes_key …)
        if coded:
            where = f"{loc}: " if loc else ""
            raise ConfigError(coded.group(1), where + coded.group(2)) from exc
        if loc == "rtc" or loc.startswith("rtc."):
            raise ConfigError("config.rtc", f"{loc}: {msg}") from exc
        if loc == "wecom" or loc.startswith("wecom."):
            raise ConfigError("config.wecom", f"{loc}: {msg}") from exc
        raise ConfigError("config.invalid", f"{loc}: {msg}") from exc


_CODED = re.compile(r"\b(config\.[a-z_]+): (.*)", re.DOTALL)
