"""What the gates of the scratch GRU and LSTM cells mean (pages 9.1 and 9.2).

The twin tests in ``test_rnn_layers.py`` prove the cells equal ``torch.nn``; these pin down the
readings the pages teach: a saturated update gate keeps the GRU state, a saturated forget gate with
a closed input gate keeps the LSTM memory, d2l's GRU candidate differs from PyTorch's in general and
agrees with it when ``W_hn`` is diagonal and ``b_hn`` is zero, and the parameter count of a one-hot
language model is ``g (V h + h² + 2h) + h V + V`` for ``g`` = 1, 3, 4 (RNN, GRU, LSTM).
"""

import pytest
import torch
from torch import nn

from dlnotes.layers.rnn import GRUCell, LSTMCell
from dlnotes.models.rnn import RNNLanguageModel

BIG = 50.0  # sigmoid(±50) is 1 or 0 to float32 precision


def _d2l_gru_step(cell: GRUCell, X_t, H):
    """d2l's GRU: the reset gate multiplies H before W_hn; one candidate bias."""
    R = torch.sigmoid(X_t @ cell.W_xr + H @ cell.W_hr + cell.b_r)
    Z = torch.sigmoid(X_t @ cell.W_xz + H @ cell.W_hz + cell.b_z)
    H_tilde = torch.tanh(X_t @ cell.W_xn + (R * H) @ cell.W_hn + cell.b_xn + cell.b_hn)
    return Z * H + (1 - Z) * H_tilde


@torch.no_grad()
def test_gru_update_gate_at_one_keeps_the_state():
    torch.manual_seed(0)
    cell = GRUCell(5, 4)
    cell.b_z.fill_(BIG)
    X_t, H = torch.randn(3, 5), torch.randn(3, 4)
    torch.testing.assert_close(cell(X_t, H), H)


@torch.no_grad()
def test_gru_with_open_reset_and_closed_update_is_a_plain_rnn_step():
    torch.manual_seed(0)
    cell = GRUCell(5, 4)
    cell.b_r.fill_(BIG)
    cell.b_z.fill_(-BIG)
    X_t, H = torch.randn(3, 5), torch.randn(3, 4)
    plain = torch.tanh(X_t @ cell.W_xn + cell.b_xn + H @ cell.W_hn + cell.b_hn)
    torch.testing.assert_close(cell(X_t, H), plain)


@torch.no_grad()
def test_d2l_gru_differs_from_torch_form_unless_w_hn_is_diagonal():
    torch.manual_seed(0)
    cell = GRUCell(5, 4)
    X_t, H = torch.randn(3, 5), torch.randn(3, 4)
    assert (cell(X_t, H) - _d2l_gru_step(cell, X_t, H)).abs().max() > 1e-3
    cell.W_hn.copy_(torch.diag(torch.randn(4)))
    cell.b_hn.zero_()
    torch.testing.assert_close(cell(X_t, H), _d2l_gru_step(cell, X_t, H))


@torch.no_grad()
def test_lstm_open_forget_gate_and_closed_input_gate_keep_the_memory():
    torch.manual_seed(0)
    cell = LSTMCell(5, 4)
    cell.b_f.fill_(BIG)
    cell.b_i.fill_(-BIG)
    X_t, H, C = torch.randn(3, 5), torch.randn(3, 4), torch.randn(3, 4)
    H_t, C_t = cell(X_t, (H, C))
    torch.testing.assert_close(C_t, C)
    out_gate = torch.sigmoid(X_t @ cell.W_xo + H @ cell.W_ho + cell.b_o)
    torch.testing.assert_close(H_t, out_gate * torch.tanh(C))


@torch.no_grad()
def test_lstm_closed_forget_gate_replaces_the_memory():
    torch.manual_seed(0)
    cell = LSTMCell(5, 4)
    cell.b_f.fill_(-BIG)
    cell.b_i.fill_(BIG)
    X_t, H, C = torch.randn(3, 5), torch.randn(3, 4), torch.randn(3, 4)
    _, C_t = cell(X_t, (H, C))
    torch.testing.assert_close(C_t, torch.tanh(X_t @ cell.W_xc + H @ cell.W_hc + cell.b_c))


@pytest.mark.parametrize("layer, groups", [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
@pytest.mark.parametrize("h", [7, 32])
def test_one_hot_language_model_parameter_count(layer, groups, h):
    V = 50
    model = RNNLanguageModel(layer(V, h, batch_first=True), V)
    assert sum(p.numel() for p in model.parameters()) == groups * (V * h + h * h + 2 * h) + h * V + V
