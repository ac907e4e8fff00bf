"""Embeds are pure functions of results and always fit Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest

from bot import render
from bot.services.accounts import AccountView, ListStats
from bot.services.catalog import AnimeInfo
from bot.services.recresults import (
    Influence,
    ProfileInsightsView,
    Recommendations,
    RecommendedTitle,
    SimilarResult,
    Surprise,
    WhyResult,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ODD = "**Bold** _it_ `code` [link](x) @everyone <@1> ||spoiler|| ~~gone~~ 日本語タイトル " * 12


def account(name: str = "alice") -> AccountView:
    return AccountView(1, name, "mal", NOW, False, NOW, NOW, None, None)


def anime(i: int, title: str | None = None, english: str | None = None) -> AnimeInfo:
    return AnimeInfo(
        anime_id=i,
        title=title or f"Title {i}",
        title_english=english,
        picture_url=f"https://cdn.example/{i}.jpg",
    )


def assert_fits(embed: discord.Embed) -> None:
    assert len(embed) <= render.TOTAL_LIMIT
    assert len(embed.title or "") <= render.TITLE_LIMIT
    assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
    assert len(embed.fields) <= render.FIELD_COUNT_LIMIT
    for field in embed.fields:
        assert 0 < len(field.name or "") <= render.FIELD_NAME_LIMIT
        assert 0 < len(field.value or "") <= render.FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= render.FOOTER_LIMIT


def recs(n: int, title: str = "", planned: bool = False) -> Recommendations:
    items = tuple(
        RecommendedTitle(
            rank=i,
            anime=anime(i, title + str(i) if title else None, english=title or None),
            score=1.0 / i,
            predicted_score=9.5 - i / 10,
            match=1.0 / i,
            planned=planned and i % 2 == 0,
            because=tuple(anime(1000 + j, title or None) for j in range(3)),
        )
        for i in range(1, n + 1)
    )
    return Recommendations(account(ODD[:64]), items, "movie", True, 7)


@pytest.mark.parametrize("title", ["", "Short", ODD, "x" * 5000])
@pytest.mark.parametrize("per_page", [1, 10, 25, 100])
def test_recommendation_pages_fit(title: str, per_page: int) -> None:
    result = recs(50, title, planned=True)
    pages = render.page_count(50, min(per_page, 25))
    for page in range(pages):
        embed = render.recommendations_embed(result, page=page, per_page=per_page)
        assert_fits(embed)
        assert len(embed.fields) == min(per_page, 25, 50 - page * min(per_page, 25))
        first_rank = page * min(per_page, 25) + 1
        assert embed.fields[0].name.startswith(f"{first_rank}.")
        assert f"Page {page + 1}/{pages}" in embed.footer.text


def test_recommendation_content() -> None:
    result = recs(3, planned=True)
    embed = render.recommendations_embed(result, per_page=10, member_name="Alice")
    assert embed.title == "Recommendations for Alice"
    assert embed.thumbnail.url == "https://cdn.example/1.jpg"
    field = embed.fields[0]
    assert "https://myanimelist.net/anime/1" in field.value and "9.4" in field.value
    assert "100% match" in field.value and "Because you watched Title 1000" in field.value
    assert "📌" in embed.fields[1].name and "📌" not in embed.fields[0].name
    assert "7 titles" in (embed.description or "")
    empty = Recommendations(account(), (), "ova", False, 0)
    assert "No titles" in (render.recommendations_embed(empty).description or "")


def test_odd_titles_cannot_ping_or_break_links() -> None:
    embed = render.recommendations_embed(recs(5, ODD), per_page=5)
    text = " ".join(f.value for f in embed.fields) + " ".join(f.name for f in embed.fields)
    assert "@everyone" not in text
    assert "<@1>" not in text.replace("\\", "")


def test_why_similar_profile_fit() -> None:
    influences = tuple(Influence(anime(i, ODD), 0.1 * (1 if i % 2 else -1)) for i in range(10))
    why = WhyResult(
        account(),
        anime(5, ODD, ODD),
        True,
        False,
        3,
        8.2,
        None,
        None,
        tuple(i for i in influences if i.effect > 0)[:5],
        tuple(i for i in influences if i.effect < 0)[:5],
    )
    embed = render.why_embed(why)
    assert_fits(embed)
    assert "#3" in embed.description and "8.2" in embed.description
    on_list = WhyResult(account(), anime(5), True, True, None, 6.0, 9, 3.0, (), ())
    assert "3.0 points higher" in render.why_embed(on_list).description
    unknown = WhyResult(account(), anime(5), False, False, None, None, None, None, (), ())
    assert "does not know" in render.why_embed(unknown).description

    similar = SimilarResult(anime(1, ODD), True, tuple((anime(i, ODD), 0.5) for i in range(50)))
    assert_fits(render.similar_embed(similar))

    stats = ListStats(1000, 900, {"completed": 800, "dropped": 200}, 7.25, NOW)
    insights = ProfileInsightsView(
        influences[:5], tuple(Surprise(anime(i, ODD), 9, 5.5) for i in range(5)), 3
    )
    embed = render.profile_embed(
        account(), stats, insights, member_name=ODD[:100], model_available=True
    )
    assert_fits(embed)
    assert "1000" in embed.fields[0].value and "7.25" in embed.fields[0].value
    no_model = render.profile_embed(account(), stats, None, member_name="a", model_available=False)
    assert "make model" in no_model.fields[-1].value


def test_choice_names_fit_autocomplete() -> None:
    info = anime(1, "Shingeki no Kyojin", "Attack on Titan")
    assert render.choice_name(info, "Attack on Titan") == "Shingeki no Kyojin (Attack on Titan)"
    assert render.choice_name(info, "SnK") == "Shingeki no Kyojin — SnK"
    assert len(render.choice_name(anime(2, ODD, ODD), ODD)) <= 100


def test_clip() -> None:
    assert render.clip("abc", 3) == "abc"
    assert render.clip("abcdef", 4) == "abc…"
    assert render.clip("abc", 0) == ""


def test_why_shows_each_entrys_share_of_the_score() -> None:
    up = Influence(anime(1), 0.02, 0.38)
    down = Influence(anime(2), -0.01, -0.125)
    unknown_share = Influence(anime(3), 0.01)
    why = WhyResult(
        account(), anime(5), True, False, 1, 8.0, None, None, (up, unknown_share), (down,)
    )
    fields = {f.name: f.value for f in render.why_embed(why).fields}
    assert "(+38%)" in fields["Pushes it up"]
    assert "(-12%)" in fields["Pulls it down"]
    assert "0.02" not in fields["Pushes it up"]
