"""/recommend (with feedback menus on your own), /why, /similar, /profile (marks to undo)."""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.ack import deferred_after
from bot.context import Services
from bot.cooldowns import member_cooldown
from bot.feedback_views import FeedbackPager, UndoSelect
from bot.services.accounts import AccountView, StoredProfile
from bot.services.catalog import AnimeInfo
from bot.services.errors import NoModel, NotInServer, TitleNotFound
from bot.services.guilds import GuildConfig
from bot.views import RecommendationPager, ShareToggle

log = logging.getLogger(__name__)
Media = Literal["tv", "movie", "ova", "ona", "special", "any"]
Franchise = Literal["any", "new", "continue"]


class RecommendCog(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services

    # --- helpers ------------------------------------------------------------------------------

    def _require_model(self) -> None:
        if not self.services.recommendations.available:
            raise NoModel()

    @staticmethod
    def _target(
        interaction: discord.Interaction, member: discord.User | discord.Member | None
    ) -> discord.User | discord.Member:
        """Whose list answers: the caller, or another member *of this server* (a raw user id
        resolves to a bare ``User``: the server's sharing setting does not cover outsiders)."""
        if member is None or member.id == interaction.user.id:
            return interaction.user
        if interaction.guild_id is not None and not isinstance(member, discord.Member):
            raise NotInServer()
        return member

    def _resolve(self, title: str, allow_nsfw: bool) -> AnimeInfo:
        """The title typed or picked; one the server may not see (NSFW or of unknown status
        where NSFW is not allowed) is not found."""
        anime = self.services.catalog.resolve(title, allow_nsfw=allow_nsfw)
        if anime is None:
            raise TitleNotFound(title)
        return anime

    async def title_choices(
        self, current: str, *, allow_nsfw: bool = False
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete: catalog titles matching what was typed so far (the value is the id),
        only those the server may see."""
        if not current.strip():
            return []
        return [
            app_commands.Choice(
                name=render.choice_name(c.anime, c.matched), value=str(c.anime.anime_id)
            )
            for c in self.services.catalog.search(current[:100], 25, allow_nsfw=allow_nsfw)
        ]

    # --- commands -----------------------------------------------------------------------------

    @app_commands.command(name="recommend", description="Anime you will probably like.")
    @app_commands.describe(
        count="Titles per page (1–25)",
        media="Only this kind of anime",
        include_planned="Include titles on your plan-to-watch list",
        member="Another member's recommendations (if they share them)",
        franchise="new: unrelated to your list · continue: next entries of your franchises · any",
    )
    @member_cooldown("recommend")
    async def recommend(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, 25] | None = None,
        media: Media = "any",
        include_planned: bool = False,
        member: discord.User | None = None,
        franchise: Franchise = "any",
    ) -> None:
        services = self.services
        self._require_model()
        target = self._target(interaction, member)

        async def checks() -> tuple[GuildConfig, AccountView, StoredProfile]:
            config = await services.guilds.get(interaction.guild_id)
            account, stored = await services.recommendations.viewable_profile(
                interaction.user.id, target.id, config
            )
            return config, account, stored

        config, account, stored = await deferred_after(interaction, checks())
        result = await services.recommendations.recommend(
            account,
            stored=stored,
            media=media,
            include_planned=include_planned,
            allow_nsfw=config.allow_nsfw,
            franchise=franchise,
        )
        result = await services.recommendations.with_cover(result)
        per_page = count or config.default_count
        if target.id == interaction.user.id and result.items:
            # Your own list: the feedback menus (Not interested / Already seen / liked it).
            mine = FeedbackPager(
                interaction.user.id,
                result,
                services.accounts.feedback.mark,
                per_page=per_page,
                member_name=target.display_name,
            )
            mine.message = await interaction.followup.send(embed=mine.embed(), view=mine, wait=True)
            return
        view = RecommendationPager(
            interaction.user.id, result, per_page=per_page, member_name=target.display_name
        )
        if view.pages > 1:
            view.message = await interaction.followup.send(embed=view.embed(), view=view, wait=True)
        else:
            await interaction.followup.send(embed=view.embed())

    @app_commands.command(name="why", description="Why the model would (not) recommend a title.")
    @app_commands.describe(title="An anime title (English, romaji or a synonym)")
    @member_cooldown("why")
    async def why(self, interaction: discord.Interaction, title: str) -> None:
        self._require_model()

        async def checks() -> tuple[AccountView, GuildConfig, AnimeInfo]:
            account = await self.services.accounts.require(interaction.user.id)
            config = await self.services.guilds.get(interaction.guild_id)
            return account, config, self._resolve(title, config.allow_nsfw)

        account, config, anime = await deferred_after(interaction, checks())
        result = await self.services.recommendations.why(
            account, anime, allow_nsfw=config.allow_nsfw
        )
        await interaction.followup.send(
            embed=render.why_embed(result, member_name=interaction.user.display_name)
        )

    @app_commands.command(name="similar", description="Titles the model relates to one title.")
    @app_commands.describe(title="An anime title (English, romaji or a synonym)")
    @member_cooldown("similar")
    async def similar(self, interaction: discord.Interaction, title: str) -> None:
        self._require_model()
        config = await self.services.guilds.get(interaction.guild_id)
        anime = self._resolve(title, config.allow_nsfw)
        await interaction.response.defer(thinking=True)
        result = await self.services.recommendations.similar(
            anime, 10, allow_nsfw=config.allow_nsfw
        )
        await interaction.followup.send(embed=render.similar_embed(result))

    @why.autocomplete("title")
    @similar.autocomplete("title")
    async def _title_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        config = await self.services.guilds.get(interaction.guild_id)
        return await self.title_choices(current, allow_nsfw=config.allow_nsfw)

    @app_commands.command(name="profile", description="Link status, counts and insights.")
    @app_commands.describe(member="Another member (if they share their recommendations)")
    @member_cooldown("profile")
    async def profile(
        self, interaction: discord.Interaction, member: discord.User | None = None
    ) -> None:
        services = self.services
        feedback = services.accounts.feedback
        target = self._target(interaction, member)
        own = target.id == interaction.user.id
        config = await services.guilds.get(interaction.guild_id)
        account = await services.recommendations.viewable_account(
            interaction.user.id, target.id, config
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await services.accounts.stats(account.discord_user_id)
        insights = await services.recommendations.insights(account, allow_nsfw=config.allow_nsfw)
        marks = (
            [
                (m, services.catalog.get(m.anime_id))
                for m in await feedback.of(account.discord_user_id)
            ]
            if own
            else []
        )
        embed = render.profile_embed(
            account,
            stats,
            insights,
            member_name=target.display_name,
            model_available=services.recommendations.available,
            feedback=marks,
        )
        if not own:
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        user_id = interaction.user.id

        async def toggle(share: bool) -> None:
            await services.accounts.set_sharing(user_id, share)

        view = ShareToggle(user_id, account.share_opt_in, toggle)
        if marks:
            view.add_item(UndoSelect(marks, feedback.undo, embed))
        view.message = await interaction.followup.send(
            embed=embed, view=view, ephemeral=True, wait=True
        )
