"""Shared fixtures. Tests run against the installed package (``pip install -e .``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# the browser tests' fixtures (built site on localhost, Chromium, page visits), for every module
from browser_support import base_url, browser, site_dir, visit  # noqa: F401

# one fresh virtual environment installed from pyproject.toml, shared by the tests that need it
from fresh_env import fresh_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """No data mirror and an empty user cache: only a download could find a file."""
    monkeypatch.delenv("DLNOTES_DATA_DIR", raising=False)
    monkeypatch.setenv("DLNOTES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def data_dir_or_skip() -> Path:
    value = os.environ.get("DLNOTES_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("DLNOTES_DATA_DIR does not point at the dataset mirror")
    return Path(value)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole site once per test run (every page executed, or taken from the cache).

    The execution cache is the project's own (``.cache/dlnotes``), shared with ``mkdocs serve``;
    a clean clone therefore executes every page here.
    """
    import subprocess
    import sys

    site = tmp_path_factory.mktemp("built") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    log = "\n".join(line for line in result.stderr.splitlines() if "dlnotes:" in line)
    print(log)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "build.log").write_text(result.stderr)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stderr[-5000:]}"
    return site
