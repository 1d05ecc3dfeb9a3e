"""PTB lines and the GloVe 6B 50d vectors: counts, lookup rules, clear errors."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.glove import GloVe, load_glove
from dlnotes.data.ptb import ptb_lines, ptb_sentences
from dlnotes.data.vocab import Vocab


def test_ptb_has_the_known_sentence_counts_and_vocabulary():
    data_dir_or_skip()
    assert [len(ptb_lines(s)) for s in ("train", "valid", "test")] == [42_068, 3_370, 3_761]
    sentences = ptb_sentences("train")
    assert all(s and all(" " not in t for t in s) for s in sentences)
    assert len({t for s in sentences for t in s}) == 9_999  # Mikolov's 10k types, "<unk>" included
    assert len(Vocab(sentences, min_freq=10)) == 6_719  # the plan's count (d2l §14.3)


def test_ptb_rejects_an_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        ptb_lines("dev")


def test_glove_has_stanford_rows_in_order():
    glove = load_glove()
    assert glove.vectors.shape == (400_000, 50) and glove.vectors.dtype == torch.float32
    assert glove.idx_to_token[:3] == ["the", ",", "."]
    # the first row of Stanford's glove.6B.50d.txt
    assert torch.allclose(glove["the"][:4], torch.tensor([0.418, 0.24968, -0.41242, 0.1217]))


def test_unknown_tokens_give_zero_rows_but_index_raises():
    glove = GloVe(["a", "b"], torch.arange(6.0).reshape(2, 3))
    assert torch.equal(glove[["b", "zz", "a"]], torch.tensor([[3.0, 4, 5], [0, 0, 0], [0, 1, 2]]))
    assert glove.index("b") == 1
    with pytest.raises(KeyError, match="'zz' is not among the 2 GloVe tokens"):
        glove.index("zz")


def test_embedding_matrix_follows_the_vocabulary_and_reports_coverage():
    glove = GloVe(["a", "b"], torch.arange(6.0).reshape(2, 3))
    vocab = Vocab(["b", "b", "c", "a"], reserved_tokens=["<pad>"])  # <unk> <pad> b c a (ties by first seen)
    weights, coverage = glove.embedding_matrix(vocab)
    assert vocab.idx_to_token == ["<unk>", "<pad>", "b", "c", "a"]
    assert torch.equal(weights, torch.tensor([[0.0, 0, 0], [0, 0, 0], [3, 4, 5], [0, 0, 0], [0, 1, 2]]))
    assert coverage == pytest.approx(2 / 3)  # b and a of b, c, a; reserved tokens not counted


def test_vectors_and_tokens_must_agree():
    with pytest.raises(ValueError, match="3 tokens need vectors of shape"):
        GloVe(["a", "b", "c"], torch.zeros(2, 5))
