"""Tokens and their indices (d2l §8.2): tokenize, :class:`Vocab`, padding to a fixed length.

Used by every text chapter (8, 9, 14, 15). Index 0 is always ``<unk>``; reserved tokens such as
``<pad>``, ``<bos>``, ``<eos>`` follow, then the corpus tokens by descending frequency (ties in
order of first appearance, so two builds number tokens identically).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["tokenize", "Vocab", "build_corpus", "truncate_pad"]


def tokenize(lines: Sequence[str], token: str = "word") -> list[list[str]]:
    """Split each line into words (on whitespace) or characters (``token="char"``)."""
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"token must be 'word' or 'char', got {token!r}")


# --8<-- [start:vocab]
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
# --8<-- [end:vocab]


def build_corpus(lines: Sequence[Sequence[str]], max_tokens: int | None = None, min_freq: int = 0,
                 reserved_tokens: Sequence[str] = ()) -> tuple[list[int], Vocab]:
    """Flatten tokenized lines into one list of indices, with the :class:`Vocab` built on them all.

    Line boundaries are dropped (the tokens of line ``i + 1`` follow those of line ``i``); the
    vocabulary is built on the whole text before the index list is cut to ``max_tokens``.

    Raises:
        ValueError: the lines hold no token at all (an empty file, or a cleaning step that
            removed everything), or ``max_tokens`` is not positive.
    """
    if max_tokens is not None and max_tokens <= 0:
        raise ValueError(f"max_tokens must be positive or None, got {max_tokens}")
    tokens = [t for line in lines for t in line]
    if not tokens:
        raise ValueError(
            f"the corpus is empty: {len(lines)} lines and no token in them; check the file and "
            "the cleaning step before building a vocabulary"
        )
    vocab = Vocab(tokens, min_freq=min_freq, reserved_tokens=reserved_tokens)
    corpus = vocab[tokens]
    return (corpus if max_tokens is None else corpus[:max_tokens]), vocab


def truncate_pad(line: Sequence[int], num_steps: int, padding_token: int) -> list[int]:
    """Cut ``line`` to ``num_steps`` tokens or pad it with ``padding_token`` up to that length."""
    if num_steps <= 0:
        raise ValueError(f"num_steps must be positive, got {num_steps}")
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))
