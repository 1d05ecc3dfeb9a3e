"""What a dlnotes.plot figure drew, read back from the figure: its data, its alt text, its file."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch

from dlnotes.history import History
from dlnotes.plot import (
    FIGURE_MIME,
    NotebookFigure,
    describe_figure,
    figure_alt_text,
    plot,
    plot_history,
    show_bboxes,
    show_heatmaps,
    show_images,
    show_trace_2d,
)


def _history(epochs: int = 10) -> History:
    return History([{"epoch": e, "train_loss": 1.0 / e + 0.0123456789, "train_acc": 0.5 + e / 30,
                     "test_acc": 0.5 + e / 31, "seconds": 1.0, "examples_per_sec": 1.0}
                    for e in range(1, epochs + 1)])


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))


def test_two_named_curves_give_both_series_with_their_data_and_names_in_the_alt_text():
    x = torch.linspace(-3, 3, 7)
    fig = plot(x, [torch.relu(x), torch.sigmoid(x)], xlabel="x", ylabel="f(x)", legend=["ReLU", "sigmoid"])
    (panel,) = describe_figure(fig)["axes"]
    assert [s["label"] for s in panel["lines"]] == ["ReLU", "sigmoid"]
    assert panel["lines"][0]["x"] == [-3, -2, -1, 0, 1, 2, 3] and panel["lines"][0]["y"][-1] == 3
    assert panel["lines"][1]["y"][-1] == pytest.approx(float(torch.sigmoid(torch.tensor(3.0))))
    assert panel["xlabel"] == "x" and panel["ylabel"] == "f(x)" and panel["yscale"] == "linear"
    alt = figure_alt_text(describe_figure(fig))
    assert alt == "折线图：横轴 x（−3 到 3）；纵轴 f(x)（0–3）；2 条曲线：ReLU、sigmoid"


def test_data_is_stored_to_seven_significant_digits():
    fig = plot(torch.tensor([0.1, 0.2, 0.3]), [torch.tensor([0.3, 0.6, 0.9])])
    line = describe_figure(fig)["axes"][0]["lines"][0]
    assert line["x"] == [0.1, 0.2, 0.3] and line["y"] == [0.3, 0.6, 0.9]  # not 0.30000001192092896
    history = _history(3)
    curve = describe_figure(plot_history(history))["axes"][0]["lines"][0]
    assert curve["y"] == [float(f"{v:.7g}") for v in history.metric("train_loss")]
    assert curve["y"][0] == 1.012346


def test_training_curves_alt_text_gives_the_axis_and_every_final_value():
    history = _history(10)
    description = describe_figure(plot_history(history))
    assert description["kind"] == "history"
    alt = figure_alt_text(description)
    final = history.final
    assert alt == (f"训练曲线：横轴 epoch（1–10）；train loss 最终 {final['train_loss']:.3g}，"
                   f"train acc 最终 {final['train_acc']:.3g}，test acc 最终 {final['test_acc']:.3g}")
    assert "对数刻度" in figure_alt_text(describe_figure(plot_history(history, yscale="log")))


def test_an_image_grid_lists_its_titles_and_stores_no_pixels():
    titles = [f"真: T恤\n预测: 衬衫{i}" for i in range(12)]
    description = describe_figure(show_images(torch.rand(12, 28, 28), 2, 6, titles=titles))
    assert description["kind"] == "images" and len(description["axes"]) == 12
    assert all(p["images"][0]["shape"] == [28, 28] and "values" not in p["images"][0]
               for p in description["axes"])
    alt = figure_alt_text(description)
    assert alt.startswith("12 张图（每张 28×28 灰度）：真: T恤 / 预测: 衬衫0、真: T恤 / 预测: 衬衫1、")
    assert "衬衫7 等 12 个" in alt and "衬衫8" not in alt  # a long list is cut
    small = figure_alt_text(describe_figure(show_images(torch.rand(3, 3, 8, 8), 2, 2, titles=["猫", "狗", "鸟"])))
    assert small == "3 张图（每张 8×8 彩色）：猫、狗、鸟"  # the unused fourth cell is not a picture


def test_boxes_drawn_on_an_image_are_counted_with_their_labels():
    fig = show_images(torch.rand(1, 3, 20, 20), 1, 1, scale=4)
    show_bboxes(fig.axes[0], torch.tensor([[1.0, 1, 5, 5], [2, 2, 8, 8]]), labels=["dog", "cat"])
    assert figure_alt_text(describe_figure(fig)) == "1 张图（每张 20×20 彩色）；图上 2 个框：dog、cat"


def test_a_heatmap_gives_its_shape_values_and_word_labels():
    m = torch.arange(12.0).reshape(1, 1, 3, 4) / 11
    fig = show_heatmaps(m, "键", "查询", titles=["注意力"], xticklabels=["i", "am", "home", "."],
                        yticklabels=["je", "suis", "chez"])
    description = describe_figure(fig)
    assert description["kind"] == "heatmaps" and len(description["axes"]) == 1  # no colorbar
    (panel,) = description["axes"]
    image = panel["images"][0]
    assert image["shape"] == [3, 4] and image["vmin"] == 0 and image["vmax"] == 1
    np.testing.assert_allclose(np.array(image["values"], dtype=float), m[0, 0].numpy(), rtol=1e-6)
    assert panel["xticklabels"] == ["i", "am", "home", "."] and panel["yticklabels"] == ["je", "suis", "chez"]
    assert figure_alt_text(description) == ("热力图，每幅 3 行 4 列；横轴 键，纵轴 查询；数值 0–1；标题：注意力；"
                                            "横轴标签：i、am、home、.；纵轴标签：je、suis、chez")


def test_other_figures_are_described_panel_by_panel_with_tex_read_as_text():
    fig = show_trace_2d(lambda a, b: a**2 + 2 * b**2, {"梯度下降": [(-5, -2), (-3, -1), (-1, 0)]},
                        optimum=(0, 0))
    assert figure_alt_text(describe_figure(fig)) == (
        "图：等高线；横轴 x1（−5 到 0）；纵轴 x2（−2 到 0）；1 条曲线：梯度下降；1 个散点")
    by_hand = NotebookFigure(figsize=(4, 2))
    for ax, name in zip(by_hand.subplots(1, 2), ["甲", "乙"], strict=True):
        ax.plot([1, 2], [3, 4], label=name)
        ax.set_title(name)
    assert figure_alt_text(describe_figure(by_hand)) == (
        "2 个子图。子图 1「甲」：横轴（1–2）；纵轴（3–4）；1 条曲线：甲。子图 2「乙」：横轴（1–2）；纵轴（3–4）；1 条曲线：乙")


def test_a_figure_without_axes_is_refused_and_shows_without_a_description():
    empty = NotebookFigure()
    with pytest.raises(ValueError, match="no axes"):
        describe_figure(empty)
    assert empty._repr_mimebundle_() is None


def test_the_display_output_carries_description_and_alt_text_and_the_same_image():
    def figure():
        return plot([1, 2, 3], [[4, 5, 6]], xlabel="t", legend=["a"])

    fig = figure()
    bundle = fig._repr_mimebundle_()  # IPython asks for this first, then for _repr_svg_
    assert set(bundle) == {FIGURE_MIME}
    payload = bundle[FIGURE_MIME]
    description = json.loads(payload["description"])
    assert description == describe_figure(fig) and "\n" not in payload["description"]  # one line
    assert payload["alt"] == figure_alt_text(description) and payload["kind"] == "plot"
    json.dumps(payload, allow_nan=False)  # valid JSON: no NaN, no numpy types
    assert fig._repr_svg_() == figure()._repr_svg_()  # describing changes nothing in the picture


def test_nan_points_become_null_and_long_curves_are_thinned():
    x = np.arange(12_000, dtype=float)
    y = np.sin(x)
    y[3] = np.nan
    line = describe_figure(plot(x, [y]))["axes"][0]["lines"][0]
    assert line["every"] == 3 and len(line["x"]) == 4000 and line["x"][:2] == [0, 3]
    assert line["y"][1] is None


def test_the_build_reads_the_same_mime_type_without_importing_matplotlib():
    import subprocess
    import sys

    from dlnotes_site.figures import FIGURE_MIME as BUILD_MIME

    assert BUILD_MIME == FIGURE_MIME
    probe = "import sys, dlnotes_site.figures; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


# -- the build's side: the data file and the labelled image -----------------------------------

def _header(number: int = 1) -> dict:
    return {"page": "ch/p.md", "notebook": "p.ipynb", "cell": 4, "cell_note": "p.ipynb 的第 4 个单元",
            "profile": "cpu", "figure": number, "alt": "替代文字"}


def _described(fig) -> dict:
    return json.loads(fig._repr_mimebundle_()[FIGURE_MIME]["description"])


def test_curves_sharing_x_become_one_column_each_and_the_last_row_is_the_final_epoch():
    from dlnotes_site.figures import figure_file

    history = _history(4)
    name, text = figure_file(_described(plot_history(history)), _header(2), "p")
    assert name == "p-figure-2.csv"
    assert "# page: ch/p.md\n" in text and "# cell: p.ipynb 的第 4 个单元\n" in text
    assert "# profile: cpu\n" in text and "# alt: 替代文字\n" in text
    rows = _rows(text)
    assert rows[0] == ["epoch", "train loss", "train acc", "test acc"]
    assert len(rows) == 5
    final = {k: float(f"{v:.7g}") for k, v in history.final.items()}
    assert [float(v) for v in rows[-1]] == [4, final["train_loss"], final["train_acc"], final["test_acc"]]


def test_curves_with_different_x_or_panels_become_one_row_per_point():
    from dlnotes_site.figures import figure_file

    fig = plot([[1, 2], [1, 2, 3]], [[5, 6], [7, 8, 9]], legend=["a", "b"])
    _, text = figure_file(_described(fig), _header(), "p")
    assert _rows(text) == [["series", "x", "y"], ["a", "1", "5"], ["a", "2", "6"],
                           ["b", "1", "7"], ["b", "2", "8"], ["b", "3", "9"]]
    by_hand = NotebookFigure()
    for i, ax in enumerate(by_hand.subplots(1, 2)):
        ax.plot([0, 1], [i, i], label="c")
        ax.set_title(f"p{i}")
    assert _rows(figure_file(_described(by_hand), _header(), "p")[1])[:3] == [
        ["panel", "panel_title", "series", "x", "y"], ["1", "p0", "c", "0", "0"], ["1", "p0", "c", "1", "0"]]


def test_images_and_heatmaps_become_json_with_the_same_header():
    from dlnotes_site.figures import figure_file

    name, text = figure_file(_described(show_images(torch.rand(2, 28, 28), 1, 2, titles=["甲", "乙"])),
                             _header(), "p")
    data = json.loads(text)
    assert name == "p-figure-1.json"
    assert data["page"] == "ch/p.md" and data["cell"] == 4 and data["profile"] == "cpu"
    assert [p["title"] for p in data["axes"]] == ["甲", "乙"] and "values" not in data["axes"][0]["images"][0]
    assert len(text) < 2_000  # labels and shapes, not pixels
    heat = json.loads(figure_file(_described(show_heatmaps(torch.rand(1, 1, 2, 2), "k", "q")), _header(), "p")[1])
    assert len(heat["axes"][0]["images"][0]["values"]) == 2


def test_only_images_made_by_dlnotes_plot_get_the_alt_text_and_the_link():
    import nbformat

    from dlnotes_site.figures import label_figures, page_figures, strip_figure_data

    fig = plot([1, 2, 3], [[4, 5, 6]])
    svg = fig._repr_svg_()
    output = nbformat.v4.new_output("execute_result", data={
        "image/svg+xml": svg, "text/plain": "<Figure>", FIGURE_MIME: fig._repr_mimebundle_()[FIGURE_MIME]})
    other = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=\n"})
    cell = nbformat.v4.new_code_cell("plot(...)", outputs=[output, other], execution_count=3)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])
    (figure,) = page_figures(nb, page="ch/p.md", notebook="p.ipynb", profile="cpu")
    assert figure.filename == "p-figure-1.csv" and "# cell: p.ipynb 的第 2 个单元（从 1 数，In [3]）" in figure.content
    import base64

    ours = f'<img alt="代码输出的图" src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"/>'
    theirs = '<img alt="代码输出的图" class="" src="data:image/png;base64,iVBORw0KGgo="/>'
    html = label_figures(f"<div>{ours}</div><div>{theirs}</div>", [figure])
    assert f'alt="{figure.alt}"' in html and html.count('alt="代码输出的图"') == 1
    assert ('<p class="dlnotes-figure-data" data-search-exclude="1"><a href="p-figure-1.csv" download>'
            "下载图的数据 (CSV)</a></p></div>") in html
    assert html.index("dlnotes-figure-data") < html.index(theirs)
    strip_figure_data(nb)
    assert FIGURE_MIME not in nb.cells[1].outputs[0]["data"]
