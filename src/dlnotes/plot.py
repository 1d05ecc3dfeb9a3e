"""Figures: every function takes data (often a :class:`dlnotes.history.History`) and returns a
matplotlib ``Figure``. Nothing here trains, and nothing in training draws.

Chinese labels use Noto Sans CJK SC shipped by the ``mplfonts`` wheel, so they render on any
machine without system fonts. Figures are transparent so the site can adapt them to its light and
dark schemes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .history import History

__all__ = ["FIGURE_MIME", "NotebookFigure", "use_cjk_font", "plot", "plot_history", "show_images",
           "show_batch_positions", "show_heatmaps", "show_trace_1d", "show_trace_2d", "show_surface",
           "show_regions", "show_bboxes", "describe_figure", "figure_alt_text"]

_CJK_FONT = "Noto Sans CJK SC"

FIGURE_MIME = "application/vnd.dlnotes.figure+json"
"""The MIME type of a figure's description (what it drew, and its alt text) in a display output."""


class NotebookFigure(Figure):
    """A matplotlib ``Figure`` that displays itself in Jupyter as SVG (or PNG for photos).

    It needs no pyplot and no ``%matplotlib`` set-up: IPython calls ``_repr_svg_``/``_repr_png_``
    when the figure is the last expression of a cell. ``display_format`` is ``"svg"`` (crisp
    lines, the default) or ``"png"`` (images, where SVG would be large). Beside the image, the
    display output carries :data:`FIGURE_MIME`: :func:`describe_figure` of the figure as it is
    shown, with its alt text (:func:`figure_alt_text`). The site build puts that text on the
    image and offers the data as a file; the image itself is the same either way. ``kind`` says which function drew the
    figure (``"history"``, ``"images"``, ``"heatmaps"``, …; ``"figure"`` for one built by hand).
    """

    display_format = "svg"
    kind = "figure"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The description only: IPython adds the image from ``_repr_svg_``/``_repr_png_``.

        ``{"kind", "alt", "description"}``, the description as one line of compact JSON: the
        notebook writer would otherwise put each of its numbers on a line of its own, and a
        page's downloadable notebook would grow by several times the data's size.
        """
        if not self.axes:  # nothing drawn, nothing to describe: the image shows alone
            return None
        description = describe_figure(self)
        return {FIGURE_MIME: {
            "kind": description["kind"],
            "alt": figure_alt_text(description),
            "description": json.dumps(description, ensure_ascii=False, separators=(",", ":")),
        }}

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
    labels = list(legend or [])
    for i, (x, y, fmt) in enumerate(zip(X, Y, fmts * len(Y), strict=False)):
        x = np.asarray(x, dtype=float) if len(x) else np.arange(len(y))
        # a legend names the first len(legend) curves, as ax.legend(legend) would
        ax.plot(x, np.asarray(y, dtype=float), fmt, label=labels[i] if i < len(labels) else None)
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
        ax.legend()
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.kind = "plot"
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
    fig.kind = "history"
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
    fig.kind = "images"
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
    fig.kind = "batch_positions"
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
    fig.kind = "heatmaps"
    return fig


# --- optimisation trajectories (chapter 11) ---


def _trace_dict(traces, dim: int) -> dict[str, np.ndarray]:
    """``traces`` (one sequence, or a dict label → sequence) as float arrays ``(n,)`` or ``(n, 2)``."""
    items = list(traces.items()) if isinstance(traces, Mapping) else [("", traces)]
    if not items:
        raise ValueError("traces is an empty dict: give at least one trajectory")
    shape = "(n,) numbers" if dim == 1 else "(n, 2) points (x1, x2)"
    out = {}
    for label, trace in items:
        try:
            if hasattr(trace, "detach"):
                points = trace.detach().cpu().numpy().astype(float)
            else:  # a list of numbers, tuples, arrays or tensors
                points = np.array([np.asarray(p.detach().cpu() if hasattr(p, "detach") else p, dtype=float)
                                   for p in trace])
        except (TypeError, ValueError) as error:
            raise ValueError(f"trace {label!r} must be a sequence of {shape}: {error}") from None
        if points.size == 0:
            raise ValueError(f"trace {label!r} is empty")
        if dim == 1 and points.ndim == 2 and points.shape[1] == 1:
            points = points[:, 0]
        if (dim == 1 and points.ndim != 1) or (dim == 2 and (points.ndim != 2 or points.shape[1] != 2)):
            raise ValueError(f"trace {label!r} must be a sequence of {shape}, got shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError(f"trace {label!r} has inf/nan points (it diverged): cut it to its finite part")
        out[str(label)] = points
    return out


def _bounds(values: np.ndarray, lim, name: str) -> tuple[float, float]:
    """``lim`` checked, or the range of ``values`` widened by 10 % on each side (± 1 for one value)."""
    if lim is not None:
        lo, hi = (float(v) for v in lim)
        if not lo < hi:
            raise ValueError(f"{name} must be (low, high) with low < high, got {lim}")
        return lo, hi
    lo, hi = float(values.min()), float(values.max())
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _evaluate(f, *grids: np.ndarray) -> np.ndarray:
    """``f`` on numpy grids, or on torch tensors when it only takes tensors; checked to be elementwise."""
    try:
        z = f(*grids)
    except TypeError:  # written with torch functions: torch.exp(ndarray) raises TypeError
        import torch

        try:
            z = f(*(torch.from_numpy(g) for g in grids))
        except (TypeError, ValueError, RuntimeError) as error:
            raise ValueError(f"f must be vectorised with numpy or torch operations (not math.*): {error}") from None
    if hasattr(z, "detach"):
        z = z.detach().cpu().numpy()
    z = np.asarray(z, dtype=float)
    if z.shape != grids[0].shape:
        raise ValueError(f"f must be vectorised: on grids of shape {grids[0].shape} it returned shape {z.shape}")
    return z


def _trace_axes(n: int, separate: bool, ncols: int | None, figsize, panel: tuple[float, float]):
    use_cjk_font()
    num_panels = n if separate else 1
    ncols = min(num_panels, 4) if ncols is None else ncols
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    nrows = -(-num_panels // ncols)
    if figsize is None:
        figsize = (panel[0] * ncols, panel[1] * nrows) if separate else panel
    fig = NotebookFigure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()  # one set of limits
    for ax in axes[num_panels:]:
        fig.delaxes(ax)
    return fig, list(axes[:num_panels])


def _finish_trace_axes(axes, traces, separate: bool, xlabel, ylabel, title):
    ncols = axes[0].get_subplotspec().get_gridspec().ncols
    for i, ax in enumerate(axes):
        if i + ncols >= len(axes):  # the bottom panel of its column
            ax.set_xlabel(xlabel)
        else:
            ax.tick_params(labelbottom=False)
        if i % ncols == 0:
            ax.set_ylabel(ylabel)
        else:
            ax.tick_params(labelleft=False)
        ax.grid(True, alpha=0.3)
    labels = list(traces)
    if separate:
        for ax, label in zip(axes, labels, strict=True):
            if label:
                ax.set_title(label, fontsize=10)
    elif any(labels):
        axes[0].legend(fontsize=8)
    if title:
        (axes[0].figure.suptitle if separate else axes[0].set_title)(title)


def show_trace_2d(
    f,
    traces,
    *,
    xlim=None,
    ylim=None,
    levels: int | Sequence[float] | None = None,
    optimum=None,
    separate: bool = False,
    ncols: int | None = None,
    equal_aspect: bool = False,
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    grid_points: int = 120,
) -> Figure:
    """Contour lines of ``f(x1, x2)`` with optimisation trajectories drawn on top.

    ``f`` takes two arrays of equal shape and returns ``f`` elementwise (numpy or torch
    operations; it is called on numpy grids, or on torch tensors if numpy raises ``TypeError``).
    ``traces`` is one trajectory or a dict label → trajectory; a trajectory is a sequence of
    points ``(x1, x2)`` (a list of pairs, an ``(n, 2)`` array or tensor). Each trajectory is one
    line with a marker at every iterate. ``xlim``/``ylim`` default to the bounds of all
    trajectories (and ``optimum``, drawn as a star) widened by 10 %. ``levels`` (a count or the
    values) defaults to quantiles of ``f`` over the grid, so rings are spread over the picture. ``separate=True`` gives
    each trajectory its own panel (titled with its label) on the same axes limits; otherwise
    they share one panel with a legend.
    """
    traces = _trace_dict(traces, 2)
    points = np.concatenate(list(traces.values()))
    if optimum is not None:
        optimum = np.asarray(optimum, dtype=float)
        if optimum.shape != (2,):
            raise ValueError(f"optimum must be one point (x1, x2), got shape {optimum.shape}")
        points = np.concatenate([points, optimum[None]])
    if grid_points < 2:
        raise ValueError(f"grid_points must be at least 2, got {grid_points}")
    (x0, x1), (y0, y1) = _bounds(points[:, 0], xlim, "xlim"), _bounds(points[:, 1], ylim, "ylim")
    g1, g2 = np.meshgrid(np.linspace(x0, x1, grid_points), np.linspace(y0, y1, grid_points))
    z = _evaluate(f, g1, g2)  # (grid_points, grid_points)
    if levels is None:  # quantiles of f on the grid: rings evenly spread over the picture, not crowded at the rim
        levels = np.unique(np.quantile(z, np.linspace(0.01, 0.97, 14) ** 1.5))
    fig, axes = _trace_axes(len(traces), separate, ncols, figsize, (3.2, 3.0) if separate else (4.5, 3.5))
    for i, (label, trace) in enumerate(traces.items()):
        ax = axes[i if separate else 0]
        if separate or i == 0:
            ax.contour(g1, g2, z, levels=levels, colors="#8c8c8c", linewidths=0.7)
            if optimum is not None:
                ax.scatter([optimum[0]], [optimum[1]], marker="*", s=90, color="#d62728", zorder=3)
        ax.plot(trace[:, 0], trace[:, 1], "-o", color=f"C{i % 10}", markersize=3, linewidth=1.2,
                label=label or None)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        if equal_aspect:
            ax.set_aspect("equal", adjustable="box")
    _finish_trace_axes(axes, traces, separate, xlabel, ylabel, title)
    fig.kind = "trace_2d"
    return fig


def show_trace_1d(
    f,
    xs,
    *,
    xlim=None,
    ylim=None,
    separate: bool = False,
    ncols: int | None = None,
    xlabel: str = "$x$",
    ylabel: str = "$f(x)$",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """The curve ``f(x)`` with the iterates ``x_0, x_1, …`` of a 1-D optimiser marked on it.

    ``xs`` is one sequence of numbers or a dict label → sequence; ``f`` is elementwise (numpy or
    torch). Each panel draws the curve (grey) and then one line per trajectory through the points
    ``(x_t, f(x_t))``. ``xlim`` defaults to the range of all iterates widened by 10 %.
    ``separate=True`` gives each trajectory its own panel, titled with its label.
    """
    traces = _trace_dict(xs, 1)
    x0, x1 = _bounds(np.concatenate(list(traces.values())), xlim, "xlim")
    grid = np.linspace(x0, x1, 200)
    curve = _evaluate(f, grid)
    fig, axes = _trace_axes(len(traces), separate, ncols, figsize, (2.8, 2.5) if separate else (4.5, 3.0))
    for i, (label, trace) in enumerate(traces.items()):
        ax = axes[i if separate else 0]
        if separate or i == 0:
            ax.plot(grid, curve, "-", color="#8c8c8c", linewidth=1.0)
        ax.plot(trace, _evaluate(f, trace), "-o", color=f"C{(i + 1) % 10}", markersize=3, linewidth=1.0,
                label=label or None)
        ax.set_xlim(x0, x1)
        if ylim is not None:
            ax.set_ylim(ylim)
    _finish_trace_axes(axes, traces, separate, xlabel, ylabel, title)
    fig.kind = "trace_1d"
    return fig


# --- landscapes and sets (chapter 11: 11.1, 11.2) ---


def _grid_arrays(x, y, z):
    """``x`` (n,), ``y`` (m,) and ``z`` (..., m, n) as float arrays, shapes checked."""
    x, y, z = (np.asarray(v.detach().cpu() if hasattr(v, "detach") else v, dtype=float) for v in (x, y, z))
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"x and y must be 1-D grids, got shapes {x.shape} and {y.shape}")
    if z.ndim < 2 or z.shape[-2:] != (len(y), len(x)):
        raise ValueError(f"z must end in (len(y), len(x)) = ({len(y)}, {len(x)}), got shape {z.shape}; "
                         "build it with torch.meshgrid(x, y, indexing='xy')")
    return x, y, z


def show_surface(
    x,
    y,
    z,
    *,
    points: dict | None = None,
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
    zlabel: str | None = None,
    title: str | None = None,
    levels: int = 12,
    figsize: tuple[float, float] = (7.5, 3.3),
) -> Figure:
    """A function of two variables seen twice: a 3-D surface (left) and its contour map (right).

    ``x`` has shape ``(n,)``, ``y`` ``(m,)`` and ``z`` ``(m, n)`` with ``z[i, j] = f(x[j], y[i])``,
    the order ``torch.meshgrid(x, y, indexing="xy")`` gives; both panels colour low values dark
    and high values yellow (viridis). ``points`` maps a label to a point
    ``(x, y)`` (a critical point, say); each is marked on both panels and named in the legend. The
    figure is displayed as PNG: a 3-D mesh as SVG would be large.
    """
    x, y, z = _grid_arrays(x, y, z)
    if z.ndim != 2:
        raise ValueError(f"z must be 2-D (len(y), len(x)), got shape {z.shape}")
    use_cjk_font()
    fig = NotebookFigure(figsize=figsize, layout="constrained")
    fig.display_format = "png"
    ax3d = fig.add_subplot(1, 2, 1, projection="3d")
    ax2d = fig.add_subplot(1, 2, 2)
    X, Y = np.meshgrid(x, y)
    ax3d.plot_surface(X, Y, z, cmap="viridis", rstride=1, cstride=1, linewidth=0, antialiased=False,
                      alpha=0.85)
    ax3d.set_xlabel(xlabel)
    ax3d.set_ylabel(ylabel)
    if zlabel:
        ax3d.set_zlabel(zlabel)
    ax3d.view_init(elev=28, azim=-55)
    ax2d.contour(X, Y, z, levels=levels, cmap="viridis", linewidths=0.9)  # no clabel: it doubles the cost
    ax2d.set_xlabel(xlabel)
    ax2d.set_ylabel(ylabel)
    ax2d.set_aspect("equal", adjustable="box")
    for (label, (px, py)), colour in zip((points or {}).items(), ("r", "m", "k", "b", "g"), strict=False):
        pz = z[np.abs(y - py).argmin(), np.abs(x - px).argmin()]  # the grid value nearest the point
        ax3d.scatter([px], [py], [pz], color=colour, s=30, depthshade=False, zorder=5)
        ax2d.plot([px], [py], "o", color=colour, label=label)
    if points:
        ax2d.legend(fontsize=8, loc="upper right")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.kind = "surface"
    return fig


def show_regions(
    x,
    y,
    panels: Sequence,
    *,
    titles: Sequence[str] | None = None,
    segments: Sequence | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    panel_size: float = 2.6,
) -> Figure:
    """Sets in the plane, one panel each, with line segments on top (convex sets, projections).

    A set is a boolean mask ``(m, n)`` on the grid ``x`` ``(n,)``, ``y`` ``(m,)`` (``mask[i, j]``
    says whether ``(x[j], y[i])`` belongs to it). Each entry of ``panels`` is one mask or a list of
    masks drawn translucent on top of each other, each in its own colour with its outline, so an
    overlap looks darker. ``segments`` gives each panel a list of segments ``((x0, y0), (x1, y1))``
    (or ``None``), drawn as lines with dots at both ends.
    """
    panels = [list(p) if isinstance(p, (list, tuple)) else [p] for p in panels]
    if not panels:
        raise ValueError("panels is empty: give at least one mask")
    masks = [[_grid_arrays(x, y, m)[2] for m in p] for p in panels]
    x, y, _ = _grid_arrays(x, y, masks[0][0])
    if any(m.ndim != 2 for p in masks for m in p):
        raise ValueError("every mask must be 2-D (len(y), len(x))")
    if titles is not None and len(titles) != len(panels):
        raise ValueError(f"titles needs one string per panel ({len(panels)}), got {len(titles)}")
    if segments is not None and len(segments) != len(panels):
        raise ValueError(f"segments needs one list (or None) per panel ({len(panels)}), got {len(segments)}")
    use_cjk_font()
    fig = NotebookFigure(figsize=(panel_size * len(panels), panel_size), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:purple")
    X, Y = np.meshgrid(x, y)
    for i, (ax, panel) in enumerate(zip(axes, masks, strict=True)):
        for k, mask in enumerate(panel):
            colour = colours[k % len(colours)]
            if mask.any():
                ax.contourf(X, Y, mask, levels=[0.5, 1.5], colors=[colour], alpha=0.45)
                ax.contour(X, Y, mask, levels=[0.5], colors=[colour], linewidths=1.2)
        for (x0, y0), (x1, y1) in (segments[i] or []) if segments is not None else []:
            ax.plot([x0, x1], [y0, y1], "k-", linewidth=1.4)
            ax.plot([x0, x1], [y0, y1], "ko", markersize=3.5)
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(y[0], y[-1])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel and i == 0:
            ax.set_ylabel(ylabel)
    fig.kind = "regions"
    return fig


_BBOX_COLOURS = ("tab:blue", "tab:green", "tab:red", "tab:purple", "tab:cyan")


def show_bboxes(axes, bboxes, labels=None, colors=None):
    """Draw corner boxes ``(x1, y1, x2, y2)`` (in the axes' pixel coordinates) on ``axes``.

    ``bboxes`` is ``(n, 4)`` (tensor, array or list); ``labels`` one string per box (drawn in a
    filled tag at the box's top-left corner); ``colors`` one colour or a list that is cycled
    (default: five distinct colours). Returns ``axes``. Typical use: ``fig = show_images([img],
    1, 1, scale=4)`` then ``show_bboxes(fig.axes[0], boxes * scale)`` and show ``fig``.
    """
    boxes = bboxes.detach().cpu().numpy() if hasattr(bboxes, "detach") else np.asarray(bboxes, dtype=float)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"bboxes must be (n, 4) corner boxes, got shape {boxes.shape}")
    if labels is not None and isinstance(labels, str):
        labels = [labels]
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f"labels needs one string per box ({len(boxes)}), got {len(labels)}")
    if colors is None:
        colors = _BBOX_COLOURS
    elif isinstance(colors, str):
        colors = [colors]
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        colour = colors[i % len(colors)]
        axes.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=2))
        if labels is not None and labels[i]:
            text_colour = "black" if colour in ("w", "white") else "white"
            axes.text(x1, y1, labels[i], va="center", ha="center", fontsize=8, color=text_colour,
                      bbox={"facecolor": colour, "linewidth": 0, "pad": 1.5})
    return axes


# --- what a figure shows: its data and its alt text (for the site) ---

_MAX_POINTS = 5000  # per curve or scatter; a longer one is stored thinned (every k-th point)
_MAX_CELLS = 10_000  # heatmap values stored per figure; above this only the shapes are
_MAX_PIXELS = 64  # an image this small keeps its pixel values (a 3 × 3 or 8 × 8 kernel, say)
_MAX_TEXTS = 50  # text labels drawn inside one axes (box tags, say)


_DIGITS = 7  # significant digits stored: float32's precision, far finer than any figure shows


def _number(value) -> float | int | None:
    """A JSON number: ``None`` for inf/nan, an int for a whole number, otherwise the value to
    :data:`_DIGITS` significant digits (``0.3`` for float32's ``0.30000001192092896``): a page
    shows its figures' data at the precision the data has, in a few bytes a number."""
    value = float(value)
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return float(f"{value:.{_DIGITS}g}")


def _numbers(values) -> list:
    return [_number(v) for v in np.ma.filled(np.ma.asarray(values, dtype=float), np.nan).ravel()]


def _thinned(xy: np.ndarray) -> tuple[np.ndarray, int]:
    step = -(-len(xy) // _MAX_POINTS) if len(xy) > _MAX_POINTS else 1
    return xy[::step], step


def _series(label: str, xy: np.ndarray) -> dict:
    xy, step = _thinned(np.ma.filled(np.ma.asarray(xy, dtype=float), np.nan).reshape(-1, 2))
    out = {"label": label, "x": _numbers(xy[:, 0]), "y": _numbers(xy[:, 1])}
    if step > 1:
        out["every"] = step  # stored every step-th point of what was drawn
    return out


def _label(artist) -> str:
    """The artist's legend label, or "" when it has none (matplotlib's ``_child3`` and the like)."""
    label = artist.get_label()
    return "" if label is None or str(label).startswith("_") else str(label)


def _tick_labels(axis) -> list[str]:
    """Tick labels set as words (heatmap tokens, row numbers); [] for numeric ticks."""
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    if not isinstance(axis.get_major_formatter(), (FixedFormatter, FuncFormatter)):
        return []  # set_ticks(ticks, labels) installs one of these; numbers keep a ScalarFormatter
    return [t.get_text() for t in axis.get_ticklabels()]


def _describe_image(image, keep_values: bool) -> dict:
    array = np.ma.asarray(image.get_array())
    out = {"shape": list(array.shape)}
    if array.ndim == 2:  # a scalar field drawn through a colour map
        lo, hi = image.get_clim()
        out.update(cmap=image.get_cmap().name, vmin=_number(lo), vmax=_number(hi))
    if keep_values or array.size <= _MAX_PIXELS:
        values = _numbers(array)
        out["values"] = np.array(values, dtype=object).reshape(array.shape).tolist()
    return out


def _describe_axes(ax, keep_values: bool) -> dict | None:
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet
    from matplotlib.patches import Rectangle as _Rectangle

    out: dict = {}
    title = " ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t)
    three_d = getattr(ax, "name", "") == "3d"
    for key, value in (("title", title), ("xlabel", ax.get_xlabel()), ("ylabel", ax.get_ylabel()),
                       ("zlabel", ax.get_zlabel() if three_d else "")):
        if value:
            out[key] = value
    out["xscale"], out["yscale"] = ax.get_xscale(), ax.get_yscale()
    lines = [_series(_label(line), line.get_xydata()) for line in ax.lines]
    scatter = [_series(_label(c), c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and len(c.get_offsets())]
    images = [_describe_image(im, keep_values) for im in ax.images]
    contours = sum(isinstance(c, ContourSet) and not c.filled for c in ax.collections)
    regions = sum(isinstance(c, ContourSet) and c.filled for c in ax.collections)
    surfaces = sum(type(c).__name__ == "Poly3DCollection" for c in ax.collections)
    boxes = sum(isinstance(p, _Rectangle) for p in ax.patches)
    texts = [t.get_text() for t in ax.texts if t.get_text()][:_MAX_TEXTS]
    for key, value in (("lines", lines), ("scatter", scatter), ("images", images),
                       ("contours", contours), ("regions", regions), ("surfaces", surfaces), ("boxes", boxes), ("texts", texts),
                       ("xticklabels", _tick_labels(ax.xaxis)), ("yticklabels", _tick_labels(ax.yaxis))):
        if value:
            out[key] = value
    drawn = lines or scatter or images or contours or regions or surfaces or boxes
    if not drawn and not title:
        return None  # an unused cell of a grid
    if not three_d:
        out["xlim"], out["ylim"] = _numbers(ax.get_xlim()), _numbers(ax.get_ylim())
    return out


def describe_figure(fig: Figure) -> dict:
    """What ``fig`` draws, as plain JSON-ready data.

    ``{"kind", "title", "axes": [...]}``: one entry per axes that shows something (colorbars and
    unused grid cells left out), with its title, axis labels and scales, and what it draws:
    ``lines`` and ``scatter`` (label and x/y values as drawn, to 7 significant digits),
    ``images`` (shape, colour scale; the values only for heatmaps and tiny images, never a
    photo's pixels), word ``xticklabels``/``yticklabels``, and counts of ``contours`` (lines),
    ``regions`` (filled contours), ``surfaces`` and ``boxes`` with the ``texts`` written on them.
    Raises ``ValueError`` for a figure without axes.
    """
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    if not axes:
        raise ValueError("the figure has no axes: there is nothing to describe")
    kind = getattr(fig, "kind", "figure")
    cells = sum(np.ma.asarray(im.get_array()).size for ax in axes for im in ax.images)
    keep_values = kind == "heatmaps" and cells <= _MAX_CELLS
    panels = [d for d in (_describe_axes(ax, keep_values) for ax in axes) if d is not None]
    out = {"kind": kind, "axes": panels}
    suptitle = fig.get_suptitle()
    if suptitle:
        out["title"] = suptitle
    return out


# alt text: what a screen reader says instead of the picture

_MAX_NAMED = 8  # names an alt text lists before it says "等 n 个"
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
          "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω"}


def _plain(label: str) -> str:
    """A label as it reads aloud: TeX math such as ``$x_1$`` or ``$\\eta$`` becomes ``x1``, ``η``."""
    label = " / ".join(part for part in str(label).split("\n") if part)  # a two-line title
    if "$" not in label:
        return label
    text = re.sub(r"\\(?:mathbf|boldsymbol|mathrm|operatorname|text)\s*", "", label.replace("$", ""))
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m[1], m[1]), text)
    return text.replace("{", "").replace("}", "").replace("_", "").strip()


def _fmt(value) -> str:
    """A number for reading aloud: 3 significant digits, whole numbers whole, a real minus sign."""
    if value is None:
        return "无"
    value = float(value)
    if value.is_integer() and abs(value) < 1e6:
        text = str(int(value))
    elif abs(value) >= 1e6 or abs(value) < 1e-3:
        text = f"{value:.2e}"
    elif abs(value) >= 1000:
        text = f"{value:,.0f}"
        text = f"{value:.2e}"
    else:
        text = f"{value:.3g}"
    return text.replace("-", "−")


def _span(values: list) -> str:
    finite = [v for v in values if v is not None]
    if not finite:
        return ""
    lo, hi = min(finite), max(finite)
    if lo == hi:
        return _fmt(lo)
    return f"{_fmt(lo)}–{_fmt(hi)}" if lo >= 0 else f"{_fmt(lo)} 到 {_fmt(hi)}"


def _listed(names: list[str], unit: str = "个") -> str:
    """``a、b、c``, or past :data:`_MAX_NAMED` names ``a、…、h 等 20 个``."""
    names = [_plain(n) for n in names]
    if len(names) <= _MAX_NAMED:
        return "、".join(names)
    return "、".join(names[:_MAX_NAMED]) + f" 等 {len(names)} {unit}"


def _last(values: list):
    return next((v for v in reversed(values) if v is not None), None)


def _axis_text(name: str, label: str | None, values: list, scale: str) -> str:
    text = f"{name} {_plain(label)}" if label else name
    notes = [n for n in (_span(values), "对数刻度" if scale == "log" else "") if n]
    return text + (f"（{'，'.join(notes)}）" if notes else "")


def _curves_text(panel: dict, finals: bool) -> list[str]:
    """Axes with their data ranges, then the curves (with their final values when ``finals``)."""
    lines, scatter = panel.get("lines", []), panel.get("scatter", [])
    series = lines + scatter
    yscale = panel.get("yscale", "linear")
    parts = [_axis_text("横轴", panel.get("xlabel"), [v for s in series for v in s["x"]],
                        panel.get("xscale", "linear"))]
    if not finals or panel.get("ylabel") or yscale == "log":  # final values already say what y is
        parts.append(_axis_text("纵轴", panel.get("ylabel"),
                                [] if finals else [v for s in series for v in s["y"]], yscale))
    named = [s for s in lines if s["label"]]
    if finals and named:
        parts.append("，".join(f"{_plain(s['label'])} 最终 {_fmt(_last(s['y']))}" for s in named))
    elif named:
        parts.append(f"{len(lines)} 条曲线：{_listed([s['label'] for s in named])}")
    elif len(lines) > 1:
        parts.append(f"{len(lines)} 条曲线")
    if scatter:
        points = sum(len(s["x"]) for s in scatter)
        names = [s["label"] for s in scatter if s["label"]]
        parts.append(f"{points} 个散点" + (f"：{_listed(names)}" if names else ""))
    return parts


def _panel_text(panel: dict, finals: bool = False) -> str:
    drawn = [word for key, word in (("surfaces", "三维曲面"), ("contours", "等高线"), ("regions", "填色区域"))
             if panel.get(key)]
    for image in panel.get("images", [])[:1]:
        shape = image["shape"]
        drawn.append(f"{shape[0]}×{shape[1]} {'彩色' if len(shape) == 3 else '灰度'}图像")
    parts = ["、".join(drawn)] if drawn else []
    if panel.get("lines") or panel.get("scatter"):
        parts += _curves_text(panel, finals)
    else:
        parts += [f"{name} {_plain(panel[key])}" for name, key in (("横轴", "xlabel"), ("纵轴", "ylabel"))
                  if panel.get(key)]
    if panel.get("boxes"):
        tags = list(dict.fromkeys(panel.get("texts", [])))
        parts.append(f"{panel['boxes']} 个框" + (f"：{_listed(tags)}" if tags else ""))
    return "；".join(parts)


def _named(word: str, title: str | None, body: str) -> str:
    """``word「title」：body``, the title left out when there is none."""
    return f"{word}{f'「{_plain(title)}」' if title else ''}：{body}"


def _images_text(panels: list[dict]) -> str:
    shapes = {tuple(im["shape"]) for p in panels for im in p.get("images", [])}
    size = ""
    if len(shapes) == 1:
        shape = shapes.pop()
        size = f"（每张 {shape[0]}×{shape[1]} {'彩色' if len(shape) == 3 else '灰度'}）"
    text = f"{len(panels)} 张图{size}"
    titles = [p["title"] for p in panels if p.get("title")]
    if titles:
        text += f"：{_listed(titles)}"
    boxes = sum(p.get("boxes", 0) for p in panels)
    if boxes:
        tags = list(dict.fromkeys(t for p in panels if p.get("boxes") for t in p.get("texts", [])))
        text += f"；图上 {boxes} 个框" + (f"：{_listed(tags)}" if tags else "")
    return text


def _heatmaps_text(panels: list[dict]) -> str:
    image = panels[0]["images"][0]
    rows, cols = image["shape"][:2]
    parts = [f"{f'{len(panels)} 幅' if len(panels) > 1 else ''}热力图，每幅 {rows} 行 {cols} 列"]
    labels = [(name, next((p[key] for p in panels if p.get(key)), None))
              for name, key in (("横轴", "xlabel"), ("纵轴", "ylabel"))]
    if any(label for _, label in labels):
        parts.append("，".join(f"{name} {_plain(label)}" for name, label in labels if label))
    parts.append(f"数值 {_span([image.get('vmin'), image.get('vmax')])}")
    titles = [p["title"] for p in panels if p.get("title")]
    if titles:
        parts.append(f"标题：{_listed(titles)}")
    for name, key in (("横轴标签", "xticklabels"), ("纵轴标签", "yticklabels")):
        words = next((p[key] for p in panels if p.get(key)), [])
        if words:
            parts.append(f"{name}：{_listed(words)}")
    return "；".join(parts)


def figure_alt_text(description: dict) -> str:
    """Alt text in Chinese for a :func:`describe_figure` result: what the figure shows.

    Training curves name each series with its final value; image grids list their titles;
    heatmaps give their size, axes, value range and word labels; other figures, panel by panel,
    what they draw, their axes with the range of the data, and the curves' names.
    """
    kind, panels = description["kind"], description["axes"]
    if not panels:
        text = "空白的图"
    elif kind == "history" and len(panels) == 1:
        text = _named("训练曲线", panels[0].get("title"), "；".join(_curves_text(panels[0], finals=True)))
    elif kind == "images":
        text = _images_text(panels)
    elif kind == "heatmaps" and panels[0].get("images"):
        text = _heatmaps_text(panels)
    elif len(panels) == 1:
        panel = panels[0]
        drawn = {k for k in ("lines", "scatter", "images", "contours", "regions", "surfaces", "boxes") if panel.get(k)}
        word = {frozenset({"lines"}): "折线图", frozenset({"scatter"}): "散点图"}.get(frozenset(drawn), "图")
        text = _named(word, panel.get("title"), _panel_text(panel, kind == "history"))
    else:
        text = f"{len(panels)} 个子图。" + "。".join(
            _named(f"子图 {i}", p.get("title"), _panel_text(p, kind == "history")) for i, p in enumerate(panels, 1))
    title = description.get("title")
    return f"「{_plain(title)}」{text}" if title else text
