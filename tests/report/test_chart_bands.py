"""Every chart of an estimate draws its confidence band at the study's level and says the level;
charts are saved as PNG, SVG or PDF by extension; the paper style is grey, serif, without titles
and one column wide. Bands are checked against scipy's quantiles and numpy written out here."""

from __future__ import annotations

import warnings

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import run_calendar_time, run_event_study, run_long_horizon
from eventstudy.cli import main
from eventstudy.exceptions import ParameterError
from eventstudy.report.chart_style import COLUMN_WIDTH
from eventstudy.report.horizon_charts import plot_bhar_paths, plot_cumulative_alpha
from eventstudy.report.multi_charts import (
    plot_aar,
    plot_car_distribution,
    plot_multi_event,
    plot_variance_ratio,
    save_multi_event_plot,
)
from eventstudy.report.single_charts import plot_abnormal_returns, plot_car, save_event_study_plot
from eventstudy.studies.multi import run_multi_event_study

EVENTS = pd.DataFrame({
    "ticker": ["FB", "AAPL", "JPM", "GOOGL", "AMZN", "WFC", "C", "USB"],
    "event_date": ["2018-08-06", "2018-05-02", "2018-10-12", "2019-04-30", "2019-02-01", "2017-10-13",
                   "2018-07-16", "2018-04-18"],
})


@pytest.fixture(scope="module")
def multi():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_multi_event_study(EVENTS, window=(-3, 3), car_window=(-1, 1), level=0.90)


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_aar_bars_and_caar_path_carry_their_intervals(multi):
    fig, ax = plt.subplots()
    plot_aar(multi, ax=ax)
    ar = multi.abnormal.to_numpy() * 100
    n = len(ar)
    critical = stats.t.ppf(0.95, n - 1)  # a 90% two-sided interval
    half = critical * ar.std(axis=0, ddof=1) / np.sqrt(n)
    segments = next(c for c in ax.collections if hasattr(c, "get_segments")).get_segments()
    assert_allclose([s[0][1] for s in segments], ar.mean(axis=0) - half, rtol=1e-10)
    assert_allclose([s[1][1] for s in segments], ar.mean(axis=0) + half, rtol=1e-10)
    band = next(c for c in ax.collections if "band" in str(c.get_label()))
    upper = band.get_paths()[0].vertices[:, 1].max()
    cumulative = ar.cumsum(axis=1)
    assert upper == pytest.approx(np.max(cumulative.mean(axis=0) + critical * cumulative.std(axis=0, ddof=1)
                                         / np.sqrt(n)), rel=1e-10)
    assert "AAR 90% interval" in _legend(ax) and any("CAAR 90% band" in t for t in _legend(ax))


def test_car_histogram_marks_the_caar_interval(multi):
    fig, ax = plt.subplots()
    plot_car_distribution(multi, ax=ax)
    cars = multi.events["car"].to_numpy() * 100
    half = stats.t.ppf(0.95, len(cars) - 1) * cars.std(ddof=1) / np.sqrt(len(cars))
    span = next(c for c in ax.collections if "interval" in str(c.get_label()))
    xs = span.get_paths()[0].vertices[:, 0]
    assert_allclose([xs.min(), xs.max()], [cars.mean() - half, cars.mean() + half], rtol=1e-10)
    assert "CAAR 90% interval" in _legend(ax)
    assert sum(p.get_height() for p in ax.patches) == multi.n_events  # the histogram only


def test_variance_ratio_chart_shows_the_null_range(multi):
    fig, ax = plt.subplots()
    plot_variance_ratio(multi, ax=ax)
    line = next(l for l in ax.get_lines() if l.get_label() == "variance ratio")
    assert_allclose(line.get_ydata(), multi.variance_ratio["ratio"].to_numpy())
    n = multi.n_events
    low, high = stats.chi2.ppf([0.05, 0.95], n - 1) / (n - 1)
    span = ax.patches[0]  # axhspan: a rectangle, x in axes and y in data coordinates
    corners = span.get_transform().transform(span.get_path().vertices)
    ys = ax.transData.inverted().transform(corners)[:, 1]
    assert_allclose([ys.min(), ys.max()], [low, high], rtol=1e-8)
    assert any(t.startswith("90% range without an event effect") for t in _legend(ax))


def test_single_event_charts_state_their_level():
    result = run_event_study("FB", "2018-08-06", level=0.99)
    fig, (left, right) = plt.subplots(1, 2)
    plot_abnormal_returns(result, ax=left)
    plot_car(result, ax=right)
    assert "99% confidence interval" in _legend(left) and "99% confidence band" in _legend(right)


def test_long_horizon_and_calendar_time_bands():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        longrun = run_long_horizon(EVENTS, (0, 60), seed=1)
        calendar = run_calendar_time(EVENTS, (1, 40), "ff3")
    fig, (left, right) = plt.subplots(1, 2)
    plot_bhar_paths(longrun, ax=left, level=0.90)
    assert "90% band" in _legend(left)
    plot_cumulative_alpha(calendar, ax=right)
    band = next(c for c in right.collections if "band" in str(c.get_label()))
    ys = band.get_paths()[0].vertices[:, 1]
    periods = calendar.n_periods
    half = stats.t.ppf(0.975, periods - len(calendar.params)) * calendar.se
    assert_allclose([ys.min(), ys.max()], sorted([periods * (calendar.alpha - half),
                                                  periods * (calendar.alpha + half)]), rtol=1e-10)
    assert "95% band of alpha x periods" in _legend(right)


@pytest.mark.parametrize("extension, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_charts_are_saved_by_extension(multi, tmp_path, extension, magic):
    save_multi_event_plot(multi, tmp_path / f"multi{extension}")
    save_event_study_plot(run_event_study("FB", "2018-08-06"), tmp_path / f"single{extension}", style="paper")
    assert (tmp_path / f"multi{extension}").read_bytes()[:5].startswith(magic)
    assert (tmp_path / f"single{extension}").read_bytes()[:5].startswith(magic)


def test_other_extensions_and_styles_are_refused(multi, tmp_path, capsys):
    with pytest.raises(ParameterError, match=r"^plot: .*\.png, \.svg, \.pdf"):
        save_multi_event_plot(multi, tmp_path / "multi.jpg")
    with pytest.raises(ParameterError, match="^style: 'poster'"):
        plot_aar(multi, style="poster")
    assert main(["run", "FB", "2018-08-06", "--plot", str(tmp_path / "fb.jpg")]) == 2
    assert "error: plot:" in capsys.readouterr().err


def _grey(colour) -> bool:
    r, g, b, _ = mcolors.to_rgba(colour)
    return abs(r - g) < 1e-9 and abs(g - b) < 1e-9


def test_paper_style_is_grey_serif_untitled_and_one_column_wide(multi, tmp_path, capsys):
    fig = plot_multi_event(multi, style="paper")
    assert fig.get_figwidth() == COLUMN_WIDTH and fig._suptitle is None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # tick labels are made when drawn
    for ax in fig.axes:
        assert ax.get_title() == ""
        assert ax.xaxis.label.get_fontfamily() == ["serif"]
        ticks = ax.get_xticklabels() + ax.get_yticklabels()
        assert ticks and all(t.get_fontfamily() == ["serif"] for t in ticks)
        for artist in [*ax.get_lines(), *ax.patches]:
            colour = artist.get_color() if hasattr(artist, "get_color") else artist.get_facecolor()
            assert _grey(colour), (artist, colour)
        for collection in ax.collections:
            assert all(_grey(c) for c in collection.get_facecolor()) or all(
                _grey(c) for c in collection.get_edgecolor())
    path = tmp_path / "paper.pdf"
    assert main(["run", "FB", "2018-08-06", "--plot", str(path), "--plot-style", "paper"]) == 0
    assert path.read_bytes()[:4] == b"%PDF"
