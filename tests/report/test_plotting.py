"""Charts draw what the result holds, on the axes given, with titles and labelled axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from eventstudy import run_event_study
from eventstudy.report.single_charts import (
    plot_abnormal_returns,
    plot_car,
    plot_estimation_fit,
    plot_event_study,
    save_event_study_plot,
)


@pytest.fixture(scope="module")
def result():
    return run_event_study("FB", "2018-08-06", window=(-2, 2))


def _labelled(ax):
    return ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_abnormal_return_bars(result):
    fig, ax = plt.subplots()
    assert plot_abnormal_returns(result, ax=ax) is ax
    heights = [p.get_height() for p in ax.patches]
    assert_allclose(heights, result.days["abnormal"].to_numpy() * 100)
    assert _labelled(ax) and "%" in ax.yaxis.get_major_formatter()(0.04, 0)
    # Error bars span the confidence interval of each AR.
    ci = result.conf_int() * 100
    segments = ax.collections[0].get_segments()
    assert_allclose([s[0][1] for s in segments], ci["lower"].to_numpy())
    assert_allclose([s[1][1] for s in segments], ci["upper"].to_numpy())


def test_car_path_with_band(result):
    ax = plot_car(result)
    assert ax is plt.gca()
    line = [l for l in ax.get_lines() if l.get_label() == "CAR"][0]
    assert_allclose(line.get_ydata(), result.car_path["car"].to_numpy() * 100)
    assert_allclose(line.get_xdata(), np.arange(-2, 3))
    assert _labelled(ax)


def test_estimation_scatter_and_fitted_line(result):
    ax = plot_estimation_fit(result)
    points = ax.collections[0].get_offsets()
    assert len(points) == result.fit.nobs
    fitted = [l for l in ax.get_lines() if "expected return" in str(l.get_label())][0]
    x, y = fitted.get_xdata(), fitted.get_ydata()
    assert_allclose(y, (result.params["alpha"] + result.params["beta"] * x / 100) * 100, rtol=1e-12)
    assert _labelled(ax)


@pytest.mark.parametrize("model", ["constant_mean", "market_adjusted", "ff3", "dimson", "scholes_williams"])
def test_other_models_plot(model):
    result = run_event_study("FB", "2018-08-06", model=model, window=(-10, 10), estimation=(-200, -11))
    fig = plot_event_study(result)
    assert len(fig.axes) == 3 and "CAR(-10, +10)" in fig._suptitle.get_text()


def test_save_writes_a_png(result, tmp_path):
    path = tmp_path / "study.png"
    save_event_study_plot(result, path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def _percent_axes_say_it_once(ax):
    """An axis whose ticks print '%' does not repeat '(%)' in its label."""
    from matplotlib.ticker import PercentFormatter

    for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
        if isinstance(axis.get_major_formatter(), PercentFormatter):
            assert "(%)" not in label, label


def test_axis_labels_do_not_repeat_the_percent_of_the_ticks(result):
    from eventstudy.report.single_charts import plot_model_comparison

    fig = plot_event_study(result)
    for ax in fig.axes:
        _percent_axes_say_it_once(ax)
    _, ax = plt.subplots()
    _percent_axes_say_it_once(plot_model_comparison({"market": result}, ax=ax))


def test_scatter_legend_sits_below_the_axes_clear_of_the_day0_label(result):
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    plot_estimation_fit(result, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    day0 = [t for t in ax.texts if t.get_text() == "day 0"][0].get_window_extent(renderer)
    assert legend.y1 <= ax.get_window_extent(renderer).y0  # below the plotting area
    assert not legend.overlaps(day0)


def test_heat_map_scale_is_robust_and_dots_show_on_dark_cells():
    from eventstudy.report.single_charts import plot_car_grid

    wide = run_event_study("FB", "2018-08-06", window=(-10, 10))  # contains the -19% of 26 July
    grid = wide.car_grid()
    for value, scale in (("car", 100), ("t", 1)):
        _, ax = plt.subplots()
        plot_car_grid(wide, value, ax=ax)
        image = ax.images[0]
        size = np.abs(grid[value].to_numpy()) * scale
        assert_allclose(image.norm.vmax, 3 * np.median(size), rtol=1e-12)
        assert image.norm.vmin == -image.norm.vmax and image.norm.vmax < size.max()
        dots = ax.collections[0]
        assert len(dots.get_offsets()) == int((grid["p"] < 0.05).sum())
        assert_allclose(dots.get_edgecolor()[0][:3], [1, 1, 1])  # white rim on dark cells
        colorbar = ax.figure.axes[-1]
        assert colorbar is not ax and "(%)" not in colorbar.get_ylabel()


def test_batch_charts_mark_the_caar_window_count_whole_events_and_have_titles(tmp_path):
    import warnings

    import pandas as pd
    from eventstudy.studies.multi import run_multi_event_study
    from eventstudy.report.multi_charts import plot_aar, plot_car_distribution, plot_multi_event, save_multi_event_plot

    events = pd.DataFrame({"ticker": ["JPM", "WFC", "C", "USB"], "event_date": "2018-08-06"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = run_multi_event_study(events, window=(-5, 5), car_window=(-1, 1))
    _, (left, right) = plt.subplots(1, 2)
    plot_aar(study, ax=left)
    spans = [p for p in left.patches if str(p.get_label()).startswith("CAAR window")]
    assert len(spans) == 1 and spans[0].get_label() == "CAAR window (-1, +1) (tests)"
    assert_allclose([spans[0].get_x(), spans[0].get_x() + spans[0].get_width()], [-1.5, 1.5])
    plot_car_distribution(study, ax=right)
    ticks = right.get_yticks()
    assert_allclose(ticks, np.round(ticks))  # counts of events are whole numbers
    assert right.get_title() == "4 events: distribution of the CARs(-1, +1)"
    fig = plot_multi_event(study)
    assert fig.get_suptitle() == f"4 events (market model): CAAR(-1, +1) = {study.caar:+.2%}"
    save_multi_event_plot(study, tmp_path / "batch.png")
    assert (tmp_path / "batch.png").read_bytes()[:4] == b"\x89PNG"


def test_batch_volume_charts_are_in_log_volume_units():
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.ticker import PercentFormatter
    from numpy.testing import assert_allclose

    from eventstudy import run_multi_event_study
    from eventstudy.report.multi_charts import plot_aar, plot_car_distribution

    events = pd.DataFrame({"ticker": ["FB", "AAPL", "JPM"],
                           "event_date": ["2018-08-06", "2018-05-02", "2018-10-12"]})
    result = run_multi_event_study(events, measure="volume")
    fig, (left, right) = plt.subplots(1, 2)
    plot_aar(result, ax=left)
    assert_allclose([p.get_height() for p in left.patches], result.aar.to_numpy())  # not x 100
    assert not isinstance(left.yaxis.get_major_formatter(), PercentFormatter)
    assert "log volume" in left.get_ylabel()
    plot_car_distribution(result, ax=right)
    assert not isinstance(right.xaxis.get_major_formatter(), PercentFormatter)
