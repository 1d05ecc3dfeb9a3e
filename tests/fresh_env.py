"""One fresh virtual environment per test run, installed from ``pyproject.toml`` as a reader
would (``pip install .[site]``, versions held to the pins), shared by the tests that need it:
``test_dependencies.py`` (every module imports) and ``test_download_notebook.py`` (a downloaded
notebook runs in it). Installing it takes minutes; ``conftest.py`` imports the fixture,
so however many tests ask for it, CI pays once.

The import check runs right after the install, before any other test can add to the
environment, and its outcome is kept for ``test_dependencies.py`` to assert on.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

IMPORT_EVERYTHING = """
import importlib, pkgutil, dlnotes, dlnotes_site
failed = []
for package in (dlnotes, dlnotes_site):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except Exception as err:  # noqa: BLE001 - report every failure, not the first
            failed.append(f"{module.name}: {err!r}")
print("\\n".join(failed) or "every module imported")
raise SystemExit(1 if failed else 0)
"""


@dataclass(frozen=True)
class FreshEnv:
    python: Path  # the environment's interpreter
    imports: subprocess.CompletedProcess  # IMPORT_EVERYTHING, run right after the install


@pytest.fixture(scope="session")
def fresh_env(tmp_path_factory) -> FreshEnv:
    work = tmp_path_factory.mktemp("fresh-env")
    env = work / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "requirements.txt"),
         "-c", str(ROOT / "requirements-dev.txt"), f"{ROOT}[site]"],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    # run outside the checkout, so that src/ on the path cannot stand in for the installed copy
    imports = subprocess.run([str(python), "-c", IMPORT_EVERYTHING], capture_output=True,
                             text=True, cwd=work)
    return FreshEnv(python, imports)
