"""The [wecom] settings: defaults, env and TOML, and a ConfigError with a specific code for each mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from siyu.config import ConfigError, load_settings

KEY = "a" * 43
FULL: dict[str, Any] = {
    "corp_id": "ww0123456789abcdef", "secret": "s3cret", "contact_users": ["zhangsan", "li.si@shop"],
    "group_chat_ids": ["wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"], "callback_token": "Tok3n",
    "callback_aes_key": KEY, "mini_program_url": "https://m.example.com/live",
}  # fmt: skip


def test_off_by_default() -> None:
    w = load_settings().wecom
    assert w.api_base == "https://qyapi.weixin.qq.com"
    assert not w.api_on and not w.callback_on and w.contact_users == [] and w.mini_program_url == ""


def test_a_full_section_is_accepted() -> None:
    w = load_settings(wecom={**FULL, "api_base": "http://127.0.0.1:9000/"}).wecom
    assert w.api_on and w.callback_on
    assert w.api_base == "http://127.0.0.1:9000"  # no trailing slash: paths are appended
    assert w.callback_aes_key.get_secret_value() == KEY and "s3cret" not in repr(w)


def test_from_env_and_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_WECOM__CORP_ID", "wwenv")
    monkeypatch.setenv("SIYU_WECOM__SECRET", "envsecret")
    monkeypatch.setenv("SIYU_WECOM__CONTACT_USERS", '["a", "b"]')
    w = load_settings().wecom
    assert (w.corp_id, w.contact_users) == ("wwenv", ["a", "b"])
    monkeypatch.delenv("SIYU_WECOM__CORP_ID")
    monkeypatch.delenv("SIYU_WECOM__SECRET")
    monkeypatch.delenv("SIYU_WECOM__CONTACT_USERS")
    toml = tmp_path / "siyu.toml"
    toml.write_text(f'[wecom]\ncorp_id = "wwtoml"\nsecret = "x"\ncallback_token = "abc"\n'
                    f'callback_aes_key = "{KEY}"\n', encoding="utf-8")  # fmt: skip
    w = load_settings(toml).wecom
    assert w.corp_id == "wwtoml" and w.callback_on


@pytest.mark.parametrize(
    ("wecom", "code", "where"),
    [
        ({**FULL, "callback_aes_key": "a" * 42}, "config.wecom_aes_key", "callback_aes_key"),
        ({**FULL, "callback_aes_key": "a" * 42 + "="}, "config.wecom_aes_key", "callback_aes_key"),
        ({"corp_id": "ww1"}, "config.wecom_incomplete", "corp_id and secret"),
        ({"secret": "x"}, "config.wecom_incomplete", "corp_id and secret"),
        ({**FULL, "callback_aes_key": ""}, "config.wecom_incomplete", "callback_token and callback_aes_key"),
        ({"callback_token": "abc", "callback_aes_key": KEY}, "config.wecom_incomplete", "corp_id"),
        ({"contact_users": ["a"]}, "config.wecom_incomplete", "contact_users"),
        ({**FULL, "group_chat_ids": ["c"] * 6}, "config.wecom", "group_chat_ids"),
        ({**FULL, "contact_users": ["张三"]}, "config.wecom", "contact_users"),
        ({**FULL, "callback_token": "ab"}, "config.wecom", "callback_token"),
        ({**FULL, "api_base": "ftp://qyapi.weixin.qq.com"}, "config.wecom", "api_base"),
        ({**FULL, "api_base": "https://qyapi.weixin.qq.com?x=1"}, "config.wecom", "api_base"),
        ({**FULL, "mini_program_url": "pages/live/index"}, "config.wecom", "mini_program_url"),
        ({**FULL, "agent_id": 1}, "config.wecom", "agent_id"),
    ],
)
def test_mistakes_have_specific_codes(wecom: dict[str, Any], code: str, where: str) -> None:
    with pytest.raises(ConfigError) as no:
        load_settings(wecom=wecom)
    assert no.value.code == code
    assert where in no.value.message
    assert "s3cret" not in str(no.value) and KEY not in str(no.value)


def test_other_codes_are_unchanged() -> None:
    with pytest.raises(ConfigError) as no:
        load_settings(env="production")
    assert no.value.code == "config.default_secret"
    assert no.value.message == "production needs SIYU_SECRET of 32+ characters"
    with pytest.raises(ConfigError) as bad:
        load_settings(port=-1)
    assert bad.value.code == "config.invalid" and bad.value.message.startswith("port:")
