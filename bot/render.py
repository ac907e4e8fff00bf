"""Embeds as pure functions of service results (no I/O), within Discord's limits.

Limits (discord.com/developers/docs/resources/message#embed-object-embed-limits): title 256,
description 4096, 25 fields, field name 256 and value 1024, footer 2048, author name 256, and
6000 characters over all of them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord
from discord.utils import escape_markdown

from bot.services.accounts import AccountView, ListStats
from bot.services.catalog import AnimeInfo
from bot.services.feedback import KINDS, LIKED, LIKED_SCORE, SEEN, Feedback
from bot.services.guilds import GuildConfig
from bot.services.modelinfo import ModelInfo
from bot.services.recommendations import (
    Influence,
    ProfileInsightsView,
    Recommendations,
    SimilarResult,
    WhyResult,
)
from bot.services.sync import SyncOutcome
from bot.services.together import GroupPicks, left_out_sentence
from model.recommender.mixing import HANDFUL

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


def _title_list(animes: Sequence[AnimeInfo], limit: int) -> str:
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
        scored = "MAL mean" if item.source == "catalog" else "predicted"
        more = f" · +{item.more} more of this franchise" if item.more else ""
        head = (
            f"[MAL]({item.anime.url}) · **{item.predicted_score:.1f}** {scored} · "
            f"{round(item.match * 100)}% match{more}"
        )
        because = _title_list(item.because, max(0, value_limit - len(head) - 22))
        lines = [head, *(safe(r[:1].upper() + r[1:]) for r in item.reasons)]
        if because:
            lines.append(f"Because you watched {because}")
        value = "\n".join(lines)
        embed.add_field(name=name, value=clip(value, value_limit), inline=False)
    return embed


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
            'list; titles marked "Not interested" stay out).'
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


def config_embed(config: GuildConfig, *, changed: bool) -> discord.Embed:
    embed = discord.Embed(
        colour=COLOUR, title="Server settings updated" if changed else "Server settings"
    )
    embed.add_field(name="Default count", value=str(config.default_count))
    embed.add_field(name="NSFW titles", value="allowed" if config.allow_nsfw else "hidden")
    embed.add_field(
        name="Members can view others",
        value="yes (if they share)" if config.members_can_view_others else "no",
    )
    return embed


def _report_lines(report: dict[str, object], limit: int = 12) -> list[str]:
    """A refresh report's scalars, and its objects of numbers on one line each."""
    lines: list[str] = []
    for key, value in report.items():
        if isinstance(value, bool | int | float | str) or value is None:
            lines.append(f"{key}: {value}")
        elif isinstance(value, dict):
            numbers = [
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                for k, v in value.items()
                if isinstance(v, int | float | str | bool)
            ]
            if numbers:
                lines.append(f"{key}: " + ", ".join(numbers))
        if len(lines) >= limit:
            break
    return lines


def model_embed(info: ModelInfo) -> discord.Embed:
    """``/model``: the served model, its training data and evaluation, the last refresh."""
    embed = discord.Embed(colour=COLOUR, title="Recommender model")
    if not info.loaded:
        embed.description = (
            f"No model is loaded. Build one (`make model`) or promote one to `{info.path}`; "
            "the bot picks it up without a restart."
        )
    else:
        # Short fields only: the embed's 6,000-character total is kept by construction.
        embed.description = clip(f"Serving `{info.real_path or info.path}`", 1000)
        embed.add_field(name="Trained", value=info.created_at or "unknown")
        embed.add_field(
            name="Data",
            value=(f"{info.n_users:,} users" if info.n_users is not None else "users unknown")
            + (f", {info.n_items:,} titles" if info.n_items is not None else "")
            + (f", {info.n_entries:,} entries" if info.n_entries is not None else ""),
        )
        if info.validation:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in info.validation.items())
            embed.add_field(
                name="Evaluation (validation users)",
                value=clip(shown, FIELD_VALUE_LIMIT),
                inline=False,
            )
        if info.swaps:
            embed.add_field(name="Swapped in live", value=f"{info.swaps} time(s) since start")
    state = info.refresh
    if state.enabled:
        status = "running now" if state.running else "idle"
        text = f"every {state.every_days:g} days, {status}"
        if state.last_finished:
            text += f"; last ended {state.last_finished} (exit {state.last_exit})"
        if state.last_line:
            text += f"\n`{state.last_line}`"
        embed.add_field(name="Scheduled refresh", value=clip(text, FIELD_VALUE_LIMIT), inline=False)
    if info.refresh_report is not None:
        lines = _report_lines(info.refresh_report)
        embed.add_field(
            name="Last refresh report",
            value=clip("\n".join(lines) or "(empty)", FIELD_VALUE_LIMIT),
            inline=False,
        )
    return embed


def choice_name(anime: AnimeInfo, matched: str) -> str:
    """An autocomplete label (≤ 100 characters): the main title, and what matched if other."""
    label = anime.label
    if matched and matched.casefold() not in label.casefold():
        label = f"{anime.title} — {matched}"
    return clip(label, 100)


# --- group picks and feedback (issue #15) ------------------------------------------------------

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
        lines.append(head + _title_list(titles, max(0, 300 - len(head))))
    return clip("\n".join(lines), FIELD_VALUE_LIMIT)


def option_label(anime: AnimeInfo, suffix: str = "") -> str:
    """A select option's label (≤ 100 characters): the title, then ``suffix`` kept whole."""
    return clip(anime.title, OPTION_LIMIT - len(suffix)) + suffix


def feedback_marked(kind: str, titles: Sequence[AnimeInfo]) -> str:
    """The (ephemeral) answer to a member who marked titles."""
    names = _title_list(titles, 1500) or f"{len(titles)} titles"
    effect = {
        SEEN: "counted as watched and no longer recommended to you",
        LIKED: f"counted as watched with a {LIKED_SCORE} and no longer recommended to you",
    }.get(kind, "no longer recommended to you")
    return clip(f"{KINDS.get(kind, kind)}: {names} — {effect}. Undo it in `/profile`.", 2000)


def feedback_undone(titles: Sequence[AnimeInfo]) -> str:
    names = _title_list(titles, 1500) or f"{len(titles)} titles"
    return clip(f"Undone: {names} can be recommended to you again.", 2000)


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
