"""render.model_embed: a pure function of ModelInfo, within Discord's embed limits whatever the
refresh report holds."""

from __future__ import annotations

from bot import render
from bot.services.modelinfo import ModelInfo, RefreshState


def embed_size(embed: object) -> int:
    data = embed.to_dict()  # type: ignore[attr-defined]
    fields = data.get("fields", [])
    return (
        len(data.get("title", ""))
        + len(data.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )


def test_a_served_model_with_a_refresh_report() -> None:
    info = ModelInfo(
        loaded=True,
        path="artifacts/model",
        real_path="artifacts/models/model-20261129T030000Z",
        created_at="2026-11-29T03:00:00+00:00",
        n_items=4171,
        n_users=5160,
        n_entries=608_093,
        validation={"ndcg@100": 0.60021, "recall@20": 0.5155},
        swaps=2,
        refresh_report={
            "decision": "promote",
            "promoted": True,
            "candidate": {"n_items": 4171, "recall@20": 0.5155},
            "live": {"n_items": 3656, "recall@20": 0.3118},
            "nested": {"deep": {"ignored": 1}},
        },
        refresh=RefreshState(enabled=True, every_days=7, last_exit=0, last_line="done"),
    )
    text = str(render.model_embed(info).to_dict())
    assert "5,160 users, 4,171 titles, 608,093 entries" in text
    assert "ndcg@100 0.6002" in text and "recall@20 0.5155" in text
    assert "decision: promote" in text and "live: n_items 3656, recall@20 0.3118" in text
    assert "every 7 days, idle" in text and "2 time(s)" in text
    assert "deep" not in text


def test_huge_reports_stay_within_discord_limits() -> None:
    report = {f"key_{i}": "x" * 2000 for i in range(50)}
    info = ModelInfo(
        loaded=True,
        path="p",
        real_path="/" + "d" * 5000,
        validation={f"metric_{i}": 0.5 for i in range(300)},
        refresh_report=report,
        refresh=RefreshState(enabled=True, every_days=1, last_line="y" * 3000),
    )
    embed = render.model_embed(info)
    data = embed.to_dict()
    assert len(data["description"]) <= render.DESCRIPTION_LIMIT
    assert all(len(f["value"]) <= render.FIELD_VALUE_LIMIT for f in data["fields"])
    assert embed_size(embed) <= render.TOTAL_LIMIT
