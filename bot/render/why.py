"""``/why``: a title's place for a member, and what pushes it up or down."""

from __future__ import annotations

import discord

from bot.render.common import (
    COLOUR,
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    clip,
    link,
    safe,
)
from bot.services.recresults import Influence, WhyResult


def why_embed(result: WhyResult, *, member_name: str | None = None) -> discord.Embed:
    anime = result.anime
    embed = discord.Embed(
        colour=COLOUR, title=clip(f"Why: {safe(anime.label)}", TITLE_LIMIT), url=anime.url
    )
    if anime.picture_url:
        embed.set_thumbnail(url=anime.picture_url)
    who = safe(clip(member_name or result.account.mal_username, 64))
    if result.source == "catalog":
        embed.description = clip(_catalog_why(result, who), DESCRIPTION_LIMIT)
        return embed
    if not result.in_corpus:
        embed.description = (
            "The model does not know this title (too few lists in its training data), "
            "so it cannot place it for you."
        )
        return embed
    lines = []
    if result.on_list and result.user_score:
        lines.append(f"On {who}'s list, scored **{result.user_score}**.")
        if result.predicted_score is not None:
            lines.append(f"Left out, the model would predict **{result.predicted_score:.1f}**.")
        if result.surprise is not None:
            size = abs(result.surprise)
            word = (
                "about as expected" if size < 1 else ("higher" if result.surprise > 0 else "lower")
            )
            if size >= 1:
                lines.append(f"That is {size:.1f} points {word} than expected.")
            else:
                lines.append(f"That score is {word}.")
    elif result.on_list:
        lines.append(f"Already on {who}'s list (unscored).")
        if result.predicted_score is not None:
            lines.append(f"Predicted score: **{result.predicted_score:.1f}**.")
    else:
        if result.rank is not None:
            lines.append(f"Rank **#{result.rank}** among titles not on {who}'s list.")
        if result.predicted_score is not None:
            lines.append(f"Predicted score: **{result.predicted_score:.1f}**.")
    embed.description = clip("\n".join(lines), DESCRIPTION_LIMIT)
    for label, influences in (
        ("Pushes it up", result.pushes_up),
        ("Pulls it down", result.pushes_down),
    ):
        if influences:
            value = "\n".join(f"{link(i.anime, 90)}{_share(i)}" for i in influences)
            embed.add_field(name=label, value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    return embed


def _catalog_why(result: WhyResult, who: str) -> str:
    """/why of a title outside the network's corpus, placed by the catalog side channel: its
    rank, its MAL mean (as /recommend shows such titles) and the side channel's reasons."""
    lines = []
    if result.on_list:
        scored = f"scored **{result.user_score}**" if result.user_score else "unscored"
        lines.append(f"On {who}'s list ({scored}).")
    elif result.rank is not None:
        lines.append(f"Rank **#{result.rank}** among titles not on {who}'s list.")
    else:
        lines.append(
            f"Not in {who}'s ranking now (a later season waits for an earlier one on the "
            "list, a title not aired yet for the one it follows; titles marked "
            '"Not interested" stay out).'
        )
    if result.predicted_score is not None and not result.on_list:
        lines.append(f"**{result.predicted_score:.1f}** MAL mean.")
    lines.append(
        "The model does not know this title: it is placed by its relations and content "
        "(genres, tags, studios) to the list."
    )
    lines += [safe(r[:1].upper() + r[1:]) + "." for r in result.reasons]
    return "\n".join(lines)


def _share(influence: Influence) -> str:
    """How much of the title's score this entry carries, e.g. " (+38%)"; empty when unknown."""
    if influence.share is None:
        return ""
    return f" ({influence.share:+.0%})"
