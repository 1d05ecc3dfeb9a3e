"""Penn Treebank (d2l §14.3, §14.9): Mikolov's preprocessed PTB, the corpus of the word-embedding
and BERT-pretraining pages.

``ptb.zip`` holds ``ptb/ptb.{train,valid,test}.txt``: one sentence per line, already lower-cased and
tokenised, numbers replaced by ``N``, rare words by ``<unk>``, 10,000 word types in all. The train
file has 42,068 sentences (d2l counts 42,069 because ``split("\\n")`` keeps the empty string after
the final newline).
"""

from __future__ import annotations

import zipfile

from .store import DataFile, fetch

__all__ = ["PTB", "PTB_SPLITS", "ptb_lines", "ptb_sentences"]

PTB = DataFile("ptb.zip", "http://d2l-data.s3-accelerate.amazonaws.com/ptb.zip",
               "319d85e578af0cdc590547f26231e4e31cdf1e42")
PTB_SPLITS = ("train", "valid", "test")


def ptb_lines(split: str = "train") -> list[str]:
    """The stripped lines of ``ptb.<split>.txt`` (empty lines dropped)."""
    if split not in PTB_SPLITS:
        raise ValueError(f"PTB split must be one of {PTB_SPLITS}, got {split!r}")
    with zipfile.ZipFile(fetch(PTB)) as archive:
        text = archive.read(f"ptb/ptb.{split}.txt").decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def ptb_sentences(split: str = "train") -> list[list[str]]:
    """Each line of :func:`ptb_lines` split on whitespace: one list of word tokens per sentence."""
    return [line.split() for line in ptb_lines(split)]
