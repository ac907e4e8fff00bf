"""A member's marks (issue #15): the profile field, select labels, the answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.common import FIELD_VALUE_LIMIT, clip, title_list
from bot.services.catalog import AnimeInfo
from bot.services.feedback import KINDS, LIKED, LIKED_SCORE, SEEN, Feedback

FEEDBACK_FIELD = "Your marks"
OPTION_LIMIT = 100  # select option label and description


def feedback_text(marks: Sequence[tuple[Feedback, AnimeInfo]]) -> str:
    """The member's marks grouped by kind ("Already seen" counts as watched, "Seen it, liked
    it" as watched and scored), within one field's limit; the undo menu is below."""
    lines = []
    for kind, label in KINDS.items():
        titles = [anime for mark, anime in marks if mark.kind == kind]
        if not titles:
            continue
        meaning = {SEEN: " (counted as watched)", LIKED: f" (counted as watched, {LIKED_SCORE}/10)"}
        head = f"**{label}**{meaning.get(kind, '')} · {len(titles)}: "
        lines.append(head + title_list(titles, max(0, 300 - len(head))))
    return clip("\n".join(lines), FIELD_VALUE_LIMIT)


def option_label(anime: AnimeInfo, suffix: str = "") -> str:
    """A select option's label (≤ 100 characters): the title, then ``suffix`` kept whole."""
    return clip(anime.title, OPTION_LIMIT - len(suffix)) + suffix


def feedback_marked(kind: str, titles: Sequence[AnimeInfo]) -> str:
    """The (ephemeral) answer to a member who marked titles."""
    names = title_list(titles, 1500) or f"{len(titles)} titles"
    effect = {
        SEEN: "counted as watched and no longer recommended to you",
        LIKED: f"counted as watched with a {LIKED_SCORE} and no longer recommended to you",
    }.get(kind, "no longer recommended to you")
    return clip(f"{KINDS.get(kind, kind)}: {names} — {effect}. Undo it in `/profile`.", 2000)


def feedback_undone(titles: Sequence[AnimeInfo]) -> str:
    names = title_list(titles, 1500) or f"{len(titles)} titles"
    return clip(f"Undone: {names} can be recommended to you again.", 2000)
