"""The CooperUnion loader: values, −1 as unscored, errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from training.data.kaggle import load_anime, load_profiles, load_ratings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ratings_become_profiles(tmp_path: Path) -> None:
    path = write(tmp_path / "rating.csv", "user_id,anime_id,rating\n2,5,8\n1,7,-1\n2,9,10\n1,5,3\n")
    table = load_ratings(path)
    assert len(table) == 4
    profiles = load_profiles(path)
    assert list(profiles) == [2, 1]  # first-seen order
    assert profiles[2] == [ProfileEntry(5, 8), ProfileEntry(9, 10)]
    assert profiles[1] == [ProfileEntry(7, 0, None), ProfileEntry(5, 3)]


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("1,5,8\n1,6,11\n", 3, "rating must be 1-10"),
        ("1,5,8\n1,x,8\n", 3, "non-integer"),
        ("1,5\n", 2, "expected 3 fields"),
        ("1,5,8\n2,0,8\n", 3, "invalid id"),
        ("1,5,8\n1,6,0\n", 3, "rating must be"),
    ],
)
def test_malformed_rows_name_file_and_line(
    tmp_path: Path, body: str, line: int, needle: str
) -> None:
    path = write(tmp_path / "rating.csv", "user_id,anime_id,rating\n" + body)
    with pytest.raises(ListFormatError) as info:
        load_ratings(path)
    assert info.value.line == line
    assert str(path) in str(info.value) and f"line {line}" in str(info.value)
    assert needle in str(info.value)


def test_bad_header_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "rating.csv", "user,anime,score\n1,2,3\n")
    with pytest.raises(ListFormatError, match="line 1"):
        load_ratings(path)
    with pytest.raises(ListFormatError, match="cannot open"):
        load_ratings(tmp_path / "missing.csv")


def test_anime_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path / "anime.csv",
        "anime_id,name,genre,type,episodes,rating,members\n"
        '5114,Fullmetal Alchemist: Brotherhood,"Action, Drama",TV,64,9.26,793665\n'
        '30,"Film, the",,Movie,Unknown,,12\n'
        "31,Nameless,Music,,1,7.5,3\n",
    )
    anime = load_anime(path)
    fma = anime[5114]
    assert (fma.name, fma.media_type, fma.episodes, fma.members) == (
        "Fullmetal Alchemist: Brotherhood",
        "tv",
        64,
        793665,
    )
    assert fma.genres == ("Action", "Drama")
    assert anime[30].name == "Film, the" and anime[30].episodes is None and anime[30].mean is None
    assert anime[31].media_type == "unknown"
    bad = write(
        tmp_path / "bad.csv",
        "anime_id,name,genre,type,episodes,rating,members\n1,A,,TV,many,1,1\n",
    )
    with pytest.raises(ListFormatError, match=r"bad\.csv, line 2"):
        load_anime(bad)
