"""A build split across machines: execute the pages in N shards, merge the caches, build once.

The executed-page cache is content-addressed (:mod:`.execute`), so a page executed on one runner
is found by the build on another as long as both compute the same key (same code, package
modules, requirements, profile, Python and threads per kernel: the workflow pins
``DLNOTES_KERNEL_THREADS``). Three steps, each a GitHub Actions job in
``.github/workflows/pages.yml``::

    python -m dlnotes_site.shards plan --shards 4 --out plan.json     # one job
    python -m dlnotes_site.shards run --plan plan.json --shard 0 --out share/   # N jobs
    python -m dlnotes_site.shards merge share-0/ share-1/ … --into .cache/dlnotes
    DLNOTES_EXECUTE=none mkdocs build --strict                        # executes nothing

``plan`` balances the shards by the page times of the last build (``timings.json`` in the
cache; longest-processing-time first, so the shards finish together); a page never timed
counts as the median. ``run`` executes one shard's pages exactly as ``mkdocs build`` would
(same kernels, same alone rule for pages that measure the machine) and copies its share of the
cache to ``--out``. ``merge`` copies every share into one cache. The build that follows takes
every page from the cache; under ``CI`` a page missing from it fails the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .execute import PageExecutionError, plan_page, run_plan
from .pages import is_notebook_page
from .progress import PageProgress, expected_seconds, read_timings
from .schedule import AloneGate
from .settings import build_settings

__all__ = ["notebook_pages", "split", "run_shard", "merge_caches"]

ROOT = Path(__file__).resolve().parents[2]


def notebook_pages(docs: Path) -> list[str]:
    """The executed pages under ``docs``, as paths relative to it, sorted."""
    return sorted(str(p.relative_to(docs)) for p in docs.rglob("*.md") if is_notebook_page(p))


def split(pages: list[str], seconds: dict[str, float], shards: int) -> list[list[str]]:
    """``pages`` in ``shards`` lists of nearly equal expected time (longest first, each page to
    the least loaded shard; ties go to the lower shard, so every job computes the same split)."""
    if shards < 1:
        raise ValueError(f"the number of shards must be at least 1, got {shards}")
    expected = expected_seconds(pages, seconds)
    loads = [0.0] * shards
    out: list[list[str]] = [[] for _ in range(shards)]
    for page in sorted(pages, key=lambda p: (-expected[p], p)):
        i = min(range(shards), key=lambda k: (loads[k], k))
        out[i].append(page)
        loads[i] += expected[page]
    return [sorted(share) for share in out]


def run_shard(pages: list[str], docs: Path, out: Path | None = None) -> int:
    """Execute (or find in the cache) ``pages`` with the build's settings; copy their cache
    entries and timings to ``out``. Returns the number of pages that ran."""
    settings = build_settings(ROOT)
    executed_dir = settings.cache_root / "executed"
    plans = {
        page: plan_page(docs / page, src_root=ROOT / "src", cache_dir=executed_dir,
                        requirements=ROOT / "requirements.txt", profile=settings.profile,
                        threads=settings.threads)
        for page in pages
    }
    to_run = [p for p in pages if not plans[p].cache_hit]
    gate = AloneGate()
    progress = PageProgress(to_run, settings.cache_root / "timings.json")

    def execute(page: str) -> None:
        plan = plans[page]
        with gate.hold(plan.alone):
            result = run_plan(plan, cache_dir=executed_dir, profile=settings.profile,
                              timeout=settings.timeout, label=f"docs/{page}",
                              threads=settings.threads)
        progress.done(page, result.run_seconds)

    with progress, ThreadPoolExecutor(max_workers=settings.jobs) as pool:
        list(pool.map(execute, progress.order(to_run, alone={p for p in to_run if plans[p].alone})))
    if out is not None:
        (out / "executed").mkdir(parents=True, exist_ok=True)
        for page in pages:
            cached = executed_dir / plans[page].cache_name
            shutil.copy2(cached, out / "executed" / cached.name)
        timings = read_timings(settings.cache_root / "timings.json")
        (out / "timings.json").write_text(
            json.dumps({p: timings[p] for p in pages if p in timings}, indent=1, sort_keys=True),
            encoding="utf-8")
    return len(to_run)


def merge_caches(shares: list[Path], into: Path) -> int:
    """Copy the executed pages and timings of every share into the cache folder ``into``.
    Returns the number of executed pages copied."""
    (into / "executed").mkdir(parents=True, exist_ok=True)
    timings = read_timings(into / "timings.json")
    copied = 0
    for share in shares:
        if not (share / "executed").is_dir():
            raise FileNotFoundError(f"{share} holds no executed/ folder: not a shard's output")
        for entry in sorted((share / "executed").glob("*.ipynb")):
            shutil.copy2(entry, into / "executed" / entry.name)
            copied += 1
        timings.update(read_timings(share / "timings.json"))
    (into / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True),
                                       encoding="utf-8")
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlnotes_site.shards",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="the site's docs folder")
    sub = parser.add_subparsers(dest="command", required=True)
    p_plan = sub.add_parser("plan", help="split the executed pages into balanced shards")
    p_plan.add_argument("--shards", type=int, required=True)
    p_plan.add_argument("--out", type=Path, help="write the plan (JSON) here; default stdout")
    p_run = sub.add_parser("run", help="execute one shard's pages into the cache")
    p_run.add_argument("--plan", type=Path, required=True)
    p_run.add_argument("--shard", type=int, required=True)
    p_run.add_argument("--out", type=Path, help="copy this shard's cache entries here")
    p_merge = sub.add_parser("merge", help="merge shards' outputs into one cache")
    p_merge.add_argument("shares", type=Path, nargs="+")
    p_merge.add_argument("--into", type=Path, help="the cache folder (default: the build's)")
    args = parser.parse_args(argv)
    docs = args.docs.resolve()
    try:
        if args.command == "plan":
            pages = notebook_pages(docs)
            timings = read_timings(build_settings(ROOT).cache_root / "timings.json")
            expected = expected_seconds(pages, timings)
            plan = {"shards": [{"pages": share,
                                "expected_seconds": round(sum(expected[p] for p in share))}
                               for share in split(pages, timings, args.shards)]}
            text = json.dumps(plan, ensure_ascii=False, indent=1)
            if args.out:
                args.out.write_text(text, encoding="utf-8")
            else:
                print(text)
            for i, share in enumerate(plan["shards"]):
                print(f"shard {i}: {len(share['pages'])} pages, "
                      f"≈ {share['expected_seconds']} s of page time", file=sys.stderr)
        elif args.command == "run":
            shards = json.loads(args.plan.read_text(encoding="utf-8"))["shards"]
            if not 0 <= args.shard < len(shards):
                raise ValueError(f"--shard must be in 0…{len(shards) - 1}, got {args.shard}")
            pages = shards[args.shard]["pages"]
            ran = run_shard(pages, docs, args.out)
            print(f"shard {args.shard}: {len(pages)} pages, {ran} executed, "
                  f"{len(pages) - ran} from the cache", file=sys.stderr)
        else:
            into = args.into or build_settings(ROOT).cache_root
            copied = merge_caches(args.shares, into)
            print(f"merged {copied} executed pages from {len(args.shares)} shares into {into}",
                  file=sys.stderr)
    except (PageExecutionError, ValueError, FileNotFoundError) as err:
        print(f"FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
