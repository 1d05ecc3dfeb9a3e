r"""English–French sentence pairs (d2l §9.5): cleaning, tokens, vocabularies, padded batches.

``fra.txt`` holds 76,038 tab-separated pairs from Tatoeba, shortest first, often several French
translations of one English sentence. It is a newer snapshot than the ``fra.txt`` in d2l's
``fra-eng.zip`` (d2l's first 600 lines are not ours line for line; "he's calm." is missing here).

Cleaning, as d2l describes it: non-breaking spaces become spaces, text is lower-cased, and a
space goes in front of ``, . ! ?`` when a word is glued to it, so punctuation becomes a token of
its own. Tokens are the whitespace-separated words.

A batch follows the loop's convention ``(*inputs, y)``:
``(X, X_valid_len, Y_in, Y_valid_len, Y)`` with ``X`` ``(B, T)`` source indices ending in
``<eos>`` and padded with ``<pad>`` (or cut) to ``T = num_steps``, ``Y`` the target the same way,
and ``Y_in`` the decoder's input under teacher forcing: ``<bos>`` followed by ``Y`` shifted right.
Valid lengths count the tokens before the padding (``<eos>`` included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import torch

from ..seed import data_generator
from .store import DataFile, fetch
from .vocab import Vocab, truncate_pad

__all__ = ["FRA_ENG", "RESERVED", "fra_eng_pairs", "normalize_nmt", "split_by_source",
           "TranslationData", "Seq2SeqBatches"]

FRA_ENG = DataFile("fra.txt", "https://raw.githubusercontent.com/Soubhagya264/"
                   "Language_Translator-Encoder-Decoder-/main/fra.txt",
                   "d2fe092ea8ad4c19cf22b7b50a8881df69dd4849")

RESERVED = ("<pad>", "<bos>", "<eos>")

# --8<-- [start:normalize]
_GLUED_PUNCT = re.compile(r"(?<=\S)([,.!?])")  # , . ! ? right after a non-space character


def normalize_nmt(text: str) -> str:
    """Lower-case, turn non-breaking and thin spaces into spaces, split punctuation off words.

    ``"Wait, what?"`` → ``"wait , what ?"``; ``"Ça alors\u202f!"`` → ``"ça alors !"``. Apostrophes
    stay inside words (``"j'ai"`` is one token), and ``’`` is not turned into ``'``.
    """
    text = text.replace("\u202f", " ").replace("\xa0", " ").replace("\u2009", " ").lower()
    return _GLUED_PUNCT.sub(r" \1", text).strip()
# --8<-- [end:normalize]


def fra_eng_pairs(num_pairs: int | None = None) -> list[tuple[str, str]]:
    """The cleaned ``(english, french)`` pairs in file order (shortest first); the first
    ``num_pairs`` of them if given."""
    if num_pairs is not None and num_pairs <= 0:
        raise ValueError(f"num_pairs must be positive or None, got {num_pairs}")
    pairs = []
    for number, line in enumerate(fetch(FRA_ENG).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{FRA_ENG.name} line {number} has no tab between the two sentences")
        pairs.append((normalize_nmt(parts[0]), normalize_nmt(parts[1])))
        if num_pairs is not None and len(pairs) == num_pairs:
            break
    return pairs


# --8<-- [start:split]
def split_by_source(pairs: Sequence[tuple[str, str]], num_test: int, *, seed: int = 0,
                    keep_in_train: Sequence[str] = ()
                    ) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """Hold out ``num_test`` distinct source sentences with **all** their translations.

    An English sentence often has several French translations; splitting pair by pair would put
    the same source on both sides. Returns ``(train_pairs, test)`` where ``test`` is a list of
    ``(source, [reference, ...])`` (the references for multi-reference BLEU), drawn at random
    (seeded) from the sources not named in ``keep_in_train``.
    """
    references: dict[str, list[str]] = {}
    for src, tgt in pairs:
        references.setdefault(src, []).append(tgt)
    candidates = [s for s in references if s not in set(keep_in_train)]
    if not 0 <= num_test <= len(candidates):
        raise ValueError(f"cannot hold out {num_test} sources: {len(candidates)} are available")
    order = torch.randperm(len(candidates), generator=data_generator(seed))[:num_test]
    held = {candidates[i] for i in order.tolist()}
    train = [(s, t) for s, t in pairs if s not in held]
    test = [(s, references[s]) for s in references if s in held]  # file order
    return train, test
# --8<-- [end:split]


class Seq2SeqBatches:
    """Minibatches of the five aligned tensors ``(X, X_valid_len, Y_in, Y_valid_len, Y)``.

    Shuffled with a seeded generator when ``shuffle`` (a new order every epoch, the same
    sequence of orders in every run).
    """

    def __init__(self, tensors: Sequence[torch.Tensor], batch_size: int, *, shuffle: bool,
                 seed: int = 0):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if len({len(t) for t in tensors}) != 1:
            raise ValueError(f"tensors disagree on the number of examples: {[len(t) for t in tensors]}")
        self.tensors, self.batch_size, self.shuffle = tuple(tensors), batch_size, shuffle
        self.generator = data_generator(seed)

    def __len__(self) -> int:
        return -(-len(self.tensors[0]) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = len(self.tensors[0])
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for idx in order.split(self.batch_size):
            yield tuple(t[idx] for t in self.tensors)


class TranslationData:
    """Vocabularies built on the training pairs, and the tensors of any pairs under them.

    Args:
        train_pairs: cleaned ``(source, target)`` sentences; the vocabularies see only these.
        num_steps: $T$, the length every sentence is padded or cut to (``<eos>`` included).
        min_freq: words seen fewer times in training map to ``<unk>`` (d2l: 2).
    """

    def __init__(self, train_pairs: Sequence[tuple[str, str]], num_steps: int, min_freq: int = 2):
        if not train_pairs:
            raise ValueError("no training pairs: the vocabularies would be empty")
        if num_steps < 2:
            raise ValueError(f"num_steps must be at least 2 (a word and <eos>), got {num_steps}")
        self.train_pairs, self.num_steps = list(train_pairs), num_steps
        self.src_vocab = Vocab([s.split() for s, _ in train_pairs], min_freq, RESERVED)
        self.tgt_vocab = Vocab([t.split() for _, t in train_pairs], min_freq, RESERVED)

    # --8<-- [start:tensors]
    def _encode(self, sentences: Sequence[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Indices ``(N, T)`` of ``w_1 … w_L <eos>`` cut or padded to $T$, and the valid lengths
        ``(N,)`` $\ell = \min(L + 1, T)$ (a cut sentence loses its ``<eos>``)."""
        pad, eos = vocab["<pad>"], vocab["<eos>"]
        rows = [truncate_pad(vocab[s.split()] + [eos], self.num_steps, pad) for s in sentences]
        array = torch.tensor(rows, dtype=torch.long)  # (N, T)
        return array, (array != pad).sum(dim=1)  # (N,)

    def source_tokens(self, sentence: str) -> list[int]:
        """Indices of one source sentence with ``<eos>``, unpadded, for decoding; a sentence longer
        than ``num_steps`` is refused (the model never saw one)."""
        tokens = self.src_vocab[sentence.split()] + [self.src_vocab["<eos>"]]
        if len(tokens) > self.num_steps:
            raise ValueError(f"{sentence!r} has {len(tokens)} tokens with <eos>; the model was "
                             f"trained on at most num_steps={self.num_steps}")
        return tokens

    def tensors(self, pairs: Sequence[tuple[str, str]]) -> tuple[torch.Tensor, ...]:
        """``(X, X_valid_len, Y_in, Y_valid_len, Y)`` for ``pairs``: shapes ``(N, T)``, ``(N,)``,
        ``(N, T)``, ``(N,)``, ``(N, T)``."""
        if not pairs:
            raise ValueError("no pairs to encode")
        X, X_valid_len = self._encode([s for s, _ in pairs], self.src_vocab)
        Y, Y_valid_len = self._encode([t for _, t in pairs], self.tgt_vocab)
        bos = torch.full((len(Y), 1), self.tgt_vocab["<bos>"], dtype=torch.long)
        Y_in = torch.cat([bos, Y[:, :-1]], dim=1)  # (N, T): <bos>, then Y shifted right
        return X, X_valid_len, Y_in, Y_valid_len, Y
    # --8<-- [end:tensors]

    def batches(self, pairs: Sequence[tuple[str, str]] | None = None, batch_size: int = 64, *,
                shuffle: bool = True, seed: int = 0) -> Seq2SeqBatches:
        """Minibatches of ``pairs`` (the training pairs by default) for :func:`dlnotes.train.fit`."""
        return Seq2SeqBatches(self.tensors(self.train_pairs if pairs is None else pairs),
                              batch_size, shuffle=shuffle, seed=seed)
