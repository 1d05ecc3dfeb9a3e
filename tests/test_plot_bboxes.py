import numpy as np
import pytest
import torch

from dlnotes.plot import show_bboxes, show_images


def test_show_bboxes_draws_one_rectangle_and_tag_per_box():
    fig = show_images([torch.zeros(3, 20, 30)], 1, 1)
    ax = fig.axes[0]
    before = len(ax.patches)
    show_bboxes(ax, torch.tensor([[1.0, 2.0, 10.0, 12.0], [5.0, 5.0, 25.0, 18.0]]), labels=["狗", "猫"],
                colors=["tab:blue", "w"])
    rects = ax.patches[before:]
    assert len(rects) == 2
    assert rects[0].get_xy() == (1.0, 2.0) and rects[0].get_width() == 9.0 and rects[0].get_height() == 10.0
    assert [t.get_text() for t in ax.texts] == ["狗", "猫"]
    assert ax.texts[1].get_color() == "black"  # white tag gets dark text
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_show_bboxes_checks_its_arguments():
    fig = show_images([np.zeros((8, 8))], 1, 1)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        show_bboxes(fig.axes[0], [[1, 2, 3]])
    with pytest.raises(ValueError, match="one string per box"):
        show_bboxes(fig.axes[0], [[1, 2, 3, 4]], labels=["a", "b"])
