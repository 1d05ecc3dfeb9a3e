"""Execute one page as the site build does and show what it printed.

    python -m dlnotes_site.run_page docs/chapter_linear-networks/softmax-regression-scratch.md

Options: ``--cache`` reuses/writes the build's cache (default: always execute), ``--save PATH``
writes the executed notebook. Settings (profile, threads per kernel, cache folder, cell timeout)
come from :func:`dlnotes_site.settings.build_settings`, the build's own, so ``--cache`` shares the
build's cache entries and the page runs with the thread count it gets in the build.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

from .execute import PageExecutionError, execute_page
from .runvalues import UnknownRunValueError, fill_run_values, noted_values
from .settings import build_settings

ROOT = Path(__file__).resolve().parents[2]


def _describe(output) -> str:
    if output.output_type == "stream":
        return output.text.rstrip()
    if output.output_type == "error":
        return "\n".join(output.traceback)
    data = output.get("data", {})
    for mime in ("image/svg+xml", "image/png"):
        if mime in data:
            return f"[figure {mime}, {len(data[mime]):,} chars]"
    return str(data.get("text/plain", f"[{', '.join(data)}]")).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--cache", action="store_true", help="use the build cache")
    parser.add_argument("--save", type=Path, help="write the executed notebook here")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: the build's)")
    args = parser.parse_args(argv)
    from dlnotes.profiles import UnknownProfileError

    try:
        settings = build_settings(ROOT)
    except (UnknownProfileError, ValueError) as err:
        print(f"FAILED: {err}", file=sys.stderr)
        return 2
    try:
        result = execute_page(
            args.page,
            src_root=ROOT / "src",
            cache_dir=settings.cache_root / "executed" if args.cache else None,
            requirements=ROOT / "requirements.txt",
            profile=settings.profile,
            timeout=args.timeout or settings.timeout,
            threads=settings.threads,
        )
    except PageExecutionError as err:
        print(f"FAILED: {err}", file=sys.stderr)
        return 1
    values = noted_values(copy.deepcopy(result.notebook))
    try:
        fill_run_values(result.notebook)
    except UnknownRunValueError as err:
        print(f"FAILED: {args.page}: {err}", file=sys.stderr)
        return 1
    for i, cell in enumerate(result.notebook.cells):
        if cell.cell_type != "code":
            continue
        shown = [_describe(o) for o in cell.outputs]
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        print(f"--- cell {i}: {first[:70]}")
        for text in shown:
            print(text)
    if values:
        print("--- run values for the prose: "
              + ", ".join(f"{{{{ run.{k} }}}} = {v}" for k, v in values.items()))
    status = "cache hit" if result.cache_hit else "executed"
    print(f"=== {args.page}: {status}, {result.run_seconds:.1f} s")
    if args.save:
        nbformat.write(result.notebook, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
