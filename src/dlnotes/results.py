"""Record a training run's final numbers for the site: ours only.

``report_result`` emits the numbers as a display output of MIME type :data:`RESULT_MIME`. The site
build finds those outputs in every executed page and draws, with one renderer, both the page's
"本页 / d2l / 目标" box and the results board (实验结果总览); d2l's numbers, the targets and the
metric formats live in :mod:`dlnotes.references`, which only the build reads. So adding or
correcting a reference re-runs no page, and a page served from the build cache still contributes
its (identical) numbers.
"""

from __future__ import annotations

import math

from .history import History
from .profiles import current_profile

__all__ = ["RESULT_MIME", "report_result"]

RESULT_MIME = "application/vnd.dlnotes.result+json"


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

    Returns the recorded dict. In a notebook the build shows it as a box beside d2l's numbers;
    in plain Python it is printed.
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
        "metrics": merged,
    }
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: printing is all there is
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(_plain(key, merged))
        return record
    display({RESULT_MIME: record, "text/plain": _plain(key, merged)}, raw=True)
    return record
