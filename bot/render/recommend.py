"""``/recommend`` (a page of the ranked list) and ``/similar``."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.common import (
    COLOUR,
    DESCRIPTION_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    clip,
    link,
    page_count,
    safe,
    title_list,
)
from bot.services.recresults import Recommendations, RecommendedTitle, SimilarResult
from model.recommender.mixing import HANDFUL


def recommendations_embed(
    result: Recommendations, *, page: int = 0, per_page: int = 10, member_name: str | None = None
) -> discord.Embed:
    """One page of a ranked list: title linked to MAL, predicted score, match, "because you
    watched", the first title's cover art. Always within the embed limits (≤ 25 per page)."""
    per_page = max(1, min(per_page, FIELD_COUNT_LIMIT))
    pages = page_count(len(result.items), per_page)
    page = max(0, min(page, pages - 1))
    items = result.items[page * per_page : (page + 1) * per_page]
    owner = safe(clip(member_name or result.account.mal_username, 64))
    embed = discord.Embed(colour=COLOUR, title=clip(f"Recommendations for {owner}", TITLE_LIMIT))
    notes = []
    if result.media != "any":
        notes.append(f"media: {result.media}")
    if result.include_planned:
        notes.append("plan-to-watch included (📌)")
    if result.known_count is not None and result.known_count < HANDFUL:
        notes.append(
            f"the model knows only {result.known_count} of your entries: the rest count through "
            "their sequels, genres, tags and studios"
        )
    elif result.unknown_count:
        notes.append(f"{result.unknown_count} titles of the list are unknown to the model")
    if not items:
        embed.description = "No titles match these filters. Try `media:any`."
        return embed
    embed.description = clip(" · ".join(notes), 300) if notes else None
    footer = f"Page {page + 1}/{pages} · predicted score on MAL's 1–10 scale"
    embed.set_footer(text=clip(footer, FOOTER_LIMIT))
    first = items[0].anime
    if first.picture_url:
        embed.set_thumbnail(url=first.picture_url)
    budget = TOTAL_LIMIT - len(embed) - 50
    per_field = min(FIELD_NAME_LIMIT + FIELD_VALUE_LIMIT, budget // len(items))
    for item in items:
        name_limit = min(FIELD_NAME_LIMIT, max(20, per_field // 3))
        pin = " 📌" if item.planned else ""
        name = clip(f"{item.rank}. {safe(item.anime.label)}", name_limit - len(pin)) + pin
        value_limit = min(FIELD_VALUE_LIMIT, per_field - len(name))
        more = f" · +{item.more} more of this franchise" if item.more else ""
        head = f"[MAL]({item.anime.url}) · {_scored(item)} · {round(item.match * 100)}% match{more}"
        because = title_list(item.because, max(0, value_limit - len(head) - 22))
        lines = [head, *(safe(r[:1].upper() + r[1:]) for r in item.reasons)]
        if because:
            lines.append(f"Because you watched {because}")
        value = "\n".join(lines)
        embed.add_field(name=name, value=clip(value, value_limit), inline=False)
    return embed


def _scored(item: RecommendedTitle) -> str:
    """The line's score with what it is: the model's prediction, or for a title the side
    channel places its MAL mean; such a title without one (not aired yet) shows no number."""
    if item.source != "catalog":
        return f"**{item.predicted_score:.1f}** predicted"
    if item.predicted_score > 0:
        return f"**{item.predicted_score:.1f}** MAL mean"
    return "no MAL mean yet"


def similar_embed(result: SimilarResult) -> discord.Embed:
    anime = result.anime
    embed = discord.Embed(
        colour=COLOUR, title=clip(f"Similar to {safe(anime.label)}", TITLE_LIMIT), url=anime.url
    )
    if anime.picture_url:
        embed.set_thumbnail(url=anime.picture_url)
    if not result.in_corpus:
        embed.description = "The model does not know this title well enough to relate it."
        return embed
    if not result.items:
        embed.description = "No related titles found."
        return embed
    lines = [f"{i}. {link(a, 120)}" for i, (a, _sim) in enumerate(result.items, start=1)]
    embed.description = _join_within(lines, DESCRIPTION_LIMIT)
    return embed


def _join_within(lines: Sequence[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
