"""recipes/nli_bert.py on a tiny random BertEncoder: the cache reproduces the encoder, the top-layer model
on cached states equals the whole encoder, LoRA on the top block starts as the frozen block, only
adapters and head learn, merging changes nothing, and the batches and features have the promised shapes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from dlnotes.data.wordpiece import WordPieceTokenizer
from dlnotes.layers.lora import apply_lora, lora_layers, merge_lora, num_trainable
from dlnotes.models.bert import BertConfig, BertEncoder
from dlnotes.recipes.bert import mean_pool
from dlnotes.recipes.nli_bert import (
    CrossEncoderNLI,
    LengthBatches,
    TopLayerNLI,
    cache_sentences,
    cross_inputs,
    nli_head,
    pair_accuracy,
    pair_features,
    pair_tensors,
)

WORDS = ["a", "man", "woman", "is", "dog", "the", "runs", "sleeping", "playing", "guitar", "not", "on", "grass"]
SENTENCES = ["a man is playing", "the dog runs", "a woman is sleeping on the grass", "a man is not playing guitar",
             "the dog is sleeping", "a woman runs", "the man is playing a guitar on the grass", "a dog"]


def _setup(d=16):
    torch.manual_seed(0)
    tok = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])
    config = BertConfig(vocab_size=len(tok), num_hiddens=d, ffn_hiddens=32, num_heads=2, num_layers=3, max_len=32)
    encoder = BertEncoder(config).eval()
    return tok, encoder


def _one(encoder, tok, sentence, upto=None):
    ids, _ = tok.encode(sentence)
    X = torch.tensor([ids])
    H = encoder.embed(X, torch.zeros_like(X))
    for block in encoder.blocks[:upto]:
        H = block(H, torch.tensor([len(ids)]))
    return H[0]  # (T, d)


def test_cache_matches_the_encoder_sentence_by_sentence():
    tok, encoder = _setup()
    cache, pooled = cache_sentences(encoder, tok, SENTENCES, mean_pool, batch_size=3)
    assert pooled.shape == (len(SENTENCES), 16) and cache.states.shape[1] == 16
    for i, s in enumerate(SENTENCES):
        full = _one(encoder, tok, s)  # (T, d) after all blocks
        torch.testing.assert_close(pooled[i], full.mean(0), rtol=1e-5, atol=1e-5)
        lower = _one(encoder, tok, s, upto=2)  # after the first two blocks (split_at default = 3 − 1)
        X, valid = cache.batch(torch.tensor([i]))
        torch.testing.assert_close(X[0], lower, rtol=1e-5, atol=1e-5)
        assert cache.index[s] == i
    # a padded batch: the padding rows are zero, the valid lengths are the token counts
    X, valid = cache.batch(torch.tensor([1, 6]))
    assert valid.tolist() == [len(tok.encode(SENTENCES[1])[0]), len(tok.encode(SENTENCES[6])[0])]
    assert X.shape == (2, int(valid.max()), 16) and (X[0, valid[0]:] == 0).all()


def test_cache_refuses_duplicates_empty_input_and_bad_split():
    tok, encoder = _setup()
    with pytest.raises(ValueError, match="unique"):
        cache_sentences(encoder, tok, ["a dog", "a dog"], mean_pool)
    with pytest.raises(ValueError, match="at least one"):
        cache_sentences(encoder, tok, [], mean_pool)
    with pytest.raises(ValueError, match="split_at"):
        cache_sentences(encoder, tok, ["a dog"], mean_pool, split_at=4)


def test_pair_features_and_head_shapes():
    u, v = torch.randn(5, 16), torch.randn(5, 16)
    f = pair_features(u, v)
    assert f.shape == (5, 64)
    torch.testing.assert_close(f, torch.cat([u, v, (u - v).abs(), u * v], 1))
    assert nli_head(16, hidden=8)(f).shape == (5, 3)
    with pytest.raises(ValueError, match=r"\(B, d\)"):
        pair_features(u, v[:4])


def _pairs(cache):
    triples = [(SENTENCES[i], SENTENCES[(i + k) % 8], (i + k) % 3) for i in range(8) for k in (1, 3)]
    return pair_tensors(triples, cache.index)


def test_top_layer_model_on_the_cache_equals_the_whole_encoder():
    tok, encoder = _setup()
    cache, pooled = cache_sentences(encoder, tok, SENTENCES, mean_pool)
    model = TopLayerNLI(encoder.blocks[-1], nli_head(16, hidden=8), cache, mean_pool).eval()
    with torch.no_grad():
        torch.testing.assert_close(model.encode(torch.arange(8)), pooled, rtol=1e-5, atol=1e-5)
        pairs, y = _pairs(cache)
        logits = model(pairs)
    assert logits.shape == (len(pairs), 3)
    expected = model.head(pair_features(pooled[pairs[:, 0]], pooled[pairs[:, 1]]))
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)
    acc = pair_accuracy(model, pairs, y)
    assert acc == pytest.approx((expected.argmax(1) == y).float().mean().item())
    # the copy trains, the encoder's own block does not change
    assert model.block is not encoder.blocks[-1]
    assert num_trainable(model) == sum(p.numel() for p in model.block.parameters()) + \
        sum(p.numel() for p in model.head.parameters())
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        model(pairs[:, 0])


def test_lora_on_the_top_block_starts_frozen_trains_only_adapters_and_merges_exactly():
    tok, encoder = _setup()
    cache, _ = cache_sentences(encoder, tok, SENTENCES, mean_pool)
    plain = TopLayerNLI(encoder.blocks[-1], nli_head(16, hidden=8), cache, mean_pool).eval()
    model = copy.deepcopy(plain)
    apply_lora(model.block, ["attention.W_q", "attention.W_v"], rank=2, alpha=4)
    pairs, y = _pairs(cache)
    with torch.no_grad():
        assert torch.equal(model(pairs), plain(pairs))  # B = 0: the frozen block exactly
    assert num_trainable(model.block) == 2 * 2 * (16 + 16)
    before = {k: v.clone() for k, v in model.block.state_dict().items() if not k.endswith((".A", ".B"))}
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for X, yb in LengthBatches(pairs, y, cache.lengths, batch_size=4, seed=0):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), yb).backward()
        opt.step()
    for name, p in model.block.named_parameters():
        assert (p.grad is not None) == name.endswith((".A", ".B")), name
    for k, v in model.block.state_dict().items():
        if k in before:
            assert torch.equal(v, before[k]), k
    model.eval()
    merged = copy.deepcopy(model)
    merge_lora(merged.block)
    assert not lora_layers(merged)
    with torch.no_grad():
        assert (model(pairs) - plain(pairs)).abs().max() > 1e-4
        torch.testing.assert_close(merged(pairs), model(pairs), rtol=1e-5, atol=1e-5)


def test_length_batches_cover_each_pair_once_and_are_seeded():
    tok, encoder = _setup()
    cache, _ = cache_sentences(encoder, tok, SENTENCES, mean_pool)
    pairs, y = _pairs(cache)
    batches = list(LengthBatches(pairs, y, cache.lengths, batch_size=3, pool=2, seed=0))
    assert len(batches) == len(LengthBatches(pairs, y, cache.lengths, 3)) == 6
    seen = torch.cat([X for X, _ in batches])
    assert sorted(map(tuple, seen.tolist())) == sorted(map(tuple, pairs.tolist()))
    again = list(LengthBatches(pairs, y, cache.lengths, batch_size=3, pool=2, seed=0))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        LengthBatches(pairs[:, :1], y, cache.lengths, 3)


def test_pair_tensors_names_a_missing_sentence():
    tok, encoder = _setup()
    cache, _ = cache_sentences(encoder, tok, SENTENCES[:2], mean_pool)
    rows, labels = pair_tensors([(SENTENCES[0], SENTENCES[1], 2)], cache.index)
    assert rows.tolist() == [[0, 1]] and labels.tolist() == [2]
    with pytest.raises(KeyError, match="a dog"):
        pair_tensors([(SENTENCES[0], "a dog", 0)], cache.index)


def test_cross_encoder_runs_the_pair_through_the_whole_encoder():
    tok, encoder = _setup()
    triples = [(SENTENCES[0], SENTENCES[2], 1), (SENTENCES[7], SENTENCES[1], 0), (SENTENCES[3], SENTENCES[0], 2)]
    X, y = cross_inputs(tok, triples)
    assert X.shape[:2] == (3, 2) and y.tolist() == [1, 0, 2]
    model = CrossEncoderNLI(encoder, mean_pool, tok.pad).eval()
    with torch.no_grad():
        logits = model(X)
        for b, (p, h, _) in enumerate(triples):  # one pair at a time, no padding at all
            ids, segs = tok.encode(p, h)
            H = encoder(torch.tensor([ids]), torch.tensor([segs]), torch.tensor([len(ids)]))
            torch.testing.assert_close(logits[b], model.output(H[0].mean(0)), rtol=1e-5, atol=1e-5)
    model.train()
    nn.functional.cross_entropy(model(X), y).backward()
    assert all(p.grad is not None for p in model.encoder.blocks.parameters())
    assert all(p.grad is None for p in encoder.parameters())  # the original encoder is untouched
    with pytest.raises(ValueError, match=r"\(B, 2, T\)"):
        model(X[:, 0])
