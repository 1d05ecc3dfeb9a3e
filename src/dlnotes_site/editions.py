"""The downloadable editions of a built site: the book as PDF (whole and per chapter), as EPUB,
and the site as a zip that works from ``file://``. Run after ``mkdocs build``::

    python -m dlnotes_site.editions site            # writes site/downloads/

Everything is made from the executed build (math, diagrams and figures are already static), so
this costs no page execution and no second ``mkdocs build``; the browser is the Chromium the build
draws its diagrams with (:func:`.diagrams.find_chromium`). Chapters print in parallel, one
browser context per job; the book is the chapters' PDFs joined behind a title page and a table
of contents (:mod:`pypdf`, which keeps the links and adds the outline). The home page's download
links are made here (:func:`fill_home`), with the files' sizes.

Output, in ``<site>/downloads/``: ``dlnotes.pdf``, ``dlnotes-<n>-<chapter>.pdf`` (one per
chapter), ``dlnotes.epub``, ``dlnotes-site.zip``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .book import Book, BookError, Chapter, Page, load_book
from .diagrams import CHROMIUM_ARGS, find_chromium
from .epub import TO_XHTML_JS, Images, epub_sources, write_epub
from .offline import write_zip
from .print_pdf import (
    CONTENT_WIDTH_MM,
    FIT_JS,
    anchors_of,
    chapter_html,
    chapter_label,
    footer_template,
    front_html,
    stamp,
)

__all__ = ["BOOK_PDF", "EPUB", "SITE_ZIP", "chapter_pdf_name", "fill_home", "human_size",
           "make_editions", "main"]

BOOK_PDF = "dlnotes.pdf"
EPUB = "dlnotes.epub"
SITE_ZIP = "dlnotes-site.zip"
DOWNLOADS = "downloads"


def chapter_pdf_name(chapter: Chapter) -> str:
    """``dlnotes-03-linear-networks.pdf`` for "3 线性神经网络" in ``chapter_linear-networks``."""
    label = chapter_label(chapter)
    number = f"{int(label):02d}-" if label.isdigit() else ""
    return f"dlnotes-{number}{chapter.slug}.pdf"


def human_size(n: int) -> str:
    """A file size as the home page shows it: ``12.3 MB``, ``850 KB``."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} KB"


# also matches a link this function made before (a second run replaces it)
_LINK = re.compile(r'<a (?:href="[^"]*" )?data-dl="([^"]+)">(.*?)</a>(?:（[\d.]+ [KM]B）)?', re.S)
_CHAPTERS_SPAN = re.compile(r'(<span data-dl-chapters="">).*?(</span>)', re.S)


def fill_home(html: str, sizes: dict[str, int], chapters: list[tuple[str, str]]) -> str:
    """The home page with its download links made: each ``<a data-dl="NAME">`` whose file was
    made gets its ``href`` and, after it, the file's size; ``<span data-dl-chapters="">`` gets the
    links to the chapter PDFs (``chapters``: label and file name, in book order). A site whose
    editions were not made keeps plain text there, not links to missing files."""

    def link(m: re.Match) -> str:
        name = m[1]
        if name not in sizes:
            return m[0]
        return (f'<a href="{DOWNLOADS}/{name}" data-dl="{name}">{m[2]}</a>'
                f"（{human_size(sizes[name])}）")

    html = _LINK.sub(link, html)
    links = " · ".join(f'<a href="{DOWNLOADS}/{name}">{label}</a>' for label, name in chapters)
    return _CHAPTERS_SPAN.sub(lambda m: f"{m[1]} {links} {m[2]}" if links else m[0], html)


@dataclass
class _Doc:
    """One print document: a chapter, or the appendix."""

    name: str            # output file name
    heading: str         # "3 线性神经网络"
    label: str           # page-number prefix ("3", "附录")
    pages: list[Page]
    weight: int = 0      # bytes of article HTML, to start the biggest first
    page_count: int = 0
    starts: dict[str, int] = field(default_factory=dict)  # page URL -> 0-based page in the PDF


def _docs(book: Book, articles: dict[str, str]) -> list[_Doc]:
    docs = [_Doc(chapter_pdf_name(ch), ch.title, chapter_label(ch), ch.pages)
            for ch in book.chapters]
    if book.appendix:
        docs.append(_Doc("dlnotes-appendix.pdf", "附录", "附录", book.appendix))
    for d in docs:
        d.weight = sum(len(articles[p.url]) for p in d.pages)
    return docs


async def _browser_work(book: Book, articles: dict[str, str], docs: list[_Doc], tmp: Path,
                        jobs: int, sources: dict[str, str], xhtml: dict[str, str]) -> None:
    """Everything the browser does, on ``jobs`` browser contexts at once: print every document
    to ``tmp/<name>``, serialize each of ``sources`` (HTML by page URL) into ``xhtml``; then,
    the chapters' page numbers known, print the book's front matter to ``tmp/front.pdf``."""
    from playwright.async_api import async_playwright

    width_px = round(CONTENT_WIDTH_MM / 25.4 * 96)
    queue: asyncio.Queue = asyncio.Queue()
    for d in sorted(docs, key=lambda d: -d.weight):
        queue.put_nowait(("pdf", d))
    for url in sources:
        queue.put_nowait(("xhtml", url))

    async def print_to(page, name: str, html: str, out: Path, **options) -> None:
        source = book.site_dir / f".dl-print-{name}.html"  # at the root: the site's own assets
        source.write_text(html, encoding="utf-8")
        try:
            await page.goto(source.as_uri(), wait_until="load", timeout=600_000)
            await page.evaluate(FIT_JS)
            await page.pdf(path=str(out), prefer_css_page_size=True, print_background=True,
                           **options)
        finally:
            source.unlink(missing_ok=True)

    async def worker(browser, n: int) -> None:
        context = await browser.new_context(viewport={"width": width_px, "height": 1000})
        page = await context.new_page()
        await page.emulate_media(media="print")
        while not queue.empty():
            kind, item = queue.get_nowait()
            if kind == "xhtml":
                xhtml[item] = await page.evaluate(TO_XHTML_JS, sources[item])
                continue
            await print_to(page, str(n), chapter_html(book, articles, item.pages, item.heading),
                           tmp / item.name, display_header_footer=True,
                           header_template="<span></span>",
                           footer_template=footer_template(book, item.heading, item.label))
        await context.close()

    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(executable_path=find_chromium(),
                                              args=CHROMIUM_ARGS)
        except Exception as err:
            raise BookError(f"no Chromium to print with ({str(err).splitlines()[0]}); install "
                            "Debian's chromium or set DLNOTES_CHROMIUM") from err
        try:
            await asyncio.gather(*(worker(browser, n) for n in range(jobs)))
            if docs:
                anchors = anchors_of(book)
                for doc in docs:
                    _page_starts(tmp / doc.name, doc, anchors)
                numbers = {url: f"{doc.label}-{start + 1}"
                           for doc in docs for url, start in doc.starts.items()}
                page = await browser.new_page()
                await print_to(page, "front", front_html(book, numbers), tmp / "front.pdf")
        finally:
            await browser.close()


def _page_starts(pdf: Path, doc: _Doc, anchors: dict[str, str]) -> None:
    """Fill ``doc.page_count`` and ``doc.starts`` from the PDF's named destinations."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    doc.page_count = len(reader.pages)
    dests = reader.named_destinations
    for p in doc.pages:
        dest = dests.get(anchors[p.url]) or dests.get("/" + anchors[p.url])  # a name object
        if dest is None:
            raise BookError(f"{pdf.name}: no destination for {p.src}: the chapter's opener "
                            "lost its link to the page")
        doc.starts[p.url] = reader.get_destination_page_number(dest)


def _join_book(book: Book, front: Path, docs: list[_Doc], tmp: Path, out: Path) -> None:
    """The whole book: the front matter, then every document, with an outline of chapters and
    their pages; links inside each chapter keep working (their destinations come along)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(str(front), import_outline=False)
    for doc in docs:
        offset = len(writer.pages)
        writer.append(str(tmp / doc.name), import_outline=False)
        parent = writer.add_outline_item(title=doc.heading, page_number=offset)
        for p in doc.pages:
            writer.add_outline_item(title=p.title, page_number=offset + doc.starts[p.url],
                                    parent=parent)
    writer.add_metadata({"/Title": book.title, "/Subject": stamp(book)})
    writer.page_mode = "/UseOutlines"
    with open(out, "wb") as fh:
        writer.write(fh)


def make_editions(site_dir: Path, config_file: Path, jobs: int = 2,
                  only: tuple[str, ...] = ("pdf", "epub", "zip"), log=print) -> dict[str, Path]:
    """Write the editions into ``site_dir/downloads``; returns their paths by file name."""
    site_dir = Path(site_dir)
    started = time.perf_counter()
    book, articles = load_book(site_dir, config_file)
    out_dir = site_dir / DOWNLOADS
    out_dir.mkdir(exist_ok=True)
    made: dict[str, Path] = {}
    timings: dict[str, float] = {"read": time.perf_counter() - started}
    docs = _docs(book, articles) if "pdf" in only else []
    images = Images(site_dir)
    sources = epub_sources(book, articles, images) if "epub" in only else {}
    xhtml: dict[str, str] = {}

    def timed(what: str, fn, *args) -> None:
        t = time.perf_counter()
        fn(*args)
        timings[what] = time.perf_counter() - t

    with (tempfile.TemporaryDirectory(prefix="dlnotes-editions-") as tmp_name,
          concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool):
        tmp = Path(tmp_name)
        pending = []
        if "zip" in only:  # reads the site only: runs beside the browser
            date_time = (book.date.year, book.date.month, book.date.day, 0, 0, 0)
            pending.append(pool.submit(timed, "site zip (beside the browser)", write_zip,
                                       site_dir, out_dir / SITE_ZIP, date_time))
            made[SITE_ZIP] = out_dir / SITE_ZIP
        if docs or sources:
            # asyncio.run in a thread of its own: the calling thread may already run a loop
            # (a notebook, or the browser tests' Playwright session)
            work = _browser_work(book, articles, docs, tmp, max(1, jobs), sources, xhtml)
            timed("browser (chapter PDFs, EPUB pages, front matter)",
                  lambda: pool.submit(asyncio.run, work).result())
        if sources:
            pending.append(pool.submit(timed, "EPUB (write)", write_epub, book, xhtml, images,
                                       out_dir / EPUB, stamp(book)))
            made[EPUB] = out_dir / EPUB
        if docs:
            timed("book PDF (join)", _join_book, book, tmp / "front.pdf", docs, tmp,
                  out_dir / BOOK_PDF)
            made[BOOK_PDF] = out_dir / BOOK_PDF
            for doc in docs:
                if doc.name != "dlnotes-appendix.pdf":
                    shutil.move(tmp / doc.name, out_dir / doc.name)
                    made[doc.name] = out_dir / doc.name
        for future in pending:
            future.result()

    home = site_dir / "index.html"
    sizes = {name: path.stat().st_size for name, path in made.items()}
    chapters = [(chapter_label(ch), chapter_pdf_name(ch)) for ch in book.chapters
                if chapter_pdf_name(ch) in made]
    home.write_text(fill_home(home.read_text(encoding="utf-8"), sizes, chapters),
                    encoding="utf-8")
    timings["total"] = time.perf_counter() - started
    for name in sorted(made, key=lambda n: (n != BOOK_PDF, n.endswith(".zip"), n)):
        log(f"editions: {made[name].relative_to(site_dir)}  {human_size(sizes[name])}")
    for what, seconds in timings.items():
        log(f"editions: {what}: {seconds:.1f} s")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlnotes_site.editions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("site_dir", type=Path, help="the folder `mkdocs build` wrote")
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"),
                        help="the mkdocs.yml whose nav orders the chapters (default: ./mkdocs.yml)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 2),
                        help="chapters printed at once (default: cores, at most 4)")
    parser.add_argument("--only", default="pdf,epub,zip",
                        help="comma-separated subset of pdf, epub, zip")
    args = parser.parse_args(argv)
    only = tuple(x.strip() for x in args.only.split(",") if x.strip())
    unknown = set(only) - {"pdf", "epub", "zip"}
    if unknown:
        parser.error(f"--only: unknown edition(s) {sorted(unknown)}; choose from pdf, epub, zip")
    try:
        make_editions(args.site_dir, args.config, jobs=args.jobs, only=only)
    except (BookError, FileNotFoundError) as err:
        print(f"editions: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
