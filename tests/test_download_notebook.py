"""The downloaded notebook runs on a reader's machine: a setup cell in front installs the exact
``dlnotes`` wheel the site serves and the pinned requirements, and a training page's notebook,
run in a fresh environment, reports the numbers its page shows."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import data_dir_or_skip

from dlnotes.results import RESULT_MIME
from dlnotes_site.download import SETUP_TAG, setup_cells, wheel_url, with_setup_cells
from dlnotes_site.wheel import WheelError, build_wheel, pinned_requirements, runtime_pins

ROOT = Path(__file__).resolve().parents[1]
PINNED = pinned_requirements(ROOT / "requirements.txt")
# the training notebook CI runs as a reader would: Fashion-MNIST from the data folder, ≈ 16 s
PAGE = "chapter_linear-networks/softmax-regression-concise"
TIMING_METRICS = {"seconds", "examples_per_sec"}  # measured, not computed: they differ per run


@pytest.fixture(scope="module")
def wheel():
    return build_wheel(ROOT)


def project_copy(tmp_path: Path) -> Path:
    """The files a wheel is built from, in ``tmp_path``."""
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "src" / "dlnotes", tmp_path / "src" / "dlnotes",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def setup_of(nb) -> list:
    return [c for c in nb.cells if SETUP_TAG in c.metadata.get("tags", [])]


def results_of(nb) -> list[dict]:
    return [dict(o["data"][RESULT_MIME]) for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if RESULT_MIME in o.get("data", {})]


def computed(record: dict) -> dict:
    """``record`` without what a run measures rather than computes (its metrics' and every
    epoch's timings)."""
    def drop_timing(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in TIMING_METRICS}

    return {**record, "metrics": drop_timing(record["metrics"]),
            "history": [drop_timing(epoch) for epoch in record.get("history") or []]}


# -- the wheel -------------------------------------------------------------------------------

def test_wheel_is_the_same_file_for_the_same_source_and_renamed_when_a_module_changes(tmp_path):
    root = project_copy(tmp_path)
    first, again = build_wheel(root), build_wheel(root)
    assert first.data == again.data and first.filename == again.filename
    assert first.filename == f"dlnotes-{first.version}-py3-none-any.whl"
    assert first.version.startswith("0.1.0+g")
    train = root / "src" / "dlnotes" / "train.py"
    train.write_text(train.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = build_wheel(root)
    assert edited.version != first.version and edited.sha256 != first.sha256


def test_wheel_installs_with_pip_and_imports_as_its_version(wheel, tmp_path):
    path = tmp_path / wheel.filename
    path.write_bytes(wheel.data)
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(path)], check=True)
    probe = ("import importlib.metadata, dlnotes.train; "
             "print(dlnotes.train.__file__); print(importlib.metadata.version('dlnotes'))")
    result = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                             f"{str(target)!r}); {probe}"],
                            capture_output=True, text=True, cwd=tmp_path, check=True)
    where, version = result.stdout.split()
    assert Path(where).is_relative_to(target) and version == wheel.version
    assert not (target / "dlnotes_site").exists()  # the build machinery stays out


def test_wheel_record_lists_every_file_with_its_hash(wheel):
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        names = archive.namelist()
        record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
        rows = dict(line.split(",", 1) for line in record.splitlines())
        for name in names:
            if name.endswith("/RECORD"):
                continue
            digest = base64.urlsafe_b64encode(
                hashlib.sha256(archive.read(name)).digest()).rstrip(b"=").decode()
            assert rows[name] == f"sha256={digest},{len(archive.read(name))}", name
    assert "dlnotes/train.py" in names


def test_wheel_requires_the_pinned_runtime_dependencies_but_not_ipython(wheel):
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        metadata = archive.read(f"dlnotes-{wheel.version}.dist-info/METADATA").decode()
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ")]
    assert PINNED["torch"] in requires and PINNED["numpy"] in requires
    assert "ipython" in requires  # the reader's kernel runs its own IPython
    assert f"Version: {wheel.version}" in metadata


def test_runtime_pins_are_the_requirements_pins_the_package_needs():
    pins = runtime_pins(ROOT)
    assert set(pins) <= set(PINNED.values())
    assert PINNED["torch"] in pins and PINNED["protobuf"] in pins  # protobuf: through onnx
    names = {p.split("==")[0].lower() for p in pins}
    assert not names & {"ipython", "mkdocs", "nbclient", "jupytext", "traitlets"}


def test_a_requirement_that_is_not_a_pin_fails_naming_its_line(tmp_path):
    root = project_copy(tmp_path)
    (root / "requirements.txt").write_text("torch==2.13.0\nnumpy>=2\n", encoding="utf-8")
    with pytest.raises(WheelError, match=r"requirements.txt:2: 'numpy>=2' is not"):
        build_wheel(root)


def test_a_project_without_pyproject_fails_naming_the_file(tmp_path):
    root = project_copy(tmp_path)
    (root / "pyproject.toml").unlink()
    with pytest.raises(WheelError, match=r"pyproject.toml does not exist"):
        build_wheel(root)


# -- the setup cells ---------------------------------------------------------------------------

def cells_for(wheel, url="https://example.org/book/downloads/x.whl"):
    return setup_cells(filename=wheel.filename, url=url, sha256=wheel.sha256, pins=wheel.pins,
                       profile="cpu", threads=1)


def test_setup_cell_names_the_exact_wheel_its_hash_and_every_pin(wheel):
    note, code = cells_for(wheel)
    assert note.cell_type == "markdown" and code.cell_type == "code"
    values = {node.targets[0].id: ast.literal_eval(node.value)
              for node in ast.parse(code.source).body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
              and node.targets[0].id.isupper()}
    assert values["WHEEL"] == wheel.filename
    assert values["WHEEL_SHA256"] == wheel.sha256
    assert values["PINS"] == list(wheel.pins) and PINNED["torch"] in values["PINS"]
    assert "torch.set_num_threads(1)" in code.source
    assert "os.environ['DLNOTES_PROFILE'] = 'cpu'" in code.source
    assert "DLNOTES_DATA_DIR" in note.source and "SHA-1" in note.source
    assert wheel.filename in note.source and PINNED["torch"] in note.source


def test_wheel_url_is_under_the_site_and_escapes_the_local_version():
    url = wheel_url("https://dlnotes.github.io/dlnotes/", "dlnotes-0.1.0+gabc-py3-none-any.whl")
    assert url == "https://dlnotes.github.io/dlnotes/downloads/dlnotes-0.1.0%2Bgabc-py3-none-any.whl"
    assert wheel_url("https://x.org/b", "w.whl") == "https://x.org/b/downloads/w.whl"
    assert wheel_url(None, "w.whl") is None


def run_setup_code(code: str, folder: Path, monkeypatch) -> list:
    """Run the setup cell's code in ``folder`` with pip replaced by a recorder."""
    import torch

    calls = []
    monkeypatch.chdir(folder)
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args))
    monkeypatch.setenv("DLNOTES_PROFILE", "cpu")  # restored afterwards: the cell sets it
    threads = torch.get_num_threads()
    try:
        exec(compile(code, "setup-cell", "exec"), {})
    finally:
        torch.set_num_threads(threads)
    return calls


def test_setup_cell_installs_the_wheel_beside_the_notebook_with_the_pins(wheel, tmp_path,
                                                                          monkeypatch, capsys):
    (tmp_path / wheel.filename).write_bytes(wheel.data)
    calls = run_setup_code(cells_for(wheel)[1].source, tmp_path, monkeypatch)
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", wheel.filename,
                      *wheel.pins]]
    assert "数据：" in capsys.readouterr().out


def test_setup_cell_refuses_a_wheel_that_is_not_the_built_one(wheel, tmp_path, monkeypatch):
    (tmp_path / wheel.filename).write_bytes(wheel.data + b"tampered")
    with pytest.raises(RuntimeError, match="SHA-256"):
        run_setup_code(cells_for(wheel)[1].source, tmp_path, monkeypatch)


def test_setup_cell_without_a_site_url_asks_for_the_file(wheel, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=wheel.filename.replace("+", r"\+")):
        run_setup_code(cells_for(wheel, url=None)[1].source, tmp_path, monkeypatch)


def test_setup_cells_go_in_front_of_a_copy_with_fixed_ids(wheel):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 标题", id="a")])
    setup = dict(filename=wheel.filename, url=None, sha256=wheel.sha256, pins=wheel.pins,
                 profile="cpu", threads=1)
    downloaded = with_setup_cells(nb, **setup)
    assert len(nb.cells) == 1  # the executed notebook itself is left alone
    assert [c.id for c in downloaded.cells] == ["dlnotes-setup-note", "dlnotes-setup", "a"]
    assert nbformat.writes(downloaded) == nbformat.writes(with_setup_cells(nb, **setup))
    assert downloaded.metadata["dlnotes"]["wheel"] == wheel.filename
    nbformat.validate(downloaded)


# -- the built site ------------------------------------------------------------------------------

def downloaded(site: Path, page: str = PAGE):
    return nbformat.read(site / page / (Path(page).name + ".ipynb"), as_version=4)


@pytest.mark.site
def test_site_serves_the_wheel_its_notebooks_install_and_pages_do_not_show_the_setup(site_dir):
    nb = downloaded(site_dir)
    note, code = setup_of(nb)
    assert nb.cells[:2] == [note, code]
    wheel_name = nb.metadata["dlnotes"]["wheel"]
    served = site_dir / "downloads" / wheel_name
    assert served.is_file(), f"the site does not serve {wheel_name}"
    assert hashlib.sha256(served.read_bytes()).hexdigest() in code.source
    assert f"downloads/{wheel_name.replace('+', '%2B')}" in code.source
    assert not code.outputs and code.execution_count is None  # the build did not run it
    html = (site_dir / PAGE / "index.html").read_text(encoding="utf-8")
    assert wheel_name not in html and "WHEEL_SHA256" not in html and "先运行这个单元" not in html


RUNNER = """
import sys, tempfile, nbformat
from nbclient import NotebookClient
from traitlets.config import Config

nb = nbformat.read(sys.argv[1], as_version=4)
sockets = tempfile.mkdtemp(prefix="kernel-")  # Unix sockets in a private folder, as the build
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
               resources={"metadata": {"path": sys.argv[3]}},
               config=Config({"KernelManager": {"transport": "ipc",
                                                "ip": sockets + "/kernel"}})).execute()
nbformat.write(nb, sys.argv[2])
"""


@pytest.mark.site
@pytest.mark.slow
def test_downloaded_training_notebook_runs_in_a_fresh_environment_and_reports_the_same_numbers(
        site_dir, fresh_env, tmp_path):
    data = data_dir_or_skip()
    nb = downloaded(site_dir)
    built = results_of(nb)
    assert built, f"{PAGE} reports no result"
    # as a reader: the notebook and the wheel the site serves, side by side in a folder
    folder = tmp_path / "reader"
    folder.mkdir()
    shutil.copy(site_dir / PAGE / (Path(PAGE).name + ".ipynb"), folder / "page.ipynb")
    wheel_name = nb.metadata["dlnotes"]["wheel"]
    shutil.copy(site_dir / "downloads" / wheel_name, folder / wheel_name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DLNOTES_PROFILE", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "MPLBACKEND")}
    env["DLNOTES_DATA_DIR"] = str(data)
    run = subprocess.run([str(fresh_env.python), "-c", RUNNER, str(folder / "page.ipynb"),
                          str(folder / "ran.ipynb"), str(folder)],
                         capture_output=True, text=True, env=env, cwd=folder)
    assert run.returncode == 0, run.stderr[-4000:]
    ran = nbformat.read(folder / "ran.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in setup_of(ran)[1].outputs)
    version = wheel_name.split("-")[1]
    # the notebook ran against the wheel, installed into the fresh environment
    assert f"dlnotes {version} · {fresh_env.python.parent}" in printed, printed
    assert f"DLNOTES_DATA_DIR={data}" in printed
    again = [computed(r) for r in results_of(ran)]
    built = [computed(r) for r in built]
    numbers = ("metrics", "history")
    assert ([{**r, **dict.fromkeys(numbers)} for r in again]
            == [{**r, **dict.fromkeys(numbers)} for r in built])
    # Seeded, same profile and threads: on the machine that built the page the numbers come out
    # bit for bit the same (seen on every run here). The tolerance is for a page that came from
    # a cache filled on another CPU (GitHub's runners vary): a different vector unit may round a
    # loss differently in the last digits, or flip a single prediction (1e-4 of the test set).
    for now, then in zip(again, built, strict=True):
        assert now["metrics"] == pytest.approx(then["metrics"], rel=1e-4, abs=1e-4), (now, then)
        assert len(now["history"]) == len(then["history"]) == now["metrics"]["epochs"]
        for epoch_now, epoch_then in zip(now["history"], then["history"], strict=True):
            assert epoch_now == pytest.approx(epoch_then, rel=1e-4, abs=1e-4), (now, then)
