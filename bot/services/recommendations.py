"""Recommendations for members: stored list → model (through the pool) → titles from the catalog.

Pure data in and out (no discord): the cogs render these results with :mod:`bot.render`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING, Final

from bot.services.accounts import AccountService, AccountView, StoredProfile
from bot.services.catalog import AnimeInfo, CatalogService
from bot.services.errors import EmptyProfile, NotLinked, NotShared, TitleNotFound
from bot.services.feedback import NOT_INTERESTED
from bot.services.guilds import GuildConfig
from bot.services.pool import RecommenderPool
from bot.services.reccache import AnswerCache, Prefetcher, answer_key
from bot.services.recresults import (
    Influence,
    ProfileInsightsView,
    Recommendations,
    RecommendedTitle,
    SimilarResult,
    Surprise,
    WhyResult,
)
from model.recommender.query import RecommendationQuery

if TYPE_CHECKING:
    from common.mal import MalClient
    from model import ProfileEntry
    from model.results import Recommendation

MEDIA_CHOICES: Final[dict[str, frozenset[str] | None]] = {
    "any": None,
    "tv": frozenset({"tv"}),
    "movie": frozenset({"movie"}),
    "ova": frozenset({"ova"}),
    "ona": frozenset({"ona"}),
    "special": frozenset({"special", "tv_special"}),
}
COVER_FETCH_SECONDS = 2.5
"""How long a reply waits for its first title's cover art from MAL."""
RESULT_POOL = 50
"""Titles computed per /recommend (pages are cut from these), fixed so that concurrent calls
share one micro-batch whatever their page size."""
BECAUSE_COUNT = 3


def _viewable(viewer_id: int, account: AccountView, config: GuildConfig) -> AccountView:
    """``account`` if its list may answer the viewer: their own, or a member's who shares it
    where the server allows that."""
    if account.discord_user_id != viewer_id and not (
        account.share_opt_in and config.members_can_view_others
    ):
        raise NotShared()
    return account


class RecommendationService:
    """The bot's questions to the model, answered with catalog titles."""

    def __init__(
        self,
        pool: RecommenderPool,
        accounts: AccountService,
        catalog: CatalogService,
        *,
        cache_size: int = 1000,
        prefetch: bool = True,
        mal: MalClient | None = None,
    ) -> None:
        self.pool = pool
        self.accounts = accounts
        self.catalog = catalog
        self.mal = mal  # for cover art
        self._covers: dict[int, asyncio.Future[int]] = {}  # cover fetches in flight, by title
        self.answers = AnswerCache(cache_size)
        self.prefetch = prefetch and cache_size > 0
        self.prefetcher = Prefetcher(self._warm, lambda: pool.queued == 0 and pool.running == 0)
        # A kept answer is of one model and one set of NSFW ids: when either changes, the
        # members' answers are computed again in the background.
        pool.on_swap.append(self._rewarm)
        catalog.on_nsfw_change.append(self._rewarm)

    @property
    def available(self) -> bool:
        return self.pool.available

    async def viewable_account(
        self, viewer_id: int, member_id: int, config: GuildConfig
    ) -> AccountView:
        """The account whose list answers the viewer; someone else's only if they share and
        the server allows it."""
        account = await self.accounts.require(member_id, self_=member_id == viewer_id)
        return _viewable(viewer_id, account, config)

    async def viewable_profile(
        self, viewer_id: int, member_id: int, config: GuildConfig
    ) -> tuple[AccountView, StoredProfile]:
        """:meth:`viewable_account` and its stored profile, read on one connection (what
        ``/recommend`` needs, read before it is acknowledged)."""
        found = await self.accounts.with_profile(member_id)
        if found is None:
            raise NotLinked(self_=member_id == viewer_id)
        return _viewable(viewer_id, found[0], config), found[1]

    async def _profile(
        self, account: AccountView, stored: StoredProfile | None = None
    ) -> tuple[list[ProfileEntry], frozenset[int]]:
        """The account's profile and the titles it marked "Not interested" (one read, unless
        ``stored`` was read with the account)."""
        if stored is None:
            stored = await self.accounts.profile_and_feedback(account.discord_user_id)
        entries, marks = stored
        if not any(e.enters_input for e in entries):
            raise EmptyProfile()
        return entries, frozenset(m.anime_id for m in marks if m.kind == NOT_INTERESTED)

    def _unknown(self, entries: list[ProfileEntry]) -> int:
        recommender = self.pool.recommender
        if recommender is None:
            return 0
        return sum(1 for e in entries if recommender.item(e.anime_id) is None)

    async def recommend(
        self,
        account: AccountView,
        *,
        media: str = "any",
        include_planned: bool = False,
        allow_nsfw: bool = False,
        franchise: str = "any",
        k: int = RESULT_POOL,
        stored: StoredProfile | None = None,
    ) -> Recommendations:
        """``stored``: the account's profile if it was read already (:meth:`viewable_profile`)."""
        if media not in MEDIA_CHOICES:
            raise ValueError(f"media must be one of {sorted(MEDIA_CHOICES)}")
        self.pool.require()
        entries, not_interested = await self._profile(account, stored)
        exclude = frozenset() if allow_nsfw else self.catalog.nsfw_ids()
        if not_interested:
            exclude |= not_interested
        query = RecommendationQuery(
            k,
            media=MEDIA_CHOICES[media],
            include_planned=include_planned,
            exclude=exclude,
            franchise=franchise,
            allow_nsfw=allow_nsfw,
        )
        results = await self._answer(account.discord_user_id, entries, query)
        # The query keeps NSFW out already; this is the last gate before a server sees a title
        # (a title unknown to the catalog is not known to be safe either).
        results = [r for r in results if self.catalog.allowed(r.anime_id, allow_nsfw)]
        planned = {e.anime_id for e in entries if e.is_planned}
        top = results[0].score if results else 1.0
        get = self.catalog.get
        items = tuple(
            RecommendedTitle(
                rank=i,
                anime=get(r.anime_id),
                score=r.score,
                predicted_score=r.predicted_score,
                match=max(0.0, min(1.0, r.score / top)) if top > 0 else 0.0,
                planned=r.anime_id in planned,
                # The first few that may be shown: looked up only until there are enough.
                because=tuple(
                    islice(
                        (
                            info
                            for c in r.contributors
                            if c.effect > 0 and (info := get(c.anime_id)).allowed(allow_nsfw)
                        ),
                        BECAUSE_COUNT,
                    )
                ),
                reasons=r.reasons,
                source=r.source,
                more=r.more,
            )
            for i, r in enumerate(results, start=1)
        )
        recommender = self.pool.recommender
        known = recommender.known_entries(entries)[0] if recommender is not None else None
        return Recommendations(
            account, items, media, include_planned, self._unknown(entries), known
        )

    async def _answer(
        self, member: int, entries: list[ProfileEntry], query: RecommendationQuery
    ) -> list[Recommendation]:
        """The model's answer, from the cache when nothing it depends on has changed."""
        key = answer_key(self.pool.generation, entries, query)
        found = self.answers.get(member, key)
        if found is None:
            found = await self.pool.recommend(entries, query)
            self.answers.put(member, key, found)
        return found

    async def with_cover(self, result: Recommendations) -> Recommendations:
        """Fetch the first title's details (cover art) from MAL if the catalog lacks them;
        best effort, bounded in time."""
        mal, catalog = self.mal, self.catalog
        if not result.items or mal is None or result.items[0].anime.details:
            return result
        first = result.items[0].anime.anime_id
        # Concurrent calls that open on the same title wait for one MAL request, not one each.
        fetch = self._covers.get(first)
        if fetch is None:
            fetch = asyncio.ensure_future(catalog.fill_details(mal, limit=1, first=[first]))
            self._covers[first] = fetch
            fetch.add_done_callback(lambda _: self._covers.pop(first, None))
        try:
            await asyncio.wait_for(asyncio.shield(fetch), COVER_FETCH_SECONDS)
        except TimeoutError:
            return result
        items = (replace(result.items[0], anime=catalog.get(first)), *result.items[1:])
        return replace(result, items=items)

    def warm_up(self, discord_user_id: int, *, allow_nsfw: bool) -> None:
        """Compute the member's default ``/recommend`` in the background, when the model is
        idle (after ``/link``: what members usually ask next); optional work, never awaited."""
        if self.prefetch and self.pool.available:
            self.prefetcher.add(discord_user_id, allow_nsfw)

    def profile_changed(self, discord_user_id: int) -> None:
        """The member's stored list (:mod:`bot.services.listchanges`, any process) or marks
        changed: if this process keeps an answer of theirs, compute it again in the background,
        so the member's next ``/recommend`` does not wait for the model."""
        key = self.answers.key_of(discord_user_id)
        if key is not None and self.prefetch and self.pool.available:
            self.prefetcher.add(discord_user_id, key.query.allow_nsfw)

    def _rewarm(self) -> None:
        """After a swap (a new model, or the catalog it ranks grew) or a change of the NSFW
        ids (MAL's details settled a title's status) no kept answer matches any more: compute
        the default answer again for those members, most recent first, in the background
        while the model is idle (they are the members who use the bot)."""
        if not self.prefetch or not self.pool.available:
            return
        for member, key in self.answers.members():
            self.prefetcher.add(member, key.query.allow_nsfw)

    async def _warm(self, discord_user_id: int, allow_nsfw: bool) -> bool:
        account = await self.accounts.get(discord_user_id)
        if account is None:
            return False  # unlinked since
        # The cover too: the answer's first title is what the member's reply will show.
        await self.with_cover(await self.recommend(account, allow_nsfw=allow_nsfw))
        return True

    async def not_interested(self, discord_user_ids: Iterable[int]) -> frozenset[int]:
        """Titles any of these members marked "Not interested" (the "seen" marks are in their
        profiles already, so on-list filtering keeps those out)."""
        marks = await self.accounts.feedback.of_members(discord_user_ids)
        return frozenset(
            f.anime_id for found in marks.values() for f in found if f.kind == NOT_INTERESTED
        )

    async def why(
        self, account: AccountView, anime: AnimeInfo, *, allow_nsfw: bool = False
    ) -> WhyResult:
        """Why ``anime`` ranks where it does for the account; only titles the server may see
        (the title itself, and the list entries named as pushing it up or down)."""
        if not anime.allowed(allow_nsfw):
            raise TitleNotFound(anime.title)
        recommender = self.pool.require()
        entries, not_interested = await self._profile(account)
        if recommender.item(anime.anime_id) is None:
            # Placed in the mixed ranking /recommend would give (franchise "any", media any).
            exclude = frozenset() if allow_nsfw else self.catalog.nsfw_ids()
            query = RecommendationQuery(exclude=exclude | not_interested, allow_nsfw=allow_nsfw)
            exp = await self.pool.run(
                recommender.explain_catalog_title, entries, anime.anime_id, query
            )
        else:
            exp = await self.pool.run(recommender.explain, entries, anime.anime_id)
        score = exp.score or 0.0
        influences = [
            Influence(info, c.effect, c.effect / score if score else None)
            for c in exp.contributors
            if (info := self.catalog.get(c.anime_id)).allowed(allow_nsfw)
        ]
        return WhyResult(
            account=account,
            anime=anime,
            in_corpus=exp.in_corpus,
            on_list=exp.on_list,
            rank=exp.rank,
            predicted_score=exp.predicted_score,
            user_score=exp.user_score,
            surprise=exp.surprise,
            pushes_up=tuple(i for i in influences if i.effect > 0)[:5],
            pushes_down=tuple(i for i in influences if i.effect < 0)[:5],
            source=exp.source,
            reasons=exp.reasons,
        )

    async def similar(
        self, anime: AnimeInfo, k: int = 10, *, allow_nsfw: bool = False
    ) -> SimilarResult:
        if not anime.allowed(allow_nsfw):
            raise TitleNotFound(anime.title)
        recommender = self.pool.require()
        if recommender.item(anime.anime_id) is None:
            return SimilarResult(anime, False, ())
        pairs = await self.pool.run(recommender.similar, anime.anime_id, k + 10)
        items = [
            (self.catalog.get(aid), float(sim))
            for aid, sim in pairs
            if aid != anime.anime_id and self.catalog.allowed(aid, allow_nsfw)
        ]
        return SimilarResult(anime, True, tuple(items[:k]))

    async def insights(
        self, account: AccountView, top: int = 5, *, allow_nsfw: bool = False
    ) -> ProfileInsightsView | None:
        """Most impactful and most surprising entries (those the server may see); ``None``
        without a model."""
        recommender = self.pool.recommender
        if recommender is None:
            return None
        entries = await self.accounts.profile(account.discord_user_id)
        if not any(e.enters_input for e in entries):
            return ProfileInsightsView((), (), 0)
        result = await self.pool.run(recommender.insights, entries, top)
        return ProfileInsightsView(
            most_impactful=tuple(
                Influence(self.catalog.get(c.anime_id), c.effect)
                for c in result.most_impactful
                if self.catalog.allowed(c.anime_id, allow_nsfw)
            ),
            most_surprising=tuple(
                Surprise(self.catalog.get(aid), user, predicted)
                for aid, user, predicted in result.most_surprising
                if self.catalog.allowed(aid, allow_nsfw)
            ),
            unknown_count=len(result.unknown_ids),
        )
