"""The fill-in-the-blank task of §9.4 (``dlnotes.recipes.cloze``): windows, what each model sees, training."""

import pytest
import torch
from torch import nn

from dlnotes.models.rnn import RNNLanguageModel
from dlnotes.recipes.cloze import cloze_accuracy, cloze_examples, cloze_logits, train_cloze
from dlnotes.seed import data_generator


def test_windows_hide_the_middle_token():
    corpus = torch.arange(20)
    X, y = cloze_examples(corpus, 5, 8, mask_id=99, generator=data_generator(0))
    assert X.shape == (8, 5) and y.shape == (8,)
    assert bool((X[:, 2] == 99).all())
    # the window is consecutive tokens: left neighbour + 1 = hidden token = right neighbour - 1
    assert torch.equal(X[:, 1] + 1, y) and torch.equal(X[:, 3] - 1, y)


@pytest.mark.parametrize("width", [4, 1])
def test_bad_width_fails(width):
    with pytest.raises(ValueError, match="odd"):
        cloze_examples(torch.arange(20), width, 3, mask_id=99, generator=data_generator(0))


def test_mask_must_be_a_new_token():
    with pytest.raises(ValueError, match="mask_id"):
        cloze_examples(torch.arange(20), 5, 3, mask_id=7, generator=data_generator(0))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_one_way_model_sees_only_the_left_context(bidirectional):
    torch.manual_seed(0)
    model = RNNLanguageModel(nn.LSTM(6, 8, batch_first=True, bidirectional=bidirectional), 6)
    X = torch.tensor([[0, 1, 5, 2, 3]])
    X_right = torch.tensor([[0, 1, 5, 4, 4]])  # only the right context differs
    same = torch.allclose(cloze_logits(model, X), cloze_logits(model, X_right))
    assert same != bidirectional


def test_training_fills_a_blank_that_only_the_right_side_reveals():
    torch.manual_seed(0)
    # random tokens 0..3, each followed by itself: "a a c c b b ..." (pairs), so the hidden token
    # equals its left neighbour or its right neighbour: a one-way model can only guess at half
    pairs = torch.randint(0, 4, (400,), generator=data_generator(1)).repeat_interleave(2)
    X, y = cloze_examples(pairs, 5, 600, mask_id=4, generator=data_generator(2))
    model = RNNLanguageModel(nn.LSTM(5, 16, batch_first=True, bidirectional=True), 5)
    history = train_cloze(model, X, y, torch.optim.Adam(model.parameters(), lr=0.03), 8,
                          batch_size=64, generator=data_generator(3), test=(X, y))
    assert history.final["test_acc"] > 0.8  # a one-way model tops out near 0.62
    assert cloze_accuracy(model, X, y) == history.final["test_acc"]
    with pytest.raises(ValueError, match="answers"):
        train_cloze(model, X, y[:3], torch.optim.SGD(model.parameters(), lr=0.1), 1,
                    batch_size=8, generator=data_generator(3))
