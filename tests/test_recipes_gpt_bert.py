"""§10.8 GPT vs BERT (``dlnotes.recipes.gpt_bert``): windows, BERT's corruption, the shared loss,
held-out scoring, generation and filling, and that both objectives learn."""

import math

import pytest
import torch

from dlnotes.data.vocab import Vocab
from dlnotes.models.transformer import LMConfig, TransformerLM
from dlnotes.recipes.gpt_bert import (
    IGNORE,
    bert_batch,
    bert_evaluate,
    bert_fill,
    blank_windows,
    encode_text,
    gpt_batch,
    gpt_evaluate,
    gpt_fill,
    gpt_generate,
    held_out_positions,
    init_embedding,
    lm_loss,
    mask_tokens,
    next_token_scores,
    random_windows,
    train_lm,
)
from dlnotes.seed import data_generator

VOCAB = Vocab(list("abcdefgh "))  # <unk> + 9 characters: 10 tokens
V = len(VOCAB)


def tiny(causal: bool, vocab_size: int = V, block_size: int = 8) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(LMConfig(vocab_size=vocab_size, block_size=block_size, num_hiddens=16, ffn_hiddens=32,
                                  num_heads=2, num_layers=1, dropout=0.0, causal=causal))


# --- windows ---------------------------------------------------------------------------------------

def test_windows_are_consecutive_and_gpt_targets_are_shifted_by_one():
    corpus = torch.arange(100)
    W = random_windows(corpus, 7, 5, data_generator(0))
    assert W.shape == (5, 7)
    assert torch.equal(W[:, 1:] - W[:, :-1], torch.ones(5, 6, dtype=torch.long))
    X, Y = gpt_batch(corpus, 6, 4, data_generator(1))
    assert X.shape == Y.shape == (4, 6)
    assert torch.equal(Y, X + 1)  # the token after each input token


def test_windows_are_reproducible_from_the_data_generator():
    corpus = torch.arange(50)
    assert torch.equal(random_windows(corpus, 5, 3, data_generator(2)), random_windows(corpus, 5, 3, data_generator(2)))


def test_windows_reject_a_short_or_2d_corpus():
    with pytest.raises(ValueError, match="no window"):
        random_windows(torch.arange(4), 5, 1, data_generator(0))
    with pytest.raises(ValueError, match="1-D"):
        random_windows(torch.zeros(3, 3, dtype=torch.long), 2, 1, data_generator(0))


# --- BERT's corruption ----------------------------------------------------------------------------

def test_mask_proportions_on_a_big_sample():
    tokens = torch.full((400, 500), 5)  # 200,000 positions of token 5
    X, Y = mask_tokens(tokens, mask_id=V, vocab_size=V, generator=data_generator(3))
    chosen = Y != IGNORE
    assert abs(chosen.float().mean().item() - 0.15) < 0.005
    n = chosen.sum().item()
    as_mask = (X[chosen] == V).sum().item() / n
    changed = ((X[chosen] != 5) & (X[chosen] != V)).sum().item() / n
    kept = (X[chosen] == 5).sum().item() / n
    # a random replacement is one of tokens 1..V-1; 1 in V-1 of them is the original token
    assert abs(as_mask - 0.8) < 0.01
    assert abs(changed - 0.1 * (V - 2) / (V - 1)) < 0.01
    assert abs(kept - (0.1 + 0.1 / (V - 1))) < 0.01
    assert bool((Y[chosen] == 5).all())  # targets are the original tokens
    assert torch.equal(X[~chosen], tokens[~chosen])  # positions not chosen are untouched
    assert not bool((X == 0).any())  # <unk> (index 0) is never a random replacement


def test_mask_id_must_lie_outside_the_vocabulary():
    tokens = torch.randint(1, V, (2, 8))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        mask_tokens(tokens, mask_id=V - 1, vocab_size=V, generator=data_generator(0))
    with pytest.raises(ValueError, match="already contain"):
        mask_tokens(torch.full((2, 8), V), mask_id=V, vocab_size=V, generator=data_generator(0))


def test_bert_batch_shapes():
    X, Y = bert_batch(torch.randint(1, V, (200,)), 8, 6, data_generator(4), mask_id=V, vocab_size=V)
    assert X.shape == Y.shape == (6, 8)


# --- the loss -------------------------------------------------------------------------------------

def test_loss_ignores_positions_that_are_not_scored():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, V)
    Y = torch.full((3, 5), IGNORE)
    Y[0, 1], Y[2, 4] = 3, 7
    other = logits.clone()
    other[Y == IGNORE] = torch.randn(13, V) * 10  # change every unscored position
    assert torch.allclose(lm_loss(logits, Y), lm_loss(other, Y))
    expected = -(torch.log_softmax(logits[0, 1], -1)[3] + torch.log_softmax(logits[2, 4], -1)[7]) / 2
    assert torch.allclose(lm_loss(logits, Y), expected)


def test_loss_refuses_nothing_to_score_and_mismatched_shapes():
    with pytest.raises(ValueError, match="no position"):
        lm_loss(torch.randn(2, 3, V), torch.full((2, 3), IGNORE))
    with pytest.raises(ValueError, match="pair up"):
        lm_loss(torch.randn(2, 3, V), torch.zeros(2, 4, dtype=torch.long))


# --- held-out scoring -----------------------------------------------------------------------------

@pytest.mark.parametrize("stride", [1, 3, 8])
def test_next_token_scores_cover_every_token_once_with_enough_context(stride):
    model = tiny(causal=True).eval()
    corpus = torch.randint(1, V, (45,), generator=data_generator(5))
    nll, correct = next_token_scores(model, corpus, 8, stride, batch_size=4)
    assert nll.shape == correct.shape == (44,)
    # brute force: target k (k >= 8) scored from the 8 tokens before it (stride 1 gives exactly that)
    with torch.no_grad():
        for k in range(8, 45):
            logits = model(corpus[None, k - 8:k])[0, -1]
            if stride == 1:
                assert torch.allclose(nll[k - 1], -torch.log_softmax(logits, -1)[corpus[k]], atol=1e-5)
        # first window: targets 1..8 from the growing prefix
        first = torch.log_softmax(model(corpus[None, :8])[0], -1)  # (8, V)
        assert torch.allclose(nll[:8], -first[torch.arange(8), corpus[1:9]], atol=1e-5)
    ppl = gpt_evaluate(model, corpus, 8, stride)
    assert math.isclose(ppl["test_ppl"], math.exp(nll.mean().item()), rel_tol=1e-5)


def test_next_token_scores_bad_stride():
    with pytest.raises(ValueError, match="stride"):
        next_token_scores(tiny(True), torch.randint(1, V, (30,)), 8, 9)


def test_blank_windows_centre_the_blank_and_stay_inside_the_text():
    corpus = torch.arange(1, 21)
    positions = torch.tensor([0, 3, 10, 19])
    W, cols = blank_windows(corpus, positions, 6, mask_id=99)
    assert W.shape == (4, 6)
    assert cols.tolist() == [0, 3, 3, 5]  # middle (6 // 2 = 3) except at the two ends
    assert bool((W[torch.arange(4), cols] == 99).all())
    assert int((W == 99).sum()) == 4  # one blank per window
    restored = W.clone()
    restored[torch.arange(4), cols] = corpus[positions]
    assert torch.equal(restored[:, 1:] - restored[:, :-1], torch.ones(4, 5, dtype=torch.long))


def test_held_out_positions_skip_position_zero():
    pos = held_out_positions(10_000, data_generator(6))
    assert 0 not in pos.tolist() and abs(len(pos) / 10_000 - 0.15) < 0.02
    assert torch.equal(pos, pos.sort().values)


def test_bert_evaluate_sees_the_right_side_and_a_causal_model_does_not():
    corpus = torch.randint(1, V, (60,), generator=data_generator(7))
    positions = torch.tensor([20, 30])
    changed = corpus.clone()
    changed[[21, 31]] = torch.where(corpus[[21, 31]] == 1, 2, 1)  # change only the right neighbours
    for causal, differs in ((False, True), (True, False)):
        model = tiny(causal, vocab_size=V + 1)
        a = bert_evaluate(model, corpus, positions, 8, mask_id=V)["test_loss"]
        b = bert_evaluate(model, changed, positions, 8, mask_id=V)["test_loss"]
        assert (abs(a - b) > 1e-6) == differs


# --- training -------------------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [True, False])
def test_both_objectives_learn_a_pattern_their_context_determines(causal):
    # "abcdefgh" repeated: the next token follows from the left, a hidden token from either side
    corpus = torch.tensor(VOCAB[list("abcdefgh" * 60)])
    model = init_embedding(tiny(causal, vocab_size=V if causal else V + 1))
    gen = data_generator(8)
    if causal:
        def next_batch():
            return gpt_batch(corpus, 8, 32, gen)

        def evaluate(m):
            return gpt_evaluate(m, corpus, 8, 2)
    else:
        positions = held_out_positions(len(corpus), data_generator(9))

        def next_batch():
            return bert_batch(corpus, 8, 32, gen, mask_id=V, vocab_size=V)

        def evaluate(m):
            return bert_evaluate(m, corpus, positions, 8, mask_id=V)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = train_lm(model, next_batch, optimizer, 150, eval_every=50, evaluate=evaluate)
    assert len(history) == 3 and history.metric("step") == [50, 100, 150]
    assert history.final["test_acc"] > 0.95
    assert history.final["train_loss"] < history.records[0]["train_loss"]
    assert {"train_loss", "train_acc", "lr", "seconds", "examples_per_sec", "test_loss"} <= set(history.final)


def test_train_lm_rejects_bad_counts():
    with pytest.raises(ValueError, match="positive"):
        train_lm(tiny(True), lambda: None, torch.optim.SGD(tiny(True).parameters(), lr=0.1), 0, eval_every=1)


def test_init_embedding_sets_the_scale():
    model = init_embedding(TransformerLM(LMConfig(vocab_size=500, num_hiddens=64)), scale=0.1)
    scaled = model.embedding.weight * math.sqrt(64)
    assert abs(scaled.std().item() - 0.1) < 0.01


# --- generation and filling -----------------------------------------------------------------------

def test_generate_crops_to_the_block_and_is_reproducible():
    model = tiny(causal=True, block_size=4)
    out = gpt_generate(model, VOCAB, "abcdefg", 10, temperature=1.0, generator=data_generator(1))
    assert out.startswith("abcdefg") and len(out) == 17  # longer than block_size: the context was cropped
    assert "<unk>" not in out
    assert out == gpt_generate(model, VOCAB, "abcdefg", 10, temperature=1.0, generator=data_generator(1))
    greedy = gpt_generate(model, VOCAB, "ab", 5, temperature=0)
    assert greedy == gpt_generate(model, VOCAB, "ab", 5, temperature=0)


def test_unknown_characters_raise_one_clear_error():
    with pytest.raises(ValueError, match=r"outside the vocabulary: \['3', 'z'\]"):
        gpt_generate(tiny(True), VOCAB, "ab3z", 2)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        bert_fill(tiny(False, vocab_size=V + 1), VOCAB, "a_z", mask_id=V)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        encode_text(VOCAB, "xyz")


def test_generation_needs_a_causal_model_and_fill_a_short_text():
    with pytest.raises(ValueError, match="causal"):
        gpt_generate(tiny(False), VOCAB, "ab", 2)
    with pytest.raises(ValueError, match="block_size"):
        bert_fill(tiny(False, vocab_size=V + 1), VOCAB, "abcdefgh_", mask_id=V)
    with pytest.raises(ValueError, match="first character"):
        gpt_fill(tiny(True), VOCAB, "_abc")


@pytest.mark.parametrize("one_pass", [False, True])
def test_fill_replaces_only_the_blanks(one_pass):
    text = "ab_d_f"
    out = bert_fill(tiny(False, vocab_size=V + 1), VOCAB, text, mask_id=V, one_pass=one_pass)
    assert len(out) == len(text) and "_" not in out
    assert all(o == t for o, t in zip(out, text, strict=True) if t != "_")
    left = gpt_fill(tiny(True), VOCAB, text)
    assert len(left) == len(text) and all(o == t for o, t in zip(left, text, strict=True) if t != "_")
