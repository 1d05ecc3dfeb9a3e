"""Twin tests for the from-scratch recurrent layers (``dlnotes.layers.rnn``).

With the weights of a ``torch.nn`` twin copied in, each scratch layer must give the same outputs,
the same final state and the same gradients with respect to the inputs, the initial state and
every weight. PyTorch's stacked ``(gates·h, d)`` weights are the transposes of the scratch
``(d, h)`` ones; where PyTorch adds two biases the scratch layer holds their sum, so the gradient
of that sum equals the gradient of each of PyTorch's two.
"""

import pytest
import torch
from rnn_twins import TWINS, assert_twins_agree, leaves, random_state
from torch import nn

from dlnotes.layers import rnn as scratch

CELL_TWINS = {"RNN": (scratch.RNNCell, nn.RNNCell), "LSTM": (scratch.LSTMCell, nn.LSTMCell),
              "GRU": (scratch.GRUCell, nn.GRUCell)}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_scratch_layer_equals_torch_twin_forward_and_backward(kind, num_layers):
    torch.manual_seed(0)
    T, B, d, h = 6, 3, 5, 4
    ours_class, theirs_class = TWINS[kind]
    theirs = theirs_class(d, h, num_layers=num_layers)
    ours = ours_class(d, h, num_layers=num_layers).load_torch_weights(theirs)
    assert_twins_agree(ours, theirs, torch.randn(T, B, d), random_state(kind, num_layers, B, h), kind,
                       [(cell, f"_l{k}") for k, cell in enumerate(ours.cells)])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_batch_first_and_zero_initial_state(kind):
    torch.manual_seed(0)
    ours_class, theirs_class = TWINS[kind]
    theirs = theirs_class(3, 4, num_layers=2, batch_first=True)
    ours = ours_class(3, 4, num_layers=2, batch_first=True).load_torch_weights(theirs)
    X = torch.randn(2, 7, 3)  # (B, T, d)
    Y, final = ours(X)  # no state: zeros, as in torch
    Y2, final2 = theirs(X)
    assert Y.shape == (2, 7, 4)
    torch.testing.assert_close(Y, Y2)
    for a, b in zip(leaves(final), leaves(final2), strict=True):
        torch.testing.assert_close(a, b)
    zeros = ours.begin_state(2)
    for a, b in zip(leaves(ours(X, zeros)[1]), leaves(final), strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_scratch_cell_equals_torch_cell(kind):
    torch.manual_seed(0)
    ours_class, theirs_class = CELL_TWINS[kind]
    theirs = theirs_class(5, 3)
    ours = ours_class(5, 3).load_torch_weights(theirs)
    X = torch.randn(4, 5)
    state = random_state(kind, 1, 4, 3)
    state = tuple(s[0] for s in state) if kind == "LSTM" else state[0]
    torch.testing.assert_close(ours(X, state), theirs(X, state))


def test_lstm_single_bias_is_the_sum_of_torchs_two():
    torch.manual_seed(0)
    theirs = nn.LSTM(2, 3)
    ours = scratch.LSTM(2, 3).load_torch_weights(theirs)
    forget = slice(3, 6)  # PyTorch stacks i, f, g, o
    torch.testing.assert_close(ours.cells[0].b_f, (theirs.bias_ih_l0 + theirs.bias_hh_l0)[forget].detach())


def test_gru_reset_gate_acts_after_the_recurrent_product():
    """d2l's candidate tanh(X W_xh + (R ⊙ H) W_hh + b) is a different function from nn.GRU's."""
    torch.manual_seed(0)
    cell = scratch.GRUCell(3, 4)
    X, H = torch.randn(5, 3), torch.randn(5, 4)
    with torch.no_grad():
        R = torch.sigmoid(X @ cell.W_xr + H @ cell.W_hr + cell.b_r)
        pytorch_form = torch.tanh(X @ cell.W_xn + cell.b_xn + R * (H @ cell.W_hn + cell.b_hn))
        d2l_form = torch.tanh(X @ cell.W_xn + cell.b_xn + (R * H) @ cell.W_hn + cell.b_hn)
    assert (pytorch_form - d2l_form).abs().max() > 1e-2


def test_same_parameter_count_as_torch():
    for kind, (ours_class, theirs_class) in TWINS.items():
        ours, theirs = ours_class(7, 5, num_layers=2), theirs_class(7, 5, num_layers=2)
        n_ours = sum(p.numel() for p in ours.parameters())
        n_theirs = sum(p.numel() for p in theirs.parameters())
        merged_biases = {"RNN": 1, "LSTM": 4, "GRU": 2}[kind] * 5 * 2  # one bias instead of two
        assert n_ours == n_theirs - merged_biases, kind


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bad_input_fails_loudly(kind):
    layer = TWINS[kind][0](3, 4)
    with pytest.raises(ValueError, match=r"\(steps, batch, features\) with 3 features, got \(5, 3\)"):
        layer(torch.randn(5, 3))  # rank 2
    with pytest.raises(ValueError, match=r"with 3 features, got \(5, 2, 6\)"):
        layer(torch.randn(5, 2, 6))  # wrong feature size
    with pytest.raises(ValueError, match="state"):
        layer(torch.randn(5, 2, 3), layer.begin_state(3))  # state for another batch size
    with pytest.raises(ValueError, match="features"):
        TWINS[kind][0](3, 4, batch_first=True)(torch.randn(2, 5))
    cell = CELL_TWINS[kind][0](3, 4)
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        cell(torch.randn(2, 5, 3), None)


def test_lstm_state_must_be_a_pair():
    with pytest.raises(ValueError, match=r"pair \(H, C\)"):
        scratch.LSTM(3, 4)(torch.randn(5, 2, 3), torch.zeros(1, 2, 4))


def test_load_torch_weights_refuses_a_mismatched_twin():
    with pytest.raises(ValueError, match="cannot copy"):
        scratch.RNN(3, 4).load_torch_weights(nn.RNN(3, 5))
    with pytest.raises(ValueError, match="cannot copy"):
        scratch.RNN(3, 4).load_torch_weights(nn.GRU(3, 4))
    with pytest.raises(ValueError, match="cannot copy"):
        scratch.RNN(3, 4).load_torch_weights(nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="cannot copy"):
        scratch.RNNCell(3, 4).load_torch_weights(nn.RNNCell(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_scratch_layer_drives_the_language_model_like_its_torch_twin(kind):
    from dlnotes.models.rnn import RNNLanguageModel

    torch.manual_seed(0)
    vocab_size, hidden = 7, 5
    twin = getattr(nn, kind)(vocab_size, hidden, batch_first=True)
    ours = getattr(scratch, kind)(vocab_size, hidden, batch_first=True)
    ours.load_torch_weights(twin)
    X = torch.randint(0, vocab_size, (3, 4))  # (B, T)
    outputs = []
    for layer in (twin, ours):
        torch.manual_seed(1)
        model = RNNLanguageModel(layer, vocab_size)
        logits, _ = model(X, model.begin_state(3))
        outputs.append(logits)  # (B, T, V)
    torch.testing.assert_close(outputs[0], outputs[1])
