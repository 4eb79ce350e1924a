"""Every notebook runs top to bottom offline, its text shows the package's numbers, and it is committed clean."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from eventstudy import run_event_study

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.ipynb"))
FLAGSHIP = PROJECT / "notebooks" / "01_facebook_bank_data.ipynb"
BANKS = PROJECT / "notebooks" / "02_banks_clustered_events.ipynb"

pytestmark = pytest.mark.notebook


@pytest.fixture
def guarded_kernels(tmp_path, monkeypatch):
    """Every kernel started in the test runs the network guard first (IPython startup file)."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    tests_dir = Path(__file__).resolve().parent
    (startup / "00-network-guard.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tests_dir)!r})\nimport network_guard\nnetwork_guard.install()\n"
    )
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path


def execute(path: Path, out_dir: Path, **parameters) -> nbformat.NotebookNode:
    out = out_dir / path.name
    papermill.execute_notebook(
        str(path), str(out), parameters=parameters, cwd=str(path.parent), progress_bar=False,
        kernel_name="python3",
    )
    return nbformat.read(out, as_version=4)


def markdown_outputs(nb: nbformat.NotebookNode) -> str:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(texts)


def test_kernels_run_the_network_guard(guarded_kernels):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import network_guard\nassert network_guard.installed()\n"
        "import socket\ntry:\n    socket.getaddrinfo('example.com', 80)\nexcept network_guard.NetworkBlockedError:\n"
        "    print('blocked')"
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (guarded_kernels / "in").mkdir()
    path = guarded_kernels / "in" / "probe.ipynb"
    nbformat.write(nb, path)
    ran = execute(path, guarded_kernels)
    assert ran.cells[0].outputs[0]["text"].strip() == "blocked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs_and_has_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom_offline(path, guarded_kernels):
    nb = execute(path, guarded_kernels)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the notebook shows no chart"


def test_flagship_text_shows_the_computed_numbers(guarded_kernels):
    text = markdown_outputs(execute(FLAGSHIP, guarded_kernels))
    result = run_event_study("FB", "2018-08-06")
    d0, car = result.days.loc[0], result.car
    for number in [f"{d0['return']:+.2%}", f"{d0['expected']:+.2%}", f"{d0['abnormal']:+.2%}",
                   f"t = {d0['t']:.2f}", f"p = {d0['p']:.4f}", f"{car.value:+.2%}", f"t = {car.t:.2f}",
                   f"{car.ci_low:+.2%} to {car.ci_high:+.2%}", f"beta of {result.params['beta']:.2f}"]:
        assert number in text, number
    assert "closest to the **open to close** move" in text
    assert "+3.75%" in text  # open to close, SOURCES.md: +3.755%


def test_flagship_follows_its_parameters(guarded_kernels):
    """papermill overrides the parameters cell; the text follows the new window and model."""
    text = markdown_outputs(execute(FLAGSHIP, guarded_kernels, WINDOW=[-5, 5], MODEL="market_adjusted"))
    result = run_event_study("FB", "2018-08-06", window=(-5, 5), model="market_adjusted")
    assert "Over the event window (-5, +5) the CAR was" in text
    assert f"**{result.car.value:+.2%}**" in text
    assert "beta of" not in text
    assert re.search(r"The market-adjusted model, fitted on 240 trading days", text)


def test_banks_text_shows_the_computed_adjustment(guarded_kernels):
    import warnings

    from eventstudy.exceptions import ClusteredEventsWarning
    from eventstudy.multi import run_multi_event_study
    from eventstudy.statistics import kolari_pynnonen_factor

    text = markdown_outputs(execute(BANKS, guarded_kernels))
    events = pd.DataFrame({"ticker": ["JPM", "WFC", "C", "USB"], "event_date": ["2018-08-06"] * 4})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusteredEventsWarning)
        study = run_multi_event_study(events, window=(-5, 5), car_window=(-1, 1))
    r = study.residual_correlation
    assert f"**r = {r:.3f}**" in text
    assert f"**{kolari_pynnonen_factor(r, 4):.3f}**" in text
    assert "ClusteredEventsWarning" in text
    tests = study.tests_frame()
    day0 = tests[tests["rel_day"] == 0].set_index("name")
    assert f"{day0.loc['bmp', 'stat']:+.2f} (p = {day0.loc['bmp', 'p']:.4f})" in text
    assert f"{day0.loc['kolari_pynnonen_bmp', 'stat']:+.2f}" in text
