"""Tokens and their indices (d2l §8.2): tokenize, :class:`Vocab`, padding to a fixed length.

Used by every text chapter (8, 9, 14, 15). Index 0 is always ``<unk>``; reserved tokens such as
``<pad>``, ``<bos>``, ``<eos>`` follow, then the corpus tokens by descending frequency (ties in
order of first appearance, so two builds number tokens identically).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["tokenize", "Vocab", "truncate_pad"]


def tokenize(lines: Sequence[str], token: str = "word") -> list[list[str]]:
    """Split each line into words (on whitespace) or characters (``token="char"``)."""
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"token must be 'word' or 'char', got {token!r}")


class Vocab:
    """A two-way map between tokens and indices.

    Args:
        tokens: a flat or nested (one list per line) sequence of tokens.
        min_freq: tokens seen fewer times map to ``<unk>``.
        reserved_tokens: extra tokens that get the indices right after ``<unk>``.
    """

    def __init__(self, tokens: Iterable = (), min_freq: int = 0,
                 reserved_tokens: Sequence[str] = ()):
        flat = [t for item in tokens for t in (item if isinstance(item, (list, tuple)) else [item])]
        self.token_freqs = sorted(Counter(flat).items(), key=lambda kv: kv[1], reverse=True)
        self.idx_to_token = ["<unk>", *[t for t in reserved_tokens if t != "<unk>"]]
        seen = set(self.idx_to_token)
        for token, freq in self.token_freqs:
            if freq >= min_freq and token not in seen:
                self.idx_to_token.append(token)
                seen.add(token)
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """Index of a token (``unk`` if unknown), or a list of indices for a list of tokens."""
        if isinstance(tokens, (list, tuple)):
            return [self[t] for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def __contains__(self, token) -> bool:
        return token in self.token_to_idx

    def to_tokens(self, indices):
        """Token of an index, or a list of tokens for a list of indices."""
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(i) for i in indices]
        if not 0 <= int(indices) < len(self):
            raise IndexError(f"index {indices} is outside a vocabulary of {len(self)} tokens")
        return self.idx_to_token[int(indices)]

    def check_known(self, tokens: Iterable[str], what: str = "input") -> None:
        """Raise ``KeyError`` naming every token of ``tokens`` missing from the vocabulary."""
        missing = sorted({t for t in tokens if t not in self.token_to_idx})
        if missing:
            raise KeyError(f"{what} has tokens outside the vocabulary: {missing}")

    @property
    def unk(self) -> int:
        return 0


def truncate_pad(line: Sequence[int], num_steps: int, padding_token: int) -> list[int]:
    """Cut ``line`` to ``num_steps`` tokens or pad it with ``padding_token`` up to that length."""
    if num_steps <= 0:
        raise ValueError(f"num_steps must be positive, got {num_steps}")
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))
