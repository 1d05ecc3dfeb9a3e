"""周杰伦歌词 (Jay Chou's lyrics): the Chinese character corpus of d2l-zh's first edition.

One lyric line per file line, 5,944 lines, UTF-8, zipped. Besides Chinese characters the text
holds ASCII and full-width spaces, Latin letters and punctuation; nothing is cleaned away. As in
d2l-zh v1 every line break becomes a space, so the character corpus has 64,925 characters of
2,613 distinct kinds (2,614 tokens with ``<unk>``).
"""

from __future__ import annotations

import zipfile

import torch

from .store import DataFile, fetch
from .vocab import Vocab, build_corpus

__all__ = ["JAYCHOU_LYRICS", "jaychou_lines", "jaychou_corpus"]

JAYCHOU_LYRICS = DataFile(
    "jaychou_lyrics.txt.zip",
    "https://raw.githubusercontent.com/d2l-ai/d2l-zh/592fbef84a684e752393edbf267c07dbc53e082b/"
    "data/jaychou_lyrics.txt.zip",
    "aea46bd5d5fb2f05d6cd38d8e6b461d679fa4f00",
)


def jaychou_lines() -> list[str]:
    """The lyric lines (5,944), without their line breaks."""
    with zipfile.ZipFile(fetch(JAYCHOU_LYRICS)) as archive:
        text = archive.read("jaychou_lyrics.txt").decode("utf-8")
    return text.splitlines()


def jaychou_corpus(max_tokens: int | None = None, min_freq: int = 0) -> tuple[torch.Tensor, Vocab]:
    """Character indices of all the lyrics, shape ``(N,)`` int64 (N = 64,925), and their vocabulary.

    Each line is followed by one space (the line break), so a model sees where a line ends.
    ``max_tokens`` keeps the first indices only (d2l-zh v1 used 10,000); the vocabulary is built on
    the whole text. ``min_freq``: rarer characters map to ``<unk>``.
    """
    lines = [list(line) + [" "] for line in jaychou_lines()]
    corpus, vocab = build_corpus(lines, max_tokens=max_tokens, min_freq=min_freq)
    return torch.tensor(corpus, dtype=torch.long), vocab
