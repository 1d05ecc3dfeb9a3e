"""Sentiment classification on sentence polarity (d2l §15.1–15.3): tensors, training, prediction.

* :func:`build_vocab`: a :class:`~dlnotes.data.vocab.Vocab` of the training sentences with ``<pad>``.
* :func:`tensorize`: token lists → ``X`` ``(N, L)`` int64 (truncated / right-padded to ``L``) and
  labels ``y`` ``(N,)`` int64 in {0, 1}.
* :func:`train_classifier`: minibatch Adam on the cross-entropy through :func:`dlnotes.train.fit`,
  test accuracy after every epoch; returns the :class:`~dlnotes.history.History`.
* :func:`predict_sentiment`: the label of one whitespace-tokenised sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..data.buckets import bucket_by_length
from ..data.vocab import Vocab, truncate_pad
from ..history import History
from ..seed import data_generator
from ..train import fit

__all__ = ["build_vocab", "tensorize", "LengthBuckets", "train_classifier", "predict_sentiment", "PAD", "EXAMPLE_REVIEWS"]

PAD = "<pad>"

# six hand-written sentences with the label a reader would give them, tried on both 15.2 and 15.3:
# two short ones, two of a typical training length, one negation and one contrast
EXAMPLE_REVIEWS: dict[str, str] = {
    "this movie is so great": "positive",
    "this movie is so bad": "negative",
    "a smart , funny and beautifully acted film that stays with you long after the credits roll .": "positive",
    "the script is lazy , the jokes fall flat and two hours feel like four .": "negative",
    "not as bad as i expected": "positive",
    "the plot is thin but the acting is superb": "positive",
}


def build_vocab(tokens: Sequence[Sequence[str]], min_freq: int = 5) -> Vocab:
    """Vocabulary of the (training) sentences; rarer tokens map to ``<unk>`` (0), ``<pad>`` is 1."""
    return Vocab(tokens, min_freq=min_freq, reserved_tokens=[PAD])


# --8<-- [start:tensorize]
def tensorize(tokens: Sequence[Sequence[str]], labels: Sequence[int], vocab: Vocab,
              num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` ``(N, num_steps)`` indices, cut or padded with ``<pad>``, and ``y`` ``(N,)`` labels.

    Raises ``ValueError`` for an empty sentence, a label outside {0, 1}, different numbers of
    sentences and labels, or a vocabulary without ``<pad>``.
    """
    if len(tokens) != len(labels):
        raise ValueError(f"{len(tokens)} sentences but {len(labels)} labels")
    if PAD not in vocab:
        raise ValueError(f"the vocabulary has no {PAD!r} token; build it with build_vocab")
    bad = sorted({int(v) for v in labels} - {0, 1})
    if bad:
        raise ValueError(f"labels must be 0 (negative) or 1 (positive), got {bad}")
    empty = [i for i, line in enumerate(tokens) if len(line) == 0]
    if empty:
        raise ValueError(f"sentences {empty[:5]} are empty")
    pad = vocab[PAD]
    X = torch.tensor([truncate_pad(vocab[list(line)], num_steps, pad) for line in tokens])  # (N, L)
    return X, torch.tensor(list(labels), dtype=torch.long)
# --8<-- [end:tensorize]


# --8<-- [start:buckets]
class LengthBuckets:
    """Minibatches ``(X[idx, :T], y[idx])`` of sentences of similar length, cut to the longest one.

    Each epoch the examples are shuffled, cut into pools of ``pool_batches`` batches, each pool is
    sorted by length and split into batches, and the batches are shuffled. A batch then carries
    little padding: ``T`` is the longest real length in it (at least ``min_len``), not ``L``. The
    order is drawn from :func:`dlnotes.seed.data_generator`; ``shuffle=False`` (evaluation) gives one
    fixed order, all examples sorted by length.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, pad_idx: int,
                 shuffle: bool = True, pool_batches: int = 50, min_len: int = 1, seed: int = 0):
        if X.dim() != 2 or len(X) != len(y):
            raise ValueError(f"expected X (N, L) and y (N,), got {tuple(X.shape)} and {tuple(y.shape)}")
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle
        self.pool_batches, self.min_len = pool_batches, min_len
        self.lengths = (X != pad_idx).sum(dim=1)  # (N,) real tokens per row (right padding)
        self.generator = data_generator(seed)

    def _batches(self) -> list[torch.Tensor]:
        n = len(self.X)
        if not self.shuffle:  # evaluation: a fixed order, sorted by length
            return list(torch.argsort(self.lengths, stable=True).split(self.batch_size))
        order = torch.randperm(n, generator=self.generator)
        return bucket_by_length(order, self.lengths, self.batch_size, self.pool_batches, self.generator)

    def __iter__(self):
        for idx in self._batches():
            T = max(int(self.lengths[idx].max()), self.min_len)
            yield self.X[idx, :T], self.y[idx]  # (b, T), (b,)

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)
# --8<-- [end:buckets]


def train_classifier(net: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                     test: tuple[torch.Tensor, torch.Tensor], num_epochs: int, lr: float,
                     pad_idx: int, batch_size: int = 64, weight_decay: float = 0.0,
                     min_len: int = 1, seed: int = 0) -> History:
    """Adam (``lr``, ``weight_decay``) on the mean cross-entropy over :class:`LengthBuckets` batches.

    Only parameters with ``requires_grad`` are optimised, so a frozen embedding stays as loaded.
    ``min_len``: the shortest batch width the model accepts (TextCNN: its widest kernel).
    Records ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc`` per epoch.
    """
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    train_iter = LengthBuckets(*train, batch_size, pad_idx, min_len=min_len, seed=seed)
    test_iter = LengthBuckets(*test, 512, pad_idx, shuffle=False, min_len=min_len)
    return fit(net, train_iter, nn.CrossEntropyLoss(), optimizer, num_epochs, test_iter, metrics=["acc"])


def predict_sentiment(net: nn.Module, vocab: Vocab, sentence: str, num_steps: int,
                      min_len: int = 1) -> str:
    """``"positive"`` or ``"negative"`` for a lower-cased, whitespace-tokenised sentence.

    As in training with :class:`LengthBuckets`, the sentence is cut to ``num_steps`` tokens but
    padded only up to ``min_len`` (TextCNN: its widest kernel), not to ``num_steps``.
    """
    tokens = sentence.split()
    if not tokens:
        raise ValueError("the sentence is empty")
    width = min(max(len(tokens), min_len), num_steps)
    X = torch.tensor([truncate_pad(vocab[tokens], width, vocab[PAD])])  # (1, width)
    net.eval()
    with torch.no_grad():
        label = int(net(X).argmax(dim=1))
    return ("negative", "positive")[label]
