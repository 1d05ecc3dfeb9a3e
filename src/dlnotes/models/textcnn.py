r"""TextCNN (Kim 2014; d2l §15.3): 1-D convolutions over word vectors and max-over-time pooling.

``X`` ``(B, L)`` token indices → two embeddings of the same tokens, one trained and one frozen,
concatenated into $2d$ input channels ``(B, 2d, L)`` → for each kernel width $w$ a
``nn.Conv1d(2d, c, w)`` and ReLU ``(B, c, L - w + 1)`` → the maximum over time ``(B, c)`` →
all widths concatenated ``(B, \sum c)`` → dropout → linear → logits ``(B, 2)``.

Max-over-time pooling, $z_j = \max_t \mathrm{ReLU}(\mathbf K_j \star \mathbf X + b_j)_t$, keeps for
each channel $j$ the strongest match of its $w$-gram detector anywhere in the sentence, so the
output has the same size for every sentence length.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..layers.embedding import check_token_batch, load_embedding
from ._registry import register_model

__all__ = ["TextCNN"]


# --8<-- [start:textcnn]
class TextCNN(nn.Module):
    """Args: vocab and embedding sizes, kernel widths and their channel counts, dropout, pad index."""

    def __init__(self, vocab_size: int, embed_size: int, kernel_sizes: Sequence[int],
                 num_channels: Sequence[int], dropout: float = 0.5, num_classes: int = 2):
        super().__init__()
        if len(kernel_sizes) != len(num_channels):
            raise ValueError(f"{len(kernel_sizes)} kernel sizes but {len(num_channels)} channel counts")
        self.vocab_size, self.min_len = vocab_size, max(kernel_sizes)
        self.embedding = nn.Embedding(vocab_size, embed_size)  # trained
        self.constant_embedding = nn.Embedding(vocab_size, embed_size)  # frozen by load_embedding
        self.convs = nn.ModuleList(nn.Conv1d(2 * embed_size, c, w)
                                   for c, w in zip(num_channels, kernel_sizes, strict=True))
        self.pool = nn.AdaptiveMaxPool1d(1)  # max over time
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(sum(num_channels), num_classes)

    def load_embedding(self, weights: torch.Tensor) -> TextCNN:
        """Both embeddings start from ``weights`` ``(V, d)``; only ``embedding`` keeps learning."""
        load_embedding(self.embedding, weights, freeze=False)
        load_embedding(self.constant_embedding, weights, freeze=True)
        return self

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_token_batch(X, self.vocab_size, "TextCNN")
        if X.shape[1] < self.min_len:
            raise ValueError(f"TextCNN needs at least {self.min_len} steps (its widest kernel), "
                             f"got {X.shape[1]}; pad the sentences")
        emb = torch.cat([self.embedding(X), self.constant_embedding(X)], dim=2)  # (B, L, 2d)
        emb = emb.permute(0, 2, 1)  # (B, 2d, L): embedding dimensions are the channels
        pooled = [self.pool(self.relu(conv(emb))).squeeze(-1) for conv in self.convs]  # each (B, c)
        return self.decoder(self.dropout(torch.cat(pooled, dim=1)))  # (B, sum c) -> (B, 2)
# --8<-- [end:textcnn]


@register_model("textcnn", input_shape=(2, 12), output_shape=(2, 2), input_dtype=torch.long)
def _textcnn_tiny() -> TextCNN:
    net = TextCNN(10, 6, kernel_sizes=(3, 4, 5), num_channels=(4, 4, 4))
    return net.load_embedding(torch.randn(10, 6))
