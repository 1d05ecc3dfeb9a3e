"""Twin tests for the scratch bidirectional layer (``dlnotes.layers.rnn.Bidirectional``, §9.4).

With the weights of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU(bidirectional=True)`` copied in, the
scratch layer must give the same outputs ``(T, B, 2h)``, the same final states (PyTorch's order:
level 0 forward, level 0 backward, level 1 forward, …) and the same gradients with respect to the
input, the initial state and every weight, including the ``*_reverse`` ones.
"""

import pytest
import torch
from rnn_twins import TWINS, assert_twins_agree, random_state
from torch import nn

from dlnotes.layers import rnn as scratch
from dlnotes.models.rnn import RNNLanguageModel


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bidirectional_equals_torch_twin_forward_and_backward(kind, num_layers):
    torch.manual_seed(0)
    T, B, d, h = 6, 3, 5, 4
    layer_class, torch_class = TWINS[kind]
    theirs = torch_class(d, h, num_layers=num_layers, bidirectional=True)
    ours = scratch.Bidirectional(layer_class, d, h, num_layers=num_layers).load_torch_weights(theirs)
    cells = [(layers[k].cells[0], f"_l{k}{suffix}") for k in range(num_layers)
             for suffix, layers in (("", ours.forward_layers), ("_reverse", ours.backward_layers))]
    Y = assert_twins_agree(ours, theirs, torch.randn(T, B, d), random_state(kind, 2 * num_layers, B, h),
                           kind, cells)
    assert Y.shape == (T, B, 2 * h)


def test_backward_direction_at_step_t_depends_only_on_steps_t_to_T():
    torch.manual_seed(0)
    layer = scratch.Bidirectional(scratch.LSTM, 3, 4)
    X = torch.randn(5, 2, 3)
    Y, _ = layer(X)
    X_changed = X.clone()
    X_changed[4] += 1.0  # change only the last step
    Y_changed, _ = layer(X_changed)
    # forward half: unchanged before the last step; backward half: changed at every step
    torch.testing.assert_close(Y_changed[:4, :, :4], Y[:4, :, :4])
    assert all((Y_changed[t, :, 4:] - Y[t, :, 4:]).abs().max() > 0 for t in range(5))


def test_batch_first_and_language_model_with_the_twin():
    torch.manual_seed(0)
    V, h = 7, 5
    theirs = nn.LSTM(V, h, num_layers=2, batch_first=True, bidirectional=True)
    ours = scratch.Bidirectional(scratch.LSTM, V, h, num_layers=2, batch_first=True)
    ours.load_torch_weights(theirs)
    lm, lm2 = RNNLanguageModel(ours, V), RNNLanguageModel(theirs, V)
    lm.output.load_state_dict(lm2.output.state_dict())
    X = torch.randint(0, V, (3, 6))
    logits, (H, C) = lm(X, lm.begin_state(3))
    logits2, (H2, C2) = lm2(X, lm2.begin_state(3))
    assert logits.shape == (3, 6, V) and H.shape == (4, 3, h)
    torch.testing.assert_close(logits, logits2)
    torch.testing.assert_close(C, C2)


def test_bad_input_fails_loudly():
    layer = scratch.Bidirectional(scratch.GRU, 3, 4, num_layers=2)
    with pytest.raises(ValueError, match="3 features"):
        layer(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"\(4, 2, 4\)"):
        layer(torch.randn(5, 2, 3), torch.zeros(2, 2, 4))  # one direction's state only
    with pytest.raises(ValueError, match="pair"):
        scratch.Bidirectional(scratch.LSTM, 3, 4)(torch.randn(5, 2, 3), torch.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="options differ"):
        layer.load_torch_weights(nn.GRU(3, 4, num_layers=2))  # not bidirectional
    with pytest.raises(TypeError):
        scratch.Bidirectional(nn.LSTM, 3, 4)
