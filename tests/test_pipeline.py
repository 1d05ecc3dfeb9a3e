"""The build pipeline: execution, the cache and its keys, errors, and one build of a small site."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from dlnotes_site.download import SETUP_TAG
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


def test_kernels_talk_over_unix_sockets_in_a_private_folder_not_tcp(tmp_path):
    path = page(tmp_path, """
        ```python
        import json, os, stat
        from ipykernel.connect import get_connection_file
        info = json.load(open(get_connection_file()))
        folder = os.path.dirname(info["ip"])
        print(info["transport"], oct(stat.S_IMODE(os.stat(folder).st_mode)))
        ```
        """)
    result = run(path, None)
    text = result.notebook.cells[-1].outputs[0]["text"]
    assert text.split() == ["ipc", "0o700"]


# -- one build of the fixture site --------------------------------------------------------------

def mkdocs_build(config: Path, site: Path, cache: Path, **env_vars) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLNOTES_BUILD_CACHE=str(cache), NO_MKDOCS_2_WARNING="1")
    env.pop("CI", None)  # the build refuses unexecuted pages under CI; a test that wants it says so
    env.pop("DLNOTES_EXECUTE", None)
    env.update(env_vars)
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


def test_download_starts_with_the_setup_cells_but_the_page_and_the_cache_do_not(minisite):
    work, _ = minisite
    page_dir = work / "site" / "executed"
    nb = nbformat.read(page_dir / "executed.ipynb", as_version=4)
    assert [SETUP_TAG in c.metadata.get("tags", []) for c in nb.cells[:3]] == [True, True, False]
    wheel = work / "site" / "downloads" / nb.metadata["dlnotes"]["wheel"]
    assert wheel.is_file() and wheel.name in nb.cells[1].source
    html = (page_dir / "index.html").read_text()
    assert "先运行这个单元" not in html and wheel.name not in html
    # the build executed and rendered the page without them
    kept = list((work / "cache" / "executed").glob("*.ipynb"))
    kept += list((work / "cache" / "render").rglob("*.ipynb"))
    assert kept and not [p for p in kept if SETUP_TAG in p.read_text()]


def test_executed_page_does_not_inline_jupyter_css(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    article = html.split("<article", 1)[1]
    # the only styles allowed are the ones scoped inside each diagram's own SVG
    article = re.sub(r'<figure class="dl-diagram">.*?</figure>', "", article, flags=re.S)
    assert "<style" not in article
    assert len(html.encode()) < 150_000


def test_every_page_names_the_search_dialog(minisite):
    """Material's search is a role="dialog" without a name; the build gives it one on every page,
    the 404 page included (screen readers announce a nameless dialog as just "dialog")."""
    work, _ = minisite
    pages = sorted((work / "site").rglob("*.html"))
    assert any(p.name == "404.html" for p in pages)
    for page in pages:
        tags = re.findall(r'<div class="md-search"[^>]*>', page.read_text())
        assert tags == ['<div class="md-search" aria-label="搜索本站" data-md-component="search" '
                        'role="dialog">'], (page, tags)


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
    assert "(0 run, 2 from cache" in result.stderr
    html = (tmp_path / "site" / "executed" / "index.html").read_text()
    assert "改过" in html
    # prose is not an input of the numbers: the ledger says nothing changed
    assert "<summary>数字变化记录 · 无变化</summary>" in html
    assert "0 pages changed, 0 first records, 2 unchanged" in result.stderr


def build_with_page_edit(minisite, tmp_path, old: str, new: str, cache: Path | None = None):
    """Build a copy of the fixture site whose executed page has ``old`` replaced by ``new``."""
    work, _ = minisite
    broken = tmp_path / "src"
    shutil.copytree(work / "src", broken)
    page_file = broken / "docs" / "executed.md"
    text = page_file.read_text()
    assert old in text
    page_file.write_text(text.replace(old, new))
    return mkdocs_build(broken / "mkdocs.yml", tmp_path / "site", cache or tmp_path / "cache")


def _ledger_note(html: str) -> str:
    return re.search(r'<details class="dlnotes-ledger.*?</details>', html, re.S)[0]


def test_first_build_notes_every_executed_page_under_its_run_bar(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    note = _ledger_note(html)
    assert html.index('class="dlnotes-info"') < html.index(note)
    assert "数字变化记录 · 首次记录" in note
    assert "<th>3.6 test acc</th><td>0.840</td>" in note
    assert "数字变化记录" in (work / "site" / "measured" / "index.html").read_text()
    board = (work / "site" / "results" / "index.html").read_text()
    assert "<th>变化记录</th>" in board and "首次记录" in board
    assert "数字变化记录" not in (work / "site" / "search" / "search_index.json").read_text()


def test_ledger_names_the_patched_module_and_flags_a_number_no_input_explains(minisite, tmp_path):
    """Build a copy of the project whose dlnotes.history is patched to add 0.01 to the final
    test accuracy, on a copy of the fixture build's cache: the page re-runs and its note names
    the module and the number. Then change the cached number behind the build's back: the next
    build flags it."""
    work, _ = minisite
    project = tmp_path / "project"
    (project / "hooks").mkdir(parents=True)
    shutil.copy(ROOT / "hooks" / "notebooks.py", project / "hooks")
    shutil.copy(ROOT / "requirements.txt", project)
    shutil.copy(ROOT / "pyproject.toml", project)  # the served dlnotes wheel is built from it
    shutil.copytree(SRC, project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    history = project / "src" / "dlnotes" / "history.py"
    code = history.read_text()
    assert "        return self.records[-1]\n" in code
    history.write_text(code.replace(
        "        return self.records[-1]\n",
        '        return {**self.records[-1], "test_acc": self.records[-1]["test_acc"] + 0.01}\n'))
    shutil.copytree(work / "src", project / "site")
    config = project / "site" / "mkdocs.yml"
    config.write_text(config.read_text().replace(f"{ROOT}/hooks/", f"{project}/hooks/"))
    cache = tmp_path / "cache"
    shutil.copytree(work / "cache", cache)
    pythonpath = os.pathsep.join([str(project / "src"), os.environ.get("PYTHONPATH", "")])

    def build(site: str) -> str:
        result = mkdocs_build(config, tmp_path / site, cache, PYTHONPATH=pythonpath)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stderr

    log = build("site")
    assert "(1 run, 1 from cache" in log and "1 pages changed" in log
    note = _ledger_note((tmp_path / "site" / "executed" / "index.html").read_text())
    assert "数字变化记录 · 有变化：模块 dlnotes.history</summary>" in note
    assert "变了的数字：3.6 test acc 0.840 → 0.850" in note and "⚠" not in note
    assert '<tr class="dlnotes-ledger-moved"><th>3.6 test acc</th><td>0.850</td><td>0.840</td>' \
        in note
    board = (tmp_path / "site" / "results" / "index.html").read_text()
    assert "0.840 →<br><strong>0.850</strong>" in board and 'class="dlnotes-moved"' in board
    measured = _ledger_note((tmp_path / "site" / "measured" / "index.html").read_text())
    assert "数字变化记录 · 无变化" in measured

    # the same number, changed in the cache: no input changed, so the build flags it
    from dlnotes.results import RESULT_MIME

    [entry] = [p for p in (cache / "executed").glob("*.ipynb") if "0.85" in p.read_text()]
    nb = nbformat.read(entry, as_version=4)
    [record] = [o["data"][RESULT_MIME] for c in nb.cells for o in c.get("outputs", [])
                if RESULT_MIME in o.get("data", {})]
    record["metrics"]["test_acc"] = 0.86
    nbformat.write(nb, entry)
    log = build("site2")
    assert "(0 run, 2 from cache" in log and "no input changed (⚠): executed.md" in log
    note = _ledger_note((tmp_path / "site2" / "executed" / "index.html").read_text())
    assert "数字变化记录 · ⚠ 输入没变，数字变了" in note
    assert "没有任何输入变化，数字却超出了容差（相对 1e-6）：3.6 test acc 0.850 → 0.860" in note
    board = (tmp_path / "site2" / "results" / "index.html").read_text()
    assert "0.840 →<br>0.850 →<br><strong>0.860</strong>" in board and "⚠" in board


def test_build_fails_naming_the_page_when_a_cell_raises(minisite, tmp_path):
    result = build_with_page_edit(minisite, tmp_path, 'print("sum:"', 'undefined_name("sum:"')
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "NameError" in result.stderr


def test_package_code_is_included_highlighted_with_a_link_to_its_file(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    assert 'href="https://github.com/dlnotes/dlnotes/blob/main/src/dlnotes/device.py"' in html
    block = html.split("dlnotes/device.py</a></span>", 1)[1].split("</code></pre>", 1)[0]
    assert "def" in block and "try_gpu" in block and "8&lt;" not in block and "8<--" not in block


def test_result_box_is_drawn_by_the_build_with_ours_and_d2ls(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    box = html.split('<div class="dlnotes-result"', 1)[1].split("</table>", 1)[0]
    assert "<strong>0.840</strong>" in box and "<td>0.836</td>" in box  # ours, d2l's
    assert "fixture" in (work / "site" / "results" / "index.html").read_text()


_FIGURE = re.compile(r'<img alt="([^"]*)"[^>]*? src="data:image/[^"]*"[^>]*>'
                     r'<p class="dlnotes-figure-data"><a href="([^"]+)" download>下载图的数据 \((CSV|JSON)\)</a>')


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The ``#`` comment lines and the table of a figure's data file."""
    import csv

    lines = path.read_text(encoding="utf-8").splitlines()
    return ([line for line in lines if line.startswith("#")],
            list(csv.reader(line for line in lines if not line.startswith("#"))))


def test_dlnotes_plot_figures_get_alt_text_and_a_link_to_their_data(minisite):
    work, _ = minisite
    page_dir = work / "site" / "executed"
    html = (page_dir / "index.html").read_text()
    figures = _FIGURE.findall(html)
    assert [(alt.split("：")[0], kind) for alt, _, kind in figures] == [("折线图", "CSV"), ("训练曲线", "CSV")]
    assert figures[0][0] == "折线图：横轴 输入 x（−3 到 3）；纵轴 ReLU(x)（0–3）"
    assert 'alt="代码输出的图"' not in html and '<img alt="一个点"' in html  # prose images keep theirs
    comments, rows = _csv_rows(page_dir / figures[0][1])
    assert figures[0][1] == "executed-figure-1.csv"
    assert "# page: executed.md" in comments and "# profile: cpu" in comments
    # the cell number counts the cells of the notebook readers download (setup cells included)
    cell = next(int(line.split("第 ")[1].split(" 个")[0]) for line in comments
                if line.startswith("# cell: executed.ipynb 的第 "))
    downloaded = nbformat.read(page_dir / "executed.ipynb", as_version=4)
    assert "plot(" in downloaded.cells[cell - 1].source and downloaded.cells[cell - 1].outputs
    assert rows[0] == ["输入 x", "ReLU(x)"] and len(rows) == 51 and rows[-1] == ["3", "3"]
    index = json.loads((work / "site" / "search" / "search_index.json").read_text())
    assert not any("下载图的数据" in d["text"] for d in index["docs"])  # links stay out of search
    nb = nbformat.read(page_dir / "executed.ipynb", as_version=4)
    nbformat.validate(nb)  # the download keeps each figure's description beside its image
    described = [o for c in nb.cells for o in c.get("outputs", [])
                 if "application/vnd.dlnotes.figure+json" in o.get("data", {})]
    assert len(described) == 2 and all("image/svg+xml" in o["data"] for o in described)


def test_training_figure_data_ends_with_the_final_metrics_the_page_reports(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    (alt, data_file, _), = [f for f in _FIGURE.findall(html) if f[0].startswith("训练曲线")]
    assert alt == "训练曲线：横轴 epoch（1–3）；train loss 最终 0.5，train acc 最终 0.8，test acc 最终 0.84"
    _, rows = _csv_rows(work / "site" / "executed" / data_file)
    (reported,) = json.loads((work / "site" / "results.json").read_text())["results"]
    columns = [name.replace(" ", "_") for name in rows[0]]
    assert columns == ["epoch", "train_loss", "train_acc", "test_acc"]
    final = dict(zip(columns, (float(v) for v in rows[-1]), strict=True))
    assert final == {"epoch": reported["metrics"]["epochs"],
                     **{name: reported["metrics"][name] for name in columns[1:]}}
    assert rows[2][1] == "0.6123457"  # to seven significant digits


def test_the_board_offers_every_epoch_of_every_reported_run_in_one_file(minisite):
    work, _ = minisite
    text = (work / "site" / "results-histories.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "page,key,model,epoch,metric,value"
    assert "executed.md,3.6,fixture,3,test_acc,0.84" in lines and len(lines) == 1 + 3 * 5
    assert 'href="../results-histories.csv"' in (work / "site" / "results" / "index.html").read_text()


def test_prose_image_paths_are_rewritten_to_site_urls(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    assert '<img alt="一个点" src="../img/dot.svg"' in html
    assert (work / "site" / "img" / "dot.svg").is_file()


def test_prose_shows_the_values_the_run_noted(minisite):
    work, _ = minisite
    html = (work / "site" / "executed" / "index.html").read_text()
    assert "本页的测试精度是 0.840，高于训练精度" in html and "run.test_acc" not in html
    assert "vnd.dlnotes.note" not in html


def test_prose_claim_the_run_contradicts_fails_the_build_naming_page_and_claim(minisite, tmp_path):
    result = build_with_page_edit(minisite, tmp_path, '"test_acc": 0.84', '"test_acc": 0.74')
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "ClaimError" in result.stderr
    assert "测试精度高于训练精度" in result.stderr


def test_prose_naming_a_value_no_cell_noted_fails_the_build(minisite, tmp_path):
    work, _ = minisite
    result = build_with_page_edit(minisite, tmp_path, "{{ run.test_acc }}", "{{ run.test_accuracy }}",
                                  cache=work / "cache")
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "run.test_accuracy" in result.stderr


def test_search_index_holds_prose_but_no_formulas_or_outputs(minisite):
    work, _ = minisite
    index = json.loads((work / "site" / "search" / "search_index.json").read_text())
    text = " ".join(d["text"] + " " + d["title"] for d in index["docs"]
                    if d["location"].startswith("executed/"))
    assert "构建" in text and "提示框" in text  # prose is there (segmented by jieba)
    for debris in ("mathrm", "softmax(o)", "katex", "∑", "RuntimeError", "0.836"):
        assert debris not in text, debris
    assert not re.search(r"sum: -?\d", text)  # the code is indexed, its printed output is not
    html = (work / "site" / "executed" / "index.html").read_text()
    assert 'class="katex"' in html and "<svg" in html and "dlnotes-stash" not in html


def test_missing_snippet_section_fails_the_build_naming_the_page(minisite, tmp_path):
    work, _ = minisite
    result = build_with_page_edit(minisite, tmp_path, "device.py:try-gpu", "device.py:no-such",
                                  cache=work / "cache")
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "no-such" in result.stderr


def test_unknown_result_key_fails_the_build_naming_the_page(minisite, tmp_path):
    result = build_with_page_edit(minisite, tmp_path, 'report_result("3.6"', 'report_result("3.66"')
    assert result.returncode != 0
    assert "docs/executed.md" in result.stderr and "'3.66'" in result.stderr


def test_execute_filter_renders_other_pages_unexecuted_with_a_banner_and_ci_refuses(
        minisite, tmp_path):
    work, _ = minisite
    empty_cache = tmp_path / "cache"
    result = mkdocs_build(work / "src" / "mkdocs.yml", tmp_path / "site", empty_cache,
                          DLNOTES_EXECUTE="chapter_recurrent*")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(0 run, 0 from cache, 2 not executed)" in result.stderr
    html = (tmp_path / "site" / "executed" / "index.html").read_text()
    assert "dlnotes-unexecuted" in html and "本页没有执行" in html
    assert not re.search(r"sum: -?\d", html) and "data:image/svg+xml" not in html
    # the page that is in the cache still comes from it
    cached = mkdocs_build(work / "src" / "mkdocs.yml", tmp_path / "site2", work / "cache",
                          DLNOTES_EXECUTE="chapter_recurrent*")
    assert "(0 run, 2 from cache, 0 not executed)" in cached.stderr
    refused = mkdocs_build(work / "src" / "mkdocs.yml", tmp_path / "site3", empty_cache,
                           DLNOTES_EXECUTE="chapter_recurrent*", CI="true")
    assert refused.returncode != 0 and "CI publishes executed pages only" in refused.stderr


def test_a_clean_build_prints_no_warning(minisite):
    _, result = minisite
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert not warnings, warnings


def test_first_build_shows_a_progress_bar_and_the_page_time_budget(minisite):
    _, result = minisite
    assert "dlnotes: executing" in result.stderr and "2/2 页" in result.stderr
    assert "page time" in result.stderr and "slowest: executed.md" in result.stderr


def test_run_page_shares_the_build_cache(minisite, tmp_path, monkeypatch):
    from dlnotes_site.settings import build_settings

    work, _ = minisite
    monkeypatch.setenv("DLNOTES_BUILD_CACHE", str(work / "cache"))
    settings = build_settings(ROOT)
    from dlnotes_site.execute import plan_page

    plan = plan_page(work / "src" / "docs" / "executed.md", src_root=SRC,
                     cache_dir=settings.cache_root / "executed",
                     requirements=ROOT / "requirements.txt", profile=settings.profile,
                     threads=settings.threads)
    assert plan.cache_hit  # the key run_page computes is the one the build stored


# -- pages that measure the machine, and sharded builds -----------------------------------------

def test_page_that_measures_the_machine_names_it_and_is_cached_under_its_tag(minisite):
    from dlnotes_site.machine import machine_fingerprint, machine_tag

    work, _ = minisite
    measured = (work / "site" / "measured" / "index.html").read_text()
    assert "测于 " + machine_fingerprint() in measured
    assert "测于" not in (work / "site" / "executed" / "index.html").read_text()
    tagged = list((work / "cache" / "executed").glob(f"*-m{machine_tag(machine_fingerprint())}.ipynb"))
    assert len(tagged) == 1


def test_another_machines_measurement_serves_only_a_build_that_may_not_execute(tmp_path):
    from dlnotes_site.execute import plan_page

    src = ROOT / "tests" / "fixtures" / "minisite" / "docs" / "measured.md"
    cache = tmp_path / "executed"
    cache.mkdir()
    kwargs = dict(src_root=SRC, cache_dir=cache, requirements=ROOT / "requirements.txt",
                  profile="cpu", threads=1)
    plan = plan_page(src, **kwargs)
    assert plan.alone and not plan.cache_hit and plan.cache_name.startswith(plan.key + "-m")
    elsewhere = cache / f"{plan.key}-m000000000000.ipynb"
    nbformat.write(plan.notebook, elsewhere)
    assert not plan_page(src, **kwargs).cache_hit  # this machine re-measures
    assert plan_page(src, any_machine=True, **kwargs).cached == elsewhere


def test_alone_gate_never_lets_an_alone_page_overlap_another():
    import itertools
    import threading
    import time

    from dlnotes_site.schedule import AloneGate

    gate, lock = AloneGate(), threading.Lock()
    spans: list[tuple[str, float, float]] = []

    def page(name: str, alone: bool) -> None:
        with gate.hold(alone):
            start = time.perf_counter()
            time.sleep(0.02)
            with lock:
                spans.append((name, start, time.perf_counter()))

    names = [(f"p{i}", i % 3 == 0) for i in range(12)]
    threads = [threading.Thread(target=page, args=item) for item in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone = {n for n, a in names if a}
    for name, start, end in spans:
        if name in alone:
            others = [(s, e) for n, s, e in spans if n != name]
            assert all(e <= start or s >= end for s, e in others), name
    # ordinary pages did share: some two of them overlapped
    shared = sorted((s, e) for n, s, e in spans if n not in alone)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(shared))


def test_split_balances_recorded_times_and_is_the_same_every_time():
    from dlnotes_site.shards import split

    times = {"a.md": 50, "b.md": 40, "c.md": 30, "d.md": 20, "e.md": 10}
    shares = split(sorted(times) + ["new.md"], times, 2)
    assert shares == split(sorted(times) + ["new.md"], times, 2)
    assert sorted(p for share in shares for p in share) == sorted(times) + ["new.md"]
    loads = [sum(times.get(p, 30) for p in share) for share in shares]  # new.md: the median
    assert abs(loads[0] - loads[1]) <= 10
    with pytest.raises(ValueError, match="at least 1"):
        split(["a.md"], times, 0)


_RUN_TIME = re.compile(r'(data-run-seconds="|用时 |"seconds": |dlnotes-ledger-time">)[\d.]+')


def _site_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site, with the pages' run times blanked (they differ by run)."""
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix != ".gz":  # sitemap.xml.gz stores its own mtime
            data = path.read_bytes()
            if path.suffix in (".html", ".ipynb", ".json", ".md", ".xml"):
                data = _RUN_TIME.sub(r"\g<1>…", data.decode()).encode()
            out[str(path.relative_to(site))] = data
    return out


def test_sharded_build_with_merged_cache_equals_one_build(minisite, tmp_path):
    work, _ = minisite
    docs = work / "src" / "docs"

    def shards(*args: str, cache: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ, DLNOTES_BUILD_CACHE=str(cache), DLNOTES_KERNEL_THREADS="1")
        result = subprocess.run([sys.executable, "-m", "dlnotes_site.shards", "--docs", str(docs),
                                 *args], capture_output=True, text=True, env=env, cwd=ROOT)
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    plan = tmp_path / "plan.json"
    shards("plan", "--shards", "2", "--out", str(plan), cache=tmp_path / "none")
    assert [len(s["pages"]) for s in json.loads(plan.read_text())["shards"]] == [1, 1]
    for i in range(2):  # each shard on its own "runner": an empty cache of its own
        ran = shards("run", "--plan", str(plan), "--shard", str(i), "--out",
                     str(tmp_path / f"share-{i}"), cache=tmp_path / f"runner-{i}")
        assert "1 executed" in ran.stderr
    merged = tmp_path / "merged"
    shards("merge", str(tmp_path / "share-0"), str(tmp_path / "share-1"), "--into", str(merged),
           cache=merged)
    result = mkdocs_build(work / "src" / "mkdocs.yml", tmp_path / "site", merged,
                          DLNOTES_EXECUTE="none", DLNOTES_KERNEL_THREADS="1", CI="true")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(0 run, 2 from cache, 0 not executed)" in result.stderr
    one_build, sharded = _site_files(work / "site"), _site_files(tmp_path / "site")
    assert sorted(one_build) == sorted(sharded)
    differ = [name for name in one_build if one_build[name] != sharded[name]]
    assert not differ, differ
    # the publishing build left the ledger in the cache folder the workflow saves for the next
    ledger = json.loads((merged / "ledger.json").read_text(encoding="utf-8"))
    assert sorted(ledger["pages"]) == ["executed.md", "measured.md"]


def test_merging_shares_keeps_the_ledger_of_earlier_builds(tmp_path):
    from dlnotes_site.shards import merge_caches

    share = tmp_path / "share-0"
    (share / "executed").mkdir(parents=True)
    (share / "executed" / "k.ipynb").write_text("{}", encoding="utf-8")
    into = tmp_path / "cache"
    into.mkdir()
    earlier = '{"format": 1, "pages": {"a.md": []}}'
    (into / "ledger.json").write_text(earlier, encoding="utf-8")
    assert merge_caches([share], into) == 1
    assert (into / "ledger.json").read_text(encoding="utf-8") == earlier


# -- what an addition re-runs (the build's own cache keys over every real page) ----------------

DOCS = ROOT / "docs"


def _keys(src: Path) -> dict[str, str]:
    from dlnotes_site.pages import is_notebook_page

    keys = {}
    for path in sorted(DOCS.rglob("*.md")):
        if is_notebook_page(path):
            keys[str(path.relative_to(DOCS))] = cache_key(
                read_page(path), src_root=src, requirements=ROOT / "requirements.txt",
                profile="cpu", threads=1)
    return keys


@pytest.fixture
def src_copy(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return copy


def _rerun_after(src_copy, edit) -> set[str]:
    before = _keys(src_copy)
    edit(src_copy / "dlnotes")
    after = _keys(src_copy)
    return {page for page in before if before[page] != after[page]}


def test_adding_a_dataset_reruns_no_page(src_copy):
    def add(pkg):
        (pkg / "data" / "new_corpus.py").write_text(
            'from .store import DataFile, fetch\n'
            'CORPUS = DataFile("new.txt", "https://example.org/new.txt", "0" * 40)\n')
        catalog = pkg / "data" / "catalog.py"
        catalog.write_text(catalog.read_text() + "\n# one more pending file\n")
    assert _rerun_after(src_copy, add) == set()


def test_adding_or_correcting_a_reference_reruns_no_page(src_copy):
    def add(pkg):
        refs = pkg / "references.py"
        text = refs.read_text().replace(
            "\n]}\n", '\n    _ref("8.5", "RNN", "x", {"train_ppl": 1.0}, "S"),\n]}\n', 1)
        assert text != refs.read_text()
        refs.write_text(text.replace("0.883", "0.884"))
    assert _rerun_after(src_copy, add) == set()


def test_adding_a_model_family_reruns_only_pages_that_list_every_model(src_copy):
    def add(pkg):
        (pkg / "models" / "new_family.py").write_text(
            "from torch import nn\nfrom ._registry import register_model\n"
            "register_model('tiny', input_shape=(1, 2), output_shape=(1, 2))(lambda: nn.Linear(2, 2))\n")
    rerun = _rerun_after(src_copy, add)
    registry_pages = {p for p in _keys(src_copy)
                      if "create_model" in (DOCS / p).read_text() or "load_all" in (DOCS / p).read_text()}
    assert rerun == registry_pages


def test_editing_fit_reruns_only_pages_that_train(src_copy):
    def edit(pkg):
        train = pkg / "train.py"
        train.write_text(train.read_text() + "\n# a comment is an edit too\n")
    rerun = _rerun_after(src_copy, edit)
    # pages that import the loop (to train, or to show its help) or a recipe that trains
    trains = {p for p in _keys(src_copy)
              if any(word in (DOCS / p).read_text()
                     for word in ("from dlnotes.train import", "train_weight_decay",
                                  "train_polynomial", "train_cnn", "dlnotes.recipes.seq2seq",
                                  "dlnotes.recipes.sentiment", "dlnotes.recipes.nli import"))}
    assert rerun == trains, (sorted(rerun - trains), sorted(trains - rerun))
    assert 0 < len(rerun) < len(_keys(src_copy))


def test_the_fast_notebook_test_agrees_with_mkdocs_jupyter_on_every_page():
    from mkdocs.structure.files import File
    from mkdocs_jupyter.plugin import Plugin

    from dlnotes_site.pages import is_notebook_page

    plugin = Plugin()
    plugin.load_config({})
    for path in sorted(DOCS.rglob("*.md")):
        file = File(str(path.relative_to(DOCS)), str(DOCS), "/tmp/site", True)
        assert plugin.should_include(file) == is_notebook_page(path), path
