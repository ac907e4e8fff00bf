"""`.env.example` lists every settings key (the README promises it, admins copy it)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

import common.settings as settings_module

ROOT = Path(__file__).resolve().parents[2]


def _settings_classes() -> list[type[BaseSettings]]:
    return [
        value
        for value in vars(settings_module).values()
        if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings
    ]


def test_env_example_lists_every_settings_key() -> None:
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    keys = {name.upper() for cls in _settings_classes() for name in cls.model_fields}
    assert len(_settings_classes()) >= 2 and "DISCORD_TOKEN" in keys
    assert keys - listed == set(), f"missing from .env.example: {sorted(keys - listed)}"
