"""The /together embed and the feedback texts are pure and fit Discord's limits, whatever the
titles and names."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import render
from bot.services.accounts import ListStats
from bot.services.feedback import LIKED, NOT_INTERESTED, SEEN, Feedback
from bot.services.together import GroupMember, GroupPick, GroupPicks, LeftOut
from tests.bot.test_render import ODD, account, anime, assert_fits

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def picks(n: int, members: int, name: str = "", title: str = "") -> GroupPicks:
    group = tuple(GroupMember(i, f"{name}m{i}", account(f"m{i}")) for i in range(members))
    items = tuple(
        GroupPick(
            rank=i,
            anime=anime(i, title + str(i) if title else None, english=title or None),
            mean=8.0 - i / 10,
            scores=tuple(8.0 - i / 10 + (j - members / 2) / 10 for j in range(members)),
            below_floor=i > n - 2,
        )
        for i in range(1, n + 1)
    )
    left = (LeftOut(f"{name}x", "has not linked a list"), LeftOut("y", "is a bot"))
    return GroupPicks(group, left, items, media="tv", include_planned=True)


def test_together_embed_lines_per_member_and_method() -> None:
    embed = render.together_embed(picks(3, 3))
    assert embed.title == "Together: m0, m1 and m2"
    assert "Left out: x (has not linked a list), y (is a bot)." in (embed.description or "")
    assert [f.name for f in embed.fields] == ["1. Title 1", "2. Title 2", "3. Title 3"]
    assert embed.fields[0].value is not None
    assert embed.fields[0].value.endswith("\nm0 7.8, m1 7.9, m2 8.0")
    assert "group **7.9**" in embed.fields[0].value
    assert "⚠ someone below 6" in (embed.fields[2].value or "")
    assert "⚠" not in (embed.fields[0].value or "")
    assert "Masthoff 2004" in (embed.footer.text or "")
    assert_fits(embed)


def test_together_embed_fits_the_limits_at_its_largest() -> None:
    for n in (0, 1, 25):
        assert_fits(render.together_embed(picks(n, 8, name=ODD, title=ODD)))
    empty = render.together_embed(picks(0, 2))
    assert "No titles fit the whole group" in (empty.description or "")


def test_feedback_texts() -> None:
    marks = [
        (Feedback(1, NOT_INTERESTED, NOW), anime(1)),
        (Feedback(2, SEEN, NOW), anime(2)),
        (Feedback(3, LIKED, NOW), anime(3, ODD)),
    ]
    text = render.feedback_text(marks)
    assert "**Not interested** · 1: Title 1" in text
    assert "**Already seen** (counted as watched) · 1: Title 2" in text
    assert "(counted as watched, 8/10)" in text
    assert len(render.feedback_text(marks * 500)) <= render.FIELD_VALUE_LIMIT
    assert len(render.option_label(anime(3, ODD), " — Not interested")) <= 100
    assert render.option_label(anime(3, ODD), " — Liked").endswith(" — Liked")
    assert "Undo it in `/profile`" in render.feedback_marked(SEEN, [anime(1)])
    assert "again" in render.feedback_undone([anime(1)])
    profile = render.profile_embed(
        account(),
        ListStats(3, 2, {"completed": 3}, 8.0, NOW),
        None,
        member_name="alice",
        model_available=True,
        feedback=marks * 100,
    )
    assert any(f.name == render.FEEDBACK_FIELD for f in profile.fields)
    assert_fits(profile)
