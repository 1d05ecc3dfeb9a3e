r"""Subword units (d2l §14.6): fastText's character n-grams and byte pair encoding (BPE).

**fastText** represents a word by the character n-grams of the word wrapped in ``<`` and ``>``
(the brackets mark where the word begins and ends), plus the whole wrapped word itself; the
word's vector is the sum of its n-gram vectors, so an unseen word still gets one.

**BPE** (Sennrich et al., 2016) starts from single characters and repeats, a fixed number of
times: count every pair of adjacent symbols over the corpus (each word weighted by its frequency),
and merge the most frequent pair into one new symbol everywhere. The list of merges, in order, is
the model. A word is segmented by splitting it into characters and applying the merges in the
order they were learned. Ties (two pairs with the same count) go to the pair that sorts first
(``min`` over ``(-count, pair)``), so the merges are reproducible and can be worked out by hand.

Words carry an end-of-word marker (``"_"`` by default) as their last symbol, so ``"est_"`` (a
word ending) and ``"est"`` (inside a word) are different symbols.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["char_ngrams", "BPE", "learn_bpe", "learn_bpe_counts", "apply_merges"]

Pair = tuple[str, str]


# --8<-- [start:ngrams]
def char_ngrams(word: str, n_min: int = 3, n_max: int = 6) -> list[str]:
    """fastText's subwords of ``word``: every n-gram (``n_min <= n <= n_max``) of ``"<word>"``,
    shortest first, then ``"<word>"`` itself (once, even when it is also an n-gram)."""
    if not word:
        raise ValueError("char_ngrams needs a non-empty word")
    if not 1 <= n_min <= n_max:
        raise ValueError(f"need 1 <= n_min <= n_max, got n_min={n_min}, n_max={n_max}")
    wrapped = f"<{word}>"
    grams = [wrapped[i:i + n] for n in range(n_min, n_max + 1) for i in range(len(wrapped) - n + 1)]
    return [g for g in grams if g != wrapped] + [wrapped]
# --8<-- [end:ngrams]


def _merge_word(symbols: tuple[str, ...], pair: Pair) -> tuple[str, ...]:
    """Replace every occurrence of ``pair`` in ``symbols`` by the joined symbol, left to right."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def _pairs(symbols: tuple[str, ...]) -> Counter:
    return Counter(zip(symbols, symbols[1:], strict=False))


def _check_words(word_freqs: Mapping[str, int], end: str) -> None:
    bad = [w for w in word_freqs if not w or end in w or any(c.isspace() for c in w)]
    if bad:
        raise ValueError(f"BPE words must be non-empty, without spaces or the end marker {end!r}: {bad[:5]}")
    if any(int(f) <= 0 for f in word_freqs.values()):
        raise ValueError("BPE word frequencies must be positive")


def learn_bpe(word_freqs: Mapping[str, int], num_merges: int, end: str = "_") -> list[Pair]:
    """The first ``num_merges`` merges of BPE on ``{word: frequency}``, in the order learned.

    Each step merges the pair with the largest count (ties: the pair that sorts first). The pair
    counts are kept up to date incrementally: only the words that contain the merged pair are
    recounted. Stops early when no pair is left (every word is a single symbol).
    """
    return learn_bpe_counts(word_freqs, num_merges, end)[0]


# --8<-- [start:learn]
def learn_bpe_counts(word_freqs: Mapping[str, int], num_merges: int,
                     end: str = "_") -> tuple[list[Pair], list[int]]:
    """:func:`learn_bpe` plus, for each merge, how many symbols it removed from the corpus (the
    pair's count, except that an overlapping run such as ``a a a`` merges only once)."""
    _check_words(word_freqs, end)
    words = [tuple(w) + (end,) for w in word_freqs]  # each word as its symbols, end marker last
    freqs = [int(f) for f in word_freqs.values()]
    counts: Counter = Counter()
    where: dict[Pair, set[int]] = defaultdict(set)  # pair -> the words that contain it
    for k, symbols in enumerate(words):
        for pair, n in _pairs(symbols).items():
            counts[pair] += n * freqs[k]
            where[pair].add(k)
    merges: list[Pair] = []
    removed: list[int] = []
    for _ in range(num_merges):
        if not counts:
            break
        top = max(counts.values())
        best = min(pair for pair, n in counts.items() if n == top)  # most frequent, then first in order
        merges.append(best)
        removed.append(0)
        for k in list(where[best]):
            old, new = words[k], _merge_word(words[k], best)
            for pair, n in _pairs(old).items():  # take the word's old pairs out ...
                counts[pair] -= n * freqs[k]
                if counts[pair] == 0:
                    del counts[pair]
                where[pair].discard(k)
            for pair, n in _pairs(new).items():  # ... and its new pairs in
                counts[pair] += n * freqs[k]
                where[pair].add(k)
            words[k] = new
            removed[-1] += (len(old) - len(new)) * freqs[k]
    return merges, removed
# --8<-- [end:learn]


# --8<-- [start:apply]
def apply_merges(word: str, merges: Sequence[Pair], end: str = "_") -> list[str]:
    """Segment one word: its characters plus the end marker, then every merge in learned order."""
    if not word or end in word or any(c.isspace() for c in word):
        raise ValueError(f"cannot segment {word!r}: a word is non-empty, without spaces or {end!r}")
    symbols = tuple(word) + (end,)
    for pair in merges:
        if len(symbols) == 1:
            break
        if pair[0] in symbols and pair[1] in symbols:  # cheap test before the scan
            symbols = _merge_word(symbols, pair)
    return list(symbols)
# --8<-- [end:apply]


class BPE:
    """A learned BPE model: ``BPE.train(word_freqs, num_merges)``, then ``.segment(word)``.

    ``symbols`` is the symbol vocabulary: the characters seen (plus the end marker) and one new
    symbol per merge.
    """

    def __init__(self, merges: Sequence[Pair], alphabet: Iterable[str], end: str = "_"):
        self.merges, self.end = list(merges), end
        self.alphabet = sorted(set(alphabet) | {end})
        self.symbols = self.alphabet + [a + b for a, b in self.merges]

    @classmethod
    def train(cls, word_freqs: Mapping[str, int], num_merges: int, end: str = "_") -> BPE:
        """Learn ``num_merges`` merges; ``merge_counts[k]``: symbols merge ``k`` removed from the corpus."""
        alphabet = {c for w in word_freqs for c in w}
        merges, merge_counts = learn_bpe_counts(word_freqs, num_merges, end)
        model = cls(merges, alphabet, end)
        model.merge_counts = merge_counts
        return model

    def segment(self, word: str) -> list[str]:
        """The subwords of ``word``; a character never seen in training raises ``KeyError``."""
        unknown = sorted(set(word) - set(self.alphabet))
        if unknown:
            raise KeyError(f"{word!r} has characters the BPE model never saw: {unknown}")
        return apply_merges(word, self.merges, self.end)
