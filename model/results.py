"""What the recommender returns: plain frozen dataclasses, rendered by the bot and the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Contributor:
    """One profile entry's effect on a score: the score drop when the entry is left out.

    ``effect > 0``: the entry pushes the title up ("because you watched"); ``< 0``: down.
    """

    anime_id: int
    effect: float


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A ranked title: unified ``score``, presence probability and predicted score (1–10).

    ``source`` is "model" for a title the network ranks, "catalog" for one the side channel
    ranks (:mod:`model.coldstart`; its score is on the same scale, its presence is the score
    and its predicted score the title's mean score); ``reasons`` say why in words; ``more``
    counts the other candidates of its franchise that this line stands for.
    """

    anime_id: int
    score: float
    presence: float
    predicted_score: float
    contributors: tuple[Contributor, ...] = ()
    source: str = "model"
    reasons: tuple[str, ...] = ()
    more: int = 0


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a title ranks where it does for a profile.

    ``rank`` is 1-based among candidate titles (in the corpus, not on the list); None for titles
    on the list or outside the corpus. For a title that is in the model's input, ``score``,
    ``presence`` and ``predicted_score`` are what the model says with that entry left out, so
    ``surprise = user_score − predicted_score`` compares the user's score with an honest guess.
    ``contributors`` are the entries with the largest |effect|, up or down.

    ``source`` "catalog": a catalog title outside the corpus, explained by the side channel
    (:mod:`model.coldstart`): ``rank`` is its line's in the mixed ranking, ``score`` and
    ``presence`` its calibrated score, ``predicted_score`` its mean score (None without one),
    ``reasons`` why in words.
    """

    anime_id: int
    in_corpus: bool
    on_list: bool
    rank: int | None
    score: float | None
    presence: float | None
    predicted_score: float | None
    user_score: int | None
    surprise: float | None
    contributors: tuple[Contributor, ...]
    source: str = "model"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfileInsights:
    """Profile-level explanations.

    ``most_impactful``: entries with the largest total effect over the top recommendations.
    ``most_surprising``: (anime_id, user_score, predicted_score) for scored entries, furthest
    first, where the prediction is made with that entry left out.
    ``unknown_ids``: ids on the list that are not in the model's corpus (ignored).
    """

    most_impactful: tuple[Contributor, ...]
    most_surprising: tuple[tuple[int, int, float], ...]
    unknown_ids: tuple[int, ...]
