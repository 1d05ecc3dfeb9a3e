"""dlnotes.plot.show_surface (3-D surface + contour map) and show_regions (sets in the plane)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlnotes.plot import show_regions, show_surface


def _saddle(n=21, m=17):
    x, y = torch.linspace(-1, 1, n), torch.linspace(-2, 2, m)
    X, Y = torch.meshgrid(x, y, indexing="xy")  # (m, n)
    return x, y, X**2 - Y**2


def test_surface_has_a_3d_panel_and_a_contour_panel_and_marks_the_points():
    x, y, z = _saddle()
    fig = show_surface(x, y, z, points={"鞍点": (0.0, 0.0), "别处": (0.5, 1.0)}, zlabel="f", title="t")
    assert isinstance(fig, Figure) and fig.display_format == "png"
    ax3d, ax2d = fig.axes[:2]
    assert ax3d.name == "3d" and ax2d.name == "rectilinear"
    assert ax3d.get_zlabel() == "f"
    assert [t.get_text() for t in ax2d.get_legend().get_texts()] == ["鞍点", "别处"]
    marks = [line for line in ax2d.lines if line.get_marker() == "o"]
    assert [tuple(line.get_xydata()[0]) for line in marks] == [(0.0, 0.0), (0.5, 1.0)]
    assert fig._repr_png_()[:4] == b"\x89PNG" and fig._repr_svg_() is None


def test_surface_rejects_a_grid_in_the_wrong_order():
    x, y, z = _saddle()
    with pytest.raises(ValueError, match=r"\(len\(y\), len\(x\)\) = \(17, 21\)"):
        show_surface(x, y, z.T)
    with pytest.raises(ValueError, match="1-D"):
        show_surface(z, y, z)


def _disk(x, y, cx, r=1.0):
    X, Y = np.meshgrid(x, y)
    return (X - cx) ** 2 + Y**2 <= r**2


def test_regions_one_panel_per_entry_overlays_and_segments():
    x = y = np.linspace(-2, 2, 81)
    a, b = _disk(x, y, -0.4), _disk(x, y, 0.4)
    fig = show_regions(x, y, [[a, b], a & b, a | b], titles=["两个圆", "交", "并"],
                       segments=[None, [], [((-1.3, 0.5), (1.3, 0.5))]])
    assert isinstance(fig, Figure) and fig.display_format == "svg"
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["两个圆", "交", "并"]
    assert len(axes[0].collections) == 4  # two fills and two outlines
    assert len(axes[1].lines) == 0
    segment = axes[2].lines[0].get_xydata()
    np.testing.assert_allclose(segment, [[-1.3, 0.5], [1.3, 0.5]])
    assert axes[2].get_xlim() == (-2.0, 2.0)
    assert fig._repr_svg_().startswith("<?xml")


def test_an_empty_mask_draws_nothing_and_bad_arguments_fail_clearly():
    x = y = np.linspace(-1, 1, 11)
    empty = np.zeros((11, 11), dtype=bool)
    assert len(show_regions(x, y, [empty]).axes[0].collections) == 0
    with pytest.raises(ValueError, match="one string per panel"):
        show_regions(x, y, [empty, empty], titles=["a"])
    with pytest.raises(ValueError, match="one list"):
        show_regions(x, y, [empty], segments=[None, None])
    with pytest.raises(ValueError, match=r"\(11, 11\)"):
        show_regions(x, y, [np.zeros((5, 11))])
    with pytest.raises(ValueError, match="empty"):
        show_regions(x, y, [])
