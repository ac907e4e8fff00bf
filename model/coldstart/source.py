"""What the side channel reads of the catalog: the shape of ``model.catalog.Catalog``.

A protocol, so tests can hand-build a small catalog and the side channel does not depend on how
the shipped catalog is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class TitleLike(Protocol):
    """One catalog title (``model.catalog.CatalogTitle``)."""

    @property
    def anime_id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def type(self) -> str | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def season(self) -> str | None: ...
    @property
    def genres(self) -> Sequence[str]: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def studios(self) -> Sequence[str]: ...
    @property
    def nsfw(self) -> bool | None: ...
    @property
    def mean(self) -> float | None: ...
    @property
    def scored_by(self) -> int | None: ...


class RelationLike(Protocol):
    """A link to another title: ``kind`` is 'sequel', 'prequel' or 'related' (untyped);
    ``mal_asserted`` when MAL's own related list has it."""

    @property
    def other_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def mal_asserted(self) -> bool: ...


class CatalogSource(Protocol):
    """Every anime MAL knows, with relations and NSFW status."""

    @property
    def ids(self) -> np.ndarray: ...

    def get(self, anime_id: int) -> TitleLike | None: ...

    def relations(self, anime_id: int) -> Sequence[RelationLike]: ...

    def nsfw_allowed_mask(self, allow_nsfw: bool) -> np.ndarray: ...
