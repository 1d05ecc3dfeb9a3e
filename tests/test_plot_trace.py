"""dlnotes.plot.show_trace_2d / show_trace_1d: contours or a curve, one line per trajectory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlnotes.plot import show_trace_1d, show_trace_2d


def quadratic(x1, x2):
    return x1**2 + 4 * x2**2


def test_one_panel_one_line_per_trace_and_a_legend():
    traces = {"η=0.1": [(2.0, 1.0), (1.6, 0.2), (1.28, 0.04)], "η=0.2": np.array([[2.0, 1.0], [1.2, -0.6]])}
    fig = show_trace_2d(quadratic, traces, optimum=(0, 0))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # the contours and the star are collections, not lines
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [2.0, 1.6, 1.28])
    assert ax.lines[0].get_marker() == "o"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["η=0.1", "η=0.2"]
    lo, hi = ax.get_xlim()  # default bounds: all points (optimum included) plus a margin
    assert lo < 0 and hi > 2
    assert fig._repr_svg_().startswith("<?xml")


def test_single_trace_tensor_limits_and_torch_only_function():
    trace = torch.tensor([[1.0, 1.0], [0.5, 0.25]])
    fig = show_trace_2d(lambda a, b: torch.exp(a) + b**2, trace, xlim=(-3, 3), ylim=(-2, 2))
    ax = fig.axes[0]
    assert len(ax.lines) == 1 and ax.get_legend() is None
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-2.0, 2.0)
    fig = show_trace_2d(quadratic, [torch.tensor([1.0, 2.0]), torch.tensor([0.5, 1.0])])  # list of tensors
    assert len(fig.axes[0].lines) == 1


def test_separate_panels_share_limits_and_carry_the_labels():
    traces = {f"η={lr}": [(1.0, 1.0), (1 - lr, 1 - 4 * lr)] for lr in (0.05, 0.1, 0.3)}
    fig = show_trace_2d(quadratic, traces, separate=True)
    assert len(fig.axes) == 3 and all(len(ax.lines) == 1 for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes] == list(traces)
    assert len({ax.get_xlim() for ax in fig.axes}) == 1
    fig = show_trace_2d(quadratic, traces, separate=True, ncols=2)
    assert len(fig.axes) == 3  # a 2×2 grid with the unused fourth panel removed


def test_trace_1d_draws_the_curve_and_one_line_per_trace():
    xs = {"慢": [3.0, 2.7, 2.43], "快": [3.0, -1.0, 0.2]}
    fig = show_trace_1d(lambda x: x**2, xs)
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and len(ax.lines) == 3  # the curve + two trajectories
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [9.0, 1.0, 0.04])
    fig = show_trace_1d(np.cos, xs, separate=True)
    assert len(fig.axes) == 2 and all(len(a.lines) == 2 for a in fig.axes)
    assert len(show_trace_1d(np.sin, torch.linspace(0, 1, 5)).axes[0].lines) == 2


def test_bad_input_fails_loudly():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        show_trace_2d(quadratic, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        show_trace_2d(quadratic, {"a": [(1.0, 2.0, 3.0)]})
    with pytest.raises(ValueError, match="empty dict"):
        show_trace_2d(quadratic, {})
    with pytest.raises(ValueError, match="'b' is empty"):
        show_trace_2d(quadratic, {"a": [(1.0, 1.0)], "b": []})
    with pytest.raises(ValueError, match="diverged"):
        show_trace_2d(quadratic, [(1.0, 1.0), (np.inf, 0.0)])
    with pytest.raises(ValueError, match="xlim"):
        show_trace_2d(quadratic, [(1.0, 1.0)], xlim=(2, 1))
    with pytest.raises(ValueError, match="optimum"):
        show_trace_2d(quadratic, [(1.0, 1.0)], optimum=(0, 0, 0))
    with pytest.raises(ValueError, match="vectorised"):
        show_trace_2d(lambda a, b: 1.0, [(1.0, 1.0)])
    with pytest.raises(ValueError, match="vectorised"):
        import math

        show_trace_1d(math.exp, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"\(n,\)"):
        show_trace_1d(np.sin, [(1.0, 2.0)])
