"""Chapter 15.1–15.3: the polarity split, corr1d vs conv1d, the sentiment models and recipe."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from conftest import data_dir_or_skip
from torch.nn import functional as F

from dlnotes.data.polarity import load_polarity, polarity_sentences
from dlnotes.data.vocab import Vocab
from dlnotes.layers.conv1d import corr1d, corr1d_multi_in
from dlnotes.layers.embedding import valid_lengths
from dlnotes.models.sentiment import BagOfWords, BiRNNClassifier
from dlnotes.models.textcnn import TextCNN
from dlnotes.recipes.sentiment import (
    LengthBuckets,
    build_vocab,
    predict_sentiment,
    tensorize,
    train_classifier,
)


# --- data -------------------------------------------------------------------------------------
def test_polarity_has_5331_sentences_per_class_already_tokenised():
    data_dir_or_skip()
    tokens, labels = polarity_sentences()
    assert Counter(labels) == {1: 5_331, 0: 5_331}
    assert all(line and all(t == t.lower() for t in line) for line in tokens)
    assert tokens[0][:3] == ["the", "rock", "is"]
    vocab = Counter(t for line in tokens for t in line)
    assert vocab["ladrón"] > 0 and not any("Ã" in t for t in vocab)  # UTF-8, not latin-1 (no mojibake)
    assert vocab["it's"] == 1_121 and vocab["'s"] == 2  # contractions and possessives are not split


def test_split_sizes_balance_and_partition():
    data_dir_or_skip()
    (train_x, train_y), (test_x, test_y) = load_polarity(seed=0)
    assert (len(train_x), len(test_x)) == (8_530, 2_132) == (len(train_y), len(test_y))
    share_train, share_test = sum(train_y) / len(train_y), sum(test_y) / len(test_y)
    print(f"positive share: train {share_train:.3f}, test {share_test:.3f}")  # 0.502 / 0.492 for seed 0
    assert abs(share_train - 0.5) < 0.02 and abs(share_test - 0.5) < 0.02
    tokens, labels = polarity_sentences()
    everything = Counter((tuple(t), y) for t, y in zip(tokens, labels, strict=True))
    parts = Counter((tuple(t), y) for t, y in zip(train_x + test_x, train_y + test_y, strict=True))
    assert parts == everything  # every sentence exactly once (duplicated sentences as often as in the file)


def test_split_is_deterministic_and_disjoint_by_position():
    data_dir_or_skip()
    a, b, c = load_polarity(seed=0), load_polarity(seed=0), load_polarity(seed=1)
    assert a == b
    assert a[1][0] != c[1][0]
    with pytest.raises(ValueError, match="test_fraction"):
        load_polarity(test_fraction=1.0)


# --- corr1d twin ------------------------------------------------------------------------------
def test_corr1d_hand_example():
    X, K = torch.tensor([0.0, 1, 2, 3, 4, 5, 6]), torch.tensor([1.0, 2])
    torch.testing.assert_close(corr1d(X, K), torch.tensor([2.0, 5, 8, 11, 14, 17]))


def test_corr1d_matches_conv1d_outputs_and_gradients():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(3, 11, generator=g, requires_grad=True)
    K = torch.randn(3, 4, generator=g, requires_grad=True)
    X2, K2 = X.detach().clone().requires_grad_(), K.detach().clone().requires_grad_()
    ours = corr1d_multi_in(X, K)
    theirs = F.conv1d(X2[None], K2[None])[0, 0]  # (1, 3, 11) * (1, 3, 4) -> (1, 1, 8)
    torch.testing.assert_close(ours, theirs)
    w = torch.randn(8, generator=g)
    (ours * w).sum().backward()
    (theirs * w).sum().backward()
    torch.testing.assert_close(X.grad, X2.grad)
    torch.testing.assert_close(K.grad, K2.grad)
    single = torch.randn(9, generator=g)
    torch.testing.assert_close(corr1d(single, K[0].detach()), F.conv1d(single.view(1, 1, 9),
                                                                       K[0].detach().view(1, 1, 4)).view(-1))


def test_corr1d_rejects_bad_shapes():
    with pytest.raises(ValueError, match="1-D"):
        corr1d(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="larger"):
        corr1d(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="same c"):
        corr1d_multi_in(torch.zeros(2, 5), torch.zeros(3, 2))


# --- models -----------------------------------------------------------------------------------
def _batch():
    # pad = 1; rows of lengths 4, 2, 6
    return torch.tensor([[5, 6, 7, 8, 1, 1], [9, 2, 1, 1, 1, 1], [3, 4, 5, 6, 7, 8]])


def test_valid_lengths_and_empty_rows():
    assert valid_lengths(_batch(), pad_idx=1).tolist() == [4, 2, 6]
    with pytest.raises(ValueError, match="only padding"):
        valid_lengths(torch.tensor([[1, 1], [2, 1]]), pad_idx=1)


@pytest.mark.parametrize("make", [
    lambda: BagOfWords(10, pad_idx=1),
    lambda: BiRNNClassifier(10, 4, 3, 2, pad_idx=1),
    lambda: BiRNNClassifier(10, 4, 3, 2, pad_idx=1, readout="padded"),
    lambda: TextCNN(10, 4, (2, 3), (5, 6)),
])
def test_models_shapes_and_bad_input(make):
    net = make()
    assert net(_batch()).shape == (3, 2)
    with pytest.raises(ValueError, match="integer dtype"):
        net(torch.zeros(3, 6))
    with pytest.raises(ValueError, match="batch, steps"):
        net(torch.zeros(6, dtype=torch.long))
    with pytest.raises(ValueError, match="must lie in"):
        net(torch.full((2, 6), 10))


def test_packed_readout_ignores_padding_and_padded_does_not():
    torch.manual_seed(0)
    for readout, same in (("packed", True), ("padded", False)):
        net = BiRNNClassifier(10, 4, 3, 2, pad_idx=1, readout=readout).eval()
        short = torch.tensor([[5, 6, 7, 1]])
        longer = torch.tensor([[5, 6, 7, 1, 1, 1, 1, 1]])
        assert torch.allclose(net(short), net(longer), atol=1e-6) is same


def test_bow_is_logistic_regression_on_counts():
    torch.manual_seed(0)
    net = BagOfWords(10, pad_idx=1)
    torch.nn.init.normal_(net.W.weight)
    with torch.no_grad():
        net.W.weight[1] = 0  # the padding row
    X = _batch()
    counts = F.one_hot(X, 10).sum(dim=1).float()  # (3, 10)
    counts[:, 1] = 0
    torch.testing.assert_close(net(X), counts @ net.W.weight + net.b)


def test_frozen_embedding_gets_no_gradient_and_does_not_move():
    torch.manual_seed(0)
    weights = torch.randn(10, 4)
    rnn = BiRNNClassifier(10, 4, 3, 1, pad_idx=1).load_embedding(weights)
    cnn = TextCNN(10, 4, (2, 3), (5, 6)).load_embedding(weights)
    X, y = _batch(), torch.tensor([0, 1, 1])
    train = (X.repeat(4, 1), y.repeat(4))
    for net, frozen in ((rnn, rnn.embedding), (cnn, cnn.constant_embedding)):
        F.cross_entropy(net(X), y).backward()
        assert frozen.weight.grad is None and not frozen.weight.requires_grad
        train_classifier(net, train, train, 2, lr=0.1, pad_idx=1, batch_size=4, min_len=3)
        torch.testing.assert_close(frozen.weight, weights)
    assert not torch.equal(cnn.embedding.weight, weights)  # the other TextCNN embedding is trained
    with pytest.raises(ValueError, match="do not fit"):
        rnn.load_embedding(torch.zeros(9, 4))


def test_textcnn_rejects_sentences_shorter_than_its_widest_kernel():
    with pytest.raises(ValueError, match="at least 3 steps"):
        TextCNN(10, 4, (2, 3), (5, 6))(torch.tensor([[2, 3]]))


# --- recipe -----------------------------------------------------------------------------------
def _toy():
    """Separable toy sentences: label 1 iff "good" occurs."""
    g = torch.Generator().manual_seed(0)
    fillers = ["the", "film", "a", "plot", "is", "was", "story"]
    tokens, labels = [], []
    for i in range(200):
        n = int(torch.randint(2, 8, (1,), generator=g))
        line = [fillers[int(j)] for j in torch.randint(0, len(fillers), (n,), generator=g)]
        word = "good" if i % 2 else "bad"
        line.insert(int(torch.randint(0, n + 1, (1,), generator=g)), word)
        tokens.append(line)
        labels.append(i % 2)
    return tokens, labels


def test_bow_baseline_separates_a_toy_set():
    torch.manual_seed(0)
    tokens, labels = _toy()
    vocab = build_vocab(tokens, min_freq=1)
    data = tensorize(tokens, labels, vocab, 10)
    net = BagOfWords(len(vocab), vocab["<pad>"])
    history = train_classifier(net, data, data, 10, lr=0.1, pad_idx=vocab["<pad>"], batch_size=16)
    assert history.final["train_acc"] == 1.0 == history.final["test_acc"]
    assert predict_sentiment(net, vocab, "a good story", 10) == "positive"
    assert predict_sentiment(net, vocab, "the plot was bad", 10) == "negative"
    with pytest.raises(ValueError, match="empty"):
        predict_sentiment(net, vocab, "  ", 10)


def test_tensorize_pads_truncates_and_rejects_bad_input():
    vocab = build_vocab([["a", "b"]], min_freq=1)
    X, y = tensorize([["a"], ["b", "a", "b"]], [0, 1], vocab, 2)
    pad = vocab["<pad>"]
    assert X.tolist() == [[vocab["a"], pad], [vocab["b"], vocab["a"]]] and y.tolist() == [0, 1]
    with pytest.raises(ValueError, match="labels must be 0"):
        tensorize([["a"]], [2], vocab, 2)
    with pytest.raises(ValueError, match="1 sentences but 2 labels"):
        tensorize([["a"]], [0, 1], vocab, 2)
    with pytest.raises(ValueError, match="empty"):
        tensorize([[]], [0], vocab, 2)
    with pytest.raises(ValueError, match="<pad>"):
        tensorize([["a"]], [0], Vocab([["a"]]), 2)


def test_length_buckets_cover_every_example_once_and_trim_padding():
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 9, (50,), generator=g)
    X = torch.where(torch.arange(10)[None] < lengths[:, None], 5, 1)  # (50, 10), pad 1
    y = torch.arange(50)
    for shuffle in (True, False):
        batches = list(LengthBuckets(X, y, 8, pad_idx=1, shuffle=shuffle, pool_batches=2, min_len=3))
        assert sorted(torch.cat([b[1] for b in batches]).tolist()) == list(range(50))
        for xb, yb in batches:
            assert xb.shape[1] == max(int(lengths[yb].max()), 3)
    first = [b[1].tolist() for b in LengthBuckets(X, y, 8, pad_idx=1, seed=4)]
    again = [b[1].tolist() for b in LengthBuckets(X, y, 8, pad_idx=1, seed=4)]
    assert first == again
