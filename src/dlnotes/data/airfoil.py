"""NASA airfoil self-noise (d2l §11.5–11.10): the regression task every optimizer of chapter 11 trains on.

1,503 rows, tab-separated: five features (frequency, angle of attack, chord length, free-stream
velocity, suction-side displacement thickness) and the scaled sound pressure level in decibels.
As in d2l, every column (the label too) is standardised to mean 0 and standard deviation 1 over the
whole file, and the first ``n`` rows are kept (d2l: 1,500). A linear model's squared loss
$\\frac12(\\hat y - y)^2$ on this data levels off near 0.24.
"""

from __future__ import annotations

import numpy as np
import torch

from .store import DataFile, fetch

__all__ = ["AIRFOIL", "airfoil_data"]

AIRFOIL = DataFile("airfoil_self_noise.dat", "http://d2l-data.s3-accelerate.amazonaws.com/airfoil_self_noise.dat",
                   "76e5be1548fd8222e5074cf0faae75edff8cf93f")


def airfoil_data(n: int = 1500) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)``: standardised features ``(n, 5)`` and label ``(n,)``, float32."""
    data = np.genfromtxt(fetch(AIRFOIL), dtype=np.float64, delimiter="\t")  # (1503, 6)
    if data.ndim != 2 or data.shape[1] != 6:
        raise ValueError(f"airfoil_self_noise.dat should have 6 tab-separated columns, got shape {data.shape}")
    if not 0 < n <= len(data):
        raise ValueError(f"n must be in 1…{len(data)}, got {n}")
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    data = torch.tensor(data[:n], dtype=torch.float32)
    return data[:, :-1], data[:, -1]
