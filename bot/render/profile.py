"""``/profile``: the link, the list's stats, the model's insights, the member's marks."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.accounts import stats_text
from bot.render.common import (
    COLOUR,
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    clip,
    link,
    safe,
    stamp,
)
from bot.render.feedback import FEEDBACK_FIELD, feedback_text
from bot.services.accounts import AccountView, ListStats
from bot.services.catalog import AnimeInfo
from bot.services.feedback import Feedback
from bot.services.recresults import ProfileInsightsView


def profile_embed(
    account: AccountView,
    stats: ListStats,
    insights: ProfileInsightsView | None,
    *,
    member_name: str,
    model_available: bool,
    feedback: Sequence[tuple[Feedback, AnimeInfo]] = (),
) -> discord.Embed:
    """The profile; ``feedback`` (the member's own marks) is listed only on their own."""
    embed = discord.Embed(
        colour=COLOUR, title=clip(f"{safe(member_name)}'s anime profile", TITLE_LIMIT)
    )
    source = (
        "imported file"
        if account.source == "import"
        else f"[{safe(account.mal_username)}]({account.profile_url}) on {account.site_name}"
    )
    lines = [
        f"Linked to {source} {stamp(account.linked_at)}",
        f"Last sync {stamp(account.last_sync_at)}",
        "Sharing recommendations: " + ("yes" if account.share_opt_in else "no"),
    ]
    if account.last_error:
        lines.append(
            f"⚠ Last refresh failed {stamp(account.last_error_at)}: {clip(account.last_error, 200)}"
        )
    embed.description = clip("\n".join(lines), DESCRIPTION_LIMIT)
    embed.add_field(name="List", value=clip(stats_text(stats), FIELD_VALUE_LIMIT), inline=False)
    if feedback:
        embed.add_field(name=FEEDBACK_FIELD, value=feedback_text(feedback), inline=False)
    if insights is None:
        if not model_available:
            embed.add_field(name="Insights", value="No model yet: run `make model`.", inline=False)
        return embed
    if insights.most_impactful:
        value = "\n".join(link(i.anime, 90) for i in insights.most_impactful)
        embed.add_field(name="Most impactful", value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    if insights.most_surprising:
        value = "\n".join(
            f"{link(s.anime, 90)}: scored {s.user_score}, expected {s.predicted_score:.1f}"
            for s in insights.most_surprising
        )
        embed.add_field(name="Most surprising", value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    if insights.unknown_count:
        embed.set_footer(text=f"{insights.unknown_count} titles are unknown to the model.")
    return embed
