r"""Sequence to sequence: the masked loss for :func:`dlnotes.train.fit`, greedy decoding, BLEU (d2l §9.7).

Batches follow the loop's convention ``(*inputs, y)`` as ``(X, X_valid_len, Y_in, Y_valid_len,
Y)``: the model gets the four inputs (teacher forcing) and :class:`PaddedCrossEntropy` compares
its logits with ``Y``, skipping the padding. Decoding (greedy here; beam search belongs to §9.8)
feeds the model its own previous prediction, one token at a time, until ``<eos>``.

BLEU (Papineni et al., 2002, in d2l's form):
$\exp\big(\min(0, 1 - \frac{\mathrm{len}_{label}}{\mathrm{len}_{pred}})\big)\prod_{n=1}^{k} p_n^{1/2^n}$,
where $p_n$ is the $n$-gram precision of the prediction.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import torch
from torch.nn import functional as F

__all__ = ["PaddedCrossEntropy", "greedy_decode", "bleu"]


class PaddedCrossEntropy:
    """Mean cross-entropy over the tokens of ``Y`` that are not ``pad_index``.

    ``loss(logits, Y)`` with ``logits`` ``(B, T, V)`` and ``Y`` ``(B, T)``. ``num_targets(Y)`` tells
    :func:`dlnotes.train.fit` how many tokens the mean is over, so an epoch's loss is the mean per
    real token however the padding falls. Twin of
    :func:`dlnotes.layers.functional.masked_cross_entropy` with ``valid_len`` from the padding.
    """

    def __init__(self, pad_index: int):
        self.pad_index = pad_index

    def __call__(self, logits: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        if logits.shape[:2] != Y.shape:
            raise ValueError(f"logits {tuple(logits.shape)} and Y {tuple(Y.shape)} disagree on (B, T)")
        V = logits.shape[-1]
        return F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1), ignore_index=self.pad_index)

    def num_targets(self, Y: torch.Tensor) -> int:
        return int((Y != self.pad_index).sum())


@torch.no_grad()
def greedy_decode(model, src: Sequence[int], bos: int, eos: int, max_len: int) -> list[int]:
    """Translate one source sentence (token indices, ``<eos>`` included) greedily.

    The model must offer ``encode(X, X_valid_len) -> (state, context)`` and
    ``decode_step(Y_in, state, context) -> (logits, state)`` (:class:`dlnotes.models.seq2seq.Seq2Seq`).
    Returns the predicted indices without ``<eos>``; at most ``max_len`` of them.
    """
    if not src:
        raise ValueError("the source sentence is empty")
    if max_len <= 0:
        raise ValueError(f"max_len must be positive, got {max_len}")
    model.eval()
    device = next(model.parameters()).device
    X = torch.tensor([list(src)], device=device)  # (1, T)
    state, context = model.encode(X, torch.tensor([len(src)], device=device))
    token, out = bos, []
    for _ in range(max_len):
        logits, state = model.decode_step(torch.tensor([[token]], device=device), state, context)
        token = int(logits[0, -1].argmax())
        if token == eos:
            break
        out.append(token)
    return out


def bleu(pred: Sequence[str], label: Sequence[str], k: int = 4) -> float:
    """BLEU of ``pred`` against one ``label`` (token lists), n-grams up to ``k`` (d2l's form)."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    len_pred, len_label = len(pred), len(label)
    if len_pred == 0:
        return 0.0
    score = math.exp(min(0.0, 1 - len_label / len_pred))  # brevity penalty
    for n in range(1, k + 1):
        if len_pred < n:
            break  # no n-grams of this order: d2l skips them
        pred_ngrams = Counter(tuple(pred[i:i + n]) for i in range(len_pred - n + 1))
        label_ngrams = Counter(tuple(label[i:i + n]) for i in range(len_label - n + 1))
        matches = sum((pred_ngrams & label_ngrams).values())
        score *= (matches / (len_pred - n + 1)) ** (0.5 ** n)
    return score
