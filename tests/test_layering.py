"""The package's import rules (../shared/LAYOUT.md), checked with the build's own import walk.

A page re-runs when a module it imports changes, directly or through other modules, so these
rules are what keeps a small change from re-running the whole site.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dlnotes_site.pages import module_imports

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "dlnotes"


def _name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The module an imported name refers to (``dlnotes.a.b.f`` -> ``dlnotes.a.b``)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in MODULES:
            return candidate
    return None


def deps(module: str) -> set[str]:
    """The dlnotes modules that ``module`` imports directly (packages' __init__ left out)."""
    found = {_resolve(n) for n in module_imports(MODULES[module], module)}
    return {m for m in found if m and m != module and MODULES[m].name != "__init__.py"}


def _in(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_every_init_is_a_docstring_only():
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        body = ast.parse(path.read_text(encoding="utf-8")).body
        assert body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant), \
            f"{path}: no docstring"
        rest = body[1:]
        if name == "dlnotes":  # the top level may name its version, nothing else
            rest = [n for n in rest if not (isinstance(n, ast.Assign)
                                            and [t.id for t in n.targets] == ["__version__"])]
        assert not rest, f"{path.relative_to(SRC)} must hold only a docstring"


LEAVES = ["dlnotes.seed", "dlnotes.profiles", "dlnotes.device", "dlnotes.history",
          "dlnotes.references", "dlnotes.summary"]


@pytest.mark.parametrize("module", LEAVES)
def test_infrastructure_leaves_import_nothing_from_dlnotes(module):
    assert deps(module) == set()


def test_train_and_plot_import_only_the_history():
    assert deps("dlnotes.train") <= {"dlnotes.history", "dlnotes.device"}
    assert deps("dlnotes.plot") <= {"dlnotes.history"}


def test_results_know_nothing_of_references_or_the_loop():
    assert deps("dlnotes.results") <= {"dlnotes.history", "dlnotes.profiles"}


def test_only_plot_imports_matplotlib():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses = any(
            (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "matplotlib" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "matplotlib")
            for n in ast.walk(tree)
        )
        assert not uses or name == "dlnotes.plot", f"{name} imports matplotlib"


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, "dlnotes.data")])
def test_data_modules_import_only_the_store_vocab_and_seed(module):
    # data.wordpiece is BERT's tokenizer, a text primitive like data.vocab (data.minilm builds one)
    assert deps(module) <= {"dlnotes.data.store", "dlnotes.data.vocab", "dlnotes.data.wordpiece",
                            "dlnotes.seed"}


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, "dlnotes.layers")])
def test_layers_import_only_functional(module):
    allowed = {"dlnotes.layers.functional"}
    if module == "dlnotes.layers.transformer":  # the Transformer block composes attention and layer norm
        allowed |= {"dlnotes.layers.attention", "dlnotes.layers.norm"}
    assert deps(module) <= allowed


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, "dlnotes.optim")])
def test_optimizers_import_nothing_from_dlnotes_but_their_shared_frame(module):
    assert deps(module) <= {"dlnotes.optim.base"}


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, "dlnotes.models")])
def test_models_import_only_layers_and_the_registry(module):
    bad = {d for d in deps(module) if not _in(d, "dlnotes.layers", "dlnotes.models._registry")}
    assert not bad, f"{module} imports {sorted(bad)}; shared blocks belong in dlnotes.layers"


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, "dlnotes.recipes")])
def test_recipes_neither_draw_nor_report_nor_import_each_other(module):
    bad = {d for d in deps(module)
           if _in(d, "dlnotes.plot", "dlnotes.results", "dlnotes.recipes")}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_the_package_never_imports_the_build():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(m.split(".")[0] == "dlnotes_site" for m in imported), name


def test_the_top_level_takes_no_module_without_a_rule():
    top = sorted(m for m in MODULES if m.count(".") == 1 and MODULES[m].name != "__init__.py")
    assert top == ["dlnotes.autograd", "dlnotes.device", "dlnotes.history", "dlnotes.plot",
                   "dlnotes.profiles", "dlnotes.references", "dlnotes.results", "dlnotes.seed",
                   "dlnotes.summary", "dlnotes.train"]
