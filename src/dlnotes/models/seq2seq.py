r"""Encoder–decoder with GRUs for sequence to sequence learning (d2l §9.6–9.7; Sutskever et al., 2014),
and the same with Bahdanau attention (d2l §10.4; Bahdanau et al., 2015).

The encoder reads the source ``X`` ``(B, T_src)`` into its final hidden state ``(L, B, H)``. The
decoder starts from that state and, at every step, sees the embedded previous target token
concatenated with the context (the encoder's last-layer final state), so the source reaches every
step. Training uses teacher forcing: ``forward(X, X_valid_len, Y_in, Y_valid_len)`` feeds the
true previous tokens ``Y_in`` (``<bos>`` then the target shifted right) and returns logits
``(B, T_tgt, V_tgt)`` for every position at once. Decoding token by token goes through
:meth:`Seq2Seq.encode` and :meth:`Seq2Seq.decode_step` (see :mod:`dlnotes.recipes.seq2seq`); beam search keeps the states of the surviving hypotheses
with :meth:`reorder_state`.

:class:`BahdanauSeq2Seq` replaces the fixed context by attention: at decoding step $t'$ the
decoder's last-layer state $\mathbf s_{t'-1}$ is the query, the encoder's outputs at every source
position are keys and values, and the context $\mathbf c_{t'} = \sum_t \alpha(\mathbf s_{t'-1},
\mathbf h_t)\mathbf h_t$ (additive attention, padding masked) is concatenated to the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..layers.attention import AdditiveAttention
from ._registry import register_model

__all__ = ["Seq2SeqConfig", "Seq2Seq", "BahdanauSeq2Seq"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    embed_size: int = 32  # d2l: 32
    num_hiddens: int = 32  # GRU width; d2l: 32
    num_layers: int = 2  # d2l: 2
    dropout: float = 0.1  # between GRU layers; d2l: 0.1


# --8<-- [start:seq2seq]
class Seq2Seq(nn.Module):
    """GRU encoder + GRU decoder with the context fed at every step."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        c = self.config = config
        self.src_embedding = nn.Embedding(c.src_vocab, c.embed_size)
        self.encoder = nn.GRU(c.embed_size, c.num_hiddens, c.num_layers, dropout=c.dropout,
                              batch_first=True)
        self.tgt_embedding = nn.Embedding(c.tgt_vocab, c.embed_size)
        self.decoder = nn.GRU(c.embed_size + c.num_hiddens, c.num_hiddens, c.num_layers,
                              dropout=c.dropout, batch_first=True)
        self.output = nn.Linear(c.num_hiddens, c.tgt_vocab)

    def encode(self, X: torch.Tensor, X_valid_len: torch.Tensor | None = None):
        """The decoder's initial state ``(L, B, H)`` and the context ``(B, H)``.

        Padding after ``X_valid_len`` is skipped (packed sequence), so the state is the one after
        each sentence's last real token.
        """
        emb = self.src_embedding(X)  # (B, T, E)
        if X_valid_len is not None:
            emb = nn.utils.rnn.pack_padded_sequence(emb, X_valid_len.clamp_min(1).cpu(),
                                                    batch_first=True, enforce_sorted=False)
        _, state = self.encoder(emb)  # (L, B, H)
        return state, state[-1]

    def decode_step(self, Y_in: torch.Tensor, state: torch.Tensor, context: torch.Tensor):
        """Logits ``(B, T, V)`` for the tokens ``Y_in`` ``(B, T)`` and the new state."""
        emb = self.tgt_embedding(Y_in)  # (B, T, E)
        ctx = context[:, None, :].expand(-1, Y_in.shape[1], -1)  # (B, T, H)
        out, state = self.decoder(torch.cat([emb, ctx], dim=-1), state)  # (B, T, H)
        return self.output(out), state  # (B, T, V)

    @staticmethod
    def reorder_state(state: torch.Tensor, index: torch.Tensor | list[int]) -> torch.Tensor:
        """The states ``(L, n, H)`` of the hypotheses ``index`` (beam search)."""
        return state[:, index]

    def forward(self, X, X_valid_len, Y_in, Y_valid_len=None) -> torch.Tensor:
        state, context = self.encode(X, X_valid_len)
        logits, _ = self.decode_step(Y_in, state, context)
        return logits  # (B, T_tgt, V_tgt)
# --8<-- [end:seq2seq]


# --8<-- [start:bahdanau]
class BahdanauSeq2Seq(Seq2Seq):
    """:class:`Seq2Seq` whose decoder attends over the encoder's outputs at every step.

    Same embeddings, GRUs and output layer (the decoder's input is still ``[embedding; context]``);
    only the context changes: recomputed at each step by additive attention instead of fixed.
    """

    def __init__(self, config: Seq2SeqConfig):
        super().__init__(config)
        H = config.num_hiddens
        self.attention = AdditiveAttention(key_size=H, query_size=H, num_hiddens=H, dropout=config.dropout)

    def encode(self, X: torch.Tensor, X_valid_len: torch.Tensor | None = None):
        """The decoder's initial state ``(L, B, H)`` and the memory ``(outputs (B, T_src, H),
        X_valid_len)`` it attends over (padding positions are masked by their valid length)."""
        emb = self.src_embedding(X)  # (B, T_src, E)
        if X_valid_len is None:
            outputs, state = self.encoder(emb)  # (B, T_src, H), (L, B, H)
            return state, (outputs, None)
        packed = nn.utils.rnn.pack_padded_sequence(emb, X_valid_len.clamp_min(1).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        outputs, state = self.encoder(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True,
                                                      total_length=X.shape[1])  # (B, T_src, H)
        return state, (outputs, X_valid_len)

    def decode_step(self, Y_in: torch.Tensor, state: torch.Tensor, memory):
        """Logits ``(B, T, V)`` for ``Y_in`` ``(B, T)``, one step at a time (each step's query is the
        state the previous step left); the weights of every step are kept in ``attention_weights``
        ``(B, T, T_src)``."""
        enc, enc_valid_len = memory
        emb = self.tgt_embedding(Y_in)  # (B, T, E)
        outs, weights = [], []
        for t in range(Y_in.shape[1]):
            query = state[-1][:, None, :]  # (B, 1, H): the last layer's state
            context = self.attention(query, enc, enc, enc_valid_len)  # (B, 1, H)
            out, state = self.decoder(torch.cat([emb[:, t:t + 1], context], dim=-1), state)  # (B, 1, H)
            outs.append(out)
            weights.append(self.attention.attention_weights)  # (B, 1, T_src)
        self.attention_weights = torch.cat(weights, dim=1)  # (B, T, T_src)
        return self.output(torch.cat(outs, dim=1)), state  # (B, T, V)
# --8<-- [end:bahdanau]


register_model("seq2seq-gru", input_shape=(2, 5), output_shape=(2, 5, 12),
               input_dtype=torch.long)(
    lambda: _Teacher(Seq2Seq(Seq2SeqConfig(src_vocab=10, tgt_vocab=12, embed_size=8,
                                           num_hiddens=16)))
)


register_model("seq2seq-bahdanau", input_shape=(2, 5), output_shape=(2, 5, 12),
               input_dtype=torch.long)(
    lambda: _Teacher(BahdanauSeq2Seq(Seq2SeqConfig(src_vocab=10, tgt_vocab=12, embed_size=8,
                                                   num_hiddens=16)))
)


class _Teacher(nn.Module):
    """Registry adapter: one example tensor as both source and teacher-forced target input."""

    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X, torch.full((X.shape[0],), X.shape[1]), X)
