"""Record a training run's final numbers for the site: ours only.

``report_result`` emits the numbers as a display output of MIME type :data:`RESULT_MIME`. The site
build finds those outputs in every executed page and draws, with one renderer, both the page's
"本页 / d2l / 目标" box and the results board (实验结果总览); d2l's numbers, the targets and the
metric formats live in :mod:`dlnotes.references`, which only the build reads. So adding or
correcting a reference re-runs no page, and a page served from the build cache still contributes
its (identical) numbers.

Prose may not contradict the run, so it does not state the run's numbers by hand:
:func:`note` hands values to the prose (``{{ run.name }}`` in a Markdown cell is replaced by the
build with the value the page's own run noted, and a name no cell noted fails the build), and
:func:`claim` turns a comparison the prose makes ("dropout 的测试精度高于训练精度") into a check
that fails the page when the run disagrees.
"""

from __future__ import annotations

import math

from .history import History
from .profiles import current_profile

__all__ = ["RESULT_MIME", "NOTE_MIME", "ClaimError", "claim", "note", "report_result"]

RESULT_MIME = "application/vnd.dlnotes.result+json"
NOTE_MIME = "application/vnd.dlnotes.note+json"


class ClaimError(AssertionError):
    """A sentence of the page is false for this run."""


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def note(**values: str | int) -> None:
    """Hand this run's values to the page's prose: ``{{ run.<name> }}`` shows ``values[name]``.

    Values are strings formatted by the caller (``note(test_acc=f"{acc:.3f}")``) or integers; a
    float is refused, because the prose's precision is the writer's decision, not a default's.
    The output is invisible on the page; the build substitutes the values into the Markdown cells
    and fails on a ``{{ run.<name> }}`` that no cell noted. Returns ``None``, so a note as the
    last line of a cell prints nothing.
    """
    if not values:
        raise ValueError("note() needs at least one name=value")
    shown: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError(
                f"note({name}=...) got {type(value).__name__} {value!r}; format it yourself, "
                f"e.g. note({name}=f\"{{value:.3f}}\")")
        shown[name] = str(value)
    if _in_notebook():
        from IPython.display import display

        display({NOTE_MIME: shown, "text/plain": ""}, raw=True)


def claim(holds: bool, statement: str) -> None:
    """Fail the page unless ``holds``: the prose's ``statement`` must be true of this run.

    ``claim(test_acc > train_acc, "加了暂退法后，测试精度高于训练精度")`` stops the build with
    :class:`ClaimError` naming the statement when a run (another seed, profile or machine) makes
    the sentence false, so the page can never say one thing and show another.
    """
    if not isinstance(holds, bool):
        try:  # numpy / torch booleans
            holds = bool(holds.item())  # type: ignore[union-attr]
        except (AttributeError, ValueError, RuntimeError):
            raise TypeError(f"claim() takes a bool, got {type(holds).__name__}") from None
    if not holds:
        raise ClaimError(f"本页的说法与运行结果不符：{statement}")


def _finite_or_none(value):
    """JSON has no inf/nan: an epoch that diverged records ``None``."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _plain(key: str, metrics: dict) -> str:
    shown = ", ".join(f"{name} {value:.4g}" for name, value in metrics.items()
                      if name not in ("epoch", "examples_per_sec", "lr", "grad_norm"))
    return f"[{key}] {shown}"


def report_result(
    key: str,
    history: History | None = None,
    *,
    model: str,
    dataset: str = "Fashion-MNIST",
    metrics: dict | None = None,
    num_params: int | None = None,
    recipe: str | None = None,
) -> dict:
    """Record the final numbers of the experiment ``key`` (e.g. ``"3.6"``).

    Args:
        key: the experiment's entry in :data:`dlnotes.references.REFERENCES` (the build fails on
            a key it does not know).
        history: the run's :class:`History`; its last epoch gives the metrics.
        model: a short model name for the board, e.g. ``"softmax regression (scratch)"``.
        dataset: the dataset trained on.
        metrics: extra or replacement metrics (for runs without a history, e.g. k-fold RMSE).
        num_params: trainable parameter count.
        recipe: how the run trained when that differs from d2l's recipe, in a few words
            (e.g. ``"Adam + 单周期学习率（峰值 0.002）· 20,000 张图"``); the box and the board
            show it beside d2l's setup.

    Returns the recorded dict; with a history it also holds every epoch's record under
    ``"history"`` (the board offers all of them in one file). In a notebook the build shows it
    as a box beside d2l's numbers; in plain Python it is printed.
    """
    merged: dict = {}
    if history is not None:
        merged.update({k: v for k, v in history.final.items() if k != "seconds"})
        merged["epochs"] = len(history)
        merged["seconds"] = history.total_seconds
    merged.update(metrics or {})
    if not merged:
        raise ValueError("report_result needs a history or metrics")
    for name, value in merged.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"metric {name!r} is {value}; the run diverged")
    record = {
        "key": key,
        "model": model,
        "dataset": dataset,
        "profile": current_profile(),
        "num_params": num_params,
        "recipe": recipe,
        "metrics": merged,
    }
    if history is not None:  # every epoch, for the board's file of all training curves
        record["history"] = [{name: _finite_or_none(value) for name, value in epoch.items()}
                             for epoch in history.records]
    if not _in_notebook():  # plain Python: printing is all there is
        print(_plain(key, merged))
        return record
    from IPython.display import display

    display({RESULT_MIME: record, "text/plain": _plain(key, merged)}, raw=True)
    return record
