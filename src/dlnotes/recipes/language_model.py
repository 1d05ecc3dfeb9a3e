r"""Training and sampling a language model (d2l §8.5–8.6, §9): stateful batches, clipping, perplexity.

The model interface (``models/rnn.py`` follows it): ``model(X, state) -> (logits, state)`` with
``X`` ``(B, T)`` token indices and ``logits`` ``(B, T, V)``, and ``model.begin_state(batch_size,
device)``. Perplexity is $\exp\big(\frac1n\sum_t -\log p(x_t \mid x_{<t})\big)$, the exponential of
the mean token cross-entropy: 1 is a perfect model, $V$ a uniform guess over the vocabulary.

With sequential batches (``LanguageModelBatches(sequential=True)``) the hidden state runs on from
one batch to the next and is detached in between (truncated BPTT); with random batches it starts
afresh every batch. Either way :func:`train_language_model` returns a :class:`History`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from ..data.vocab import Vocab
from ..history import History
from ..profiles import choose

__all__ = ["evaluate_perplexity", "train_language_model", "generate", "LMOptimizer", "profile_optimizer"]


def _detach(state):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(s.detach() for s in state)
    return state.detach()


def _token_loss(logits: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1))  # mean over B·T tokens


# --8<-- [start:lm-pass]
def _pass(model, data_iter, optimizer=None, *, stateful: bool, clip_grad_norm=None, device=None):
    """One pass; trains when ``optimizer`` is given. Returns (mean token loss, tokens, max norm)."""
    total, tokens, max_norm, state = 0.0, 0, 0.0, None
    for X, Y in data_iter:
        if device is not None:
            X, Y = X.to(device), Y.to(device)
        if state is None or not stateful:
            state = model.begin_state(X.shape[0], X.device)
        else:
            state = _detach(state)  # keep the values, cut the graph: truncated BPTT
        logits, state = model(X, state)  # (B, T, V)
        loss = _token_loss(logits, Y)
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                norm = float(nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm))
                max_norm = max(max_norm, norm)
            optimizer.step()
        total += float(loss.detach()) * Y.numel()
        tokens += Y.numel()
    if tokens == 0:
        raise ValueError("the data iterator yielded no batches")
    return total / tokens, tokens, max_norm
# --8<-- [end:lm-pass]


def evaluate_perplexity(model: nn.Module, data_iter: Iterable, *, stateful: bool = True,
                        device=None) -> float:
    """Perplexity of ``model`` on ``data_iter`` (no gradients, eval mode)."""
    model.eval()
    with torch.no_grad():
        mean_loss, _, _ = _pass(model, data_iter, stateful=stateful, device=device)
    return math.exp(mean_loss)


def train_language_model(
    model: nn.Module,
    train_iter: Iterable,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    *,
    valid_iter: Iterable | None = None,
    stateful: bool = True,
    clip_grad_norm: float | None = 1.0,
    scheduler=None,
    device=None,
) -> History:
    """Train ``model`` and record ``train_loss``, ``train_ppl`` (and ``test_loss``, ``test_ppl`` on
    ``valid_iter``), ``grad_norm`` (largest before clipping) and ``tokens_per_sec`` every epoch.

    ``scheduler`` (optional) is stepped once per epoch.
    """
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    history = History()
    for epoch in range(1, num_epochs + 1):
        model.train()
        start = time.perf_counter()
        mean_loss, tokens, max_norm = _pass(model, train_iter, optimizer, stateful=stateful,
                                            clip_grad_norm=clip_grad_norm, device=device)
        seconds = time.perf_counter() - start
        if not math.isfinite(mean_loss):
            raise FloatingPointError(f"training diverged in epoch {epoch}: loss {mean_loss}")
        record = {"epoch": epoch, "train_loss": mean_loss, "train_ppl": math.exp(mean_loss),
                  "seconds": seconds, "examples_per_sec": tokens / seconds,
                  "grad_norm": max_norm}
        if valid_iter is not None:
            model.eval()
            with torch.no_grad():
                valid_loss, _, _ = _pass(model, valid_iter, stateful=stateful, device=device)
            record.update(test_loss=valid_loss, test_ppl=math.exp(valid_loss))
        if scheduler is not None:
            scheduler.step()
        history.records.append(record)
    return history


class LMOptimizer(NamedTuple):
    """What :func:`profile_optimizer` returns: the optimizer, its schedule (or None) and the text
    that names them in ``report_result(recipe=...)``."""

    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    recipe: str


def profile_optimizer(params, num_epochs: int, *, peak_lr: float, sgd_lr: float = 1.0) -> LMOptimizer:
    """The optimizer of chapter 9's language models, by profile.

    ``cpu``: Adam with a one-cycle learning rate that peaks at ``peak_lr`` and is stepped once per
    epoch (pass ``scheduler`` to :func:`train_language_model`), so gated models train in tens of
    epochs. ``full``: d2l's plain SGD at ``sgd_lr`` with no schedule.
    """
    params = list(params)
    if choose(cpu=True, full=False):
        optimizer = torch.optim.Adam(params, lr=peak_lr)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak_lr, total_steps=num_epochs)
        return LMOptimizer(optimizer, scheduler, f"Adam + 单周期学习率（峰值 {peak_lr}，每轮调整）· 裁剪 1")
    return LMOptimizer(torch.optim.SGD(params, lr=sgd_lr), None, f"SGD lr {sgd_lr} · 裁剪 1")


# --8<-- [start:generate]
@torch.no_grad()
def generate(
    model: nn.Module,
    vocab: Vocab,
    prefix: Sequence[str],
    num_tokens: int,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    device=None,
) -> list[str]:
    r"""Continue ``prefix`` (a list of tokens) by ``num_tokens`` tokens.

    ``temperature=0`` picks the most likely token (greedy); otherwise tokens are sampled from
    $\mathrm{softmax}(\mathbf o / \tau)$: small $\tau$ sharpens, large $\tau$ flattens. A prefix
    token missing from the vocabulary raises ``KeyError`` (it would silently become ``<unk>``).
    """
    if not prefix:
        raise ValueError("the prefix must have at least one token")
    if temperature < 0:
        raise ValueError(f"temperature must be non-negative, got {temperature}")
    vocab.check_known(prefix, "the prefix")
    model.eval()
    device = device or next(model.parameters()).device
    state = model.begin_state(1, device)
    out = list(prefix)
    # warm-up: feed the prefix, keep only the state
    _, state = model(torch.tensor([vocab[list(prefix[:-1])]], device=device).reshape(1, -1), state) \
        if len(prefix) > 1 else (None, state)
    token = vocab[prefix[-1]]
    for _ in range(num_tokens):
        logits, state = model(torch.tensor([[token]], device=device), state)  # (1, 1, V)
        o = logits[0, -1]  # (V,)
        if temperature == 0:
            token = int(o.argmax())
        else:
            probs = torch.softmax(o / temperature, dim=0)
            token = int(torch.multinomial(probs.cpu(), 1, generator=generator))
        out.append(vocab.to_tokens(token))
    return out
# --8<-- [end:generate]
