"""The chapter 6–7 CNNs: both profiles build, and the ``full`` (d2l) settings run on one tiny batch."""

import pytest
import torch

from dlnotes.models.alexnet import ALEXNET_CPU, ALEXNET_D2L, AlexNet
from dlnotes.models.densenet import DENSENET_CPU, DENSENET_D2L, DenseNet
from dlnotes.models.googlenet import GOOGLENET_CPU, GOOGLENET_D2L, GoogLeNet
from dlnotes.models.lenet import lenet, lenet_bn, lenet_bn_scratch, lenet_relu
from dlnotes.models.nin import NIN_CPU, NIN_D2L, NiN
from dlnotes.models.resnet import RESNET18_CPU, RESNET18_D2L, ResNet
from dlnotes.models.vgg import VGG, VGG_CPU, VGG_D2L

CASES = [
    (AlexNet, ALEXNET_D2L), (AlexNet, ALEXNET_CPU), (VGG, VGG_D2L), (VGG, VGG_CPU),
    (NiN, NIN_D2L), (NiN, NIN_CPU), (GoogLeNet, GOOGLENET_D2L), (GoogLeNet, GOOGLENET_CPU),
    (ResNet, RESNET18_D2L), (ResNet, RESNET18_CPU), (DenseNet, DENSENET_D2L),
    (DenseNet, DENSENET_CPU),
]


@pytest.mark.parametrize("cls,config", CASES, ids=[f"{c.__name__}-{k.image_size}" for c, k in CASES])
def test_both_profiles_map_images_to_logits(cls, config):
    torch.manual_seed(0)
    net = cls(config).eval()
    with torch.no_grad():
        y = net(torch.rand(1, 1, config.image_size, config.image_size))
    assert y.shape == (1, 10)
    assert torch.isfinite(y).all()


def test_full_profile_resnet_takes_a_training_step():
    net = ResNet(RESNET18_D2L)
    X, y = torch.rand(2, 1, 96, 96), torch.tensor([0, 1])
    torch.nn.functional.cross_entropy(net(X), y).backward()
    assert all(p.grad is not None for p in net.parameters())


def test_lenet_bn_twins_agree_with_shared_weights():
    torch.manual_seed(0)
    scratch, concise = lenet_bn_scratch(), lenet_bn()
    for a, b in zip(scratch, concise, strict=True):
        if isinstance(b, (torch.nn.Conv2d, torch.nn.Linear)):
            a.load_state_dict(b.state_dict())
    X = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(scratch(X), concise(X))
    scratch.eval()
    concise.eval()
    torch.testing.assert_close(scratch(X), concise(X))


def test_lenet_output_shape():
    assert lenet()(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_lenet_relu_differs_from_lenet_only_in_activation_and_pooling():
    relu, sigmoid = lenet_relu(), lenet()
    assert relu(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    assert [p.shape for p in relu.parameters()] == [p.shape for p in sigmoid.parameters()]
    kinds = {type(m) for m in relu}
    assert torch.nn.ReLU in kinds and torch.nn.MaxPool2d in kinds
    assert torch.nn.Sigmoid not in kinds and torch.nn.AvgPool2d not in kinds
