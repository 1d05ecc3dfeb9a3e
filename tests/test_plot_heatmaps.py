"""dlnotes.plot.show_heatmaps: a grid of heatmaps, one colour scale, one colorbar, optional words."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlnotes.plot import show_heatmaps


def _panels(fig):
    return [ax for ax in fig.axes if ax.images]


def test_one_panel_per_matrix_and_one_shared_colorbar():
    fig = show_heatmaps(torch.rand(2, 3, 4, 5), "键", "查询", titles=["a", "b", "c"])
    assert isinstance(fig, Figure) and fig.display_format == "svg"
    panels = _panels(fig)
    assert len(panels) == 6 and len(fig.axes) == 7  # six heatmaps + one colorbar
    assert [ax.get_title() for ax in panels[:3]] == ["a", "b", "c"]
    assert all(ax.get_title() == "" for ax in panels[3:])
    assert [ax.get_xlabel() for ax in panels] == ["", "", "", "键", "键", "键"]
    assert [ax.get_ylabel() for ax in panels] == ["查询", "", "", "查询", "", ""]
    assert len({ax.images[0].get_clim() for ax in panels}) == 1  # one colour scale
    assert fig._repr_svg_().startswith("<?xml")


def test_the_colour_scale_is_shared_across_panels():
    m = np.zeros((1, 2, 3, 3))
    m[0, 1] = 4.0
    fig = show_heatmaps(m, "k", "q")
    assert {ax.images[0].get_clim() for ax in _panels(fig)} == {(0.0, 4.0)}
    np.testing.assert_array_equal(_panels(fig)[1].images[0].get_array(), m[0, 1])


def test_tick_labels_show_the_words_and_titles_can_name_every_panel():
    src, tgt = ["i", "am", "home", "<eos>"], ["je", "suis", "chez", "moi", "<eos>"]
    fig = show_heatmaps(torch.rand(2, 1, 5, 4), "源", "目标", titles=["头 1", "头 2"],
                        xticklabels=src, yticklabels=tgt)
    top, bottom = _panels(fig)
    assert [t.get_text() for t in bottom.get_xticklabels()] == src  # words under the bottom row
    assert [t.get_text() for t in top.get_yticklabels()] == tgt
    assert [t.get_text() for t in bottom.get_yticklabels()] == tgt
    assert (top.get_title(), bottom.get_title()) == ("头 1", "头 2")
    assert bottom.get_xticklabels()[0].get_rotation() == 90  # "<eos>" is long: labels turn
    fig = show_heatmaps(torch.rand(1, 1, 2, 2), "键", "查询", xticklabels=["苹果", "柠檬"])
    assert _panels(fig)[0].get_xticklabels()[0].get_rotation() == 0  # short labels stay upright


def test_large_matrices_are_shown_as_png():
    fig = show_heatmaps(torch.rand(1, 1, 80, 80), "k", "q")
    assert fig.display_format == "png" and fig._repr_png_()[:4] == b"\x89PNG"


def test_bad_input_fails_loudly():
    with pytest.raises(ValueError, match="4-D"):
        show_heatmaps(torch.eye(3)[None], "k", "q")
    with pytest.raises(ValueError, match="titles"):
        show_heatmaps(torch.rand(1, 2, 3, 3), "k", "q", titles=["only one", "two", "three"])
    with pytest.raises(ValueError, match="xticklabels.*one string per key"):
        show_heatmaps(torch.rand(1, 1, 3, 4), "k", "q", xticklabels=["a", "b", "c"])
    with pytest.raises(ValueError, match="yticklabels.*one string per query"):
        show_heatmaps(torch.rand(1, 1, 3, 4), "k", "q", yticklabels=["a"])
