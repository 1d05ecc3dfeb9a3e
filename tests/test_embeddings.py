"""Word-vector recipes (§14.7): neighbours, analogies and debiasing on tiny hand-made vectors."""

from __future__ import annotations

import pytest
import torch

from dlnotes.data.glove import GloVe
from dlnotes.recipes.embeddings import (
    analogy,
    bias_direction,
    cosine,
    cosine_knn,
    equalize,
    neutralize,
    project,
    similar_tokens,
)

# 2-D vectors: x axis "royalty", y axis "gender" (+ = female)
TOKENS = ["king", "queen", "man", "woman", "prince", "apple"]
VECTORS = torch.tensor([[3.0, -1.0], [3.0, 1.0], [0.5, -1.0], [0.5, 1.0], [2.5, -1.2], [-1.0, 0.1]])
EMB = GloVe(TOKENS, VECTORS)


def test_cosine_knn_ranks_by_angle_not_length():
    W = torch.tensor([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    idx, cos = cosine_knn(W, torch.tensor([2.0, 0.0]), 2)
    assert idx.tolist() == [0, 1]
    assert cos[0].item() == pytest.approx(1.0) and cos[1].item() == pytest.approx(10 / 101 ** 0.5)


def test_similar_tokens_skip_the_word_itself():
    near = similar_tokens(EMB, "king", 2)
    assert [t for t, _ in near] == ["prince", "queen"]
    assert near[0][1] == pytest.approx(cosine(VECTORS[0], VECTORS[4]))


def test_analogy_on_hand_made_vectors():
    assert analogy(EMB, "man", "woman", "king") == "queen"  # (0, 2) + (3, -1) = (3, 1)
    assert analogy(EMB, "woman", "man", "queen") == "king"
    # the answer may be an input word unless excluded: man : man :: woman : woman
    assert analogy(EMB, "man", "man", "woman") == "woman"
    assert analogy(EMB, "man", "man", "woman", exclude_inputs=True) != "woman"


def test_unknown_word_raises_naming_it():
    with pytest.raises(KeyError, match="'banana'"):
        similar_tokens(EMB, "banana")
    with pytest.raises(KeyError, match="'duke'"):
        analogy(EMB, "man", "duke", "king")
    with pytest.raises(KeyError, match="'girl'"):
        bias_direction(EMB, [("man", "woman"), ("boy", "girl")])
    with pytest.raises(ValueError, match="W \\(N, d\\)"):
        cosine_knn(VECTORS, torch.zeros(3), 1)


def test_neutralised_vector_is_orthogonal_to_the_bias_direction():
    torch.manual_seed(0)
    g = torch.randn(50)
    e = torch.randn(50)
    out = neutralize(e, g)
    assert abs(float(out @ g)) < 1e-4
    torch.testing.assert_close(out + project(e, g), e)
    g2 = bias_direction(EMB, [("man", "woman"), ("king", "queen")])
    torch.testing.assert_close(g2, torch.tensor([0.0, 2.0]))
    with pytest.raises(ValueError, match="zero vector"):
        project(e, torch.zeros(50))


def test_equalised_pair_differs_only_along_g():
    torch.manual_seed(1)
    g, e1, e2 = torch.randn(20), torch.randn(20), torch.randn(20)
    a, b = equalize(e1, e2, g)
    assert a.norm().item() == pytest.approx(1.0, abs=1e-5) and b.norm().item() == pytest.approx(1.0, abs=1e-5)
    torch.testing.assert_close(neutralize(a, g), neutralize(b, g))  # same part orthogonal to g
    assert float((a - b) @ g) * float((e1 - e2) @ g) > 0  # a stays on e1's side of the hyperplane
    x = neutralize(torch.randn(20), g)  # any neutral word is equally close to both
    assert float(a @ x) == pytest.approx(float(b @ x), abs=1e-5)
    assert float(a @ g) == pytest.approx(-float(b @ g), abs=1e-5)
