"""Charts draw what the result holds, on the axes given, with titles and labelled axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from eventstudy import run_event_study
from eventstudy.plotting import (
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
    assert _labelled(ax) and "(%)" in ax.get_ylabel()
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
