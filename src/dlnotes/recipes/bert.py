r"""BERT in practice (d2l §14.8–14.10): loading real weights, sentence embeddings, pretraining data.

- :func:`load_bert_weights` maps a Hugging Face BERT state dict (``embeddings.word_embeddings.weight``,
  ``encoder.layer.N.attention.self.query.weight``, ...) onto :class:`dlnotes.models.bert.BertEncoder`,
  failing on any missing or unexpected name and on any shape that differs;
  :func:`minilm_encoder` builds our encoder with all-MiniLM-L6-v2's configuration and weights.
- :func:`mean_pool`: the sentence embedding of sentence-transformers, the mean of the hidden states
  over the valid (non-padding) tokens:
  $\mathbf s = \frac1{n}\sum_{i<n}\mathbf h_i$ with $n$ the valid length.
- Pretraining data (§14.9): :func:`pseudo_paragraphs` (consecutive sentences grouped, for a corpus
  without paragraph marks), :func:`nsp_pairs` (sentence pairs, half of the second sentences
  replaced by a random one), :func:`encode_pairs` (``<cls> A <sep> B <sep>``, padded),
  :func:`mlm_batch` (BERT's 80/10/10 corruption of :func:`dlnotes.data.masking.mask_tokens` on the
  real tokens), :func:`gather_predictions` (d2l's ``pred_positions`` ``(B, P)`` layout).
- Pretraining (§14.10): :func:`pretrain_bert` minimises
  $\mathcal L = \mathcal L_{\text{MLM}} + \mathcal L_{\text{NSP}}$; :func:`bert_evaluate` scores a
  held-out set.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F

from ..data.masking import IGNORE, mask_tokens
from ..data.minilm import minilm_config, minilm_weights
from ..data.vocab import Vocab
from ..history import History
from ..models.bert import BertConfig, BertEncoder, BertModel

__all__ = ["bert_config_from_hf", "hf_to_ours", "load_bert_weights", "minilm_encoder", "mean_pool",
           "RESERVED", "pseudo_paragraphs", "nsp_pairs", "encode_pairs", "mlm_batch", "gather_predictions",
           "pretrain_bert",
           "bert_evaluate"]

# names of a Hugging Face BERT layer -> ours inside blocks[N]
_LAYER_MAP = {
    "attention.self.query": "attention.W_q",
    "attention.self.key": "attention.W_k",
    "attention.self.value": "attention.W_v",
    "attention.output.dense": "attention.W_o",
    "attention.output.LayerNorm": "addnorm1.norm",
    "intermediate.dense": "ffn.dense1",
    "output.dense": "ffn.dense2",
    "output.LayerNorm": "addnorm2.norm",
}
_EMBED_MAP = {
    "embeddings.word_embeddings": "token_embedding",
    "embeddings.token_type_embeddings": "segment_embedding",
    "embeddings.position_embeddings": "position_embedding",
    "embeddings.LayerNorm": "embed_norm",
}
# stored but not part of the encoder: the position-index buffer and the [CLS] "pooler" layer
_UNUSED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


def bert_config_from_hf(config: dict) -> BertConfig:
    """Our :class:`BertConfig` from a Hugging Face ``config.json`` dict (BERT's activation GELU only)."""
    if config.get("hidden_act") not in ("gelu", "relu"):
        raise ValueError(f"unsupported activation {config.get('hidden_act')!r}: gelu or relu")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only learned absolute position embeddings are supported")
    return BertConfig(vocab_size=config["vocab_size"], num_hiddens=config["hidden_size"],
                      ffn_hiddens=config["intermediate_size"], num_heads=config["num_attention_heads"],
                      num_layers=config["num_hidden_layers"], dropout=config["hidden_dropout_prob"],
                      max_len=config["max_position_embeddings"], num_segments=config["type_vocab_size"],
                      activation=config["hidden_act"], eps=config["layer_norm_eps"], bias=True)


# --8<-- [start:key-map]
def hf_to_ours(name: str) -> str | None:
    """Our parameter name for a Hugging Face one, ``None`` for a known unused entry; raises on an
    unknown name. ``encoder.layer.3.attention.self.query.weight`` -> ``blocks.3.attention.W_q.weight``."""
    if name in _UNUSED:
        return None
    prefix, _, leaf = name.rpartition(".")  # leaf: weight or bias
    if prefix in _EMBED_MAP and leaf in ("weight", "bias"):
        return f"{_EMBED_MAP[prefix]}.{leaf}"
    parts = prefix.split(".")
    if parts[:2] == ["encoder", "layer"] and len(parts) > 3 and parts[2].isdigit():
        inner = ".".join(parts[3:])
        if inner in _LAYER_MAP and leaf in ("weight", "bias"):
            return f"blocks.{parts[2]}.{_LAYER_MAP[inner]}.{leaf}"
    raise KeyError(f"unknown BERT weight {name!r}: no place for it in our encoder")


def load_bert_weights(encoder: BertEncoder, weights: dict[str, torch.Tensor]) -> BertEncoder:
    """Copy Hugging Face BERT ``weights`` into ``encoder``; every parameter of ours must be filled
    exactly once with a tensor of its shape (``nn.Linear`` stores ``(out, in)`` in both)."""
    ours = encoder.state_dict()
    mapped = {}
    for name, tensor in weights.items():
        target = hf_to_ours(name)
        if target is None:
            continue
        if target not in ours:
            raise KeyError(f"{name!r} maps to {target!r}, which our encoder does not have "
                           f"(fewer layers than the weights?)")
        if tuple(tensor.shape) != tuple(ours[target].shape):
            raise ValueError(f"{name!r} has shape {tuple(tensor.shape)}, our {target!r} has "
                             f"{tuple(ours[target].shape)}")
        mapped[target] = tensor
    missing = sorted(set(ours) - set(mapped))
    if missing:
        raise KeyError(f"the weights lack {len(missing)} of our parameters, e.g. {missing[:3]}")
    encoder.load_state_dict(mapped, strict=True)
    return encoder
# --8<-- [end:key-map]


def minilm_encoder() -> BertEncoder:
    """Our :class:`BertEncoder` with all-MiniLM-L6-v2's configuration and weights, in eval mode."""
    encoder = BertEncoder(bert_config_from_hf(minilm_config()))
    return load_bert_weights(encoder, minilm_weights()).eval()


# --8<-- [start:mean-pool]
def mean_pool(hidden: torch.Tensor, valid_lens: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` ``(B, T, d)`` over the first ``valid_lens[b]`` positions: ``(B, d)``."""
    if hidden.dim() != 3 or valid_lens.shape != hidden.shape[:1]:
        raise ValueError(f"mean_pool takes hidden (B, T, d) and valid_lens (B,), got "
                         f"{tuple(hidden.shape)} and {tuple(valid_lens.shape)}")
    if bool((valid_lens < 1).any() | (valid_lens > hidden.shape[1]).any()):
        raise ValueError(f"valid lengths must lie in 1…{hidden.shape[1]}, got {valid_lens.tolist()}")
    keep = torch.arange(hidden.shape[1], device=hidden.device) < valid_lens[:, None]  # (B, T)
    summed = (hidden * keep[..., None]).sum(dim=1)  # (B, d): padding contributes 0
    return summed / valid_lens[:, None].to(hidden.dtype)  # (B, d)
# --8<-- [end:mean-pool]


# --- pretraining data (§14.9) --------------------------------------------------------------------

RESERVED = ("<pad>", "<mask>", "<cls>", "<sep>")  # after <unk>: indices 1, 2, 3, 4 of the Vocab


# --8<-- [start:paragraphs]
def pseudo_paragraphs(sentences: list[list[str]], size: int = 8) -> list[list[list[str]]]:
    """Consecutive sentences grouped ``size`` at a time (a last group of one sentence is dropped:
    it has no pair). PTB has no paragraph marks; neighbouring lines still come from one article."""
    if size < 2:
        raise ValueError(f"a paragraph needs at least 2 sentences to give a pair, got size {size}")
    sentences = [s for s in sentences if s]
    groups = [sentences[i:i + size] for i in range(0, len(sentences), size)]
    return [g for g in groups if len(g) >= 2]
# --8<-- [end:paragraphs]


# --8<-- [start:nsp-pairs]
def nsp_pairs(paragraphs: list[list[list[str]]], generator: torch.Generator,
              max_len: int = 64) -> list[tuple[list[str], list[str], bool]]:
    """``(A, B, is_next)`` for every two neighbouring sentences of a paragraph: with probability 0.5
    B is the true next sentence, otherwise a sentence drawn at random from the whole corpus.
    Pairs longer than ``max_len`` with ``<cls>`` and two ``<sep>`` are skipped."""
    corpus = [s for p in paragraphs for s in p]  # every sentence, to draw the random ones from
    slots = [(p, i) for p in paragraphs for i in range(len(p) - 1)]
    keep_next = torch.rand(len(slots), generator=generator) < 0.5  # (N,) the coin of each pair
    random_idx = torch.randint(0, len(corpus), (len(slots),), generator=generator)  # (N,)
    pairs = []
    for (p, i), coin, j in zip(slots, keep_next.tolist(), random_idx.tolist(), strict=True):
        a, b = p[i], (p[i + 1] if coin else corpus[j])
        if len(a) + len(b) + 3 <= max_len:
            pairs.append((a, b, coin))
    return pairs
# --8<-- [end:nsp-pairs]


# --8<-- [start:encode-pairs]
def encode_pairs(pairs, vocab: Vocab, max_len: int = 64) -> dict[str, torch.Tensor]:
    """``<cls> A <sep> B <sep>`` as indices padded with ``<pad>`` to ``max_len``: ``tokens`` and
    ``segments`` ``(N, max_len)`` (0 for ``<cls> A <sep>``, 1 for ``B <sep>``), ``valid_lens`` and
    ``is_next`` (1 = B follows A) ``(N,)``."""
    vocab.check_known(RESERVED, "the vocabulary's reserved tokens")
    cls, sep, get = vocab["<cls>"], vocab["<sep>"], vocab.token_to_idx.get
    rows = [[cls, *[get(t, vocab.unk) for t in a], sep, *[get(t, vocab.unk) for t in b], sep]
            for a, b, _ in pairs]
    valid_lens = torch.tensor([len(r) for r in rows], dtype=torch.long)  # (N,)
    if len(rows) and int(valid_lens.max()) > max_len:
        n = int(valid_lens.argmax())
        raise ValueError(f"pair {n} has {int(valid_lens[n])} tokens with <cls>/<sep>, more than max_len {max_len}")
    positions = torch.arange(max_len)  # (T,)
    real = positions < valid_lens[:, None]  # (N, T)
    tokens = torch.full((len(rows), max_len), vocab["<pad>"], dtype=torch.long)
    tokens[real] = torch.tensor([i for r in rows for i in r], dtype=torch.long)  # row by row
    first = torch.tensor([len(a) + 2 for a, _, _ in pairs], dtype=torch.long)  # <cls> A <sep>
    segments = (real & (positions >= first[:, None])).long()  # (N, T): 1 on B <sep>
    is_next = torch.tensor([int(c) for _, _, c in pairs], dtype=torch.long)
    return {"tokens": tokens, "segments": segments, "valid_lens": valid_lens, "is_next": is_next}
# --8<-- [end:encode-pairs]


# --8<-- [start:mlm-batch]
def mlm_batch(tokens: torch.Tensor, valid_lens: torch.Tensor, vocab: Vocab, generator: torch.Generator,
              rate: float = 0.15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Corrupt the real tokens of ``tokens`` ``(B, T)`` (never ``<cls>``, ``<sep>`` or padding) by the
    80/10/10 rule; random replacements are corpus tokens, never ``<unk>`` or reserved ones.
    Returns the input ``X`` ``(B, T)`` and the targets ``Y`` ``(B, T)`` (``IGNORE`` where not chosen)."""
    T = tokens.shape[1]
    real = torch.arange(T) < valid_lens[:, None]  # (B, T): not padding
    real &= (tokens != vocab["<cls>"]) & (tokens != vocab["<sep>"])
    return mask_tokens(tokens, vocab["<mask>"], len(vocab), generator, rate=rate,
                       low=len(RESERVED) + 1, candidates=real)
# --8<-- [end:mlm-batch]


def gather_predictions(Y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d2l's layout of the MLM targets: ``pred_positions`` ``(B, P)`` with the chosen positions of
    each row first and its targets ``(B, P)`` (``IGNORE`` in the filler slots of rows with fewer
    than ``P``)."""
    chosen = Y != IGNORE  # (B, T)
    counts = chosen.sum(dim=1)  # (B,)
    P = max(int(counts.max()), 1)
    order = torch.argsort((~chosen).to(torch.int8), dim=1, stable=True)  # chosen positions first
    pred_positions = order[:, :P]  # (B, P)
    targets = Y.gather(1, pred_positions)  # (B, P)
    targets[torch.arange(P) >= counts[:, None]] = IGNORE  # filler slots of rows with fewer picks
    return pred_positions, targets


# --- pretraining (§14.10) ------------------------------------------------------------------------

def _batch_losses(model: BertModel, data: dict, idx: torch.Tensor, vocab: Vocab, generator: torch.Generator):
    T = int(data["valid_lens"][idx].max())  # trim the batch to its longest pair
    tokens, segments = data["tokens"][idx, :T], data["segments"][idx, :T]  # (B, T)
    valid_lens, is_next = data["valid_lens"][idx], data["is_next"][idx]  # (B,)
    X, Y = mlm_batch(tokens, valid_lens, vocab, generator)  # (B, T), (B, T)
    scored = Y != IGNORE  # (B, T): the chosen positions, N in all
    _, mlm_logits, nsp_logits = model(X, segments, valid_lens, scored)  # (N, V), (B, 2)
    targets = Y[scored]  # (N,)
    mlm = F.cross_entropy(mlm_logits, targets)
    nsp = F.cross_entropy(nsp_logits, is_next)
    stats = {"mlm_n": len(targets),
             "mlm_correct": int((mlm_logits.argmax(-1) == targets).sum()),
             "nsp_correct": int((nsp_logits.argmax(-1) == is_next).sum()), "n": len(idx)}
    return mlm, nsp, stats


# --8<-- [start:pretrain]
def pretrain_bert(model: BertModel, data: dict, vocab: Vocab, optimizer: torch.optim.Optimizer,
                  num_steps: int, batch_size: int, generator: torch.Generator, *, record_every: int = 10,
                  clip_grad_norm: float | None = 1.0) -> History:
    r"""``num_steps`` updates on random batches of ``data`` (from :func:`encode_pairs`), freshly
    masked each time, minimising $\mathcal L_{\text{MLM}} + \mathcal L_{\text{NSP}}$.

    Every ``record_every`` steps a record holds ``step``, ``train_mlm_loss`` (per masked token),
    ``train_nsp_loss``, ``train_loss`` (their sum), ``train_mlm_acc``, ``train_nsp_acc`` averaged
    over the round, with ``seconds`` and ``examples_per_sec`` (pairs per second).
    """
    if num_steps <= 0 or batch_size <= 0 or record_every <= 0:
        raise ValueError("num_steps, batch_size and record_every must be positive")
    N = len(data["is_next"])
    history, sums = History(), dict.fromkeys(("mlm", "nsp", "mlm_n", "mlm_correct", "nsp_correct", "n"), 0.0)
    start = time.perf_counter()
    model.train()
    for step in range(1, num_steps + 1):
        idx = torch.randint(0, N, (batch_size,), generator=generator)  # (B,) pairs of this step
        mlm, nsp, stats = _batch_losses(model, data, idx, vocab, generator)
        optimizer.zero_grad()
        (mlm + nsp).backward()
        if clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        sums["mlm"] += float(mlm.detach()) * stats["mlm_n"]
        sums["nsp"] += float(nsp.detach()) * stats["n"]
        for k, v in stats.items():
            sums[k] += v
        if step % record_every == 0 or step == num_steps:
            seconds = time.perf_counter() - start
            if not math.isfinite(sums["mlm"] + sums["nsp"]):
                raise FloatingPointError(f"pretraining diverged before step {step}")
            mlm_loss, nsp_loss = sums["mlm"] / sums["mlm_n"], sums["nsp"] / sums["n"]
            history.records.append({
                "epoch": len(history) + 1, "step": step, "train_loss": mlm_loss + nsp_loss,
                "train_mlm_loss": mlm_loss, "train_nsp_loss": nsp_loss,
                "train_mlm_acc": sums["mlm_correct"] / sums["mlm_n"],
                "train_nsp_acc": sums["nsp_correct"] / sums["n"],
                "seconds": seconds, "examples_per_sec": sums["n"] / seconds})
            sums = dict.fromkeys(sums, 0.0)
            start = time.perf_counter()
    return history
# --8<-- [end:pretrain]


@torch.no_grad()
def bert_evaluate(model: BertModel, data: dict, vocab: Vocab, generator: torch.Generator,
                  batch_size: int = 512) -> dict:
    """Held-out ``test_mlm_loss``, ``test_mlm_acc`` (masked as in training, one seeded draw) and
    ``test_nsp_acc`` over every pair of ``data``."""
    model.eval()
    mlm_sum = mlm_n = mlm_correct = nsp_correct = 0.0
    N = len(data["is_next"])
    for lo in range(0, N, batch_size):
        idx = torch.arange(lo, min(lo + batch_size, N))
        mlm, _, stats = _batch_losses(model, data, idx, vocab, generator)
        mlm_sum += float(mlm) * stats["mlm_n"]
        mlm_n += stats["mlm_n"]
        mlm_correct += stats["mlm_correct"]
        nsp_correct += stats["nsp_correct"]
    return {"test_mlm_loss": mlm_sum / mlm_n, "test_mlm_acc": mlm_correct / mlm_n, "test_nsp_acc": nsp_correct / N}
