"""Every anime MAL knows: the shipped catalog and its updates (NumPy only).

``Catalog.load()`` reads the file shipped with the project (``model/data/catalog.npz``);
``Catalog.from_titles`` builds one from records (tests, the builder); ``with_updates`` merges MAL's
details. See :mod:`model.catalog.catalog` for the API and :mod:`model.catalog.columns` for the file.
"""

from model.catalog.catalog import SHIPPED_PATH, Catalog
from model.catalog.columns import FORMAT_VERSION, CatalogError
from model.catalog.ragged import Incidence
from model.catalog.titles import (
    RELATION_KINDS,
    SEASONS,
    STATUSES,
    CatalogTitle,
    Relation,
    RelationKind,
    normalize_season,
    normalize_status,
    normalize_terms,
    normalize_type,
    nsfw_from_mal,
)

__all__ = [
    "FORMAT_VERSION",
    "RELATION_KINDS",
    "SEASONS",
    "SHIPPED_PATH",
    "STATUSES",
    "Catalog",
    "CatalogError",
    "CatalogTitle",
    "Incidence",
    "Relation",
    "RelationKind",
    "normalize_season",
    "normalize_status",
    "normalize_terms",
    "normalize_type",
    "nsfw_from_mal",
]
