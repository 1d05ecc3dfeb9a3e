"""dlnotes.plot.show_batch_positions: one box per run of positions a batch row reads."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlnotes.plot import show_batch_positions


def test_one_box_and_one_label_per_run_and_a_panel_per_layout():
    layout = np.array([[-1, 0, 0, 1, 1, -1], [1, -1, -1, 0, 0, 0]])
    fig = show_batch_positions([layout, layout[:1]], ["a", "b"])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == 4 and sorted(t.get_text() for t in ax.texts) == ["0", "0", "1", "1"]
    assert ax.get_title() == "a" and len(fig.axes[1].texts) == 2
    assert fig._repr_svg_().startswith("<?xml")


def test_layouts_must_be_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        show_batch_positions([np.zeros(5)])
    with pytest.raises(ValueError, match="non-empty"):
        show_batch_positions([])
