"""The GitHub workflows are wired to commands that exist, with the settings the build relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PAGES = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))


def _runs(job: str) -> str:
    return "\n".join(step.get("run", "") for step in PAGES["jobs"][job]["steps"])


def test_pages_runs_plan_then_a_shard_matrix_then_one_build_then_deploy():
    jobs = PAGES["jobs"]
    assert jobs["shard"]["needs"] == "plan" and jobs["build"]["needs"] == "shard"
    assert jobs["deploy"]["needs"] == "build"
    assert "needs.plan.outputs.shards" in jobs["shard"]["strategy"]["matrix"]["shard"]
    assert "shards plan" in _runs("plan") and "shards run" in _runs("shard")
    assert "shards merge" in _runs("build") and "mkdocs build --strict" in _runs("build")


def test_the_publishing_build_executes_nothing_and_refuses_missing_pages():
    build = next(s for s in PAGES["jobs"]["build"]["steps"] if "mkdocs build" in s.get("run", ""))
    assert build["env"]["DLNOTES_EXECUTE"] == "none" and build["env"]["CI"] == "true"


def test_the_publishing_build_carries_the_number_ledger_from_build_to_build():
    """The ledger is written by the build job (shards only execute): it restores the last one
    before merging the shares into the cache folder and saves it after ``mkdocs build``."""
    steps = PAGES["jobs"]["build"]["steps"]

    def index(match) -> int:
        return next(i for i, s in enumerate(steps) if match(s))

    restore = index(lambda s: "cache/restore" in s.get("uses", "")
                    and s["with"]["path"] == ".cache/dlnotes/ledger.json")
    save = index(lambda s: "cache/save" in s.get("uses", "")
                 and s["with"]["path"] == ".cache/dlnotes/ledger.json")
    merge = index(lambda s: "shards merge" in s.get("run", ""))
    build = index(lambda s: "mkdocs build" in s.get("run", ""))
    assert restore < merge < build < save
    assert steps[restore]["with"]["key"] == steps[save]["with"]["key"]
    assert steps[restore]["with"]["restore-keys"] == "ledger-${{ env.DLNOTES_PROFILE }}-"


def test_every_job_computes_the_same_cache_keys():
    assert PAGES["env"]["DLNOTES_KERNEL_THREADS"] and PAGES["env"]["DLNOTES_BUILD_JOBS"]
    assert not any("DLNOTES_KERNEL_THREADS" in job.get("env", {}) for job in PAGES["jobs"].values())


def test_only_the_deploy_job_may_write_pages():
    assert PAGES["permissions"] == {}  # nothing by default; each job names what it needs
    for name, job in PAGES["jobs"].items():
        granted = job["permissions"]
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes == ({"pages", "id-token"} if name == "deploy" else set()), name


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_and_checkout_keeps_no_token(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    text = workflow.read_text(encoding="utf-8")
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d", line), line
    for job in data["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_zizmor_finds_nothing_at_medium_or_above():
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    result = subprocess.run([zizmor, "--offline", "--min-severity", "medium",
                             str(ROOT / ".github" / "workflows")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "No findings to report" in result.stdout + result.stderr


def test_the_shard_commands_the_workflow_calls_exist():
    for command in ("plan", "run", "merge"):
        result = subprocess.run([sys.executable, "-m", "dlnotes_site.shards", command, "--help"],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr


def test_pages_makes_the_offline_editions_from_the_built_site_before_the_upload():
    steps = PAGES["jobs"]["build"]["steps"]
    where = {what: next(i for i, s in enumerate(steps) if what in s.get("run", "") + s.get("uses", ""))
             for what in ("mkdocs build", "dlnotes_site.editions site", "pdffonts",
                          "upload-pages-artifact", "poppler-utils")}
    assert where["poppler-utils"] < where["mkdocs build"] < where["dlnotes_site.editions site"]
    assert where["dlnotes_site.editions site"] < where["pdffonts"] < where["upload-pages-artifact"]
    result = subprocess.run([sys.executable, "-m", "dlnotes_site.editions", "--help"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "site_dir" in result.stdout, result.stderr
