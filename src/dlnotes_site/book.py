"""The book inside a built site: its chapters and pages in nav order, and each page's article.

The downloadable editions (:mod:`dlnotes_site.editions`) are made from the *executed* build, so
they start here: ``mkdocs.yml``'s nav says which pages form a chapter (a top-level nav section
whose pages live in one ``docs/chapter_*`` folder) and in what order; the built site supplies each
page's rendered ``<article>`` (math already KaTeX HTML, diagrams inline SVG, figures data URIs),
its profile (the run bar's ``data-profile``) and the build date (``sitemap.xml``).

Also here: the URL helpers every edition needs to move a page's links out of the page they were
written for (:func:`resolve`, :func:`rewrite_tags`).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import yaml

__all__ = [
    "Book", "BookError", "Chapter", "Page", "article_of", "drop_katex_part", "load_book",
    "page_url", "profiles_of", "read_nav", "resolve", "rewrite_tags", "build_date",
]


class BookError(ValueError):
    """The site or its nav is not what the editions can be made from."""


@dataclass
class Page:
    """One page of the book: its Markdown source, its site URL and its nav title."""

    src: str      # "chapter_preliminaries/ndarray.md"
    title: str    # "2.1 数据操作"
    url: str = field(init=False)   # "chapter_preliminaries/ndarray/" (site-relative)

    def __post_init__(self) -> None:
        self.url = page_url(self.src)

    @property
    def anchor(self) -> str:
        """An id naming this page inside a document that holds several pages."""
        return "p-" + (self.url.strip("/").replace("/", "--") or "home")

    def html_file(self, site_dir: Path) -> Path:
        return site_dir / self.url / "index.html"


@dataclass
class Chapter:
    """A top-level nav section: the pages of one ``docs/chapter_*`` folder, in nav order."""

    title: str    # "2 预备知识"
    slug: str     # "preliminaries" (the folder without "chapter_")
    pages: list[Page]


@dataclass
class Book:
    """What the editions print: the chapters, the appendix pages, and the build's stamp."""

    site_dir: Path
    title: str
    description: str
    chapters: list[Chapter]
    appendix: list[Page]
    date: dt.date
    profile: str

    def pages(self) -> list[Page]:
        return [p for ch in self.chapters for p in ch.pages] + self.appendix


def page_url(src: str) -> str:
    """The directory URL mkdocs gives a Markdown source (``use_directory_urls``)."""
    if not src.endswith(".md"):
        raise BookError(f"nav entry {src!r} is not a Markdown page")
    stem = src[:-3]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


class _NavLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without importing the Python objects its ``!!python/...`` tags name."""


_NavLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def read_nav(config_file: Path) -> tuple[dict, list[Chapter], list[Page]]:
    """The config, the chapters and the appendix pages (top-level pages after the last chapter).

    A chapter is a top-level nav section whose pages all lie in one ``chapter_*`` folder; the home
    page is not part of the book (it describes the website).
    """
    config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_NavLoader)
    nav = config.get("nav")
    if not nav:
        raise BookError(f"{config_file}: no nav, so no chapter order")
    chapters: list[Chapter] = []
    appendix: list[Page] = []
    for entry in nav:
        if isinstance(entry, str):
            title, value = None, entry
        elif isinstance(entry, dict) and len(entry) == 1:
            title, value = next(iter(entry.items()))
        else:
            raise BookError(f"{config_file}: nav entry {entry!r} is neither a page nor a section")
        if isinstance(value, list):
            pages = [_nav_page(item, config_file) for item in value]
            folders = {p.src.split("/")[0] for p in pages}
            if len(folders) != 1 or not next(iter(folders)).startswith("chapter_"):
                raise BookError(f"{config_file}: section {title!r} mixes folders {sorted(folders)}; "
                                "a chapter is one docs/chapter_* folder")
            slug = next(iter(folders))[len("chapter_"):]
            chapters.append(Chapter(title=str(title), slug=slug, pages=pages))
        elif value != "index.md" and chapters:
            appendix.append(Page(src=value, title=str(title or value)))
    if not chapters:
        raise BookError(f"{config_file}: the nav has no chapter section")
    return config, chapters, appendix


def _nav_page(item, config_file: Path) -> Page:
    if isinstance(item, str):
        return Page(src=item, title="")  # a chapter's index page: titled from its <h1>
    if isinstance(item, dict) and len(item) == 1:
        title, src = next(iter(item.items()))
        if isinstance(src, str):
            return Page(src=src, title=str(title))
    raise BookError(f"{config_file}: chapter entry {item!r} is not a page (nested sections are not "
                    "supported)")


_ARTICLE_OPEN = re.compile(r'<article class="md-content__inner md-typeset">')
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_TAGS = re.compile(r"<[^>]+>")
_PROFILE = re.compile(r'class="dlnotes-info" data-profile="([^"]+)"')


def article_of(html: str, where: str) -> str:
    """The inner HTML of the page's ``.md-content article`` (the page without site chrome)."""
    start = _ARTICLE_OPEN.search(html)
    end = html.rfind("</article>")
    if start is None or end < start.end():
        raise BookError(f"{where}: no <article class=\"md-content__inner md-typeset\"> "
                        "(not a page of this site's Material build)")
    return html[start.end():end]


def heading_of(article: str) -> str:
    """The text of the article's first ``<h1>`` without its permalink."""
    m = _H1.search(article)
    if not m:
        return ""
    text = _TAGS.sub("", re.sub(r'<a class="headerlink".*?</a>', "", m[1], flags=re.S))
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").strip()


def profiles_of(articles: list[str]) -> list[str]:
    """The distinct profiles named by the pages' run bars, in order of first appearance."""
    seen: list[str] = []
    for art in articles:
        for name in _PROFILE.findall(art):
            if name not in seen:
                seen.append(name)
    return seen


def build_date(site_dir: Path) -> dt.date:
    """The build date: the newest ``<lastmod>`` of ``sitemap.xml`` (mkdocs writes the build's)."""
    sitemap = site_dir / "sitemap.xml"
    dates = re.findall(r"<lastmod>(\d{4}-\d\d-\d\d)</lastmod>",
                       sitemap.read_text(encoding="utf-8")) if sitemap.is_file() else []
    if not dates:
        raise BookError(f"{sitemap}: no <lastmod> dates, so no build date to stamp")
    return dt.date.fromisoformat(max(dates))


def load_book(site_dir: Path, config_file: Path) -> tuple[Book, dict[str, str]]:
    """The book and every page's article (keyed by page URL), read from the built site."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():
        raise BookError(f"{site_dir}: no index.html; pass the folder `mkdocs build` wrote")
    config, chapters, appendix = read_nav(config_file)
    articles: dict[str, str] = {}
    for page in [p for ch in chapters for p in ch.pages] + appendix:
        file = page.html_file(site_dir)
        if not file.is_file():
            raise BookError(f"{file}: missing; the nav names {page.src} but the site has no page "
                            "for it (built from another mkdocs.yml?)")
        articles[page.url] = article_of(file.read_text(encoding="utf-8"), str(file))
        if not page.title:
            page.title = heading_of(articles[page.url]) or page.src
    profiles = profiles_of(list(articles.values()))
    if not profiles:
        raise BookError(f"{site_dir}: no page has a run bar with data-profile; the editions are "
                        "made from an executed build")
    book = Book(site_dir=site_dir, title=str(config.get("site_name", "")),
                description=str(config.get("site_description", "")), chapters=chapters,
                appendix=appendix, date=build_date(site_dir), profile=" + ".join(profiles))
    return book, articles


# -- moving links out of their page ---------------------------------------------------------------

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def resolve(base_url: str, ref: str) -> tuple[str, str] | None:
    """Where a relative ``ref`` written on the page at ``base_url`` points, from the site root.

    Returns ``(path, fragment)`` with ``path`` site-relative and unquoted (``""`` is the home
    page, ``"chapter_x/"`` a directory URL), or ``None`` for what is not a site file: an absolute
    URL, ``data:``, ``mailto:`` and the like. A bare ``#frag`` resolves to the page itself.
    """
    if _SCHEME.match(ref) or ref.startswith("//"):
        return None
    path, _, fragment = ref.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        return base_url, unquote(fragment)
    rel = posixpath.normpath(posixpath.join(base_url, unquote(path)))
    if rel == ".." or rel.startswith("../") or rel.startswith("/"):
        raise BookError(f"link {ref!r} on {base_url or 'the home page'} leaves the site")
    if rel == ".":
        rel = ""
    if path.endswith("/") or path in (".", "..") or path.endswith("/.") or path.endswith("/.."):
        rel = rel + "/" if rel else ""
    return rel, unquote(fragment)


_START_TAG = re.compile(r"<([a-zA-Z][\w:.-]*)((?:\s[^>]*)?)(/?)>")
_ATTR = re.compile(r'(\s)([\w:.-]+)="([^"]*)"')


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def rewrite_tags(html: str, fix) -> str:
    """``html`` with ``fix(tag, name, value)`` applied to every double-quoted attribute of every
    start tag outside inline SVG; ``fix`` returns the new value, or ``None`` to drop the
    attribute. An inline SVG (a diagram) is left whole: its ids are what its own styles and
    markers refer to.

    The markup comes from Python-Markdown, nbconvert and the browser's serializer, which quote
    every attribute with ``"`` and escape ``<``/``>`` inside values, so a start tag ends at the
    first ``>``. Text (code included) has its ``<`` escaped and is never touched.
    """

    def tag(m: re.Match) -> str:
        name = m[1]

        def attr(a: re.Match) -> str:
            new = fix(name, a[2], a[3])
            return "" if new is None else f'{a[1]}{a[2]}="{new}"'

        return f"<{name}{_ATTR.sub(attr, m[2])}{m[3]}>"

    out, last = [], 0
    for svg in _SVG.finditer(html):
        out.append(_START_TAG.sub(tag, html[last:svg.start()]))
        out.append(svg[0])
        last = svg.end()
    out.append(_START_TAG.sub(tag, html[last:]))
    return "".join(out)


_KATEX_MATHML = re.compile(r'<span class="katex-mathml">.*?</math></span>', re.S)
_KATEX_HTML = '<span class="katex-html" aria-hidden="true">'
_SPAN_EDGE = re.compile(r"<span\b|</span>")


def drop_katex_part(html: str, part: str) -> str:
    """``html`` without one of the two renderings KaTeX writes for every formula: ``"mathml"``
    (for print, where it is hidden) or ``"html"`` (for e-books, which typeset the MathML). Both
    are dropped before the browser parses the page: they are most of a page's markup."""
    if part == "mathml":
        return _KATEX_MATHML.sub("", html)
    if part != "html":
        raise ValueError(f"part must be 'mathml' or 'html', not {part!r}")
    out, pos = [], 0
    while (start := html.find(_KATEX_HTML, pos)) >= 0:
        depth, end = 0, None
        for edge in _SPAN_EDGE.finditer(html, start):
            depth += 1 if edge[0] == "<span" else -1
            if depth == 0:
                end = edge.end()
                break
        if end is None:
            raise BookError("a KaTeX formula's HTML part has no closing </span>")
        out.append(html[pos:start])
        pos = end
    out.append(html[pos:])
    return "".join(out)
