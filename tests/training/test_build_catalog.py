"""python -m training build-catalog on a tiny catalog-2026 folder."""

from __future__ import annotations

from pathlib import Path

from model.catalog import Catalog, Relation
from training.catalog import build_catalog

ANIME = """anime_id,title,type,year,season,episodes,genres,tags,studios,nsfw,members,mean,\
mal_popularity_rank,mal_scored_by,mal_rating,aod_score,status,nsfw_evidence,meta_source
1,Cowboy Bebop,TV,1998,SPRING,26,action|Sci-Fi,space|jazz|rare tag,"sunrise, inc.",0,,8.75,40,900,,\
8.6,FINISHED,,aod
5,Cowboy Bebop: Tengoku no Tobira,MOVIE,2001,SUMMER,1,action,space|jazz,bones,0,,,,,,8.2,\
FINISHED,,aod
9,Adult Title,OVA,2014,WINTER,2,hentai,space,,1,,,,,,,FINISHED,malcache|hentai,aod
12,Mystery,ONA,,,,,,,,,,,,,,UPCOMING,,aod
"""
RELATIONS = """anime_id,related_id,relation,source,providers,n_providers
1,5,related,aod,anidb|myanimelist,2
5,1,related,aod,anidb|myanimelist,2
1,5,sequel,erengy,erengy,1
5,1,prequel,erengy,erengy,1
1,12,related,aod,anidb,1
12,1,related,aod,anidb,1
"""
FRANCHISE = "anime_id,franchise_id,franchise_size\n1,1,2\n5,1,2\n"
KAGGLE = """anime_id,name,genre,type,episodes,rating,members
1,Cowboy Bebop,"Action, Sci-Fi",TV,26,8.82,486824
20,Naruto,"Action, Comedy, Shounen",TV,220,7.81,683297
30,Some &amp; Hentai,"Hentai",OVA,Unknown,6.1,100
"""


def _folder(tmp_path: Path) -> Path:
    source = tmp_path / "catalog-2026"
    source.mkdir()
    (source / "anime.csv").write_text(ANIME, encoding="utf-8")
    (source / "relations.csv").write_text(RELATIONS, encoding="utf-8")
    (source / "franchise.csv").write_text(FRANCHISE, encoding="utf-8")
    (tmp_path / "kaggle.csv").write_text(KAGGLE, encoding="utf-8")
    return source


def test_build_reads_titles_relations_and_franchises(tmp_path: Path) -> None:
    catalog = build_catalog(_folder(tmp_path), min_tag_titles=2)
    assert catalog.ids.tolist() == [1, 5, 9, 12]
    bebop = catalog.get(1)
    assert bebop is not None
    assert (bebop.type, bebop.year, bebop.season, bebop.episodes) == ("tv", 1998, "spring", 26)
    assert bebop.genres == ("action", "sci-fi")
    assert bebop.tags == ("jazz", "space")  # "rare tag" is on one title only
    assert bebop.studios == ("sunrise, inc.",)
    assert (bebop.mean, bebop.scored_by, bebop.popularity_rank, bebop.aod_score) == (
        8.75,
        900,
        40,
        8.6,
    )
    assert catalog.nsfw_status.tolist() == [0, 0, 1, -1]
    assert catalog.get(12).status == "upcoming"  # type: ignore[union-attr]
    # the typed pair wins over the untyped one, and keeps MAL's assertion
    assert catalog.relations(1) == (Relation(5, "sequel", True), Relation(12, "related", False))
    assert catalog.relations(5) == (Relation(1, "prequel", True),)
    assert (catalog.franchise(5), catalog.franchise(9)) == (1, None)


def test_kaggle_titles_fill_what_the_catalog_lacks(tmp_path: Path) -> None:
    catalog = build_catalog(_folder(tmp_path), kaggle_anime=tmp_path / "kaggle.csv")
    assert catalog.ids.tolist() == [1, 5, 9, 12, 20, 30]
    assert catalog.get(1).mean == 8.75  # type: ignore[union-attr]  # catalog-2026 wins
    naruto = catalog.get(20)
    assert naruto is not None
    assert (naruto.type, naruto.episodes, naruto.mean, naruto.nsfw) == ("tv", 220, 7.81, None)
    adult = catalog.get(30)
    assert adult is not None
    assert (adult.title, adult.episodes, adult.nsfw) == ("Some & Hentai", None, True)


def test_command_writes_a_loadable_file(tmp_path: Path) -> None:
    from training.__main__ import main

    out = tmp_path / "out" / "catalog.npz"
    code = main(["build-catalog", "--source", str(_folder(tmp_path)), "--out", str(out)])
    assert code == 0
    assert len(Catalog.load(out)) == 4
    assert main(["build-catalog", "--source", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
