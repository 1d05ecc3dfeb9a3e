r"""BERT (Devlin et al., 2019; d2l §14.8): a Transformer encoder over a sentence or a sentence pair.

Input representation: the embedding of token $t$ at position $i$ in segment $s$ is the sum of three
learned vectors, then a layer norm (BERT has it, d2l's ``BERTEncoder`` does not):

$$\mathbf e_i = \mathrm{LN}\big(\mathbf E^{\text{tok}}_{t_i} + \mathbf E^{\text{seg}}_{s_i} + \mathbf E^{\text{pos}}_i\big).$$

The position table is learned (up to ``max_len`` = 512 positions), not the sinusoids of §10.6.
Then ``num_layers`` post-norm :class:`dlnotes.layers.transformer.EncoderBlock` (chapter 10's block,
here with GELU, bias in the attention projections and LayerNorm $\epsilon = 10^{-12}$ as in BERT).

- :class:`BertEncoder`: ``forward(tokens (B, T), segments (B, T), valid_lens (B,)) -> (B, T, d)``.
- :class:`MaskLM`: MLM head, hidden states at ``pred_positions`` ``(B, P)`` -> logits ``(B, P, V)``.
- :class:`NextSentencePred`: NSP head, ``(B, d)`` -> logits ``(B, 2)``.
- :class:`BertModel`: encoder + both heads (the NSP head reads the ``[CLS]`` vector through a
  ``tanh`` layer, BERT's "pooler").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..layers.norm import LayerNorm
from ..layers.transformer import EncoderBlock
from ._registry import register_model

__all__ = ["BertConfig", "BertEncoder", "MaskLM", "NextSentencePred", "BertModel"]


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int  # MiniLM: 30,522 WordPiece tokens
    num_hiddens: int = 384  # d; BERT-base 768, d2l's small 128
    ffn_hiddens: int = 1536  # 4 d
    num_heads: int = 12
    num_layers: int = 6
    dropout: float = 0.1
    max_len: int = 512  # learned positions
    num_segments: int = 2  # sentence A / sentence B
    activation: str = "gelu"  # d2l: "relu"
    eps: float = 1e-12  # LayerNorm epsilon; d2l (torch default): 1e-5
    bias: bool = True  # bias in the attention projections; d2l: False


# --8<-- [start:encoder]
class BertEncoder(nn.Module):
    """Token + segment + learned position embeddings, a layer norm, then a stack of encoder blocks."""

    def __init__(self, config: BertConfig):
        super().__init__()
        c = self.config = config
        self.token_embedding = nn.Embedding(c.vocab_size, c.num_hiddens)
        self.segment_embedding = nn.Embedding(c.num_segments, c.num_hiddens)
        self.position_embedding = nn.Embedding(c.max_len, c.num_hiddens)  # learned, one row per position
        self.embed_norm = LayerNorm(c.num_hiddens, c.eps)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(c.num_hiddens, c.ffn_hiddens, c.num_heads, c.dropout, c.bias,
                         activation=c.activation, eps=c.eps)
            for _ in range(c.num_layers))

    def embed(self, tokens, segments):
        """The input representation ``(B, T, d)``: LN(token + segment + position), then dropout."""
        T = tokens.shape[1]
        positions = torch.arange(T, device=tokens.device)  # (T,)
        E = self.token_embedding(tokens) + self.segment_embedding(segments)  # (B, T, d)
        E = E + self.position_embedding(positions)  # (T, d) broadcast over the batch
        return self.dropout(self.embed_norm(E))  # (B, T, d)

    def forward(self, tokens, segments=None, valid_lens=None):
        _check_inputs(self.config, tokens, segments, valid_lens)
        if segments is None:
            segments = torch.zeros_like(tokens)  # one sentence: every token in segment 0
        X = self.embed(tokens, segments)  # (B, T, d)
        for block in self.blocks:
            X = block(X, valid_lens)  # (B, T, d); padding keys get weight 0
        return X
# --8<-- [end:encoder]


def _check_inputs(c: BertConfig, tokens, segments, valid_lens) -> None:
    if tokens.dim() != 2:
        raise ValueError(f"tokens must be (B, T) indices, got shape {tuple(tokens.shape)}")
    B, T = tokens.shape
    if T > c.max_len:
        raise ValueError(f"a sequence of {T} tokens exceeds the {c.max_len} learned positions")
    if segments is not None and segments.shape != tokens.shape:
        raise ValueError(f"segments {tuple(segments.shape)} must have the shape of tokens {(B, T)}")
    if valid_lens is not None and valid_lens.shape != (B,):
        raise ValueError(f"valid_lens must have shape ({B},), got {tuple(valid_lens.shape)}")
    if bool((tokens < 0).any() | (tokens >= c.vocab_size).any()):
        raise ValueError(f"token indices must lie in [0, {c.vocab_size})")
    if segments is not None and bool((segments < 0).any() | (segments >= c.num_segments).any()):
        raise ValueError(f"segment ids must lie in [0, {c.num_segments})")


# --8<-- [start:heads]
class MaskLM(nn.Module):
    """MLM head: the hidden states at ``pred_positions`` ``(B, P)`` through an MLP
    (dense, activation, layer norm, dense to the vocabulary): logits ``(B, P, V)``. A bool mask
    ``(B, T)`` instead gives the logits ``(N, V)`` of its ``N`` True positions."""

    def __init__(self, vocab_size: int, num_hiddens: int, num_inputs: int | None = None,
                 activation: nn.Module | None = None, eps: float = 1e-5):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(num_inputs or num_hiddens, num_hiddens),
                                 activation or nn.ReLU(), LayerNorm(num_hiddens, eps),
                                 nn.Linear(num_hiddens, vocab_size))

    def forward(self, X, pred_positions):
        if pred_positions.dtype == torch.bool:  # a (B, T) mask: logits (N, V) of its N True positions
            return self.mlp(X[pred_positions])  # row-major order; no filler slots to compute
        B, P = pred_positions.shape
        rows = torch.arange(B, device=X.device)[:, None].expand(B, P)  # (B, P): example of each pick
        picked = X[rows, pred_positions]  # (B, P, d)
        return self.mlp(picked)  # (B, P, V)


class NextSentencePred(nn.Module):
    """NSP head: a linear map of the pooled ``[CLS]`` vector ``(B, d)`` to two logits ``(B, 2)``
    (class 1 = B follows A, class 0 = B is a random sentence; as d2l's labels)."""

    def __init__(self, num_inputs: int):
        super().__init__()
        self.output = nn.Linear(num_inputs, 2)

    def forward(self, X):
        return self.output(X)  # (B, 2)
# --8<-- [end:heads]


# --8<-- [start:model]
class BertModel(nn.Module):
    """Encoder + MLM head + NSP head. ``forward`` returns the hidden states ``(B, T, d)``, the MLM
    logits ``(B, P, V)`` (``None`` without ``pred_positions``) and the NSP logits ``(B, 2)``."""

    def __init__(self, config: BertConfig):
        super().__init__()
        d = config.num_hiddens
        self.encoder = BertEncoder(config)
        self.mlm = MaskLM(config.vocab_size, d, eps=config.eps)
        self.hidden = nn.Sequential(nn.Linear(d, d), nn.Tanh())  # the "pooler" over [CLS]
        self.nsp = NextSentencePred(d)

    def forward(self, tokens, segments=None, valid_lens=None, pred_positions=None):
        X = self.encoder(tokens, segments, valid_lens)  # (B, T, d)
        mlm_logits = None if pred_positions is None else self.mlm(X, pred_positions)  # (B, P, V)
        nsp_logits = self.nsp(self.hidden(X[:, 0, :]))  # (B, 2): from the [CLS] position
        return X, mlm_logits, nsp_logits
# --8<-- [end:model]


def _tiny(**kw) -> BertConfig:
    return BertConfig(vocab_size=10, num_hiddens=16, ffn_hiddens=32, num_heads=2, num_layers=2, max_len=8,
                      **kw)


register_model("bert-encoder", input_shape=(2, 6), output_shape=(2, 6, 16), input_dtype=torch.long)(
    lambda: BertEncoder(_tiny())
)


class _MLMLogits(nn.Module):
    """Registry adapter: MLM logits at every position of one token batch (segments all 0)."""

    def __init__(self, model: BertModel):
        super().__init__()
        self.model = model

    def forward(self, X):
        B, T = X.shape
        _, mlm, nsp = self.model(X, pred_positions=torch.arange(T).expand(B, T))
        return mlm + 0 * nsp.sum()  # (B, T, V); NSP joins the graph so every parameter gets a gradient


register_model("bert-pretrain", input_shape=(2, 6), output_shape=(2, 6, 10), input_dtype=torch.long)(
    lambda: _MLMLogits(BertModel(_tiny(activation="relu", eps=1e-5, bias=False)))
)
