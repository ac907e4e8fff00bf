"""Settings: defaults, secrets required, one clear line when one is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import MalSettings, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DISCORD_TOKEN", "MAL_CLIENT_ID", "DATABASE_URL", "LOG_LEVEL", "DEV_GUILD_ID"):
        monkeypatch.delenv(key, raising=False)


def test_defaults_when_secrets_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "token-value-123")
    monkeypatch.setenv("MAL_CLIENT_ID", "client-id-456")
    settings = load_settings(Settings, env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.model_path == Path("artifacts/model")
    assert settings.mal_api_base_url == "https://api.myanimelist.net/v2"
    assert settings.discord_api_base_url == "https://discord.com/api/v10"
    assert settings.dev_guild_id is None
    assert settings.secrets() == ["token-value-123", "client-id-456"]
    assert "token-value-123" not in repr(settings)


def test_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abcdefgh\nMAL_CLIENT_ID=ijklmnop\nDEV_GUILD_ID=42\n")
    settings = load_settings(Settings, env_file=env)
    assert settings.dev_guild_id == 42
    assert settings.discord_token.get_secret_value() == "abcdefgh"


def test_missing_secret_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAL_CLIENT_ID", "client-id-456")
    with pytest.raises(SettingsError, match=r"DISCORD_TOKEN is not set: put it in"):
        load_settings(Settings, env_file=None)


def test_mal_settings_do_not_need_discord(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAL_CLIENT_ID", "client-id-456")
    assert load_settings(MalSettings, env_file=None).mal_requests_per_second == 1.0


def test_invalid_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAL_CLIENT_ID", "x" * 10)
    monkeypatch.setenv("DISCORD_TOKEN", "y" * 10)
    monkeypatch.setenv("DEV_GUILD_ID", "not-a-number")
    with pytest.raises(SettingsError, match="DEV_GUILD_ID is invalid"):
        load_settings(Settings, env_file=None)


def test_python_m_bot_without_env_prints_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_TOKEN" in lines[0] and ".env" in lines[0]
    assert "Traceback" not in result.stderr
