"""The build pipeline: execution, the cache and its keys, errors, and one build of a small site."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from dlnotes_site.execute import PageExecutionError, cache_key, execute_page
from dlnotes_site.pages import imported_dlnotes_modules, module_files, read_page

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
FRONT = textwrap.dedent("""\
    ---
    jupyter:
      jupytext:
        text_representation:
          extension: .md
          format_name: markdown
      kernelspec:
        display_name: Python 3
        language: python
        name: python3
    ---
    """)


def page(tmp_path: Path, body: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(FRONT + textwrap.dedent(body), encoding="utf-8")
    return path


def run(path: Path, cache: Path | None, **kwargs):
    return execute_page(path, src_root=SRC, cache_dir=cache, requirements=ROOT / "requirements.txt",
                        **kwargs)


# -- cache keys (no kernel) ---------------------------------------------------------------------

def test_dependencies_follow_imports_through_the_package():
    nb = read_page(page(Path(os.environ.get("TMPDIR", "/tmp")), """
        # t
        ```python
        from dlnotes.results import report_result
        ```
        """, name="deps-probe.md"))
    modules = imported_dlnotes_modules(nb)
    files = {p.relative_to(SRC).as_posix() for p in module_files(SRC, modules)}
    # results imports profiles and history only: not the references, not the training loop
    assert files == {"dlnotes/__init__.py", "dlnotes/results.py", "dlnotes/profiles.py",
                     "dlnotes/history.py"}


def _key_with_src(tmp_path, body, files):
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    nb = read_page(page(tmp_path, body))
    return cache_key(nb, src_root=src, requirements=None, profile="cpu")


def test_key_changes_with_an_imported_module_but_not_with_an_unrelated_one(tmp_path):
    body = "# t\n\n```python\nfrom dlnotes.a import f\n```\n"
    base = {"dlnotes/__init__.py": "", "dlnotes/a.py": "from .b import g\n",
            "dlnotes/b.py": "g = 1\n", "dlnotes/c.py": "h = 1\n"}
    key = _key_with_src(tmp_path, body, base)
    assert _key_with_src(tmp_path, body, {**base, "dlnotes/c.py": "h = 2\n"}) == key
    assert _key_with_src(tmp_path, body, {**base, "dlnotes/b.py": "g = 2\n"}) != key  # transitive
    assert _key_with_src(tmp_path, body, {**base, "dlnotes/a.py": "from .b import g\nx = 0\n"}) != key


def test_key_ignores_prose_but_not_code_or_profile(tmp_path):
    def key(body, profile="cpu"):
        return cache_key(read_page(page(tmp_path, body)), src_root=SRC, requirements=None,
                         profile=profile)

    base = key("# 标题\n\n说明。\n\n```python\nx = 1\n```\n")
    assert key("# 新标题\n\n改过的说明。\n\n```python\nx = 1\n```\n") == base
    assert key("# 标题\n\n说明。\n\n```python\nx = 2\n```\n") != base
    assert key("# 标题\n\n说明。\n\n```python\nx = 1\n```\n", profile="full") != base


# -- execution (kernels) ------------------------------------------------------------------------

def test_prose_edit_reuses_outputs_and_code_edit_reruns(tmp_path):
    cache = tmp_path / "cache"
    path = page(tmp_path, "# 页\n\n```python\nimport random\nprint(random.random())\n```\n")
    first = run(path, cache)
    assert not first.cache_hit
    printed = first.notebook.cells[1].outputs[0].text
    path.write_text(path.read_text().replace("# 页", "# 页（改过标题）"))
    second = run(path, cache)
    assert second.cache_hit
    assert second.notebook.cells[0].source.startswith("# 页（改过标题）")
    assert second.notebook.cells[1].outputs[0].text == printed
    path.write_text(path.read_text().replace("print(random.random())", "print(2 + 2)"))
    third = run(path, cache)
    assert not third.cache_hit and third.notebook.cells[1].outputs[0].text == "4\n"


def test_failing_cell_names_page_and_cell_and_is_not_cached(tmp_path):
    cache = tmp_path / "cache"
    path = page(tmp_path, "# 页\n\n```python\nx = 1\n```\n\n```python\nresult = 1 / 0\n```\n")
    with pytest.raises(PageExecutionError) as info:
        run(path, cache, label="docs/chapter/page.md")
    message = str(info.value)
    assert "docs/chapter/page.md" in message and "cell 2" in message
    assert "result = 1 / 0" in message and "ZeroDivisionError" in message
    assert not cache.exists() or not any(cache.iterdir())


def test_slow_cell_fails_with_the_timeout(tmp_path):
    path = page(tmp_path, "# 页\n\n```python\nimport time\ntime.sleep(30)\n```\n")
    with pytest.raises(PageExecutionError, match="timeout"):
        run(path, None, timeout=3)


def test_expected_error_must_raise_and_shows_one_line(tmp_path):
    good = page(tmp_path, '# 页\n\n```python tags=["raises-exception"]\n'
                          "import torch\ntorch.ones(2, 3) @ torch.ones(4, 5)\n```\n", "good.md")
    result = run(good, None)
    error = result.notebook.cells[1].outputs[0]
    assert error.output_type == "error"
    assert error.traceback == [f"RuntimeError: {error.evalue}"]
    bad = page(tmp_path, '# 页\n\n```python tags=["raises-exception"]\nx = 1\n```\n', "bad.md")
    with pytest.raises(PageExecutionError, match="raised nothing"):
        run(bad, None)


# -- one build of the fixture site --------------------------------------------------------------

def mkdocs_build(config: Path, site: Path, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLNOTES_BUILD_CACHE=str(cache), NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(config), "-d", str(site)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )


@pytest.fixture(scope="module")
def minisite(tmp_path_factory):
    work = tmp_path_factory.mktemp("minisite")
    shutil.copytree(ROOT / "tests" / "fixtures" / "minisite", work / "src")
    # the site's stylesheets, copied rather than linked (a symlink does not survive every checkout)
    shutil.copytree(ROOT / "docs" / "assets", work / "src" / "docs" / "assets",
                    ignore=shutil.ignore_patterns("vendor"))
    config = work / "src" / "mkdocs.yml"
    text = config.read_text().replace("../../../", f"{ROOT}/")
    config.write_text(text)
    result = mkdocs_build(config, work / "site", work / "cache")
    assert result.returncode == 0, result.stderr[-3000:]
    return work, result


def test_executed_page_renders_material_markdown(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    assert '<div class="admonition note">' in html
    assert '<details class="tip">' in html
    # math is rendered at build time by KaTeX: no TeX delimiters left for a script to find
    assert '<span class="arithmatex"><span class="katex">' in html
    assert '<div class="arithmatex"><span class="katex-display">' in html
    assert "\\(" not in html and "\\[" not in html
    assert "katex.min.css" in html
    # mermaid is drawn to inline SVG at build time: no diagram script, no client-side rendering
    assert '<figure class="dl-diagram"><svg' in html
    assert 'class="mermaid"' not in html and "mermaid.min.js" not in html
    assert 'class="footnote"' in html and "<table>" in html
    assert html.count('name="__tabbed_1"') == 2 and html.count('name="__tabbed_2"') == 2
    article = html.split("<article", 1)[1].split("</article>", 1)[0]
    assert "!!! note" not in article and '=== "' not in article


def test_executed_page_toc_links_to_chinese_headings(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    assert 'href="#梯度下降"' in html and 'id="梯度下降"' in html


def test_executed_page_has_outputs_info_bar_and_download(minisite):
    work, _ = minisite
    page_dir = work / "site" / "executed"
    html = (page_dir / "index.html").read_text()
    assert "sum:" in html and "data:image/svg+xml" in html
    assert 'class="dlnotes-info" data-profile="cpu"' in html
    assert 'id="cell-1"' in html and "cell-id=" not in html  # ids usable in CSS selectors
    assert "Traceback" not in html
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied" in html
    nb = nbformat.read(page_dir / "executed.ipynb", as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "markdown" for c in nb.cells)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_executed_page_does_not_inline_jupyter_css(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    article = html.split("<article", 1)[1]
    # the only styles allowed are the ones scoped inside each diagram's own SVG
    article = re.sub(r'<figure class="dl-diagram">.*?</figure>', "", article, flags=re.S)
    assert "<style" not in article
    assert len(html.encode()) < 150_000


def test_prose_only_rebuild_starts_no_kernel(minisite, tmp_path):
    work, _ = minisite
    page_file = work / "src" / "docs" / "executed.md"
    original = page_file.read_text()
    try:
        page_file.write_text(original.replace("这一页的代码在构建时运行。", "这一页的代码在构建时运行（改过）。"))
        result = mkdocs_build(work / "src" / "mkdocs.yml", tmp_path / "site", work / "cache")
    finally:
        page_file.write_text(original)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "dlnotes: hit" in result.stderr and "(1 run" not in result.stderr
    assert "改过" in (tmp_path / "site" / "executed" / "index.html").read_text()


def test_build_fails_naming_the_page_when_a_cell_raises(minisite, tmp_path):
    work, _ = minisite
    broken = tmp_path / "src"
    shutil.copytree(work / "src", broken)
    page_file = broken / "docs" / "executed.md"
    page_file.write_text(page_file.read_text().replace('print("sum:"', 'undefined_name("sum:"'))
    result = mkdocs_build(broken / "mkdocs.yml", tmp_path / "site", tmp_path / "cache")
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "NameError" in result.stderr
