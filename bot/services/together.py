"""Picks for a group (``/together``): titles none of the members has watched, ranked for all.

Group recommendation by aggregating individual predictions (Masthoff 2004, "Group modeling:
selecting a sequence of television items to suit a group of viewers", UMUAI 14; strategy
"average without misery"):

1. One batched pass (``Recommender.recommend_batch(..., targets=...)``) gives every member's
   presence (the model's "would watch") and predicted score (1–10) for every title of the
   network's corpus that no member has on their list (completed, watching, on hold or dropped;
   plan-to-watch too unless ``include_planned``) or has marked seen or not interested, and that
   passes the filters (media, NSFW).
2. Candidates: the union of each member's :data:`POOL_PER_MEMBER` likeliest titles (presence).
3. Rank by the mean predicted score; a title where any member is predicted below
   :data:`MISERY_FLOOR` goes after every title where nobody is (pushed down, not dropped, so a
   demanding group still gets an answer).

Members who cannot take part (not linked, not sharing, not in the server, nothing the model can
use) are left out and named; the caller must be able to take part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.services.accounts import AccountView
from bot.services.catalog import AnimeInfo
from bot.services.errors import EmptyProfile, NotLinked, NotShared, ServiceError
from bot.services.guilds import GuildConfig
from bot.services.recommendations import MEDIA_CHOICES, RecommendationService
from model.profile import ProfileEntry
from model.recommender import Target
from model.recommender.query import RecommendationQuery

MAX_MEMBERS: Final = 8
"""The caller and up to seven others (``member1`` … ``member7``)."""
POOL_PER_MEMBER: Final = 50
"""Each member's own top titles that become group candidates."""
MISERY_FLOOR: Final = 6.0
"""A title where any member's predicted score is below this goes last ("least misery")."""
METHOD: Final = (
    "Ranked by the members' mean predicted score (1–10); a title where anyone is predicted "
    f"below {MISERY_FLOOR:g} goes last (average without misery, Masthoff 2004)."
)


class GroupTooSmall(ServiceError):
    """Nobody but the caller can take part."""


@dataclass(frozen=True, slots=True)
class Invitee:
    """A member named in ``/together``; ``in_server`` False for a user outside this server."""

    discord_user_id: int
    name: str
    in_server: bool = True
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class GroupMember:
    discord_user_id: int
    name: str
    account: AccountView


@dataclass(frozen=True, slots=True)
class LeftOut:
    name: str
    reason: str  # completes "<name> …", e.g. "has not linked a list"


@dataclass(frozen=True, slots=True)
class GroupPick:
    rank: int
    anime: AnimeInfo
    mean: float
    scores: tuple[float, ...]  # per member, in the group's order
    below_floor: bool  # somebody's predicted score is under the floor

    @property
    def lowest(self) -> float:
        return min(self.scores)


@dataclass(frozen=True, slots=True)
class GroupPicks:
    members: tuple[GroupMember, ...]
    left_out: tuple[LeftOut, ...]
    items: tuple[GroupPick, ...]
    media: str
    include_planned: bool
    floor: float = MISERY_FLOOR
    method: str = METHOD


def left_out_sentence(left_out: Sequence[LeftOut]) -> str:
    """One sentence naming who was left out and why, e.g. "Left out: bob (has not linked a
    list), carol (does not share their recommendations)."; empty when nobody was."""
    if not left_out:
        return ""
    return "Left out: " + ", ".join(f"{p.name} ({p.reason})" for p in left_out) + "."


def rank_group(
    candidates: Sequence[int],
    scores: Sequence[Sequence[float | None]],
    *,
    floor: float = MISERY_FLOOR,
    k: int,
) -> list[tuple[int, float, tuple[float, ...], bool]]:
    """(anime id, mean, per-member scores, below floor) of the ``k`` best candidates.

    ``scores[m][j]`` is member m's predicted score for ``candidates[j]`` (None: unknown to the
    model, and the title is skipped). Order: titles nobody is predicted to rate below ``floor``
    first, then by mean predicted score, then by id (stable across calls).
    """
    rows = []
    for j, anime_id in enumerate(candidates):
        per_member = [member[j] for member in scores]
        if not per_member or any(s is None for s in per_member):
            continue
        known = tuple(float(s) for s in per_member if s is not None)
        mean = sum(known) / len(known)
        rows.append((anime_id, mean, known, min(known) < floor))
    rows.sort(key=lambda r: (r[3], -r[1], r[0]))
    return rows[: max(0, k)]


def own_tops(
    corpus: Sequence[int], targets: Sequence[Sequence[Target | None]], per_member: int
) -> list[int]:
    """The union of each member's ``per_member`` likeliest titles of ``corpus`` (by presence,
    the model's "would watch"; ties by position), member by member in order of first appearance.
    ``targets[m][j]`` is member m's :class:`~model.recommender.Target` for ``corpus[j]``."""
    out: dict[int, None] = {}
    for member in targets:
        known = [(-t["presence"], j) for j, t in enumerate(member) if t is not None]
        for _, j in sorted(known)[:per_member]:
            out.setdefault(corpus[j], None)
    return list(out)


def _score(target: Target | None) -> float | None:
    return None if target is None else target["predicted_score"]


class TogetherService:
    """``/together``: who can take part, and the group's ranked picks."""

    def __init__(self, recommendations: RecommendationService) -> None:
        self.recommendations = recommendations
        self.pool = recommendations.pool
        self.accounts = recommendations.accounts
        self.catalog = recommendations.catalog

    async def group(
        self, caller: Invitee, invitees: Sequence[Invitee], config: GuildConfig
    ) -> tuple[list[tuple[GroupMember, list[ProfileEntry]]], list[LeftOut]]:
        """The members who take part (caller first) with their profiles, and who is left
        out. Raises for the caller's own problems, and when nobody else can take part."""
        account = await self.accounts.require(caller.discord_user_id)
        own = await self.accounts.profile(caller.discord_user_id)
        if not any(e.enters_input for e in own):
            raise EmptyProfile()
        members = [(GroupMember(caller.discord_user_id, caller.name, account), own)]
        left_out: list[LeftOut] = []
        seen = {caller.discord_user_id}
        for invitee in invitees:
            if invitee.discord_user_id in seen:
                continue
            seen.add(invitee.discord_user_id)
            joined = await self._join(invitee, caller.discord_user_id, config)
            if isinstance(joined, str):
                left_out.append(LeftOut(invitee.name, joined))
                continue
            member_account = joined
            entries = await self.accounts.profile(invitee.discord_user_id)
            if not any(e.enters_input for e in entries):
                left_out.append(LeftOut(invitee.name, "has no titles the model can use yet"))
                continue
            members.append(
                (GroupMember(invitee.discord_user_id, invitee.name, member_account), entries)
            )
        if len(members) < 2:
            why = left_out_sentence(left_out)
            raise GroupTooSmall(
                "A group needs at least one other member who has linked a list and shares "
                "their recommendations." + (f" {why}" if why else "")
            )
        return members[:MAX_MEMBERS], left_out

    async def _join(
        self, invitee: Invitee, caller_id: int, config: GuildConfig
    ) -> AccountView | str:
        """The invitee's account, or why they cannot take part."""
        if invitee.is_bot:
            return "is a bot"
        if not invitee.in_server:
            return "is not in this server"
        try:
            # The same rule as `/recommend member:` (their opt-in and the server's setting).
            return await self.recommendations.viewable_account(
                caller_id, invitee.discord_user_id, config
            )
        except NotLinked:
            return "has not linked a list"
        except NotShared:
            return "does not share their recommendations"

    async def picks(
        self,
        caller: Invitee,
        invitees: Sequence[Invitee],
        config: GuildConfig,
        *,
        k: int,
        media: str = "any",
        include_planned: bool = False,
    ) -> GroupPicks:
        """Who takes part (:meth:`group`), then their picks (:meth:`rank`)."""
        members, left_out = await self.group(caller, invitees, config)
        return await self.rank(
            members, left_out, config, k=k, media=media, include_planned=include_planned
        )

    async def rank(
        self,
        members: Sequence[tuple[GroupMember, list[ProfileEntry]]],
        left_out: Sequence[LeftOut],
        config: GuildConfig,
        *,
        k: int,
        media: str = "any",
        include_planned: bool = False,
    ) -> GroupPicks:
        """The group's ``k`` best titles (module docstring: candidates, scores, order)."""
        if media not in MEDIA_CHOICES:
            raise ValueError(f"media must be one of {sorted(MEDIA_CHOICES)}")
        recommender = self.pool.require()
        profiles = [entries for _, entries in members]
        watched: set[int] = set()
        for entries in profiles:
            watched.update(e.anime_id for e in entries if not (include_planned and e.is_planned))
        exclude = set(watched) | set(
            await self.recommendations.not_interested(m.discord_user_id for m, _ in members)
        )
        kinds = MEDIA_CHOICES[media]
        corpus = [
            anime_id
            for anime_id in recommender.corpus_ids.tolist()
            if anime_id not in exclude
            # Unknown NSFW status counts as NSFW where the server has not allowed it.
            and self.catalog.allowed(anime_id, config.allow_nsfw)
            and (
                kinds is None or str((recommender.item(anime_id) or {}).get("media_type")) in kinds
            )
        ]
        # One batched pass: every member's presence and predicted score for every candidate.
        _, found = await self.pool.run(
            recommender.recommend_batch,
            profiles,
            RecommendationQuery(0, explain=False, allow_nsfw=config.allow_nsfw),
            targets=[corpus] * len(profiles),
        )
        candidates = own_tops(corpus, [t or [] for t in found], POOL_PER_MEMBER)
        position = {anime_id: j for j, anime_id in enumerate(corpus)}
        scores = [[_score((member or [])[position[a]]) for a in candidates] for member in found]
        ranked = rank_group(candidates, scores, k=k)
        items = tuple(
            GroupPick(
                rank=i,
                anime=self.catalog.get(anime_id),
                mean=mean,
                scores=per_member,
                below_floor=below,
            )
            for i, (anime_id, mean, per_member, below) in enumerate(ranked, start=1)
        )
        return GroupPicks(
            members=tuple(m for m, _ in members),
            left_out=tuple(left_out),
            items=items,
            media=media,
            include_planned=include_planned,
        )
