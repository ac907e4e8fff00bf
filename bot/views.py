"""Buttons: recommendation pages, the unlink confirmation, the sharing toggle.

Every view answers only the member who ran the command (``interaction_check``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.error_policy import UNEXPECTED, reply_error, user_message
from bot.render import page_count, recommendations_embed
from bot.services.recresults import Recommendations

log = logging.getLogger(__name__)
VIEW_TIMEOUT = 600.0


class OwnedView(discord.ui.View):
    """A view whose buttons only its owner may press."""

    def __init__(self, owner_id: int, *, timeout: float | None = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the member who ran the command.", ephemeral=True
        )
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        # Same policy as the command tree: a short message, never a traceback.
        text = user_message(error)
        if text is None:
            log.error("button %r failed", getattr(item, "label", item), exc_info=error)
            text = UNEXPECTED
        await reply_error(interaction, text)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


class RecommendationPager(OwnedView):
    """Prev/Next through a computed list of recommendations."""

    def __init__(
        self,
        owner_id: int,
        result: Recommendations,
        *,
        per_page: int,
        member_name: str | None = None,
        timeout: float | None = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.result = result
        self.per_page = per_page
        self.member_name = member_name
        self.page = 0
        self.pages = page_count(len(result.items), per_page)
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        return recommendations_embed(
            self.result, page=self.page, per_page=self.per_page, member_name=self.member_name
        )

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Prev", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


class ConfirmView(OwnedView):
    """Confirm/Cancel; ``on_confirm`` runs the action and returns the message to show."""

    def __init__(
        self,
        owner_id: int,
        on_confirm: Callable[[], Awaitable[str]],
        *,
        confirm_label: str = "Confirm",
        timeout: float | None = 120.0,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.on_confirm = on_confirm
        self.confirm.label = confirm_label
        self.done = False

    async def _finish(self, interaction: discord.Interaction, text: str) -> None:
        self.done = True
        self.stop()
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text, embed=None, view=None)
        else:
            await interaction.response.edit_message(content=text, embed=None, view=None)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        # Acknowledged first: the action may wait on the database longer than Discord's 3 s.
        await interaction.response.defer()
        await self._finish(interaction, await self.on_confirm())

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._finish(interaction, "Cancelled: nothing was changed.")


class ShareToggle(OwnedView):
    """A button on your own /profile to allow or stop others viewing your recommendations."""

    def __init__(
        self,
        owner_id: int,
        sharing: bool,
        on_toggle: Callable[[bool], Awaitable[None]],
        *,
        timeout: float | None = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.sharing = sharing
        self.on_toggle = on_toggle
        self._label()

    def _label(self) -> None:
        self.toggle.label = "Stop sharing" if self.sharing else "Share my recommendations"

    @discord.ui.button(label="Share", style=discord.ButtonStyle.secondary)
    async def toggle(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await interaction.response.defer()  # the write may wait on the database beyond 3 s
        await self.on_toggle(not self.sharing)
        self.sharing = not self.sharing
        self._label()
        text = (
            "Others in servers that allow it can now see your recommendations."
            if self.sharing
            else "Your recommendations are private again."
        )
        await interaction.edit_original_response(view=self)
        await interaction.followup.send(text, ephemeral=True)
