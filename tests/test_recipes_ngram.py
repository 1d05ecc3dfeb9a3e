"""The count-based n-gram baseline of §8.5–8.6: hand-counted probabilities, smoothing, errors."""

from __future__ import annotations

import math

import pytest
import torch

from dlnotes.recipes.ngram import NGramModel

# a b a b a c  over the vocabulary {0: a, 1: b, 2: c, 3: d}
CORPUS = torch.tensor([0, 1, 0, 1, 0, 2])


def test_bigram_probabilities_are_smoothed_counts():
    model = NGramModel(2, 4, k=1.0).fit(CORPUS)
    # #(a, b) = 2, #(a, ·) = 3: P(b | a) = (2 + 1) / (3 + 4); #(b, a) = 2, #(b, ·) = 2
    logp = model.log_probs(torch.tensor([0, 1, 0, 3]))
    expected = [3 / 7, 3 / 6, 1 / 7]  # P(b|a), P(a|b), P(d|a): d never follows a
    assert torch.allclose(logp, torch.log(torch.tensor(expected, dtype=torch.float64)))
    assert model.perplexity(torch.tensor([0, 1, 0, 3])) == pytest.approx(
        math.exp(-sum(math.log(p) for p in expected) / 3))


def test_unigram_and_an_unseen_context_fall_back_to_smoothed_frequencies():
    unigram = NGramModel(1, 4, k=0.5).fit(CORPUS)
    probs = unigram.log_probs(torch.arange(4)).exp()
    assert torch.allclose(probs, torch.tensor([3.5, 2.5, 1.5, 0.5], dtype=torch.float64) / 8)
    assert float(probs.sum()) == pytest.approx(1.0)
    trigram = NGramModel(3, 4, k=1.0).fit(CORPUS)
    # the context (d, d) never occurred: every continuation gets 1 / |V|
    assert float(trigram.log_probs(torch.tensor([3, 3, 2])).exp()) == pytest.approx(0.25)


def test_each_context_is_a_distribution_and_a_uniform_corpus_scores_near_V():
    set_of_contexts = NGramModel(2, 4, k=0.1).fit(CORPUS)
    for a in range(4):
        pairs = torch.stack([torch.full((4,), a), torch.arange(4)], 1)  # (4, 2)
        total = sum(float(set_of_contexts.log_probs(p).exp()) for p in pairs)
        assert total == pytest.approx(1.0)
    g = torch.Generator().manual_seed(0)
    text = torch.randint(0, 5, (20_000,), generator=g)
    ppl = NGramModel(2, 5, k=1.0).fit(text[:10_000]).perplexity(text[10_000:])
    assert 4.9 < ppl < 5.1  # random tokens: no model beats a uniform guess


def test_bad_input_fails_loudly():
    with pytest.raises(ValueError, match="k must be positive"):
        NGramModel(2, 4, k=0)
    with pytest.raises(RuntimeError, match="fit"):
        NGramModel(2, 4).log_probs(CORPUS)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        NGramModel(2, 4).fit(torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="no 3-gram"):
        NGramModel(3, 4).fit(torch.tensor([0, 1]))
