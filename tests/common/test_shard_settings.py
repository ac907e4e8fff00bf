"""Shard settings: one shard by default, SHARD_IDS or a cluster slice, one sentence when they do
not fit together."""

from __future__ import annotations

import pytest

from common.settings import Settings, SettingsError, load_settings
from common.shards import ShardPlan, guild_shard

KEYS = ("SHARD_COUNT", "SHARD_IDS", "CLUSTER_INDEX", "CLUSTER_SIZE", "DEV_GUILD_ID")


@pytest.fixture(autouse=True)
def secrets_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "token-value-123")
    monkeypatch.setenv("MAL_CLIENT_ID", "client-id-456")
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def plan(monkeypatch: pytest.MonkeyPatch, **env: str) -> ShardPlan:
    for key, value in env.items():
        monkeypatch.setenv(key.upper(), value)
    return load_settings(Settings, env_file=None).shards


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ShardPlan(1, (0,))),
        ({"shard_count": "", "shard_ids": "", "dev_guild_id": ""}, ShardPlan(1, (0,))),
        ({"shard_count": "4"}, ShardPlan(4, (0, 1, 2, 3))),
        ({"shard_count": "4", "shard_ids": "3, 1"}, ShardPlan(4, (1, 3))),
        ({"shard_count": "5", "cluster_index": "1", "cluster_size": "2"}, ShardPlan(5, (1, 3))),
        ({"shard_count": "5", "cluster_index": "0", "cluster_size": "2"}, ShardPlan(5, (0, 2, 4))),
    ],
)
def test_the_shards_a_process_runs(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: ShardPlan
) -> None:
    assert plan(monkeypatch, **env) == expected


def test_cluster_slices_cover_every_shard_once(monkeypatch: pytest.MonkeyPatch) -> None:
    slices = [
        plan(monkeypatch, shard_count="7", cluster_index=str(k), cluster_size="3").ids
        for k in range(3)
    ]
    assert sorted(i for ids in slices for i in ids) == list(range(7))


@pytest.mark.parametrize(
    ("env", "sentence"),
    [
        ({"shard_count": "0"}, "SHARD_COUNT must be at least 1, not 0"),
        ({"shard_ids": "1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"shard_count": "4", "shard_ids": "1,5"}, "SHARD_IDS 5 out of range"),
        ({"shard_count": "4", "shard_ids": "1,x"}, "separated by commas"),
        ({"shard_count": "4", "shard_ids": "1,1"}, "lists a shard twice"),
        ({"shard_count": "4", "cluster_index": "1"}, "go together"),
        ({"shard_count": "4", "cluster_index": "2", "cluster_size": "2"}, "CLUSTER_INDEX must be"),
        ({"shard_count": "2", "cluster_index": "0", "cluster_size": "3"}, "some processes"),
        (
            {"shard_count": "2", "shard_ids": "0", "cluster_index": "0", "cluster_size": "1"},
            "either SHARD_IDS or CLUSTER_INDEX",
        ),
    ],
)
def test_bad_values_give_one_clear_sentence(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], sentence: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        plan(monkeypatch, **env)
    message = str(raised.value)
    assert sentence in message and message.endswith("(see .env.example).")
    assert "\n" not in message


def test_guilds_route_like_discord() -> None:
    assert guild_shard(None, 4) == 0
    assert guild_shard((1234 << 22) | 99, 4) == 1234 % 4
