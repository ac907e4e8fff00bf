"""The encoder against its spec, written entry by entry with the pieces it is built from."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.encoding import encode_profile
from model.features import EncodedProfile, RatingNormalizer
from model.profile import STATUSES, ProfileEntry, dedupe

entry = st.builds(
    ProfileEntry,
    anime_id=st.integers(0, 60),
    score=st.integers(0, 10),
    status=st.one_of(st.none(), st.sampled_from(STATUSES)),
)
INDEX = {a: (a * 7) % 50 for a in range(50)}  # ids 50..60 are outside the corpus


def spec(entries: list[ProfileEntry], index: dict[int, int]) -> EncodedProfile:
    """DESIGN.md's rule one entry at a time: dedupe, corpus lookup, status rule, hybrid values."""
    listed = dedupe(entries)
    known = sorted((index[e.anime_id], e) for e in listed if e.anime_id in index)
    inputs = [(p, e) for p, e in known if e.enters_input]
    norm = RatingNormalizer.from_scores([e.score for _, e in inputs])
    values = [
        norm.normalize(e.score) if e.is_scored else norm.unscored_value(e.status) for _, e in inputs
    ]
    return EncodedProfile(
        indices=np.asarray([p for p, _ in inputs], dtype=np.int64),
        values=np.asarray(values, dtype=np.float64).astype(np.float32),
        scored=np.asarray([e.is_scored for _, e in inputs], dtype=bool),
        planned=np.asarray([p for p, e in known if e.is_planned], dtype=np.int64),
        excluded=np.asarray([p for p, _ in known], dtype=np.int64),
        normalizer=norm,
        unknown_ids=tuple(e.anime_id for e in listed if e.anime_id not in index),
    )


def assert_same(got: EncodedProfile, want: EncodedProfile) -> None:
    for name in ("indices", "values", "scored", "planned", "excluded"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)  # equal, not close
    assert got.normalizer == want.normalizer
    assert got.unknown_ids == want.unknown_ids


@settings(max_examples=300, deadline=None)
@given(st.lists(entry, max_size=40))
def test_encode_profile_equals_the_spec(entries: list[ProfileEntry]) -> None:
    assert_same(encode_profile(entries, INDEX), spec(entries, INDEX))


def test_hand_built_list() -> None:
    entries = [
        ProfileEntry(3, 9, "completed"),
        ProfileEntry(1, 0, "dropped"),
        ProfileEntry(55, 7, "completed"),  # outside the corpus
        ProfileEntry(4, 0, "plan_to_watch"),  # known, not input
        ProfileEntry(5, 0, "on_hold"),  # known, not input
        ProfileEntry(2, 5, "completed"),
        ProfileEntry(3, 8, "watching"),  # the later row wins
    ]
    enc = encode_profile(entries, {i: i - 1 for i in range(1, 6)})
    assert enc.indices.tolist() == [0, 1, 2]
    assert enc.scored.tolist() == [False, True, True]
    assert enc.planned.tolist() == [3]
    assert enc.excluded.tolist() == [0, 1, 2, 3, 4]
    assert enc.unknown_ids == (55,)
    assert enc.normalizer == RatingNormalizer.from_scores([5, 8])
    want = [enc.normalizer.unscored_value("dropped"), *enc.normalizer.normalize([5, 8])]
    np.testing.assert_array_equal(enc.values, np.asarray(want, dtype=np.float32))
