"""The downloadable editions (dlnotes_site.editions): the book as PDF and EPUB, the site as a zip
that searches from ``file://``.

The unit tests at the top need nothing but Python. The tests of the real editions make them ONCE
from the session's built site (the ``site_dir`` fixture: the full build of tests/test_site.py, or
``DLNOTES_TEST_SITE``) and read them with poppler's ``pdftotext``/``pdffonts`` (Debian's
poppler-utils, installed by scripts/test.sh) and a real Chromium.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from dlnotes_site.book import (
    Book,
    BookError,
    Chapter,
    Page,
    article_of,
    build_date,
    drop_katex_part,
    page_url,
    profiles_of,
    read_nav,
    resolve,
    rewrite_tags,
)
from dlnotes_site.editions import BOOK_PDF, EPUB, SITE_ZIP, chapter_pdf_name, fill_home, human_size
from dlnotes_site.epub import Images, epub_links, write_epub
from dlnotes_site.offline import offline_href, offline_html, offline_search_index
from dlnotes_site.print_pdf import chapter_label, page_section, short_id

ROOT = Path(__file__).resolve().parents[1]
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU"
           "5ErkJggg==")


# -- pure functions -------------------------------------------------------------------------------

@pytest.mark.parametrize(("src", "url"), [
    ("index.md", ""), ("results.md", "results/"), ("chapter_x/index.md", "chapter_x/"),
    ("chapter_x/page.md", "chapter_x/page/"),
])
def test_page_url_is_the_directory_url_mkdocs_gives_the_source(src, url):
    assert page_url(src) == url


def test_page_url_refuses_what_is_not_markdown():
    with pytest.raises(BookError, match="not a Markdown page"):
        page_url("chapter_x/data.csv")


@pytest.mark.parametrize(("base", "ref", "expected"), [
    ("chapter_x/page/", "../other/", ("chapter_x/other/", "")),
    ("chapter_x/page/", "../other/#sec", ("chapter_x/other/", "sec")),
    ("chapter_x/page/", "#%E5%B0%8F%E7%BB%93", ("chapter_x/page/", "小结")),
    ("chapter_x/page/", "../../results/", ("results/", "")),
    ("chapter_x/page/", "../..", ("", "")),
    ("chapter_x/page/", "page.ipynb", ("chapter_x/page/page.ipynb", "")),
    ("chapter_x/page/", "../../assets/figures/a.svg", ("assets/figures/a.svg", "")),
    ("chapter_x/page/", "https://example.org/x", None),
    ("chapter_x/page/", "data:image/png;base64,AAAA", None),
])
def test_resolve_moves_a_link_to_the_site_root(base, ref, expected):
    assert resolve(base, ref) == expected


def test_resolve_refuses_a_link_that_leaves_the_site():
    with pytest.raises(BookError, match="leaves the site"):
        resolve("chapter_x/", "../../../etc/passwd")


def test_rewrite_tags_touches_attributes_of_tags_but_not_text_or_inline_svg():
    html = ('<p id="a">x href="t"</p><svg id="keep"><g id="k2"></g></svg>'
            '<img src="s.png" alt="b"/>')
    out = rewrite_tags(html, lambda tag, name, value: value.upper() if name != "alt" else None)
    assert out == ('<p id="A">x href="t"</p><svg id="keep"><g id="k2"></g></svg>'
                   '<img src="S.PNG"/>')


def _nav_yaml(tmp_path: Path, nav: str) -> Path:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: 书\nmarkdown_extensions:\n  - toc:\n      slugify: "
                      "!!python/object/apply:pymdownx.slugs.slugify\n        kwds: {case: lower}\n"
                      "nav:\n" + nav, encoding="utf-8")
    return config


def test_read_nav_takes_chapters_in_nav_order_and_pages_after_them_as_appendix(tmp_path):
    config = _nav_yaml(tmp_path, """  - 首页: index.md
  - 3 线性:
      - chapter_linear/index.md
      - 3.1 回归: chapter_linear/regression.md
  - 2 预备:
      - chapter_pre/index.md
  - 结果: results.md
""")
    _, chapters, appendix = read_nav(config)
    assert [(c.title, c.slug) for c in chapters] == [("3 线性", "linear"), ("2 预备", "pre")]
    assert [p.title for p in chapters[0].pages] == ["", "3.1 回归"]
    assert [p.url for p in appendix] == ["results/"]


def test_read_nav_refuses_a_section_that_mixes_folders(tmp_path):
    config = _nav_yaml(tmp_path, """  - 3 线性:
      - chapter_linear/index.md
      - 3.1 回归: chapter_other/regression.md
""")
    with pytest.raises(BookError, match="mixes folders"):
        read_nav(config)


def test_article_of_takes_the_material_article_and_refuses_other_pages():
    page = ('<html><nav>menu</nav><article class="md-content__inner md-typeset"><h1>T</h1>'
            "</article><footer>f</footer></html>")
    assert article_of(page, "p") == "<h1>T</h1>"
    with pytest.raises(BookError, match="no <article"):
        article_of("<html><body>plain</body></html>", "plain.html")


def test_build_date_is_the_newest_sitemap_date_and_its_absence_is_an_error(tmp_path):
    (tmp_path / "sitemap.xml").write_text(
        "<urlset><url><lastmod>2026-01-02</lastmod></url><url><lastmod>2026-03-04</lastmod>"
        "</url></urlset>", encoding="utf-8")
    assert build_date(tmp_path) == dt.date(2026, 3, 4)
    (tmp_path / "sitemap.xml").unlink()
    with pytest.raises(BookError, match="build date"):
        build_date(tmp_path)


def test_profiles_of_lists_each_run_bar_profile_once():
    bar = '<div class="dlnotes-info" data-profile="{}" data-run-seconds="1">'
    assert profiles_of([bar.format("cpu"), "<p>no bar</p>", bar.format("cpu") + bar.format("full")]
                       ) == ["cpu", "full"]


KATEX = ('<p>a <span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span>'
         '<span class="katex-html" aria-hidden="true"><span class="base"><span class="mord">x'
         '</span></span></span></span> b</p>')


def test_drop_katex_part_keeps_the_other_rendering_of_each_formula():
    assert drop_katex_part(KATEX, "html") == (
        '<p>a <span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span>'
        "</span> b</p>")
    assert drop_katex_part(KATEX, "mathml") == (
        '<p>a <span class="katex"><span class="katex-html" aria-hidden="true"><span class="base">'
        '<span class="mord">x</span></span></span></span> b</p>')
    with pytest.raises(BookError, match="no closing"):
        drop_katex_part(KATEX.replace("</span></span></span></span>", "</span>"), "html")


def test_page_section_renames_ids_and_keeps_links_only_inside_the_document():
    page = Page(src="chapter_x/a.md", title="A")
    article = ('<h2 id="小结">小结</h2><a href="#小结">up</a><a href="../b/#x">b</a>'
               '<a href="../../chapter_y/c/">c</a><a href="a.ipynb">nb</a>'
               '<a href="https://example.org/">web</a><details class="success"><summary>答案'
               '</summary>…</details><img src="../../assets/f.svg"/>')
    out = page_section(page, article, {"chapter_x/a/": "p1", "chapter_x/b/": "p2"})
    here = short_id("p1", "小结")
    assert f'<h2 id="{here}">' in out and f'<a href="#{here}">up</a>' in out
    assert f'<a href="#{short_id("p2", "x")}">b</a>' in out
    assert "<a>c</a>" in out and "<a>nb</a>" in out  # outside the document: text only
    assert '<a href="https://example.org/">web</a>' in out
    assert "<details open" in out and 'src="assets/f.svg"' in out
    assert out.startswith('<section class="dl-page" id="p1">')


def test_short_ids_are_ascii_and_distinct_across_pages():
    a, b = short_id("p1", "小结"), short_id("p2", "小结")
    assert a != b and a.isascii() and len(a) < 20


def test_chapter_labels_and_pdf_names_follow_the_chapter_number():
    chapter = Chapter(title="3 线性神经网络", slug="linear-networks", pages=[])
    assert chapter_label(chapter) == "3" and chapter_label(None) == "附录"
    assert chapter_pdf_name(chapter) == "dlnotes-03-linear-networks.pdf"


def test_human_size_and_the_home_page_fill():
    assert human_size(12_345_678) == "12.3 MB" and human_size(850_000) == "850 KB"
    home = ('<a data-dl="dlnotes.pdf">整本 PDF</a>、<a data-dl="missing.zip">压缩包</a>'
            '第<span data-dl-chapters=""></span>章')
    out = fill_home(home, {"dlnotes.pdf": 2_500_000}, [("2", "a.pdf"), ("3", "b.pdf")])
    assert '<a href="downloads/dlnotes.pdf" data-dl="dlnotes.pdf">整本 PDF</a>（2.5 MB）' in out
    assert '<a data-dl="missing.zip">压缩包</a>' in out  # not made: text, not a dead link
    assert ('<a href="downloads/a.pdf">2</a> · <a href="downloads/b.pdf">3</a>' in out)
    again = fill_home(out, {"dlnotes.pdf": 3_100_000}, [("2", "a.pdf")])
    assert again.count("（") == 1 and "（3.1 MB）" in again and again.count("downloads/a.pdf") == 1


def test_offline_href_names_index_html_for_folders_and_drops_downloads():
    folders = {"", "chapter_x", "chapter_x/page", "results"}.__contains__
    page = "chapter_x/page/index.html"
    assert offline_href("../other/", page, folders) == "../other/"  # not a folder of the site
    assert offline_href("../page/#s", page, folders) == "../page/index.html#s"
    assert offline_href("../../results/?h=x", page, folders) == "../../results/index.html?h=x"
    assert offline_href("../..", page, folders) == "../../index.html"
    assert offline_href("#s", page, folders) == "#s"
    assert offline_href("page.ipynb", page, folders) == "page.ipynb"
    assert offline_href("https://example.org/", page, folders) == "https://example.org/"
    assert offline_href("downloads/dlnotes.pdf", "index.html", folders) is None
    assert offline_href("downloads/dlnotes-0.1-py3-none-any.whl", "index.html", folders) == (
        "downloads/dlnotes-0.1-py3-none-any.whl")  # the served wheel comes along


def test_offline_html_loads_the_worker_stand_in_before_materials_bundle():
    page = ('<link rel="prev" href="../a/"><a href="./">home</a>'
            '<script src="../../assets/javascripts/bundle.abc.min.js"></script>')
    out = offline_html(page, "chapter_x/page/index.html", {"chapter_x/a", "chapter_x/page"}.__contains__)
    assert 'href="../a/index.html"' in out and 'href="./index.html"' in out
    assert ('<script src="../../assets/javascripts/dlnotes-offline-worker.js"></script>'
            '<script src="../../assets/javascripts/bundle.abc.min.js">') in out


def test_offline_search_index_is_a_script_with_file_locations():
    data = json.dumps({"config": {"lang": ["en"]}, "docs": [
        {"location": "", "title": "首页"}, {"location": "chapter_x/page/#s", "title": "s"},
        {"location": "chapter_x/page/", "title": "p"}]})
    script = offline_search_index(data)
    assert script.startswith("var __index = ")
    index = json.loads(script[len("var __index = "):].rstrip(";\n"))
    assert [d["location"] for d in index["docs"]] == [
        "index.html", "chapter_x/page/index.html#s", "chapter_x/page/index.html"]


def _tiny_book(site: Path) -> Book:
    (site / "assets").mkdir(parents=True)
    (site / "assets" / "f.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    pages = [Page(src="chapter_a/index.md", title="1 甲"), Page(src="chapter_a/b.md", title="1.1 乙")]
    return Book(site_dir=site, title="书", description="说明", chapters=[
        Chapter(title="1 甲", slug="a", pages=pages)], appendix=[],
        date=dt.date(2026, 1, 2), profile="cpu")


def test_epub_links_point_at_page_files_and_mark_site_images(tmp_path):
    book = _tiny_book(tmp_path)
    files = {"chapter_a/": "chapter_a.xhtml", "chapter_a/b/": "chapter_a--b.xhtml"}
    out = epub_links(book.chapters[0].pages[1], '<a href="../">up</a><a href="#s">s</a>'
                     '<a href="x.ipynb">nb</a><img src="../../assets/f.svg"/>', files)
    assert '<a href="chapter_a.xhtml">up</a>' in out and '<a href="#s">s</a>' in out
    assert "<a>nb</a>" in out and 'src="site:assets/f.svg"' in out


def test_images_become_files_once_and_an_unknown_type_is_an_error(tmp_path):
    book = _tiny_book(tmp_path)
    images = Images(book.site_dir)
    out = images.extract(f'<img src="data:image/png;base64,{PNG_1PX}"/>'
                         f'<img src="data:image/png;base64,{PNG_1PX}"/><img src="site:assets/f.svg"/>',
                         "p")
    assert len(images.files) == 2 and out.count('src="images/') == 3
    with pytest.raises(BookError, match="no EPUB media type"):
        images.extract('<img src="data:image/x-icon;base64,AAAA"/>', "p")


def test_write_epub_writes_a_well_formed_epub3(tmp_path):
    book = _tiny_book(tmp_path / "site")
    images = Images(book.site_dir)
    figure = images.extract(f' src="data:image/png;base64,{PNG_1PX}"', "p")
    xhtml = {"chapter_a/": '<section xmlns="http://www.w3.org/1999/xhtml"><h1>1 甲</h1>'
                           '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math>'
                           "</section>",
             "chapter_a/b/": '<section xmlns="http://www.w3.org/1999/xhtml"><h1>1.1 乙</h1>'
                             f'<img{figure} alt=""/></section>'}
    out = tmp_path / "book.epub"
    assert write_epub(book, xhtml, images, out, "构建于 2026-01-02") == 2
    _check_epub(out, expected_pages=2)


def test_write_epub_refuses_xhtml_that_does_not_parse(tmp_path):
    book = _tiny_book(tmp_path / "site")
    xhtml = {"chapter_a/": "<p>unclosed", "chapter_a/b/": "<p/>"}
    with pytest.raises(BookError, match="not well-formed"):
        write_epub(book, xhtml, Images(book.site_dir), tmp_path / "bad.epub", "stamp")


def _check_epub(path: Path, expected_pages: int) -> dict[str, bytes]:
    """Open the EPUB as a reader would and return its files; fails on any structural error."""
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/epub+zip" and not first.extra
        files = {name: zf.read(name) for name in zf.namelist()}
    container = ET.fromstring(files["META-INF/container.xml"])
    ns = {"c": "urn:oasis:names:tc:opendocument:xmlns:container",
          "opf": "http://www.idpf.org/2007/opf", "x": "http://www.w3.org/1999/xhtml"}
    opf_path = container.find(".//c:rootfile", ns).get("full-path")
    opf = ET.fromstring(files[opf_path])
    base = opf_path.rsplit("/", 1)[0] + "/"
    assert opf.get("version") == "3.0"
    assert opf.find(".//{http://purl.org/dc/elements/1.1/}language").text == "zh-CN"
    items = {i.get("id"): i for i in opf.find("opf:manifest", ns)}
    for item in items.values():
        assert base + item.get("href") in files, item.get("href")
        if item.get("media-type") == "application/xhtml+xml":
            text = files[base + item.get("href")].decode("utf-8")
            ET.fromstring(text)  # every content document is well-formed XML
            props = (item.get("properties") or "").split()
            assert ("mathml" in props) == ("<math" in text), item.get("href")
            assert ("svg" in props) == ("<svg" in text), item.get("href")
            for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', text):
                assert base + src in files, src  # every figure is a file of the book
    nav = [i for i in items.values() if "nav" in (i.get("properties") or "").split()]
    assert len(nav) == 1
    nav_doc = ET.fromstring(files[base + nav[0].get("href")])
    toc = nav_doc.find(".//x:nav[@{http://www.idpf.org/2007/ops}type='toc']", ns)
    assert toc is not None and len(toc.findall(".//x:a", ns)) == expected_pages
    spine = opf.find("opf:spine", ns)
    assert len(spine) == expected_pages + 1  # the title page, then the pages
    return files


# -- the real editions, made once from the built site -----------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (scripts/test.sh installs Debian's poppler-utils)")
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture(scope="module")
def editions(site_dir):
    """The editions of the session's built site, made once (they land in ``site/downloads``, as
    the Pages workflow leaves them). Made from inside a running asyncio loop, as a notebook or
    the browser tests' Playwright session would call it: the editions must not need the thread's
    loop to be free."""
    from dlnotes_site.diagrams import find_chromium
    from dlnotes_site.editions import make_editions

    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (scripts/test.sh installs Debian's chromium)")
        pytest.skip("Chromium is not installed")
    lines: list[str] = []
    made: dict[str, Path] = {}

    async def inside_a_loop():
        made.update(make_editions(site_dir, ROOT / "mkdocs.yml",
                                  jobs=max(2, min(4, os.cpu_count() or 2)), log=lines.append))

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:  # a loop of its own
        thread.submit(asyncio.run, inside_a_loop()).result()
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "editions.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return made


def _pdftotext(path: Path, last_page: int | None = None) -> str:
    pages = ["-l", str(last_page)] if last_page else []
    result = subprocess.run([_tool("pdftotext"), "-enc", "UTF-8", *pages, str(path), "-"],
                            capture_output=True, text=True, check=True)
    return result.stdout


def _board_number(site_dir: Path) -> tuple[str, str]:
    """A result the board shows: (section, our test accuracy as the board prints it)."""
    board = (site_dir / "results" / "index.html").read_text(encoding="utf-8")
    row = re.search(r"<td>3\.6</td>.*?</tr>", board, re.S)
    assert row, "the results board has no row for 3.6"
    number = re.search(r"test acc <strong>(\d\.\d{3})</strong>", row[0])
    assert number, row[0][:500]
    return "3.6", number[1]


@pytest.mark.site
@pytest.mark.browser
def test_book_pdf_holds_the_chapters_and_the_boards_numbers(editions, site_dir):
    """The title page, the contents and chapters 2–3 (the first 120 of some 900 pages: reading
    them all takes pdftotext ten seconds)."""
    text = _pdftotext(editions[BOOK_PDF], last_page=120)
    assert "3 线性神经网络" in text and "15 自然语言处理：应用" in text  # in the contents
    assert "3.6 softmax回归的从零开始实现" in text
    stamp = re.search(r"构建于 (\d{4}-\d\d-\d\d) · 构建配置（profile）：(\w+)", text)
    page = (site_dir / "chapter_linear-networks" / "softmax-regression-scratch" / "index.html")
    profile = re.search(r'data-profile="(\w+)"', page.read_text(encoding="utf-8"))[1]
    assert stamp and stamp[2] == profile, text[:500]
    section, number = _board_number(site_dir)
    assert number in text, f"{section}'s test acc {number} from the board is not in the book"
    chapter = _pdftotext(editions["dlnotes-03-linear-networks.pdf"])
    assert number in chapter, f"{section}'s test acc {number} from the board is not in chapter 3's PDF"


@pytest.mark.site
@pytest.mark.browser
def test_pdf_embeds_a_cjk_font(editions):
    fonts = subprocess.run([_tool("pdffonts"), str(editions[BOOK_PDF])], capture_output=True,
                           text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines()
           if re.search(r"WenQuanYi|CJK|SourceHan|DroidSansFallback", line)]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts[:2000]


def _code_lines(article: str) -> list[str]:
    lines = []
    for block in re.findall(r"<pre[^>]*>(.*?)</pre>", article, re.S):
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", block))
        lines.extend(text.splitlines())
    return lines


@pytest.mark.site
@pytest.mark.browser
def test_a_long_code_line_is_not_cut_off(editions, site_dir):
    """The longest code line whose last word occurs nowhere else in its chapter: that word is in
    the chapter PDF's text (Chromium leaves out glyphs clipped at a box or page edge)."""
    from dlnotes_site.book import load_book

    book, articles = load_book(site_dir, ROOT / "mkdocs.yml")
    candidates = []
    for chapter in book.chapters:
        text = "".join(html_lib.unescape(re.sub(r"<[^>]+>", "", articles[p.url]))
                       for p in chapter.pages)
        for page in chapter.pages:
            for line in _code_lines(articles[page.url]):
                words = re.findall(r"[A-Za-z_][A-Za-z0-9_]{3,}", line)
                if len(line) > 110 and words and text.count(words[-1]) == 1:
                    candidates.append((len(line), words[-1], chapter, line))
    assert candidates, "no code line long enough to need wrapping"
    _, last, chapter, line = max(candidates, key=lambda c: c[0])
    pdf = _pdftotext(editions[chapter_pdf_name(chapter)])
    assert last in pdf, f"the end of this {len(line)}-character line is cut off: {line}"


@pytest.mark.site
@pytest.mark.browser
def test_epub_opens_with_a_parser(editions, site_dir):
    from dlnotes_site.book import load_book

    book, _ = load_book(site_dir, ROOT / "mkdocs.yml")
    files = _check_epub(editions[EPUB], expected_pages=len(book.pages()))
    pages = [t.decode("utf-8") for name, t in files.items() if name.endswith(".xhtml")]
    assert any("<math" in t for t in pages) and not any("katex-html" in t for t in pages)
    assert any("softmax" in t for t in pages)


@pytest.mark.site
@pytest.mark.browser
def test_home_page_links_every_edition_with_its_size(editions, site_dir):
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(downloads/[^"]+)"', home))
    assert {f"downloads/{BOOK_PDF}", f"downloads/{EPUB}", f"downloads/{SITE_ZIP}",
            "downloads/dlnotes-03-linear-networks.pdf"} <= links
    for link in links:
        assert (site_dir / link).is_file(), link
    for name in (BOOK_PDF, EPUB, SITE_ZIP):
        assert re.search(rf'data-dl="{re.escape(name)}">[^<]+</a>（[\d.]+ [KM]B）', home), name


@pytest.fixture(scope="module")
def offline_copy(editions, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("offline")
    with zipfile.ZipFile(editions[SITE_ZIP]) as zf:
        zf.extractall(folder)
    return folder / "dlnotes"


@pytest.mark.site
@pytest.mark.browser
def test_every_link_of_the_offline_copy_opens_a_file(offline_copy):
    broken = []
    for page in offline_copy.rglob("*.html"):
        if page.name == "404.html":
            continue  # Material writes it with root-absolute links; nothing links to it
        for href in re.findall(r'<a [^>]*href="([^"#?]+)', page.read_text(encoding="utf-8")):
            if urlsplit(href).scheme:
                continue
            target = (page.parent / unquote(href)).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(offline_copy)} → {href}")
    assert not broken, broken[:20]


@pytest.mark.site
@pytest.mark.browser
def test_offline_copy_searches_from_file_urls(offline_copy, browser):
    from test_browser import _search

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto((offline_copy / "chapter_linear-networks" / "index.html").as_uri())
        _search(page, "softmax", "chapter_linear-networks/softmax-regression")
        hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(a => a.href)")
        target = next(h for h in hrefs if "softmax-regression" in h)
        assert target.startswith("file://") and "/index.html" in target
        page.goto(target)
        assert "softmax" in page.title()
        assert page.evaluate("document.fonts.check('1em KaTeX_Main')")
        assert errors == [], errors
        assert all(u.startswith(("file://", "data:", "about:")) for u in requests), requests
    finally:
        context.close()
