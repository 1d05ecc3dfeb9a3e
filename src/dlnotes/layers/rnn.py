r"""Recurrent layers from scratch (d2l §8.4–8.5, §9.1–9.3): RNN, LSTM and GRU cells and layers.

Row-vector convention, as in d2l and in ``X @ W``: a minibatch ``X_t`` is ``(B, d)``, a hidden
state ``H_t`` is ``(B, h)``, input weights are ``(d, h)``, recurrent weights ``(h, h)``. PyTorch
stores the transposes (``weight_ih_l0`` is ``(gates·h, d)``) with the gates stacked in one matrix;
:meth:`RecurrentLayer.load_torch_weights` copies a ``torch.nn`` twin's weights in, so the tests can
check outputs, final states and every gradient against ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``.

Layers take ``X`` ``(T, B, d)`` (``(B, T, d)`` with ``batch_first=True``) and an optional initial
state ``(num_layers, B, h)`` (a pair of them for the LSTM), and return
``(outputs, final_state)`` exactly like their ``torch.nn`` twins: ``outputs`` are the top layer's
hidden states at every step, ``(T, B, h)``. Layer ``l > 0`` reads layer ``l-1``'s outputs.

Parameters are initialised as PyTorch does, $U(-1/\sqrt h,\ 1/\sqrt h)$, so a scratch layer starts
out like its twin. PyTorch has two bias vectors per gate (``b_ih`` and ``b_hh``); wherever they are
simply added, d2l's single bias is their sum and the scratch layers keep one. The GRU is the
exception: see :class:`GRUCell`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RecurrentLayer", "RNN", "LSTM", "GRU", "Bidirectional"]


def _check_step_input(X: torch.Tensor, input_size: int, who: str) -> None:
    if X.dim() != 2 or X.shape[1] != input_size:
        raise ValueError(f"{who} expects one step X_t of shape (batch, {input_size}), "
                         f"got {tuple(X.shape)}")


def _check_state(H, shape: tuple[int, ...], who: str) -> None:
    if not isinstance(H, torch.Tensor) or tuple(H.shape) != shape:
        got = tuple(H.shape) if isinstance(H, torch.Tensor) else type(H).__name__
        raise ValueError(f"{who}: the state must be a tensor of shape {shape}, got {got}")


class _Cell(nn.Module):
    """Shared set-up: ``input_size``, ``hidden_size`` and PyTorch's uniform initialisation."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"input_size and hidden_size must be positive, "
                             f"got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size

    def _param(self, *shape: int) -> nn.Parameter:
        bound = 1 / math.sqrt(self.hidden_size)  # PyTorch's init for every recurrent weight/bias
        return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

    @torch.no_grad()
    def load_torch_weights(self, twin: nn.RNNCellBase) -> _Cell:
        """Copy the weights of the ``torch.nn`` twin cell (same sizes, ``bias=True``); returns ``self``."""
        if (type(twin).__name__ != type(self).__name__ or twin.input_size != self.input_size
                or twin.hidden_size != self.hidden_size or not twin.bias
                or getattr(twin, "nonlinearity", "tanh") != "tanh"):
            raise ValueError(f"cannot copy {twin} into {self}: type, sizes or options differ")
        self._copy(twin.weight_ih, twin.weight_hh, twin.bias_ih, twin.bias_hh)
        return self


# --8<-- [start:rnn-cell]
class RNNCell(_Cell):
    r"""One step of a tanh RNN: $\mathbf H_t = \tanh(\mathbf X_t \mathbf W_{xh} + \mathbf H_{t-1}\mathbf W_{hh} + \mathbf b_h)$.

    Shapes: ``X_t`` ``(B, d)``, ``H`` ``(B, h)`` → ``(B, h)``. Parameters ``W_xh`` ``(d, h)``,
    ``W_hh`` ``(h, h)``, ``b_h`` ``(h,)``. Twin: ``nn.RNNCell`` with ``weight_ih = W_xhᵀ``,
    ``weight_hh = W_hhᵀ`` and ``bias_ih + bias_hh = b_h``.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.W_xh = self._param(input_size, hidden_size)
        self.W_hh = self._param(hidden_size, hidden_size)
        self.b_h = self._param(hidden_size)

    def forward(self, X_t: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        _check_step_input(X_t, self.input_size, "RNNCell")
        _check_state(H, (X_t.shape[0], self.hidden_size), "RNNCell")
        return torch.tanh(X_t @ self.W_xh + H @ self.W_hh + self.b_h)  # (B, h)
# --8<-- [end:rnn-cell]

    def _copy(self, W_ih, W_hh, b_ih, b_hh):
        self.W_xh.copy_(W_ih.T)  # (h, d) -> (d, h)
        self.W_hh.copy_(W_hh.T)
        self.b_h.copy_(b_ih + b_hh)


# --8<-- [start:lstm-cell]
class LSTMCell(_Cell):
    r"""One LSTM step (Hochreiter & Schmidhuber, 1997), with one bias per gate as in d2l.

    $$\begin{aligned}
    \mathbf I_t &= \sigma(\mathbf X_t\mathbf W_{xi} + \mathbf H_{t-1}\mathbf W_{hi} + \mathbf b_i), &
    \mathbf F_t &= \sigma(\mathbf X_t\mathbf W_{xf} + \mathbf H_{t-1}\mathbf W_{hf} + \mathbf b_f),\\
    \mathbf O_t &= \sigma(\mathbf X_t\mathbf W_{xo} + \mathbf H_{t-1}\mathbf W_{ho} + \mathbf b_o), &
    \tilde{\mathbf C}_t &= \tanh(\mathbf X_t\mathbf W_{xc} + \mathbf H_{t-1}\mathbf W_{hc} + \mathbf b_c),\\
    \mathbf C_t &= \mathbf F_t\odot\mathbf C_{t-1} + \mathbf I_t\odot\tilde{\mathbf C}_t, &
    \mathbf H_t &= \mathbf O_t\odot\tanh(\mathbf C_t).
    \end{aligned}$$

    Shapes: ``X_t`` ``(B, d)``, ``state = (H, C)`` each ``(B, h)`` → ``(H_t, C_t)``. Twin:
    ``nn.LSTMCell``, whose stacked weights hold the gates in the order i, f, g (= $\tilde C$), o;
    its two biases ``b_ih + b_hh`` add up to the one bias here, because the gate sees only their sum.
    """

    GATES = ("i", "f", "c", "o")  # PyTorch's stacking order (it calls the candidate "g")

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        for g in self.GATES:
            setattr(self, f"W_x{g}", self._param(input_size, hidden_size))
            setattr(self, f"W_h{g}", self._param(hidden_size, hidden_size))
            setattr(self, f"b_{g}", self._param(hidden_size))

    def forward(self, X_t: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        _check_step_input(X_t, self.input_size, "LSTMCell")
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError("LSTMCell: the state is a pair (H, C), each (batch, hidden)")
        H, C = state  # (B, h) each
        for S in state:
            _check_state(S, (X_t.shape[0], self.hidden_size), "LSTMCell")
        I_t = torch.sigmoid(X_t @ self.W_xi + H @ self.W_hi + self.b_i)  # input gate
        F_t = torch.sigmoid(X_t @ self.W_xf + H @ self.W_hf + self.b_f)  # forget gate
        O_t = torch.sigmoid(X_t @ self.W_xo + H @ self.W_ho + self.b_o)  # output gate
        C_tilde = torch.tanh(X_t @ self.W_xc + H @ self.W_hc + self.b_c)  # candidate memory
        C = F_t * C + I_t * C_tilde  # keep a share of the old memory, add a share of the new
        H = O_t * torch.tanh(C)
        return H, C
# --8<-- [end:lstm-cell]

    def _copy(self, W_ih, W_hh, b_ih, b_hh):
        gates = zip(self.GATES, W_ih.chunk(4), W_hh.chunk(4), b_ih.chunk(4), b_hh.chunk(4), strict=True)
        for g, W_x, W_h, b_x, b_h in gates:  # W_x (h, d), W_h (h, h), b_x and b_h (h,)
            getattr(self, f"W_x{g}").copy_(W_x.T)
            getattr(self, f"W_h{g}").copy_(W_h.T)
            getattr(self, f"b_{g}").copy_(b_x + b_h)  # d2l's one bias = PyTorch's two


# --8<-- [start:gru-cell]
class GRUCell(_Cell):
    r"""One GRU step (Cho et al., 2014) in **PyTorch's form**, gate for gate equal to ``nn.GRUCell``.

    $$\begin{aligned}
    \mathbf R_t &= \sigma(\mathbf X_t\mathbf W_{xr} + \mathbf H_{t-1}\mathbf W_{hr} + \mathbf b_r), \qquad
    \mathbf Z_t = \sigma(\mathbf X_t\mathbf W_{xz} + \mathbf H_{t-1}\mathbf W_{hz} + \mathbf b_z),\\
    \tilde{\mathbf H}_t &= \tanh\big(\mathbf X_t\mathbf W_{xn} + \mathbf b_{xn}
        + \mathbf R_t\odot(\mathbf H_{t-1}\mathbf W_{hn} + \mathbf b_{hn})\big),\\
    \mathbf H_t &= \mathbf Z_t\odot\mathbf H_{t-1} + (1-\mathbf Z_t)\odot\tilde{\mathbf H}_t .
    \end{aligned}$$

    d2l writes the candidate as $\tanh(\mathbf X_t\mathbf W_{xh} + (\mathbf R_t\odot\mathbf H_{t-1})
    \mathbf W_{hh} + \mathbf b_h)$: the reset gate acts *before* the recurrent product. That is a
    different function. d2l follows Cho et al.'s paper; PyTorch follows cuDNN, which resets *after*
    the product (ONNX calls it ``linear_before_reset``). The two agree only in special cases (a
    diagonal $\mathbf W_{hh}$, say), so copying weights does not make d2l's GRU equal ``nn.GRU``. Because the reset gate multiplies $\mathbf b_{hn}$, that bias
    cannot be merged into $\mathbf b_{xn}$; the reset and update gates keep one bias each
    (PyTorch's two add up).

    Shapes: ``X_t`` ``(B, d)``, ``H`` ``(B, h)`` → ``(B, h)``. Twin: ``nn.GRUCell`` (gates stacked
    r, z, n).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        for g in ("r", "z", "n"):
            setattr(self, f"W_x{g}", self._param(input_size, hidden_size))
            setattr(self, f"W_h{g}", self._param(hidden_size, hidden_size))
        self.b_r, self.b_z = self._param(hidden_size), self._param(hidden_size)
        self.b_xn, self.b_hn = self._param(hidden_size), self._param(hidden_size)

    def forward(self, X_t: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        _check_step_input(X_t, self.input_size, "GRUCell")
        _check_state(H, (X_t.shape[0], self.hidden_size), "GRUCell")
        R = torch.sigmoid(X_t @ self.W_xr + H @ self.W_hr + self.b_r)  # reset gate (B, h)
        Z = torch.sigmoid(X_t @ self.W_xz + H @ self.W_hz + self.b_z)  # update gate (B, h)
        H_tilde = torch.tanh(X_t @ self.W_xn + self.b_xn + R * (H @ self.W_hn + self.b_hn))
        return Z * H + (1 - Z) * H_tilde
# --8<-- [end:gru-cell]

    def _copy(self, W_ih, W_hh, b_ih, b_hh):
        W_i, W_h = W_ih.chunk(3), W_hh.chunk(3)  # gates r, z, n: (h, d) and (h, h) each
        b_i, b_h = b_ih.chunk(3), b_hh.chunk(3)
        for j, g in enumerate(("r", "z", "n")):
            getattr(self, f"W_x{g}").copy_(W_i[j].T)
            getattr(self, f"W_h{g}").copy_(W_h[j].T)
        self.b_r.copy_(b_i[0] + b_h[0])
        self.b_z.copy_(b_i[1] + b_h[1])
        self.b_xn.copy_(b_i[2])
        self.b_hn.copy_(b_h[2])  # stays apart: the reset gate multiplies it


class RecurrentLayer(nn.Module):
    """A stack of ``num_layers`` cells run over time; :class:`RNN`, :class:`LSTM`, :class:`GRU`.

    Args:
        input_size: $d$, features per step.
        hidden_size: $h$, units per layer.
        num_layers: stacked layers; layer ``l > 0`` reads the hidden states of layer ``l-1``.
        batch_first: ``X`` and ``outputs`` are ``(B, T, ·)`` instead of ``(T, B, ·)``.

    The attributes ``input_size``, ``hidden_size``, ``num_layers``, ``batch_first``,
    ``bidirectional`` (always ``False``) and ``mode`` are named as on ``torch.nn``'s layers.
    """

    cell_class: type[_Cell]
    mode: str

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = False):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.batch_first, self.bidirectional = num_layers, batch_first, False
        # --8<-- [start:stack-cells]
        self.cells = nn.ModuleList(  # layer 0 reads X_t (d features), layer l > 0 reads H_t^(l-1)
            self.cell_class(input_size if layer == 0 else hidden_size, hidden_size)
            for layer in range(num_layers))
        # --8<-- [end:stack-cells]

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}"

    def _check_input(self, X: torch.Tensor) -> None:
        layout = "(batch, steps, features)" if self.batch_first else "(steps, batch, features)"
        if X.dim() != 3 or X.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects X of shape {layout} with "
                             f"{self.input_size} features, got {tuple(X.shape)}")

    def begin_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        """Zeros ``(num_layers, B, h)``."""
        return torch.zeros(self.num_layers, batch_size, self.hidden_size, device=device, dtype=dtype)

    def _per_layer(self, state, batch_size: int) -> list:
        """The initial state split into one entry per layer (checked)."""
        shape = (self.num_layers, batch_size, self.hidden_size)
        _check_state(state, shape, type(self).__name__)
        return list(state.unbind(0))  # num_layers × (B, h)

    def _stack(self, states: list):
        return torch.stack(states)  # (num_layers, B, h)

    # --8<-- [start:layer-forward]
    def forward(self, X: torch.Tensor, state=None):
        self._check_input(X)
        if self.batch_first:
            X = X.transpose(0, 1)  # (B, T, d) -> (T, B, d)
        if state is None:
            state = self.begin_state(X.shape[1], X.device, X.dtype)
        states = self._per_layer(state, X.shape[1])  # one (B, h) state (or pair) per layer
        inputs = list(X.unbind(0))  # T × (B, d)
        for layer, cell in enumerate(self.cells):
            outputs = []
            for X_t in inputs:  # the same cell, hence the same weights, at every step
                states[layer] = cell(X_t, states[layer])
                outputs.append(self._hidden(states[layer]))  # (B, h)
            inputs = outputs  # the next layer reads this layer's hidden states
        Y = torch.stack(inputs)  # (T, B, h)
        if self.batch_first:
            Y = Y.transpose(0, 1)  # (T, B, h) -> (B, T, h)
        return Y, self._stack(states)
    # --8<-- [end:layer-forward]

    @staticmethod
    def _hidden(state) -> torch.Tensor:
        return state

    @torch.no_grad()
    def load_torch_weights(self, twin: nn.RNNBase) -> RecurrentLayer:
        """Copy the weights of a ``torch.nn`` twin (same sizes, ``bias=True``, one direction).

        ``weight_ih_l{k}`` is ``(gates·h, d)``: split into gates, each transposed to ``(d, h)``.
        Returns ``self``.
        """
        if (twin.mode != self.mode or twin.input_size != self.input_size
                or twin.hidden_size != self.hidden_size or twin.num_layers != self.num_layers
                or twin.bidirectional or not twin.bias or twin.proj_size):
            raise ValueError(f"cannot copy {twin} into {self}: sizes, mode or options differ")
        for k, cell in enumerate(self.cells):
            cell._copy(*(getattr(twin, f"{name}_l{k}")
                         for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
        return self


class RNN(RecurrentLayer):
    r"""A (multi-layer) tanh RNN from :class:`RNNCell`. Twin: ``nn.RNN(d, h, num_layers)``.

    $\mathbf H^{(l)}_t = \tanh(\mathbf H^{(l-1)}_t \mathbf W^{(l)}_{xh} + \mathbf H^{(l)}_{t-1}
    \mathbf W^{(l)}_{hh} + \mathbf b^{(l)}_h)$ with $\mathbf H^{(0)}_t = \mathbf X_t$.
    ``forward(X, H0) -> (outputs (T, B, h), H_T (num_layers, B, h))``.
    """

    cell_class, mode = RNNCell, "RNN_TANH"


class GRU(RecurrentLayer):
    """A (multi-layer) GRU from :class:`GRUCell` (PyTorch's form). Twin: ``nn.GRU``.

    ``forward(X, H0) -> (outputs (T, B, h), H_T (num_layers, B, h))``.
    """

    cell_class, mode = GRUCell, "GRU"


class LSTM(RecurrentLayer):
    """A (multi-layer) LSTM from :class:`LSTMCell`. Twin: ``nn.LSTM``.

    The state is a pair ``(H, C)``, each ``(num_layers, B, h)``; ``forward(X, (H0, C0)) ->
    (outputs (T, B, h), (H_T, C_T))``. Only ``H`` is passed up to the next layer.
    """

    cell_class, mode = LSTMCell, "LSTM"

    def begin_state(self, batch_size: int, device=None, dtype=None):
        """A pair of zeros ``(num_layers, B, h)``: hidden state and memory cell."""
        H = super().begin_state(batch_size, device, dtype)
        return H, torch.zeros_like(H)

    def _per_layer(self, state, batch_size: int) -> list:
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError("LSTM: the state is a pair (H, C), each (num_layers, batch, hidden)")
        shape = (self.num_layers, batch_size, self.hidden_size)
        for s in state:
            _check_state(s, shape, "LSTM")
        return list(zip(state[0].unbind(0), state[1].unbind(0), strict=True))  # layers × (H, C)

    def _stack(self, states: list):
        return torch.stack([H for H, _ in states]), torch.stack([C for _, C in states])

    @staticmethod
    def _hidden(state) -> torch.Tensor:
        return state[0]


class Bidirectional(nn.Module):
    r"""A (multi-layer) bidirectional RNN/LSTM/GRU from two one-way scratch layers per level (§9.4).

    $$\overrightarrow{\mathbf H}^{(l)}_t = f\big(\mathbf H^{(l-1)}_t, \overrightarrow{\mathbf H}^{(l)}_{t-1}\big),
    \qquad
    \overleftarrow{\mathbf H}^{(l)}_t = f\big(\mathbf H^{(l-1)}_t, \overleftarrow{\mathbf H}^{(l)}_{t+1}\big),
    \qquad
    \mathbf H^{(l)}_t = [\overrightarrow{\mathbf H}^{(l)}_t, \overleftarrow{\mathbf H}^{(l)}_t],$$

    with $\mathbf H^{(0)}_t = \mathbf X_t$: the backward layer is an ordinary layer run over the
    reversed sequence, and level ``l > 0`` reads both directions of level ``l-1`` (``2h``
    features). Twin: ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with ``bidirectional=True``.

    Shapes: ``X`` ``(T, B, d)`` (``(B, T, d)`` with ``batch_first``) → outputs ``(T, B, 2h)``; the
    state is ``(2·num_layers, B, h)`` (a pair for the LSTM) ordered as PyTorch's: level 0 forward,
    level 0 backward, level 1 forward, … The backward direction's final state is the one after
    reading ``X_1``.
    """

    def __init__(self, layer_class: type[RecurrentLayer], input_size: int, hidden_size: int,
                 num_layers: int = 1, batch_first: bool = False):
        super().__init__()
        if not (isinstance(layer_class, type) and issubclass(layer_class, RecurrentLayer)):
            raise TypeError(f"layer_class must be RNN, LSTM or GRU from this module, got {layer_class!r}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first, self.bidirectional, self.mode = batch_first, True, layer_class.mode
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)  # level l > 0 reads [→H, ←H]
        self.forward_layers = nn.ModuleList(layer_class(d, hidden_size) for d in sizes)
        self.backward_layers = nn.ModuleList(layer_class(d, hidden_size) for d in sizes)

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}"

    def begin_state(self, batch_size: int, device=None, dtype=None):
        """Zeros ``(2·num_layers, B, h)``; a pair of them for an LSTM."""
        H = torch.zeros(2 * self.num_layers, batch_size, self.hidden_size, device=device, dtype=dtype)
        return (H, torch.zeros_like(H)) if self.mode == "LSTM" else H

    def _slice(self, state, k: int):
        """Entry ``k`` of the stacked state, as a one-layer state ``(1, B, h)`` (or a pair)."""
        if self.mode == "LSTM":
            return state[0][k:k + 1], state[1][k:k + 1]
        return state[k:k + 1]

    def _check_state(self, state, batch_size: int) -> None:
        shape = (2 * self.num_layers, batch_size, self.hidden_size)
        if self.mode == "LSTM":
            if not (isinstance(state, (tuple, list)) and len(state) == 2):
                raise ValueError("bidirectional LSTM: the state is a pair (H, C), each "
                                 "(2·num_layers, batch, hidden)")
            for s in state:
                _check_state(s, shape, "bidirectional LSTM")
        else:
            _check_state(state, shape, f"bidirectional {self.mode}")

    def _prepare(self, X: torch.Tensor, state):
        """Checked input as ``(T, B, d)`` and the initial state (zeros when ``None``)."""
        if X.dim() != 3 or X.shape[-1] != self.input_size:
            layout = "(batch, steps, features)" if self.batch_first else "(steps, batch, features)"
            raise ValueError(f"Bidirectional expects X of shape {layout} with {self.input_size} "
                             f"features, got {tuple(X.shape)}")
        if self.batch_first:
            X = X.transpose(0, 1)  # (B, T, d) -> (T, B, d)
        if state is None:
            state = self.begin_state(X.shape[1], X.device, X.dtype)
        self._check_state(state, X.shape[1])
        return X, state

    # --8<-- [start:bidirectional]
    def forward(self, X: torch.Tensor, state=None):
        X, state = self._prepare(X, state)  # X: (T, B, d)
        finals = []
        for level, (fwd, bwd) in enumerate(zip(self.forward_layers, self.backward_layers, strict=True)):
            Y_f, s_f = fwd(X, self._slice(state, 2 * level))  # reads X_1 … X_T: (T, B, h)
            Y_b, s_b = bwd(X.flip(0), self._slice(state, 2 * level + 1))  # reads X_T … X_1
            X = torch.cat([Y_f, Y_b.flip(0)], dim=-1)  # (T, B, 2h): both directions at step t
            finals += [s_f, s_b]
        if self.batch_first:
            X = X.transpose(0, 1)  # (T, B, 2h) -> (B, T, 2h)
        if self.mode == "LSTM":
            return X, (torch.cat([H for H, _ in finals]), torch.cat([C for _, C in finals]))
        return X, torch.cat(finals)  # (2·num_layers, B, h)
    # --8<-- [end:bidirectional]

    @torch.no_grad()
    def load_torch_weights(self, twin: nn.RNNBase) -> Bidirectional:
        """Copy a bidirectional ``torch.nn`` twin's weights (``*_l{k}`` forward, ``*_l{k}_reverse``
        backward); returns ``self``."""
        if (twin.mode != self.mode or twin.input_size != self.input_size
                or twin.hidden_size != self.hidden_size or twin.num_layers != self.num_layers
                or not twin.bidirectional or not twin.bias or twin.proj_size):
            raise ValueError(f"cannot copy {twin} into {self}: sizes, mode or options differ")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        for k in range(self.num_layers):
            self.forward_layers[k].cells[0]._copy(*(getattr(twin, f"{n}_l{k}") for n in names))
            self.backward_layers[k].cells[0]._copy(*(getattr(twin, f"{n}_l{k}_reverse") for n in names))
        return self
