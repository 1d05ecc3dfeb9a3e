"""SICK: the file's counts, and the seeded split (sizes, determinism, disjointness, errors)."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import data_dir_or_skip

from dlnotes.data.sick import LABELS, SICK_SIZES, load_sick, sick_pairs


def test_sick_has_the_semeval_counts_and_labels():
    data_dir_or_skip()
    pairs = sick_pairs()
    assert len(pairs) == 9_927 == sum(SICK_SIZES.values())
    counts = Counter(LABELS[label] for _, _, label in pairs)
    assert counts == {"entailment": 2_857, "neutral": 5_611, "contradiction": 1_459}
    assert pairs[0][0].startswith("A group of kids is playing in a yard")
    assert all(p and h and p == p.strip() and h == h.strip() for p, h, _ in pairs)


def test_split_has_the_official_sizes_and_valid_labels():
    data_dir_or_skip()
    split = load_sick(seed=0)
    assert list(split) == ["train", "valid", "test"]
    assert {k: len(v) for k, v in split.items()} == SICK_SIZES == {"train": 4_500, "valid": 500, "test": 4_927}
    for part in split.values():
        assert all(isinstance(y, int) and 0 <= y < len(LABELS) for _, _, y in part)


def test_split_is_deterministic_under_a_seed_and_changes_with_it():
    data_dir_or_skip()
    assert load_sick(seed=0) == load_sick(seed=0)
    assert load_sick(seed=0)["test"] != load_sick(seed=1)["test"]


def test_split_is_disjoint_and_covers_every_row():
    data_dir_or_skip()
    split = load_sick(seed=3)
    everything = Counter(sick_pairs())
    assert sum(map(Counter, split.values()), Counter()) == everything  # a partition of the rows
    texts = {k: {(p, h) for p, h, _ in v} for k, v in split.items()}
    assert not texts["train"] & texts["valid"]
    assert not texts["train"] & texts["test"]
    assert not texts["valid"] & texts["test"]


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)])
def test_bad_seed_raises(seed, error):
    with pytest.raises(error, match="seed must be"):
        load_sick(seed=seed)
