"""Linking, importing and refreshing a list: its stats and what was left unknown."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.common import COLOUR, STATUS_NAMES, TITLE_LIMIT, clip, safe, stamp
from bot.services.accounts import ListStats
from bot.services.sync import SyncOutcome


def stats_text(stats: ListStats) -> str:
    parts = [f"**{stats.entries}** entries, **{stats.scored}** scored"]
    if stats.mean_score is not None:
        parts.append(f"mean score {stats.mean_score:.2f}")
    if stats.unknown:
        parts.append(f"{stats.unknown} more without a MyAnimeList id (kept, not used yet)")
    statuses = ", ".join(f"{STATUS_NAMES.get(s, s)} {n}" for s, n in stats.by_status.items())
    text = " · ".join(parts)
    return f"{text}\n{statuses}" if statuses else text


def link_embed(
    outcome: SyncOutcome, *, imported: bool = False, notes: Sequence[str] = ()
) -> discord.Embed:
    account = outcome.account
    name = safe(clip(account.mal_username, 64))
    title = f"Imported {name}'s list" if imported else f"Linked to {name} on {account.site_name}"
    embed = discord.Embed(colour=COLOUR, title=clip(title, TITLE_LIMIT))
    if not imported:
        embed.url = account.profile_url
    embed.description = stats_text(outcome.stats)
    embed.add_field(name="Last list update", value=stamp(outcome.stats.last_update))
    if outcome.unknown:
        embed.add_field(name="Unknown titles", value=unknown_text(outcome), inline=False)
    if notes:  # what an import left out or read differently (ParsedList.notes)
        embed.add_field(name="Note", value=clip(" ".join(notes), 1024), inline=False)
    embed.set_footer(
        text="Try /recommend. Your list is kept fresh in the background."
        if not imported
        else "Try /recommend. Upload a new export with /import to update it."
    )
    return embed


def unknown_text(outcome: SyncOutcome) -> str:
    """AniList/Kitsu entries without a MyAnimeList id: kept, used once the site maps them."""
    n = outcome.unknown
    return (
        f"{n} {'title has' if n == 1 else 'titles have'} no MyAnimeList id on "
        f"{outcome.account.site_name} yet: kept, and used once {outcome.account.site_name} "
        "maps them."
    )


def link_summary(outcome: SyncOutcome) -> str:
    """The link result as one message (the replace confirmation edits its text in place)."""
    account = outcome.account
    lines = [
        f"Linked to `{clip(account.mal_username, 64)}` on {account.site_name}: "
        + stats_text(outcome.stats).replace("\n", " · "),
    ]
    if outcome.unknown:
        lines.append(unknown_text(outcome))
    lines.append("Try /recommend. Your list is kept fresh in the background.")
    return "\n".join(lines)


def sync_embed(outcome: SyncOutcome) -> discord.Embed:
    embed = link_embed(outcome)
    embed.title = clip(
        f"Refreshed {safe(outcome.account.mal_username)}"
        + ("" if outcome.changed else " (no changes since the last sync)"),
        TITLE_LIMIT,
    )
    return embed
