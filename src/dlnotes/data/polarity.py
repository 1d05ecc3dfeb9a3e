"""The sentence polarity dataset (Pang & Lee 2005, "MR"): the stand-in for d2l's aclImdb (§15.1).

NLTK's copy ``sentence_polarity.zip`` holds ``rt-polarity.pos`` and ``rt-polarity.neg``: 5,331
positive and 5,331 negative one-sentence snippets of Rotten Tomatoes reviews, one per line, already
lower-cased, with spaces around punctuation, so tokenising is ``str.split``. Contractions and
possessives stay whole: "it's" (1,121 times), "don't" and "chicago's" are single tokens; a lone
"'s" occurs only twice, after an abbreviation ("jr . 's").

Encoding: the files are UTF-8, not latin-1 (``shared/data/README.md`` says latin-1, which is wrong
for NLTK's copy). NLTK's README says some characters were converted from ISO-8859-1 to UTF-8, and
both files decode as UTF-8 ("ladrón" is ``6c 61 64 72 c3 b3 6e``; read as latin-1 it would become
"ladrÃ³n"). The conversion treated the Windows-1252 quote and dashes of the original as latin-1, so
60 of them survive as C1 control characters (U+0091, U+0096, U+0097); they are left as they are.
After decoding, the text is lower-cased: four tokens, such as "Último", still had an upper-case
accented letter. There is no official train/test split: :func:`load_polarity` draws a seeded 80/20
one (8,530 / 2,132 sentences).

``movie_reviews.zip`` (NLTK, 1,000 + 1,000 full reviews, Pang & Lee 2004) is the long-text variant;
it is declared here as well.
"""

from __future__ import annotations

import zipfile

import torch

from ..seed import data_generator
from .store import DataFile, fetch

__all__ = ["SENTENCE_POLARITY", "MOVIE_REVIEWS", "LABELS", "polarity_sentences", "load_polarity"]

_NLTK = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/"
SENTENCE_POLARITY = DataFile("sentence_polarity.zip", _NLTK + "sentence_polarity.zip",
                             "aeb58641ba16f57d675668b59aee50aa7ce358db")
MOVIE_REVIEWS = DataFile("movie_reviews.zip", _NLTK + "movie_reviews.zip",
                         "b75ffeeb90b68059c679e5552d697a1db60b1caf")

LABELS = ("negative", "positive")  # label 0, label 1

Split = tuple[list[list[str]], list[int]]


def polarity_sentences() -> Split:
    """All 10,662 sentences as token lists and their labels (1 positive, 0 negative), positives first."""
    tokens: list[list[str]] = []
    labels: list[int] = []
    with zipfile.ZipFile(fetch(SENTENCE_POLARITY)) as archive:
        for label, name in ((1, "pos"), (0, "neg")):
            text = archive.read(f"sentence_polarity/rt-polarity.{name}").decode("utf-8")
            lines = [line.lower().split() for line in text.splitlines() if line.strip()]
            tokens += lines
            labels += [label] * len(lines)
    return tokens, labels


# --8<-- [start:split]
def load_polarity(seed: int = 0, test_fraction: float = 0.2) -> tuple[Split, Split]:
    """A seeded random split ``((train_tokens, train_labels), (test_tokens, test_labels))``.

    With the default 20 % the sizes are 8,530 and 2,132. The same ``seed`` gives the same split;
    the two parts are disjoint and together hold every sentence once.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    tokens, labels = polarity_sentences()
    order = torch.randperm(len(tokens), generator=data_generator(seed)).tolist()
    num_test = round(test_fraction * len(tokens))  # 0.2 × 10,662 → 2,132
    test_idx, train_idx = order[:num_test], order[num_test:]
    return (([tokens[i] for i in train_idx], [labels[i] for i in train_idx]),
            ([tokens[i] for i in test_idx], [labels[i] for i in test_idx]))
# --8<-- [end:split]
