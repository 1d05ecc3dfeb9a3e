"""Build profiles: how big the experiments on a page are.

``DLNOTES_PROFILE=cpu`` (the default) scales each experiment so a page builds in about a minute on
two CPU cores; ``DLNOTES_PROFILE=full`` uses d2l's own settings and is meant for a GPU.

A page asks for its sizes with :func:`choose`::

    num_epochs = choose(cpu=10, full=10)
    resize = choose(cpu=None, full=224)
"""

from __future__ import annotations

import os
from typing import TypeVar

__all__ = ["PROFILES", "ENV_VAR", "UnknownProfileError", "current_profile", "choose"]

T = TypeVar("T")

ENV_VAR = "DLNOTES_PROFILE"
PROFILES: dict[str, str] = {
    "cpu": "两核 CPU 上每页约一分钟：缩小数据、宽度或轮数，保留模型的思想",
    "full": "复现 d2l 的原始设置（输入尺寸、轮数、学习率），适合在 GPU 上运行",
}


class UnknownProfileError(ValueError):
    """Raised when ``DLNOTES_PROFILE`` names a profile that does not exist."""


def current_profile() -> str:
    """Return the active profile name, ``"cpu"`` unless ``$DLNOTES_PROFILE`` says otherwise."""
    name = os.environ.get(ENV_VAR, "cpu").strip() or "cpu"
    if name not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(
            f"{ENV_VAR}={name!r} is not a known profile; choose one of: {known}"
        )
    return name


def choose(*, cpu: T, full: T) -> T:
    """Return ``cpu`` or ``full`` according to the active profile."""
    return {"cpu": cpu, "full": full}[current_profile()]
