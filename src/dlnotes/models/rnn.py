r"""A language model around any recurrent layer (d2l §8.6, §9.1–9.4): one-hot in, logits out.

$\mathbf H_t = \phi(\mathbf X_t \mathbf W_{xh} + \mathbf H_{t-1}\mathbf W_{hh} + \mathbf b_h)$ (or a
GRU/LSTM cell), $\mathbf O_t = \mathbf H_t \mathbf W_{hq} + \mathbf b_q$. The recurrent layer is
passed in (``nn.RNN``, ``nn.GRU``, ``nn.LSTM`` or a from-scratch twin with the same interface,
``batch_first=True``). Interface used by :mod:`dlnotes.recipes.language_model`:
``forward(X, state) -> (logits, state)`` and ``begin_state(batch_size, device)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._registry import register_model

__all__ = ["RNNLanguageModel"]


class RNNLanguageModel(nn.Module):
    """``X`` ``(B, T)`` token indices → logits ``(B, T, V)``; the state is carried explicitly.

    Args:
        rnn: a recurrent layer whose ``input_size`` is ``vocab_size`` and ``batch_first=True``.
        vocab_size: $V$.
    """

    def __init__(self, rnn: nn.Module, vocab_size: int):
        super().__init__()
        if not getattr(rnn, "batch_first", False):
            raise ValueError("the recurrent layer must be built with batch_first=True")
        if rnn.input_size != vocab_size:
            raise ValueError(f"the recurrent layer takes {rnn.input_size} inputs, but one-hot "
                             f"tokens of a {vocab_size}-token vocabulary have {vocab_size}")
        self.rnn, self.vocab_size = rnn, vocab_size
        directions = 2 if rnn.bidirectional else 1
        self.output = nn.Linear(rnn.hidden_size * directions, vocab_size)

    def forward(self, X: torch.Tensor, state):
        if X.dim() != 2:
            raise ValueError(f"X must be (batch, steps) token indices, got shape {tuple(X.shape)}")
        if int(X.max()) >= self.vocab_size or int(X.min()) < 0:
            raise ValueError(f"token indices must lie in [0, {self.vocab_size}), "
                             f"got [{int(X.min())}, {int(X.max())}]")
        inputs = F.one_hot(X, self.vocab_size).float()  # (B, T, V)
        H, state = self.rnn(inputs, state)  # (B, T, H·dirs)
        return self.output(H), state  # (B, T, V)

    def begin_state(self, batch_size: int, device=None):
        """Zeros ``(layers·dirs, B, H)``; a pair of them for an LSTM."""
        directions = 2 if self.rnn.bidirectional else 1
        shape = (self.rnn.num_layers * directions, batch_size, self.rnn.hidden_size)
        zeros = torch.zeros(shape, device=device)
        return (zeros, zeros.clone()) if getattr(self.rnn, "mode", None) == "LSTM" else zeros


class _Stateless(nn.Module):
    """Registry adapter: a zero initial state, logits only."""

    def __init__(self, model: RNNLanguageModel):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X, self.model.begin_state(X.shape[0], X.device))[0]


for _name, _layer in (("rnn-lm", nn.RNN), ("gru-lm", nn.GRU), ("lstm-lm", nn.LSTM)):
    register_model(_name, input_shape=(2, 5), output_shape=(2, 5, 10), input_dtype=torch.long)(
        lambda layer=_layer: _Stateless(RNNLanguageModel(layer(10, 8, batch_first=True), 10)))
