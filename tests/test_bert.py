"""BERT (``dlnotes.models.bert``, ``dlnotes.recipes.bert``): our encoder with MiniLM's weights against
the reference ``transformers.BertModel``, the block against chapter 10's, the heads, bad input."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip
from torch.testing import assert_close

from dlnotes.layers.transformer import EncoderBlock as SharedBlock
from dlnotes.models.bert import BertConfig, BertEncoder, BertModel, MaskLM, NextSentencePred
from dlnotes.models.transformer import EncoderBlock
from dlnotes.recipes.bert import hf_to_ours, load_bert_weights, mean_pool

SENTENCES = ["The bank raised its interest rates again.",
             "She sat on the bank of the river and watched the cranes.",
             "Hi!",
             "A crane lifted the steel beams onto the roof of the new building."]
PAIRS = ["Savers were pleased.", "Fish jumped.", "Short one, but with a comma, and more words to pad.",
         "Workers cheered."]


@pytest.fixture(scope="module")
def minilm():
    data_dir_or_skip()
    from dlnotes.data.minilm import minilm_tokenizer
    from dlnotes.recipes.bert import minilm_encoder

    return minilm_encoder(), minilm_tokenizer()


@pytest.fixture(scope="module")
def reference():
    transformers = pytest.importorskip("transformers")
    root = data_dir_or_skip() / "minilm-l6"
    return transformers.BertModel.from_pretrained(str(root), local_files_only=True).eval()


def _reference_hidden(reference, ids, segments, valid_lens):
    mask = (torch.arange(ids.shape[1])[None] < valid_lens[:, None]).long()  # (B, T): 1 = real token
    with torch.no_grad():
        return reference(input_ids=ids, token_type_ids=segments, attention_mask=mask).last_hidden_state


def test_minilm_hidden_states_match_the_reference_on_single_sentences(minilm, reference):
    encoder, tok = minilm
    ids, segments, valid_lens = tok.batch(SENTENCES)
    assert int(valid_lens.min()) < ids.shape[1]  # some rows are padded
    with torch.no_grad():
        ours = encoder(ids, segments, valid_lens)
    theirs = _reference_hidden(reference, ids, segments, valid_lens)
    assert_close(ours, theirs, atol=1e-5, rtol=1e-4)  # padded positions included
    assert_close(mean_pool(ours, valid_lens), mean_pool(theirs, valid_lens), atol=1e-5, rtol=1e-4)


def test_minilm_matches_on_sentence_pairs_with_padding(minilm, reference):
    encoder, tok = minilm
    ids, segments, valid_lens = tok.batch(SENTENCES, PAIRS)
    assert bool((segments == 1).any()) and int(valid_lens.min()) < ids.shape[1]
    with torch.no_grad():
        ours = encoder(ids, segments, valid_lens)
    assert_close(ours, _reference_hidden(reference, ids, segments, valid_lens), atol=1e-5, rtol=1e-4)


def test_mean_pool_matches_sentence_transformers_masked_mean(minilm, reference):
    encoder, tok = minilm
    ids, segments, valid_lens = tok.batch(SENTENCES)
    theirs = _reference_hidden(reference, ids, segments, valid_lens)
    mask = (torch.arange(ids.shape[1])[None] < valid_lens[:, None]).float()[..., None]  # (B, T, 1)
    expected = (theirs * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # sentence-transformers' Pooling
    with torch.no_grad():
        assert_close(mean_pool(encoder(ids, segments, valid_lens), valid_lens), expected, atol=1e-5, rtol=1e-4)
    # padding does not change a sentence's embedding: alone or in a padded batch, the same vector
    alone = tok.batch(SENTENCES[2:3])
    with torch.no_grad():
        single = mean_pool(encoder(*alone), alone[2])
        batched = mean_pool(encoder(ids, segments, valid_lens), valid_lens)[2:3]
    assert_close(single, batched, atol=1e-5, rtol=1e-4)


def _d2l_config(**kw):
    return BertConfig(vocab_size=50, num_hiddens=16, ffn_hiddens=32, num_heads=4, num_layers=2, max_len=12,
                      activation="relu", eps=1e-5, bias=False, **kw)


def test_default_block_is_chapter_10s_block_exactly():
    assert EncoderBlock is SharedBlock  # chapter 10 imports the very class BERT uses
    torch.manual_seed(0)
    encoder = BertEncoder(_d2l_config()).eval()
    chapter10 = EncoderBlock(16, 32, 4, 0.1).eval()  # d2l's settings: ReLU, eps 1e-5, no bias
    chapter10.load_state_dict(encoder.blocks[0].state_dict())
    X = torch.randn(3, 7, 16)
    lens = torch.tensor([7, 3, 5])
    assert torch.equal(encoder.blocks[0](X, lens), chapter10(X, lens))


def test_heads_have_the_documented_shapes():
    torch.manual_seed(2)
    model = BertModel(_d2l_config())
    tokens = torch.randint(0, 50, (3, 9))
    segments = torch.tensor([[0] * 5 + [1] * 4] * 3)
    positions = torch.tensor([[1, 5, 2], [6, 1, 5], [0, 0, 8]])
    X, mlm, nsp = model(tokens, segments, torch.tensor([9, 8, 6]), positions)
    assert X.shape == (3, 9, 16) and mlm.shape == (3, 3, 50) and nsp.shape == (3, 2)
    # the MLM head reads exactly the hidden states at the chosen positions
    assert_close(mlm[2, 2], model.mlm.mlp(X[2, 8]))
    assert MaskLM(50, 16)(X, positions).shape == (3, 3, 50)
    assert NextSentencePred(16)(X[:, 0]).shape == (3, 2)
    _, none, _ = model(tokens, segments)
    assert none is None


def test_bad_input_raises():
    encoder = BertEncoder(_d2l_config())
    tokens = torch.zeros(2, 5, dtype=torch.long)
    with pytest.raises(ValueError, match="segments"):
        encoder(tokens, torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="exceeds the 12 learned positions"):
        encoder(torch.zeros(1, 13, dtype=torch.long))
    with pytest.raises(ValueError, match="valid_lens"):
        encoder(tokens, valid_lens=torch.tensor([5]))
    with pytest.raises(ValueError, match="token indices"):
        encoder(torch.full((1, 3), 50))
    with pytest.raises(ValueError, match="segment ids"):
        encoder(tokens, torch.full((2, 5), 2))
    with pytest.raises(ValueError, match="mean_pool"):
        mean_pool(torch.zeros(2, 5, 3), torch.tensor([5]))
    with pytest.raises(ValueError, match="valid lengths"):
        mean_pool(torch.zeros(2, 5, 3), torch.tensor([0, 5]))


def test_weight_names_map_and_bad_weights_fail_loudly():
    assert hf_to_ours("encoder.layer.3.attention.self.query.weight") == "blocks.3.attention.W_q.weight"
    assert hf_to_ours("encoder.layer.0.output.LayerNorm.bias") == "blocks.0.addnorm2.norm.bias"
    assert hf_to_ours("embeddings.token_type_embeddings.weight") == "segment_embedding.weight"
    assert hf_to_ours("pooler.dense.weight") is None
    with pytest.raises(KeyError, match="unknown BERT weight"):
        hf_to_ours("cls.predictions.decoder.weight")
    config = BertConfig(vocab_size=20, num_hiddens=8, ffn_hiddens=16, num_heads=2, num_layers=1, max_len=6)
    encoder = BertEncoder(config)
    good = {_ours_to_hf(k): v.clone() for k, v in encoder.state_dict().items()}
    load_bert_weights(BertEncoder(config), good)  # a complete set loads
    with pytest.raises(KeyError, match="lack"):
        load_bert_weights(BertEncoder(config), {k: v for k, v in good.items() if "query.bias" not in k})
    with pytest.raises(KeyError, match="unknown BERT weight"):
        load_bert_weights(BertEncoder(config), {**good, "encoder.layer.0.mystery.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="does not have"):
        load_bert_weights(BertEncoder(config), {**good, "encoder.layer.1.output.dense.bias": torch.zeros(8)})
    bad = dict(good, **{"embeddings.word_embeddings.weight": torch.zeros(21, 8)})
    with pytest.raises(ValueError, match="shape"):
        load_bert_weights(BertEncoder(config), bad)


def _ours_to_hf(name: str) -> str:
    from dlnotes.recipes import bert

    table = {v: k for k, v in bert._EMBED_MAP.items()}
    prefix, _, leaf = name.rpartition(".")
    if prefix in table:
        return f"{table[prefix]}.{leaf}"
    _, n, *rest = prefix.split(".")
    inner = {v: k for k, v in bert._LAYER_MAP.items()}[".".join(rest)]
    return f"encoder.layer.{n}.{inner}.{leaf}"


# --- pretraining data (§14.9) ----------------------------------------------------------------------

def _toy_vocab():
    from dlnotes.data.vocab import Vocab
    from dlnotes.recipes.bert import RESERVED

    return Vocab([f"w{i}" for i in range(40)], reserved_tokens=RESERVED)  # 45 tokens


def test_mlm_batch_follows_the_80_10_10_rule_on_real_tokens_only():
    from dlnotes.data.masking import IGNORE
    from dlnotes.recipes.bert import mlm_batch
    from dlnotes.seed import data_generator

    vocab = _toy_vocab()
    V, word = len(vocab), vocab["w7"]
    B, T = 2000, 50
    tokens = torch.full((B, T), word)
    tokens[:, 0], tokens[:, 20], tokens[:, 39] = vocab["<cls>"], vocab["<sep>"], vocab["<sep>"]
    tokens[:, 40:] = vocab["<pad>"]
    valid_lens = torch.full((B,), 40)
    X, Y = mlm_batch(tokens, valid_lens, vocab, data_generator(5))
    chosen = Y != IGNORE
    assert not bool(chosen[:, [0, 20, 39]].any()) and not bool(chosen[:, 40:].any())  # specials, padding
    real = 37 * B
    assert abs(chosen.sum().item() / real - 0.15) < 0.005
    n = chosen.sum().item()
    as_mask = (X[chosen] == vocab["<mask>"]).sum().item() / n
    kept = (X[chosen] == word).sum().item() / n
    replaced = X[chosen][(X[chosen] != word) & (X[chosen] != vocab["<mask>"])]
    assert abs(as_mask - 0.8) < 0.01
    assert abs(kept - (0.1 + 0.1 / (V - 5))) < 0.01  # a random draw of 40 corpus tokens may hit w7
    assert abs(len(replaced) / n - 0.1 * (V - 6) / (V - 5)) < 0.01
    assert bool((replaced >= 5).all())  # never <unk> or a reserved token
    assert bool((Y[chosen] == word).all()) and torch.equal(X[~chosen], tokens[~chosen])


def test_gather_predictions_lists_each_rows_picks_first():
    from dlnotes.data.masking import IGNORE
    from dlnotes.recipes.bert import gather_predictions

    Y = torch.full((2, 6), IGNORE)
    Y[0, 1], Y[0, 4], Y[1, 3] = 11, 12, 13
    positions, targets = gather_predictions(Y)
    assert positions.tolist()[0] == [1, 4] and positions[1, 0] == 3
    assert targets.tolist() == [[11, 12], [13, IGNORE]]
    # the MLM head agrees on both layouts: (B, P) positions and a (B, T) mask
    head, X = MaskLM(20, 8), torch.randn(2, 6, 8)
    assert_close(head(X, Y != IGNORE), head(X, positions)[targets != IGNORE])


def test_pseudo_paragraphs_and_nsp_pairs():
    from dlnotes.recipes.bert import encode_pairs, nsp_pairs, pseudo_paragraphs
    from dlnotes.seed import data_generator

    sentences = [[f"w{i % 40}"] * (1 + i % 5) for i in range(8003)]
    paragraphs = pseudo_paragraphs(sentences, 8)
    assert len(paragraphs) == 1001 and paragraphs[-1] == sentences[8000:]  # a last group of 3
    assert len(pseudo_paragraphs(sentences[:17], 8)) == 2  # a last single sentence has no pair
    assert paragraphs[1][0] is sentences[8]  # consecutive, in order
    with pytest.raises(ValueError, match="at least 2"):
        pseudo_paragraphs(sentences, 1)
    pairs = nsp_pairs(paragraphs, data_generator(0), max_len=64)
    assert len(pairs) == 7002  # 7 neighbouring pairs per paragraph (2 in the last), none too long
    share = sum(c for _, _, c in pairs) / len(pairs)
    assert abs(share - 0.5) < 0.02
    following = {(id(p[i]), id(p[i + 1])) for p in paragraphs for i in range(len(p) - 1)}
    assert all((id(a), id(b)) in following for a, b, c in pairs if c)
    short = nsp_pairs(paragraphs, data_generator(0), max_len=8)
    assert all(len(a) + len(b) + 3 <= 8 for a, b, _ in short) and len(short) < len(pairs)
    vocab = _toy_vocab()
    data = encode_pairs([(["w1", "w2"], ["w3"], True)], vocab, max_len=8)
    assert data["tokens"].tolist() == [vocab[["<cls>", "w1", "w2", "<sep>", "w3", "<sep>", "<pad>", "<pad>"]]]
    assert data["segments"].tolist() == [[0, 0, 0, 0, 1, 1, 0, 0]]
    assert data["valid_lens"].tolist() == [6] and data["is_next"].tolist() == [1]
    with pytest.raises(ValueError, match="more than max_len"):
        encode_pairs([(["w1"] * 6, ["w3"], False)], vocab, max_len=8)


def test_pretraining_runs_and_reduces_the_mlm_loss():
    from dlnotes.recipes.bert import (
        bert_evaluate,
        encode_pairs,
        nsp_pairs,
        pretrain_bert,
        pseudo_paragraphs,
    )
    from dlnotes.seed import data_generator

    torch.manual_seed(0)
    vocab = _toy_vocab()
    sentences = [[f"w{(3 * i + j) % 40}" for j in range(4)] for i in range(400)]
    data = encode_pairs(nsp_pairs(pseudo_paragraphs(sentences), data_generator(1), 16), vocab, 16)
    model = BertModel(BertConfig(vocab_size=len(vocab), num_hiddens=32, ffn_hiddens=64, num_heads=2,
                                 num_layers=1, max_len=16))
    history = pretrain_bert(model, data, vocab, torch.optim.Adam(model.parameters(), 3e-3), 60, 32,
                            data_generator(2), record_every=20)
    losses = history.metric("train_mlm_loss")
    assert len(history) == 3 and losses[-1] < losses[0]
    scores = bert_evaluate(model, data, vocab, data_generator(3))
    assert set(scores) == {"test_mlm_loss", "test_mlm_acc", "test_nsp_acc"}
