"""model.catalog: lookups, NSFW masks, relations, features, file, updates (small catalogs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.catalog import Catalog, CatalogError, CatalogTitle, Relation, nsfw_from_mal
from model.catalog.columns import FORMAT_VERSION


def _titles() -> list[CatalogTitle]:
    return [
        CatalogTitle(
            30,
            "Shingeki no Kyojin",
            title_english="Attack on Titan",
            synonyms=("AoT", "SnK"),
            type="tv",
            year=2013,
            season="spring",
            episodes=25,
            genres=("Action", "Drama"),
            tags=("Titans", "military"),
            studios=("Wit Studio",),
            nsfw=False,
            mean=8.5,
            scored_by=1000,
            popularity_rank=1,
            aod_score=8.4,
            status="finished",
        ),
        CatalogTitle(10, "Hentai One", type="ova", genres=("hentai",), nsfw=True),
        CatalogTitle(20, "Mystery Box", type="ona", genres=("drama",)),  # nsfw unknown
        CatalogTitle(40, "Shingeki no Kyojin Season 2", type="tv", year=2017, nsfw=False),
    ]


def _relations() -> dict[int, list[Relation]]:
    return {
        30: [Relation(40, "sequel", True), Relation(20, "related", False)],
        40: [Relation(30, "prequel", True)],
        20: [Relation(30, "related", False)],
    }


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.from_titles(_titles(), _relations(), {30: 7, 40: 7})


def test_lookup_in_id_order(catalog: Catalog) -> None:
    assert len(catalog) == 4
    assert catalog.ids.tolist() == [10, 20, 30, 40]
    assert catalog.ids.dtype == np.int64
    assert 30 in catalog and 31 not in catalog and "30" not in catalog
    assert catalog.row(30) == 2
    with pytest.raises(KeyError):
        catalog.row(31)
    assert catalog.rows([40, 5, 10]).tolist() == [3, -1, 0]
    assert catalog.get(31) is None


def test_get_round_trips_every_field(catalog: Catalog) -> None:
    title = catalog.get(30)
    assert title == CatalogTitle(
        30,
        "Shingeki no Kyojin",
        title_english="Attack on Titan",
        synonyms=("AoT", "SnK"),
        type="tv",
        year=2013,
        season="spring",
        episodes=25,
        genres=("action", "drama"),
        tags=("military", "titans"),
        studios=("wit studio",),
        nsfw=False,
        mean=8.5,
        scored_by=1000,
        popularity_rank=1,
        aod_score=8.4,
        status="finished",
    )
    sparse = catalog.get(20)
    assert sparse is not None
    assert (sparse.nsfw, sparse.year, sparse.mean, sparse.title_english) == (None, None, None, None)


def test_unknown_nsfw_counts_as_nsfw_unless_allowed(catalog: Catalog) -> None:
    assert catalog.nsfw_allowed_mask(False).tolist() == [False, False, True, True]
    assert catalog.nsfw_allowed_mask(True).all()
    assert catalog.is_safe(30)
    assert not catalog.is_safe(10)  # NSFW
    assert not catalog.is_safe(20)  # unknown
    assert not catalog.is_safe(999)  # not in the catalog
    assert catalog.allowed(999, allow_nsfw=True)
    assert catalog.nsfw_status.tolist() == [1, -1, 0, 0]


def test_arrays_are_read_only(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="read-only"):
        catalog.ids[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        catalog.nsfw_status[1] = 0


def test_relations_and_franchise(catalog: Catalog) -> None:
    assert catalog.relations(30) == (Relation(40, "sequel", True), Relation(20, "related", False))
    assert catalog.relations(999) == ()
    assert catalog.franchise(40) == 7
    assert catalog.franchise(20) is None
    indptr, others, kinds, mal = catalog.relation_arrays()
    row = catalog.row(30)
    assert others[indptr[row] : indptr[row + 1]].tolist() == [40, 20]
    assert kinds[indptr[row] : indptr[row + 1]].tolist() == [1, 0]
    assert mal[indptr[row] : indptr[row + 1]].tolist() == [True, False]


def test_feature_matrices(catalog: Catalog) -> None:
    genres = catalog.genre_matrix
    assert genres.shape == (4, 3)
    assert genres.vocabulary == ("action", "drama", "hentai")
    assert genres.dense().tolist() == [[0, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]]
    assert genres.dense(np.array([2])).tolist() == [[1, 1, 0]]
    assert genres.terms(catalog.row(30)) == ("action", "drama")
    assert genres.column("Drama") == 1
    assert genres.counts().tolist() == [1, 2, 1]
    assert catalog.studio_matrix.dense().sum() == 1
    assert catalog.years.tolist() == [-1, -1, 2013, 2017]
    assert catalog.type_vocabulary[catalog.type_codes[catalog.row(10)]] == "ova"


def test_file_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "catalog.npz"
    catalog.save(path)
    loaded = Catalog.load(path)
    assert list(loaded) == list(catalog)
    assert [loaded.relations(i) for i in loaded.ids.tolist()] == [
        catalog.relations(i) for i in catalog.ids.tolist()
    ]
    assert loaded.franchise_ids.tolist() == catalog.franchise_ids.tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.npz"]  # no temporary left


def test_empty_catalog_round_trips(tmp_path: Path) -> None:
    Catalog.empty().save(tmp_path / "e.npz")
    empty = Catalog.load(tmp_path / "e.npz")
    assert len(empty) == 0
    assert empty.rows([1]).tolist() == [-1]
    assert empty.nsfw_allowed_mask(False).shape == (0,)


def test_bad_files_say_what_is_wrong(tmp_path: Path, catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="no catalog file"):
        Catalog.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(CatalogError, match="not a readable catalog"):
        Catalog.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "old.npz", format_version=np.int64(FORMAT_VERSION + 1))
    with pytest.raises(CatalogError, match="catalog format"):
        Catalog.load(tmp_path / "old.npz")
    np.savez(tmp_path / "partial.npz", format_version=np.int64(FORMAT_VERSION))
    with pytest.raises(CatalogError, match="lacks 'ids'"):
        Catalog.load(tmp_path / "partial.npz")


def test_shipped_catalog_loads() -> None:
    shipped = Catalog.load()
    assert len(shipped) > 25_000
    assert 52991 in shipped and shipped.is_safe(52991)
    assert not shipped.is_safe(21521)  # Hentai
    assert Relation(40748, "prequel", True) in shipped.relations(51009)


def test_nsfw_from_mal() -> None:
    assert nsfw_from_mal("white") is False
    assert nsfw_from_mal("gray") is True
    assert nsfw_from_mal("black") is True
    assert nsfw_from_mal(None) is None
    assert nsfw_from_mal("") is None


def test_updates_fill_in_and_keep_the_rest(catalog: Catalog) -> None:
    updated = catalog.with_updates(
        [
            CatalogTitle(
                20, "Mystery Box", title_english="The Box", genres=("Mystery",), nsfw=False
            ),
            CatalogTitle(50, "New Show", type="tv", year=2026, season="winter", nsfw=None),
        ]
    )
    assert catalog.get(20).nsfw is None  # type: ignore[union-attr]  # the old one is unchanged
    box = updated.get(20)
    assert box is not None
    assert (box.nsfw, box.title_english, box.type, box.genres) == (
        False,
        "The Box",
        "ona",
        ("mystery",),
    )
    assert updated.ids.tolist() == [10, 20, 30, 40, 50]
    assert updated.is_safe(20) and not updated.is_safe(50)
    assert updated.relations(30) == catalog.relations(30)
    assert updated.franchise(40) == 7
    assert "mystery" in updated.genre_matrix.vocabulary
    assert updated.genre_matrix.terms(updated.row(30)) == ("action", "drama")


def test_update_nsfw_unknown_keeps_known_status(catalog: Catalog) -> None:
    updated = catalog.with_updates([CatalogTitle(10, "Hentai One", nsfw=None)])
    assert updated.get(10).nsfw is True  # type: ignore[union-attr]


def test_update_relations_are_mirrored_and_franchise_inherited(catalog: Catalog) -> None:
    updated = catalog.with_updates(
        [CatalogTitle(50, "Shingeki no Kyojin Season 3", type="tv", nsfw=False)],
        relations={50: [Relation(40, "prequel", True), Relation(50, "related", True)]},
    )
    assert updated.relations(50) == (Relation(40, "prequel", True),)  # self-link dropped
    assert Relation(50, "sequel", True) in updated.relations(40)
    assert Relation(30, "prequel", True) in updated.relations(40)
    assert updated.franchise(50) == 7
    # a typed link replaces an untyped one for the same pair, on both sides
    retyped = updated.with_updates([], relations={20: [Relation(30, "prequel", True)]})
    assert retyped.relations(20) == (Relation(30, "prequel", True),)
    assert Relation(20, "sequel", True) in retyped.relations(30)
    assert Relation(20, "related", False) not in retyped.relations(30)


def test_no_updates_is_the_same_catalog(catalog: Catalog) -> None:
    assert catalog.with_updates([]) is catalog
