"""Execute a page's code cells in a fresh kernel, with a content-addressed cache.

The cache key of a page covers everything its outputs can depend on: the source of its code cells
(and their tags), the dlnotes modules it imports (transitively, see :mod:`.pages`), the pinned
requirements, the build profile and the Python version; a page that measures the machine
(:mod:`.machine`) is also tied to the machine that ran it. Prose is not part of the key: a prose-only
edit reuses the cached outputs without starting a kernel (:func:`merge_outputs`).

Errors are never cached or published: a cell that raises, or runs past the per-cell timeout, raises
:class:`PageExecutionError` naming the page and the cell. A cell tagged ``raises-exception`` must
raise; its output is reduced to the error's last line.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets.config import Config

from .machine import machine_fingerprint, machine_tag, measures_machine
from .pages import (
    RAISES_TAG,
    file_digest,
    imported_dlnotes_modules,
    module_files,
    read_page,
)
from .settings import DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXECUTOR_VERSION",
    "PageExecutionError",
    "ExecutedPage",
    "PagePlan",
    "KeyInputs",
    "key_inputs",
    "cache_key",
    "plan_page",
    "run_plan",
    "execute_page",
    "merge_outputs",
]

EXECUTOR_VERSION = "2"  # bump to invalidate every cached page


class PageExecutionError(RuntimeError):
    """A page's cell failed (raised, timed out, killed the kernel, or failed to raise)."""


@dataclass
class ExecutedPage:
    """The outcome of :func:`execute_page`."""

    notebook: nbformat.NotebookNode  # current prose + executed code cells
    cache_hit: bool
    seconds: float  # wall time of this call
    run_seconds: float  # wall time of the execution that produced the outputs
    executed: bool = True  # False: not in the cache and not allowed to run (no outputs)
    machine: str | None = None  # the machine the outputs were measured on (machine-bound pages)


@dataclass
class PagePlan:
    """What :func:`plan_page` found out without starting a kernel."""

    page: Path
    notebook: nbformat.NotebookNode  # the page as read, no outputs
    key: str
    cached: Path | None  # the cache file, if the page's outputs are there
    machine: str | None = None  # this machine's fingerprint, if the page measures the machine
    cache_name: str = ""  # the file name its outputs are stored under (default: f"{key}.ipynb")
    inputs: KeyInputs | None = None  # the key's components (for the number ledger)

    @property
    def cache_hit(self) -> bool:
        return self.cached is not None

    @property
    def alone(self) -> bool:
        """Whether the page must run with no other kernel beside it (it measures the machine)."""
        return self.machine is not None


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "<empty cell>"


@dataclass(frozen=True)
class KeyInputs:
    """The components of a page's cache key, kept apart so that the number ledger
    (:mod:`.ledger`) can say which one changed between two builds. :meth:`key` hashes them."""

    executor: str
    profile: str
    python: str  # ``sys.version``
    threads: int
    platform: str  # ``platform.machine()``
    cells: tuple[tuple[str, tuple[str, ...]], ...]  # each code cell: (source, sorted tags)
    files: tuple[tuple[str, str], ...]  # (path relative to the src root, SHA-256), sorted
    requirements: bytes | None  # the pinned requirements file, if there is one

    def key(self) -> str:
        """The cache key: SHA-256 over every component (the same bytes since executor 2)."""
        h = hashlib.sha256()
        h.update(f"executor={self.executor};profile={self.profile};python={self.python};"
                 .encode())
        h.update(f"threads={self.threads};".encode())
        h.update(self.platform.encode())
        for source, tags in self.cells:
            h.update(b"\0cell\0" + source.encode())
            h.update(repr(list(tags)).encode())
        for path, digest in self.files:
            h.update(b"\0file\0" + path.encode() + b"\0")
            h.update(digest.encode())
        if self.requirements is not None:
            h.update(b"\0requirements\0" + self.requirements)
        return h.hexdigest()


def key_inputs(
    nb, *, src_root: Path, requirements: Path | None, profile: str, threads: int = 0
) -> KeyInputs:
    """Everything the page's outputs depend on (see the module docstring and :func:`cache_key`)."""
    cells = tuple((cell.source, tuple(sorted(cell.metadata.get("tags", []))))
                  for cell in _code_cells(nb))
    modules = imported_dlnotes_modules(nb)
    files = set(module_files(src_root, modules))
    code = "\n".join(c.source for c in _code_cells(nb))
    if "create_model" in code or "load_all" in code:  # the registry imports every model module
        files.update((src_root / "dlnotes" / "models").rglob("*.py"))
    return KeyInputs(
        executor=EXECUTOR_VERSION,
        profile=profile,
        python=sys.version,
        threads=threads,
        platform=platform.machine(),
        cells=cells,
        files=tuple((str(path.relative_to(src_root)), file_digest(path))
                    for path in sorted(files)),
        requirements=requirements.read_bytes()
        if requirements is not None and requirements.is_file() else None,
    )


def cache_key(
    nb, *, src_root: Path, requirements: Path | None, profile: str, threads: int = 0
) -> str:
    """Hash of everything the page's outputs depend on (see the module docstring).

    ``threads`` (the kernel's thread count, 0 = torch's default) is part of the key because
    floating-point reductions may round differently with a different number of threads.
    """
    return key_inputs(nb, src_root=src_root, requirements=requirements, profile=profile,
                      threads=threads).key()


def merge_outputs(current, executed):
    """Current prose with the executed code cells' outputs (their code must be identical)."""
    merged = copy.deepcopy(current)
    code_now, code_done = _code_cells(merged), _code_cells(executed)
    if [c.source for c in code_now] != [c.source for c in code_done]:
        raise ValueError("the executed notebook's code cells differ from the page's")
    for cell, done in zip(code_now, code_done, strict=True):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    merged.metadata["dlnotes"] = {**current.metadata.get("dlnotes", {}),
                                  **executed.metadata.get("dlnotes", {})}
    return merged


def _shorten_expected_error(cell) -> None:
    for output in cell.outputs:
        if output.output_type == "error":
            output.traceback = [f"{output.ename}: {output.evalue}"]


@contextlib.contextmanager
def _removed_after(folder: str):
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(nb, page: Path, label: str, timeout: int, profile: str, threads: int) -> float:
    env = dict(os.environ, DLNOTES_PROFILE=profile, PYTHONHASHSEED="0")
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # The kernel talks to us over Unix sockets in a private folder (mkdtemp: mode 0700), not over
    # localhost TCP ports that any local process could reach (#17)
    sockets = tempfile.mkdtemp(prefix="dlnotes-kernel-")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(page.parent)}},
        config=Config({"KernelManager": {"transport": "ipc",
                                         "ip": os.path.join(sockets, "kernel")}}),
        extra_arguments=[
            "--InlineBackend.figure_formats=svg",
            "--InlineBackend.rc={'figure.dpi': 96, 'svg.hashsalt': 'dlnotes'}",
            "--InlineBackend.print_figure_kwargs="
            "{'bbox_inches': 'tight', 'metadata': {'Date': None}}",
        ],
    )
    start = time.perf_counter()
    with _removed_after(sockets), client.setup_kernel(env=env, cwd=str(page.parent)):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            where = f"{label}: cell {index} ({_first_line(cell.source)!r})"
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError as err:
                raise PageExecutionError(f"{where} ran past the {timeout} s cell timeout") from err
            except DeadKernelError as err:
                raise PageExecutionError(f"{where} killed the kernel: {err}") from err
            except CellExecutionError as err:
                raise PageExecutionError(f"{where} raised {err.ename}: {err.evalue}") from err
            if RAISES_TAG in cell.metadata.get("tags", []):
                if not any(o.output_type == "error" for o in cell.outputs):
                    raise PageExecutionError(
                        f"{where} is tagged {RAISES_TAG!r} but raised nothing"
                    )
                _shorten_expected_error(cell)
    return time.perf_counter() - start


def plan_page(
    page: Path,
    *,
    src_root: Path,
    cache_dir: Path | None,
    requirements: Path | None = None,
    profile: str = "cpu",
    threads: int = 0,
    any_machine: bool = False,
) -> PagePlan:
    """Read ``page``, compute its cache key and look it up (fast: no kernel).

    A page that measures the machine is stored as ``<key>-m<machine tag>.ipynb`` and found only
    under this machine's tag, unless ``any_machine`` (a build that may not execute the page, such
    as the merge of a sharded build): then the newest entry from any machine will do, and the
    page names the machine it was measured on.
    """
    nb = read_page(page)
    inputs = key_inputs(nb, src_root=src_root, requirements=requirements, profile=profile,
                        threads=threads)
    key = inputs.key()
    machine = machine_fingerprint() if measures_machine(nb) else None
    name = f"{key}-m{machine_tag(machine)}.ipynb" if machine else f"{key}.ipynb"
    cached = None
    if cache_dir is not None:
        if (cache_dir / name).is_file():
            cached = cache_dir / name
        elif machine and any_machine:
            measured_elsewhere = sorted(cache_dir.glob(f"{key}-m*.ipynb"),
                                        key=lambda p: p.stat().st_mtime)
            cached = measured_elsewhere[-1] if measured_elsewhere else None
    return PagePlan(page, nb, key, cached, machine, name, inputs)


def run_plan(
    plan: PagePlan,
    *,
    cache_dir: Path | None,
    profile: str = "cpu",
    timeout: int = DEFAULT_TIMEOUT,
    label: str | None = None,
    threads: int = 0,
    may_execute: bool = True,
) -> ExecutedPage:
    """The outputs of a planned page: from the cache, by running it, or (``may_execute=False``
    and not cached) none at all, flagged ``executed=False``."""
    start = time.perf_counter()
    nb = plan.notebook
    if plan.cached is not None:
        executed = nbformat.read(plan.cached, as_version=4)
        merged = merge_outputs(nb, executed)
        run_seconds = merged.metadata["dlnotes"].get("seconds", 0.0)
        return ExecutedPage(merged, True, time.perf_counter() - start, run_seconds,
                            machine=merged.metadata["dlnotes"].get("machine"))
    if not may_execute:
        return ExecutedPage(copy.deepcopy(nb), False, time.perf_counter() - start, 0.0, False)
    label = label or str(plan.page)
    executed = copy.deepcopy(nb)
    run_seconds = _run(executed, plan.page, label, timeout, profile, threads)
    build_info = {"profile": profile, "seconds": round(run_seconds, 1)}
    if plan.machine:
        build_info["machine"] = plan.machine
    # the page's own front-matter flags stay; the build's facts are added beside them
    executed.metadata["dlnotes"] = {**nb.metadata.get("dlnotes", {}), **build_info}
    if cache_dir is not None:
        cached = cache_dir / (plan.cache_name or f"{plan.key}.ipynb")
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.{id(plan)}.tmp")
        nbformat.write(executed, tmp)
        os.replace(tmp, cached)
    return ExecutedPage(merge_outputs(nb, executed), False, time.perf_counter() - start, run_seconds,
                        machine=plan.machine)


def execute_page(
    page: Path,
    *,
    src_root: Path,
    cache_dir: Path | None,
    requirements: Path | None = None,
    profile: str = "cpu",
    timeout: int = DEFAULT_TIMEOUT,
    label: str | None = None,
    threads: int = 0,
) -> ExecutedPage:
    """Execute ``page`` (or take its outputs from the cache) and return the executed notebook.

    Args:
        page: a jupytext Markdown file.
        src_root: the folder that holds the ``dlnotes`` package (for dependency hashing).
        cache_dir: where executed notebooks are kept, keyed by :func:`cache_key`; ``None``
            disables caching.
        requirements: the pinned requirements file, part of the key.
        profile: the build profile, passed to the kernel as ``DLNOTES_PROFILE``.
        timeout: seconds allowed per cell.
        label: how errors name the page (default: its path).
        threads: CPU threads for the kernel (``OMP_NUM_THREADS``); 0 leaves torch's default.
    """
    start = time.perf_counter()
    plan = plan_page(page, src_root=src_root, cache_dir=cache_dir, requirements=requirements,
                     profile=profile, threads=threads)
    result = run_plan(plan, cache_dir=cache_dir, profile=profile, timeout=timeout, label=label,
                      threads=threads)
    result.seconds = time.perf_counter() - start
    return result
