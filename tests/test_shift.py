"""Covariate-shift demo: importance weighting helps on the target distribution."""

import pytest
import torch

from dlnotes.recipes.shift import (
    accuracy_of,
    fit_logistic,
    importance_weights,
    label_rule,
    shifted_data,
)


def test_shifted_data_shares_the_labelling_rule():
    X_s, y_s, X_t, y_t = shifted_data(n=500)
    assert X_s.shape == (500, 2) and y_t.shape == (500,)
    assert X_t[:, 0].mean().item() > X_s[:, 0].mean().item() + 1.0
    torch.testing.assert_close(y_t, label_rule(X_t))


def test_importance_weighting_improves_target_accuracy():
    torch.manual_seed(0)
    X_s, y_s, X_t, y_t = shifted_data(n=1000)
    plain = fit_logistic(X_s, y_s)
    beta = importance_weights(X_s, X_t)
    assert beta.shape == y_s.shape and beta.max() <= 20
    weighted = fit_logistic(X_s, y_s, weights=beta)
    assert accuracy_of(weighted, X_t, y_t) > accuracy_of(plain, X_t, y_t) + 0.1


def test_fit_logistic_rejects_misshaped_weights():
    X, y = torch.randn(4, 2), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ValueError, match="weights"):
        fit_logistic(X, y, weights=torch.ones(3))
