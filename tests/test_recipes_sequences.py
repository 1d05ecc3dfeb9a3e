"""The loop's sequence cases: a stateful char-level RNN LM reports perplexity; a tiny seq2seq
model trains through ``fit`` with ``(X, X_valid_len, Y_in, Y_valid_len) → Y``; BLEU; the masks."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlnotes.data.sequences import LanguageModelBatches
from dlnotes.data.vocab import Vocab, tokenize, truncate_pad
from dlnotes.layers.functional import masked_cross_entropy, sequence_mask
from dlnotes.models.rnn import RNNLanguageModel
from dlnotes.models.seq2seq import Seq2Seq, Seq2SeqConfig
from dlnotes.recipes.language_model import (
    evaluate_perplexity,
    generate,
    profile_optimizer,
    train_language_model,
)
from dlnotes.recipes.seq2seq import PaddedCrossEntropy, bleu, greedy_decode
from dlnotes.seed import set_seed
from dlnotes.train import fit

TEXT = "分开 不分开 我不能再想 我不 我不 我不能 " * 40


def _char_corpus():
    vocab = Vocab(tokenize([TEXT], "char"))
    return vocab, torch.tensor(vocab[list(TEXT)])


def test_vocab_unknown_reserved_and_round_trip():
    vocab = Vocab(tokenize(["a b b c c c"]), reserved_tokens=["<pad>", "<bos>"])
    assert vocab.to_tokens([0, 1, 2]) == ["<unk>", "<pad>", "<bos>"]
    assert vocab.to_tokens(3) == "c"  # the most frequent token comes first
    assert vocab["zzz"] == vocab.unk == 0
    tokens = ["c", "a", "b"]
    assert vocab.to_tokens(vocab[tokens]) == tokens
    with pytest.raises(KeyError, match="zzz"):
        vocab.check_known(["a", "zzz"])
    assert truncate_pad([5, 6, 7], 2, 1) == [5, 6] and truncate_pad([5], 3, 1) == [5, 1, 1]


def test_sequential_batches_continue_row_by_row_and_random_ones_cover_the_corpus():
    corpus = torch.arange(100)
    seq = list(LanguageModelBatches(corpus, 2, 5, sequential=True))
    for (X1, _), (X2, _) in zip(seq, seq[1:], strict=False):
        assert torch.equal(X2[:, 0], X1[:, -1] + 1)  # each row runs on where it stopped
    for X, Y in LanguageModelBatches(corpus, 3, 4, sequential=False):
        assert torch.equal(Y, X + 1) and X.shape == (3, 4)
    with pytest.raises(ValueError, match="too short"):
        LanguageModelBatches(torch.arange(10), 4, 5)


def test_a_tiny_char_rnn_language_model_learns_and_reports_perplexity():
    set_seed(0)
    vocab, corpus = _char_corpus()
    train_iter = LanguageModelBatches(corpus[:800], 4, 10, sequential=True)
    valid_iter = LanguageModelBatches(corpus[800:], 4, 10, sequential=True, seed=1)
    model = RNNLanguageModel(nn.GRU(len(vocab), 32, batch_first=True), len(vocab))
    before = evaluate_perplexity(model, valid_iter)
    history = train_language_model(model, train_iter, torch.optim.Adam(model.parameters(), 0.01),
                                   8, valid_iter=valid_iter, clip_grad_norm=1.0)
    last = history.final
    assert last["train_ppl"] == pytest.approx(math.exp(last["train_loss"]))
    assert last["test_ppl"] < before / 2 and last["test_ppl"] < len(vocab) / 2
    assert history.metric("train_ppl")[-1] < history.metric("train_ppl")[0]
    assert last["grad_norm"] > 0
    text = generate(model, vocab, list("分开"), 5)
    assert text[:2] == ["分", "开"] and len(text) == 7
    with pytest.raises(KeyError, match="outside the vocabulary.*'龙'"):
        generate(model, vocab, list("龙卷风"), 3)


def test_perplexity_is_exp_of_the_mean_token_cross_entropy():
    set_seed(0)
    vocab, corpus = _char_corpus()
    model = RNNLanguageModel(nn.RNN(len(vocab), 8, batch_first=True), len(vocab))
    data = LanguageModelBatches(corpus[:200], 2, 10, sequential=True)
    X, Y = next(iter(LanguageModelBatches(corpus[:200], 2, 10, sequential=True, seed=5)))
    one = [(X, Y)]
    logits, _ = model(X, model.begin_state(2))
    ce = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), Y.reshape(-1))
    assert evaluate_perplexity(model, one) == pytest.approx(math.exp(float(ce.detach())), rel=1e-6)
    assert evaluate_perplexity(model, data) > 1


def _copy_task(n=96, T=5, seed=0):
    """Reverse a short sequence of tokens 3..9; 0 <pad>, 1 <bos>, 2 <eos>; lengths vary."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        length = int(torch.randint(2, T, (1,), generator=g))
        src = torch.randint(3, 10, (length,), generator=g).tolist()
        rows.append((src + [2], src[::-1] + [2]))
    def pad(seqs, width):
        return torch.tensor([truncate_pad(s, width, 0) for s in seqs])
    X = pad([s for s, _ in rows], T + 1)
    Y = pad([t for _, t in rows], T + 1)
    Y_in = torch.cat([torch.ones(n, 1, dtype=torch.long), Y[:, :-1]], dim=1)  # <bos> + shifted
    X_len = (X != 0).sum(1)
    Y_len = (Y != 0).sum(1)
    return rows, (X, X_len, Y_in, Y_len, Y)


def test_a_tiny_seq2seq_model_trains_with_fit_and_decodes_greedily():
    set_seed(0)
    rows, tensors = _copy_task()
    batches = [tuple(t[i:i + 16] for t in tensors) for i in range(0, len(rows), 16)]
    model = Seq2Seq(Seq2SeqConfig(src_vocab=10, tgt_vocab=10, embed_size=16, num_hiddens=64,
                                  num_layers=1, dropout=0.0))
    history = fit(model, batches, PaddedCrossEntropy(pad_index=0),
                  torch.optim.Adam(model.parameters(), lr=0.01), 40, metrics=["acc"],
                  clip_grad_norm=1.0)
    assert history.final["train_loss"] < history.records[0]["train_loss"] / 3
    scores = []
    for src, tgt in rows[:20]:
        pred = greedy_decode(model, src, bos=1, eos=2, max_len=8)
        scores.append(bleu([str(t) for t in pred], [str(t) for t in tgt[:-1]], k=2))
    assert sum(scores) / len(scores) > 0.5


def test_masked_cross_entropy_ignores_padding_entirely():
    torch.manual_seed(0)
    logits, Y = torch.randn(2, 4, 6), torch.randint(0, 5, (2, 4))  # class 5 only as padding
    valid = torch.tensor([3, 1])
    loss = masked_cross_entropy(logits, Y, valid)
    keep = [(0, 0), (0, 1), (0, 2), (1, 0)]
    rows, cols = zip(*keep, strict=True)
    expected = nn.functional.cross_entropy(logits[list(rows), list(cols)], Y[list(rows), list(cols)])
    torch.testing.assert_close(loss, expected)
    noisy = logits.clone()
    noisy[0, 3], noisy[1, 1:] = 100.0, -100.0  # change only padded positions
    torch.testing.assert_close(masked_cross_entropy(noisy, Y, valid), loss)
    assert torch.equal(sequence_mask(torch.ones(2, 3), torch.tensor([1, 2])),
                       torch.tensor([[1.0, 0, 0], [1, 1, 0]]))
    pad_loss = PaddedCrossEntropy(pad_index=5)
    Y_padded = Y.clone()
    Y_padded[0, 3], Y_padded[1, 1:] = 5, 5
    torch.testing.assert_close(pad_loss(logits, Y_padded), loss)  # twin


@pytest.mark.parametrize(("pred", "label", "expected"), [
    ("a b c d", "a b c d", 1.0),
    ("x y", "a b c", 0.0),
    ("a b", "a b c d", math.exp(1 - 4 / 2)),  # all n-grams right; only the brevity penalty
])
def test_bleu_hand_worked_examples(pred, label, expected):
    assert bleu(pred.split(), label.split(), k=2) == pytest.approx(expected)


def test_profile_optimizer_is_adam_with_one_cycle_on_cpu_and_d2ls_sgd_on_full(monkeypatch):
    net = nn.Linear(3, 2)
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")
    optimizer, scheduler, recipe = profile_optimizer(net.parameters(), 4, peak_lr=0.02, sgd_lr=2.0)
    assert isinstance(optimizer, torch.optim.Adam) and "0.02" in recipe
    lrs = []
    for _ in range(4):  # stepped once per epoch: rises to the peak, then anneals
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] < max(lrs) <= 0.02 and lrs[-1] < max(lrs)
    monkeypatch.setenv("DLNOTES_PROFILE", "full")
    optimizer, scheduler, recipe = profile_optimizer(net.parameters(), 4, peak_lr=0.02, sgd_lr=2.0)
    assert type(optimizer) is torch.optim.SGD and optimizer.param_groups[0]["lr"] == 2.0
    assert scheduler is None and "SGD lr 2.0" in recipe
