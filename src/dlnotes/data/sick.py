r"""SICK, the natural-language-inference data of chapter 15 (d2l §15.4 uses SNLI, not mirrored here).

``SICK.txt`` is the SemEval-2014 Task 1 release of SICK (Marelli et al. 2014): a tab-separated file
with the header ``pair_ID  sentence_A  sentence_B  relatedness_score  entailment_judgment`` and
9,927 sentence pairs labelled ``NEUTRAL`` (5,611), ``ENTAILMENT`` (2,857) or ``CONTRADICTION``
(1,459). That is SemEval's train (4,500) + trial (500) + test (4,927) pairs; the authors' release on
Zenodo (record 2787612) has 87 pairs fewer, 9,840 (5,595 / 2,821 / 1,424). Our copy has **no** ``SemEval_set`` column, so
:func:`load_sick` draws a seeded split at SemEval's sizes (:data:`SICK_SIZES`).

72 premise/hypothesis texts occur more than once (157 rows, under different pair IDs); the split
keeps all rows of one text pair in the same part, so no test pair is seen verbatim in training.
Sentences are returned as in the file (trailing spaces stripped); tokenising is the caller's job.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import torch

from ..seed import data_generator
from .store import DataFile, fetch

__all__ = ["SICK", "LABELS", "SICK_SIZES", "sick_pairs", "load_sick"]

SICK = DataFile("SICK.txt", "https://raw.githubusercontent.com/praguna/sick_dataset/master/SICK.txt",
                "ba190cdd30695b0c62a6c462748ab92c4ec81811")

LABELS = ("entailment", "neutral", "contradiction")
SICK_SIZES = {"train": 4_500, "valid": 500, "test": 4_927}  # SemEval-2014 train / trial / test

_HEADER = ["pair_ID", "sentence_A", "sentence_B", "relatedness_score", "entailment_judgment"]

Pair = tuple[str, str, int]


@lru_cache(maxsize=1)
def _read() -> tuple[Pair, ...]:
    lines = fetch(SICK).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != _HEADER:
        raise ValueError(f"{SICK.name}: expected the header {_HEADER}, got {lines[:1]}")
    label_of = {name.upper(): i for i, name in enumerate(LABELS)}
    pairs = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(_HEADER):
            raise ValueError(f"{SICK.name} line {number}: {len(fields)} fields instead of {len(_HEADER)}")
        if fields[4] not in label_of:
            raise ValueError(f"{SICK.name} line {number}: unknown label {fields[4]!r}")
        pairs.append((fields[1].strip(), fields[2].strip(), label_of[fields[4]]))
    return tuple(pairs)


def sick_pairs() -> list[Pair]:
    """All 9,927 ``(premise, hypothesis, label)`` pairs in file order; ``label`` indexes :data:`LABELS`."""
    return list(_read())


# --8<-- [start:split]
def load_sick(seed: int = 0) -> dict[str, list[Pair]]:
    """A seeded split of SICK into ``"train"``, ``"valid"``, ``"test"`` at SemEval's sizes
    (4,500 / 500 / 4,927), each a list of ``(premise, hypothesis, label)``.

    The rows are grouped by their text pair; the groups are shuffled with
    ``dlnotes.seed.data_generator(seed)`` and dealt in that order to train, then valid, then test,
    a group going to the first part with room for all its rows. The parts are disjoint (also in
    text), the same seed gives the same split, and each part keeps the shuffled order.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    pairs = _read()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (premise, hypothesis, _) in enumerate(pairs):
        groups[(premise, hypothesis)].append(i)
    rows = list(groups.values())  # one list of row numbers per distinct text pair
    order = torch.randperm(len(rows), generator=data_generator(seed)).tolist()
    room = dict(SICK_SIZES)
    split: dict[str, list[Pair]] = {name: [] for name in SICK_SIZES}
    for g in order:
        name = next((n for n in SICK_SIZES if room[n] >= len(rows[g])), None)
        if name is None:
            raise ValueError(f"SICK has more than the {sum(SICK_SIZES.values())} pairs of SICK_SIZES")
        room[name] -= len(rows[g])
        split[name].extend(pairs[i] for i in rows[g])
    if any(room.values()):
        raise ValueError(f"SICK has {len(pairs)} pairs, SICK_SIZES expects {sum(SICK_SIZES.values())}")
    return split
# --8<-- [end:split]
