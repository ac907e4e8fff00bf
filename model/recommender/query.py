"""The options of one recommendation request, as one hashable value, and a memo of what is
derived from them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

FRANCHISE_MODES = ("new", "continue", "any")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


@dataclass(frozen=True, slots=True, init=False)
class RecommendationQuery:
    """What to recommend: how many titles, which media types, what to leave out, whether to
    explain.

    ``media`` None keeps every media type (names match case-insensitively; one bare string is
    one type); ``include_planned`` lets titles on the plan-to-watch list through; ``exclude``
    holds MAL ids never to return (e.g. NSFW titles); ``explain`` attaches each title's
    "because you watched" contributors (one holdout pass per profile). Equal queries are equal
    and hash alike, so concurrent requests with the same options can share a batch.
    """

    k: int
    media: frozenset[str] | None
    include_planned: bool
    exclude: frozenset[int]
    explain: bool
    franchise: str
    allow_nsfw: bool
    franchise_rules: bool

    def __init__(
        self,
        k: int = 10,
        *,
        media: Collection[str] | None = None,
        include_planned: bool = False,
        exclude: Collection[int] = (),
        explain: bool = True,
        franchise: str = "any",
        allow_nsfw: bool = False,
        franchise_rules: bool = True,
    ) -> None:
        if franchise not in FRANCHISE_MODES:
            raise ValueError(f"franchise must be one of {FRANCHISE_MODES}, got {franchise!r}")
        if isinstance(media, str):  # one type given bare, not as a collection of characters
            media = (media,)
        object.__setattr__(self, "k", int(k))
        object.__setattr__(self, "media", frozenset(media) if media is not None else None)
        object.__setattr__(self, "include_planned", bool(include_planned))
        # A frozenset is kept as given: the bot passes the same set of thousands of NSFW ids
        # on every call, and copying it (and hashing the copy again) showed in its profile.
        kept = exclude if type(exclude) is frozenset else frozenset(int(a) for a in exclude)
        object.__setattr__(self, "exclude", kept)
        object.__setattr__(self, "explain", bool(explain))
        object.__setattr__(self, "franchise", franchise)
        object.__setattr__(self, "allow_nsfw", bool(allow_nsfw))
        object.__setattr__(self, "franchise_rules", bool(franchise_rules))


class QueryMemo(Generic[K, V]):
    """Values derived from a few fields of a query (e.g. the mask of its ``exclude`` ids),
    computed once per distinct key and kept for the next calls.

    Requests repeat the same options (the bot's NSFW ids are one set for every member), and
    deriving from a set of thousands of ids costs more than the rest of a candidate filter.
    At most ``size`` keys are kept (the oldest goes first). Threads may share a memo: a race
    computes a value twice, never a wrong one, and a stored value must not be modified.
    """

    def __init__(self, compute: Callable[[K], V], size: int = 8) -> None:
        self._compute = compute
        self._size = size
        self._values: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        found = self._values.get(key, _MISSING)
        if found is not _MISSING:
            return cast(V, found)
        value = self._compute(key)
        while len(self._values) >= self._size:
            try:
                self._values.pop(next(iter(self._values)), None)
            except (StopIteration, RuntimeError):  # emptied or changed by another thread
                break
        self._values[key] = value
        return value
