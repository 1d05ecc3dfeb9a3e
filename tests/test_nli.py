"""Decomposable attention (15.5) and the NLI recipe: masking, a direct twin, shapes, gradients, errors."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from dlnotes.data.sick import LABELS
from dlnotes.models.decomposable_attention import DecomposableAttention, soft_align
from dlnotes.recipes.nli import (
    PairBatches,
    encode_pair,
    negation_rule,
    nli_tokenize,
    nli_vocab,
    predict_nli,
    tensorize_pairs,
)

V, PAD = 20, 1


def _net(seed: int = 0) -> DecomposableAttention:
    torch.manual_seed(seed)
    return DecomposableAttention(V, embed_size=6, num_hiddens=8).eval()


def _batch(seed: int = 0, T: int = 7):
    g = torch.Generator().manual_seed(seed)
    P_lens, H_lens = torch.tensor([3, 7, 1, 5]), torch.tensor([6, 2, 4, 1])
    P = torch.randint(2, V, (4, T), generator=g)
    H = torch.randint(2, V, (4, T), generator=g)
    keep_P = torch.arange(T) < P_lens[:, None]  # (4, T)
    keep_H = torch.arange(T) < H_lens[:, None]
    return P.where(keep_P, PAD), P_lens, H.where(keep_H, PAD), H_lens


def test_shapes_and_every_parameter_gets_a_gradient():
    net = _net().train()
    P, P_lens, H, H_lens = _batch()
    out = net(P, P_lens, H, H_lens)
    assert out.shape == (4, 3)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    W_AB, W_BA = net.alignments(P, P_lens, H, H_lens)
    assert W_AB.shape == (4, 7, 7) and W_BA.shape == (4, 7, 7)


def test_padded_tokens_change_nothing():
    net = _net()
    P, P_lens, H, H_lens = _batch()
    out = net(P, P_lens, H, H_lens)
    W_AB, W_BA = net.alignments(P, P_lens, H, H_lens)
    # other tokens in the padding, and three more padding columns
    g = torch.Generator().manual_seed(5)
    junk_P = torch.cat([P, torch.full((4, 3), PAD)], 1).where(
        torch.arange(10) < P_lens[:, None], torch.randint(0, V, (4, 10), generator=g))
    junk_H = torch.cat([H, torch.full((4, 3), PAD)], 1).where(
        torch.arange(10) < H_lens[:, None], torch.randint(0, V, (4, 10), generator=g))
    assert_close(net(junk_P, P_lens, junk_H, H_lens), out, rtol=1e-6, atol=1e-6)
    W_AB2, W_BA2 = net.alignments(junk_P, P_lens, junk_H, H_lens)
    for b in range(4):
        m, n = int(P_lens[b]), int(H_lens[b])
        assert_close(W_AB2[b, :m, :n], W_AB[b, :m, :n])
        assert_close(W_BA2[b, :n, :m], W_BA[b, :n, :m])
        assert torch.all(W_AB2[b, :m, n:] == 0) and torch.all(W_BA2[b, :n, m:] == 0)
        assert_close(W_AB2[b, :m].sum(-1), torch.ones(m))


def test_batched_masked_model_equals_a_direct_computation_per_pair():
    """Twin: each pair alone, unpadded, with torch.softmax and plain sums, forward and gradients."""
    net = _net()
    P, P_lens, H, H_lens = _batch()
    out = net(P, P_lens, H, H_lens)
    direct = []
    for b in range(4):
        a = net.embedding(P[b, :P_lens[b]])  # (m, d)
        c = net.embedding(H[b, :H_lens[b]])  # (n, d)
        E = net.f(a) @ net.f(c).T  # (m, n)
        beta = torch.softmax(E, dim=1) @ c  # (m, d)
        alpha = torch.softmax(E, dim=0).T @ a  # (n, d)
        v_a = net.g(torch.cat([a, beta], 1)).sum(0)
        v_b = net.g(torch.cat([c, alpha], 1)).sum(0)
        direct.append(net.output(net.h(torch.cat([v_a, v_b]))))
    direct = torch.stack(direct)
    assert_close(out, direct, rtol=1e-5, atol=1e-6)
    grads = torch.autograd.grad(out.square().sum(), list(net.parameters()))
    grads_direct = torch.autograd.grad(direct.square().sum(), list(net.parameters()))
    for x, y in zip(grads, grads_direct, strict=True):
        assert_close(x, y, rtol=1e-4, atol=1e-6)


def test_soft_align_rows_are_probabilities_over_real_tokens():
    g = torch.Generator().manual_seed(0)
    fA, fB = torch.randn(2, 4, 3, generator=g), torch.randn(2, 5, 3, generator=g)
    A, B = torch.randn(2, 4, 6, generator=g), torch.randn(2, 5, 6, generator=g)
    beta, alpha, W_AB, W_BA = soft_align(fA, fB, A, B, torch.tensor([4, 2]), torch.tensor([3, 5]))
    assert beta.shape == (2, 4, 6) and alpha.shape == (2, 5, 6)
    assert_close(W_AB[0, :, :3], torch.softmax(fA[0] @ fB[0, :3].T, dim=1))
    assert_close(W_BA[1, :, :2], torch.softmax(fB[1] @ fA[1, :2].T, dim=1))


@pytest.mark.parametrize("change, message", [
    (lambda P, Pl, H, Hl: (P.float(), Pl, H, Hl), "dtype long"),
    (lambda P, Pl, H, Hl: (P, Pl * 0, H, Hl), "valid lengths must lie in"),
    (lambda P, Pl, H, Hl: (P, Pl, H, Hl + 7), "valid lengths must lie in"),
    (lambda P, Pl, H, Hl: (P, Pl[:2], H, Hl), "valid lengths must have shape"),
    (lambda P, Pl, H, Hl: (P, Pl, H[:2], Hl[:2]), "4 premises but 2 hypotheses"),
])
def test_bad_input_raises(change, message):
    with pytest.raises(ValueError, match=message):
        _net()(*change(*_batch()))


PAIRS = [("A man's dog is running.", "A dog is running", 0),
         ("Two kids play", "Nobody is playing", 2),
         ("A woman is slicing an onion", "A man is cooking", 1)]


def test_tokenize_and_tensorize():
    assert nli_tokenize("The man's hat, red.") == ["the", "man", "'s", "hat", ",", "red", "."]
    assert nli_tokenize("A dog isn't running") == ["a", "dog", "is", "n't", "running"]  # GloVe's n't
    assert [LABELS[negation_rule(p, h)] for p, h in (("A dog runs", "No dog runs"), ("A dog isn't here", "Nobody is here"),
            ("A dog runs", "A cat runs"))] == ["contradiction", "neutral", "neutral"]
    vocab = nli_vocab(PAIRS)
    assert vocab.idx_to_token[:2] == ["<unk>", "<pad>"]
    P, P_lens, H, H_lens, y = tensorize_pairs(PAIRS + [("A cat", "zzz unknown", 1)], vocab, num_steps=5)
    assert P.shape == H.shape == (4, 5) and y.tolist() == [0, 2, 1, 1]
    assert P_lens.tolist() == [5, 3, 5, 2] and H_lens.tolist() == [4, 3, 4, 2]
    assert P[1, 3:].tolist() == [vocab["<pad>"]] * 2
    assert H[3, :2].tolist() == [vocab.unk, vocab.unk]
    with pytest.raises(ValueError, match="no token"):
        tensorize_pairs([("...", "", 0)], vocab, 5)
    with pytest.raises(ValueError, match="no sentence pairs"):
        tensorize_pairs([], vocab, 5)


def test_trimmed_batches_give_the_same_logits():
    vocab = nli_vocab(PAIRS)
    tensors = tensorize_pairs(PAIRS, vocab, num_steps=12)
    torch.manual_seed(0)
    net = DecomposableAttention(len(vocab), embed_size=6, num_hiddens=8).eval()
    full = next(iter(PairBatches(tensors, 8, shuffle=False, trim=False)))
    cut = next(iter(PairBatches(tensors, 8, shuffle=False)))
    assert full[0].shape == (3, 12) and cut[0].shape == (3, 7)
    assert_close(net(*cut[:4]), net(*full[:4]), rtol=1e-6, atol=1e-6)
    order = [b[4].tolist() for b in PairBatches(tensors, 2, seed=3)]
    assert order == [b[4].tolist() for b in PairBatches(tensors, 2, seed=3)]
    with pytest.raises(ValueError, match="five equally long"):
        PairBatches(tensors[:4], 2)


def test_predict_names_a_label_and_fails_loudly():
    vocab = nli_vocab(PAIRS)
    torch.manual_seed(0)
    net = DecomposableAttention(len(vocab), embed_size=6, num_hiddens=8)
    label, probs = predict_nli(net, vocab, "A dog is running", "A dog runs", num_steps=8)
    assert label in LABELS and probs.shape == (3,) and abs(float(probs.sum()) - 1) < 1e-6
    for premise, hypothesis in (("", "A dog"), ("A dog", "   ")):
        with pytest.raises(ValueError, match="is empty"):
            predict_nli(net, vocab, premise, hypothesis, num_steps=8)
    with pytest.raises(ValueError, match="more than num_steps"):
        encode_pair(vocab, "a b c d e f g h i", "a dog", num_steps=8)


def test_bucketed_batches_visit_every_pair_once_and_group_lengths():
    g = torch.Generator().manual_seed(0)
    N, T = 50, 9
    P_lens, H_lens = torch.randint(1, T + 1, (N,), generator=g), torch.randint(1, T + 1, (N,), generator=g)
    tensors = (torch.zeros(N, T, dtype=torch.long), P_lens, torch.zeros(N, T, dtype=torch.long), H_lens,
               torch.arange(N))
    batches = list(PairBatches(tensors, 5, seed=1, bucket=5))
    assert sorted(i for b in batches for i in b[4].tolist()) == list(range(N))
    assert [b[4].tolist() for b in batches] == [b[4].tolist() for b in PairBatches(tensors, 5, seed=1, bucket=5)]
    # inside a bucket the pairs are sorted by length, so a batch spans a narrow range of lengths
    spread = [int(torch.maximum(b[1], b[3]).max() - torch.maximum(b[1], b[3]).min()) for b in batches]
    assert sum(spread) < sum(int(torch.maximum(b[1], b[3]).max() - torch.maximum(b[1], b[3]).min())
                             for b in PairBatches(tensors, 5, seed=1))
    with pytest.raises(ValueError, match="bucket must be"):
        PairBatches(tensors, 5, bucket=-1)


def test_train_nli_records_validation_metrics():
    from dlnotes.recipes.nli import train_nli

    vocab = nli_vocab(PAIRS)
    tensors = tensorize_pairs(PAIRS * 4, vocab, num_steps=8)
    torch.manual_seed(0)
    net = DecomposableAttention(len(vocab), embed_size=6, num_hiddens=8, dropout=0.0)
    history = train_nli(net, PairBatches(tensors, 4), PairBatches(tensors, 12, shuffle=False), 30, 0.01,
                        one_cycle=True)
    assert {"train_loss", "train_acc", "valid_loss", "valid_acc", "lr"} <= set(history.final)
    assert "test_acc" not in history.final
    assert history.final["train_loss"] < history.records[0]["train_loss"]
