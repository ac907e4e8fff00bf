"""A batch encodes each profile as if alone, with either corpus lookup."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.encoding import CorpusIndex, encode_batch, encode_profile
from model.features import EncodedProfile
from model.profile import STATUSES, ProfileEntry

entry = st.builds(
    ProfileEntry,
    anime_id=st.integers(0, 60),
    score=st.integers(0, 10),
    status=st.one_of(st.none(), st.sampled_from(STATUSES)),
)
CORPUS = np.asarray([(p * 7 + 3) % 50 for p in range(50)])  # ids 50..60 are outside the corpus
INDEX = {int(a): p for p, a in enumerate(CORPUS)}


def assert_same(got: EncodedProfile, want: EncodedProfile) -> None:
    for name in ("indices", "values", "scored", "planned", "excluded"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert got.normalizer == want.normalizer
    assert got.unknown_ids == want.unknown_ids


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(entry, max_size=30), max_size=6))
def test_encode_batch_equals_encode_profile(profiles: list[list[ProfileEntry]]) -> None:
    got = encode_batch(profiles, CorpusIndex(CORPUS))
    by_mapping = encode_batch(profiles, INDEX)
    assert len(got) == len(by_mapping) == len(profiles)
    for g, m, p in zip(got, by_mapping, profiles, strict=True):
        want = encode_profile(p, INDEX)
        assert_same(g, want)
        assert_same(m, want)


def test_encode_batch_long_lists_and_large_ids() -> None:
    rng = np.random.default_rng(0)
    corpus = rng.choice(10**6, 3000, replace=False)
    index = {int(a): p for p, a in enumerate(corpus)}
    profiles = []
    for size in (0, 1, 150, 2000):
        ids = rng.choice(np.append(corpus, [10**7, 10**7 + 1]), size)  # repeats and unknowns
        profiles.append(
            [ProfileEntry(int(a), int(rng.integers(0, 11)), STATUSES[rng.integers(5)]) for a in ids]
        )
    got = encode_batch(profiles, CorpusIndex(corpus))
    for g, p in zip(got, profiles, strict=True):
        assert_same(g, encode_profile(p, index))
    assert got[3].unknown_ids  # the unknown ids were drawn and are reported


def test_corpus_index_positions() -> None:
    corpus = np.asarray([30, 10, 20])
    found = CorpusIndex(corpus).positions(np.asarray([10, 20, 30, 5, 40, 25]))
    assert found.tolist() == [1, 2, 0, -1, -1, -1]
    assert CorpusIndex(np.zeros(0, dtype=np.int64)).positions(np.asarray([1])).tolist() == [-1]
