"""Choosing where tensors live (d2l §5.6): a GPU when there is one, the CPU otherwise.

The same code runs on both: create the model and data with ``device=try_gpu()`` (or move them
with ``.to(device)``) and every operation runs there.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

__all__ = ["num_gpus", "try_gpu", "try_all_gpus", "device_name", "cpu_model", "describe_machine"]


def num_gpus() -> int:
    """Number of visible CUDA GPUs (0 on a CPU-only machine)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


# --8<-- [start:try-gpu]
def try_gpu(i: int = 0) -> torch.device:
    """``cuda:i`` if that GPU exists, else ``cpu``."""
    if i < 0:
        raise ValueError(f"GPU index must be non-negative, got {i}")
    if num_gpus() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")
# --8<-- [end:try-gpu]


def try_all_gpus() -> list[torch.device]:
    """Every GPU, or ``[cpu]`` if there is none."""
    devices = [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    return devices if devices else [torch.device("cpu")]


def device_name(device: torch.device | str) -> str:
    """A readable name: the GPU's model for CUDA devices, ``"CPU"`` otherwise."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return "CPU"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe_machine() -> dict[str, str]:
    """What a page that measures speed should print next to its numbers (chapter 12).

    CPU model, the cores this process may use, torch's intra-op threads, the torch version and
    the GPUs (``"无"`` without CUDA). The build keys such pages' cache on the machine too.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = [torch.cuda.get_device_name(i) for i in range(num_gpus())]
    return {
        "CPU": cpu_model(),
        "可用核数": str(cores),
        "torch 线程数": str(torch.get_num_threads()),
        "torch": torch.__version__,
        "GPU": ", ".join(gpus) if gpus else "无",
    }
