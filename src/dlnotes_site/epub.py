"""The book as EPUB 3: one XHTML file per page, a navigation document, the package (OPF).

Written with the standard library (``zipfile`` and ``xml.etree`` to check every file parses):
the format is a zip whose first entry is ``mimetype``, stored uncompressed, and a handful of
small XML files. The pages' HTML becomes XHTML in the browser the PDF is printed with
(:data:`TO_XHTML_JS`: the real HTML parser, then ``XMLSerializer``), which also adapts the
content to e-book readers:

* formulas keep only KaTeX's MathML (EPUB 3 readers typeset MathML; the HTML rendering needs
  KaTeX's stylesheet and fonts);
* collapsed answers (``<details>``) and tab sets become plain blocks with their titles;
* buttons, permalinks and the form inputs of tab sets go, and so do what only makes sense on
  the site: the figures' data links, the number ledger, a diagram's second drawing for phones.

Figures that the site inlines as ``data:`` URIs become files of the book (``images/``), and so
do the site's own image files; diagrams stay inline SVG. Links between pages point at the
pages' files; a link to a file of the site that is not in the book keeps its text only.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from .book import Book, BookError, Page, drop_katex_part, resolve, rewrite_tags

__all__ = ["EPUB_CSS", "TO_XHTML_JS", "Images", "epub_links", "epub_sources", "write_epub", "xhtml_document"]

TO_XHTML_JS = """(html) => {
    const doc = new DOMParser().parseFromString('<section>' + html + '</section>', 'text/html');
    const root = doc.body.firstElementChild;
    const drop = '.headerlink, .dlnotes-download, .md-content__button, .md-source-file, button, '
               + 'script, noscript, .tabbed-set > input, .md-clipboard, .dlnotes-figure-data, '
               + '.dlnotes-ledger, .dl-diagram svg[data-screen="narrow"], .dl-diagram__hint';
    root.querySelectorAll(drop).forEach(el => el.remove());
    // formulas: KaTeX's MathML only
    root.querySelectorAll('.katex-display, .katex').forEach(el => {
        if (!el.isConnected) return;
        const math = el.querySelector('.katex-mathml math');
        if (math) el.replaceWith(math);
    });
    // collapsed answers and notes: a block with its title
    root.querySelectorAll('details').forEach(el => {
        const box = doc.createElement('div');
        box.className = 'admonition ' + el.className;
        const summary = el.querySelector(':scope > summary');
        if (summary) {
            const title = doc.createElement('p');
            title.className = 'admonition-title';
            title.append(...summary.childNodes);
            summary.remove();
            box.append(title);
        }
        box.append(...el.childNodes);
        el.replaceWith(box);
    });
    // tab sets: each tab's label above its content
    root.querySelectorAll('.tabbed-set').forEach(set => {
        const labels = [...set.querySelectorAll(':scope > .tabbed-labels > label')];
        const blocks = [...set.querySelectorAll(':scope > .tabbed-content > .tabbed-block')];
        const box = doc.createElement('div');
        box.className = 'tabbed';
        blocks.forEach((block, i) => {
            const title = doc.createElement('p');
            title.className = 'tabbed-title';
            title.textContent = labels[i] ? labels[i].textContent : '';
            box.append(title, ...block.childNodes);
        });
        set.replaceWith(box);
    });
    root.querySelectorAll('[tabindex]').forEach(el => el.removeAttribute('tabindex'));
    return new XMLSerializer().serializeToString(root);
}"""

EPUB_CSS = """
body { font-family: sans-serif; line-height: 1.6; margin: 0 .5em; }
h1, h2, h3, h4 { line-height: 1.3; page-break-after: avoid; }
h1 { font-size: 1.6em; } h2 { font-size: 1.35em; } h3 { font-size: 1.15em; }
code, pre, kbd { font-family: monospace; font-size: .85em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f5f5; padding: .5em;
  border-radius: 3px; }
.jp-OutputArea-output pre { background: none; border-left: 3px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
td, th { border: 1px solid #ccc; padding: .25em .5em; overflow-wrap: anywhere; }
img, svg { max-width: 100%; height: auto; }
figure { margin: 1em 0; text-align: center; }
math[display="block"] { display: block; margin: 1em 0; overflow-x: auto; }
.admonition { border-left: 4px solid #448aff; background: #f5f8ff; padding: .2em .8em;
  margin: 1em 0; }
.admonition.success { border-color: #00c853; background: #f2fcf5; }
.admonition.warning, .admonition.danger { border-color: #ff9100; background: #fff8f0; }
.admonition-title, .tabbed-title { font-weight: bold; margin: .5em 0 .2em; }
.dlnotes-info { font-size: .85em; color: #555; border-bottom: 1px solid #ddd; }
.dlnotes-result { border: 1px solid #ccc; padding: .2em .8em; margin: 1em 0; }
.dlnotes-result-title { font-weight: bold; }
.dlnotes-below { color: #c0392b; }
.dl-title { text-align: center; margin-top: 30%; }
.dl-stamp { color: #555; }
/* code colours: comments, keywords, strings, numbers */
.c, .c1, .cm, .sd { color: #6a737d; font-style: italic; }
.k, .kn, .kd, .kc, .ow { color: #a626a4; }
.s, .s1, .s2, .sa, .se, .si { color: #2e7d32; }
.m, .mi, .mf { color: #b45309; }
.nf, .nc { color: #1d4ed8; }
"""

XHTML_NS = "http://www.w3.org/1999/xhtml"
_MEDIA = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif",
          "svg": "image/svg+xml", "webp": "image/webp"}
_DATA_URI = re.compile(r'\ssrc="data:image/([\w.+-]+);base64,([A-Za-z0-9+/=\s]*)"')
_SITE_SRC = re.compile(r'\ssrc="(site:[^"]+)"')


class Images:
    """The book's image files: content-addressed, so a figure used twice is stored once.

    :meth:`extract` turns each ``data:`` figure and each site image (``site:path``, as
    :func:`epub_links` marks them) of a page into a file, before the page goes to the browser.
    """

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self.files: dict[str, bytes] = {}   # "images/<sha>.png" -> bytes

    def add(self, data: bytes, ext: str) -> str:
        name = f"images/{hashlib.sha1(data).hexdigest()[:16]}.{ext}"
        self.files[name] = data
        return name

    def extract(self, xhtml: str, where: str) -> str:
        """``xhtml`` with each ``data:`` image and each site image (``site:path``) as a file."""

        def from_data(m: re.Match) -> str:
            kind = m[1].replace("svg+xml", "svg")
            if kind not in _MEDIA:
                raise BookError(f"{where}: a figure of type image/{m[1]} has no EPUB media type")
            return f' src="{self.add(base64.b64decode(m[2]), kind)}"'

        def from_site(m: re.Match) -> str:
            path = html_lib.unescape(m[1][len("site:"):])
            ext = path.rsplit(".", 1)[-1].lower()
            file = self.site_dir / path
            if ext not in _MEDIA or not file.is_file():
                raise BookError(f"{where}: image {path!r} is not an image file of the site")
            return f' src="{self.add(file.read_bytes(), ext)}"'

        return _SITE_SRC.sub(from_site, _DATA_URI.sub(from_data, xhtml))


def file_of(page: Page) -> str:
    """The XHTML file a page becomes."""
    return (page.url.strip("/").replace("/", "--") or "home") + ".xhtml"


def epub_links(page: Page, article: str, files: dict[str, str]) -> str:
    """The article's links for the book: pages → their files (``files``: URL → file), site
    images → ``site:path`` (made files by :class:`Images`), other site files → no target."""

    def fix(tag: str, name: str, value: str) -> str | None:
        if name == "src":
            target = resolve(page.url, html_lib.unescape(value))
            return value if target is None else "site:" + html_lib.escape(target[0])
        if name == "href" and tag == "a":
            target = resolve(page.url, html_lib.unescape(value))
            if target is None:
                return value
            path, fragment = target
            if path not in files:
                return None
            ref = ("" if path == page.url else files[path]) + (f"#{fragment}" if fragment else "")
            return html_lib.escape(ref or "#")
        return value

    return rewrite_tags(article, fix)


def xhtml_document(title: str, body: str, css: str | None = "style.css") -> str:
    link = f'<link rel="stylesheet" type="text/css" href="{css}"/>' if css else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="http://www.idpf.org/2007/ops" '
        'xml:lang="zh-CN" lang="zh-CN">'
        f"<head><meta charset=\"utf-8\"/><title>{html_lib.escape(title)}</title>{link}</head>"
        f"<body>{body}</body></html>"
    )


def _properties(xhtml: str) -> str:
    props = [p for p, mark in (("mathml", "<math"), ("svg", "<svg")) if mark in xhtml]
    return f' properties="{" ".join(props)}"' if props else ""


def _check(name: str, text: str) -> None:
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as err:
        raise BookError(f"EPUB file {name} is not well-formed XML: {err}") from err


def _nav(book: Book, files: dict[str, str]) -> str:
    items = []
    for ch in book.chapters:
        sub = "".join(f'<li><a href="{files[p.url]}">{html_lib.escape(p.title)}</a></li>'
                      for p in ch.pages[1:])
        items.append(f'<li><a href="{files[ch.pages[0].url]}">{html_lib.escape(ch.title)}</a>'
                     f"<ol>{sub}</ol></li>")
    for p in book.appendix:
        items.append(f'<li><a href="{files[p.url]}">附录 · {html_lib.escape(p.title)}</a></li>')
    body = (f'<nav epub:type="toc" id="toc"><h1>目录</h1><ol>{"".join(items)}</ol></nav>'
            '<nav epub:type="landmarks" hidden="hidden"><ol>'
            '<li><a epub:type="titlepage" href="title.xhtml">封面</a></li>'
            f'<li><a epub:type="bodymatter" href="{files[book.chapters[0].pages[0].url]}">'
            "正文</a></li></ol></nav>")
    return xhtml_document("目录", body)


def _opf(book: Book, stamp_line: str, manifest: list[tuple[str, str, str, str]],
         spine: list[str]) -> str:
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"dlnotes:{book.title}:{book.date}:{book.profile}")
    items = "".join(f'<item id="{i}" href="{href}" media-type="{mt}"{props}/>'
                    for i, href, mt, props in manifest)
    refs = "".join(f'<itemref idref="{i}"/>' for i in spine)
    esc = html_lib.escape
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="book-id" xml:lang="zh-CN">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="book-id">urn:uuid:{ident}</dc:identifier>'
        f"<dc:title>{esc(book.title)}</dc:title><dc:language>zh-CN</dc:language>"
        f"<dc:date>{book.date.isoformat()}</dc:date>"
        f"<dc:description>{esc(book.description)} {esc(stamp_line)}</dc:description>"
        f'<meta property="dcterms:modified">{book.date.isoformat()}T00:00:00Z</meta>'
        f"</metadata><manifest>{items}</manifest><spine>{refs}</spine></package>"
    )


_CONTAINER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" '
    'media-type="application/oebps-package+xml"/></rootfiles></container>'
)


def epub_sources(book: Book, articles: dict[str, str], images: Images) -> dict[str, str]:
    """Each page's article made ready for the book, by page URL: links point at the book's files
    (:func:`epub_links`), figures are files of ``images``, KaTeX keeps only its MathML. What
    :data:`TO_XHTML_JS` turns into XHTML; the figures never pass through the browser."""
    files = {p.url: file_of(p) for p in book.pages()}
    return {p.url: images.extract(epub_links(p, drop_katex_part(articles[p.url], "html"), files),
                                  f"{p.src} (EPUB)")
            for p in book.pages()}


def write_epub(book: Book, xhtml: dict[str, str], images: Images, out: Path,
               stamp_line: str) -> int:
    """Write the EPUB to ``out`` from each page's XHTML body (by page URL: :func:`epub_sources`
    serialized by :data:`TO_XHTML_JS` in a browser page) and the figures in ``images``.
    Returns the number of pages."""
    pages = book.pages()
    files = {p.url: file_of(p) for p in pages}
    docs: dict[str, str] = {}
    title_body = (f'<section class="dl-title" epub:type="titlepage"><h1>{html_lib.escape(book.title)}'
                  f"</h1><p>{html_lib.escape(book.description)}</p>"
                  f'<p class="dl-stamp">{html_lib.escape(stamp_line)}</p></section>')
    docs["title.xhtml"] = xhtml_document(book.title, title_body)
    for page in pages:
        docs[files[page.url]] = xhtml_document(page.title, xhtml[page.url])
    docs["nav.xhtml"] = _nav(book, files)
    for name, text in docs.items():
        _check(name, text)

    manifest = [("css", "style.css", "text/css", "")]
    spine = []
    for n, (name, text) in enumerate(docs.items()):
        item = "nav" if name == "nav.xhtml" else f"x{n}"
        props = ' properties="nav"' if name == "nav.xhtml" else _properties(text)
        manifest.append((item, name, "application/xhtml+xml", props))
        if name != "nav.xhtml":
            spine.append(item)
    for n, name in enumerate(images.files):
        manifest.append((f"i{n}", name, _MEDIA[name.rsplit(".", 1)[-1]], ""))
    opf = _opf(book, stamp_line, manifest, spine)
    _check("content.opf", opf)

    stamp_time = (book.date.year, book.date.month, book.date.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as zf:

        def add(name: str, data: bytes | str, compress: bool = True) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp_time)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)

        add("mimetype", "application/epub+zip", compress=False)  # first, stored: the spec says so
        add("META-INF/container.xml", _CONTAINER)
        add("OEBPS/content.opf", opf)
        add("OEBPS/style.css", EPUB_CSS)
        for name, text in docs.items():
            add("OEBPS/" + name, text)
        for name, data in images.files.items():
            add("OEBPS/" + name, data, compress=not name.endswith((".png", ".jpeg", ".jpg")))
    return len(pages)
