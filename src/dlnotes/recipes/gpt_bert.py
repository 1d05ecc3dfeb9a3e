r"""One Transformer block stack, two training objectives (§10.8): a causal LM (GPT) and a masked LM (BERT).

The model is :class:`dlnotes.models.transformer.TransformerLM`; ``causal=True`` lets position $t$
attend to positions $\le t$ only, ``causal=False`` to the whole window. What differs is the data:

- **GPT** (next-token prediction): a window $w_0\dots w_T$ of the corpus gives the input
  $X = w_{0:T}$ and the targets $Y = w_{1:T+1}$, every position counts:
  $\mathcal L = -\frac1{BT}\sum_{b,t}\log p(w_{t+1} \mid w_{\le t})$.
- **BERT** (masked-token prediction): a window $w_{0:T}$ with a random set $M$ of about 15% of its
  positions corrupted (80% → ``[MASK]``, 10% → a random token, 10% left as they are); only the
  positions in $M$ count: $\mathcal L = -\frac1{|M|}\sum_{t\in M}\log p(w_t \mid \tilde w)$, where
  $\tilde w$ is the corrupted window, seen from both sides.

The corruption, :func:`mask_tokens` (and the :data:`IGNORE` target), lives in
:mod:`dlnotes.data.masking`, shared with BERT's pretraining data in chapter 14, and is re-exported here.
Both are one loss, :func:`lm_loss`: cross-entropy over the positions whose target is not
:data:`IGNORE`. Shapes: windows and targets ``(B, T)``, logits ``(B, T, V)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from ..data.masking import IGNORE, mask_tokens
from ..data.vocab import Vocab
from ..history import History

__all__ = ["IGNORE", "random_windows", "gpt_batch", "mask_tokens", "bert_batch", "lm_loss", "train_lm",
           "next_token_scores", "gpt_evaluate", "held_out_positions", "blank_windows", "bert_evaluate",
           "init_embedding", "encode_text", "gpt_generate", "gpt_fill", "bert_fill"]

def _check_corpus(corpus: torch.Tensor, length: int) -> torch.Tensor:
    corpus = torch.as_tensor(corpus, dtype=torch.long)
    if corpus.dim() != 1:
        raise ValueError(f"corpus must be a 1-D tensor of token indices, got shape {tuple(corpus.shape)}")
    if len(corpus) < length:
        raise ValueError(f"a corpus of {len(corpus)} tokens has no window of {length} tokens")
    return corpus


# --8<-- [start:windows]
def random_windows(corpus: torch.Tensor, length: int, batch_size: int,
                   generator: torch.Generator) -> torch.Tensor:
    """``batch_size`` windows of ``length`` consecutive tokens at random starts: ``(B, length)``."""
    corpus = _check_corpus(corpus, length)
    starts = torch.randint(0, len(corpus) - length + 1, (batch_size,), generator=generator)  # (B,)
    return corpus[starts[:, None] + torch.arange(length)]  # (B, length)


def gpt_batch(corpus, block_size: int, batch_size: int, generator: torch.Generator):
    """GPT: windows of ``block_size + 1`` tokens, ``X = w[:, :-1]``, ``Y = w[:, 1:]``, both ``(B, T)``."""
    w = random_windows(corpus, block_size + 1, batch_size, generator)  # (B, T + 1)
    return w[:, :-1], w[:, 1:]  # Y[b, t] is the token after X[b, t]
# --8<-- [end:windows]


def bert_batch(corpus, block_size: int, batch_size: int, generator: torch.Generator, *, mask_id: int,
               vocab_size: int, rate: float = 0.15):
    """BERT: windows of ``block_size`` tokens corrupted by :func:`mask_tokens`: ``X``, ``Y`` ``(B, T)``."""
    w = random_windows(corpus, block_size, batch_size, generator)  # (B, T)
    return mask_tokens(w, mask_id, vocab_size, generator, rate=rate)


# --8<-- [start:lm-loss]
def lm_loss(logits: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    r"""Mean cross-entropy over the positions with ``Y != IGNORE``: logits ``(B, T, V)``, ``Y`` ``(B, T)``.

    GPT scores every position, BERT only the corrupted ones; the formula is the same.
    """
    if logits.shape[:-1] != Y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(Y.shape)} do not pair up")
    if not bool((Y != IGNORE).any()):
        raise ValueError("no position is scored: every target is IGNORE")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), ignore_index=IGNORE)
# --8<-- [end:lm-loss]


def train_lm(model: nn.Module, next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]],
             optimizer: torch.optim.Optimizer, num_steps: int, *, eval_every: int,
             evaluate: Callable[[nn.Module], dict] | None = None, scheduler=None,
             clip_grad_norm: float | None = 1.0) -> History:
    """``num_steps`` updates on batches ``next_batch() -> (X, Y)`` with :func:`lm_loss`.

    Every ``eval_every`` steps a record is added (its ``epoch`` counts these rounds): ``step``,
    ``train_loss`` and ``train_acc`` over the scored positions of the round, ``lr``, ``seconds``,
    ``examples_per_sec`` (scored tokens per second), and whatever ``evaluate(model)`` returns
    (e.g. ``test_ppl``, ``test_acc``). ``scheduler`` (optional) is stepped after every update.
    """
    if num_steps <= 0 or eval_every <= 0:
        raise ValueError(f"num_steps and eval_every must be positive, got {num_steps}, {eval_every}")
    history = History()
    total = correct = count = 0
    seconds, start = 0.0, time.perf_counter()
    model.train()
    for step in range(1, num_steps + 1):
        X, Y = next_batch()
        logits = model(X)  # (B, T, V)
        loss = lm_loss(logits, Y)
        optimizer.zero_grad()
        loss.backward()
        if clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        scored = Y != IGNORE  # (B, T)
        n = int(scored.sum())
        total += float(loss.detach()) * n
        correct += int((logits.detach().argmax(-1) == Y)[scored].sum())
        count += n
        if step % eval_every == 0 or step == num_steps:
            seconds += time.perf_counter() - start
            if not math.isfinite(total):
                raise FloatingPointError(f"training diverged before step {step}")
            record = {"epoch": len(history) + 1, "step": step, "train_loss": total / count,
                      "train_acc": correct / count, "lr": optimizer.param_groups[0]["lr"],
                      "seconds": seconds, "examples_per_sec": count / seconds}
            if evaluate is not None:
                record.update(evaluate(model))
                model.train()
            history.records.append(record)
            total = correct = count = 0
            seconds, start = 0.0, time.perf_counter()
    return history


# --8<-- [start:gpt-eval]
@torch.no_grad()
def next_token_scores(model: nn.Module, corpus: torch.Tensor, block_size: int, stride: int,
                      batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Score every token of ``corpus`` ``(N,)`` but the first as a next-token prediction, exactly once.

    Windows of ``block_size`` inputs start every ``stride`` tokens (the last one ends at the corpus'
    end). The first window scores all its positions; each later one only the targets that no
    earlier window scored, its last ``stride`` or fewer, so every such target has at least
    ``block_size - stride`` tokens of context. Returns ``nll`` and ``correct`` (argmax = target),
    both ``(N - 1,)``: entry ``k`` is about token ``k + 1``.
    """
    corpus = _check_corpus(corpus, block_size + 1)
    if not 1 <= stride <= block_size:
        raise ValueError(f"stride must be in 1…{block_size}, got {stride}")
    model.eval()
    last = len(corpus) - 1 - block_size  # start of the window that ends at the corpus' end
    starts = list(range(0, last, stride)) + [last]
    nll = torch.empty(len(corpus) - 1)
    correct = torch.empty(len(corpus) - 1, dtype=torch.bool)
    done = 0  # targets 1…done are scored
    for i in range(0, len(starts), batch_size):
        s = torch.tensor(starts[i:i + batch_size])  # (b,)
        idx = s[:, None] + torch.arange(block_size)  # (b, T)
        logits = model(corpus[idx])  # (b, T, V)
        Y = corpus[idx + 1]  # (b, T)
        losses = F.cross_entropy(logits.transpose(1, 2), Y, reduction="none")  # (b, T)
        hits = logits.argmax(-1) == Y  # (b, T)
        for j, a in enumerate(s.tolist()):
            new = a + block_size - done  # targets of this window not scored yet: the last `new`
            nll[done:done + new] = losses[j, block_size - new:]
            correct[done:done + new] = hits[j, block_size - new:]
            done += new
    return nll, correct


def gpt_evaluate(model: nn.Module, corpus: torch.Tensor, block_size: int, stride: int) -> dict:
    r"""Held-out ``test_loss``, ``test_ppl`` $=\exp(\text{mean NLL})$ and next-token ``test_acc``."""
    nll, correct = next_token_scores(model, corpus, block_size, stride)
    loss = float(nll.mean())
    return {"test_loss": loss, "test_ppl": math.exp(loss), "test_acc": float(correct.float().mean())}
# --8<-- [end:gpt-eval]


def held_out_positions(num_tokens: int, generator: torch.Generator, rate: float = 0.15) -> torch.Tensor:
    """Sorted indices ``(n,)`` of the positions of a text of ``num_tokens`` tokens, each chosen with
    probability ``rate``. Position 0 never is (a next-token model has no context for it), so GPT
    can be scored on the same positions as BERT."""
    chosen = torch.rand(num_tokens, generator=generator) < rate  # (N,)
    chosen[0] = False
    return chosen.nonzero().squeeze(1)  # (n,)


# --8<-- [start:bert-eval]
def blank_windows(corpus: torch.Tensor, positions: torch.Tensor, block_size: int,
                  mask_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One window of ``block_size`` tokens per position, the position in its middle (pushed off the
    middle only at the text's ends) and hidden as ``mask_id``: windows ``(n, T)`` and the column
    of the blank in each ``(n,)``."""
    corpus = _check_corpus(corpus, block_size)
    if positions.dim() != 1 or bool((positions < 0).any() | (positions >= len(corpus)).any()):
        raise ValueError(f"positions must be a 1-D tensor of indices into a text of {len(corpus)} tokens")
    starts = (positions - block_size // 2).clamp(0, len(corpus) - block_size)  # (n,)
    W = corpus[starts[:, None] + torch.arange(block_size)].clone()  # (n, T)
    cols = positions - starts  # (n,)
    W[torch.arange(len(positions)), cols] = mask_id  # one blank per window
    return W, cols


@torch.no_grad()
def bert_evaluate(model: nn.Module, corpus: torch.Tensor, positions: torch.Tensor, block_size: int,
                  mask_id: int) -> dict:
    """Held-out masked-token ``test_loss`` and ``test_acc``: each of ``positions`` is hidden alone in
    a window centred on it (:func:`blank_windows`) and predicted from both sides."""
    W, cols = blank_windows(corpus, positions, block_size, mask_id)  # (n, T), (n,)
    model.eval()
    logits = model(W)[torch.arange(len(cols)), cols]  # (n, V): the blank's logits
    y = torch.as_tensor(corpus)[positions]  # (n,)
    return {"test_loss": float(F.cross_entropy(logits, y)),
            "test_acc": float((logits.argmax(-1) == y).float().mean())}
# --8<-- [end:bert-eval]


# --8<-- [start:init-embedding]
def init_embedding(model: nn.Module, scale: float = 0.1) -> nn.Module:
    r"""Draw the token embedding from $\mathcal N(0, (\text{scale}/\sqrt d)^2)$, so that after the model's
    $\sqrt d$ scaling each entry has standard deviation ``scale`` next to the sinusoids' $\pm1$.

    ``nn.Embedding`` starts at $\mathcal N(0, 1)$: times $\sqrt d$ the tokens would drown the positions,
    and a masked LM, which must find its neighbours by position, then stalls at unigram guessing.
    Returns ``model``.
    """
    d = model.embedding.weight.shape[1]
    nn.init.normal_(model.embedding.weight, std=scale / math.sqrt(d))
    return model
# --8<-- [end:init-embedding]


def encode_text(vocab: Vocab, text: str, allowed: str = "") -> list[int]:
    """Indices of the characters of ``text``; a character outside ``vocab`` (and not in
    ``allowed``, whose characters map to -1) raises one ``ValueError`` naming them all."""
    missing = sorted({c for c in text if c not in vocab and c not in allowed})
    if missing:
        raise ValueError(f"{text!r} has characters outside the vocabulary: {missing}")
    return [-1 if c in allowed else vocab[c] for c in text]


# --8<-- [start:generate]
@torch.no_grad()
def gpt_generate(model: nn.Module, vocab: Vocab, prefix: str, num_chars: int, *, temperature: float = 1.0,
                 generator: torch.Generator | None = None) -> str:
    r"""Continue ``prefix`` by ``num_chars`` characters, one at a time.

    The model reads the last ``block_size`` tokens (it has no position beyond); the next token is
    drawn from $\mathrm{softmax}(\mathbf o_{-1}/\tau)$ over the characters (never ``<unk>``), or is
    the argmax when ``temperature=0``.
    """
    if not model.config.causal:
        raise ValueError("generation needs a causal model: a masked LM was trained seeing the right side")
    if not prefix:
        raise ValueError("the prefix must have at least one character")
    if temperature < 0:
        raise ValueError(f"temperature must be non-negative, got {temperature}")
    tokens = encode_text(vocab, prefix)
    model.eval()
    for _ in range(num_chars):
        X = torch.tensor([tokens[-model.config.block_size:]])  # (1, t <= T): crop to the block
        o = model(X)[0, -1, :len(vocab)]  # (V,): logits of the next token
        o[vocab.unk] = -math.inf  # never propose <unk>
        if temperature == 0:
            token = int(o.argmax())
        else:
            token = int(torch.multinomial(torch.softmax(o / temperature, dim=0), 1, generator=generator))
        tokens.append(token)
    return "".join(vocab.to_tokens(tokens))
# --8<-- [end:generate]


@torch.no_grad()
def gpt_fill(model: nn.Module, vocab: Vocab, text: str, *, blank: str = "_") -> str:
    """Fill the ``blank`` characters of ``text`` from left to right, each with the most likely next
    character given what stands to its left (at most ``block_size`` characters): all a causal
    model can do, it never sees the right side."""
    if not model.config.causal:
        raise ValueError("gpt_fill needs a causal model")
    if len(blank) != 1 or blank in vocab:
        raise ValueError(f"the blank must be one character outside the vocabulary, got {blank!r}")
    tokens = encode_text(vocab, text, allowed=blank)
    if tokens and tokens[0] < 0:
        raise ValueError("the first character cannot be a blank: nothing stands to its left")
    model.eval()
    for i, t in enumerate(tokens):
        if t < 0:
            X = torch.tensor([tokens[max(0, i - model.config.block_size):i]])  # (1, t): the left context
            o = model(X)[0, -1, :len(vocab)]  # (V,)
            o[vocab.unk] = -math.inf
            tokens[i] = int(o.argmax())
    return "".join(vocab.to_tokens(tokens))


# --8<-- [start:fill]
@torch.no_grad()
def bert_fill(model: nn.Module, vocab: Vocab, text: str, mask_id: int, *, blank: str = "_",
              one_pass: bool = False) -> str:
    """Fill the ``blank`` characters of ``text`` (at most ``block_size`` characters).

    All blanks become ``[MASK]``; each pass predicts every masked position and fills the one the
    model is surest of (largest probability), which the next pass can then read. ``one_pass=True``
    fills all blanks from the first pass instead. Only characters of ``vocab`` (not ``<unk>``) are
    proposed.
    """
    if len(blank) != 1 or blank in vocab:
        raise ValueError(f"the blank must be one character outside the vocabulary, got {blank!r}")
    if len(text) > model.config.block_size:
        raise ValueError(f"a text of {len(text)} characters exceeds block_size {model.config.block_size}")
    tokens = torch.tensor([mask_id if t < 0 else t for t in encode_text(vocab, text, allowed=blank)])  # (T,)
    model.eval()
    while bool((tokens == mask_id).any()):
        masked = (tokens == mask_id).nonzero().squeeze(1)  # (m,) positions still hidden
        logits = model(tokens[None])[0, masked, :len(vocab)]  # (m, V): [MASK] itself is cut off
        logits[:, vocab.unk] = -math.inf  # never propose <unk>
        probs = torch.softmax(logits, dim=-1)  # (m, V)
        best, guess = probs.max(dim=-1)  # (m,), (m,)
        if one_pass:
            tokens[masked] = guess
        else:
            k = int(best.argmax())
            tokens[masked[k]] = guess[k]
    return "".join(vocab.to_tokens(tokens.tolist()))
# --8<-- [end:fill]
