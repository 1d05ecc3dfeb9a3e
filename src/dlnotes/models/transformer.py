r"""The Transformer family (d2l §10.7; Vaswani et al., 2017), in the spirit of nanoGPT's ``model.py``.

Built from :mod:`dlnotes.layers.attention` (multi-head attention, positional encoding) and
:mod:`dlnotes.layers.transformer` (:class:`EncoderBlock`, :class:`PositionWiseFFN`, :class:`AddNorm`,
shared with BERT in chapter 14 and re-exported here); the blocks are post-norm as in the paper and
d2l: ``X = LN(X + Dropout(Sublayer(X)))``.

- :class:`DecoderBlock`: causal self-attention, cross-attention over the encoder's outputs, FFN.
- :class:`Transformer`: the encoder–decoder for translation, with the decoding interface of
  :mod:`dlnotes.recipes.seq2seq` (``encode``, ``decode_step``, ``reorder_state``).
- :class:`TransformerLM`: a stack of encoder blocks over one token stream, trained either as a
  causal language model (``causal=True``, GPT-style: each position sees only itself and the past)
  or as a masked language model (``causal=False``, BERT-style: every position sees the whole window).

Shapes: tokens ``(B, T)``; hidden states ``(B, T, d)``; logits ``(B, T, V)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..layers.attention import MultiHeadAttention, PositionalEncoding, causal_mask
from ..layers.transformer import AddNorm, EncoderBlock, PositionWiseFFN
from ._registry import register_model

__all__ = ["PositionWiseFFN", "AddNorm", "EncoderBlock", "DecoderBlock", "TransformerConfig",
           "Transformer", "LMConfig", "TransformerLM"]


# --8<-- [start:decoder-block]
class DecoderBlock(nn.Module):
    """Causal self-attention, cross-attention over the encoder outputs, FFN.

    ``cache`` ``(B, t0, d)`` holds this block's inputs at the ``t0`` positions decoded earlier: the
    new positions ``X`` ``(B, T, d)`` attend to them and to themselves (never to later ones), so
    decoding one token at a time gives the same outputs as the whole target at once. Returns the
    output ``(B, T, d)`` and the cache extended by ``X``.
    """

    def __init__(self, num_hiddens: int, ffn_hiddens: int, num_heads: int, dropout: float,
                 bias: bool = False):
        super().__init__()
        self.self_attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.cross_attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(num_hiddens, ffn_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X, memory, memory_valid_lens, cache=None):
        kv = X if cache is None else torch.cat([cache, X], dim=1)  # (B, t0 + T, d)
        keep = causal_mask(X.shape[1], kv.shape[1], X.device)  # (T, t0 + T)
        Y = self.addnorm1(X, self.self_attention(X, kv, kv, keep=keep))  # (B, T, d)
        Z = self.addnorm2(Y, self.cross_attention(Y, memory, memory, memory_valid_lens))  # (B, T, d)
        return self.addnorm3(Z, self.ffn(Z)), kv
# --8<-- [end:decoder-block]


@dataclass(frozen=True)
class TransformerConfig:
    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    num_hiddens: int = 32  # d2l: 32
    ffn_hiddens: int = 64  # d2l: 64
    num_heads: int = 4  # d2l: 4
    num_layers: int = 2  # encoder blocks and decoder blocks each; d2l: 2
    dropout: float = 0.1  # d2l: 0.1
    bias: bool = False  # in the attention projections; d2l: False
    max_len: int = 1000  # longest sequence the positional encoding covers


# --8<-- [start:transformer]
class Transformer(nn.Module):
    """Encoder–decoder Transformer for translation (teacher forcing in ``forward``)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = self.config = config
        self.src_embedding = nn.Embedding(c.src_vocab, c.num_hiddens)
        self.tgt_embedding = nn.Embedding(c.tgt_vocab, c.num_hiddens)
        self.positions = PositionalEncoding(c.num_hiddens, c.dropout, c.max_len)
        block = (c.num_hiddens, c.ffn_hiddens, c.num_heads, c.dropout, c.bias)
        self.encoder_blocks = nn.ModuleList(EncoderBlock(*block) for _ in range(c.num_layers))
        self.decoder_blocks = nn.ModuleList(DecoderBlock(*block) for _ in range(c.num_layers))
        self.output = nn.Linear(c.num_hiddens, c.tgt_vocab)

    def _embed(self, embedding, tokens, offset=0):
        # × √d as in the paper and d2l; nn.Embedding starts at N(0, 1), so the scaled word vectors
        # are about √d times longer than the ±1 sinusoids (10.7 measures what that does)
        return self.positions(embedding(tokens) * math.sqrt(self.config.num_hiddens), offset)  # (B, T, d)

    def encode(self, X, X_valid_len=None):
        """``(state, memory)``: an empty decoder cache per block, and ``(encoder outputs
        (B, T_src, d), X_valid_len)`` for the cross-attention."""
        H = self._embed(self.src_embedding, X)  # (B, T_src, d)
        for block in self.encoder_blocks:
            H = block(H, X_valid_len)  # (B, T_src, d); padding keys get weight 0
        return [None] * len(self.decoder_blocks), (H, X_valid_len)

    def decode_step(self, Y_in, state, memory):
        """Logits ``(B, T, V)`` for the new target tokens ``Y_in`` ``(B, T)`` and the extended caches."""
        offset = 0 if state[0] is None else state[0].shape[1]  # positions decoded so far
        H = self._embed(self.tgt_embedding, Y_in, offset)  # (B, T, d)
        enc, enc_valid_len = memory
        new_state = []
        for block, cache in zip(self.decoder_blocks, state, strict=True):
            H, cache = block(H, enc, enc_valid_len, cache)  # (B, T, d), (B, offset + T, d)
            new_state.append(cache)
        return self.output(H), new_state  # (B, T, V)

    @staticmethod
    def reorder_state(state, index):
        """The caches of the hypotheses ``index`` (beam search)."""
        return [None if cache is None else cache[index] for cache in state]

    def forward(self, X, X_valid_len, Y_in, Y_valid_len=None):
        state, memory = self.encode(X, X_valid_len)
        logits, _ = self.decode_step(Y_in, state, memory)
        return logits  # (B, T_tgt, V_tgt)
# --8<-- [end:transformer]


@dataclass(frozen=True)
class LMConfig:
    vocab_size: int  # tokens the model reads and predicts (a [MASK] token included, if any)
    block_size: int = 64  # longest window; the positional encoding covers it
    num_hiddens: int = 64
    ffn_hiddens: int = 256
    num_heads: int = 4
    num_layers: int = 2
    dropout: float = 0.1
    causal: bool = True  # True: GPT-style causal LM; False: BERT-style masked LM


# --8<-- [start:transformer-lm]
class TransformerLM(nn.Module):
    """Token embedding + positions + a stack of :class:`EncoderBlock` + a linear head.

    ``causal=True`` masks every later position (decoder-only, GPT); ``causal=False`` lets every
    position see the whole window (encoder-only, BERT). Same blocks, same parameter count: only the
    mask and the training objective differ.
    """

    def __init__(self, config: LMConfig):
        super().__init__()
        c = self.config = config
        self.embedding = nn.Embedding(c.vocab_size, c.num_hiddens)
        self.positions = PositionalEncoding(c.num_hiddens, c.dropout, c.block_size)
        self.blocks = nn.ModuleList(EncoderBlock(c.num_hiddens, c.ffn_hiddens, c.num_heads, c.dropout)
                                    for _ in range(c.num_layers))
        self.head = nn.Linear(c.num_hiddens, c.vocab_size)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        B, T = X.shape
        if T > self.config.block_size:
            raise ValueError(f"a window of {T} tokens exceeds block_size {self.config.block_size}")
        keep = causal_mask(T, device=X.device) if self.config.causal else None  # (T, T) or all
        H = self.positions(self.embedding(X) * math.sqrt(self.config.num_hiddens))  # (B, T, d)
        for block in self.blocks:
            H = block(H, keep=keep)  # (B, T, d)
        return self.head(H)  # (B, T, V)
# --8<-- [end:transformer-lm]


class _Teacher(nn.Module):
    """Registry adapter: one example tensor as both source and teacher-forced target input."""

    def __init__(self, model: Transformer):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X, torch.full((X.shape[0],), X.shape[1]), X)


register_model("transformer-seq2seq", input_shape=(2, 5), output_shape=(2, 5, 12), input_dtype=torch.long)(
    lambda: _Teacher(Transformer(TransformerConfig(src_vocab=10, tgt_vocab=12, num_hiddens=16,
                                                   ffn_hiddens=32, num_heads=2)))
)
register_model("gpt-tiny", input_shape=(2, 6), output_shape=(2, 6, 10), input_dtype=torch.long)(
    lambda: TransformerLM(LMConfig(vocab_size=10, block_size=8, num_hiddens=16, ffn_hiddens=32, num_heads=2))
)
register_model("bert-tiny", input_shape=(2, 6), output_shape=(2, 6, 10), input_dtype=torch.long)(
    lambda: TransformerLM(LMConfig(vocab_size=10, block_size=8, num_hiddens=16, ffn_hiddens=32, num_heads=2,
                                   causal=False))
)
