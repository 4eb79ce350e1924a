"""car_grid (vectorised over the sub-windows) equals cumulative() window by window: the CAR, its
se from the covariance, t and p for the alternative, and the sample-quantile p-value, for a linear
model (equal null weights) and for GARCH (each day its own weight)."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy import run_event_study


def loop_grid(result):
    window = result.timing.window
    rows = {}
    for a in window.days:
        for b in range(a, window.end + 1):
            c = result.cumulative(a, b)
            rows[(a, b)] = (c.value, c.se, c.t, c.p, c.sq.p)
    return rows


@pytest.mark.parametrize("model, alternative", [("market", "two-sided"), ("ff3", "greater"),
                                                ("garch", "less")])
def test_every_window_equals_cumulative(model, alternative):
    result = run_event_study("FB", "2018-08-06", window=(-3, 4), model=model, alternative=alternative)
    grid = result.car_grid()
    expected = loop_grid(result)
    assert list(grid.index) == list(expected)
    got = grid[["car", "se", "t", "p", "sq_p"]].to_numpy()
    np.testing.assert_allclose(got, np.array(list(expected.values())), rtol=1e-12, atol=1e-15)
    assert grid.loc[(0, 0), "car"] == pytest.approx(result.days.loc[0, "abnormal"], abs=1e-15)
