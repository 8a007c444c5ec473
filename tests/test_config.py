"""Settings: defaults, env vars, siyu.toml files, and the documented ConfigError codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siyu.config import DEFAULT_SECRET, ConfigError, Limits, Settings, load_settings

STRONG_SECRET = "k" * 40


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run every test in an empty cwd (no stray siyu.toml) with no SIYU_* or limit-named env vars."""
    limit_names = {name.upper() for name in Limits.model_fields}
    for key in list(os.environ):
        if key.upper().startswith("SIYU_") or key.upper() in limit_names:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults ----------------------------------------------------------------------------------


def test_defaults() -> None:
    s = load_settings()
    assert isinstance(s, Settings)
    assert s.env == "development"
    assert s.secret == DEFAULT_SECRET
    assert s.token_ttl_s == 12 * 3600
    assert s.host == "127.0.0.1"
    assert s.port == 8000
    assert s.ws_port is None
    assert s.public_host is None
    assert s.sqlite_synchronous == "FULL"
    assert s.db_url.startswith("sqlite+aiosqlite:///")
    assert s.entry_banner_interval_s == 1.0


def test_limit_defaults() -> None:
    limits = load_settings().limits
    assert limits.max_frame_bytes == 4096
    assert limits.hard_frame_bytes == 65536
    assert limits.max_comment_chars == 200
    assert limits.comment_rate == "5/10second"
    assert limits.like_rate == "100/second"
    assert limits.frame_rate == "40/second"
    assert limits.flood_strikes == 20
    assert limits.history_size == 2000


def test_keyword_overrides() -> None:
    s = load_settings(port=0, ws_port=9001, db_url="sqlite+aiosqlite:///x.db")
    assert (s.port, s.ws_port, s.db_url) == (0, 9001, "sqlite+aiosqlite:///x.db")


# --- environment variables ---------------------------------------------------------------------


def test_env_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_PORT", "9123")
    assert load_settings().port == 9123


def test_env_nested_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_LIMITS__MAX_COMMENT_CHARS", "50")
    limits = load_settings().limits
    assert limits.max_comment_chars == 50
    # The other limits keep their defaults.
    assert limits.max_frame_bytes == 4096
    assert limits.history_size == 2000


def test_env_invalid_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_PORT", "70000")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.code == "config.invalid"
    assert "port" in info.value.message


def test_env_invalid_nested_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_LIMITS__MAX_FRAME_BYTES", "100")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.code == "config.invalid"
    assert "max_frame_bytes" in info.value.message


def test_keyword_override_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_PORT", "9123")
    assert load_settings(port=7000).port == 7000


def test_unprefixed_env_vars_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_COMMENT_CHARS", "7")
    monkeypatch.setenv("HISTORY_SIZE", "1")
    limits = load_settings().limits
    assert limits.max_comment_chars == 200
    assert limits.history_size == 2000


# --- siyu.toml ---------------------------------------------------------------------------------


def test_toml_path_is_read(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path / "custom.toml",
        'port = 8123\nhost = "0.0.0.0"\n\n[limits]\nmax_comment_chars = 80\nhistory_size = 50\n',
    )
    s = load_settings(path)
    assert s.port == 8123
    assert s.host == "0.0.0.0"
    assert s.limits.max_comment_chars == 80
    assert s.limits.history_size == 50
    assert s.limits.max_frame_bytes == 4096  # not in the file: default


def test_siyu_toml_in_cwd_is_read_by_default(isolated: Path) -> None:
    write_toml(isolated / "siyu.toml", "port = 8555\n")
    assert load_settings().port == 8555


def test_explicit_toml_replaces_cwd_toml(isolated: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    write_toml(isolated / "siyu.toml", 'port = 1111\nhost = "10.0.0.1"\n')
    other = write_toml(tmp_path_factory.mktemp("conf") / "other.toml", "port = 2222\n")
    s = load_settings(other)
    assert s.port == 2222
    assert s.host == "127.0.0.1"  # the cwd file is not merged in


def test_env_beats_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_toml(tmp_path / "c.toml", "port = 8123\n\n[limits]\nmax_comment_chars = 80\n")
    monkeypatch.setenv("SIYU_PORT", "9999")
    s = load_settings(path)
    assert s.port == 9999
    assert s.limits.max_comment_chars == 80


def test_keyword_override_beats_toml(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "c.toml", "port = 8123\n")
    assert load_settings(path, port=0).port == 0


def test_missing_toml(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(missing)
    assert info.value.code == "config.file_missing"
    assert str(missing) in info.value.message


def test_toml_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert info.value.code == "config.file_missing"


def test_toml_invalid_value(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "c.toml", "[limits]\nmax_frame_bytes = 10\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.code == "config.invalid"
    assert "limits.max_frame_bytes" in info.value.message


def test_toml_unknown_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "c.toml", "port = 8000\nprot = 8001\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.code == "config.invalid"
    assert "prot" in info.value.message


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "c.toml", "port = \n")
    with pytest.raises(ConfigError):
        load_settings(path)


# --- production secret -------------------------------------------------------------------------


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env="production")
    assert info.value.code == "config.default_secret"
    assert "SIYU_SECRET" in info.value.message


def test_production_refuses_default_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_ENV", "production")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.code == "config.default_secret"


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_production_refuses_short_secret(secret: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env="production", secret=secret)
    assert info.value.code == "config.default_secret"


@pytest.mark.parametrize("secret", ["x" * 32, STRONG_SECRET])
def test_production_accepts_long_secret(secret: str) -> None:
    s = load_settings(env="production", secret=secret)
    assert s.env == "production"
    assert s.secret == secret


def test_production_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_ENV", "production")
    monkeypatch.setenv("SIYU_SECRET", STRONG_SECRET)
    s = load_settings()
    assert (s.env, s.secret) == ("production", STRONG_SECRET)


def test_development_allows_short_secret() -> None:
    assert load_settings(secret="dev").secret == "dev"


# --- invalid values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"port": -1}, "port"),
        ({"port": 65536}, "port"),
        ({"ws_port": -5}, "ws_port"),
        ({"token_ttl_s": 59}, "token_ttl_s"),
        ({"env": "staging"}, "env"),
        ({"sqlite_synchronous": "OFF"}, "sqlite_synchronous"),
        ({"entry_banner_interval_s": 0}, "entry_banner_interval_s"),
        ({"limits": {"max_frame_bytes": 255}}, "limits.max_frame_bytes"),
        ({"limits": {"max_frame_bytes": 65537}}, "limits.max_frame_bytes"),
        ({"limits": {"max_comment_chars": 0}}, "limits.max_comment_chars"),
        ({"limits": {"history_size": 9}}, "limits.history_size"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_invalid_values(overrides: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, **overrides)
    assert info.value.code == "config.invalid"
    assert info.value.message.startswith(f"{where}:")
    assert str(info.value).startswith("config.invalid: ")


def test_limit_boundaries_accepted() -> None:
    s = load_settings(port=65535, limits={"max_frame_bytes": 256, "history_size": 10})
    assert s.port == 65535
    assert s.limits.max_frame_bytes == 256
    assert s.limits.history_size == 10


@pytest.mark.parametrize(
    "rtc",
    [
        {"ice_servers": [{"urls": ["http://turn.example.com"]}]},  # not a stun:/turn: URL
        {"ice_servers": [{"urls": []}]},
        {"ice_servers": [{"urls": ["stun:a"], "password": "x"}]},  # unknown key
        {"ice_transport_policy": "none"},
        {"ring_timeout_s": 1},
        {"max_call_s": 10},
        {"leave_grace_s": -1},
        {"leave_grace_s": 121},
        {"leave_grace_s": "soon"},
        {"max_guests": 0},
        {"video_fps": 120},
        {"turn_ttl_s": 5},
        {"colour": "red"},
    ],
)
def test_invalid_rtc_config(rtc: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(rtc=rtc)
    assert info.value.code == "config.rtc"


def test_rtc_config_from_toml(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path / "rtc.toml",
        '[rtc]\nturn_secret = "s"\nice_transport_policy = "relay"\n'
        '[[rtc.ice_servers]]\nurls = ["turn:127.0.0.1:3478?transport=udp"]\n',
    )
    rtc = load_settings(path).rtc
    assert rtc.ice_transport_policy == "relay" and rtc.turn_secret.get_secret_value() == "s"
    assert rtc.ice_servers[0].urls == ["turn:127.0.0.1:3478?transport=udp"]
    with pytest.raises(ConfigError) as info:
        load_settings(write_toml(tmp_path / "bad.toml", '[rtc]\nice_servers = [{urls = ["ftp://x"]}]\n'))
    assert info.value.code == "config.rtc"


def test_rtc_max_guests_above_its_limit_is_refused() -> None:
    with pytest.raises(ConfigError) as got:
        load_settings(rtc={"max_guests": 6, "max_guests_limit": 2})
    assert got.value.code == "config.rtc" and "max_guests" in str(got.value)


def test_rtc_leave_grace() -> None:
    assert load_settings().rtc.leave_grace_s == 15.0
    assert load_settings(rtc={"leave_grace_s": 0}).rtc.leave_grace_s == 0  # 0: a call ends at once
    assert load_settings(rtc={"leave_grace_s": 120}).rtc.leave_grace_s == 120
    with pytest.raises(ConfigError) as got:
        load_settings(rtc={"leave_grace_s": 600})
    assert got.value.code == "config.rtc" and "leave_grace_s" in str(got.value)
