"""Measure what #8 asked for: warm rebuilds, a prose-only edit, and what an addition re-runs.

    python scripts/measure_build.py            # needs a filled cache (run `mkdocs build` once)

Prints (1) rebuild times inside one process, as `mkdocs serve` rebuilds; (2) the same after a
prose-only edit of a training page (no kernel may start); (3) how many executed pages the build's
own cache keys would re-run after adding a dataset, adding a reference, and editing `fit`.
A fresh process adds about 4 s before the first page (imports, jieba's dictionary): time
`mkdocs build -q` for that.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "chapter_multilayer-perceptrons" / "mlp-scratch.md"


def rebuilds(n: int = 3, edit: bool = False) -> list[float]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site = tempfile.mkdtemp()
    original = PAGE.read_text(encoding="utf-8")
    times = []
    try:
        build(load_config(str(ROOT / "mkdocs.yml"), site_dir=site))  # warm the process
        for i in range(n):
            if edit:
                PAGE.write_text(original.replace("## 训练", f"## 训练（改 {i}）", 1), encoding="utf-8")
            start = time.perf_counter()
            build(load_config(str(ROOT / "mkdocs.yml"), site_dir=site))
            times.append(time.perf_counter() - start)
    finally:
        PAGE.write_text(original, encoding="utf-8")
        shutil.rmtree(site, ignore_errors=True)
    return times


def rerun_counts() -> dict[str, int]:
    from dlnotes_site.execute import cache_key
    from dlnotes_site.pages import is_notebook_page, read_page

    pages = [p for p in sorted((ROOT / "docs").rglob("*.md")) if is_notebook_page(p)]
    notebooks = {p: read_page(p) for p in pages}

    def keys(src):
        return {p: cache_key(notebooks[p], src_root=src, requirements=ROOT / "requirements.txt",
                             profile="cpu", threads=1) for p in pages}

    def count(edit) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "src"
            shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            before = keys(src)
            edit(src / "dlnotes")
            after = keys(src)
        return sum(before[p] != after[p] for p in pages)

    def append(rel, text):
        return lambda pkg: (pkg / rel).write_text((pkg / rel).read_text() + text)

    def add_dataset(pkg):
        (pkg / "data" / "new_corpus.py").write_text(
            'from .store import DataFile\nCORPUS = DataFile("new.txt", "https://example.org/n", "0" * 40)\n')

    return {
        "pages": len(pages),
        "add a dataset": count(add_dataset),
        "add a reference": count(append("references.py", '\nREFERENCES["8.5"] = _ref("8.5", "RNN", "x", {}, "S")\n')),
        "edit fit": count(append("train.py", "\n# an edit\n")),
    }


def main() -> int:
    warm = rebuilds()
    print(f"warm rebuild in one process: {[round(t, 2) for t in warm]} s, median {statistics.median(warm):.2f} s")
    prose = rebuilds(edit=True)
    print(f"prose-only edit rebuild:     {[round(t, 2) for t in prose]} s, median {statistics.median(prose):.2f} s")
    print("pages re-run by an edit:", rerun_counts())
    return 0


if __name__ == "__main__":
    sys.exit(main())
