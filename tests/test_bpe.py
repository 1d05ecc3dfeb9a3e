"""Subwords (§14.6): fastText n-grams, and BPE merges reproducing an example worked out by hand."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from dlnotes.data.bpe import BPE, apply_merges, char_ngrams, learn_bpe

# Worked by hand ("_" ends a word; ties go to the pair that sorts first):
#   low ×5, lower ×2, newest ×6, widest ×3
#   1. e s 9, s t 9, t _ 9 tie          -> ('e','s') sorts first    7. ew est_ 6 = n ew 6 -> ('ew','est_')
#   2. es t 9 = t _ 9                   -> ('es','t')               8. n ewest_ 6       -> ('n','ewest_')
#   3. est _ 9                          -> ('est','_')              9. low _ 5          -> ('low','_')
#   4. l o 7 = o w 7                    -> ('l','o')               10. d est_ 3 = i d 3 = w i 3 -> ('d','est_')
#   5. lo w 7                           -> ('lo','w')
#   6. e w 6 = n e 6 = w est_ 6         -> ('e','w')
CORPUS = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
MERGES = [("e", "s"), ("es", "t"), ("est", "_"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est_"),
          ("n", "ewest_"), ("low", "_"), ("d", "est_")]
SEGMENTS = {
    "low": ["low_"], "lower": ["low", "e", "r", "_"], "newest": ["newest_"], "widest": ["w", "i", "dest_"],
    # words the corpus never had
    "lowest": ["low", "est_"], "newer": ["n", "ew", "e", "r", "_"], "wider": ["w", "i", "d", "e", "r", "_"],
}


def test_bpe_merges_reproduce_the_hand_worked_example():
    assert learn_bpe(CORPUS, 10) == MERGES
    for word, pieces in SEGMENTS.items():
        assert apply_merges(word, MERGES) == pieces, word
        assert "".join(pieces) == word + "_"


def test_bpe_model_symbols_and_early_stop():
    model = BPE.train(CORPUS, 100)  # stops when every word is one symbol
    assert model.segment("newest") == ["newest_"] and model.segment("lower") == ["lower_"]
    assert len(model.merges) < 100
    assert model.symbols[:len(model.alphabet)] == sorted(set("lowernewestwidest_"))
    assert "low_" in model.symbols


def test_merging_is_left_to_right_without_overlap():
    assert learn_bpe({"aaa": 1}, 1) == [("a", "a")]
    assert apply_merges("aaa", [("a", "a")]) == ["aa", "a", "_"]
    assert apply_merges("aaaa", [("a", "a"), ("aa", "aa")]) == ["aaaa", "_"]


def _naive_learn(word_freqs, num_merges, end="_"):
    """Recount every pair from scratch at each step (the textbook loop)."""
    words = {tuple(w) + (end,): f for w, f in word_freqs.items()}
    merges = []
    for _ in range(num_merges):
        counts = Counter()
        for symbols, f in words.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                counts[pair] += f
        if not counts:
            break
        best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        new = {}
        for symbols, f in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            new[tuple(out)] = f
        words = new
    return merges


def test_incremental_counts_match_recounting_from_scratch():
    rng = random.Random(0)
    corpus = {"".join(rng.choice("abcab") for _ in range(rng.randint(1, 7))): rng.randint(1, 9)
              for _ in range(60)}
    assert learn_bpe(corpus, 40) == _naive_learn(corpus, 40)


def test_fasttext_ngrams_of_where():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>", "<where>"]
    grams = char_ngrams("where")  # n = 3..6
    assert len(grams) == 5 + 4 + 3 + 2 + 1 and grams[-1] == "<where>" and grams.count("<where>") == 1
    assert char_ngrams("a", 3, 6) == ["<a>"]  # the wrapped word is itself a 3-gram: listed once


def test_bad_input_raises():
    with pytest.raises(ValueError, match="end marker"):
        learn_bpe({"a_b": 1}, 1)
    with pytest.raises(ValueError, match="positive"):
        learn_bpe({"ab": 0}, 1)
    with pytest.raises(ValueError, match="cannot segment"):
        apply_merges("two words", MERGES)
    with pytest.raises(KeyError, match=r"\['z'\]"):
        BPE.train(CORPUS, 5).segment("zero")
    with pytest.raises(ValueError, match="non-empty"):
        char_ngrams("")


def test_merge_counts_are_the_symbols_each_merge_removes():
    from dlnotes.data.bpe import learn_bpe_counts

    merges, counts = learn_bpe_counts(CORPUS, 10)
    assert merges == MERGES and counts == [9, 9, 9, 7, 7, 6, 6, 6, 5, 3]  # the hand-worked counts above
    total = sum((len(w) + 1) * f for w, f in CORPUS.items())
    after = sum(len(apply_merges(w, MERGES)) * f for w, f in CORPUS.items())
    assert total - sum(counts) == after
    _, removed = learn_bpe_counts({"aaa": 2}, 1)  # the pair count is 2 per word, one merge fits
    assert removed == [2]
