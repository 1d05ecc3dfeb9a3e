"""The record of one training run, shared by the loop, the plots, the results and the recipes.

It imports nothing from dlnotes (and not torch), so a page that only draws or reports does not
depend on the training loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["History"]

# how History.summary names a recorded metric, in the order it prints them
_SUMMARY_NAMES = {
    "train_loss": "loss", "train_acc": "train acc", "train_ppl": "train ppl",
    "test_loss": "test loss", "test_acc": "test acc", "test_ppl": "test ppl",
}


@dataclass
class History:
    """Per-epoch metrics of one training run.

    Each record has ``epoch``, ``train_loss``, ``seconds`` (training time of that epoch) and
    ``examples_per_sec``; then whatever the loop was asked to measure: ``train_<metric>`` for
    each metric (``acc``, ``ppl``, …), ``test_loss`` and ``test_<metric>`` when there is test data,
    ``lr`` when a schedule ran.
    """

    records: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def metric(self, name: str) -> list[float]:
        """The values of one metric, one per epoch."""
        if not self.records or name not in self.records[0]:
            known = sorted(self.records[0]) if self.records else []
            raise KeyError(f"no metric {name!r} in this history; recorded: {known}")
        return [r[name] for r in self.records]

    @property
    def final(self) -> dict:
        """The last epoch's record."""
        if not self.records:
            raise ValueError("the history is empty: no epoch has finished")
        return self.records[-1]

    @property
    def total_seconds(self) -> float:
        return sum(r["seconds"] for r in self.records)

    def summary(self) -> str:
        """One line with the final numbers, e.g. ``loss 0.447, train acc 0.848, test acc 0.836``."""
        last = self.final
        parts = [f"{label} {last[name]:.3f}" for name, label in _SUMMARY_NAMES.items()
                 if name in last]
        # a test loss is worth printing only when no test metric summarises the test set
        if "test_loss" in last and any(k.startswith("test_") and k != "test_loss" for k in last):
            parts = [p for p in parts if not p.startswith("test loss")]
        parts.append(f"{last['examples_per_sec']:,.0f} examples/sec")
        parts.append(f"{self.total_seconds:.1f} s in total")
        return ", ".join(parts)
