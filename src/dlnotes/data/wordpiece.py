r"""WordPiece tokenization as BERT does it (Schuster & Nakajima, 2012; Devlin et al., 2019; d2l §14.6).

Two stages, exactly those of BERT's reference tokenizer (its ``BasicTokenizer`` then
``WordpieceTokenizer``):

1. **Basic**: drop control characters and U+FFFD, turn every whitespace character into a space,
   put spaces around CJK ideographs (each becomes its own word), lowercase and strip accents
   (NFD, then drop the combining marks) when ``lowercase``, split on whitespace and on every
   punctuation character (ASCII symbols count as punctuation).
2. **WordPiece**: each word is cut greedily into the *longest* vocabulary piece from the left; a
   piece that does not start the word carries the prefix ``##``. A word with no complete cut, or
   longer than 100 characters, becomes ``[UNK]`` as a whole.

The special tokens ``[CLS] [SEP] [PAD] [MASK] [UNK]`` written in the text stay single tokens.
:meth:`WordPieceTokenizer.encode` adds ``[CLS] A [SEP]`` (``[CLS] A [SEP] B [SEP]`` for a pair) with
segment ids 0 for the first part and 1 for the second; :meth:`WordPieceTokenizer.batch` pads to the
longest sequence with ``[PAD]`` and returns the valid lengths. Twin: ``transformers.BertTokenizer``
/ ``BertTokenizerFast`` built from the same ``vocab.txt``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import torch

__all__ = ["SPECIAL_TOKENS", "WordPieceTokenizer", "basic_tokenize", "wordpiece"]

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_WORD_CHARS = 100  # BERT's max_input_chars_per_word: longer words are [UNK]


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False  # whitespace, handled as such
    return unicodedata.category(ch).startswith("C")  # Cc, Cf, Co, Cn, Cs


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # every non-alphanumeric ASCII character, e.g. $ + < = > ^ ` | ~
    return unicodedata.category(ch).startswith("P")


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


# --8<-- [start:basic]
def basic_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Stage 1: clean, isolate CJK characters, lowercase + strip accents, split on spaces and punctuation."""
    chars = []
    for ch in text:
        if ch == "\0" or ch == "\ufffd" or _is_control(ch):
            continue  # dropped
        if _is_whitespace(ch):
            chars.append(" ")
        elif _is_cjk(ch):
            chars.append(f" {ch} ")  # every ideograph is a word of its own
        else:
            chars.append(ch)
    words = []
    for word in "".join(chars).split():
        if lowercase:
            word = unicodedata.normalize("NFD", word.lower())
            word = "".join(c for c in word if unicodedata.category(c) != "Mn")  # é -> e
        current = ""
        for ch in word:
            if _is_punctuation(ch):  # a punctuation character is a word of its own
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words
# --8<-- [end:basic]


# --8<-- [start:wordpiece]
def wordpiece(word: str, vocab: set[str] | dict[str, int], unk: str = "[UNK]") -> list[str]:
    """Stage 2: greedy longest-match-first pieces of one word; ``##`` marks a piece inside the word."""
    if len(word) > MAX_WORD_CHARS:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:  # try the longest candidate first, then shorten it
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:  # not even one character matches: the whole word is unknown
            return [unk]
        pieces.append(piece)
        start = end
    return pieces
# --8<-- [end:wordpiece]


class WordPieceTokenizer:
    """BERT's tokenizer over a WordPiece vocabulary ``tokens`` (index = line of ``vocab.txt``).

    Args:
        tokens: the vocabulary; must contain ``[PAD] [UNK] [CLS] [SEP] [MASK]``.
        lowercase: BERT *uncased*: lowercase and strip accents before the pieces.
    """

    def __init__(self, tokens: Sequence[str], lowercase: bool = True):
        self.idx_to_token = list(tokens)
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        if len(self.token_to_idx) != len(self.idx_to_token):
            raise ValueError("the vocabulary has duplicate tokens")
        missing = [t for t in SPECIAL_TOKENS if t not in self.token_to_idx]
        if missing:
            raise ValueError(f"the vocabulary lacks the special tokens {missing}")
        self.lowercase = lowercase
        self._special = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")
        self.pad, self.unk, self.cls, self.sep, self.mask = (self.token_to_idx[t] for t in SPECIAL_TOKENS)

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def tokenize(self, text: str) -> list[str]:
        """The WordPiece tokens of ``text`` (no ``[CLS]``/``[SEP]`` added)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        out = []
        for part in self._special.split(text):  # odd parts are special tokens written in the text
            if part in SPECIAL_TOKENS:
                out.append(part)
                continue
            for word in basic_tokenize(part, self.lowercase):
                out.extend(wordpiece(word, self.token_to_idx))
        return out

    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        """Indices of ``tokens``; a token outside the vocabulary raises (tokenize first)."""
        missing = sorted({t for t in tokens if t not in self.token_to_idx})
        if missing:
            raise KeyError(f"tokens outside the WordPiece vocabulary: {missing}")
        return [self.token_to_idx[t] for t in tokens]

    def to_tokens(self, ids: Sequence[int]) -> list[str]:
        return [self.idx_to_token[int(i)] for i in ids]

    # --8<-- [start:encode]
    def encode(self, text: str, pair: str | None = None,
               max_len: int | None = None) -> tuple[list[int], list[int]]:
        """``[CLS] A [SEP]`` or ``[CLS] A [SEP] B [SEP]``: ids and segment ids (0 for A, 1 for B).

        ``max_len`` caps the whole length, special tokens included, by cutting tokens from the ends
        (the reference's "longest first" truncation: of the room left beside the special tokens,
        the shorter part keeps at most half, rounded down, and the longer part the rest; lengths
        are compared after capping each at ``max_len``, and a tie counts the first part as shorter).
        """
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = None if pair is None else self.convert_tokens_to_ids(self.tokenize(pair))
        if max_len is not None:
            room = max_len - (2 if b is None else 3)  # what the special tokens leave
            if room < 0:
                raise ValueError(f"max_len {max_len} leaves no room beside [CLS] and [SEP]")
            if b is None:
                a = a[:room]
            elif len(a) + len(b) > room:  # longest first: the shorter part keeps up to half the room
                if min(len(a), max_len) <= min(len(b), max_len):  # the reference compares capped lengths
                    a = a[:room // 2]
                    b = b[:room - len(a)]
                else:
                    b = b[:room // 2]
                    a = a[:room - len(b)]
        ids = [self.cls, *a, self.sep]
        segments = [0] * len(ids)
        if b is not None:
            ids += [*b, self.sep]
            segments += [1] * (len(b) + 1)
        return ids, segments
    # --8<-- [end:encode]

    def batch(self, texts: Sequence[str], pairs: Sequence[str] | None = None,
              max_len: int = 512) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode every text (with its pair), pad with ``[PAD]`` to the longest: ids ``(B, T)``,
        segments ``(B, T)`` (padding in segment 0), valid lengths ``(B,)``; all long."""
        if isinstance(texts, str):
            raise TypeError("batch takes a list of texts; use encode for one text")
        if pairs is not None and len(pairs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(pairs)} pairs")
        if not texts:
            raise ValueError("batch needs at least one text")
        encoded = [self.encode(t, None if pairs is None else pairs[i], max_len) for i, t in enumerate(texts)]
        T = max(len(ids) for ids, _ in encoded)
        ids = torch.full((len(texts), T), self.pad, dtype=torch.long)  # (B, T)
        segments = torch.zeros((len(texts), T), dtype=torch.long)  # (B, T)
        for i, (x, s) in enumerate(encoded):
            ids[i, :len(x)] = torch.tensor(x)
            segments[i, :len(s)] = torch.tensor(s)
        valid_lens = torch.tensor([len(x) for x, _ in encoded])  # (B,)
        return ids, segments, valid_lens
