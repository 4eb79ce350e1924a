"""Test configuration: no network, a non-interactive plotting backend, figures closed after each test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))
import network_guard  # noqa: E402

matplotlib.use("Agg")
network_guard.install()

# Property-based tests explore new examples on a developer's machine, the same ones in CI.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The project's committed snapshot, independent of how the package finds it."""
    return PROJECT / "data"


@pytest.fixture(autouse=True)
def _default_data_location(monkeypatch, tmp_path_factory):
    """Tests see the package's own default data lookup, not a developer's environment, and a
    cache folder of their own (never the user's ~/.cache/eventstudy)."""
    monkeypatch.delenv("EVENTSTUDY_DATA_DIR", raising=False)
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
