"""Report a training run's final numbers: printed for the reader, and recorded for the site.

``report_result`` prints our final metrics beside d2l's and says whether this profile's target is
met. It also emits the numbers as a display output of MIME type :data:`RESULT_MIME`; the site build
collects those outputs from every executed page into the results board (实验结果总览) and the test
suite checks every target there. Because the numbers travel inside the executed notebook, a page
served from the build cache still contributes its (identical) numbers.
"""

from __future__ import annotations

import math

from .profiles import current_profile
from .references import reference_for
from .train import History

__all__ = ["RESULT_MIME", "report_result", "format_comparison"]

RESULT_MIME = "application/vnd.dlnotes.result+json"


def _fmt(value: float) -> str:
    if isinstance(value, int) or (abs(value) >= 100 and float(value).is_integer()):
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"


def format_comparison(key: str, metrics: dict) -> str:
    """Lines comparing ``metrics`` with d2l's numbers for ``key`` and the target."""
    ref = reference_for(key)
    shared = [m for m in ref.d2l if m in metrics]
    ours = ", ".join(f"{m.replace('_', ' ')} {_fmt(metrics[m])}" for m in shared)
    theirs = ", ".join(f"{m.replace('_', ' ')} {_fmt(ref.d2l[m])}" for m in shared)
    lines = [f"本页 ({current_profile()}): {ours}", f"d2l ({ref.d2l_setup}): {theirs}"]
    if ref.target is not None:
        verdict = "达到" if ref.target.met_by(metrics) else "未达到"
        lines.append(f"目标 ({ref.target}): {verdict}")
    return "\n".join(lines)


def report_result(
    key: str,
    history: History | None = None,
    *,
    model: str,
    dataset: str = "Fashion-MNIST",
    metrics: dict | None = None,
    num_params: int | None = None,
) -> dict:
    """Print and record the final numbers of the experiment ``key`` (e.g. ``"3.6"``).

    Args:
        key: the experiment's entry in :data:`dlnotes.references.REFERENCES`.
        history: the run's :class:`History`; its last epoch gives the metrics.
        model: a short model name for the board, e.g. ``"softmax regression (scratch)"``.
        dataset: the dataset trained on.
        metrics: extra or replacement metrics (for runs without a history, e.g. k-fold RMSE).
        num_params: trainable parameter count.

    Returns the recorded dict.
    """
    reference_for(key)  # fail early on an unknown key
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
    print(format_comparison(key, merged))
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: printing is all there is
        return record
    if get_ipython() is None:
        return record
    display({RESULT_MIME: record, "text/plain": ""}, raw=True)
    return record
