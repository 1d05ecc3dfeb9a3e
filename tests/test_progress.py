"""The build's progress bar: longest pages first, an ETA in expected seconds, timings kept."""

from __future__ import annotations

import json

from dlnotes_site.progress import PageProgress


def test_longest_known_pages_run_first_and_unknown_ones_count_as_the_median(tmp_path):
    timings = tmp_path / "timings.json"
    timings.write_text(json.dumps({"a.md": 10.0, "b.md": 90.0, "c.md": 30.0}))
    with PageProgress(["a.md", "b.md", "c.md", "new.md"], timings) as progress:
        assert progress.order(["a.md", "cached.md", "new.md", "b.md", "c.md"]) == \
            ["b.md", "new.md", "c.md", "a.md", "cached.md"]  # ties keep their order
        assert progress.expected["new.md"] == 30.0  # the median of the known pages
        assert progress.bar.total == 160
        progress.done("b.md", 80.0)
        assert progress.bar.n == 90 and progress.pages_done == 1
    assert json.loads(timings.read_text())["b.md"] == 80.0


def test_a_first_build_without_timings_still_has_a_bar(tmp_path):
    with PageProgress(["x.md", "y.md"], tmp_path / "missing" / "timings.json") as progress:
        assert progress.bar.total == 60
        progress.done("x.md", 12.0)
    assert (tmp_path / "missing" / "timings.json").is_file()


def test_nothing_to_run_means_no_bar_and_no_file(tmp_path):
    with PageProgress([], tmp_path / "timings.json") as progress:
        assert progress.bar.disable
    assert not (tmp_path / "timings.json").exists()
