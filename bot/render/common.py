"""Shared by every embed: Discord's limits, colours, clipping, escaping, links.

Limits (discord.com/developers/docs/resources/message#embed-object-embed-limits): title 256,
description 4096, 25 fields, field name 256 and value 1024, footer 2048, author name 256, and
6000 characters over all of them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord
from discord.utils import escape_markdown

from bot.services.catalog import AnimeInfo

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000
ELLIPSIS = "…"
COLOUR = discord.Colour(0x2E51A2)  # MAL blue
ERROR_COLOUR = discord.Colour(0xC0392B)
STATUS_NAMES = {
    "watching": "Watching",
    "completed": "Completed",
    "on_hold": "On hold",
    "dropped": "Dropped",
    "plan_to_watch": "Plan to watch",
}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    text = text.strip()
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def safe(text: str) -> str:
    """Plain text for Discord markdown: escaped, and mentions made inert."""
    return escape_markdown(text).replace("@", "@\u200b")


def stamp(moment: datetime | None) -> str:
    """Discord's relative timestamp (rendered in each reader's time zone)."""
    return "never" if moment is None else f"<t:{int(moment.timestamp())}:R>"


def link(anime: AnimeInfo, limit: int = 200) -> str:
    label = safe(clip(anime.label, limit)).replace("]", "\\]").replace("[", "\\[")
    return f"[{label}]({anime.url})"


def embed_length(embed: discord.Embed) -> int:
    return len(embed)


def title_list(animes: Sequence[AnimeInfo], limit: int) -> str:
    out = ""
    for anime in animes:
        piece = safe(clip(anime.title, 80))
        candidate = f"{out}, {piece}" if out else piece
        if len(candidate) > limit:
            break
        out = candidate
    return out


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // max(1, per_page)))


def choice_name(anime: AnimeInfo, matched: str) -> str:
    """An autocomplete label (≤ 100 characters): the main title, and what matched if other."""
    label = anime.label
    if matched and matched.casefold() not in label.casefold():
        label = f"{anime.title} — {matched}"
    return clip(label, 100)
