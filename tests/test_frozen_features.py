"""recipes.frozen_features: pooled features and the cross-validated head."""

import math

import pytest
import torch
from torch import nn

from dlnotes.recipes.frozen_features import cross_validate_head, pooled_features


class _Toy(nn.Module):
    def features(self, X, taps):
        return {"a": X * 2, "b": X[:, :1] + 1}


def test_pooled_features_are_channel_means_of_the_taps():
    X = torch.rand(7, 3, 8, 8)
    out = pooled_features(_Toy(), X, 8, ["a", "b"], batch_size=3)
    expected = torch.cat([(X * 2).mean((2, 3)), (X[:, :1] + 1).mean((2, 3))], 1)
    torch.testing.assert_close(out, expected)


def test_cv_beats_chance_on_separable_features_and_is_deterministic():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(60) % 3
    features = torch.randn(60, 5, generator=g) * 0.3
    features[torch.arange(60), y] += 3.0  # class c lights up feature c
    r1 = cross_validate_head(features, y, 3, k=5, hidden=16, weight_decay=0.01, lr=1e-2, steps=200)
    r2 = cross_validate_head(features, y, 3, k=5, hidden=16, weight_decay=0.01, lr=1e-2, steps=200)
    assert r1.log_loss == r2.log_loss and r1.accuracy == r2.accuracy
    assert r1.mean_log_loss < 0.5 * math.log(3) and r1.mean_accuracy > 0.9
    noise = cross_validate_head(torch.randn(60, 5, generator=g), y, 3, k=5)
    assert noise.mean_log_loss > 0.9 * math.log(3)  # no signal: about chance


def test_bad_input_raises():
    with pytest.raises(ValueError, match="equal folds"):
        cross_validate_head(torch.randn(10, 2), torch.zeros(10, dtype=torch.long), 2, k=3)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        cross_validate_head(torch.randn(10, 2, 2), torch.zeros(10, dtype=torch.long), 2)
