"""The MkDocs side of the pipeline; ``hooks/notebooks.py`` forwards MkDocs events here.

For every executed page (a jupytext ``.md`` that mkdocs-jupyter wrapped as a notebook):

1. ``on_files``: execute it or take it from the cache (:mod:`.execute`), render its prose with the
   site's Markdown (:mod:`.prose`), write two notebooks under ``.cache/dlnotes``: ``download/``
   (executed, Markdown cells intact, a setup cell in front: what readers download, :mod:`.download`)
   and ``render/`` (Markdown cells as raw HTML), and point mkdocs-jupyter at the render notebook;
   add the ``dlnotes`` wheel the setup cell installs to the site (:mod:`.wheel`);
2. ``on_page_content``: give the page the TOC from our render, clean nbconvert's HTML
   (:mod:`.html`) and add the info bar (profile, time, download link); on every page, render
   math with KaTeX (:mod:`.math`); give ``dlnotes.plot`` figures their alt text and a link to
   their data (:mod:`.figures`);
3. ``on_post_page``: draw mermaid diagrams as inline SVG (:mod:`.diagrams`; after the search
   plugin has read the page, so the SVG's styles stay out of the index) and link KaTeX's
   stylesheet (and mermaid's script, if no browser could draw the diagrams) on pages that use them,
   and name the theme's search dialog (:func:`.html.name_search_dialog`);
4. ``on_post_build``: copy the downloads, the figures' data files and vendor assets into the
   site and log a summary.

Once every page is known (end of ``on_files``), the number ledger (:mod:`.ledger`) compares each
executed page's inputs and numbers with the last build's: its note goes under the run bar, its
history onto the results board, and ``ledger.json`` is saved in ``on_post_build``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url
from tqdm.contrib.logging import logging_redirect_tqdm

from .assets import copy_vendor_assets, ensure_node_modules, scripts_for, stylesheets_for
from .board import (
    HISTORIES_FILE,
    UnknownResultError,
    accuracy_time_chart,
    board_json,
    board_markdown,
    check_keys,
    collect,
    histories_csv,
    result_box_html,
)
from .diagrams import DiagramError, MermaidRenderer
from .download import WHEEL_FOLDER, wheel_url, with_setup_cells
from .execute import PageExecutionError, PagePlan, plan_page, run_plan
from .figures import label_figures, page_figures, strip_figure_data
from .html import clean_notebook_html, info_bar, name_search_dialog, unexecuted_banner
from .ledger import FILE_NAME as LEDGER_FILE
from .ledger import (
    Ledger,
    LedgerError,
    Snapshot,
    build_stamp,
    page_inputs,
    page_numbers,
)
from .ledger_note import ledger_note
from .math import KatexError, KatexRenderer
from .pages import (
    is_notebook_page,
    load_parsed_pages,
    save_parsed_pages,
)
from .progress import PageProgress
from .prose import render_prose, to_render_notebook
from .runvalues import UnknownRunValueError, fill_run_values
from .schedule import AloneGate
from .settings import EXECUTE_VAR, build_settings
from .stash import Stash
from .wheel import WheelError, build_wheel

log = logging.getLogger("mkdocs.dlnotes")

__all__ = ["PageRecord", "NotebookBuild"]


@dataclass
class PageRecord:
    src_path: str
    download: Path
    run_seconds: float
    cache_hit: bool
    executed: bool = True  # False: rendered without outputs (DLNOTES_EXECUTE left it out)
    machine: str | None = None  # where a page that measures the machine was measured
    toc_tokens: list = field(default_factory=list)
    title: str | None = None
    results: list = field(default_factory=list)
    inputs: dict | None = None  # the cache key's components, as the ledger stores them
    figures: list = field(default_factory=list)  # dlnotes.plot figures (.figures.PageFigure)


def _result_outputs(nb):
    """``(output, record)`` for every result record that ``report_result`` left in ``nb``."""
    from dlnotes.results import RESULT_MIME

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(RESULT_MIME)
            if record is not None:
                yield output, dict(record)


def _draw_result_boxes(nb) -> None:
    """Replace each result record in ``nb`` (a render copy) by the box the build draws for it."""
    for output, record in _result_outputs(nb):
        output["data"] = {"text/html": result_box_html(record)}


class NotebookBuild:
    """State of one MkDocs build (``mkdocs serve`` makes a new one per rebuild)."""

    def __init__(self, root: Path) -> None:
        self.pages: dict[str, PageRecord] = {}
        self.changes: dict = {}  # src_path -> ledger.PageChange of this build
        self.ledger: Ledger | None = None
        self.stash = Stash()  # math and figures held out of the search index (see .stash)
        self.root = root  # the project: src/, requirements.txt, package.json, node_modules/

    # -- configuration -------------------------------------------------------------------------
    def on_config(self, config) -> None:
        from dlnotes.profiles import UnknownProfileError

        try:
            self.settings = build_settings(self.root)
        except (UnknownProfileError, ValueError) as err:
            raise PluginError(str(err)) from err
        self.profile = self.settings.profile
        self.cache_root = self.settings.cache_root
        snippets = config.mdx_configs.get("pymdownx.snippets")
        if snippets is not None:  # package code included on pages comes from this checkout's src/
            snippets["base_path"] = [str(self.root / "src")]
        self.source_url = (config.extra or {}).get("source_url")
        self.site_url = config.site_url
        self.extensions = config.markdown_extensions
        self.extension_configs = config.mdx_configs
        _fast_notebook_test(config)
        self.node_modules = ensure_node_modules(self.root)
        self.katex = KatexRenderer(self.node_modules / "katex", self.cache_root / "katex.json")
        self.diagrams = MermaidRenderer(self.node_modules / "mermaid",
                                        self.cache_root / "mermaid.json")

    # -- execution -----------------------------------------------------------------------------
    def _plan(self, file) -> PagePlan:
        return plan_page(
            Path(file.abs_src_path),
            src_root=self.root / "src",
            cache_dir=self.cache_root / "executed",
            requirements=self.root / "requirements.txt",
            profile=self.profile,
            threads=self.settings.threads,
            any_machine=not self.settings.may_execute(file.src_path),
        )

    def _process(self, file, plan: PagePlan, progress: PageProgress,
                 gate: AloneGate) -> PageRecord:
        label = f"docs/{file.src_path}"
        may_execute = self.settings.may_execute(file.src_path)
        runs = not plan.cache_hit and may_execute
        try:
            # a page that measures the machine runs with no other kernel beside it
            with gate.hold(plan.alone) if runs else contextlib.nullcontext():
                executed = run_plan(
                    plan,
                    cache_dir=self.cache_root / "executed",
                    profile=self.profile,
                    timeout=self.settings.timeout,
                    label=label,
                    threads=self.settings.threads,
                    may_execute=may_execute,
                )
        except PageExecutionError as err:
            raise PluginError(f"executing {err}") from err
        if not executed.cache_hit and executed.executed:
            progress.done(file.src_path, executed.run_seconds)
            log.info(f"dlnotes: ran {executed.run_seconds:6.1f} s  {label}")
        nb = executed.notebook
        results = [record for _, record in _result_outputs(nb)]
        try:
            check_keys(results, label)
        except UnknownResultError as err:
            raise PluginError(str(err.args[0])) from err
        try:
            fill_run_values(nb, executed=executed.executed)
        except UnknownRunValueError as err:
            raise PluginError(f"{label}: {err}") from err
        try:
            prose = render_prose(nb, self.extensions, self.extension_configs)
        except ValueError as err:
            raise PluginError(f"{label}: {err}") from err
        stem = Path(file.src_path).with_suffix(".ipynb")
        download = self.cache_root / "download" / stem
        render = self.cache_root / "render" / stem
        render_nb = to_render_notebook(nb, prose)
        _draw_result_boxes(render_nb)
        strip_figure_data(render_nb)
        download_nb = with_setup_cells(
            nb, filename=self.wheel.filename, url=wheel_url(self.site_url, self.wheel.filename),
            sha256=self.wheel.sha256, pins=self.wheel.pins, profile=self.profile,
            threads=self.settings.threads)
        # cell numbers in the figures' data files count the cells of the notebook readers download
        figures = page_figures(download_nb, page=file.src_path, notebook=download.name,
                               profile=nb.metadata.get("dlnotes", {}).get("profile", self.profile))
        for path, notebook in ((download, download_nb), (render, render_nb)):
            path.parent.mkdir(parents=True, exist_ok=True)
            text = nbformat.writes(notebook)
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        file.abs_src_path = str(render)  # mkdocs-jupyter now renders our notebook
        return PageRecord(
            src_path=file.src_path,
            download=download,
            run_seconds=executed.run_seconds,
            cache_hit=executed.cache_hit,
            executed=executed.executed,
            machine=executed.machine,
            toc_tokens=prose.toc_tokens,
            title=prose.title,
            results=results,
            inputs=page_inputs(plan.inputs, executed.machine) if executed.executed else None,
            figures=figures,
        )

    def on_files(self, files, config):
        notebooks = [
            f for f in files
            if type(f).__name__ == "NotebookFile" and f.src_path.endswith(".md")
        ]
        start = time.perf_counter()
        self._add_wheel(files, config)
        parsed = self.cache_root / "parsed-pages.json"
        load_parsed_pages(parsed)
        plans = {f.src_path: self._plan(f) for f in notebooks}
        save_parsed_pages(parsed)
        to_run = [f for f in notebooks
                  if not plans[f.src_path].cache_hit and self.settings.may_execute(f.src_path)]
        self.pages = {}
        by_path = {f.src_path: f for f in notebooks}
        # a progress bar (pages done/total, ETA) when pages have to run: the first build takes
        # minutes; log lines go through the bar so they do not tear it
        progress = PageProgress([f.src_path for f in to_run], self.cache_root / "timings.json")
        gate = AloneGate()
        with logging_redirect_tqdm(loggers=[logging.getLogger("mkdocs")]), progress, \
                ThreadPoolExecutor(max_workers=self.settings.jobs) as pool:
            order = progress.order(list(by_path), alone={p for p in by_path if plans[p].alone})
            records = pool.map(lambda p: self._process(by_path[p], plans[p], progress, gate),
                               order)
            for record in records:
                self.pages[record.src_path] = record
        self._log_summary(time.perf_counter() - start)
        self._record_ledger()
        self._add_results_board(files, config)
        return files

    def _add_wheel(self, files, config) -> None:
        """Build the ``dlnotes`` wheel (in memory, well under a second) and serve it from
        ``downloads/``: the setup cell of every downloaded notebook installs it."""
        from mkdocs.structure.files import File

        try:
            self.wheel = build_wheel(self.root)
        except WheelError as err:
            raise PluginError(f"dlnotes wheel: {err}") from err
        name = f"{WHEEL_FOLDER}/{self.wheel.filename}"
        if files.get_file_from_path(name) is not None:
            raise PluginError(f"docs/{name} is generated by the build; remove the file")
        files.append(File.generated(config, name, content=self.wheel.data))

    def _log_summary(self, seconds: float) -> None:
        records = list(self.pages.values())
        ran = sum(r.executed and not r.cache_hit for r in records)
        unexecuted = [r.src_path for r in records if not r.executed]
        page_time = sum(r.run_seconds for r in records)
        jobs = self.settings.jobs
        log.info(
            f"dlnotes: {len(records)} executed pages ({ran} run, "
            f"{sum(r.cache_hit for r in records)} from cache, {len(unexecuted)} not executed) "
            f"in {seconds:.1f} s, profile {self.profile}, {jobs} kernels × "
            f"{self.settings.threads} threads"
        )
        slowest = sorted(records, key=lambda r: r.run_seconds, reverse=True)[:5]
        log.info(
            f"dlnotes: page time {page_time:.0f} s in total (≈ {page_time / jobs:.0f} s wall with "
            f"{jobs} kernels); slowest: "
            + ", ".join(f"{r.src_path} {r.run_seconds:.0f} s" for r in slowest)
        )
        if unexecuted:
            message = (f"dlnotes: {len(unexecuted)} pages rendered without running their code "
                       f"({EXECUTE_VAR}={','.join(self.settings.execute or ())}): "
                       + ", ".join(unexecuted[:5]) + (" …" if len(unexecuted) > 5 else ""))
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                raise PluginError(message + f"; CI publishes executed pages only: unset {EXECUTE_VAR}")
            log.warning(message)

    def _record_ledger(self) -> None:
        """Compare every executed page with the ledger (saved in ``on_post_build``)."""
        start = time.perf_counter()
        try:
            self.ledger = Ledger(self.cache_root / LEDGER_FILE)
        except LedgerError as err:
            raise PluginError(str(err)) from err
        snapshots = {r.src_path: Snapshot(r.inputs, page_numbers(r.results), r.run_seconds)
                     for r in self.pages.values() if r.executed and r.inputs is not None}
        self.changes = self.ledger.record(snapshots, build_stamp())
        count = {s: sum(c.status == s for c in self.changes.values())
                 for s in ("changed", "first", "same")}
        # a flag is shown on the page and the board, and logged, but fails no build: a GPU
        # build may legitimately be nondeterministic
        flagged = sorted(p for p, c in self.changes.items() if c.flagged and c.status != "same")
        log.info(
            f"dlnotes: number ledger: {count['changed']} pages changed, {count['first']} first "
            f"records, {count['same']} unchanged ({time.perf_counter() - start:.2f} s)"
            + (f"; numbers moved with no input changed (⚠): {', '.join(flagged)}"
               if flagged else "")
        )

    def _chart(self, rows: list[dict]) -> bytes:
        """The accuracy/time chart, redrawn only when its data changed (drawing it means
        importing matplotlib, about a second of every warm build otherwise)."""
        import hashlib
        import json

        data = json.dumps([(r["key"], r["metrics"].get("seconds"), r["metrics"].get("test_acc"))
                           for r in rows]).encode()
        cached = self.cache_root / "charts" / f"{hashlib.sha256(data).hexdigest()[:24]}.svg"
        if cached.is_file():
            return cached.read_bytes()
        svg = accuracy_time_chart(rows)
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(svg)
        return svg

    def _add_results_board(self, files, config) -> None:
        from mkdocs.structure.files import File

        rows = collect({r.src_path: r.results for r in self.pages.values()})
        generated = {
            "results.md": board_markdown(rows, self.profile, history=self.changes),
            "results.json": board_json(rows, self.profile),
            HISTORIES_FILE: histories_csv(rows, self.profile),
            "results-chart.svg": self._chart(rows),
        }
        for name, content in generated.items():
            if files.get_file_from_path(name) is not None:
                raise PluginError(f"docs/{name} is generated by the build; remove the file")
            files.append(File.generated(config, name, content=content))

    # -- rendering -----------------------------------------------------------------------------
    def on_page_content(self, html: str, page, config, files) -> str:
        record = self.pages.get(page.file.src_path)
        if record is not None:
            page.toc = get_toc(record.toc_tokens)
            if record.title:
                page.title = record.title
            href = record.download.name
            bar = info_bar(self.profile, record.run_seconds, href, record.machine) \
                if record.executed \
                else unexecuted_banner(self.settings.execute or ())
            change = self.changes.get(page.file.src_path)
            if record.executed and change is not None:
                bar += ledger_note(change, self.ledger.rtol)
            html = bar + _rewrite_md_links(label_figures(clean_notebook_html(html), record.figures),
                                           page, files)
        html = _link_source_titles(html, self.source_url)
        key = page.file.src_path
        try:
            html = self.katex.render(html, f"docs/{key}", wrap=lambda f: self.stash.put(key, f))
        except KatexError as err:
            raise PluginError(str(err)) from err
        return self.stash.hide(key, html)

    def on_post_page(self, output: str, page, config) -> str:
        base = "../" * page.url.count("/")
        output = name_search_dialog(self.stash.restore(page.file.src_path, output))
        try:
            output = self.diagrams.render(output, f"docs/{page.file.src_path}")
        except DiagramError as err:  # on_build_error stops the browser
            raise PluginError(str(err)) from err
        links = stylesheets_for(output, base)
        if links:
            head_end = output.find("</head>")
            output = output[:head_end] + links + "\n" + output[head_end:]
        scripts = scripts_for(output, base)
        if scripts:
            bundle = output.find("assets/javascripts/bundle.")
            insert_at = output.rfind("<script", 0, bundle) if bundle != -1 else output.rfind("</body>")
            output = output[:insert_at] + scripts + "\n" + output[insert_at:]
        return output

    def on_post_template(self, output: str, template_name: str, config) -> str:
        """Static pages (404.html) get the same fixes to the theme's HTML as content pages."""
        return name_search_dialog(output) if template_name.endswith(".html") else output

    def on_post_build(self, config) -> None:
        site_dir = Path(config.site_dir)
        for record in self.pages.values():
            page_dir = site_dir / _dest_dir(record.src_path, config.use_directory_urls)
            page_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(record.download, page_dir / record.download.name)
            for figure in record.figures:
                (page_dir / figure.filename).write_text(figure.content, encoding="utf-8")
        copy_vendor_assets(self.node_modules, site_dir)
        self.katex.save()
        self.diagrams.close()
        if self.ledger is not None:
            self.ledger.save()

    def on_build_error(self, error) -> None:
        if hasattr(self, "diagrams"):
            self.diagrams.close()  # stop the browser; keep what was drawn


def _fast_notebook_test(config) -> None:
    """Let mkdocs-jupyter tell notebook pages by their front matter instead of parsing them.

    Its ``should_include`` runs ``jupytext.read`` on every ``.md`` file, twice per page and build
    (``on_files`` and ``on_pre_page``): about a second of each warm build. The rule is the same
    as :func:`dlnotes_site.pages.is_notebook_page`; ``tests/test_pipeline.py`` checks on every
    page of ``docs/`` that both give the same answer (pinned mkdocs-jupyter; re-check on upgrade).
    """
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None or getattr(plugin, "_dlnotes_fast", False):
        return
    original = plugin.should_include

    def should_include(file):
        path = file.abs_src_path
        if path is None or not path.endswith(".md"):
            return original(file)
        if not is_notebook_page(Path(path)):
            return False
        src = PurePath(path)
        if any(src.match(pattern) for pattern in plugin.config["ignore"]):
            return False
        return any(src.match(pattern) for pattern in plugin.config["include"])

    plugin.should_include = should_include
    plugin._dlnotes_fast = True


_SOURCE_TITLE = re.compile(r'<span class="filename">(dlnotes(?:_site)?/[\w/.-]+\.py)</span>')


def _link_source_titles(html: str, source_url: str | None) -> str:
    """A code block titled ``dlnotes/….py`` (package code included by pymdownx.snippets) gets
    its title linked to that file of the repository."""
    if not source_url:
        return html
    return _SOURCE_TITLE.sub(
        lambda m: f'<span class="filename"><a href="{source_url}src/{m[1]}" '
                  f'title="查看源文件">{m[1]}</a></span>', html)


_ASSET_SRC = re.compile(r'src="(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]+)"')
_MD_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]+\.md)(#[^"]*)?"')


def _rewrite_md_links(html: str, page, files) -> str:
    """Turn ``[text](other.md#anchor)`` links and ``![alt](../assets/x.svg)`` images in our
    prose into site URLs, as MkDocs does for ordinary pages (our prose bypasses its Markdown
    pipeline). An unknown target is a warning, which ``mkdocs build --strict`` turns into a
    failure."""

    def url_of(relative: str, what: str) -> str | None:
        """The site URL of ``relative`` (a path from this page's source), or None with a warning."""
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_path), relative))
        file = files.get_file_from_path(target)
        if file is None:
            log.warning(f"docs/{page.file.src_path}: {what} {relative!r} does not exist")
            return None
        return get_relative_url(file.url, page.url)

    def replace_link(match: re.Match) -> str:
        url = url_of(match[1], "link to")
        return match[0] if url is None else f'href="{url}{match[2] or ""}"'

    def replace_src(match: re.Match) -> str:
        url = url_of(match[1], "image")
        return match[0] if url is None else f'src="{url}"'

    return _ASSET_SRC.sub(replace_src, _MD_LINK.sub(replace_link, html))


def _dest_dir(src_path: str, use_directory_urls: bool) -> Path:
    path = Path(src_path).with_suffix("")
    if not use_directory_urls or path.name == "index":
        return path.parent
    return path
