"""The notebook a reader downloads: the executed page with two cells in front that make it run on
the reader's machine as it ran in the build.

The first is a short Markdown cell (in Chinese) saying what the second does: install the exact
``dlnotes`` the page was built with (the wheel the site serves, :mod:`.wheel`, checked against its
SHA-256) and the runtime requirements pinned as in ``requirements.txt``; set the build's profile
and its threads per kernel, so that the reported numbers come out the same; and say where the data
comes from (``$DLNOTES_DATA_DIR`` if set, else the checksummed download of
:mod:`dlnotes.data.store`).

The cells are added to the downloaded copy only: the build executes the page without them and
renders the page without them, and neither the cache key nor the page's HTML changes. Both cells
carry the tag :data:`SETUP_TAG` and fixed ids, so the download is the same file from build to
build.
"""

from __future__ import annotations

import copy
import urllib.parse

import nbformat

__all__ = ["SETUP_TAG", "WHEEL_FOLDER", "setup_cells", "with_setup_cells", "wheel_url"]

SETUP_TAG = "dlnotes-setup"
WHEEL_FOLDER = "downloads"  # where the site serves the wheel, relative to its root


def wheel_url(site_url: str | None, filename: str) -> str | None:
    """The wheel's address on the published site (``None`` when the site has no ``site_url``)."""
    if not site_url:
        return None
    base = site_url if site_url.endswith("/") else site_url + "/"
    return f"{base}{WHEEL_FOLDER}/{urllib.parse.quote(filename)}"


def _markdown(filename: str, url: str | None, pins, profile: str, threads: int) -> str:
    where = (f"站点上的 [`{filename}`]({url})" if url else
             f"站点 `{WHEEL_FOLDER}/` 文件夹里的 `{filename}`")
    torch_pin = next((p for p in pins if p.lower().startswith("torch==")), None)
    pinned = f"（{torch_pin} 等）" if torch_pin else ""
    return (
        "## 先运行这个单元\n\n"
        f"下面的单元安装本页构建时所用的 `dlnotes`：{where}，下载后核对 SHA-256；"
        f"如果这个文件已经放在笔记本旁边，就直接用它。同时安装与构建相同版本的依赖{pinned}。\n\n"
        f"它还把实验规模设为构建时的 `{profile}` 配置、PyTorch 线程数设为 {threads}，"
        "所以重新运行得到的数字应与网页上的一致（换一种 CPU，最后几位小数可能不同）。\n\n"
        "数据：设置了环境变量 `DLNOTES_DATA_DIR` 时从那个文件夹读取；否则第一次用到时"
        "从官方地址下载到 `~/.cache/dlnotes`，并核对 SHA-1。\n\n"
        "这两个单元只在下载的笔记本里，网页上没有。"
    )


def _code(filename: str, url: str | None, sha256: str, pins, profile: str, threads: int) -> str:
    pin_lines = "".join(f"    {pin!r},\n" for pin in pins)
    threads_line = (f"torch.set_num_threads({threads})  # 构建时每个内核的线程数；改了它，数字的最后几位可能不同\n"
                    if threads else "")
    return (
        "# 安装本页构建时所用的 dlnotes 和依赖，设成与构建相同的配置，并说明数据从哪里来\n"
        "import hashlib, importlib.metadata, os, pathlib, subprocess, sys, urllib.request\n"
        "\n"
        f"WHEEL = {filename!r}\n"
        f"WHEEL_URL = {url!r}\n"
        f"WHEEL_SHA256 = {sha256!r}\n"
        f"PINS = [\n{pin_lines}]\n"
        "\n"
        "wheel = pathlib.Path(WHEEL)\n"
        "if not wheel.is_file():  # 不在笔记本旁边：从站点下载\n"
        "    if WHEEL_URL is None:\n"
        "        raise FileNotFoundError(f'请把站点上的 {WHEEL} 放在笔记本旁边')\n"
        "    urllib.request.urlretrieve(WHEEL_URL, wheel)\n"
        "if hashlib.sha256(wheel.read_bytes()).hexdigest() != WHEEL_SHA256:\n"
        "    raise RuntimeError(f'{WHEEL} 与构建时的文件不同（SHA-256 不符），请重新下载')\n"
        "subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', str(wheel), *PINS],\n"
        "               check=True)\n"
        "\n"
        f"os.environ['DLNOTES_PROFILE'] = {profile!r}  # 构建时的实验规模\n"
        "import torch\n"
        f"{threads_line}"
        "\n"
        "data = os.environ.get('DLNOTES_DATA_DIR')\n"
        "print('dlnotes', importlib.metadata.version('dlnotes'), '·', sys.executable)\n"
        "print('数据：' + (f'读取 DLNOTES_DATA_DIR={data}' if data else\n"
        "                 '第一次用到时从官方地址下载到 ~/.cache/dlnotes，并核对 SHA-1'))\n"
    )


def setup_cells(*, filename: str, url: str | None, sha256: str, pins, profile: str,
                threads: int) -> list:
    """The Markdown cell and the code cell put in front of a downloaded page.

    Args:
        filename: the wheel's file name (``dlnotes-<version>-py3-none-any.whl``).
        url: where the site serves it, or ``None`` (the reader puts the file beside the notebook).
        sha256: the wheel's SHA-256, checked before installing.
        pins: ``name==version`` requirements installed with it.
        profile: the build's profile.
        threads: the build's threads per kernel (0: leave PyTorch's default).
    """
    if not filename.endswith(".whl") or len(sha256) != 64:
        raise ValueError(f"setup_cells needs a wheel file name and its SHA-256, got {filename!r}, "
                         f"{sha256!r}")
    meta = {"tags": [SETUP_TAG]}
    text = nbformat.v4.new_markdown_cell(_markdown(filename, url, pins, profile, threads),
                                         metadata=copy.deepcopy(meta), id="dlnotes-setup-note")
    code = nbformat.v4.new_code_cell(_code(filename, url, sha256, pins, profile, threads),
                                     metadata=copy.deepcopy(meta), id="dlnotes-setup")
    return [text, code]


def with_setup_cells(nb, **setup):
    """A copy of the executed notebook ``nb`` with :func:`setup_cells` (``**setup``) in front
    and the wheel named in its metadata."""
    downloaded = copy.deepcopy(nb)
    downloaded.cells[0:0] = setup_cells(**setup)
    downloaded.metadata.setdefault("dlnotes", {})["wheel"] = setup["filename"]
    return downloaded
