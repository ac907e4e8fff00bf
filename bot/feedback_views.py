"""Feedback menus: "Not interested", "Already seen", "Seen it, liked it" under ``/recommend``
and ``/together``, and the undo menu on ``/profile``.

Each menu is a multi-select of the titles shown. A member marks titles only for themselves:
under ``/recommend`` only the member whose recommendations they are (the pager's owner), under
``/together`` any member of the group, each for their own profile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import discord

from bot import render
from bot.render import FEEDBACK_FIELD, feedback_text
from bot.services.catalog import AnimeInfo
from bot.services.feedback import KINDS, Feedback
from bot.services.recresults import Recommendations
from bot.services.together import GroupPicks
from bot.views import VIEW_TIMEOUT, OwnedView, RecommendationPager

Mark = Callable[[int, list[int], str], Awaitable[int]]
"""(member id, anime ids, kind) → how many marks were new or changed."""
Undo = Callable[[int, list[int]], Awaitable[int]]
"""(member id, anime ids) → how many marks were removed."""
MAX_OPTIONS = 25  # Discord's limit per select menu


class FeedbackSelect(discord.ui.Select[discord.ui.View]):
    """One kind of feedback over the titles shown (pick one or several)."""

    def __init__(self, kind: str, titles: Sequence[AnimeInfo], on_mark: Mark, *, row: int) -> None:
        shown = list(titles)[:MAX_OPTIONS]
        super().__init__(
            placeholder=f"{KINDS[kind]}…",
            min_values=1,
            max_values=len(shown),
            options=[
                discord.SelectOption(label=render.option_label(a), value=str(a.anime_id))
                for a in shown
            ],
            row=row,
        )
        self.kind = kind
        self.titles = {a.anime_id: a for a in shown}
        self.on_mark = on_mark

    async def callback(self, interaction: discord.Interaction) -> None:
        # Acknowledged first: the write may wait on the database longer than Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        ids = [int(v) for v in self.values]
        await self.on_mark(interaction.user.id, ids, self.kind)
        marked = [self.titles[a] for a in ids if a in self.titles]
        await interaction.followup.send(render.feedback_marked(self.kind, marked), ephemeral=True)


def feedback_selects(
    titles: Sequence[AnimeInfo], on_mark: Mark, *, first_row: int = 1
) -> list[FeedbackSelect]:
    """One menu per kind of feedback (three rows from ``first_row``); none without titles."""
    if not titles:
        return []
    return [
        FeedbackSelect(kind, titles, on_mark, row=first_row + i) for i, kind in enumerate(KINDS)
    ]


class FeedbackPager(RecommendationPager):
    """``/recommend`` on your own list: Prev/Next (when there are pages) and the feedback
    menus for the titles of the page shown."""

    def __init__(
        self,
        owner_id: int,
        result: Recommendations,
        on_mark: Mark,
        *,
        per_page: int,
        member_name: str | None = None,
        timeout: float | None = VIEW_TIMEOUT,
    ) -> None:
        self._on_mark = on_mark  # read by _sync_buttons, which the base __init__ calls
        self._menus: list[FeedbackSelect] = []
        super().__init__(
            owner_id, result, per_page=per_page, member_name=member_name, timeout=timeout
        )
        if self.pages <= 1:
            self.remove_item(self.previous)
            self.remove_item(self.next)

    def _sync_buttons(self) -> None:
        super()._sync_buttons()
        for menu in self._menus:
            self.remove_item(menu)
        start = self.page * self.per_page
        titles = [item.anime for item in self.result.items[start : start + self.per_page]]
        self._menus = feedback_selects(titles, self._on_mark)
        for menu in self._menus:
            self.add_item(menu)


class TogetherView(OwnedView):
    """The feedback menus under ``/together``: every member of the group marks for themselves."""

    def __init__(
        self, result: GroupPicks, on_mark: Mark, *, timeout: float | None = VIEW_TIMEOUT
    ) -> None:
        super().__init__(result.members[0].discord_user_id, timeout=timeout)
        self.member_ids = frozenset(m.discord_user_id for m in result.members)
        for menu in feedback_selects([i.anime for i in result.items], on_mark, first_row=0):
            self.add_item(menu)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id in self.member_ids:
            return True
        await interaction.response.send_message(
            "These menus are for the members of this group.", ephemeral=True
        )
        return False


class UndoSelect(discord.ui.Select[discord.ui.View]):
    """On your own ``/profile``: pick marks to undo (the newest :data:`MAX_OPTIONS`)."""

    def __init__(
        self,
        marks: Sequence[tuple[Feedback, AnimeInfo]],
        on_undo: Undo,
        embed: discord.Embed,
        *,
        row: int = 1,
    ) -> None:
        self.marks = list(marks)
        self.on_undo = on_undo
        self.embed = embed
        super().__init__(placeholder="Undo a mark…", min_values=1, row=row)
        self._options()

    def _options(self) -> None:
        shown = self.marks[:MAX_OPTIONS]
        self.options = [
            discord.SelectOption(
                label=render.option_label(anime, f" — {mark.label}"), value=str(mark.anime_id)
            )
            for mark, anime in shown
        ]
        self.max_values = max(1, len(shown))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # the write may wait on the database beyond 3 s
        ids = {int(v) for v in self.values}
        await self.on_undo(interaction.user.id, sorted(ids))
        undone = [anime for mark, anime in self.marks if mark.anime_id in ids]
        self.marks = [(m, a) for m, a in self.marks if m.anime_id not in ids]
        self._relist()
        if self.marks:
            self._options()
        elif self.view is not None:
            self.view.remove_item(self)
        await interaction.edit_original_response(embed=self.embed, view=self.view)
        await interaction.followup.send(render.feedback_undone(undone), ephemeral=True)

    def _relist(self) -> None:
        """The profile's list of marks, as it is now."""
        for i, field in enumerate(self.embed.fields):
            if field.name == FEEDBACK_FIELD:
                if self.marks:
                    self.embed.set_field_at(
                        i, name=FEEDBACK_FIELD, value=feedback_text(self.marks), inline=False
                    )
                else:
                    self.embed.remove_field(i)
                return
