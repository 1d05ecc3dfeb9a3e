"""Which machine a build runs on, for the pages whose numbers are measurements of it.

A page that times code (chapter 12) declares it in its front matter::

    jupyter:
      dlnotes:
        measures_machine: true

Such a page's cache entry is tied to :func:`machine_fingerprint` (its outputs are only true of
the machine that produced them), the build runs it with no other kernel beside it
(:mod:`.schedule`), and its info bar names the machine. The fingerprint is read without
importing torch: the CPU model from ``/proc/cpuinfo``, the cores this process may use, and the
GPUs ``nvidia-smi -L`` lists.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["measures_machine", "machine_fingerprint", "machine_tag"]


def measures_machine(nb) -> bool:
    """Whether the page (a notebook read by :func:`.pages.read_page`) declares that it measures
    the machine it runs on."""
    flags = nb.metadata.get("dlnotes", {})
    value = flags.get("measures_machine", False) if isinstance(flags, dict) else False
    if not isinstance(value, bool):
        raise ValueError(f"front matter dlnotes.measures_machine must be true or false, "
                         f"got {value!r}")
    return value


def _cpu_model() -> str:
    # the same source as dlnotes.device.cpu_model, which the build does not import (it imports
    # torch, a second of every warm build)
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text(encoding="utf-8") if cpuinfo.is_file() else ""
    found = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.M)
    return found[1].strip() if found else platform.processor() or platform.machine() or "unknown CPU"


def _gpus() -> list[str]:
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "" or shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    # "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)" -> "NVIDIA H100 80GB HBM3"
    return [line.split(":", 1)[1].split("(UUID")[0].strip()
            for line in out.stdout.splitlines() if line.startswith("GPU ")]


@functools.cache
def machine_fingerprint() -> str:
    """A readable description of this machine: ``"AMD EPYC · 2 核"`` (plus ``" · GPU: …"``)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{_cpu_model()} · {cores} 核"
    gpus = _gpus()
    if gpus:
        text += " · GPU: " + ", ".join(gpus)
    return text


def machine_tag(fingerprint: str) -> str:
    """The short hash of ``fingerprint`` that machine-bound cache files carry in their name."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
