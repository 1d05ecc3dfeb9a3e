"""all-MiniLM-L6-v2 (Wang et al., 2020; Reimers & Gurevych, 2019): a small uncased BERT's files.

A 6-layer BERT encoder (384 hidden, 12 heads, FFN 1536, WordPiece vocabulary of 30,522 tokens,
512 positions) that sentence-transformers trained for sentence embeddings (mean pooling over the
tokens). There is no MLM or NSP head in these weights. Files (mirrored in ``minilm-l6/``):

- ``model.safetensors``: the weights under Hugging Face's names (``embeddings.word_embeddings.weight``,
  ``encoder.layer.N.attention.self.query.weight``, ...), read with :mod:`safetensors.torch`;
- ``vocab.txt``: the WordPiece vocabulary, one token per line (index = line number);
- ``config.json``, ``tokenizer_config.json``, ``special_tokens_map.json``, ``pooling_config.json``.

:func:`minilm_config` and :func:`minilm_weights` return the configuration and the tensors as they
are stored; :func:`minilm_tokenizer` a :class:`dlnotes.data.wordpiece.WordPieceTokenizer` on its
vocabulary. Loading the weights into our encoder is :func:`dlnotes.recipes.bert.minilm_encoder`.
"""

from __future__ import annotations

import json

import torch

from .store import DataFile, fetch
from .wordpiece import WordPieceTokenizer

__all__ = ["FILES", "minilm_config", "minilm_weights", "minilm_vocab", "minilm_tokenizer"]

_HF = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/"

FILES: dict[str, DataFile] = {
    "model": DataFile("minilm-l6/model.safetensors", _HF + "model.safetensors",
                      "22b78143b3483ebdc945dc51b3715081fb0dd591"),
    "vocab": DataFile("minilm-l6/vocab.txt", _HF + "vocab.txt", "c3b4105373feaa5b0b2c332321c1e592d6f39658"),
    "config": DataFile("minilm-l6/config.json", _HF + "config.json",
                       "50b71cc587a8c3357c437e4e27cf4df0126215a3"),
    "tokenizer_config": DataFile("minilm-l6/tokenizer_config.json", _HF + "tokenizer_config.json",
                                 "1a708c9e87238b1e204ea47d267d7dd1b404ddd7"),
    "special_tokens_map": DataFile("minilm-l6/special_tokens_map.json", _HF + "special_tokens_map.json",
                                   "8e98c044a834804677adc5ae1b7884a2dff23f41"),
    # the repository's 1_Pooling/config.json, renamed in the mirror
    "pooling_config": DataFile("minilm-l6/pooling_config.json", _HF + "1_Pooling/config.json",
                               "ef7a6acbe77cc2656a60b5da3ecd43776c73056d"),
}


def minilm_config() -> dict:
    """``config.json`` as a dict (``hidden_size`` 384, ``num_hidden_layers`` 6, ``hidden_act`` "gelu", ...)."""
    return json.loads(fetch(FILES["config"]).read_text(encoding="utf-8"))


def minilm_weights() -> dict[str, torch.Tensor]:
    """Every tensor of ``model.safetensors`` under its stored name (104 entries, float32)."""
    from safetensors.torch import load_file

    return load_file(str(fetch(FILES["model"])))


def minilm_vocab() -> list[str]:
    """The 30,522 WordPiece tokens, index = line of ``vocab.txt``."""
    return fetch(FILES["vocab"]).read_text(encoding="utf-8").split("\n")[:-1]


def minilm_tokenizer() -> WordPieceTokenizer:
    """Our :class:`WordPieceTokenizer` on MiniLM's vocabulary (uncased, as its tokenizer config says)."""
    config = json.loads(fetch(FILES["tokenizer_config"]).read_text(encoding="utf-8"))
    return WordPieceTokenizer(minilm_vocab(), lowercase=bool(config.get("do_lower_case", True)))
