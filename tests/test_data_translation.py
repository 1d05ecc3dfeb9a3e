"""English–French pairs: cleaning, a leak-free held-out split, padded tensors for teacher forcing."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.translation import (
    Seq2SeqBatches,
    TranslationData,
    fra_eng_pairs,
    normalize_nmt,
    split_by_source,
)

PAIRS = [("go .", "va !"), ("go .", "marche ."), ("i lost .", "j'ai perdu ."),
         ("hi .", "salut !"), ("run !", "cours !"), ("run !", "courez !"), ("who ?", "qui ?")]


def test_normalize_splits_punctuation_off_words_and_lowercases():
    assert normalize_nmt("Go.") == "go ."
    assert normalize_nmt("Ça alors\u202f!") == "ça alors !"
    assert normalize_nmt("Wait, what?") == "wait , what ?"
    assert normalize_nmt("J'ai perdu.") == "j'ai perdu ."


def test_the_mirror_file_reads_into_cleaned_pairs():
    data_dir_or_skip()
    pairs = fra_eng_pairs()
    assert len(pairs) == 76_038  # the README's 76,037 counts newlines; the last line has none
    assert pairs[0] == ("go .", "va !")
    assert fra_eng_pairs(3) == pairs[:3]
    with pytest.raises(ValueError, match="positive"):
        fra_eng_pairs(0)


def test_held_out_sources_never_appear_in_training_and_keep_all_their_references():
    train, test = split_by_source(PAIRS, 2, seed=0, keep_in_train=["go ."])
    held = {s for s, _ in test}
    assert len(held) == 2 and "go ." not in held
    assert not held & {s for s, _ in train}
    for src, refs in test:
        assert refs == [t for s, t in PAIRS if s == src]
    assert len(train) + sum(len(r) for _, r in test) == len(PAIRS)
    assert split_by_source(PAIRS, 2, seed=0, keep_in_train=["go ."]) == (train, test)  # seeded
    with pytest.raises(ValueError, match="cannot hold out"):
        split_by_source(PAIRS, 6, keep_in_train=["go ."])


def test_tensors_pad_with_eos_and_shift_the_decoder_input_right():
    data = TranslationData(PAIRS, num_steps=4, min_freq=1)
    X, X_len, Y_in, Y_len, Y = data.tensors([("i lost .", "j'ai perdu ."), ("hi .", "salut !")])
    src, tgt = data.src_vocab, data.tgt_vocab
    assert X.shape == Y.shape == Y_in.shape == (2, 4)
    assert src.to_tokens(X[0].tolist()) == ["i", "lost", ".", "<eos>"]
    assert src.to_tokens(X[1].tolist()) == ["hi", ".", "<eos>", "<pad>"]
    assert X_len.tolist() == [4, 3] and Y_len.tolist() == [4, 3]
    assert tgt.to_tokens(Y_in[1].tolist()) == ["<bos>", "salut", "!", "<eos>"]
    assert torch.equal(Y_in[:, 1:], Y[:, :-1])


def test_long_sentences_are_cut_for_training_but_refused_for_decoding():
    data = TranslationData(PAIRS, num_steps=3, min_freq=1)
    X, X_len, *_ = data.tensors([("i lost .", "j'ai perdu .")])
    assert X_len.tolist() == [3]  # cut: "i lost ." without its <eos>
    assert data.source_tokens("hi .") == data.src_vocab[["hi", ".", "<eos>"]]
    with pytest.raises(ValueError, match="num_steps=3"):
        data.source_tokens("i lost .")


def test_words_below_min_freq_become_unknown():
    data = TranslationData(PAIRS, num_steps=5, min_freq=2)
    assert "go" in data.src_vocab and "lost" not in data.src_vocab
    X, *_ = data.tensors([("i lost .", "x")])
    assert X[0, 1].item() == data.src_vocab.unk


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="no training pairs"):
        TranslationData([], num_steps=5)
    with pytest.raises(ValueError, match="no pairs"):
        TranslationData(PAIRS, num_steps=5).tensors([])


def test_batches_cover_every_pair_once_per_epoch_in_a_seeded_order():
    data = TranslationData(PAIRS, num_steps=4, min_freq=1)
    batches = data.batches(batch_size=3, seed=1)
    assert len(batches) == 3
    first = torch.cat([b[0] for b in batches])
    assert sorted(map(tuple, first.tolist())) == sorted(map(tuple, data.tensors(PAIRS)[0].tolist()))
    again = torch.cat([b[0] for b in data.batches(batch_size=3, seed=1)])
    assert torch.equal(first, again)
    with pytest.raises(ValueError, match="disagree"):
        Seq2SeqBatches([torch.zeros(3), torch.zeros(2)], 2, shuffle=False)


def test_normalize_keeps_apostrophes_inside_words_and_leaves_curly_ones_alone():
    assert normalize_nmt("J'y vais.") == "j'y vais ."
    assert normalize_nmt("J’y vais.") == "j’y vais ."  # not unified with "'": two tokens in the vocabulary
    assert normalize_nmt("Vraiment\u2009?") == "vraiment ?"
    assert normalize_nmt("Quoi ?!") == "quoi ? !"


def test_valid_length_is_min_of_length_plus_eos_and_num_steps():
    data = TranslationData(PAIRS, num_steps=4, min_freq=1)
    sentences = [("go .", "va !"), ("i lost .", "j'ai perdu ."), ("go go go go go .", "va !")]
    _, X_len, _, _, _ = data.tensors(sentences)
    assert X_len.tolist() == [min(len(s.split()) + 1, 4) for s, _ in sentences]
