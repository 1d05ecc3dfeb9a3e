"""RoI pooling and RoI align (dlnotes.layers.roi) against onnxruntime's MaxRoiPool and RoiAlign.

torchvision.ops cannot be loaded here; onnxruntime implements the same operators with the same
conventions (``RoiAlign`` opset 16: ``coordinate_transformation_mode="half_pixel"`` is
torchvision's ``aligned=True``). Gradients of RoI align are checked with ``gradcheck``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlnotes.layers.roi import roi_align, roi_pool, roi_pool_bins


def _session(node, inputs, opset: int):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    graph = helper.make_graph([node], "roi", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _onnx_roi_pool(x, rois, output_size, spatial_scale):
    from onnx import TensorProto, helper

    node = helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=list(output_size),
                            spatial_scale=spatial_scale)
    sess = _session(node, [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)], 16)
    return sess.run(None, {"X": x.numpy(), "rois": rois.numpy()})[0]


def _onnx_roi_align(x, rois, output_size, spatial_scale, sampling_ratio, aligned):
    from onnx import TensorProto, helper

    node = helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"], mode="avg",
                            output_height=output_size[0], output_width=output_size[1],
                            sampling_ratio=sampling_ratio, spatial_scale=spatial_scale,
                            coordinate_transformation_mode="half_pixel" if aligned else "output_half_pixel")
    sess = _session(node, [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("rois", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("batch_indices", TensorProto.INT64, None)], 16)
    return sess.run(None, {"X": x.numpy(), "rois": rois[:, 1:].numpy().copy(),
                           "batch_indices": rois[:, 0].long().numpy()})[0]


def _random_rois(k: int, g: torch.Generator, batch: int, extent: float) -> torch.Tensor:
    xy = torch.rand(k, 2, generator=g) * extent * 1.1 - extent * 0.1   # some boxes stick out
    wh = torch.rand(k, 2, generator=g) * extent * 0.6
    idx = torch.randint(0, batch, (k, 1), generator=g).float()
    return torch.cat((idx, xy, xy + wh), dim=1)


def test_roi_pool_d2l_example():
    X = torch.arange(16.0).reshape(1, 1, 4, 4)
    rois = torch.tensor([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]], dtype=torch.float32)
    out = roi_pool(X, rois, output_size=(2, 2), spatial_scale=0.1)
    torch.testing.assert_close(out, torch.tensor([[[[5.0, 6.0], [9.0, 10.0]]], [[[9.0, 11.0], [13.0, 15.0]]]]))


def test_roi_pool_bins_overlap_when_the_box_does_not_divide():
    bins = roi_pool_bins([0, 0, 20, 20], 2, 0.1, (4, 4))  # 3x3 feature pixels into 2x2 bins
    assert bins == [[(0, 2, 0, 2), (0, 2, 1, 3)], [(1, 3, 0, 2), (1, 3, 1, 3)]]
    outside = roi_pool_bins([0, 0, 7, 3], (1, 2), 1.0, (2, 4))  # box wider and taller than the map
    assert outside == [[(0, 2, 0, 4), (0, 2, 4, 4)]]  # the right bin is empty (0 in roi_pool)
    x = torch.ones(1, 1, 2, 4)
    torch.testing.assert_close(roi_pool(x, torch.tensor([[0.0, 0, 0, 7, 3]]), (1, 2)), torch.tensor([[[[1.0, 0.0]]]]))


@pytest.mark.parametrize("output_size, spatial_scale", [((2, 2), 1.0), ((3, 4), 0.5), ((7, 7), 1 / 16)])
def test_roi_pool_matches_onnxruntime(output_size, spatial_scale):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 11, 13, generator=g)
    rois = _random_rois(20, g, 2, 13 / spatial_scale)
    rois[0, 1:] = torch.tensor([2.5, 1.5, 7.5, 3.5]) / spatial_scale  # halves: C rounds away from zero
    expected = _onnx_roi_pool(x, rois, output_size, spatial_scale)
    torch.testing.assert_close(roi_pool(x, rois, output_size, spatial_scale), torch.from_numpy(expected))


@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("output_size, spatial_scale, sampling_ratio",
                         [((2, 2), 1.0, 2), ((3, 4), 0.5, 0), ((7, 7), 1 / 16, -1), ((5, 3), 0.25, 3)])
def test_roi_align_matches_onnxruntime(output_size, spatial_scale, sampling_ratio, aligned):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 11, 13, generator=g)
    rois = _random_rois(20, g, 2, 13 / spatial_scale)
    rois[1, 1:] = torch.tensor([3.0, 3.0, 3.2, 3.1]) / spatial_scale  # smaller than a pixel
    expected = _onnx_roi_align(x, rois, output_size, spatial_scale, max(sampling_ratio, 0), aligned)
    got = roi_align(x, rois, output_size, spatial_scale, sampling_ratio, aligned)
    torch.testing.assert_close(got, torch.from_numpy(expected), atol=1e-5, rtol=1e-5)


def test_roi_align_gradients():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 2, 6, 7, generator=g, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0, 0.3, 0.7, 4.2, 5.1], [1, -0.8, 1.0, 3.0, 2.5], [1, 2.0, 2.0, 6.9, 5.9]],
                        dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: roi_align(f, rois, (3, 2), 1.0, 2, True), (x,))
    assert torch.autograd.gradcheck(lambda f: roi_align(f, rois, (2, 3), 0.5, -1, False), (x,))


def test_roi_pool_gradient_goes_to_the_maxima():
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(3), requires_grad=True)
    roi_pool(x, torch.tensor([[0.0, 0, 0, 3, 3]]), (2, 2)).sum().backward()
    grad = x.grad[0, 0]
    assert grad.sum() == 4 and set(grad.unique().tolist()) <= {0.0, 1.0}
    for r, c in grad.nonzero().tolist():  # each marked pixel is the maximum of its 2x2 quarter
        q = x[0, 0, r // 2 * 2:r // 2 * 2 + 2, c // 2 * 2:c // 2 * 2 + 2]
        assert x[0, 0, r, c] == q.max()


def test_constant_map_gives_constant_output_inside():
    x = torch.full((1, 4, 8, 8), 2.5)
    rois = torch.tensor([[0.0, 1, 1, 6, 6]])
    torch.testing.assert_close(roi_align(x, rois, 3), torch.full((1, 4, 3, 3), 2.5))
    torch.testing.assert_close(roi_pool(x, rois, 3), torch.full((1, 4, 3, 3), 2.5))


def test_bad_rois_raise():
    x = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match=r"\(K, 5\)"):
        roi_pool(x, torch.zeros(1, 4), 2)
    with pytest.raises(ValueError, match="x2 < x1"):
        roi_align(x, torch.tensor([[0.0, 3, 0, 1, 2]]), 2)
    with pytest.raises(ValueError, match="batch indices"):
        roi_align(x, torch.tensor([[2.0, 0, 0, 1, 2]]), 2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        roi_pool(x[0], torch.tensor([[0.0, 0, 0, 1, 2]]), 2)
    with pytest.raises(ValueError, match="output_size"):
        roi_pool(x, torch.tensor([[0.0, 0, 0, 1, 2]]), 0)
    assert np.array_equal(roi_align(x, torch.zeros(0, 5), 2).shape, (0, 1, 2, 2))
