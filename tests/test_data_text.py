"""Text data (d2l §8.2–8.3): Vocab, build_corpus, and the two corpora's measured sizes."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.vocab import Vocab, build_corpus, tokenize


def test_vocab_orders_by_frequency_and_puts_unk_and_reserved_first():
    vocab = Vocab(tokenize(["b a b", "c b a"]), reserved_tokens=["<pad>", "<eos>"])
    assert vocab.to_tokens(list(range(len(vocab)))) == ["<unk>", "<pad>", "<eos>", "b", "a", "c"]
    assert vocab["<pad>"] == 1 and vocab["<eos>"] == 2
    assert vocab.token_freqs[0] == ("b", 3)


def test_unknown_tokens_map_to_unk_and_min_freq_drops_rare_ones():
    vocab = Vocab(list("aaabbc"), min_freq=2)
    assert "c" not in vocab and vocab["c"] == vocab.unk == 0
    assert vocab[["a", "z"]] == [vocab["a"], 0]
    assert vocab.to_tokens(vocab[list("abcz")]) == ["a", "b", "<unk>", "<unk>"]


def test_round_trip_of_known_tokens_is_exact():
    lines = tokenize(["the time traveller", "was expounding"], "char")
    vocab = Vocab(lines)
    for line in lines:
        assert vocab.to_tokens(vocab[line]) == line
    with pytest.raises(IndexError):
        vocab.to_tokens(len(vocab))


def test_reserved_unk_is_not_duplicated():
    vocab = Vocab(["x"], reserved_tokens=["<unk>", "<pad>"])
    assert vocab.to_tokens([0, 1, 2]) == ["<unk>", "<pad>", "x"] and len(vocab) == 3


def test_build_corpus_flattens_lines_and_cuts_after_building_the_vocab():
    corpus, vocab = build_corpus([list("ab"), list("ca")], max_tokens=3)
    assert vocab.to_tokens(corpus) == ["a", "b", "c"]
    assert "a" in vocab and len(vocab) == 4  # <unk>, a, b, c: built on all 4 tokens


def test_an_empty_corpus_fails_loudly():
    with pytest.raises(ValueError, match="corpus is empty"):
        build_corpus([])
    with pytest.raises(ValueError, match="corpus is empty"):
        build_corpus([[], []])
    with pytest.raises(ValueError, match="max_tokens"):
        build_corpus([["a"]], max_tokens=0)


def test_time_machine_sizes_match_d2l():
    data_dir_or_skip()
    from dlnotes.data.timemachine import clean_english, time_machine_corpus, time_machine_lines

    assert len(time_machine_lines()) == 3221
    assert clean_english("  The Time-Machine, 1898!") == "the time machine"
    corpus, vocab = time_machine_corpus("char")
    assert corpus.shape == (170_580,) and corpus.dtype == torch.long
    assert len(vocab) == 28 and vocab.to_tokens(1) == " " and vocab.to_tokens(2) == "e"
    words, word_vocab = time_machine_corpus("word")
    assert len(words) == 32_775 and len(word_vocab) == 4_580
    short, short_vocab = time_machine_corpus("char", max_tokens=10_000)
    assert len(short) == 10_000 and len(short_vocab) == 28
    assert torch.equal(short, corpus[:10_000])


def test_jaychou_sizes_match_d2l_zh_v1():
    data_dir_or_skip()
    from dlnotes.data.jaychou import jaychou_corpus, jaychou_lines

    lines = jaychou_lines()
    assert len(lines) == 5_944 and lines[0] == "想要有直升机"
    corpus, vocab = jaychou_corpus()
    assert corpus.shape == (64_925,)
    assert len(vocab) == 2_614  # 2,613 distinct characters and <unk>
    assert (corpus == vocab.unk).sum() == 0
    assert "".join(vocab.to_tokens(corpus[:7].tolist())) == "想要有直升机 "
