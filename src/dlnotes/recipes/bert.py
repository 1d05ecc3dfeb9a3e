r"""BERT in practice (d2l §14.8–14.10): loading real weights, sentence embeddings, pretraining data.

- :func:`load_bert_weights` maps a Hugging Face BERT state dict (``embeddings.word_embeddings.weight``,
  ``encoder.layer.N.attention.self.query.weight``, ...) onto :class:`dlnotes.models.bert.BertEncoder`,
  failing on any missing or unexpected name and on any shape that differs;
  :func:`minilm_encoder` builds our encoder with all-MiniLM-L6-v2's configuration and weights.
- :func:`mean_pool`: the sentence embedding of sentence-transformers, the mean of the hidden states
  over the valid (non-padding) tokens:
  $\mathbf s = \frac1{n}\sum_{i<n}\mathbf h_i$ with $n$ the valid length.
"""

from __future__ import annotations

import torch

from ..data.minilm import minilm_config, minilm_weights
from ..models.bert import BertConfig, BertEncoder

__all__ = ["bert_config_from_hf", "hf_to_ours", "load_bert_weights", "minilm_encoder", "mean_pool"]

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
