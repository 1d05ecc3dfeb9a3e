"""Figures: every function takes data (often a :class:`dlnotes.history.History`) and returns a
matplotlib ``Figure``. Nothing here trains, and nothing in training draws.

Chinese labels use Noto Sans CJK SC shipped by the ``mplfonts`` wheel, so they render on any
machine without system fonts. Figures are transparent so the site can adapt them to its light and
dark schemes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .history import History

__all__ = ["NotebookFigure", "use_cjk_font", "plot", "plot_history", "show_images", "show_batch_positions",
           "show_heatmaps"]

_CJK_FONT = "Noto Sans CJK SC"


class NotebookFigure(Figure):
    """A matplotlib ``Figure`` that displays itself in Jupyter as SVG (or PNG for photos).

    It needs no pyplot and no ``%matplotlib`` set-up: IPython calls ``_repr_svg_``/``_repr_png_``
    when the figure is the last expression of a cell. ``display_format`` is ``"svg"`` (crisp
    lines, the default) or ``"png"`` (images, where SVG would be large).
    """

    display_format = "svg"

    def _render(self, fmt: str):
        import io

        buffer = io.BytesIO()
        self.savefig(
            buffer,
            format=fmt,
            bbox_inches="tight",
            dpi=110 if fmt == "png" else None,
            metadata={"Date": None} if fmt == "svg" else {"Software": None},
        )
        data = buffer.getvalue()
        return data.decode("utf-8") if fmt == "svg" else data

    def _repr_svg_(self):
        return self._render("svg") if self.display_format == "svg" else None

    def _repr_png_(self):
        return self._render("png") if self.display_format == "png" else None
_font_ready = False


def use_cjk_font() -> str:
    """Register the CJK font shipped by ``mplfonts`` and make it matplotlib's default.

    Returns the font family name. Safe to call more than once.
    """
    global _font_ready
    if not _font_ready:
        import mplfonts

        font_file = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
        if not font_file.is_file():
            raise FileNotFoundError(f"mplfonts does not ship {font_file.name}; reinstall mplfonts")
        font_manager.fontManager.addfont(str(font_file))
        _font_ready = True
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [_CJK_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"  # glyphs become paths: no font needed to view
    matplotlib.rcParams["savefig.transparent"] = True
    matplotlib.rcParams["svg.hashsalt"] = "dlnotes"  # stable ids: identical builds, identical SVG
    return _CJK_FONT


def _new_axes(figsize: tuple[float, float]):
    use_cjk_font()
    fig = NotebookFigure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot(
    X,
    Y=None,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim=None,
    ylim=None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
    figsize: tuple[float, float] = (4.5, 3.0),
    title: str | None = None,
) -> Figure:
    """Plot one or several curves, d2l-style.

    ``X`` and ``Y`` are arrays/tensors or lists of them; with ``Y=None`` the values of ``X`` are
    plotted against their index.
    """
    fig, ax = _new_axes(figsize)

    def as_list(v):
        if hasattr(v, "ndim") and v.ndim == 1:
            return [v]
        if isinstance(v, list) and v and not hasattr(v[0], "__len__"):
            return [v]
        return list(v)

    if Y is None:
        X, Y = [[]], X
    X, Y = as_list(X), as_list(Y)
    if len(X) != len(Y):
        X = X * len(Y)
    for x, y, fmt in zip(X, Y, fmts * len(Y), strict=False):
        x = np.asarray(x, dtype=float) if len(x) else np.arange(len(y))
        ax.plot(x, np.asarray(y, dtype=float), fmt)
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if legend:
        ax.legend(legend)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig


_CURVE_STYLE = {
    "train_loss": ("-", "train loss"),
    "test_loss": ("--", "test loss"),
    "train_acc": ("m--", "train acc"),
    "test_acc": ("g-.", "test acc"),
}


def plot_history(
    history: History,
    metrics: Sequence[str] | None = None,
    *,
    title: str | None = None,
    yscale: str = "linear",
    ylim=None,
    figsize: tuple[float, float] = (4.5, 3.0),
) -> Figure:
    """Training curves: one line per metric against the epoch number.

    ``metrics`` defaults to every recorded one among train loss, test loss, train acc, test acc.
    """
    if not len(history):
        raise ValueError("the history is empty: train for at least one epoch first")
    recorded = history.final.keys()
    if metrics is None:
        metrics = [m for m in _CURVE_STYLE if m in recorded]
    fig, ax = _new_axes(figsize)
    epochs = history.metric("epoch")
    for name in metrics:
        fmt, label = _CURVE_STYLE.get(name, ("-", name))
        ax.plot(epochs, history.metric(name), fmt, label=label)
    ax.set_xlabel("epoch")
    ax.set_yscale(yscale)
    if ylim is not None:
        ax.set_ylim(ylim)
    if len(epochs) > 1:
        ax.set_xlim(1, epochs[-1])
    ax.legend()
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def show_images(
    imgs,
    num_rows: int,
    num_cols: int,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
    cmap: str = "gray",
) -> Figure:
    """A grid of images: ``imgs`` is ``(n, H, W)``, ``(n, 1, H, W)`` or ``(n, H, W, 3)``."""
    imgs = [img.detach().cpu().numpy() if hasattr(img, "detach") else np.asarray(img) for img in imgs]
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"{len(imgs)} images do not fit a {num_rows}×{num_cols} grid")
    use_cjk_font()
    fig = NotebookFigure(figsize=(num_cols * scale, num_rows * scale), layout="constrained")
    fig.display_format = "png"
    axes = fig.subplots(num_rows, num_cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= len(imgs):
            continue
        img = imgs[i]
        if img.ndim == 3 and img.shape[0] in (1, 3):  # (C, H, W) -> (H, W, C)
            img = np.moveaxis(img, 0, -1)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=9)
    return fig



def show_batch_positions(
    layouts: Sequence,
    titles: Sequence[str] | None = None,
    *,
    xlabel: str = "词元位置",
    ylabel: str = "小批量",
    cell: float = 0.22,
) -> Figure:
    """Which positions of a sequence each minibatch reads, one panel per layout.

    Each layout is an integer array ``(num_batches, num_positions)``: entry ``[k, p]`` is the row
    of minibatch ``k`` that reads position ``p``, or ``-1`` where batch ``k`` does not read it.
    Each run of positions read by one row is drawn as one box, coloured by the row and labelled
    with its number; positions no batch reads stay blank.
    """
    layouts = [np.asarray(layout) for layout in layouts]
    if not layouts or any(layout.ndim != 2 for layout in layouts):
        raise ValueError("layouts must be a non-empty list of 2-D (num_batches, num_positions) arrays")
    num_positions = max(layout.shape[1] for layout in layouts)
    heights = [layout.shape[0] for layout in layouts]
    use_cjk_font()
    fig = NotebookFigure(figsize=(cell * num_positions + 1.0, cell * sum(heights) + 0.9 * len(layouts)),
                         layout="constrained")
    axes = fig.subplots(len(layouts), 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    colours = matplotlib.colormaps["tab10"]
    for i, (ax, layout) in enumerate(zip(axes, layouts, strict=True)):
        for k in range(layout.shape[0]):
            p = 0
            while p < layout.shape[1]:  # one box per run of positions read by the same row
                row, end = int(layout[k, p]), p
                while end + 1 < layout.shape[1] and layout[k, end + 1] == row:
                    end += 1
                if row >= 0:
                    ax.add_patch(Rectangle((p - 0.45, k - 0.4), end - p + 0.9, 0.8, facecolor=colours(row % 10),
                                           alpha=0.8))
                    ax.text((p + end) / 2, k, str(row), ha="center", va="center", fontsize=8, color="white")
                p = end + 1
        ax.set_xlim(-0.5, num_positions - 0.5)
        ax.set_ylim(layout.shape[0] - 0.5, -0.5)
        ax.set_yticks(range(layout.shape[0]), [str(k + 1) for k in range(layout.shape[0])])
        ax.set_ylabel(ylabel)
        ax.set_xticks(range(0, num_positions, 5))
        ax.set_xticks(range(num_positions), minor=True)
        ax.grid(True, axis="x", which="both", alpha=0.25)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=10)
    axes[-1].set_xlabel(xlabel)
    return fig


_HEATMAP_PNG_CELLS = 60 * 60  # above this many cells per panel the figure is shown as PNG


def show_heatmaps(
    matrices,
    xlabel: str,
    ylabel: str,
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    cmap: str = "Reds",
    *,
    xticklabels: Sequence[str] | None = None,
    yticklabels: Sequence[str] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    xtick_rotation: float | None = None,
) -> Figure:
    """A grid of heatmaps with one shared colour scale and one colorbar (attention weights, say).

    ``matrices`` has shape ``(num_rows, num_cols, num_queries, num_keys)``: panel ``[r, c]`` shows
    row ``i`` (a query) against column ``j`` (a key). ``titles`` names the columns (``num_cols``
    strings) or every panel (``num_rows * num_cols`` strings, row by row). ``xticklabels`` (one
    string per key) and ``yticklabels`` (one per query) put words on the axes, e.g. the source and
    target tokens of an alignment. The colour scale runs from ``vmin`` to ``vmax``, by default the
    smallest and largest entry of all panels, so equal colours mean equal values everywhere.
    ``figsize`` defaults to about 2.5 inches per panel. Panels larger than 60 × 60 cells are
    displayed as PNG to keep pages small. Key labels stand upright when they are short (two CJK
    characters or four Latin ones) and are turned 90° otherwise, unless ``xtick_rotation`` says.
    """
    if hasattr(matrices, "detach"):
        matrices = matrices.detach().cpu().numpy()
    matrices = np.asarray(matrices, dtype=float)
    if matrices.ndim != 4:
        raise ValueError("matrices must be 4-D (num_rows, num_cols, num_queries, num_keys), got shape "
                         f"{matrices.shape}; add axes with m[None, None] for a single matrix")
    num_rows, num_cols, num_queries, num_keys = matrices.shape
    if 0 in matrices.shape:
        raise ValueError(f"matrices has an empty dimension: shape {matrices.shape}")
    if titles is not None and len(titles) not in (num_cols, num_rows * num_cols):
        raise ValueError(f"titles needs {num_cols} (one per column) or {num_rows * num_cols} "
                         f"(one per panel) strings, got {len(titles)}")
    for name, labels, size, what in (("xticklabels", xticklabels, num_keys, "key"),
                                     ("yticklabels", yticklabels, num_queries, "query")):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} needs one string per {what} ({size}), got {len(labels)}")
    vmin = float(matrices.min()) if vmin is None else vmin
    vmax = float(matrices.max()) if vmax is None else vmax
    if figsize is None:
        panel = 2.5 if xticklabels is None else max(2.5, 0.28 * num_keys)
        figsize = (panel * num_cols + 0.8, panel * num_rows * num_queries / num_keys + 0.4)
    if xticklabels is not None and xtick_rotation is None:
        width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(label)) for label in xticklabels)
        xtick_rotation = 0 if width <= 4 else 90
    use_cjk_font()
    fig = NotebookFigure(figsize=figsize, layout="constrained")
    if num_queries * num_keys > _HEATMAP_PNG_CELLS:
        fig.display_format = "png"
    axes = fig.subplots(num_rows, num_cols, squeeze=False, sharex=True, sharey=True)
    for r in range(num_rows):
        for c in range(num_cols):
            ax = axes[r, c]
            image = ax.imshow(matrices[r, c], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                              aspect="auto" if xticklabels is None and yticklabels is None else "equal")
            if xticklabels is not None:
                ax.set_xticks(range(num_keys), list(xticklabels), rotation=xtick_rotation)
            if yticklabels is not None:
                ax.set_yticks(range(num_queries), list(yticklabels))
            if r == num_rows - 1:
                ax.set_xlabel(xlabel)
            if c == 0:
                ax.set_ylabel(ylabel)
            if titles is not None and len(titles) == num_rows * num_cols:  # one title per panel
                ax.set_title(titles[r * num_cols + c], fontsize=10)
            elif titles is not None and r == 0:  # one title per column, on the top row
                ax.set_title(titles[c], fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.6 if num_rows == 1 else 0.8)
    return fig
