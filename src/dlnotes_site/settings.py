"""The build's settings, read from the environment in one place.

``mkdocs build``/``serve`` (:mod:`.build`) and ``python -m dlnotes_site.run_page`` both call
:func:`build_settings`, so a page run by hand with ``--cache`` computes the same cache key as the
build (profile, threads per kernel) and the two share one cache.

| variable | meaning | default |
|---|---|---|
| ``DLNOTES_PROFILE`` | ``cpu`` or ``full`` (:mod:`dlnotes.profiles`) | ``cpu`` |
| ``DLNOTES_BUILD_CACHE`` | the cache folder | ``<project>/.cache/dlnotes`` |
| ``DLNOTES_CELL_TIMEOUT`` | seconds per cell | 600 |
| ``DLNOTES_BUILD_JOBS`` | pages executed in parallel | ``min(2, cores)`` |
| ``DLNOTES_KERNEL_THREADS`` | CPU threads per kernel (part of every cache key: the jobs of a sharded build set it so that their keys agree whatever cores each runner has) | ``cores // jobs`` |
| ``DLNOTES_EXECUTE`` | comma-separated globs of pages that may execute (``chapter_recurrent*``); the others come from the cache or render unexecuted with a banner; ``none`` executes nothing (the merge of a sharded build) | every page |
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BuildSettings", "build_settings", "EXECUTE_VAR"]

EXECUTE_VAR = "DLNOTES_EXECUTE"
DEFAULT_TIMEOUT = 600  # seconds per cell


@dataclass(frozen=True)
class BuildSettings:
    profile: str
    cache_root: Path
    timeout: int
    jobs: int
    threads: int  # per kernel: cores // jobs (part of the cache key)
    execute: tuple[str, ...] | None  # globs from DLNOTES_EXECUTE; None: every page may execute

    def may_execute(self, src_path: str) -> bool:
        """Whether the page ``src_path`` (relative to ``docs/``) may run its code in this build."""
        if self.execute is None:
            return True
        return any(fnmatch.fnmatch(src_path, pattern) or fnmatch.fnmatch(src_path, pattern + ".md")
                   for pattern in self.execute)


def build_settings(root: Path) -> BuildSettings:
    """Settings for the project at ``root``, from the environment (see the module docstring).

    Raises ``dlnotes.profiles.UnknownProfileError`` for an unknown profile and ``ValueError`` for
    a malformed number.
    """
    from dlnotes.profiles import current_profile

    profile = current_profile()
    cache = os.environ.get("DLNOTES_BUILD_CACHE")
    cache_root = Path(cache).resolve() if cache else root / ".cache" / "dlnotes"
    try:
        timeout = int(os.environ.get("DLNOTES_CELL_TIMEOUT", DEFAULT_TIMEOUT))
        cores = os.cpu_count() or 1
        # on two cores two single-threaded kernels beat one two-threaded kernel (kernel start
        # and imports overlap, and small-batch ops scale poorly across threads)
        jobs = max(1, int(os.environ.get("DLNOTES_BUILD_JOBS", min(2, cores))))
        threads = max(1, int(os.environ.get("DLNOTES_KERNEL_THREADS") or max(1, cores // jobs)))
    except ValueError as err:
        raise ValueError("DLNOTES_CELL_TIMEOUT, DLNOTES_BUILD_JOBS and DLNOTES_KERNEL_THREADS "
                         f"must be integers: {err}") from err
    raw = os.environ.get(EXECUTE_VAR, "").strip()
    execute = tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else None
    return BuildSettings(profile, cache_root, timeout, jobs, threads, execute)
