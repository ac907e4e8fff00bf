"""``/model``: the served model, its data and evaluation, the scheduled refresh."""

from __future__ import annotations

import discord

from bot.render.common import COLOUR, FIELD_VALUE_LIMIT, clip
from bot.services.modelinfo import ModelInfo


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
