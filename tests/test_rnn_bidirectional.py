"""Twin tests for the scratch bidirectional layer (``dlnotes.layers.rnn.Bidirectional``, §9.4).

With the weights of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU(bidirectional=True)`` copied in, the
scratch layer must give the same outputs ``(T, B, 2h)``, the same final states (PyTorch's order:
level 0 forward, level 0 backward, level 1 forward, …) and the same gradients with respect to the
input, the initial state and every weight, including the ``*_reverse`` ones.
"""

import pytest
import torch
from torch import nn

from dlnotes.layers import rnn as scratch
from dlnotes.models.rnn import RNNLanguageModel

TWINS = {"RNN": (scratch.RNN, nn.RNN), "LSTM": (scratch.LSTM, nn.LSTM), "GRU": (scratch.GRU, nn.GRU)}
GATES = {"RNN": ["h"], "LSTM": ["i", "f", "c", "o"], "GRU": ["r", "z", "n"]}


def _leaves(state):
    return list(state) if isinstance(state, tuple) else [state]


def _fresh(state):
    if isinstance(state, tuple):
        return tuple(s.detach().clone().requires_grad_(True) for s in state)
    return state.detach().clone().requires_grad_(True)


def _grads(cell, kind):
    """The scratch cell's gradients stacked and transposed as PyTorch stores them."""
    W_x = torch.cat([getattr(cell, f"W_x{g}").grad.T for g in GATES[kind]])
    W_h = torch.cat([getattr(cell, f"W_h{g}").grad.T for g in GATES[kind]])
    if kind == "GRU":
        b_x = torch.cat([cell.b_r.grad, cell.b_z.grad, cell.b_xn.grad])
        b_h = torch.cat([cell.b_r.grad, cell.b_z.grad, cell.b_hn.grad])
    else:
        b_x = b_h = torch.cat([getattr(cell, f"b_{g}").grad for g in GATES[kind]])
    return {"weight_ih": W_x, "weight_hh": W_h, "bias_ih": b_x, "bias_hh": b_h}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bidirectional_equals_torch_twin_forward_and_backward(kind, num_layers):
    torch.manual_seed(0)
    T, B, d, h = 6, 3, 5, 4
    layer_class, torch_class = TWINS[kind]
    theirs = torch_class(d, h, num_layers=num_layers, bidirectional=True)
    ours = scratch.Bidirectional(layer_class, d, h, num_layers=num_layers).load_torch_weights(theirs)
    X = torch.randn(T, B, d, requires_grad=True)
    X2 = X.detach().clone().requires_grad_(True)
    H0 = torch.randn(2 * num_layers, B, h)
    state = _fresh((H0, torch.randn_like(H0)) if kind == "LSTM" else H0)
    state2 = _fresh(state)

    Y, final = ours(X, state)
    Y2, final2 = theirs(X2, state2)
    assert Y.shape == (T, B, 2 * h)
    torch.testing.assert_close(Y, Y2)
    for a, b in zip(_leaves(final), _leaves(final2), strict=True):
        torch.testing.assert_close(a, b)

    def loss(Y, final):
        g = torch.Generator().manual_seed(1)
        total = (Y * torch.randn(Y.shape, generator=g)).sum()
        for s in _leaves(final):
            total = total + (s * torch.randn(s.shape, generator=g)).sum()
        return total

    loss(Y, final).backward()
    loss(Y2, final2).backward()
    torch.testing.assert_close(X.grad, X2.grad)
    for a, b in zip(_leaves(state), _leaves(state2), strict=True):
        torch.testing.assert_close(a.grad, b.grad)
    for k in range(num_layers):
        for suffix, layers in (("", ours.forward_layers), ("_reverse", ours.backward_layers)):
            for name, grad in _grads(layers[k].cells[0], kind).items():
                torch.testing.assert_close(grad, getattr(theirs, f"{name}_l{k}{suffix}").grad,
                                           msg=f"{name}_l{k}{suffix}")


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
