"""Attention, layer norm and transformer blocks agree with their torch twins (outputs and gradients)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.testing import assert_close

from dlnotes.layers.attention import (
    AdditiveAttention,
    DotProductAttention,
    MultiHeadAttention,
    PositionalEncoding,
    causal_mask,
    sinusoid_table,
)
from dlnotes.layers.functional import masked_softmax
from dlnotes.layers.norm import LayerNorm
from dlnotes.models.transformer import (
    EncoderBlock,
    LMConfig,
    Transformer,
    TransformerConfig,
    TransformerLM,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _keep_from_lens(valid_lens, Q, K):
    """Bool (B, Q, K): True where the key is within the valid length."""
    return (torch.arange(K)[None, None, :] < valid_lens[:, None, None]).expand(-1, Q, K)


# --- masked softmax ---------------------------------------------------------------------------

def test_masked_softmax_gives_padding_zero_and_rows_sum_to_one_over_valid_keys():
    X = torch.randn(3, 4, 6, generator=_gen())
    lens = torch.tensor([2, 6, 1])
    W = masked_softmax(X, lens)
    for b, n in enumerate(lens.tolist()):
        assert (W[b, :, n:] == 0).all()
        assert_close(W[b, :, :n].sum(-1), torch.ones(4))
        assert_close(W[b, :, :n], torch.softmax(X[b, :, :n], dim=-1))


def test_masked_softmax_accepts_one_valid_length_per_query():
    X = torch.randn(2, 3, 5, generator=_gen(1))
    lens = torch.tensor([[1, 3, 5], [2, 2, 4]])
    W = masked_softmax(X, lens)
    twin = torch.softmax(X.masked_fill(torch.arange(5) >= lens[..., None], float("-inf")), dim=-1)
    assert_close(W, twin)


def test_masked_softmax_with_a_causal_mask_sees_no_later_key():
    W = masked_softmax(torch.randn(2, 4, 4, generator=_gen(2)), keep=causal_mask(4))
    assert (W.triu(1) == 0).all()
    assert_close(W.sum(-1), torch.ones(2, 4))


@pytest.mark.parametrize("bad", [torch.tensor([1, 2, 3]), torch.tensor([[1, 2]] * 2)])
def test_masked_softmax_rejects_valid_lengths_of_the_wrong_shape(bad):
    with pytest.raises(ValueError, match="valid_lens"):
        masked_softmax(torch.randn(2, 3, 4), bad)


def test_masked_softmax_rejects_scores_that_are_not_3d():
    with pytest.raises(ValueError, match=r"\(B, Q, K\)"):
        masked_softmax(torch.randn(3, 4), torch.tensor([1, 2, 3]))


# --- scoring functions ------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_dot_product_attention_equals_torch_sdpa_with_gradients(causal):
    q = torch.randn(3, 5, 8, generator=_gen(3), requires_grad=True)
    k = torch.randn(3, 5, 8, generator=_gen(4), requires_grad=True)
    v = torch.randn(3, 5, 6, generator=_gen(5), requires_grad=True)
    lens = torch.tensor([5, 2, 4])
    keep = causal_mask(5) if causal else None
    ours = DotProductAttention()(q, k, v, lens, keep)
    mask = _keep_from_lens(lens, 5, 5) & (causal_mask(5) if causal else True)
    twin = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_close(ours, twin)
    g = torch.randn(ours.shape, generator=_gen(6))
    grads = torch.autograd.grad((ours * g).sum(), (q, k, v))
    twin_grads = torch.autograd.grad((twin * g).sum(), (q, k, v))
    for a, b in zip(grads, twin_grads, strict=True):
        assert_close(a, b)


def test_dot_product_attention_equals_sdpa_is_causal():
    q, k, v = (torch.randn(2, 6, 4, generator=_gen(s)) for s in (7, 8, 9))
    assert_close(DotProductAttention()(q, k, v, keep=causal_mask(6)),
                 F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_additive_attention_ignores_padded_keys_and_values():
    att = AdditiveAttention(key_size=3, query_size=5, num_hiddens=7).eval()
    q, k, v = torch.randn(2, 4, 5), torch.randn(2, 6, 3), torch.randn(2, 6, 2)
    lens = torch.tensor([3, 6])
    out = att(q, k, v, lens)
    assert (att.attention_weights[0, :, 3:] == 0).all()
    k2, v2 = k.clone(), v.clone()
    k2[0, 3:], v2[0, 3:] = 100.0, -100.0  # change only the padding of example 0
    assert_close(att(q, k2, v2, lens), out)


def test_dot_product_attention_rejects_mismatched_query_and_key_sizes():
    with pytest.raises(ValueError, match="one size"):
        DotProductAttention()(torch.randn(1, 2, 3), torch.randn(1, 4, 5), torch.randn(1, 4, 5))


def test_causal_mask_lets_the_last_queries_see_all_earlier_keys():
    m = causal_mask(2, 5)
    assert m.tolist() == [[True, True, True, True, False], [True] * 5]
    with pytest.raises(ValueError):
        causal_mask(3, 2)


# --- multi-head attention --------------------------------------------------------------------

def _copy_into_torch_mha(ours: MultiHeadAttention, d: int, h: int) -> nn.MultiheadAttention:
    twin = nn.MultiheadAttention(d, h, bias=True, batch_first=True)
    with torch.no_grad():
        twin.in_proj_weight.copy_(torch.cat([ours.W_q.weight, ours.W_k.weight, ours.W_v.weight]))
        twin.in_proj_bias.copy_(torch.cat([ours.W_q.bias, ours.W_k.bias, ours.W_v.bias]))
        twin.out_proj.weight.copy_(ours.W_o.weight)
        twin.out_proj.bias.copy_(ours.W_o.bias)
    return twin


def test_multi_head_attention_equals_torch_with_copied_weights_outputs_weights_and_grads():
    torch.manual_seed(0)
    d, h = 12, 3
    ours = MultiHeadAttention(d, h, bias=True).eval()
    twin = _copy_into_torch_mha(ours, d, h).eval()
    q = torch.randn(2, 4, d, requires_grad=True)
    kv = torch.randn(2, 6, d, requires_grad=True)
    lens = torch.tensor([6, 3])
    out = ours(q, kv, kv, lens)
    t_out, t_w = twin(q, kv, kv, key_padding_mask=torch.arange(6)[None] >= lens[:, None],
                      average_attn_weights=False)
    assert_close(out, t_out)
    assert_close(ours.attention_weights, t_w)  # (B, h, Q, K)
    g = torch.randn(out.shape)
    (out * g).sum().backward()
    (t_out * g).sum().backward()
    assert_close(torch.cat([ours.W_q.weight.grad, ours.W_k.weight.grad, ours.W_v.weight.grad]),
                 twin.in_proj_weight.grad)
    assert_close(ours.W_o.weight.grad, twin.out_proj.weight.grad)


def test_split_and_merge_heads_are_inverse_and_keep_each_head_contiguous():
    mha = MultiHeadAttention(8, 2)
    X = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)
    heads = mha.split_heads(X)
    assert heads.shape == (4, 3, 4)
    assert_close(heads[1], X[0, :, 4:])  # example 0, head 1 = the second half of the features
    assert_close(mha.merge_heads(heads), X)


def test_multi_head_attention_rejects_a_width_not_divisible_by_the_heads():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 4)


# --- positional encoding ---------------------------------------------------------------------

def test_positional_encoding_matches_the_closed_form():
    P = sinusoid_table(50, 16)
    i, j = 37, 5
    assert_close(P[i, 2 * j], torch.sin(torch.tensor(i / 10000 ** (2 * j / 16))))
    assert_close(P[i, 2 * j + 1], torch.cos(torch.tensor(i / 10000 ** (2 * j / 16))))
    pe = PositionalEncoding(16).eval()
    X = torch.zeros(1, 5, 16)
    assert_close(pe(X, offset=3)[0], P[3:8])


def test_a_shift_in_position_is_the_same_linear_map_at_every_position():
    d, delta = 16, 7
    P = sinusoid_table(100, d).double()
    omega = 1 / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    M = torch.zeros(d, d, dtype=torch.float64)  # block-diagonal rotations by omega_j * delta
    for j, w in enumerate(omega.tolist()):
        c, s = torch.cos(torch.tensor(w * delta)), torch.sin(torch.tensor(w * delta))
        M[2 * j:2 * j + 2, 2 * j:2 * j + 2] = torch.tensor([[c, s], [-s, c]])
    # one M (built from delta alone) maps row i to row i + delta for every i
    assert_close(P[:-delta] @ M.T, P[delta:], atol=1e-5, rtol=0)  # float32 table


# --- layer norm and the encoder block --------------------------------------------------------

def test_layer_norm_equals_torch_layer_norm_with_gradients():
    torch.manual_seed(1)
    ours, twin = LayerNorm(6), nn.LayerNorm(6)
    with torch.no_grad():
        ours.weight.copy_(torch.randn(6))
        ours.bias.copy_(torch.randn(6))
        twin.load_state_dict(ours.state_dict())
    X = torch.randn(2, 3, 6, requires_grad=True)
    a, b = ours(X), twin(X)
    assert_close(a, b)
    g = torch.randn(a.shape)
    assert_close(torch.autograd.grad((a * g).sum(), X)[0], torch.autograd.grad((b * g).sum(), X)[0])


@pytest.mark.parametrize(("activation", "eps"), [("relu", 1e-5), ("gelu", 1e-12)])  # d2l's, BERT's (14.8)
def test_encoder_block_equals_torch_transformer_encoder_layer_with_copied_weights(activation, eps):
    torch.manual_seed(2)
    d, h, f = 8, 2, 16
    ours = EncoderBlock(d, f, h, dropout=0.1, bias=True, activation=activation, eps=eps).eval()
    twin = nn.TransformerEncoderLayer(d, h, f, dropout=0.1, activation=activation, layer_norm_eps=eps,
                                      batch_first=True, norm_first=False).eval()
    with torch.no_grad():
        twin.self_attn.load_state_dict(_copy_into_torch_mha(ours.attention, d, h).state_dict())
        twin.linear1.load_state_dict(ours.ffn.dense1.state_dict())
        twin.linear2.load_state_dict(ours.ffn.dense2.state_dict())
        twin.norm1.load_state_dict(ours.addnorm1.norm.state_dict())
        twin.norm2.load_state_dict(ours.addnorm2.norm.state_dict())
    X = torch.randn(3, 5, d, requires_grad=True)
    lens = torch.tensor([5, 2, 4])
    a = ours(X, lens)
    b = twin(X, src_key_padding_mask=torch.arange(5)[None] >= lens[:, None])
    for i, n in enumerate(lens.tolist()):  # torch's fast path zeroes padded rows; compare the valid ones
        assert_close(a[i, :n], b[i, :n])
    g = torch.randn(a.shape) * (torch.arange(5)[None, :, None] < lens[:, None, None])
    assert_close(torch.autograd.grad((a * g).sum(), X)[0], torch.autograd.grad((b * g).sum(), X)[0])


# --- causality -------------------------------------------------------------------------------

def _tiny_transformer():
    torch.manual_seed(3)
    return Transformer(TransformerConfig(src_vocab=11, tgt_vocab=13, num_hiddens=16, ffn_hiddens=32,
                                         num_heads=2)).eval()


def test_the_transformer_decoder_never_looks_ahead():
    model = _tiny_transformer()
    X, lens = torch.randint(0, 11, (2, 6)), torch.tensor([6, 4])
    Y = torch.randint(0, 13, (2, 7))
    Y2 = Y.clone()
    Y2[:, 4:] = (Y[:, 4:] + 5) % 13  # change the future tokens only
    a, b = model(X, lens, Y), model(X, lens, Y2)
    assert_close(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_decoding_one_token_at_a_time_with_the_cache_equals_teacher_forcing():
    model = _tiny_transformer()
    X, lens = torch.randint(0, 11, (2, 6)), torch.tensor([6, 3])
    Y = torch.randint(0, 13, (2, 5))
    whole = model(X, lens, Y)
    state, memory = model.encode(X, lens)
    steps = []
    for t in range(5):
        logits, state = model.decode_step(Y[:, t:t + 1], state, memory)
        steps.append(logits)
    assert_close(torch.cat(steps, dim=1), whole)


def test_the_causal_lm_never_looks_ahead_but_the_masked_lm_does():
    for causal in (True, False):
        torch.manual_seed(4)
        lm = TransformerLM(LMConfig(vocab_size=9, block_size=8, num_hiddens=16, ffn_hiddens=32,
                                    num_heads=2, causal=causal)).eval()
        X = torch.randint(0, 9, (2, 8))
        X2 = X.clone()
        X2[:, 5] = (X[:, 5] + 1) % 9
        same_past = torch.allclose(lm(X)[:, :5], lm(X2)[:, :5])
        assert same_past == causal


def test_the_lm_rejects_a_window_longer_than_its_block_size():
    lm = TransformerLM(LMConfig(vocab_size=5, block_size=4, num_hiddens=8, ffn_hiddens=8, num_heads=2))
    with pytest.raises(ValueError, match="block_size"):
        lm(torch.zeros(1, 5, dtype=torch.long))
