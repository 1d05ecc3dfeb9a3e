"""The declared dependencies are complete: a fresh environment built from pyproject.toml alone
(``pip install .[site]``, versions held to the pins) imports every module of the package and of
the build machinery. A package the code imports but nobody declared fails here, not on a
reader's machine."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
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


@pytest.mark.slow
def test_a_fresh_environment_from_pyproject_imports_every_module(tmp_path):
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "requirements.txt"),
         "-c", str(ROOT / "requirements-dev.txt"), f"{ROOT}[site]"],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    # run outside the checkout, so that src/ on the path cannot stand in for the installed copy
    result = subprocess.run([str(python), "-c", IMPORT_EVERYTHING], capture_output=True, text=True,
                            cwd=tmp_path)
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
