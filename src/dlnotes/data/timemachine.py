"""H. G. Wells, *The Time Machine* (d2l §8.2–8.6): the English corpus of the language-model pages.

d2l's copy of the book, 3,221 lines. Cleaning as in d2l: every run of characters other than the
26 Latin letters becomes one space, then the line is stripped and lower-cased, so a character
corpus has 27 token types (26 letters and the space) and 28 with ``<unk>``. The corpus glues the
lines together without a separator, as d2l does (170,580 characters).
"""

from __future__ import annotations

import re

import torch

from .store import DataFile, fetch
from .vocab import Vocab, build_corpus, tokenize

__all__ = ["TIME_MACHINE", "time_machine_lines", "clean_english", "time_machine_corpus"]

TIME_MACHINE = DataFile("timemachine.txt", "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
                        "090b5e7e70c295757f55df93cb0a180b9691891a")

_NON_LETTERS = re.compile("[^A-Za-z]+")


def time_machine_lines() -> list[str]:
    """The book's lines as stored in the file (3,221 lines, not cleaned)."""
    return fetch(TIME_MACHINE).read_text(encoding="utf-8").splitlines()


def clean_english(line: str) -> str:
    """Keep only Latin letters (every other run becomes one space), strip, lower-case."""
    return _NON_LETTERS.sub(" ", line).strip().lower()


def time_machine_corpus(token: str = "char", max_tokens: int | None = None,
                        min_freq: int = 0) -> tuple[torch.Tensor, Vocab]:
    """Token indices of the cleaned book, shape ``(N,)`` int64, and the vocabulary built on it.

    Args:
        token: ``"char"`` (N = 170,580, 28 tokens) or ``"word"`` (N = 32,775).
        max_tokens: keep only the first ``max_tokens`` indices (d2l's language models use 10,000);
            the vocabulary is still built on the whole book.
        min_freq: rarer tokens map to ``<unk>``.
    """
    lines = [clean_english(line) for line in time_machine_lines()]
    corpus, vocab = build_corpus(tokenize(lines, token), max_tokens=max_tokens, min_freq=min_freq)
    return torch.tensor(corpus, dtype=torch.long), vocab
