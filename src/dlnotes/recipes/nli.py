r"""Natural-language inference on sentence pairs (d2l §15.4–15.5): tokens, tensors, training, prediction.

A batch follows the loop's convention ``(*inputs, y)`` with
``(premises (B, L), premise_lens (B,), hypotheses (B, L), hypothesis_lens (B,), labels (B,))``:
token indices padded with ``<pad>`` (or cut) to ``L = num_steps``, the number of real tokens of
each sentence, and the label index into :data:`dlnotes.data.sick.LABELS`. The model is called as
``net(premises, premise_lens, hypotheses, hypothesis_lens)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

from ..data.buckets import bucket_by_length
from ..data.sick import LABELS
from ..data.vocab import Vocab, truncate_pad
from ..history import History
from ..seed import data_generator
from ..train import evaluate_accuracy, fit

__all__ = ["nli_tokenize", "NEGATIONS", "negation_rule", "nli_vocab", "tensorize_pairs", "PairBatches", "train_nli",
           "evaluate_nli", "encode_pair", "predict_nli"]

# --8<-- [start:tokenize]
# a word before n't, n't, a word, a clitic such as 's, one punctuation mark
_TOKEN = re.compile(r"[a-z0-9]+(?=n't)|n't|[a-z0-9]+|'[a-z]+|[^\sa-z0-9']")


def nli_tokenize(text: str) -> list[str]:
    """Lower-case word tokens as GloVe spells them: ``"The man's hat isn't red."`` →
    ``the man 's hat is n't red .``"""
    return _TOKEN.findall(text.lower())
# --8<-- [end:tokenize]


NEGATIONS = frozenset({"no", "not", "n't", "nobody", "none", "never", "nothing"})


def negation_rule(premise: str, hypothesis: str) -> int:
    """A one-line baseline: "contradiction" when exactly one of the two sentences has a negation
    word, otherwise "neutral" (as a label index)."""
    negated = [bool(NEGATIONS & set(nli_tokenize(s))) for s in (premise, hypothesis)]
    return LABELS.index("contradiction") if negated[0] != negated[1] else LABELS.index("neutral")


def nli_vocab(pairs: Sequence[tuple[str, str, int]], min_freq: int = 1) -> Vocab:
    """A :class:`Vocab` (``<unk>``, ``<pad>``, then by frequency) over the premises and hypotheses."""
    if not pairs:
        raise ValueError("nli_vocab got no sentence pairs")
    tokens = [nli_tokenize(s) for p, h, _ in pairs for s in (p, h)]
    return Vocab(tokens, min_freq=min_freq, reserved_tokens=["<pad>"])


def _encode(sentences: Sequence[str], vocab: Vocab, num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    pad = vocab["<pad>"]
    rows, lens = [], []
    for s in sentences:
        ids = vocab[nli_tokenize(s)]
        if not ids:
            raise ValueError(f"sentence {s!r} has no token")
        rows.append(truncate_pad(ids, num_steps, pad))
        lens.append(min(len(ids), num_steps))
    return torch.tensor(rows, dtype=torch.long), torch.tensor(lens, dtype=torch.long)


# --8<-- [start:tensorize]
def tensorize_pairs(pairs: Sequence[tuple[str, str, int]], vocab: Vocab, num_steps: int):
    """``(premises (N, L), premise_lens (N,), hypotheses (N, L), hypothesis_lens (N,), labels (N,))``.

    Tokens missing from ``vocab`` become ``<unk>``; sentences longer than ``L = num_steps`` are cut.
    """
    if not pairs:
        raise ValueError("tensorize_pairs got no sentence pairs")
    if "<pad>" not in vocab:
        raise ValueError("the vocabulary needs a '<pad>' token (build it with nli_vocab)")
    P, P_lens = _encode([p for p, _, _ in pairs], vocab, num_steps)  # (N, L), (N,)
    H, H_lens = _encode([h for _, h, _ in pairs], vocab, num_steps)  # (N, L), (N,)
    y = torch.tensor([label for _, _, label in pairs], dtype=torch.long)  # (N,)
    return P, P_lens, H, H_lens, y
# --8<-- [end:tensorize]


class PairBatches:
    """Minibatches of the five tensors of :func:`tensorize_pairs`, sliced together; seeded shuffling.

    With ``trim`` each batch is cut to its longest premise and hypothesis: a model that masks
    padding gives the same outputs, and the shorter tensors cost less. With ``bucket = k > 0``
    (and shuffling) the shuffled pairs are taken ``k`` batches at a time and sorted by length
    before being cut into batches, so a batch holds pairs of similar length and trimming removes
    most of the padding; the batches are then visited in a random order.
    """

    def __init__(self, tensors: Sequence[torch.Tensor], batch_size: int, shuffle: bool = True, seed: int = 0,
                 trim: bool = True, bucket: int = 0):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if len(tensors) != 5 or len({len(t) for t in tensors}) != 1:
            raise ValueError("PairBatches needs the five equally long tensors of tensorize_pairs, got lengths "
                             f"{[len(t) for t in tensors]}")
        if bucket < 0:
            raise ValueError(f"bucket must be 0 (off) or a positive number of batches, got {bucket}")
        self.tensors, self.batch_size, self.shuffle, self.trim = tuple(tensors), batch_size, shuffle, trim
        self.bucket = bucket
        self.generator = data_generator(seed)

    def __iter__(self):
        n = len(self.tensors[0])
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        batches = list(order.split(self.batch_size))
        if self.bucket and self.shuffle:  # sort chunks of `bucket` batches by length, then shuffle batches
            lengths = torch.maximum(self.tensors[1], self.tensors[3])  # (N,)
            batches = bucket_by_length(order, lengths, self.batch_size, self.bucket, self.generator)
        for idx in batches:
            P, P_lens, H, H_lens, y = (t[idx] for t in self.tensors)
            if self.trim:  # drop the columns that are padding in every row of this batch
                P, H = P[:, :int(P_lens.max())], H[:, :int(H_lens.max())]  # (B, m), (B, n)
            yield P, P_lens, H, H_lens, y

    def __len__(self) -> int:
        return -(-len(self.tensors[0]) // self.batch_size)


def train_nli(net: nn.Module, train_iter, valid_iter, num_epochs: int, lr: float,
              one_cycle: bool = False) -> History:
    """Adam on the cross-entropy (with a one-cycle schedule peaking at ``lr`` if asked), the loss and
    accuracy recorded each epoch on the training batches and on ``valid_iter`` as ``valid_loss``,
    ``valid_acc`` (the test set is kept for one final evaluation)."""
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=num_epochs * len(train_iter))
                 if one_cycle else None)
    history = fit(net, train_iter, nn.CrossEntropyLoss(), optimizer, num_epochs, valid_iter, metrics=["acc"],
                  scheduler=scheduler)
    rename = {"test_loss": "valid_loss", "test_acc": "valid_acc"}
    return History([{rename.get(k, k): v for k, v in r.items()} for r in history.records])


def evaluate_nli(net: nn.Module, data_iter) -> float:
    """Accuracy of ``net`` over ``data_iter`` (eval mode, no gradients)."""
    return evaluate_accuracy(net, data_iter)


def encode_pair(vocab: Vocab, premise: str, hypothesis: str, num_steps: int):
    """One new pair as a batch of one: ``(P (1, L), P_len (1,), H (1, L), H_len (1,))``.

    Raises ``ValueError`` for an empty sentence or one longer than ``num_steps`` tokens (which the
    model would see cut).
    """
    out = []
    for name, text in (("premise", premise), ("hypothesis", hypothesis)):
        if not isinstance(text, str) or not nli_tokenize(text):
            raise ValueError(f"the {name} is empty: {text!r}")
        n = len(nli_tokenize(text))
        if n > num_steps:
            raise ValueError(f"the {name} has {n} tokens, more than num_steps = {num_steps}")
        out.extend(_encode([text], vocab, num_steps))
    return tuple(out)


def predict_nli(net: nn.Module, vocab: Vocab, premise: str, hypothesis: str,
                num_steps: int) -> tuple[str, torch.Tensor]:
    """The predicted label of one pair and the class probabilities ``(3,)`` in :data:`LABELS` order."""
    batch = encode_pair(vocab, premise, hypothesis, num_steps)
    net.eval()
    with torch.no_grad():
        probs = torch.softmax(net(*batch), dim=-1)[0]  # (3,)
    return LABELS[int(probs.argmax())], probs
