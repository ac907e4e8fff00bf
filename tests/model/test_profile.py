"""ProfileEntry's validation and status rule; dedupe's one rule for duplicates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.profile import ProfileEntry, dedupe


def test_status_rule() -> None:
    keep = [
        ProfileEntry(1, 8, "plan_to_watch"),
        ProfileEntry(2, 0, "completed"),
        ProfileEntry(3, 0, "watching"),
        ProfileEntry(4, 0, "dropped"),
        ProfileEntry(5, 0, None),
        ProfileEntry(6, 3, "on_hold"),
    ]
    drop = [ProfileEntry(7, 0, "plan_to_watch"), ProfileEntry(8, 0, "on_hold")]
    assert all(e.enters_input for e in keep)
    assert not any(e.enters_input for e in drop)


def test_profile_entry_validates() -> None:
    with pytest.raises(ValueError, match="score"):
        ProfileEntry(1, 11)
    with pytest.raises(ValueError, match="status"):
        ProfileEntry(1, 5, "finished")


def test_dedupe_keeps_the_last_row_in_its_place() -> None:
    rows = [ProfileEntry(1, 3), ProfileEntry(2, 4), ProfileEntry(1, 8), ProfileEntry(3, 1)]
    assert dedupe(rows) == [ProfileEntry(2, 4), ProfileEntry(1, 8), ProfileEntry(3, 1)]
    assert dedupe(iter(rows[:2])) == rows[:2]
    assert dedupe([]) == []


@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 10))))
def test_dedupe_drops_exactly_the_rows_listed_again_later(pairs: list[tuple[int, int]]) -> None:
    rows = [ProfileEntry(a, s) for a, s in pairs]
    want = [e for i, e in enumerate(rows) if all(f.anime_id != e.anime_id for f in rows[i + 1 :])]
    assert dedupe(rows) == want
    assert dedupe(want) == want
