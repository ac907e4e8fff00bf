"""One typed settings object, read from the environment and ``.env``.

Secrets have no default: a missing one stops start-up with a single line naming the key and
the file to put it in (see :func:`load_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.shards import ShardPlan, shard_plan

ENV_FILE = ".env"


class MalSettings(BaseSettings):
    """What talking to the MyAnimeList API needs (the bot and the collector share it)."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    mal_client_id: SecretStr
    mal_api_base_url: str = "https://api.myanimelist.net/v2"
    mal_requests_per_second: float = Field(default=1.0, ge=0)
    mal_max_concurrency: int = Field(default=4, ge=1)
    mal_timeout_seconds: float = Field(default=20.0, gt=0)
    mal_max_retries: int = Field(default=4, ge=0)


class JikanSettings(BaseSettings):
    """What ``python -m training discover`` needs: Jikan v4 (public, no key)."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    jikan_api_base_url: str = "https://api.jikan.moe/v4"
    jikan_timeout_seconds: float = Field(default=20.0, gt=0)
    jikan_max_retries: int = Field(default=4, ge=0)


class Settings(MalSettings):
    """Everything ``python -m bot`` needs."""

    discord_token: SecretStr
    database_url: str = "sqlite+aiosqlite:///data/anirec.db"
    model_path: Path = Path("artifacts/model")
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_http_connections: int = Field(default=32, ge=1)
    refresh_interval_minutes: float = Field(default=30.0, gt=0)
    refresh_min_age_hours: float = Field(default=12.0, ge=0)
    recommender_threads: int = Field(default=2, ge=1)
    recommend_cache_size: int = Field(default=1000, ge=0)
    recommend_prefetch: bool = True
    # AniList and Kitsu (no keys); timeouts and retries follow MAL_TIMEOUT_SECONDS/MAL_MAX_RETRIES.
    anilist_api_url: str = "https://graphql.anilist.co"
    anilist_requests_per_minute: float = Field(default=30.0, ge=0)
    kitsu_api_base_url: str = "https://kitsu.io/api/edge"
    kitsu_requests_per_second: float = Field(default=1.0, ge=0)
    model_watch_seconds: float = Field(default=30.0, ge=0)
    model_refresh_days: float = Field(default=0.0, ge=0)
    model_refresh_command: str = "python -m training refresh --to {model_path}"
    model_refresh_threads: int = Field(default=1, ge=1)
    metrics_interval_seconds: float = Field(default=60.0, ge=0)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Shards (README "Running at scale"): the total, and which of them this process runs.
    shard_count: int | None = None
    shard_ids: str | None = None
    cluster_index: int | None = None
    cluster_size: int | None = None

    @field_validator(
        "dev_guild_id", "shard_count", "shard_ids", "cluster_index", "cluster_size", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``KEY=`` in .env (as .env.example has it) means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        self.shards  # noqa: B018 - raises ValueError (one sentence) when they do not fit
        return self

    @property
    def shards(self) -> ShardPlan:
        """How many shards in all and which this process runs (one of one by default)."""
        return shard_plan(self.shard_count, self.shard_ids, self.cluster_index, self.cluster_size)

    def secrets(self) -> list[str]:
        """The secret values, for the logging redaction filter."""
        return [s.get_secret_value() for s in (self.discord_token, self.mal_client_id)]


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line fit for a terminal."""


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], env_file: str | Path | None = ENV_FILE) -> SettingsT:
    """Read settings of type ``cls``, turning validation errors into one clear line."""
    try:
        return cls(_env_file=env_file)
    except ValidationError as exc:
        problems, rules = [], []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]).upper()
            if not key:  # a rule across keys: its message names them
                rules.append(str(error["msg"]).removeprefix("Value error, "))
            elif error["type"] == "missing":
                problems.append(f"{key} is not set")
            else:
                problems.append(f"{key} is invalid ({error['msg']})")
        if not problems:
            raise SettingsError("; ".join(rules) + " (see .env.example).") from None
        them = "it" if len(problems) == 1 else "them"
        raise SettingsError(
            "; ".join(problems)
            + f": put {them} in {env_file or 'the environment'} (see .env.example)"
            + f" or export {them}."
        ) from None
