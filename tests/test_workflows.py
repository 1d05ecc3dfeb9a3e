"""The GitHub workflows are wired to commands that exist, with the settings the build relies on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
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


def test_every_job_computes_the_same_cache_keys():
    assert PAGES["env"]["DLNOTES_KERNEL_THREADS"] and PAGES["env"]["DLNOTES_BUILD_JOBS"]
    assert not any("DLNOTES_KERNEL_THREADS" in job.get("env", {}) for job in PAGES["jobs"].values())


def test_only_the_deploy_job_may_write_pages():
    assert PAGES["permissions"] == {"contents": "read"}
    writers = {name for name, job in PAGES["jobs"].items() if "permissions" in job}
    assert writers == {"deploy"}


def test_the_shard_commands_the_workflow_calls_exist():
    for command in ("plan", "run", "merge"):
        result = subprocess.run([sys.executable, "-m", "dlnotes_site.shards", command, "--help"],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
