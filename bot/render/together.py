"""``/together``: a group's picks (issue #15)."""

from __future__ import annotations

import discord

from bot.render.common import (
    COLOUR,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    clip,
    safe,
)
from bot.services.together import GroupPicks, left_out_sentence


def together_embed(result: GroupPicks) -> discord.Embed:
    """The group's picks: each title linked to MAL with the group's mean predicted score and a
    line of each member's own ("Ann 8.4 · Bo 7.9"); how the ranking works in the footer."""
    names = [safe(clip(m.name, 32)) for m in result.members]
    who = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    embed = discord.Embed(colour=COLOUR, title=clip(f"Together: {who}", TITLE_LIMIT))
    notes = []
    if result.left_out:
        notes.append(safe(left_out_sentence(result.left_out)))
    if result.media != "any":
        notes.append(f"media: {result.media}")
    if result.include_planned:
        notes.append("plan-to-watch titles included")
    embed.description = clip("\n".join(notes), 1000) if notes else None
    embed.set_footer(text=clip(result.method, FOOTER_LIMIT))
    items = result.items[:FIELD_COUNT_LIMIT]
    if not items:
        embed.description = clip(
            "\n".join([*notes, "No titles fit the whole group with these filters."]), 1000
        )
        return embed
    if items[0].anime.picture_url:
        embed.set_thumbnail(url=items[0].anime.picture_url)
    budget = TOTAL_LIMIT - len(embed) - 50
    per_field = min(FIELD_NAME_LIMIT + FIELD_VALUE_LIMIT, budget // len(items))
    for item in items:
        name = clip(f"{item.rank}. {safe(item.anime.label)}", min(FIELD_NAME_LIMIT, per_field // 3))
        warn = f" · ⚠ someone below {result.floor:g}" if item.below_floor else ""
        head = f"[MAL]({item.anime.url}) · group **{item.mean:.1f}**{warn}"
        scores = ", ".join(f"{n} {s:.1f}" for n, s in zip(names, item.scores, strict=True))
        value_limit = min(FIELD_VALUE_LIMIT, per_field - len(name))
        embed.add_field(name=name, value=clip(f"{head}\n{scores}", value_limit), inline=False)
    return embed
