"""/link, /import, /unlink, /refresh."""

from __future__ import annotations

import asyncio
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.ack import deferred_after
from bot.context import Services
from bot.cooldowns import member_cooldown
from bot.services.accounts import AccountView
from bot.services.errors import ImportRejected, NotLinked
from bot.services.imports import MAX_UPLOAD_BYTES, read_upload, upload_too_large
from bot.services.listsites import SITE_NAMES
from bot.views import ConfirmView


class AccountsCog(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(
        name="link", description="Link your public anime list: MyAnimeList, AniList or Kitsu."
    )
    @app_commands.describe(
        username="Your user name on that site",
        site="Where your list is: mal (MyAnimeList, the default), anilist or kitsu",
    )
    @member_cooldown("link")
    async def link(
        self,
        interaction: discord.Interaction,
        username: app_commands.Range[str, 1, 64],
        site: Literal["mal", "anilist", "kitsu"] = "mal",
    ) -> None:
        user_id = interaction.user.id
        current = await deferred_after(
            interaction, self.services.accounts.get(user_id), ephemeral=True
        )
        if current is None or _same_account(current, username, site):
            outcome = await self.services.sync.link(user_id, username, site)
            await interaction.followup.send(embed=render.link_embed(outcome), ephemeral=True)
            await self._warm_up(interaction)
            return

        async def confirmed() -> str:
            summary = render.link_summary(await self.services.sync.link(user_id, username, site))
            await self._warm_up(interaction)
            return summary

        # One list per member: replacing it drops the stored list, so ask first.
        view = ConfirmView(user_id, confirmed, confirm_label="Replace")
        old = f"`{render.clip(current.mal_username, 64)}` on {current.site_name}"
        if current.source == "import":
            old = "an imported list"
        # Deferred (privately) by now: the question fills in the "thinking" message.
        view.message = await interaction.followup.send(
            f"You are linked to {old}. Replace it with `{render.clip(username.strip(), 64)}` "
            f"on {SITE_NAMES[site]}? Your stored list is replaced by the new one.",
            view=view,
            ephemeral=True,
            wait=True,
        )

    @app_commands.command(
        name="import", description="Upload your MyAnimeList export (XML or .xml.gz) instead."
    )
    @app_commands.describe(file="The file from myanimelist.net/panel.php?go=export")
    @member_cooldown("import")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        if file.size > MAX_UPLOAD_BYTES:
            raise ImportRejected(upload_too_large(file.size))
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise ImportRejected("I could not download that file. Please try again.") from exc
        parsed = await asyncio.to_thread(read_upload, data, file.filename)
        outcome = await self.services.sync.import_list(interaction.user.id, parsed)
        await interaction.followup.send(
            embed=render.link_embed(outcome, imported=True, notes=parsed.notes()), ephemeral=True
        )

    async def _warm_up(self, interaction: discord.Interaction) -> None:
        """Start computing the member's default ``/recommend`` for this server (its NSFW rule)
        in the background: usually the next command after a link."""
        config = await self.services.guilds.get(interaction.guild_id)
        self.services.recommendations.warm_up(interaction.user.id, allow_nsfw=config.allow_nsfw)

    @app_commands.command(name="unlink", description="Forget your linked list (asks to confirm).")
    async def unlink(self, interaction: discord.Interaction) -> None:
        account = await self.services.accounts.get(interaction.user.id)
        if account is None:
            raise NotLinked()
        user_id = interaction.user.id

        async def confirmed() -> str:
            stats = await self.services.accounts.stats(user_id)
            marks = len(await self.services.accounts.feedback.of(user_id))
            removed = await self.services.accounts.unlink(user_id)
            self.services.recommendations.answers.forget(user_id)
            if not removed:
                return "You were not linked any more."
            also = f" Your {marks} feedback marks were deleted too." if marks else ""
            return f"Unlinked: your link and {stats.entries} stored entries were deleted.{also}"

        view = ConfirmView(user_id, confirmed, confirm_label="Unlink")
        await interaction.response.send_message(
            f"Unlink `{render.clip(account.mal_username, 64)}` and delete your stored list?",
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()

    @app_commands.command(name="refresh", description="Re-sync your linked list now.")
    @member_cooldown("refresh")
    async def refresh(self, interaction: discord.Interaction) -> None:
        await self.services.accounts.require(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.services.sync.sync(interaction.user.id, force=True)
        await interaction.followup.send(embed=render.sync_embed(outcome), ephemeral=True)


def _same_account(account: AccountView, username: str, site: str) -> bool:
    """Linking the same account again just re-syncs it: no confirmation needed."""
    return account.source == site and account.mal_username.casefold() == username.strip().casefold()
