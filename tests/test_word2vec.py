"""word2vec (§14.1–14.4): the sampler's distribution, subsampling, context windows, the padded
batches, the loss and model against torch twins, hierarchical softmax, and loud bad input."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from dlnotes.data.vocab import Vocab
from dlnotes.models.word2vec import SkipGram
from dlnotes.recipes.word2vec import (
    NegativeSampler,
    Word2VecData,
    batchify,
    build_examples,
    context_windows,
    draw_negatives,
    evaluate_word2vec,
    hs_probabilities,
    huffman_tree,
    keep_probability,
    nearest,
    sigmoid_bce,
    subsample,
    train_word2vec,
)
from dlnotes.seed import data_generator

COUNTS = torch.tensor([0, 5000, 2000, 900, 400, 150, 60, 20, 8, 3])  # index 0: <unk>


def _chi2_pvalue(draws: torch.Tensor, probs: torch.Tensor) -> float:
    support = probs > 0
    observed = torch.bincount(draws, minlength=len(probs))[support].double()
    assert torch.bincount(draws, minlength=len(probs))[~support].sum() == 0
    expected = probs[support].double() / probs[support].sum() * len(draws)
    chi2 = ((observed - expected) ** 2 / expected).sum()
    dof = torch.tensor(float(support.sum() - 1), dtype=torch.float64)
    return float(torch.special.gammaincc(dof / 2, chi2 / 2))  # P(χ²_dof > chi2), no scipy needed


def test_negatives_follow_unigram_to_the_power_0_75():
    draws = NegativeSampler(COUNTS).draw(400_000, data_generator(0))
    target = COUNTS.double() ** 0.75
    target[0] = 0
    assert _chi2_pvalue(draws, target) > 1e-3
    assert _chi2_pvalue(draws, COUNTS.double()) < 1e-12  # plain unigram frequencies: rejected
    assert (draws != 0).all()  # <unk> is never a noise word


def test_draw_negatives_avoids_contexts_and_counts_k_per_context():
    sampler = NegativeSampler(COUNTS)
    contexts = torch.tensor([[1, 2, 0, 0], [3, 0, 0, 0], [1, 2, 3, 4]])
    num = torch.tensor([2, 1, 4])
    neg = draw_negatives(contexts, num, 3, sampler, data_generator(0))
    assert neg.shape == (3, 12)
    for row, ctx, n in zip(neg, contexts, num, strict=True):
        valid = row[:3 * n]
        assert (valid != 0).all() and (row[3 * n:] == 0).all()
        assert not set(valid.tolist()) & set(ctx[:n].tolist())


def test_keep_probability_formula_and_rare_words_always_kept():
    counts = torch.tensor([0, 1, 10, 100_000 - 11])
    p = keep_probability(counts)
    f = counts.double() / counts.sum()
    assert torch.allclose(p[3].double(), torch.sqrt(1e-4 / f[3]), rtol=1e-6)
    assert (p[:3] == 1).all()  # f <= 1e-4 (and unseen words): always kept
    sentences = [[1] * 9 + [2, 2] + [3] * 2000 for _ in range(50)]  # word 1: f ~ 4e-3
    kept, counts = subsample(sentences, 4, data_generator(0))
    total = counts.sum().item()
    assert counts.tolist() == [0, 450, 100, 100_000]
    kept_flat = [w for line in kept for w in line]
    rate1 = kept_flat.count(1) / 450
    rate3 = kept_flat.count(3) / 100_000
    assert rate1 == pytest.approx(math.sqrt(1e-4 * total / 450), abs=0.07)
    assert rate3 == pytest.approx(math.sqrt(1e-4 * total / 100_000), rel=0.05)


def test_subsample_keeps_rare_words_and_drops_unk():
    rare = [[0, 5, 0, 7] + [9] * 100_000]  # 5 and 7 appear once: f ~ 1e-5 < 1e-4
    kept, counts = subsample(rare, 10, data_generator(1))
    assert kept[0][:2] == [5, 7] and 0 not in kept[0] and counts[0] == 0


def test_context_windows_exclude_centre_and_respect_window():
    corpus = [list(range(1, 11)), [11], list(range(12, 16))]
    for seed in range(5):
        centres, contexts, num = context_windows(corpus, 3, data_generator(seed))
        assert len(centres) == 14  # the one-word sentence gives no centre
        for c, ctx, n in zip(centres.tolist(), contexts, num.tolist(), strict=True):
            line = next(s for s in corpus if c in s)
            i = line.index(c)
            got = ctx[:n].tolist()
            assert c not in got and (ctx[n:] == 0).all()
            w = max(abs(line.index(x) - i) for x in got)
            assert 1 <= w <= 3 and got == [x for j, x in enumerate(line) if j != i and abs(j - i) <= w]


def test_windows_cover_every_size():
    corpus = [list(range(1, 40))]
    _, _, num = context_windows(corpus, 2, data_generator(0))
    assert set(num[2:-2].tolist()) == {2, 4}  # w = 1 or w = 2 inside the sentence


def test_batchify_pads_with_mask_zero_and_labels_on_contexts_only():
    centres, rows, masks, labels = batchify([(1, [2, 2], [3, 4, 5, 6]), (7, [8], [9, 3])])
    assert centres.tolist() == [[1], [7]]
    assert rows.tolist() == [[2, 2, 3, 4, 5, 6], [8, 9, 3, 0, 0, 0]]
    assert masks.tolist() == [[1] * 6, [1, 1, 1, 0, 0, 0]]
    assert labels.tolist() == [[1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]


def _toy_corpus():
    g = torch.Generator().manual_seed(3)
    return [torch.randint(1, 30, (int(n),), generator=g).tolist()
            for n in torch.randint(1, 25, (60,), generator=g)]


def test_built_examples_equal_batchify_and_are_deterministic():
    corpus = _toy_corpus()
    kept, _ = subsample(corpus, 30, data_generator(0), t=1e-2)
    kept2, _ = subsample(corpus, 30, data_generator(0), t=1e-2)
    data = build_examples(kept, 30, 4, 5, data_generator(1))
    again = build_examples(kept2, 30, 4, 5, data_generator(1))
    assert kept == kept2 and torch.equal(data.contexts_negatives, again.contexts_negatives)
    idx = torch.tensor([0, 3, 5, len(data) - 1])
    centres, rows, masks, labels = data.batch(idx)
    ref = batchify([data.example(int(i)) for i in idx])
    L = ref[1].shape[1]
    assert torch.equal(centres, ref[0]) and torch.equal(rows[:, :L], ref[1])
    assert torch.equal(masks[:, :L], ref[2]) and torch.equal(labels[:, :L], ref[3])
    assert (masks[:, L:] == 0).all() and (rows[:, L:] == 0).all()
    for i in range(len(data)):
        c, ctx, neg = data.example(i)
        assert len(neg) == 5 * len(ctx) and not set(neg) & set(ctx) and 0 not in ctx + neg
    b1 = [b[0] for b in data.batches(7, data_generator(2))]
    b2 = [b[0] for b in data.batches(7, data_generator(2))]
    assert all(torch.equal(x, y) for x, y in zip(b1, b2, strict=True))
    assert sorted(torch.cat(b1).flatten().tolist()) == sorted(data.centres.tolist())


def test_bucketed_batches_cover_each_example_once_and_only_trim_padding():
    kept, _ = subsample(_toy_corpus(), 30, data_generator(0), t=1e-2)
    data = build_examples(kept, 30, 4, 2, data_generator(1))
    seen, full = [], {}
    for centres, rows, masks, labels in data.batches(5, data_generator(3), bucket=3):
        assert masks[:, -1].any()  # trimmed to the longest row of the batch
        seen.extend(centres.flatten().tolist())
        for c, r, m, y in zip(centres.flatten().tolist(), rows, masks, labels, strict=True):
            full.setdefault(c, []).append((r[m > 0].tolist(), int(y.sum())))
    assert sorted(seen) == sorted(data.centres.tolist())
    ref = {}
    for i in range(len(data)):
        c, ctx, neg = data.example(i)
        ref.setdefault(c, []).append((ctx + neg, len(ctx)))
    assert {c: sorted(v) for c, v in full.items()} == {c: sorted(v) for c, v in ref.items()}
    torch.manual_seed(0)
    net = SkipGram(30, 4)
    plain = evaluate_word2vec(net, data, batch_size=7)
    rows = torch.arange(len(data))
    direct = sigmoid_bce(net(*data.batch(rows)[:2]), data.batch(rows)[3], data.batch(rows)[2]).mean()
    assert plain == pytest.approx(float(direct.detach()), rel=1e-5)


def test_loss_and_gradients_match_torch_twin():
    torch.manual_seed(0)
    s = torch.randn(4, 1, 7, requires_grad=True)
    labels = (torch.rand(4, 7) < 0.3).float()
    masks = torch.ones(4, 7)
    masks[1, 4:] = 0
    masks[3, 2:] = 0
    ours = sigmoid_bce(s, labels, masks)
    s2 = s.detach().clone().requires_grad_()
    theirs = F.binary_cross_entropy_with_logits(s2.reshape(4, 7), labels, weight=masks,
                                                reduction="none").sum(1) / masks.sum(1)
    torch.testing.assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    torch.testing.assert_close(s.grad, s2.grad)


def test_skipgram_scores_and_gradients_match_one_hot_twin():
    torch.manual_seed(0)
    V, d = 11, 6
    net = SkipGram(V, d)
    c, o = torch.tensor([[3], [0]]), torch.tensor([[1, 2, 5], [4, 4, 10]])
    scores = net(c, o)
    assert scores.shape == (2, 1, 3)
    Wv = net.centre.weight.detach().clone().requires_grad_()
    Wu = net.context.weight.detach().clone().requires_grad_()
    v = F.one_hot(c[:, 0], V).float() @ Wv        # (2, d)
    u = F.one_hot(o, V).float() @ Wu              # (2, 3, d)
    twin = (u * v[:, None, :]).sum(-1)[:, None, :]  # (2, 1, 3)
    torch.testing.assert_close(scores, twin)
    w = torch.randn(2, 1, 3)
    (scores * w).sum().backward()
    (twin * w).sum().backward()
    torch.testing.assert_close(net.centre.weight.grad, Wv.grad)
    torch.testing.assert_close(net.context.weight.grad, Wu.grad)


def test_training_lowers_the_loss_and_is_deterministic():
    corpus = _toy_corpus() * 4
    data = build_examples(corpus, 30, 2, 3, data_generator(0))
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        net = SkipGram(30, 8)
        h = train_word2vec(net, data, 64, 0.01, 3, data_generator(1))
        losses.append(h.metric("train_loss"))
    assert losses[0] == losses[1] and losses[0][-1] < losses[0][0]


def test_nearest_uses_cosine_and_rejects_unknown_words():
    vocab = Vocab(["a", "b", "c", "d"])
    W = torch.zeros(len(vocab), 2)
    W[vocab["a"]] = torch.tensor([1.0, 0.0])
    W[vocab["b"]] = torch.tensor([10.0, 1.0])  # long, but nearly the same direction
    W[vocab["c"]] = torch.tensor([0.0, 1.0])
    W[vocab["d"]] = torch.tensor([-1.0, 0.0])
    got = nearest(W, vocab, "a", k=2)
    assert [t for t, _ in got] == ["b", "c"]
    assert got[0][1] == pytest.approx(10 / math.sqrt(101))
    with pytest.raises(KeyError, match="zebra"):
        nearest(W, vocab, "zebra")


@pytest.mark.parametrize("counts", [[5, 1], [1, 1, 1, 1], [50, 30, 9, 7, 3, 1, 1, 1, 60]])
def test_hierarchical_softmax_leaves_sum_to_one(counts):
    paths, codes = huffman_tree(counts)
    V = len(counts)
    assert sorted({n for p in paths for n in p}) == list(range(V - 1))
    assert all(len(set(zip(p, c, strict=True))) == len(p) for p, c in zip(paths, codes, strict=True))
    torch.manual_seed(0)
    for _ in range(3):
        p = hs_probabilities(torch.randn(5, dtype=torch.float64), torch.randn(V - 1, 5, dtype=torch.float64),
                             paths, codes)
        assert p.shape == (V,) and (p > 0).all()
        assert p.sum().item() == pytest.approx(1.0, abs=1e-12)


def test_huffman_gives_frequent_words_short_codes():
    counts = [1000, 500, 250, 125, 60, 30, 15, 8]
    paths, _ = huffman_tree(counts)
    depths = [len(p) for p in paths]
    assert depths == sorted(depths) and depths[0] == 1


def test_bad_input_raises():
    g = data_generator(0)
    with pytest.raises(ValueError, match="max_window"):
        context_windows([[1, 2, 3]], 0, g)
    with pytest.raises(ValueError, match="empty"):
        context_windows([], 2, g)
    with pytest.raises(ValueError, match="empty"):
        subsample([[], []], 5, g)
    with pytest.raises(ValueError, match="K"):
        draw_negatives(torch.tensor([[1]]), torch.tensor([1]), 0, NegativeSampler(COUNTS), g)
    with pytest.raises(ValueError, match="K"):
        build_examples([[1, 2, 3]], 5, 2, 0, g)
    with pytest.raises(ValueError, match="indices"):
        subsample([[1, 9]], 5, g)
    with pytest.raises(ValueError, match="positive count"):
        NegativeSampler(torch.tensor([7, 0, 0]))
    with pytest.raises(ValueError, match=r"\(B, 1\)"):
        SkipGram(5, 3)(torch.tensor([1, 2]), torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="at least 2"):
        huffman_tree([3])
    with pytest.raises(ValueError, match="batch_size"):
        next(Word2VecData(torch.tensor([1]), torch.tensor([[2]]), torch.tensor([1]),
                          torch.tensor([1])).batches(0, g))
