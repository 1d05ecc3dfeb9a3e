r"""Sentence classifiers over token indices (d2l §15.2): a bag-of-words baseline and a BiRNN.

Both take ``X`` ``(B, L)`` int64 token indices, padded on the right with ``pad_idx``, and return
logits ``(B, 2)``.

* :class:`BagOfWords`: logistic regression on token counts, $\mathbf o = \mathbf c(\mathbf x)^\top
  \mathbf W + \mathbf b$ with $c_v(\mathbf x)$ the number of times token $v$ occurs (padding not
  counted), $\mathbf W \in \mathbb R^{|\mathcal V|\times 2}$. Computed as an ``nn.EmbeddingBag``
  sum of the rows of $\mathbf W$, which never builds the $|\mathcal V|$-wide count vector.
* :class:`BiRNNClassifier`: a frozen (or trainable) embedding, a multi-layer bidirectional LSTM,
  and a linear layer on the concatenated outputs of the first and the last time step (d2l). With
  ``readout="packed"`` the sequences are packed (``pack_padded_sequence``) so the LSTM never reads
  the padding and "the last step" is each sentence's own last token; ``readout="padded"`` is d2l's
  version, whose forward direction reads the padding before its last step.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..layers.embedding import check_token_batch, load_embedding, valid_lengths
from ._registry import register_model

__all__ = ["BagOfWords", "BiRNNClassifier"]


# --8<-- [start:bow]
class BagOfWords(nn.Module):
    """Logistic regression on token counts: ``(B, L)`` indices → ``(B, num_classes)`` logits."""

    def __init__(self, vocab_size: int, pad_idx: int, num_classes: int = 2):
        super().__init__()
        self.vocab_size = vocab_size
        # row v of W is the weight of token v; the padding row is zero and gets no gradient
        self.W = nn.EmbeddingBag(vocab_size, num_classes, mode="sum", padding_idx=pad_idx)
        nn.init.zeros_(self.W.weight)
        self.b = nn.Parameter(torch.zeros(num_classes))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_token_batch(X, self.vocab_size, "BagOfWords")
        return self.W(X) + self.b  # sum of W's rows over the tokens = counts @ W
# --8<-- [end:bow]


# --8<-- [start:birnn]
class BiRNNClassifier(nn.Module):
    """Embedding → bidirectional LSTM → [output at step 1 ; output at the last step] → linear.

    Args:
        vocab_size, embed_size: the embedding table ``(V, d)``; fill it with :meth:`load_embedding`.
        num_hiddens: hidden units per direction $h$; the readout has $4h$ inputs.
        num_layers: stacked bidirectional layers.
        pad_idx: the padding index (right padding).
        readout: ``"packed"`` (sentences packed, last step = last real token) or ``"padded"`` (d2l).
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                 pad_idx: int, readout: str = "packed", num_classes: int = 2):
        super().__init__()
        if readout not in ("packed", "padded"):
            raise ValueError(f"readout must be 'packed' or 'padded', got {readout!r}")
        self.vocab_size, self.pad_idx, self.readout = vocab_size, pad_idx, readout
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.encoder = nn.LSTM(embed_size, num_hiddens, num_layers=num_layers, bidirectional=True,
                               batch_first=True)
        self.decoder = nn.Linear(4 * num_hiddens, num_classes)

    def load_embedding(self, weights: torch.Tensor, freeze: bool = True) -> BiRNNClassifier:
        load_embedding(self.embedding, weights, freeze)
        return self

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_token_batch(X, self.vocab_size, "BiRNNClassifier")
        B, L = X.shape
        emb = self.embedding(X)  # (B, L, d)
        if self.readout == "padded":
            outputs, _ = self.encoder(emb)  # (B, L, 2h)
            last = outputs[:, -1]  # (B, 2h): step L, after the padding
        else:
            lengths = valid_lengths(X, self.pad_idx)  # (B,)
            packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
            outputs, _ = self.encoder(packed)
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=L)  # (B, L, 2h)
            last = outputs[torch.arange(B), lengths - 1]  # (B, 2h): each sentence's last token
        features = torch.cat([outputs[:, 0], last], dim=1)  # (B, 4h)
        return self.decoder(features)
# --8<-- [end:birnn]


register_model("bow-sentiment", input_shape=(2, 12), output_shape=(2, 2), input_dtype=torch.long)(
    lambda: BagOfWords(10, pad_idx=1))
for _readout in ("packed", "padded"):
    register_model(f"birnn-sentiment-{_readout}", input_shape=(2, 12), output_shape=(2, 2),
                   input_dtype=torch.long)(
        lambda r=_readout: BiRNNClassifier(10, 6, 5, 2, pad_idx=1, readout=r))
