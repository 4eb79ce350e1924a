"""Every notebook runs top to bottom offline, its text shows the package's numbers, its parameters
can be overridden, and it is committed clean (no outputs: the reviewable-diff rule)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from eventstudy import load_prices, run_event_study
from eventstudy.exceptions import ClusteredEventsWarning, IntegratedGarchWarning
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.inference.parametric import kolari_pynnonen_factor

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.ipynb"))
FLAGSHIP = PROJECT / "notebooks" / "01_facebook_bank_data.ipynb"
BANKS = PROJECT / "notebooks" / "02_banks_clustered_events.ipynb"
FB2018 = PROJECT / "notebooks" / "03_facebook_2018.ipynb"
EXPLORER = PROJECT / "notebooks" / "04_window_explorer.ipynb"
AFTER = PROJECT / "notebooks" / "05_after_the_news.ipynb"
WHICH_TEST = PROJECT / "notebooks" / "07_which_test.ipynb"
VOLUME_VOLATILITY = PROJECT / "notebooks" / "06_volume_and_volatility.ipynb"
AROUND_THE_WORLD = PROJECT / "notebooks" / "08_around_the_world.ipynb"
#: Parameters the tests run a notebook with, when its own would take too long.
SMALL = {WHICH_TEST: {"SAMPLES": 10}, VOLUME_VOLATILITY: {"DAYS_AFTER": 5}}

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def kernel_home(tmp_path_factory):
    """A folder whose IPython startup file installs the network guard in every kernel started."""
    home = tmp_path_factory.mktemp("notebooks")
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    tests_dir = Path(__file__).resolve().parent
    (startup / "00-network-guard.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tests_dir)!r})\nimport network_guard\nnetwork_guard.install()\n"
    )
    (startup / "01-chart-text.py").write_text(CHART_TEXT_RECORDER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPYTHONDIR", str(home / "ipython"))
        yield home


#: An IPython startup file that appends the text of every chart a kernel draws (titles, labels,
#: legends, ticks, annotations) to the file named by EVENTSTUDY_CHART_TEXT (when it is set), one
#: JSON list per chart.
CHART_TEXT_RECORDER = """
import matplotlib.backend_bases
def _print_and_record(self, *args, **kwargs):
    import json, os, matplotlib.text  # inside: the shared kernel's %reset -f clears the globals
    drawn = type(self)._print_figure_unrecorded(self, *args, **kwargs)  # the tick labels exist only then
    if os.environ.get("EVENTSTUDY_CHART_TEXT"):
        texts = [t.get_text() for t in self.figure.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
        with open(os.environ["EVENTSTUDY_CHART_TEXT"], "a") as out:
            out.write(json.dumps(texts) + "\\n")
    return drawn
_canvas = matplotlib.backend_bases.FigureCanvasBase
_canvas._print_figure_unrecorded = _canvas.print_figure
_canvas.print_figure = _print_and_record
"""


class SharedKernel:
    """One Jupyter kernel for the module's notebook runs, started like any other (the network
    guard and the chart-text recorder in its IPython startup files). Before each notebook the
    kernel is brought back to a fresh kernel's state: an empty namespace (``%reset -f``: a
    notebook that forgets an import still fails), no open figure, the first rcParams, the
    notebook's folder as the working directory, and the environment variables the run asks for.
    Only the imported modules stay, which is the point: a new kernel spends about 3 s of CPU
    importing pandas, matplotlib, scipy and the package, once per notebook run. The README's
    papermill example still runs as a user types it, each command its own process."""

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self._start()

    def _start(self) -> None:
        self.km.start_kernel(cwd=str(PROJECT / "notebooks"))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self._run("import matplotlib\nmatplotlib._rc_of_a_new_kernel = matplotlib.rcParams.copy()")

    def _run(self, code: str) -> None:
        reply = self.kc.execute_interactive(code, timeout=120, store_history=False, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]

    def reset(self, folder: Path, environment: dict[str, str]) -> None:
        if not self.km.is_alive():  # a notebook that killed its kernel does not fail the next one
            self.kc.stop_channels()
            self._start()
        self._run(
            "%reset -f\nimport os, matplotlib, matplotlib.pyplot\nmatplotlib.pyplot.close('all')\n"
            "matplotlib.rcParams.update(matplotlib._rc_of_a_new_kernel)\n"
            f"os.chdir({str(folder)!r})\nos.environ.pop('EVENTSTUDY_CHART_TEXT', None)\n"
            f"os.environ.update({environment!r})\n%reset -f"
        )

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(kernel_home):
    """The module's one kernel (see :class:`SharedKernel`)."""
    shared = SharedKernel()
    yield shared
    shared.shutdown()


def execute(path: Path, out_dir: Path, kernel: SharedKernel, environment: dict[str, str] | None = None,
            **parameters) -> nbformat.NotebookNode:
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    kernel.reset(path.parent, environment or {})
    papermill.execute_notebook(
        str(path), str(out), parameters=parameters, cwd=str(path.parent), progress_bar=False,
        kernel_name="python3", km=kernel.km,
        execution_timeout=600,  # a hung cell fails the test, never hangs it
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def executed(kernel_home, kernel):
    """Each notebook run once with its own parameters, shared by the tests of this module."""
    runs: dict[Path, nbformat.NotebookNode] = {}

    def run(path: Path) -> nbformat.NotebookNode:
        if path not in runs:
            runs[path] = execute(path, kernel_home / "default", kernel, **SMALL.get(path, {}))
        return runs[path]

    return run


def markdown_outputs(nb: nbformat.NotebookNode) -> str:
    return "\n".join(
        output.get("data", {}).get("text/markdown", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


def test_kernels_run_the_network_guard(kernel_home, kernel):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import network_guard\nassert network_guard.installed()\n"
        "import socket\ntry:\n    socket.getaddrinfo('example.com', 80)\nexcept network_guard.NetworkBlockedError:\n"
        "    print('blocked')"
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (kernel_home / "probe").mkdir()
    path = kernel_home / "probe" / "probe.ipynb"
    nbformat.write(nb, path)
    ran = execute(path, kernel_home / "probe-out", kernel)
    assert ran.cells[0].outputs[0]["text"].strip() == "blocked"


def test_each_run_of_the_shared_kernel_starts_from_a_fresh_kernels_state(kernel_home, kernel):
    """What a notebook leaves behind (a name, an open figure, a changed rcParam, the working
    directory) is gone before the next one runs: a missing import still fails."""
    folder = kernel_home / "leftovers"
    folder.mkdir()
    first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, numpy as np, matplotlib, matplotlib.pyplot as plt\nleft_behind = 1\n"
        "matplotlib.rcParams['lines.linewidth'] = 9.0\nplt.figure()\nos.chdir('/')"
    )])
    second = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, matplotlib, matplotlib.pyplot as plt\n"
        "print(matplotlib.rcParams['lines.linewidth'], len(plt.get_fignums()), os.getcwd())\n"
        "print('np' in dir(), 'left_behind' in dir())"
    )])
    for nb, name in ((first, "first"), (second, "second")):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    execute(folder / "first.ipynb", kernel_home / "leftovers-out", kernel)
    ran = execute(folder / "second.ipynb", kernel_home / "leftovers-out", kernel)
    import matplotlib

    shown = ran.cells[0].outputs[0]["text"].split("\n")
    assert shown[0] == f"{matplotlib.rcParamsDefault['lines.linewidth']} 0 {folder}"
    assert shown[1] == "False False"


def test_all_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [FLAGSHIP.name, BANKS.name, FB2018.name, EXPLORER.name, AFTER.name,
                                           VOLUME_VOLATILITY.name, WHICH_TEST.name, AROUND_THE_WORLD.name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs_and_has_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    # Same structure everywhere: a title, then imports, then the parameters cell.
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert code[0].source.startswith("import") and code[1] is tagged[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom_offline(path, executed):
    nb = executed(path)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the notebook shows no chart"
    streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not streams, "the notebook printed warnings: " + " ".join(o["text"] for o in streams)[:500]


def test_flagship_text_shows_the_computed_numbers(executed):
    text = markdown_outputs(executed(FLAGSHIP))
    result = run_event_study("FB", "2018-08-06")
    d0, car = result.days.loc[0], result.car
    for number in [f"{d0['return']:+.2%}", f"{d0['expected']:+.2%}", f"{d0['abnormal']:+.2%}",
                   f"t = {d0['t']:.2f}", f"p = {d0['p']:.4f}", f"{car.value:+.2%}", f"t = {car.t:.2f}",
                   f"{car.ci_low:+.2%} to {car.ci_high:+.2%}", f"beta of {result.params['beta']:.2f}"]:
        assert number in text, number
    assert "closest to the **open to close** move" in text
    assert "+3.75%" in text  # open to close, SOURCES.md: +3.755%


def readme_papermill_example() -> list[str]:
    """The lines of the README's papermill example."""
    readme = (PROJECT / "README.md").read_text()
    block = readme.split("<!-- papermill-example -->\n```bash\n", 1)[1].split("\n```", 1)[0]
    return block.splitlines()


def visible_text(html_text: str) -> str:
    for tag in ("script", "style"):
        html_text = re.sub(rf"<{tag}\b.*?</{tag}>", " ", html_text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text))


def test_readme_papermill_example_runs_as_shown_and_its_text_follows_the_parameters(tmp_path):
    """The README's lines, run by a shell in a fresh folder (no reports/ yet) whose notebooks/ and
    .venv/bin are those of this checkout: the rendered report speaks of the ticker, window and
    model chosen, never of the default study (Facebook, its press figure, its 3.7%)."""
    import os
    import subprocess
    import sys

    lines = readme_papermill_example()
    assert lines[0] == "mkdir -p reports" and lines[1].startswith(".venv/bin/papermill -y ")
    (tmp_path / "notebooks").symlink_to(PROJECT / "notebooks")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("papermill", "jupyter"):
        (bin_dir / tool).symlink_to(Path(sys.executable).parent / tool)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-euc", "\n".join(lines)], cwd=tmp_path, capture_output=True,
                          text=True, check=False, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "KeyboardInterrupt" not in proc.stderr
    text = visible_text((tmp_path / "reports" / "01_aapl.html").read_text())
    result = run_event_study("AAPL", "2018-08-06", window=(-5, 5), model="market_adjusted")
    assert "This run studies AAPL around 2018-08-06" in text
    assert "Over the event window (-5, +5) the CAR was" in text and f"{result.car.value:+.2%}" in text
    assert "The market-adjusted model has no parameters to fit; its residual variance comes from 240" in text
    assert "market-adjusted model, fitted on" not in text and "beta of" not in text
    assert "Facebook" not in text and "FB" not in text and "press" not in text and "3.7%" not in text
    assert "The event study below uses close-to-close returns" in text
    # the suggestions name values other than the ones chosen, and the parameters are shown
    tries = text.split("Try it: set", 1)[1].split("rerun", 1)[0]
    assert "WINDOW = [-5, 5]" not in tries and "market_adjusted" not in tries and "SPY" in tries
    assert "Parameters of this run" in text and "'AAPL'" in text and "'market_adjusted'" in text


def test_banks_text_shows_the_computed_adjustment(executed):
    text = markdown_outputs(executed(BANKS))
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


def test_facebook_2018_places_day0_by_the_calendar_and_finds_the_crash(executed):
    nb = executed(FB2018)
    text = markdown_outputs(nb)
    q2 = run_event_study("FB", "2018-07-25T16:05-04:00")
    assert q2.day0 == pd.Timestamp("2018-07-26")
    assert f"**Q2 earnings**: {q2.days.loc[0, 'abnormal']:+.2%} on 26 July 2018" in text
    long = run_event_study("FB", "2018-08-06T07:00-04:00", window=(-10, 10))
    assert long.days.loc[-7, "date"] == pd.Timestamp("2018-07-26")
    assert f"the CAR is **{long.car.value:+.2%}**" in text
    assert "Day -7 of that window is 26 July, day 0 of **Q2 earnings**" in text
    assert "around **bank data** (6 August), the CAR is" in text and "06 August" not in text
    # the crash day's AR in two studies with different estimation windows: said, not left to puzzle
    in_long, in_table = f"{long.days.loc[-7, 'abnormal']:+.2%}", f"{q2.days.loc[0, 'abnormal']:+.2%}"
    assert in_long != in_table
    assert (f"abnormal return of **{in_long}** (against {in_table} in the table above: this study's "
            "estimation window ends 11 sessions before 6 August, not before 26 July") in text
    after = long.cumulative(-6, 10)
    assert f"gives a CAR of {after.value:+.2%} (t = {after.t:.2f})" in text
    table = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    for day0 in ["Mon 2018-03-19", "Thu 2018-04-26", "Thu 2018-07-26", "Mon 2018-08-06"]:
        assert day0 in table


def test_explorer_follows_its_parameters_and_reports_a_grid_reaching_the_estimation_window(
        kernel_home, kernel, executed):
    """One run with other parameters (the study's text follows the model and window; a GRID reaching
    into the estimation window is a message, and the rest of the notebook still runs); the heat
    map's text is checked on the default run."""
    nb = execute(EXPLORER, kernel_home / "explorer-params", kernel, WINDOW=[-3, 3], MODEL="ff3", GRID=[-20, 20])
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = markdown_outputs(nb)
    result = run_event_study("FB", "2018-08-06", window=(-3, 3), model="ff3")
    assert "With the Fama-French 3-factor model estimated on (-250, -11) and the event window (-3, +3)" in text
    assert f"CAR is **{result.car.value:+.2%}** (t = {result.car.t:.2f}" in text
    assert "**No heat map for GRID = [-20, 20]**: estimation: (-250, -11) is not allowed" in text
    from eventstudy import MODELS

    assert f"Across {len(MODELS)} models the CAR(-3, +3)" in text  # the rest of the notebook still runs
    grid = run_event_study("FB", "2018-08-06", window=(-10, 10)).car_grid()
    assert f"Of the {len(grid)} windows inside (-10, +10)" in markdown_outputs(executed(EXPLORER))


def test_explorer_sliders_are_left_to_a_live_notebook():
    """The widgets cell is there for JupyterLab and tagged so that batch runs skip it."""
    nb = nbformat.read(EXPLORER, as_version=4)
    sliders = [c for c in nb.cells if "widgets.interact(" in c.source]
    assert len(sliders) == 1 and "skip-execution" in sliders[0].metadata.get("tags", [])


def test_explorer_stops_with_a_clear_message_on_an_impossible_window(kernel_home, kernel):
    with pytest.raises(papermill.PapermillExecutionError) as info:
        execute(EXPLORER, kernel_home / "explorer-bad", kernel, ESTIMATION=[-250, 0])
    assert "estimation: (-250, 0) is not allowed; the estimation window must not overlap" in str(info.value)


def test_after_the_news_text_shows_the_computed_numbers(executed):
    """Notebook 05: the BHAR tests, the calendar-time alpha and the regression slope in its text are
    the package's own numbers for the notebook's parameters."""
    from eventstudy.studies.calendar_time import run_calendar_time
    from eventstudy.studies.longrun import run_long_horizon
    from eventstudy.studies.regression import regress_cars

    nb = executed(AFTER)
    text = markdown_outputs(nb)
    params = {}
    exec(next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])), params)
    events = pd.DataFrame({"ticker": "FB", "event_date": list(params["EVENTS"].values())})
    options = dict(n_bootstrap=params["N_BOOTSTRAP"], resample_size=params["RESAMPLE_SIZE"], seed=params["SEED"])
    market = run_long_horizon(events, tuple(params["HORIZON"]), **options)
    t, sa, boot = (market.test(n) for n in ("t", "skewness_adjusted_t", "bootstrap_skewness_adjusted_t"))
    assert (f"the mean BHAR of the 9 events over (+0, +250) is **{market.mean_bhar:+.1%}**: conventional t = "
            f"{t.stat:.2f} (p = {t.p:.3f}), skewness-adjusted t = {sa.stat:.2f} (p = {sa.p:.3f}), "
            f"bootstrap p = {boot.p:.3f}") in text
    peer = run_long_horizon(events.assign(peer="AMZN"), tuple(params["HORIZON"]), "peer", **options)
    assert f"Against AMZN, the mean BHAR of the 9 events over (+0, +250) is **{peer.mean_bhar:+.1%}**" in text
    portfolio_events = pd.DataFrame([(k, d) for k, dates in params["PORTFOLIO_EVENTS"].items() for d in dates],
                                    columns=["ticker", "event_date"])
    portfolio = run_calendar_time(portfolio_events, tuple(params["PORTFOLIO_HORIZON"]), params["PORTFOLIO_MODEL"])
    assert f"alpha is **{portfolio.alpha:+.3%} per trading day** (Newey-West se {portfolio.se:.3%}" in text
    assert f"t = {portfolio.t:.2f}, p = {portfolio.p:.3f}) over {portfolio.n_periods} days" in text
    assert "months for the 5 coefficients of the carhart model, too few for its Newey-West t to be trusted" in text
    peers = pd.DataFrame({"ticker": params["CROSS_SECTION_TICKERS"], "event_date": params["CROSS_SECTION_DATE"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusteredEventsWarning)
        study = run_multi_event_study(peers, window=tuple(params["CAR_WINDOW"]))
    momentum = run_long_horizon(peers, tuple(params["MOMENTUM_WINDOW"]), n_bootstrap=1)
    fit = regress_cars(study.events.join(momentum.to_frame()["bhar"].rename("momentum")), "car ~ momentum")
    assert f"**{10 * fit.params['momentum']:+.2f} points** different (HC3 se {fit.bse['momentum']:.3f}" in text
    regression = text.split("points** different", 1)[1].split("\n", 1)[0]
    assert "All 9 events share one day 0, so their abnormal returns are correlated" in regression
    assert "patell" not in regression.lower()  # the multi-event tests' clustering warning is not about it


def test_which_test_text_shows_the_simulated_rates(executed):
    from eventstudy.studies.simulate import simulate, snapshot_panel

    text = markdown_outputs(executed(WHICH_TEST))
    samples = SMALL[WHICH_TEST]["SAMPLES"]
    noisy = simulate(events=50, samples=samples, seed=0, variance_multiplier=2.0,
                     tests=("patell", "bmp")).to_frame()
    two = noisy[(noisy["tail"] == "two_sided") & (noisy["where"] == "day 0")].set_index("name")
    assert f"Patell's test rejects **{two.loc['patell', 'rate']:.1%}**" in text
    assert f"BMP rejects **{two.loc['bmp', 'rate']:.1%}**" in text
    assert "theory on normal returns: 16.6%" in text
    returns, market = snapshot_panel(tickers=["JPM", "WFC", "C", "USB"])
    banks = simulate(returns, market, events=4, samples=samples, seed=0, same_date=True,
                     tests=("kolari_pynnonen_patell",)).to_frame()
    kp = banks[(banks["tail"] == "two_sided") & (banks["where"] == "day 0")]["rate"].iloc[0]
    assert f"the Kolari-Pynnönen versions **{kp:.1%}** (Patell)" in text
    assert "**The 4 banks on one date**: report" in text and "**Facebook, 4 events" in text


def test_volume_and_volatility_text_shows_the_computed_numbers(executed):
    text = markdown_outputs(executed(VOLUME_VOLATILITY))
    fb = run_event_study("FB", "2018-08-06", window=(-3, 3), measure="volume")
    av = fb.days.loc[0]
    assert f"log volume was **{av['abnormal']:+.3f}**" in text
    assert f"a volume {np.exp(av['abnormal']):.2f} times the expected one (t = {av['t']:.2f}" in text
    banks = [run_event_study(t, "2018-08-06", window=(-3, 3), measure="volume").days.loc[0, "abnormal"]
             for t in ("JPM", "WFC", "C", "USB")]
    assert f"range from {min(banks):+.3f} to {max(banks):+.3f}" in text
    # the tests run it with DAYS_AFTER = 5 (SMALL): five GARCH fits instead of ten; the fifth
    # session after the crash of 26 July is 2 August
    with pytest.warns(IntegratedGarchWarning):  # the notebook says so in its text
        garch = run_event_study("FB", "2018-08-02", model="garch", estimation=(-250, -1), window=(0, 0))
    market = run_event_study("FB", "2018-08-02", estimation=(-250, -1), window=(0, 0))
    assert f"b = {garch.params['beta[1]']:.4f}" in text
    sessions = pd.DatetimeIndex(load_prices("^GSPC")["date"])
    sessions = sessions[sessions > pd.Timestamp("2018-07-26")][:5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegratedGarchWarning)
        integrated = [f"{day:%Y-%m-%d}" for day in sessions
                      if run_event_study("FB", day, model="garch", estimation=(-250, -1),
                                         window=(0, 0)).fit.estimate.integrated]
    counted = (f"All {len(sessions)} GARCH fits are" if len(integrated) == len(sessions)
               else f"{len(integrated)} of the {len(sessions)} GARCH fits ({', '.join(integrated)}) are")
    if integrated:
        assert f"{counted} integrated (a + b at or above 0.999" in text
    else:
        assert "integrated (a + b" not in text
    assert f"The market model's residual sd is {market.fit.sigma:.2%}" in text
    crash = run_event_study("FB", "2018-07-26", window=(0, 5)).variance_ratio
    assert f"the variance ratio is **{crash.value:.1f}** (F(6, 238) = {crash.F:.2f}" in text


def test_around_the_world_says_its_prices_are_synthetic_and_shows_each_exchange(executed):
    nb = nbformat.read(AROUND_THE_WORLD, as_version=4)
    assert "**The prices in this notebook are synthetic.**" in nb.cells[0].source
    assert "generates its own panel" in nb.cells[0].source and "real calendars" in nb.cells[0].source
    text = markdown_outputs(executed(AROUND_THE_WORLD))
    # one instant (14:00 New York) is day 0 on Thursday in New York, Friday in London (after the
    # close) and Hong Kong (before the open), and Monday in Tokyo (Golden Week)
    assert ("Day 0 fell on three dates across the four exchanges: XNYS on Thursday 03 May, XLON on Friday 04 May, XTKS on Monday "
            "07 May, XHKG on Friday 04 May.") in text
    assert ("on Thursday 3 May 2018 at 14:00 New York time (during the session there) a (fictitious) regulator"
            in text)
    assert ("One instant, four clocks: it is 19:00 in London (after the close), 03:00 on Friday in Tokyo (a Golden "
            "Week holiday) and 02:00 on Friday in Hong Kong (before the open).") in text
    gap = float(re.search(r"abnormal returns to ([0-9.e+-]+) at most", text).group(1))
    assert gap < 1e-10
    assert "8 events on 4 exchanges share a calendar date (2018-05-03 on XHKG, XLON, XNYS, XTKS)" in text


def test_model_lists_name_every_model():
    """The EventStudy docstring and notebook 01's MODEL comment list the models MODELS has."""
    from eventstudy import MODELS, EventStudy

    doc = EventStudy.__doc__ or ""
    assert all(f'``"{name}"``' in doc for name in MODELS)
    nb = nbformat.read(FLAGSHIP, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    line = next(line for line in parameters.source.splitlines() if line.startswith("MODEL ="))
    assert line.split("#", 1)[1].split(":", 1)[1].strip() == ", ".join(MODELS)


def test_explorer_sliders_wait_for_release_and_report_errors_as_messages():
    nb = nbformat.read(EXPLORER, as_version=4)
    sliders = next(c for c in nb.cells if "widgets.interact(" in c.source)
    assert sliders.source.count("IntSlider(") == sliders.source.count("continuous_update=False") == 2
    assert "except eventstudy.exceptions.EventStudyError" in sliders.source


def test_notebook_text_does_not_turn_non_significance_into_absence():
    """'not significant' is said as such, never as 'did not price' / 'did not move'."""
    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        for claim in ("did not price", "did not move abnormally"):
            assert claim not in text, (path.name, claim)


def test_parameters_reach_the_html_escaped(kernel_home, kernel):
    """A label given as a parameter is text in the rendered tables and prose, never live markup."""
    hostile = "<img src=x onerror=alert(1)>"
    nb = execute(FB2018, kernel_home / "hostile", kernel,
                 EVENTS={hostile: "2018-03-17T12:00-04:00", "Q2 earnings": "2018-07-25T16:05-04:00",
                         "bank data": "2018-08-06T07:00-04:00"})
    rendered = "\n".join(
        str(output.get("data", {}).get(kind, ""))
        for cell in nb.cells
        for output in cell.get("outputs", [])
        for kind in ("text/html", "text/markdown")
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered  # shown, as text
    assert "<img src=x" not in rendered


def _parameter_names(nb: nbformat.NotebookNode) -> list[str]:
    import ast

    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return [t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_parameter_is_shown_with_its_value_in_the_report(path, executed):
    """The no-code report's 'Parameters' heading is followed by the run's values: one table row per
    name of the parameters cell (none forgotten), each value as the run used it."""
    nb = executed(path)
    names = _parameter_names(nbformat.read(path, as_version=4))
    tables = [o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", [])
              if "Parameters of this run" in o.get("data", {}).get("text/html", "")]
    assert len(tables) == 1
    rows = re.findall(r'<th id="T_\w+_level0_row\d+" class="row_heading level0 row\d+" >(\w+)</th>', tables[0])
    assert rows == names
    for name, value in SMALL.get(path, {}).items():  # the values the run was given, not the defaults
        assert f">{value!r}</td>" in tables[0], name


def test_flagship_synthetic_peer_section_shows_the_weights_and_both_tests(executed):
    text = markdown_outputs(executed(FLAGSHIP))
    pool = ["AAPL", "AMZN", "C", "GOOG", "GOOGL", "JPM", "SNAP", "TWTR", "USB", "WFC"]
    synthetic = run_event_study("FB", "2018-08-06", model="synthetic", peers=pool)
    weights = synthetic.fit.weights[synthetic.fit.weights > 0].sort_values(ascending=False)
    assert ", ".join(f"{k} {v:.4f}" for k, v in weights.items()) in text
    d0, car = synthetic.days.loc[0], synthetic.car
    for number in [f"**{d0['abnormal']:+.2%}**", f"t test p = {d0['p']:.4f}",
                   f"sample-quantile p = {d0['sq_p']:.4f}", f"**{car.value:+.2%}**",
                   f"sample-quantile p = {car.sq.p:.4f}"]:
        assert number in text, number
    market = run_event_study("FB", "2018-08-06")
    assert f"gives p = {market.days.loc[0, 'sq_p']:.4f} for day 0 and p = {market.car.sq.p:.4f}" in text


#: Notebooks 02-08 with a second parameter set (other stocks, dates, windows and models, sizes kept
#: small): the parameters, what the text must show, and what it must not (the default study's
#: stocks, companies, dates and story), as regular expressions.
OTHER_STUDIES = {
    BANKS: ({"TICKERS": ["GOOGL", "AAPL", "AMZN"], "EVENT_DATE": "2018-07-26", "MODEL": "ff3",
             "WINDOW": [-3, 3], "CAR_WINDOW": [0, 1]},
            # the text counts and names the stocks it was given (none of them a bank)
            ["3 stocks (GOOGL, AAPL, AMZN)", "2018-07-26", "CAAR over (+0, +1)"],
            [r"\bFB\b", "Facebook", r"\bJPM\b", r"\bWFC\b", r"\bUSB\b", r"\bC\b", "JPMorgan", "Wells Fargo",
             "Citigroup", "Bancorp", r"(?i)\bbanks?\b", "2018-08-06", "6 August", "Wall Street Journal"]),
    FB2018: ({"TICKER": "AAPL", "MODEL": "capm", "LONG_WINDOW": [-5, 5], "LONG_EVENT": "fiscal Q3 results",
              "EVENTS": {"fiscal Q2 results": "2018-05-01T16:30-04:00",
                         "fiscal Q3 results": "2018-07-31T16:30-04:00",
                         "fiscal Q4 results": "2018-11-01T16:30-04:00"}},
             ["This run studies AAPL", "**fiscal Q3 results** (1 August), the CAR is",
              "No other event's day 0 falls inside this window."],
             [r"\bFB\b", "Facebook", "Cambridge", r"(?i)\bbank", r"\bQ[12] earnings", "2018-08-06", "6 August",
              "26 July", "Wall Street Journal", "second-quarter"]),
    EXPLORER: ({"TICKER": "AMZN", "EVENT_DATE": "2018-07-26T16:01-04:00", "MODEL": "ff3", "WINDOW": [-2, 2],
                "GRID": [-4, 4]},
               ["AMZN's CAR is", "Set `EVENT_DATE` to another day of news about AMZN"],
               [r"\bFB\b", "Facebook", r"(?i)\bbank", "2018-08-06", "6 August", "second-quarter"]),
    AFTER: ({"TICKER": "AAPL", "HORIZON": [0, 60], "PEERS": ["GOOGL"], "N_BOOTSTRAP": 50, "RESAMPLE_SIZE": 3,
             "EVENTS": {"fiscal Q1": "2018-02-01T16:30-05:00", "fiscal Q2": "2018-05-01T16:30-04:00",
                        "fiscal Q3": "2018-07-31T16:30-04:00", "fiscal Q4": "2018-11-01T16:30-04:00"},
             "PORTFOLIO_EVENTS": {"AAPL": ["2018-05-01T16:30-04:00", "2018-07-31T16:30-04:00"],
                                  "AMZN": ["2018-04-26T16:01-04:00", "2018-10-25T16:01-04:00"],
                                  "GOOGL": ["2018-04-23T16:05-04:00", "2018-07-23T16:05-04:00"]},
             "PORTFOLIO_HORIZON": [1, 40], "PORTFOLIO_MODEL": "ff3", "MONTHLY_HORIZON": [0, 1],
             "CROSS_SECTION_DATE": "2018-08-01", "CROSS_SECTION_TICKERS": ["GOOGL", "AMZN", "TWTR", "SNAP", "JPM"],
             "MOMENTUM_WINDOW": [-60, -11]},
            ["This run follows **AAPL**", "Against GOOGL, the mean BHAR of the 4 events over (+0, +60)",
             "3 firms of `PORTFOLIO_EVENTS` (AAPL, AMZN, GOOGL)", "on 2018-08-01"],
            [r"\bFB\b", "Facebook", "Cambridge", "big-tech", "internet", "2018-07-26", "26 July", "2018-08-06"]),
    VOLUME_VOLATILITY: ({"TICKER": "TWTR", "OTHERS": ["SNAP", "GOOGL"], "EVENT": "2018-10-25",
                         "CRASH": "2018-07-27", "DAYS_AFTER": 2, "WINDOW": [-2, 2]},
                        ["TWTR's log volume was", "SNAP, GOOGL", "after 2018-07-27"],
                        [r"\bFB\b", "Facebook", r"\bJPM\b", r"\bWFC\b", r"\bUSB\b", r"\bC\b",
                         r"(?i)\bbanks?\b", "2018-08-06", "6 August", "26 July", "2018-07-26", "second-quarter"]),
    WHICH_TEST: ({"SAMPLES": 20, "EVENTS": 20, "SHIFT": 0.02, "SHIFTS": [0.0, 0.02], "ALPHA": 0.1,
                  "VARIANCE_MULTIPLIER": 3.0, "CLUSTER_TICKERS": ["GOOGL", "AAPL", "AMZN"],
                  "CLUSTER_DATE": "2018-07-26", "TICKER": "AAPL", "TICKER_EVENTS": 3},
                 ["This run draws 20 samples per simulation, each of 20 pseudo-events, and tests at the 10% level",
                  "the 3 stocks (GOOGL, AAPL, AMZN) on 26 July 2018",
                  "The estimation residuals of the 3 stocks (GOOGL, AAPL, AMZN) before 26 July 2018",
                  "with 3 same-day events", "**The 3 stocks (GOOGL, AAPL, AMZN) on one date**",
                  "**AAPL, 3 events on different dates**", "draws 3 random AAPL days per sample",
                  "event-window variance multiplied by 3 and no abnormal return", "`EVENTS = 10`",
                  "--events 20 --samples 20 --shift 0 0.02 --seed 0 --alpha 0.1 --model market"],
                 [r"\bFB\b", "Facebook", r"\bJPM\b", r"\bWFC\b", r"\bUSB\b", r"\bC\b", r"(?i)\bbanks?\b",
                  "2018-08-06", "6 August", "Wall Street Journal", r"(?i)\bfour\b", r"notebook 0[23]",
                  "nominal level 5%", r"\b200 samples", r"(?i)variance multiplied by 2\b", "`EVENTS = 20`"]),
    AROUND_THE_WORLD: ({"EVENT": "2019-04-18T11:00+01:00", "BANKS": ["USBANK", "UKBANK.L", "AUBANK.AX"],
                        "EFFECT": -0.015, "START": "2018-01-01", "END": "2019-06-28", "WINDOW": [-1, 1]},
                       ["on Thursday 18 April 2019 at 06:00 New York time",
                        "The three banks (USBANK, UKBANK.L, AUBANK.AX) trade on three exchanges",
                        "11:00 in London (during the session) and 20:00 in Sydney (after the close)",
                        "Day 0 fell on two dates across the three exchanges: XNYS on Thursday 18 April, "
                        "XLON on Thursday 18 April, XASX on Tuesday 23 April",
                        "the panel put -1.5% into every bank's day 0", "From 2018-01-01 to 2019-06-28"],
                       ["2018-05-03", "3 May", r"\bMay\b", "Golden Week", "Tokyo", "Hong Kong", "XTKS", "XHKG",
                        "NYBANK", "LDNBANK", "1111", "2222", r"(?i)\bfour\b", r"(?i)\beight\b", "14:00",
                        r"\b2016\b", "-2%", r"\(-2, \+?2\)"]),
}



def reader_text(nb: nbformat.NotebookNode) -> str:
    """What a reader of the no-code report sees: markdown cells, and every output as text."""
    import html

    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = data.get("text/markdown") or visible_text(data.get("text/html", "")) or data.get("text/plain", "")
            parts.append(html.unescape(shown + output.get("text", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", list(OTHER_STUDIES), ids=lambda p: p.name)
def test_text_and_charts_follow_a_second_parameter_set(path, kernel, tmp_path):
    """Run with other stocks, dates, windows and models, the notebook speaks of them in its text and
    its charts, and nowhere of the default study (its stocks, companies, dates and story)."""
    import json

    parameters, shown, absent = OTHER_STUDIES[path]
    charts = tmp_path / "charts.jsonl"
    nb = execute(path, tmp_path / "out", kernel, {"EVENTSTUDY_CHART_TEXT": str(charts)}, **parameters)
    streams = [o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not streams, streams
    chart_text = [json.loads(line) for line in charts.read_text().splitlines()]
    assert chart_text, "no chart was drawn"
    text = reader_text(nb) + "\n" + "\n".join(t for chart in chart_text for t in chart)
    for phrase in shown:
        assert phrase in markdown_outputs(nb), phrase
    for pattern in absent:
        found = re.search(pattern, text)
        assert not found, f"{pattern!r}: ...{text[max(found.start() - 150, 0):found.end() + 150]}..."
