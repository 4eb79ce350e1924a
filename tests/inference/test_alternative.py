"""One-sided alternatives on the single-event path: p(greater) + p(less) = 1, p(two-sided) =
2 min(p(greater), p(less)), and each against scipy.stats.t directly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import ParameterError


@pytest.mark.parametrize("options", [{}, {"model": "constant_mean", "window": (-3, 3)},
                                     {"measure": "volume"}, {"model": "garch", "window": (-2, 2)}])
def test_one_sided_p_values_add_up_and_match_scipy(options):
    runs = {alt: run_event_study("FB", "2018-08-06", alternative=alt, **options)
            for alt in ("two-sided", "greater", "less")}
    two, greater, less = (runs[a] for a in ("two-sided", "greater", "less"))
    t, df = two.days["t"].to_numpy(), two.fit.df
    for r in runs.values():  # the alternative changes only the p-values
        assert_allclose(r.days["abnormal"], two.days["abnormal"], rtol=0)
        assert_allclose(r.conf_int().to_numpy(), two.conf_int().to_numpy(), rtol=0)
    assert_allclose(greater.days["p"], stats.t.sf(t, df), rtol=1e-12)
    assert_allclose(less.days["p"], stats.t.cdf(t, df), rtol=1e-9)
    assert_allclose(greater.days["p"] + less.days["p"], 1.0, rtol=1e-12)
    assert_allclose(two.days["p"], 2 * np.minimum(greater.days["p"], less.days["p"]), rtol=1e-9)
    cars = {a: r.car for a, r in runs.items()}
    assert_allclose(cars["greater"].p, stats.t.sf(cars["two-sided"].t, df), rtol=1e-12)
    assert_allclose(cars["greater"].p + cars["less"].p, 1.0, rtol=1e-12)
    assert_allclose(cars["two-sided"].p, 2 * min(cars["greater"].p, cars["less"].p), rtol=1e-9)
    grids = {a: r.car_grid()["p"] for a, r in runs.items()}
    assert_allclose(grids["greater"] + grids["less"], 1.0, rtol=1e-12)
    for alternative, r in runs.items():
        report = json.loads(json.dumps(r.to_dict(), allow_nan=False))
        assert report["alternative"] == alternative
        assert_allclose([d["p"] for d in report["days"]], r.days["p"], rtol=0)
        assert_allclose(report["car"]["p"], r.car.p, rtol=0)
    assert "one-sided: H1 > 0" in greater.summary() and "one-sided" not in two.summary()


def test_a_bad_alternative_is_named(capsys):
    with pytest.raises(ParameterError, match="alternative: 'bigger' is not allowed; choose one of "
                                             "two-sided, greater, less"):
        run_event_study("FB", "2018-08-06", alternative="bigger")
    assert main(["run", "FB", "2018-08-06", "--alternative", "less", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["alternative"] == "less"
    assert_allclose(report["car"]["p"], run_event_study("FB", "2018-08-06", alternative="less").car.p)
