"""GloVe (§14.5): weighting function, loss and gradients vs direct formulas; co-occurrence counts
vs a naive loop."""

from __future__ import annotations

from collections import defaultdict

import pytest
import torch
from torch.nn import functional as F

from dlnotes.models.glove import GloVeModel
from dlnotes.recipes.glove_train import GloVeLoss, cooccurrence, glove_weight


def test_weighting_function_matches_its_definition():
    x = torch.tensor([0.2, 1.0, 37.5, 99.9, 100.0, 250.0], dtype=torch.float64)
    expected = [(v / 100) ** 0.75 if v < 100 else 1.0 for v in x.tolist()]
    assert torch.allclose(glove_weight(x), torch.tensor(expected, dtype=torch.float64))
    assert glove_weight(torch.tensor([5.0]), x_max=10, alpha=1.0).item() == pytest.approx(0.5)


def _model_and_batch(seed=0):
    torch.manual_seed(seed)
    net = GloVeModel(7, 4)
    with torch.no_grad():  # move off the tiny initialisation so every term matters
        for p in net.parameters():
            p.normal_()
    pairs = torch.tensor([[0, 1], [1, 0], [2, 5], [6, 6], [3, 2]])
    counts = torch.tensor([3.0, 3.0, 0.5, 140.0, 1.0])
    return net, pairs, counts


def test_model_and_loss_match_a_direct_formula():
    net, pairs, counts = _model_and_batch()
    scores = net(pairs)
    loss = GloVeLoss()(scores, counts)
    direct = []
    for (i, j), x in zip(pairs.tolist(), counts.tolist(), strict=True):
        s = net.center.weight[i] @ net.context.weight[j] + net.center_bias.weight[i, 0] + net.context_bias.weight[j, 0]
        h = min(1.0, (x / 100) ** 0.75)
        direct.append(h * (s - torch.log(torch.tensor(x))) ** 2)
    torch.testing.assert_close(loss, torch.stack(direct).mean())


def test_gradients_match_a_torch_twin_and_the_hand_derivative():
    net, pairs, counts = _model_and_batch()
    GloVeLoss()(net(pairs), counts).backward()
    # torch twin: the same parameters read with F.embedding, weighted F.mse_loss
    params = [p.detach().clone().requires_grad_() for p in
              (net.center.weight, net.context.weight, net.center_bias.weight, net.context_bias.weight)]
    V, U, b, c = params
    i, j = pairs[:, 0], pairs[:, 1]
    s = (F.embedding(i, V) * F.embedding(j, U)).sum(1) + F.embedding(i, b)[:, 0] + F.embedding(j, c)[:, 0]
    h = torch.where(counts < 100, (counts / 100) ** 0.75, torch.ones_like(counts))
    (h * F.mse_loss(s, counts.log(), reduction="none")).mean().backward()
    for ours, twin in zip((net.center.weight, net.context.weight, net.center_bias.weight,
                           net.context_bias.weight), params, strict=True):
        torch.testing.assert_close(ours.grad, twin.grad)
    # hand derivative for word 2's centre vector (it is a centre only in the pair (2, 5)):
    # dJ/dv_2 = (2/B) h(x_25) (s_25 - log x_25) u_5
    with torch.no_grad():
        s25 = net(pairs[2:3])[0]
        expected = 2 / 5 * glove_weight(counts[2]) * (s25 - counts[2].log()) * net.context.weight[5]
    torch.testing.assert_close(net.center.weight.grad[2], expected)


def test_word_vectors_are_centre_plus_context():
    net, _, _ = _model_and_batch()
    torch.testing.assert_close(net.word_vectors(), net.center.weight + net.context.weight)


def _naive_counts(sentences, window):
    counts = defaultdict(float)
    for s in sentences:
        for t, w in enumerate(s):
            for u in range(max(0, t - window), min(len(s), t + window + 1)):
                if u != t:
                    counts[(w, s[u])] += 1.0 / abs(u - t)
    return counts


@pytest.mark.parametrize("window", [1, 2, 5])
def test_cooccurrence_matches_a_naive_loop(window):
    sentences = [[0, 1, 2, 1, 0], [3, 3], [2], [4, 0, 1, 2, 3, 4, 0, 1]]
    pairs, counts = cooccurrence(sentences, 5, window)
    got = {tuple(p): c for p, c in zip(pairs.tolist(), counts.tolist(), strict=True)}
    expected = _naive_counts(sentences, window)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)
    assert len(set(got)) == len(got)  # each pair once


def test_bad_input_raises():
    with pytest.raises(ValueError, match="positive"):
        GloVeLoss()(torch.zeros(2), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        GloVeLoss()(torch.zeros(3), torch.ones(2))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        GloVeModel(5, 3)(torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="token indices"):
        cooccurrence([[0, 7]], 5)
    with pytest.raises(ValueError, match="window"):
        cooccurrence([[0, 1]], 5, window=0)


def test_conditional_probs_match_the_dense_matrix():
    from dlnotes.recipes.glove_train import conditional_probs

    sentences = [[0, 1, 2, 1, 0], [3, 3], [4, 0, 1, 2, 3, 4, 0, 1]]
    pairs, counts = cooccurrence(sentences, 5, 2)
    dense = torch.zeros(5, 5, dtype=torch.float64)
    dense[pairs[:, 0], pairs[:, 1]] = counts
    expected = dense / dense.sum(1, keepdim=True)
    got = conditional_probs(pairs, counts, 5, [4, 0, 3], [0, 1, 2, 3, 4])
    torch.testing.assert_close(got, expected[[4, 0, 3]])
    with pytest.raises(ValueError, match="sorted"):
        conditional_probs(pairs.flip(0), counts.flip(0), 5, [0], [1])
