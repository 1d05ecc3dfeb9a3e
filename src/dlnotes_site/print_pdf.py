"""The book as PDF: one print HTML per chapter, printed by headless Chromium.

A chapter document is the chapter's pages' articles one after another, each starting on a new
sheet, under a line that stamps the edition (build date, profile). The articles keep the site's
own stylesheets (Material, KaTeX with the site's fonts, notebook.css, extra.css); ``PRINT_CSS``
then makes them fit paper: A4, code wraps instead of running off the page, tables and figures
fit the width, collapsed answers are open, buttons and permalinks are gone. What CSS cannot
shrink (a long formula, a table of numbers) is zoomed to the column by ``FIT_JS`` in the page.

Pages are numbered within their chapter ("3-12"), in the footer and in the book's contents
(``front_html``), so a chapter PDF and the same pages in the whole book read the same.

Links between pages of one chapter stay links inside the PDF (every id gets a short name made
from its page's anchor, so the many "小结" headings stay distinct); a link to a page elsewhere,
or to a site file that is not a page, keeps its text and loses its target.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from pathlib import Path

from .book import Book, Chapter, Page, drop_katex_part, resolve, rewrite_tags

__all__ = ["PRINT_CSS", "FIT_JS", "CONTENT_WIDTH_MM", "anchors_of", "chapter_html", "chapter_label",
           "footer_template", "front_html", "page_section", "short_id", "stamp"]

CONTENT_WIDTH_MM = 180  # A4 (210 mm) less 15 mm margins each side

PRINT_CSS = """
@page { size: A4; margin: 15mm 15mm 16mm 15mm; }
html { font-size: 125%; background: #fff; }
body { margin: 0; color: #222; }
body, .md-typeset, .dl-diagram svg, .dl-diagram svg * {
  font-family: Arial, "Liberation Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif
  !important; }
.md-typeset code, .md-typeset pre, .md-typeset kbd, .jp-OutputArea-output pre {
  font-family: "DejaVu Sans Mono", "Liberation Mono", "WenQuanYi Micro Hei Mono",
  "Noto Sans Mono CJK SC", monospace !important; }
.md-typeset { font-size: .66rem; }
.dl-book { width: WIDTH_MM; margin: 0; padding: 0; }
.dl-page + .dl-page, .dl-title + .dl-toc, .dl-title + .dl-page { break-before: page; }
.dl-page > :first-child { margin-top: 0; }
.md-typeset h1, .md-typeset h2, .md-typeset h3, .md-typeset h4 { break-after: avoid; }
.md-typeset img, .md-typeset figure, .dlnotes-result, .jp-RenderedSVG, .jp-RenderedImage {
  break-inside: avoid; }

/* nothing interactive, nothing that only makes sense on the site: the figures' data files and
   the number ledger (the title page dates the edition), the phone drawing of a diagram */
.md-typeset .headerlink, .dlnotes-download, .md-content__button, .md-source-file, button,
.md-clipboard, .md-annotation__index, .katex-mathml, .dlnotes-figure-data, .dlnotes-ledger,
.dl-diagram svg[data-screen="narrow"], .dl-diagram__hint { display: none !important; }

/* code never runs off the page: it wraps, long tokens included */
.md-typeset pre, .md-typeset pre > code, .jp-OutputArea-output pre, .highlight pre,
.md-typeset code { white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: normal; }
.md-typeset pre > code, .md-typeset pre, .jp-OutputArea-output, .jp-RenderedText,
.highlight, .highlighttable, .jp-InputArea-editor { overflow: visible !important;
  max-height: none !important; }
.highlighttable, .highlighttable td { display: block; width: auto; }
.jupyter-wrapper .jp-OutputArea-output pre { font-size: .56rem; }
.jupyter-wrapper .jp-RenderedHTMLCommon { font-size: .6rem; }

/* tables and figures fit the column (FIT_JS zooms whatever still does not) */
.md-typeset table:not([class]), .jp-RenderedHTMLCommon table, .dlnotes-result table {
  display: table !important; overflow: visible !important; max-width: 100%; }
.md-typeset td, .md-typeset th { overflow-wrap: break-word; }
.md-typeset .dlnotes-result { overflow: visible; }
.md-typeset .dlnotes-result table { font-size: .6rem; }
.md-typeset .dlnotes-result th { white-space: normal; min-width: 8em; }
.md-typeset__scrollwrap, .md-typeset__table, .arithmatex, .katex-display, figure.dl-diagram {
  overflow: visible !important; }
.md-typeset img, .md-typeset svg { max-width: 100%; height: auto; }

/* the book's title page and contents */
.dl-title { height: 230mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; }
.dl-title h1 { font-size: 2.6em; font-weight: 600; color: #222; margin: 0 0 .8em; }
.dl-title .dl-stamp { color: #555; margin-top: 3em; }
.dl-title.dl-opener { height: auto; display: block; text-align: left; padding-top: 25mm; }
.dl-opener .dl-book-name { color: #666; margin: 0; }
.dl-opener h1 { margin: .2em 0 1.2em; }
.dl-opener .dl-toc a { color: inherit; }
.dl-opener .dl-toc > ol > li { font-weight: 400; margin-top: .3em !important; }
.dl-toc h2 { margin-top: 0; }
.dl-toc ol, .dl-toc ol ol { list-style: none !important; padding: 0; margin: 0 !important; }
.dl-toc ol ol { padding-left: 1.5em; }
.dl-toc li { margin: .1em 0 !important; }
.dl-toc .dl-entry { display: flex; gap: .5em; }
.dl-toc .dl-entry .dl-fill { flex: 1; border-bottom: 1px dotted #aaa; margin-bottom: .35em; }
.dl-toc > ol > li { margin-top: .6em !important; font-weight: 600; }
.dl-toc > ol > li li { font-weight: 400; }
""".replace("WIDTH_MM", f"{CONTENT_WIDTH_MM}mm")

# Zoom each formula, table, diagram, figure or output that is wider than the box it sits in, so
# nothing is cut at the page edge. Runs in the print page (laid out at the paper's width).
FIT_JS = """() => {
    const picks = '.katex-display, .dl-page table, figure.dl-diagram > svg, '
                + '.jp-OutputArea-output, .md-typeset pre, .md-typeset img';
    let zoomed = 0;
    for (const el of document.querySelectorAll(picks)) {
        const box = el.parentElement.clientWidth;
        const wide = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
        if (box > 0 && wide > box + 1) {
            el.style.zoom = String(Math.max(box / wide, 0.4));
            zoomed += 1;
        }
    }
    return zoomed;
}"""


def stamp(book: Book) -> str:
    """The line that dates an edition: build date and profile."""
    return f"构建于 {book.date.isoformat()} · 构建配置（profile）：{book.profile}"


def chapter_label(chapter: Chapter | None) -> str:
    """The chapter's number as pages are numbered ("3" of "3 线性神经网络"); "附录" for the
    appendix (``None``)."""
    if chapter is None:
        return "附录"
    head = chapter.title.split()[0] if chapter.title.split() else ""
    return head if head.isdigit() else chapter.slug


def short_id(anchor: str, value: str) -> str:
    """A page's id made unique in a document of many pages, short and ASCII (PDF destination
    names over 127 bytes are not portable)."""
    return f"{anchor}-{hashlib.sha1(value.encode()).hexdigest()[:8]}"


_DETAILS = re.compile(r"<details\b(?![^>]*\bopen\b)")


def page_section(page: Page, article: str, in_document: dict[str, str]) -> str:
    """The article of ``page`` as a ``<section>`` of a print document.

    ``in_document`` maps the URL of every page in the document to its anchor. Ids are renamed
    with :func:`short_id` (outside inline SVG, whose ids its own styles use); links to pages in
    the document point at them; other site links lose their target; images point at the site
    root (the print HTML lives there).
    """
    anchor = in_document[page.url]

    def fix(tag: str, name: str, value: str) -> str | None:
        if name == "id":
            return short_id(anchor, html_lib.unescape(value))
        if name == "src":
            target = resolve(page.url, html_lib.unescape(value))
            return value if target is None else html_lib.escape(target[0])
        if name == "href" and tag == "a":
            target = resolve(page.url, html_lib.unescape(value))
            if target is None:
                return value
            path, fragment = target
            if path not in in_document:
                return None
            other = in_document[path]
            return "#" + (short_id(other, fragment) if fragment else other)
        return value

    body = rewrite_tags(drop_katex_part(article, "mathml"), fix)
    body = _DETAILS.sub("<details open", body)
    return f'<section class="dl-page" id="{anchor}">{body}</section>'


def _stylesheets(site_dir: Path) -> list[str]:
    """The site's stylesheets the articles were styled with, root-relative, in page order."""
    found = sorted((site_dir / "assets" / "stylesheets").glob("main.*.min.css"))
    if not found:
        raise FileNotFoundError(f"{site_dir}/assets/stylesheets: no Material main.*.min.css")
    names = [f"assets/stylesheets/{found[0].name}", "assets/stylesheets/notebook.css",
             "assets/stylesheets/extra.css", "assets/vendor/katex/katex.min.css"]
    return [n for n in names if (site_dir / n).is_file()]


def _document(book: Book, title: str, body: str) -> str:
    links = "".join(f'<link rel="stylesheet" href="{href}">'
                    for href in _stylesheets(book.site_dir))
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html_lib.escape(title)}</title>{links}<style>{PRINT_CSS}</style></head>"
            f'<body><article class="md-typeset dl-book">{body}</article></body></html>')


def anchors_of(book: Book) -> dict[str, str]:
    """Every page's anchor in the print documents: ``p<n>``, n its place in the book."""
    return {p.url: f"p{n}" for n, p in enumerate(book.pages(), start=1)}


def chapter_html(book: Book, articles: dict[str, str], pages: list[Page],
                 heading: str) -> str:
    """The print document of one chapter (or the appendix), to be saved at the site root.

    Its first sheet (the opener) names the chapter, lists its pages with links to them (PDF
    destinations, from which the book's outline and contents are made) and stamps the edition.
    """
    esc = html_lib.escape
    anchors = anchors_of(book)
    in_document = {p.url: anchors[p.url] for p in pages}
    items = "".join(f'<li><a href="#{anchors[p.url]}">{esc(p.title)}</a></li>' for p in pages)
    opener = (f'<section class="dl-title dl-opener"><p class="dl-book-name">{esc(book.title)}</p>'
              f'<h1>{esc(heading)}</h1><nav class="dl-toc"><ol>{items}</ol></nav>'
              f'<p class="dl-stamp">{esc(stamp(book))}</p></section>')
    sections = "".join(page_section(p, articles[p.url], in_document) for p in pages)
    return _document(book, f"{book.title} · {heading}", opener + sections)


def front_html(book: Book, page_numbers: dict[str, str]) -> str:
    """The book's title page and contents; ``page_numbers`` gives each page's number ("3-12")."""
    esc = html_lib.escape

    def entry(title: str, url: str) -> str:
        return (f'<span class="dl-entry"><span>{esc(title)}</span><span class="dl-fill"></span>'
                f"<span>{esc(page_numbers.get(url, ''))}</span></span>")

    items = []
    for ch in book.chapters:
        pages = "".join(f"<li>{entry(p.title, p.url)}</li>" for p in ch.pages[1:])
        items.append(f"<li>{entry(ch.title, ch.pages[0].url)}<ol>{pages}</ol></li>")
    for p in book.appendix:
        items.append(f"<li>{entry('附录 · ' + p.title, p.url)}</li>")
    body = (f'<section class="dl-title"><h1>{esc(book.title)}</h1>'
            f"<p>{esc(book.description)}</p>"
            f'<p class="dl-stamp">{esc(stamp(book))}</p></section>'
            f'<nav class="dl-toc"><h2>目录</h2><ol>{"".join(items)}</ol></nav>')
    return _document(book, book.title, body)


def footer_template(book: Book, heading: str, label: str | None) -> str:
    """Chromium's footer for a document: the book and chapter, and the page as ``label-n``."""
    number = (f"{html_lib.escape(label)}-" if label else "") + '<span class="pageNumber"></span>'
    return (
        '<div style="font-size:7.5px;width:100%;margin:0 15mm;display:flex;'
        'justify-content:space-between;color:#777;font-family:Arial,\'WenQuanYi Micro Hei\','
        f"'Noto Sans CJK SC',sans-serif\"><span>{html_lib.escape(book.title)} · "
        f"{html_lib.escape(heading)}</span><span>{number}</span></div>"
    )
