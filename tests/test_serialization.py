"""Saving and loading (§5.5): state_dict round trips give identical outputs."""

import pytest
import torch
from torch import nn

from dlnotes.models.mlp import MLP, DropoutMLP


@pytest.mark.parametrize("factory", [MLP, DropoutMLP])
def test_state_dict_round_trip_gives_identical_outputs(tmp_path, factory):
    torch.manual_seed(0)
    net = factory().eval()
    X = torch.randn(3, 1, 28, 28)
    torch.save(net.state_dict(), tmp_path / "params.pt")
    torch.manual_seed(1)
    clone = factory().eval()
    assert not torch.equal(clone(X), net(X))  # fresh parameters differ
    clone.load_state_dict(torch.load(tmp_path / "params.pt"))
    assert torch.equal(clone(X), net(X))


def test_tensor_containers_round_trip(tmp_path):
    data = {"x": torch.arange(4), "y": [torch.zeros(2), torch.ones(3)]}
    torch.save(data, tmp_path / "d.pt")
    loaded = torch.load(tmp_path / "d.pt")
    assert torch.equal(loaded["x"], data["x"]) and torch.equal(loaded["y"][1], data["y"][1])


def test_loading_into_a_different_architecture_fails_clearly(tmp_path):
    torch.save(nn.Linear(4, 2).state_dict(), tmp_path / "p.pt")
    with pytest.raises(RuntimeError, match="size mismatch"):
        nn.Linear(4, 3).load_state_dict(torch.load(tmp_path / "p.pt"))
