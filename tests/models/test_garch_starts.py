"""GARCH fits from several starting points: SNAP's local maximum, the likelihood against arch's
own, each start against arch's fit from the same point, the integrated-GARCH warning, and the
parallel fits against the serial ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.engine.garch_fits import fit_many
from eventstudy.exceptions import IntegratedGarchWarning
from eventstudy.models.garch_starts import GRID, STARTS, fit_from_starts


def csv_returns(data_dir, ticker: str) -> pd.Series:
    frame = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"],
                        index_col="Date")
    return frame["Adj Close"].pct_change().iloc[1:]


def estimation_returns(data_dir, ticker, event, estimation=(-250, -11)):
    stock, market = csv_returns(data_dir, ticker), csv_returns(data_dir, "^GSPC")
    stock = stock.reindex(market.index)
    day0 = market.index.get_loc(pd.Timestamp(event))
    rows = slice(day0 + estimation[0], day0 + estimation[1] + 1)
    y, x = stock.iloc[rows].to_numpy(), market.iloc[rows].to_numpy()
    keep = np.isfinite(y)
    return 100 * y[keep], 100 * x[keep]


def test_snap_reaches_the_maximum_that_arch_alone_misses(capsys):
    with pytest.warns(IntegratedGarchWarning, match="GARCH fit of SNAP is integrated"):
        result = run_event_study("SNAP", "2018-07-26", model="garch", estimation=(-250, -11))
    est = result.fit.estimate
    assert est.loglikelihood >= -693.24 - 1e-3
    assert (est.arch, est.garch, est.beta) == (pytest.approx(0.54, abs=0.01),
                                               pytest.approx(0.46, abs=0.01),
                                               pytest.approx(2.66, abs=0.01))
    own = est.starts[0]
    assert own.start == "arch" and own.loglikelihood == pytest.approx(-705.77, abs=0.01)
    assert est.agreeing == 2 and est.integrated
    text = str(result.summary())
    assert "log-likelihood -693.239" in text and "the best of 4 starting points; 2 reached it" in text
    assert "integrated GARCH" in text
    assert main(["run", "SNAP", "2018-07-26", "--model", "garch", "--json"]) == 0
    captured = capsys.readouterr()
    estimation = json.loads(captured.out)["estimation"]
    assert estimation["loglikelihood"] >= -693.24 - 1e-3
    assert estimation["starts"]["n"] == 4 and estimation["starts"]["agreeing"] == 2
    assert [f["start"] for f in estimation["starts"]["fits"]] == list(STARTS)
    assert "warning: the GARCH fit of SNAP is integrated" in captured.err


@pytest.mark.parametrize("ticker, event, dist", [("SNAP", "2018-07-26", "normal"),
                                                 ("FB", "2018-07-26", "t"),
                                                 ("JPM", "2019-02-08", "normal")])
def test_every_start_is_arch_s_likelihood_and_arch_s_optimum(data_dir, ticker, event, dist):
    """At each start's optimum arch's own likelihood (ARCHModel.fix) is ours to 1e-9, and arch's
    fit from the same starting point stops at the same log-likelihood (both SLSQP)."""
    import statsmodels.api as sm
    from arch import arch_model

    y, x = estimation_returns(data_dir, ticker, event)
    fits = fit_from_starts(y, x, dist)
    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    for fit, (a, s) in zip(fits.fits[1:], GRID):  # the grid: OLS mean, (a, a + b), omega
        np.testing.assert_allclose(fit.initial[:5], [*ols.params, (1 - s) * np.mean(ols.resid**2),
                                                     a, s - a], rtol=1e-10)
        np.testing.assert_array_equal(fit.initial[5:], fits.fits[0].initial[5:])  # arch's nu
    for fit in fits.fits:
        assert fit.converged
        assert model.fix(fit.params).loglikelihood == pytest.approx(fit.loglikelihood, abs=1e-9)
        start = None if fit.start == "arch" else fit.initial  # arch's own start, or the same one
        theirs = model.fit(disp="off", show_warning=False, starting_values=start)
        assert theirs.loglikelihood == pytest.approx(fit.loglikelihood, abs=1e-3)
    best = max(f.loglikelihood for f in fits.fits)
    assert fits.loglikelihood == best
    at_best = model.fix(fits.params)
    np.testing.assert_allclose(fits.residuals, at_best.resid, rtol=1e-12)
    np.testing.assert_allclose(fits.variance, at_best.conditional_volatility**2, rtol=1e-10)
    forecast = at_best.forecast(horizon=1, x={"x0": np.zeros((1, 1))}, reindex=False)
    assert fits.next_variance == pytest.approx(float(forecast.variance.to_numpy()[0, 0]), rel=1e-10)


def test_parallel_fits_equal_the_serial_ones(data_dir):
    events = [("FB", "2018-07-26"), ("SNAP", "2018-07-26"), ("JPM", "2019-02-08"),
              ("AAPL", "2018-11-01"), ("C", "2018-02-26")]
    pairs = [estimation_returns(data_dir, t, e) for t, e in events]
    y = np.array([p[0] for p in pairs]) / 100  # fit_many takes decimals
    x = np.array([p[1] for p in pairs]) / 100
    y[2, [3, 50]] = np.nan  # missing days are left out, the rest kept in order
    serial = fit_many(y, x, "normal", workers=1)
    parallel = fit_many(y, x, "normal", workers=2, chunk=2)
    for name in ("params", "residuals", "variance", "next_variance", "loglikelihood", "agreeing",
                 "converged"):
        assert_array_equal(getattr(serial, name), getattr(parallel, name))
    assert np.isnan(serial.residuals[2, [3, 50]]).all() and serial.converged.all()
    one = fit_from_starts(100 * np.delete(y[2], [3, 50]), 100 * np.delete(x[2], [3, 50]))
    assert serial.loglikelihood[2] == pytest.approx(one.loglikelihood, abs=1e-9)


@pytest.mark.parametrize("dist", ["normal", "t"])
def test_the_gradient_is_the_likelihood_s(data_dir, dist):
    """The analytic gradient against central differences of arch's likelihood, at random
    parameters on real returns, and the likelihood against arch's ARCHModel.fix."""
    from arch import arch_model

    from eventstudy.models.garch_likelihood import GarchLikelihood

    rng = np.random.default_rng(5)
    for ticker, event in (("FB", "2018-07-26"), ("JPM", "2019-02-08"), ("SNAP", "2018-07-26")):
        y, x = estimation_returns(data_dir, ticker, event)
        model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist=dist,
                           rescale=False)
        design = np.column_stack([np.ones(len(x)), x])
        ols = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        likelihood = GarchLikelihood(y, x, model, model.volatility.backcast(ols),
                                     model.volatility.variance_bounds(ols))
        for _ in range(5):
            a = rng.uniform(0.01, 0.4)
            params = np.array([rng.normal(0, 0.1), rng.uniform(0.5, 2), rng.uniform(0.05, 2), a,
                               rng.uniform(0.2, 0.98 - a)] + ([rng.uniform(3, 30)] if dist == "t" else []))
            value, gradient = likelihood(params)
            assert -value == pytest.approx(model.fix(params).loglikelihood, abs=1e-9)
            central = np.empty(len(params))
            for j in range(len(params)):
                step = 1e-5 * max(1.0, abs(params[j]))
                up, down = params.copy(), params.copy()
                up[j] += step
                down[j] -= step
                central[j] = (likelihood.value(up) - likelihood.value(down)) / (2 * step)
            np.testing.assert_allclose(gradient, central, rtol=1e-5, atol=1e-5)


def test_arch_s_starting_point_is_arch_s(data_dir):
    """The 16 grid likelihoods computed at once pick arch's own GARCH.starting_values on real
    residuals; where the variance bounds would cut the recursion, arch's own loop decides."""
    from arch.univariate import GARCH

    from eventstudy.models.garch_likelihood import arch_starting_values

    vol = GARCH()
    for ticker, event in (("FB", "2018-07-26"), ("SNAP", "2018-07-26"), ("JPM", "2019-02-08"),
                          ("AAPL", "2018-11-01"), ("C", "2018-02-26")):
        y = estimation_returns(data_dir, ticker, event)[0]
        e = y - y.mean()
        np.testing.assert_array_equal(
            arch_starting_values(e, vol.backcast(e), vol.variance_bounds(e), vol),
            vol.starting_values(e))
    asked = []

    class Recording:
        def starting_values(self, resids):
            asked.append(len(resids))
            return vol.starting_values(resids)

    tight = vol.variance_bounds(e)
    tight[:, 1] = tight[:, 0] * 1.001  # every grid variance above the upper bound
    np.testing.assert_array_equal(arch_starting_values(e, vol.backcast(e), tight, Recording()),
                                  vol.starting_values(e))
    assert asked == [len(e)]
