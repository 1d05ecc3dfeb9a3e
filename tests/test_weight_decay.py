"""Weight decay shrinks ‖w‖ and lowers the test loss; scratch and concise agree in trend."""

import pytest
import torch

from dlnotes.recipes.weight_decay import WeightDecayConfig, l2_penalty, train_weight_decay


def test_l2_penalty_is_half_squared_norm():
    assert l2_penalty(torch.tensor([3.0, 4.0])).item() == pytest.approx(12.5)


@pytest.mark.parametrize("concise", [False, True])
def test_weight_decay_shrinks_weights_and_test_loss(concise):
    config = WeightDecayConfig()
    torch.manual_seed(0)
    h0, norm0 = train_weight_decay(0.0, config, concise=concise)
    torch.manual_seed(0)
    h3, norm3 = train_weight_decay(3.0, config, concise=concise)
    assert norm3 < norm0 / 5
    assert h3.final["test_loss"] < h0.final["test_loss"]
