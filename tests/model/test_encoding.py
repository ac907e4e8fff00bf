"""The serving encoder equals the foundation's encode_profile, entry for entry."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.encoding import encode_entries
from model.features import encode_profile
from model.profile import STATUSES, ProfileEntry

entry = st.builds(
    ProfileEntry,
    anime_id=st.integers(0, 60),
    score=st.integers(0, 10),
    status=st.one_of(st.none(), st.sampled_from(STATUSES)),
)
INDEX = {a: (a * 7) % 50 for a in range(50)}  # ids 50..60 are outside the corpus


@settings(max_examples=300, deadline=None)
@given(st.lists(entry, max_size=40))
def test_encode_entries_equals_encode_profile(entries: list[ProfileEntry]) -> None:
    want = encode_profile(entries, INDEX)
    got = encode_entries(entries, INDEX)
    for name in ("indices", "values", "scored", "planned", "excluded"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert got.normalizer == want.normalizer
    assert got.unknown_ids == want.unknown_ids
