"""Shared checks for the twin tests of ``dlnotes.layers.rnn`` against ``torch.nn`` recurrent layers.

PyTorch's stacked ``(gates·h, d)`` weights are the transposes of the scratch ``(d, h)`` ones; where
PyTorch adds two biases the scratch cell holds their sum, so the gradient of that sum equals the
gradient of each of PyTorch's two.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from dlnotes.layers import rnn as scratch

TWINS = {"RNN": (scratch.RNN, nn.RNN), "LSTM": (scratch.LSTM, nn.LSTM), "GRU": (scratch.GRU, nn.GRU)}
GATES = {"RNN": ["h"], "LSTM": ["i", "f", "c", "o"], "GRU": ["r", "z", "n"]}


def scratch_grads(cell, kind: str) -> dict[str, torch.Tensor]:
    """The cell's gradients in PyTorch's layout: stacked, transposed; summed biases duplicated."""
    W_x = torch.cat([getattr(cell, f"W_x{g}").grad.T for g in GATES[kind]])  # (gates·h, d)
    W_h = torch.cat([getattr(cell, f"W_h{g}").grad.T for g in GATES[kind]])  # (gates·h, h)
    if kind == "GRU":
        b_x = torch.cat([cell.b_r.grad, cell.b_z.grad, cell.b_xn.grad])
        b_h = torch.cat([cell.b_r.grad, cell.b_z.grad, cell.b_hn.grad])
    else:
        b_x = b_h = torch.cat([getattr(cell, f"b_{g}").grad for g in GATES[kind]])
    return {"weight_ih": W_x, "weight_hh": W_h, "bias_ih": b_x, "bias_hh": b_h}


def random_state(kind: str, num_states: int, batch: int, hidden: int):
    """A random initial state ``(num_states, B, h)``; a pair of them for an LSTM."""
    H = torch.randn(num_states, batch, hidden)
    return (H, torch.randn_like(H)) if kind == "LSTM" else H


def leaves(state) -> list[torch.Tensor]:
    return list(state) if isinstance(state, tuple) else [state]


def fresh(state):
    """A fresh leaf copy that records its gradient."""
    if isinstance(state, tuple):
        return tuple(s.detach().clone().requires_grad_(True) for s in state)
    return state.detach().clone().requires_grad_(True)


def weighted_loss(Y: torch.Tensor, final, seed: int = 1) -> torch.Tensor:
    """A loss that weighs every output and every final state differently (fixed random weights)."""
    g = torch.Generator().manual_seed(seed)
    total = (Y * torch.randn(Y.shape, generator=g)).sum()
    for s in leaves(final):
        total = total + (s * torch.randn(s.shape, generator=g)).sum()
    return total


def assert_twins_agree(ours: nn.Module, theirs: nn.Module, X: torch.Tensor, state, kind: str,
                       cells: Iterable[tuple[nn.Module, str]]) -> torch.Tensor:
    """Same outputs, final states and gradients (input, initial state, every weight).

    ``cells`` pairs each scratch cell with the suffix of its PyTorch weights (``"_l0"``,
    ``"_l1_reverse"``, …). Returns the scratch outputs.
    """
    X1, X2 = fresh(X), fresh(X)
    state1, state2 = fresh(state), fresh(state)
    Y, final = ours(X1, state1)
    Y2, final2 = theirs(X2, state2)
    torch.testing.assert_close(Y, Y2)
    for a, b in zip(leaves(final), leaves(final2), strict=True):
        torch.testing.assert_close(a, b)
    weighted_loss(Y, final).backward()
    weighted_loss(Y2, final2).backward()
    torch.testing.assert_close(X1.grad, X2.grad)
    for a, b in zip(leaves(state1), leaves(state2), strict=True):
        torch.testing.assert_close(a.grad, b.grad)
    for cell, suffix in cells:
        for name, grad in scratch_grads(cell, kind).items():
            torch.testing.assert_close(grad, getattr(theirs, f"{name}{suffix}").grad, msg=f"{name}{suffix}")
    return Y
