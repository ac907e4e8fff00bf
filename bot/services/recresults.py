"""What :class:`bot.services.recommendations.RecommendationService` answers: plain data for the
cogs to render (:mod:`bot.render`), no discord."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.accounts import AccountView
from bot.services.catalog import AnimeInfo


@dataclass(frozen=True, slots=True)
class RecommendedTitle:
    rank: int
    anime: AnimeInfo
    score: float
    predicted_score: float  # 1–10
    match: float  # 0–1: this title's score relative to the best one in the list
    planned: bool  # on the member's plan-to-watch
    because: tuple[AnimeInfo, ...]  # entries that push it up most
    reasons: tuple[str, ...] = ()  # why, in words (the catalog side channel: "sequel of X, ...")
    source: str = "model"  # "catalog": ranked by the side channel, predicted_score = MAL mean
    more: int = 0  # other titles of its franchise this line stands for


@dataclass(frozen=True, slots=True)
class Recommendations:
    account: AccountView
    items: tuple[RecommendedTitle, ...]
    media: str
    include_planned: bool
    unknown_count: int  # list entries outside the model's corpus
    known_count: int | None = None  # entries the network reads (None: no model to ask)


@dataclass(frozen=True, slots=True)
class Influence:
    anime: AnimeInfo
    effect: float  # > 0 pushes the title up
    share: float | None = None  # effect as a fraction of the title's score, when known


@dataclass(frozen=True, slots=True)
class WhyResult:
    account: AccountView
    anime: AnimeInfo
    in_corpus: bool
    on_list: bool
    rank: int | None
    predicted_score: float | None
    user_score: int | None
    surprise: float | None
    pushes_up: tuple[Influence, ...]
    pushes_down: tuple[Influence, ...]
    source: str = "model"  # "catalog": placed by the side channel, predicted_score = MAL mean
    reasons: tuple[str, ...] = ()  # the side channel's, in words


@dataclass(frozen=True, slots=True)
class SimilarResult:
    anime: AnimeInfo
    in_corpus: bool
    items: tuple[tuple[AnimeInfo, float], ...]


@dataclass(frozen=True, slots=True)
class Surprise:
    anime: AnimeInfo
    user_score: int
    predicted_score: float


@dataclass(frozen=True, slots=True)
class ProfileInsightsView:
    most_impactful: tuple[Influence, ...]
    most_surprising: tuple[Surprise, ...]
    unknown_count: int
