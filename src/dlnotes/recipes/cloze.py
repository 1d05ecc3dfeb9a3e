r"""Fill in the blank (cloze) at character level (§9.4): a task where reading both sides is allowed.

A window of ``width`` (odd) tokens is cut from the corpus and its middle token is replaced by a
mask token; the model must name the hidden token. Any recurrent model with the language-model
interface of :mod:`dlnotes.models.rnn` (``model(X, state) -> (logits (B, T, V'), state)``,
``model.begin_state(B, device)``) is read at the middle position ``m = width // 2``:

$$\hat y = \arg\max_j\, o_{m, j}, \qquad
\mathbf o_m = [\overrightarrow{\mathbf H}_m, \overleftarrow{\mathbf H}_m]\,\mathbf W_{hq} + \mathbf b_q .$$

For a one-way RNN $\mathbf o_m$ depends only on the left context ``X[:, :m]`` (and the mask), so
the task reduces to next-token prediction; a bidirectional RNN also sees ``X[:, m+1:]``.
The input vocabulary has one more token than the corpus (the mask, index ``mask_id``), so the model
is built for ``vocab_size + 1`` tokens; its logit for the mask itself is never a target.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F

from ..history import History

__all__ = ["cloze_examples", "cloze_logits", "cloze_accuracy", "train_cloze"]


def cloze_examples(corpus: torch.Tensor, width: int, num: int, mask_id: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``num`` windows at random positions of ``corpus`` ``(N,)``: ``X`` ``(num, width)`` with the
    middle token replaced by ``mask_id``, and the hidden tokens ``y`` ``(num,)``."""
    corpus = torch.as_tensor(corpus, dtype=torch.long)
    if corpus.dim() != 1:
        raise ValueError(f"corpus must be a 1-D tensor of token indices, got {tuple(corpus.shape)}")
    if width < 3 or width % 2 == 0:
        raise ValueError(f"width must be odd and at least 3 (context on both sides), got {width}")
    if len(corpus) < width:
        raise ValueError(f"a corpus of {len(corpus)} tokens has no window of width {width}")
    if num <= 0:
        raise ValueError(f"num must be positive, got {num}")
    if bool((corpus == mask_id).any()):
        raise ValueError(f"mask_id {mask_id} is already a token of the corpus; use a new index")
    starts = torch.randint(0, len(corpus) - width + 1, (num,), generator=generator)  # (num,)
    X = corpus[starts[:, None] + torch.arange(width)]  # (num, width)
    m = width // 2
    y = X[:, m].clone()  # (num,)
    X[:, m] = mask_id
    return X, y


# --8<-- [start:cloze-logits]
def cloze_logits(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Logits for the masked middle token, ``(B, V')``, from a fresh zero state."""
    if X.dim() != 2:
        raise ValueError(f"X must be (batch, width) token indices, got shape {tuple(X.shape)}")
    logits, _ = model(X, model.begin_state(X.shape[0], X.device))  # (B, width, V')
    return logits[:, X.shape[1] // 2]  # (B, V')
# --8<-- [end:cloze-logits]


@torch.no_grad()
def cloze_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 1024) -> float:
    """Share of windows whose hidden token is the model's most likely one."""
    model.eval()
    correct = sum(int((cloze_logits(model, X[i:i + batch_size]).argmax(-1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(X), batch_size))
    return correct / len(X)


def train_cloze(model: nn.Module, X: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer,
                num_epochs: int, *, batch_size: int, generator: torch.Generator,
                test: tuple[torch.Tensor, torch.Tensor] | None = None, scheduler=None,
                clip_grad_norm: float | None = 1.0) -> History:
    """Minibatch training with cross-entropy on the masked token; records ``train_loss``,
    ``train_acc`` (during the epoch) and ``test_acc`` on ``test`` every epoch.

    ``scheduler`` (optional) is stepped after every minibatch (e.g. ``OneCycleLR``).
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} windows but y has {len(y)} answers")
    if num_epochs <= 0 or batch_size <= 0:
        raise ValueError(f"num_epochs and batch_size must be positive, got {num_epochs}, {batch_size}")
    history = History()
    for epoch in range(1, num_epochs + 1):
        model.train()
        start, total, correct = time.perf_counter(), 0.0, 0
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            logits = cloze_logits(model, X[idx])  # (b, V')
            loss = F.cross_entropy(logits, y[idx])
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(-1) == y[idx]).sum())
        seconds = time.perf_counter() - start
        if not math.isfinite(total):
            raise FloatingPointError(f"training diverged in epoch {epoch}")
        record = {"epoch": epoch, "train_loss": total / len(X), "train_acc": correct / len(X),
                  "seconds": seconds, "examples_per_sec": len(X) / seconds}
        if test is not None:
            record["test_acc"] = cloze_accuracy(model, *test)
        history.records.append(record)
    return history
