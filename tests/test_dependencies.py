"""The declared dependencies are complete: a fresh environment built from pyproject.toml alone
(``pip install .[site]``, versions held to the pins) imports every module of the package and of
the build machinery. A package the code imports but nobody declared fails here, not on a
reader's machine."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_fresh_environment_from_pyproject_imports_every_module(fresh_env):
    # the environment is built (and the import check run in it) by tests/fresh_env.py
    result = fresh_env.imports
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _imported_top_level_modules() -> set[str]:
    found = set()
    for path in list((ROOT / "src").rglob("*.py")) + list((ROOT / "hooks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"dlnotes", "dlnotes_site", "__future__"}


def _pinned() -> set[str]:
    names = set()
    for req in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / req).read_text(encoding="utf-8").splitlines():
            if "==" in line and not line.startswith("#"):
                names.add(line.split("==")[0].strip().lower().replace("_", "-"))
    return names


def test_every_package_the_code_imports_is_pinned():
    distributions = importlib.metadata.packages_distributions()
    unpinned = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert dists, f"{module} is imported but no installed distribution provides it"
        if not dists & _pinned():
            unpinned[module] = sorted(dists)
    assert not unpinned, f"imported but not pinned in requirements*.txt: {unpinned}"
