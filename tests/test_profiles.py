"""Profile selection."""

import pytest

from dlnotes.profiles import UnknownProfileError, choose, current_profile


def test_cpu_is_the_default(monkeypatch):
    monkeypatch.delenv("DLNOTES_PROFILE", raising=False)
    assert current_profile() == "cpu"
    assert choose(cpu=1, full=2) == 1


def test_full_profile_picks_full_values(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "full")
    assert choose(cpu=1, full=2) == 2


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DLNOTES_PROFILE", "gpu-huge")
    with pytest.raises(UnknownProfileError, match="'gpu-huge'.*cpu, full"):
        current_profile()
