"""Batch GARCH p-values for the study's alternative, against the t distribution called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import EventStudy, load_prices, simple_returns
from eventstudy.calendar import Window
from eventstudy.engine.garch import garch_batch, garch_events


@pytest.fixture(scope="module")
def inputs():
    returns = simple_returns(load_prices(["FB", "JPM", "AAPL", "^GSPC"]))
    events = pd.DataFrame({"security": ["FB", "JPM", "AAPL"],
                           "event_date": pd.to_datetime(["2018-07-26", "2019-02-08", "2019-01-03"])})
    return returns, events


def test_p_values_follow_the_alternative(inputs):
    returns, events = inputs
    runs = {alternative: garch_events(returns, events, "^GSPC", window=(-1, 1), car_window=(0, 1),
                                      alternative=alternative, workers=1)
            for alternative in ("two-sided", "greater", "less")}
    two, greater, less = runs["two-sided"], runs["greater"], runs["less"]
    assert two.ok.all()
    for run in (greater, less):  # the fits do not depend on the alternative
        assert_allclose(run.car, two.car, rtol=0)
        assert_allclose(run.car_se, two.car_se, rtol=0)
    df = two.df.astype(float)
    t_car = two.car / two.car_se  # the t statistic from the CAR and its se
    assert_allclose(greater.car_p, stats.t.sf(t_car, df), rtol=1e-10)
    assert_allclose(less.car_p, stats.t.cdf(t_car, df), rtol=1e-10)
    assert_allclose(greater.car_p + less.car_p, 1.0, rtol=1e-12)
    assert_allclose(two.car_p, 2 * np.minimum(greater.car_p, less.car_p), rtol=1e-10)
    t_day = two.abnormal / two.se
    assert_allclose(greater.p, stats.t.sf(t_day, df[:, None]), rtol=1e-10)
    assert_allclose(less.p, stats.t.cdf(t_day, df[:, None]), rtol=1e-10)
    assert_allclose(two.p, 2 * np.minimum(greater.p, less.p), rtol=1e-10)
    assert not np.allclose(greater.car_p, two.car_p)  # the one-sided p is not the two-sided one


def test_the_multi_event_study_passes_its_alternative(inputs):
    returns, events = inputs
    study = EventStudy("garch", window=(-1, 1), alternative="less")
    batch = garch_batch(returns, events, returns["^GSPC"], study, (Window(0, 1),),
                        exclude_events=False, non_session="next", progress=False)
    frame = batch.frame()
    assert_allclose(frame["car_p"], stats.t.cdf(frame["car"] / frame["car_se"], frame["df"]),
                    rtol=1e-10)
