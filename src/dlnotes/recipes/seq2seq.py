r"""Sequence to sequence: the masked loss, training, greedy and beam-search decoding, BLEU (d2l §9.7–9.8).

Batches follow the loop's convention ``(*inputs, y)`` as ``(X, X_valid_len, Y_in, Y_valid_len,
Y)``: the model gets the four inputs (teacher forcing) and :class:`PaddedCrossEntropy` compares
its logits with ``Y``, skipping the padding. Decoding (greedy, or beam search for §9.8)
feeds the model its own previous prediction, one token at a time, until ``<eos>``.
:func:`train_translation` is the one training recipe both pages use (same model, same loop).

Beam search keeps the $k$ best partial translations by summed log-probability
$\log P(y_1,\dots,y_t\mid x)=\sum_{t'\le t}\log P(y_{t'}\mid y_{<t'},x)$; a hypothesis that emits
``<eos>`` is finished and gives up its slot. The winner maximises $\frac{1}{L^\alpha}\log P$ over
the finished (and, at ``max_len``, unfinished) hypotheses, $L$ counting ``<eos>``.

BLEU (Papineni et al., 2002, in d2l's form):
$\exp\big(\min(0, 1 - \frac{\mathrm{len}_{label}}{\mathrm{len}_{pred}})\big)\prod_{n=1}^{k} p_n^{1/2^n}$,
where $p_n$ is the $n$-gram precision of the prediction. With several references an $n$-gram's
count is clipped at its largest count in any one reference and $\mathrm{len}_{label}$ is the
reference length closest to the prediction's (the shorter on a tie), as in Papineni et al.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..data.translation import TranslationData, fra_eng_pairs, split_by_source
from ..history import History
from ..models.seq2seq import Seq2Seq, Seq2SeqConfig
from ..train import fit

__all__ = ["PaddedCrossEntropy", "greedy_decode", "greedy_decode_batch", "bleu", "multi_bleu", "Hypothesis", "beam_search",
           "rescore", "sequence_log_prob", "TranslationRun", "fit_translation", "train_translation",
           "held_out_task",
           "D2L_SETTINGS", "CPU_SETTINGS", "D2L_EXAMPLES"]


class PaddedCrossEntropy:
    """Mean cross-entropy over the tokens of ``Y`` that are not ``pad_index``.

    ``loss(logits, Y)`` with ``logits`` ``(B, T, V)`` and ``Y`` ``(B, T)``. ``num_targets(Y)`` tells
    :func:`dlnotes.train.fit` how many tokens the mean is over, so an epoch's loss is the mean per
    real token however the padding falls. Twin of
    :func:`dlnotes.layers.functional.masked_cross_entropy` with ``valid_len`` from the padding.
    """

    def __init__(self, pad_index: int):
        self.pad_index = pad_index

    def __call__(self, logits: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        if logits.shape[:2] != Y.shape:
            raise ValueError(f"logits {tuple(logits.shape)} and Y {tuple(Y.shape)} disagree on (B, T)")
        V = logits.shape[-1]
        return F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1), ignore_index=self.pad_index)

    def num_targets(self, Y: torch.Tensor) -> int:
        return int((Y != self.pad_index).sum())


def _check_decoding(src: Sequence[int], max_len: int) -> None:
    if not src:
        raise ValueError("the source sentence is empty")
    if max_len <= 0:
        raise ValueError(f"max_len must be positive, got {max_len}")


# --8<-- [start:greedy]
@torch.no_grad()
def greedy_decode(model, src: Sequence[int], bos: int, eos: int, max_len: int) -> list[int]:
    """Translate one source sentence (token indices, ``<eos>`` included) greedily.

    The model must offer ``encode(X, X_valid_len) -> (state, context)`` and
    ``decode_step(Y_in, state, context) -> (logits, state)`` (:class:`dlnotes.models.seq2seq.Seq2Seq`).
    Returns the predicted indices without ``<eos>``; at most ``max_len`` of them.
    """
    _check_decoding(src, max_len)
    model.eval()
    device = next(model.parameters()).device
    X = torch.tensor([list(src)], device=device)  # (1, T)
    state, context = model.encode(X, torch.tensor([len(src)], device=device))
    token, out = bos, []
    for _ in range(max_len):
        logits, state = model.decode_step(torch.tensor([[token]], device=device), state, context)
        token = int(logits[0, -1].argmax())
        if token == eos:
            break
        out.append(token)
    return out
# --8<-- [end:greedy]


@torch.no_grad()
def greedy_decode_batch(model, srcs: Sequence[Sequence[int]], bos: int, eos: int, max_len: int,
                        pad: int = 0) -> list[list[int]]:
    """:func:`greedy_decode` for many source sentences at once (padded with ``pad``, masked by their
    valid lengths): one ``decode_step`` per position for the whole batch instead of per sentence.
    Returns the same indices as decoding each sentence alone."""
    if not srcs:
        raise ValueError("no source sentences to decode")
    for src in srcs:
        _check_decoding(src, max_len)
    model.eval()
    device = next(model.parameters()).device
    T = max(len(s) for s in srcs)
    X = torch.tensor([list(s) + [pad] * (T - len(s)) for s in srcs], device=device)  # (n, T)
    state, memory = model.encode(X, torch.tensor([len(s) for s in srcs], device=device))
    tokens = torch.full((len(srcs), 1), bos, device=device)  # (n, 1)
    out = torch.empty(len(srcs), 0, dtype=torch.long, device=device)  # (n, t)
    for _ in range(max_len):
        logits, state = model.decode_step(tokens, state, memory)  # (n, 1, V)
        tokens = logits[:, -1].argmax(dim=-1, keepdim=True)  # (n, 1)
        out = torch.cat([out, tokens], dim=1)
        if (out == eos).any(dim=1).all():
            break
    result = []
    for row in out.tolist():  # cut each sentence at its first <eos>
        result.append(row[:row.index(eos)] if eos in row else row)
    return result


# --8<-- [start:bleu]
def multi_bleu(pred: Sequence[str], references: Sequence[Sequence[str]], k: int = 4) -> float:
    r"""BLEU of ``pred`` against one or more ``references`` (token lists), n-grams up to ``k``.

    d2l's form: brevity penalty times $\prod_n p_n^{1/2^n}$. A predicted $n$-gram counts at most
    as often as it occurs in the one reference that has it most; the brevity penalty uses the
    reference length closest to the prediction's.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if not references:
        raise ValueError("no reference translation to compare with")
    len_pred = len(pred)
    if len_pred == 0:
        return 0.0
    len_label = min((len(r) for r in references), key=lambda n: (abs(n - len_pred), n))
    score = math.exp(min(0.0, 1 - len_label / len_pred))  # brevity penalty
    for n in range(1, k + 1):
        if len_pred < n:
            break  # no n-grams of this order: d2l skips them
        pred_ngrams = Counter(tuple(pred[i:i + n]) for i in range(len_pred - n + 1))
        best = Counter()  # for each n-gram, its largest count in a single reference
        for ref in references:
            best |= Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
        matches = sum((pred_ngrams & best).values())  # clipped counts
        score *= (matches / (len_pred - n + 1)) ** (0.5 ** n)
    return score
# --8<-- [end:bleu]


def bleu(pred: Sequence[str], label: Sequence[str], k: int = 4) -> float:
    """BLEU of ``pred`` against one ``label`` (token lists), n-grams up to ``k`` (d2l's form)."""
    return multi_bleu(pred, [label], k)


@dataclass(frozen=True)
class Hypothesis:
    r"""A (partial) translation: token indices without ``<eos>``, summed log-probability, whether it
    ended with ``<eos>``, and the score it was ranked by, $\log P / L^\alpha$."""

    tokens: tuple[int, ...]
    log_prob: float
    finished: bool
    score: float

    @property
    def length(self) -> int:
        """$L$: the generated tokens, ``<eos>`` included."""
        return len(self.tokens) + int(self.finished)


def _expand_rows(memory, n: int):
    """Repeat a batch-1 memory (a tensor ``(1, ...)``, a tuple of them, or None) to ``n`` rows."""
    if memory is None:
        return None
    if isinstance(memory, tuple):
        return tuple(_expand_rows(m, n) for m in memory)
    return memory.expand(n, *memory.shape[1:])  # (n, ...)


# --8<-- [start:beam]
@torch.no_grad()
def beam_search(model, src: Sequence[int], bos: int, eos: int, max_len: int, beam_size: int,
                alpha: float = 0.0) -> list[Hypothesis]:
    r"""Beam search for one source sentence; returns the candidates, best first.

    Every step extends each of the live hypotheses by every word, keeps the ``beam_size`` best
    extensions by summed log-probability, sets aside those that chose ``<eos>`` (each takes one
    slot for good) and continues with the rest. Candidates are ranked by
    $\frac{1}{L^\alpha}\log P$ (``alpha=0``: plain log-probability). ``beam_size=1`` is greedy
    decoding. The model needs ``encode``/``decode_step`` and ``reorder_state(state, rows)``.
    """
    _check_decoding(src, max_len)
    if beam_size <= 0:
        raise ValueError(f"beam_size must be positive, got {beam_size}")
    model.eval()
    device = next(model.parameters()).device
    state, context = model.encode(torch.tensor([list(src)], device=device),
                                  torch.tensor([len(src)], device=device))  # batch of one
    live: list[tuple[tuple[int, ...], float]] = [((), 0.0)]  # (tokens, log P)
    done: list[tuple[tuple[int, ...], float, bool]] = []
    for _ in range(max_len):
        last = torch.tensor([[toks[-1] if toks else bos] for toks, _ in live], device=device)  # (n, 1)
        logits, state = model.decode_step(last, state, _expand_rows(context, len(live)))
        log_p = torch.log_softmax(logits[:, -1].double(), dim=-1)  # (n, V)
        totals = torch.tensor([lp for _, lp in live], dtype=torch.float64, device=device)[:, None] + log_p
        slots = beam_size - len(done)
        best = totals.flatten().topk(min(slots, totals.numel()))
        keep, new_live = [], []
        for value, flat in zip(best.values.tolist(), best.indices.tolist(), strict=True):
            row, word = divmod(flat, totals.shape[1])
            if word == eos:
                done.append((live[row][0], value, True))
            else:
                keep.append(row)
                new_live.append((live[row][0] + (word,), value))
        if not new_live:
            break
        live = new_live
        state = model.reorder_state(state, keep)  # each survivor continues from its parent's state
    else:
        done.extend((toks, lp, False) for toks, lp in live)  # max_len reached without <eos>
    return rescore([Hypothesis(t, lp, f, lp) for t, lp, f in done], alpha)
# --8<-- [end:beam]


# --8<-- [start:rescore]
def rescore(hyps: Sequence[Hypothesis], alpha: float) -> list[Hypothesis]:
    r"""The candidates ranked by $\frac{1}{L^\alpha}\log P$, best first ($L$ counts ``<eos>``).

    The search itself prunes by $\log P$ only, so one search serves every $\alpha$."""
    if alpha < 0:
        raise ValueError(f"alpha must be non-negative, got {alpha}")
    scored = [Hypothesis(h.tokens, h.log_prob, h.finished, h.log_prob / max(h.length, 1) ** alpha)
              for h in hyps]
    return sorted(scored, key=lambda h: h.score, reverse=True)
# --8<-- [end:rescore]


@torch.no_grad()
def sequence_log_prob(model, src: Sequence[int], tokens: Sequence[int], bos: int, eos: int | None
                      ) -> float:
    r"""$\log P(y_1,\dots,y_L\mid x)$ of ``tokens`` (then ``eos`` unless it is None) under ``model``."""
    _check_decoding(src, 1)
    model.eval()
    device = next(model.parameters()).device
    target = list(tokens) + ([] if eos is None else [eos])
    if not target:
        return 0.0
    state, context = model.encode(torch.tensor([list(src)], device=device),
                                  torch.tensor([len(src)], device=device))
    Y_in = torch.tensor([[bos] + target[:-1]], device=device)  # (1, L)
    logits, _ = model.decode_step(Y_in, state, context)  # (1, L, V)
    log_p = torch.log_softmax(logits[0].double(), dim=-1)  # (L, V)
    return float(log_p[torch.arange(len(target)), torch.tensor(target)].sum())


@dataclass
class TranslationRun:
    """A trained translation model with its data (vocabularies) and training history."""

    model: nn.Module  # with encode / decode_step / reorder_state (Seq2Seq, BahdanauSeq2Seq, Transformer)
    data: TranslationData
    history: History

    def source(self, sentence: str) -> list[int]:
        return self.data.source_tokens(sentence)

    def words(self, indices: Sequence[int]) -> list[str]:
        return self.data.tgt_vocab.to_tokens(list(indices))

    @torch.no_grad()
    def force(self, sentence: str, indices: Sequence[int]) -> torch.Tensor:
        """Logits ``(1, L + 1, V)`` of the model fed ``<bos>`` + ``indices`` (teacher forcing, eval
        mode) for ``sentence``: run it on a translation to read the attention weights it used."""
        self.model.eval()
        src = self.source(sentence)
        Y_in = torch.tensor([[self.data.tgt_vocab["<bos>"], *indices]])  # (1, L + 1)
        return self.model(torch.tensor([src]), torch.tensor([len(src)]), Y_in)

    def translate(self, sentence: str, beam_size: int = 1, alpha: float = 0.0) -> list[str]:
        """The translation's words: greedy for ``beam_size=1``, otherwise beam search."""
        v = self.data.tgt_vocab
        if beam_size == 1:
            idx = greedy_decode(self.model, self.source(sentence), v["<bos>"], v["<eos>"],
                                self.data.num_steps)
        else:  # the search ranks by alpha
            idx = beam_search(self.model, self.source(sentence), v["<bos>"], v["<eos>"],
                              self.data.num_steps, beam_size, alpha)[0].tokens
        return self.words(idx)

    def mean_bleu(self, test: Sequence[tuple[str, Sequence[str]]], beam_size: int = 1,
                  alpha: float = 0.0, k: int = 2) -> float:
        """Mean sentence BLEU-``k`` over ``test`` = ``[(source, [reference, ...])]``."""
        return sum(self.bleu_scores(test, beam_size, alpha, k)) / len(test)

    def translate_all(self, sentences: Sequence[str]) -> list[list[str]]:
        """Greedy translations of many sentences, decoded as one batch."""
        v = self.data.tgt_vocab
        idx = greedy_decode_batch(self.model, [self.source(s) for s in sentences], v["<bos>"], v["<eos>"],
                                  self.data.num_steps, pad=self.data.src_vocab["<pad>"])
        return [self.words(i) for i in idx]

    def bleu_scores(self, test: Sequence[tuple[str, Sequence[str]]], beam_size: int = 1,
                    alpha: float = 0.0, k: int = 2) -> list[float]:
        """Sentence BLEU-``k`` of each ``(source, [reference, ...])`` in ``test``."""
        if not test:
            raise ValueError("no test sentences")
        preds = (self.translate_all([src for src, _ in test]) if beam_size == 1
                 else [self.translate(src, beam_size, alpha) for src, _ in test])
        return [multi_bleu(p, [r.split() for r in refs], k) for p, (_, refs) in zip(preds, test, strict=True)]


D2L_SETTINGS = dict(embed_size=32, num_hiddens=32, num_layers=2, dropout=0.1, batch_size=64, lr=0.005,
                    num_epochs=300, clip_grad_norm=1.0)
"""d2l §9.7: on its first 600 pairs."""
CPU_SETTINGS = dict(embed_size=64, num_hiddens=128, num_layers=2, dropout=0.1, batch_size=128,
                    lr=0.01, num_epochs=8, clip_grad_norm=1.0)
"""The cpu profile of §9.7–9.8: the same architecture, wider, on the ~4k training pairs of the
first 5,000, for 8 epochs."""
D2L_EXAMPLES = (("go .", "va !"), ("i lost .", "j'ai perdu ."), ("he's calm .", "il est calme ."),
                ("i'm home .", "je suis chez moi ."))
"""d2l's four test sentences and its references."""


def held_out_task(pool_size: int = 5000, num_test: int = 500, *, protect: int = 600, seed: int = 0
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """``(train_pairs, test)``: ``num_test`` source sentences (with all their references) held out
    from the first ``pool_size`` pairs; no source of the first ``protect`` pairs (d2l's training
    set) is held out, so ``train_pairs[:protect]`` are exactly the first ``protect`` pairs."""
    pairs = fra_eng_pairs(pool_size)
    if protect > len(pairs):
        raise ValueError(f"cannot protect {protect} pairs out of {len(pairs)}")
    return split_by_source(pairs, num_test, seed=seed,
                           keep_in_train=[s for s, _ in pairs[:protect]])


def fit_translation(model: nn.Module, data: TranslationData, *, batch_size: int = 64, lr: float = 0.005,
                    num_epochs: int = 300, clip_grad_norm: float = 1.0, seed: int = 0,
                    scheduler=None) -> TranslationRun:
    """Train any encoder–decoder on ``data`` with Adam and teacher forcing.

    Every token's loss counts once (:class:`PaddedCrossEntropy`), gradients are clipped to norm
    ``clip_grad_norm``, and the minibatch order is drawn from ``seed``. ``scheduler(optimizer,
    steps_per_epoch)`` may return a per-minibatch learning-rate schedule (e.g. warm-up).
    """
    batches = data.batches(batch_size=batch_size, shuffle=True, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = fit(model, batches, PaddedCrossEntropy(data.tgt_vocab["<pad>"]), optimizer, num_epochs,
                  clip_grad_norm=clip_grad_norm,
                  scheduler=None if scheduler is None else scheduler(optimizer, len(batches)))
    return TranslationRun(model, data, history)


def train_translation(train_pairs: Sequence[tuple[str, str]], *, num_steps: int = 10,
                      embed_size: int = 32, num_hiddens: int = 32, num_layers: int = 2,
                      dropout: float = 0.1, batch_size: int = 64, lr: float = 0.005,
                      num_epochs: int = 300, clip_grad_norm: float = 1.0, min_freq: int = 2,
                      seed: int = 0, model_class: type[nn.Module] = Seq2Seq) -> TranslationRun:
    """Vocabularies, a GRU encoder–decoder (:class:`Seq2Seq`, or ``model_class`` built from the
    same :class:`Seq2SeqConfig`, e.g. ``BahdanauSeq2Seq``) and :func:`fit_translation`.

    The defaults are d2l's §9.7 settings.
    """
    data = TranslationData(train_pairs, num_steps, min_freq)
    model = model_class(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embed_size,
                                      num_hiddens, num_layers, dropout))
    return fit_translation(model, data, batch_size=batch_size, lr=lr, num_epochs=num_epochs,
                           clip_grad_norm=clip_grad_norm, seed=seed)
