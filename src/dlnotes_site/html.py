"""Clean-ups of the HTML that mkdocs-jupyter/nbconvert produce for an executed page."""

from __future__ import annotations

import re
from html import escape

__all__ = ["clean_notebook_html", "info_bar", "name_search_dialog", "unexecuted_banner"]

_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_SCRIPT = re.compile(r"<script(?![^>]*application/vnd)[^>]*>.*?</script>", re.S)
_CLIPBOARD = re.compile(r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>', re.S)
_CLIPBOARD_TEXT = re.compile(r'<div [^>]*class="clipboard-copy-txt"[^>]*>.*?</div>', re.S)
_TEMPLATE_COMMENTS = re.compile(r"<!-- (?:Load mathjax|MathJax configuration|End of mathjax "
                                r"configuration|End of mermaid configuration) -->")
_CELL_ID = re.compile(r'id="cell-id=([\w-]+)"')
_IMG_ALT = 'alt="No description has been provided for this image"'
_HIGHLIGHT_PRE = re.compile(
    r'(<div class="highlight-ipynb[^"]*"[^>]*>)\s*<pre>(.*?)</pre>', re.S
)
_EMPTY_OUTPUT = re.compile(
    r'<div class="jp-OutputArea-child[^"]*">\s*(?:<div class="jp-OutputPrompt[^>]*>\s*</div>\s*)?'
    r'<div class="jp-RenderedText jp-OutputArea-output[^"]*" data-mime-type="text/plain"[^>]*>\s*'
    r"<pre>\s*</pre>\s*</div>\s*</div>",
    re.S,
)


def clean_notebook_html(html: str) -> str:
    """Make nbconvert's page body fit the site.

    - drop the inlined stylesheets (≈574 KB of JupyterLab CSS per page) and scripts (MathJax,
      mermaid and clipboard loaders from CDNs): the site serves one small stylesheet, renders
      math with KaTeX at build time and serves its own copy of mermaid;
    - replace mkdocs-jupyter's clipboard widget by Material's own copy button: code cells get the
      ``highlight`` class and a ``<pre><code>`` body like every other code block on the site,
      so they share its colours (light and dark) and its copy button;
    - drop the empty text outputs left by result records.
    """
    html = _STYLE.sub("", html)
    html = _SCRIPT.sub("", html)
    html = _CLIPBOARD.sub("", html)
    html = _CLIPBOARD_TEXT.sub("", html)
    html = _HIGHLIGHT_PRE.sub(
        lambda m: m.group(1).replace('class="highlight-ipynb', 'class="highlight highlight-ipynb')
        + f"<pre><code>{m.group(2)}</code></pre>",
        html,
    )
    html = _EMPTY_OUTPUT.sub("", html)
    html = _TEMPLATE_COMMENTS.sub("", html)
    html = html.replace(_IMG_ALT, 'alt="代码输出的图"')
    # nbconvert ids such as "cell-id=cell-3" break CSS selectors built from them (Material's copy
    # button targets "#__code_<id> > code"): keep the part after "="
    html = _CELL_ID.sub(r'id="\1"', html)
    return html


_SEARCH_DIALOG = re.compile(r'<div class="md-search"(?![^>]*aria-label)([^>]*role="dialog")')


def name_search_dialog(html: str) -> str:
    """Give Material's search dialog an accessible name: a ``role="dialog"`` without one is
    announced as a bare "dialog" (axe-core's rule aria-dialog-name)."""
    return _SEARCH_DIALOG.sub(r'<div class="md-search" aria-label="搜索本站"\1', html, count=1)


def info_bar(profile: str, run_seconds: float, notebook_href: str,
             machine: str | None = None) -> str:
    """The line at the top of every executed page: profile, run time, download link, and for a
    page that measures the machine, the machine its numbers were measured on."""
    measured_on = f" · 测于 {escape(machine)}" if machine else ""
    return (
        f'<div class="dlnotes-info" data-profile="{profile}" data-run-seconds="{run_seconds:.1f}" '
        'data-search-exclude="1">'
        f'<span>本页代码在构建时执行 · profile <code>{profile}</code> · 用时 {run_seconds:.1f} s'
        f'{measured_on}</span>'
        f'<a class="md-button dlnotes-download" href="{notebook_href}" download '
        'title="下载执行后的 Jupyter 笔记本">下载 .ipynb</a>'
        "</div>"
    )


def unexecuted_banner(patterns) -> str:
    """The banner of a page rendered without running its code (``DLNOTES_EXECUTE`` left it out
    and the cache had no outputs for it). Never published: CI refuses such a build."""
    shown = ", ".join(f"<code>{p}</code>" for p in patterns)
    return (
        '<div class="admonition warning dlnotes-unexecuted" data-search-exclude="1">'
        '<p class="admonition-title">本页没有执行</p>'
        f"<p>这次构建只执行 <code>DLNOTES_EXECUTE</code> 选中的页面（{shown}），"
        "缓存里也没有本页的输出，所以下面的代码没有运行：没有图、没有数字。"
        "去掉这个变量重新构建即可看到完整页面。</p></div>"
    )
