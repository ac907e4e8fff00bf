"""/recommend's and /why's embeds with the catalog side channel: reasons in words, franchise
counts, the note when the model barely knows the list."""

from __future__ import annotations

from bot import render
from bot.services.recresults import Recommendations, RecommendedTitle, WhyResult
from tests.bot.test_render import account, anime, assert_fits


def result(known: int | None, unknown: int) -> Recommendations:
    items = (
        RecommendedTitle(
            rank=1,
            anime=anime(59978, "Sousou no Frieren 2nd Season"),
            score=0.2,
            predicted_score=8.9,
            match=1.0,
            planned=False,
            because=(),
            reasons=("sequel of Sousou no Frieren, which you rated 10",),
            source="catalog",
            more=2,
        ),
        RecommendedTitle(
            rank=2,
            anime=anime(1535, "Death Note"),
            score=0.1,
            predicted_score=8.1,
            match=0.5,
            planned=False,
            because=(anime(1575, "Code Geass"),),
        ),
    )
    return Recommendations(account(), items, "any", False, unknown, known)


def test_side_channel_titles_say_why_and_what_they_stand_for() -> None:
    embed = render.recommendations_embed(result(known=40, unknown=3))
    assert_fits(embed)
    first, second = (f.value or "" for f in embed.fields)
    assert "Sequel of Sousou no Frieren, which you rated 10" in first
    assert "8.9** MAL mean" in first and "+2 more of this franchise" in first
    assert "predicted" in second and "Because you watched" in second
    assert "3 titles of the list are unknown" in (embed.description or "")


def test_a_list_the_model_barely_knows_is_said_so() -> None:
    embed = render.recommendations_embed(result(known=2, unknown=30))
    assert "the model knows only 2 of your entries" in (embed.description or "")


def why(rank: int | None, *, on_list: bool = False, user_score: int | None = None) -> WhyResult:
    return WhyResult(
        account(),
        anime(59978, "Sousou no Frieren 2nd Season"),
        in_corpus=False,
        on_list=on_list,
        rank=rank,
        predicted_score=8.9,
        user_score=user_score,
        surprise=None,
        pushes_up=(),
        pushes_down=(),
        source="catalog",
        reasons=("sequel of Sousou no Frieren, which you rated 10", "like *A* and B: thriller"),
    )


def test_why_places_a_side_channel_title_with_its_reasons() -> None:
    embed = render.why_embed(why(3), member_name="Alice")
    assert_fits(embed)
    text = embed.description or ""
    assert "Rank **#3** among titles not on Alice's list." in text
    assert "**8.9** MAL mean" in text and "does not know" in text
    assert "Sequel of Sousou no Frieren, which you rated 10." in text
    assert "Like \\*A\\* and B: thriller." in text  # list names are escaped
    assert "cannot place it" not in text
    assert "Not in Alice's ranking now" in (
        render.why_embed(why(None), member_name="Alice").description or ""
    )
    own = render.why_embed(why(None, on_list=True, user_score=9), member_name="Alice")
    assert "On Alice's list (scored **9**)." in (own.description or "")


def test_a_side_channel_title_without_a_mean_shows_no_number_under_mals_name() -> None:
    unaired = RecommendedTitle(
        rank=1,
        anime=anime(60000, "Sousou no Frieren 3rd Season"),
        score=0.2,
        predicted_score=0.0,
        match=1.0,
        planned=False,
        because=(),
        source="catalog",
    )
    embed = render.recommendations_embed(
        Recommendations(account(), (unaired,), "any", False, 0, 40)
    )
    value = embed.fields[0].value or ""
    assert "MAL mean" in value and "no MAL mean yet" in value
    assert "**0.0**" not in value and "predicted" not in value
    text = (
        render.why_embed(
            WhyResult(
                account(),
                anime(60000, "Sousou no Frieren 3rd Season"),
                in_corpus=False,
                on_list=False,
                rank=1,
                predicted_score=None,
                user_score=None,
                surprise=None,
                pushes_up=(),
                pushes_down=(),
                source="catalog",
            ),
            member_name="Alice",
        ).description
        or ""
    )
    assert "MAL mean" not in text and "Rank **#1**" in text
