"""WordPiece (``dlnotes.data.wordpiece``) against the reference BERT tokenizer on MiniLM's vocabulary."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.wordpiece import WordPieceTokenizer, basic_tokenize, wordpiece

SENTENCES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Unaffable embeddings: tokenization of out-of-vocabulary words.",
    "Café, naïve résumé — ÉCOLE Über straße",
    "It cost $1,234.56 (about 3.5%) on 2024-03-01 at 9:30am.",
    "e-mail me@example.com or visit https://d2l.ai/chapter_bert?x=1&y=2",
    "深度学习 is 很有趣! 東京タワー와 한국어",
    "Emoji 🙂 and symbols ™ © ° ± ∞ ≠ →",
    "tabs\tand\nnewlines   and  spaces",
    "control\x00chars\u200bzero\ufffdwidth",
    "a" * 101 + " " + "b" * 100 + " pneumonoultramicroscopicsilicovolcanoconiosis",
    "Don't stop-believing... he said: \"yes\"; she said 'no'!?",
    "[CLS] a literal [MASK] token and [SEP] inside text",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ and ½ ² ⅓",
    "",
]


@pytest.fixture(scope="module")
def ours():
    data_dir_or_skip()
    from dlnotes.data.minilm import minilm_tokenizer

    return minilm_tokenizer()


@pytest.fixture(scope="module")
def reference():
    transformers = pytest.importorskip("transformers")
    root = data_dir_or_skip() / "minilm-l6"
    # the folder holds vocab.txt and tokenizer_config.json (no tokenizer.json): built from vocab.txt
    return transformers.BertTokenizerFast.from_pretrained(str(root), local_files_only=True)


@pytest.mark.parametrize("text", SENTENCES)
def test_tokens_and_ids_match_the_reference_tokenizer(ours, reference, text):
    assert ours.tokenize(text) == reference.tokenize(text)
    ids, segments = ours.encode(text)
    expected = reference(text)
    assert ids == expected["input_ids"]
    assert segments == expected["token_type_ids"]


def test_the_tokenizers_library_agrees_too(ours):
    tokenizers = pytest.importorskip("tokenizers")
    root = data_dir_or_skip() / "minilm-l6"
    ref = tokenizers.BertWordPieceTokenizer(str(root / "vocab.txt"), lowercase=True)
    for text in SENTENCES:
        if "[" in text:
            continue  # this one does not register the special tokens as whole words
        assert ours.encode(text)[0] == ref.encode(text).ids, text


def test_pairs_with_truncation_and_padding_match(ours, reference):
    texts = SENTENCES[:6]
    pairs = SENTENCES[6:12]
    for max_len in (512, 24, 12, 9):
        ids, segments, valid = ours.batch(texts, pairs, max_len=max_len)
        expected = reference(texts, pairs, max_length=max_len, truncation="longest_first",
                             padding=True, return_tensors="pt")
        assert torch.equal(ids, expected["input_ids"]), max_len
        assert torch.equal(segments, expected["token_type_ids"]), max_len
        assert torch.equal(valid, expected["attention_mask"].sum(1)), max_len


def test_long_words_become_unk_beyond_100_characters(ours):
    assert ours.tokenize("a" * 101) == ["[UNK]"]
    assert "[UNK]" not in ours.tokenize("a" * 100)


def test_greedy_longest_match_on_a_toy_vocabulary():
    vocab = {"un", "##aff", "##able", "##a", "a", "[UNK]"}
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("unx", vocab) == ["[UNK]"]  # no piece covers "x": the whole word is unknown
    assert basic_tokenize("Héllo,World!") == ["hello", ",", "world", "!"]
    assert basic_tokenize("Héllo", lowercase=False) == ["Héllo"]


def test_bad_input_raises():
    tok = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])
    with pytest.raises(TypeError, match="str"):
        tok.tokenize(["a"])
    with pytest.raises(KeyError, match="outside the WordPiece vocabulary"):
        tok.convert_tokens_to_ids(["zz"])
    with pytest.raises(ValueError, match="special tokens"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="pairs"):
        tok.batch(["a", "a"], ["a"])
    with pytest.raises(ValueError, match="no room"):
        tok.encode("a", "a", max_len=2)


def test_longest_first_truncation_lengths_match_on_a_grid(ours, reference):
    for max_len in (8, 12, 15):
        for la in range(1, 20, 3):
            for lb in range(1, 20, 3):
                a, b = " ".join(["x"] * la), " ".join(["y"] * lb)
                expected = reference(a, b, max_length=max_len, truncation="longest_first")
                assert ours.encode(a, b, max_len=max_len)[0] == expected["input_ids"], (la, lb, max_len)
