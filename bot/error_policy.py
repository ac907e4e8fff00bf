"""The error policy shared by the command tree and the buttons: every failure becomes a short
ephemeral message for the member (never a traceback); unexpected ones are also logged."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.errors import BUSY, FULL, READ_ONLY, UNREACHABLE, log_storage_problem, storage_problem
from bot.services.errors import ServiceError

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on my side; it has been logged. Please try again later."
STORAGE_MESSAGES = {
    UNREACHABLE: "My database is not answering right now; please try again in a minute.",
    READ_ONLY: "I cannot save anything right now (storage problem, logged); "
    "what is already stored still works.",
    FULL: "I cannot save anything right now (storage full, logged); "
    "what is already stored still works.",
    BUSY: "I am busy saving something else; please try again in a moment.",
}


def unwrap(error: BaseException) -> BaseException:
    """The original exception inside discord.py's invoke wrappers."""
    while isinstance(error, app_commands.CommandInvokeError | commands.CommandInvokeError):
        error = error.original
    return error


def user_message(error: BaseException) -> str | None:
    """The message a member sees for ``error``; ``None`` for unexpected errors."""
    error = unwrap(error)
    if isinstance(error, ServiceError):
        return error.user_message
    problem = storage_problem(error)
    if problem is not None:
        log_storage_problem(problem, error)
        return STORAGE_MESSAGES[problem]
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission for that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.TransformerError):
        return "I could not understand one of the options."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use that command here."
    return None


async def reply_error(interaction: discord.Interaction, text: str) -> None:
    """Send ``text`` ephemerally, as the response or a follow-up, whichever is still open."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message to interaction %s", interaction.id)
