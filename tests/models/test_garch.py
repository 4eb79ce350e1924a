"""The GARCH(1,1) market model against arch called directly, the forecast recursion by hand,
the multi-event path against the single path, and the Savickas test against its formula and
its null distribution."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import EventStudy, load_prices, run_event_study, simple_returns
from eventstudy.cli import main
from eventstudy.exceptions import DataError, IntegratedGarchWarning, ParameterError
from eventstudy.engine.garch import garch_events
from eventstudy.inference.savickas import savickas
from eventstudy.models.garch import GarchFit, variance_forecasts

EVENT = "2018-07-26"


def csv_returns(data_dir, ticker: str) -> pd.Series:
    """Adj Close simple returns read straight from the CSV file (no eventstudy code)."""
    frame = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"],
                        index_col="Date")
    return frame["Adj Close"].pct_change().iloc[1:]


def arch_direct(data_dir, ticker, event, estimation, window, dist, params_pct=None):
    """The same specification with arch directly, returns in percent: arch's fit from each of
    the four documented starting points (the best log-likelihood kept), and arch's own
    residuals, variances and forecasts at ``params_pct`` (default: that best fit)."""
    import statsmodels.api as sm
    from arch import arch_model
    from arch.univariate import GARCH

    stock, market = csv_returns(data_dir, ticker), csv_returns(data_dir, "^GSPC")
    day0 = market.index.get_loc(pd.Timestamp(event))
    est = slice(day0 + estimation[0], day0 + estimation[1] + 1)
    y, x = 100 * stock.iloc[est].to_numpy(), 100 * market.iloc[est].to_numpy()
    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    e = ols.resid
    nu = [8.0] if dist == "t" else []  # arch's start for nu (its standardised t)
    starts = [None] + [np.hstack([ols.params, [(1 - s_) * np.mean(e**2), a_, s_ - a_], nu])
                       for a_, s_ in ((0.02, 0.99), (0.20, 0.50), (0.70, 0.99))]
    fits = [model.fit(disp="off", show_warning=False, starting_values=start) for start in starts]
    assert all(fit.convergence_flag == 0 for fit in fits)
    best = max(fits, key=lambda fit: fit.loglikelihood)
    assert GARCH().starting_values(e).shape == (3,)
    res = model.fix(best.params.to_numpy() if params_pct is None else params_pct)
    horizon = window[1] - estimation[1]
    gap = window[0] - estimation[1] - 1
    event_days = slice(day0 + window[0], day0 + window[1] + 1)
    x_future = np.zeros((1, horizon))
    x_future[0, gap:] = 100 * market.iloc[event_days].to_numpy()
    forecast = res.forecast(horizon=horizon, x={"x0": x_future}, reindex=False)
    return best, res, stock.iloc[event_days], forecast, gap


@pytest.mark.parametrize("dist, model", [("normal", "garch"), ("t", "garch_t")])
def test_single_event_matches_arch_called_directly(data_dir, dist, model):
    estimation, window = (-250, -11), (-3, 5)
    result = run_event_study("FB", EVENT, model=model, estimation=estimation, window=window)
    fit = result.fit
    assert isinstance(fit, GarchFit)
    ours = fit.params.to_numpy() * np.array([100, 1, 1e4, 1, 1, 1][: len(fit.params)])
    best, res, stock, forecast, gap = arch_direct(data_dir, "FB", EVENT, estimation, window, dist,
                                                  params_pct=ours)
    # the optimum: arch's own fits from the same four starting points reach the same maximum
    # (both are SLSQP, to its tolerance)
    assert fit.estimate.loglikelihood == pytest.approx(best.loglikelihood, abs=1e-5)
    assert fit.estimate.loglikelihood >= best.loglikelihood - 1e-6
    params = best.params
    expected_params = {"alpha": params["Const"] / 100, "beta": params["x0"],
                       "omega": params["omega"] / 1e4, "alpha[1]": params["alpha[1]"],
                       "beta[1]": params["beta[1]"]}
    if dist == "t":
        expected_params["nu"] = params["nu"]
    assert list(fit.params.index) == list(expected_params)
    assert_allclose(fit.params.to_numpy(), list(expected_params.values()), rtol=2e-3, atol=1e-4)
    # at our parameters, arch's likelihood, residuals, conditional variances and forecasts
    assert fit.estimate.loglikelihood == pytest.approx(res.loglikelihood, abs=1e-9)
    assert_allclose(fit.residuals.to_numpy(), res.resid / 100, rtol=1e-10, atol=1e-14)
    assert_allclose(fit.conditional_variance.to_numpy(), res.conditional_volatility**2 / 1e4,
                    rtol=1e-10)
    # event window: ARs against arch's mean forecast, variances against its analytic forecasts
    mean = forecast.mean.to_numpy()[0, gap:] / 100
    variance = forecast.variance.to_numpy()[0, gap:] / 1e4
    assert_allclose(result.days["abnormal"].to_numpy(), stock.to_numpy() - mean, rtol=1e-8, atol=1e-12)
    assert_allclose(result.days["se"].to_numpy() ** 2, variance, rtol=1e-8)
    assert_allclose(result.car.se**2, variance.sum(), rtol=1e-8)
    assert_allclose(result.covariance.to_numpy(), np.diag(variance), rtol=1e-8, atol=1e-20)
    assert result.fit.df == 240 - len(expected_params)
    assert_allclose(result.days["t"], result.days["abnormal"] / result.days["se"], rtol=1e-12)
    report = result.to_dict()
    json.dumps(report, allow_nan=False)
    assert set(report["estimation"]["params"]) == set(expected_params)
    assert report["estimation"]["loglikelihood"] == fit.estimate.loglikelihood
    assert report["estimation"]["starts"]["n"] == 4


def test_forecasts_follow_the_recursion_written_out():
    omega, a, b, h1 = 2e-6, 0.08, 0.9, 3e-4
    hand = [h1]
    for _ in range(11):
        hand.append(omega + (a + b) * hand[-1])
    horizons = np.array([1, 2, 5, 12])
    got = variance_forecasts(omega, a, b, h1, horizons)
    assert_allclose(got[0], np.array(hand)[horizons - 1], rtol=1e-14)
    # closed form: h_{T+k} = w (1 - p^(k-1)) / (1 - p) + p^(k-1) h_{T+1}, p = a + b
    p = a + b
    assert_allclose(got[0], omega * (1 - p ** (horizons - 1)) / (1 - p) + p ** (horizons - 1) * h1,
                    rtol=1e-12)
    # vectorised over events, each with its own horizons
    two = variance_forecasts([omega, 1e-6], [a, 0.0], [b, 0.5], [h1, 1e-4], np.array([[1, 3], [2, 4]]))
    assert_allclose(two[0], np.array(hand)[[0, 2]], rtol=1e-14)
    h2 = 1e-6 + 0.5 * 1e-4
    h3 = 1e-6 + 0.5 * h2
    assert_allclose(two[1], [h2, 1e-6 + 0.5 * h3], rtol=1e-14)
    with pytest.raises(ParameterError, match="window"):
        variance_forecasts(omega, a, b, h1, np.array([0, 1]))


def test_a_fit_that_does_not_converge_is_an_error_with_the_optimizers_message(monkeypatch):
    import scipy.optimize
    from scipy.optimize import minimize

    def one_iteration(*args, **kwargs):
        kwargs["options"] = {**kwargs.get("options", {}), "maxiter": 1}
        return minimize(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", one_iteration)
    with pytest.raises(DataError, match=r"did not converge on FB's 240 estimation returns: "
                                        r"arch: Iteration limit reached \(SLSQP status 9\); "
                                        r"a=0.02, a\+b=0.99: Iteration limit"):
        run_event_study("FB", EVENT, model="garch")
    prices = load_prices(["FB", "JPM", "^GSPC"])
    returns = simple_returns(prices)
    events = pd.DataFrame({"security": ["FB", "JPM"], "event_date": [EVENT, EVENT]})
    many = garch_events(returns, events, "^GSPC")
    assert not many.ok.any()
    assert all("Iteration limit reached" in r for r in many.skipped["reason"])
    assert np.isnan(many.abnormal).all() and many.nobs.tolist() == [240, 240]


def test_garch_needs_a_long_estimation_window_before_the_event():
    with pytest.raises(ParameterError, match="estimation window of at least 100 days"):
        EventStudy("garch", estimation=(-60, -11))
    with pytest.raises(ParameterError, match="window"):
        run_event_study("FB", EVENT, model="garch", estimation=(5, 250), window=(-1, 1))


def test_many_events_match_the_single_path_one_by_one():
    prices = load_prices(["FB", "JPM", "WFC", "AAPL", "^GSPC"])
    returns = simple_returns(prices)
    returns.loc["2017-03-01":"2017-03-20", "JPM"] = np.nan  # missing estimation days
    events = pd.DataFrame({
        "security": ["FB", "JPM", "WFC", "AAPL", "NOPE", "FB", "FB"],
        "event_date": pd.to_datetime(["2018-07-26", "2017-06-01", "2018-08-04", "2019-01-03",
                                      "2018-08-06", "2016-03-01", "2018-03-19"]),
    })
    with pytest.warns(IntegratedGarchWarning, match="1 of 5 GARCH fits is integrated"):
        many = garch_events(returns, events, "^GSPC", window=(-2, 3), car_window=(0, 1))
    assert many.ok.tolist() == [True, True, True, True, False, False, True]
    assert "not a column" in many.reason[4] and "too little history" in many.reason[5]
    integrated = many.params[:, 3] + many.params[:, 4] >= 0.999
    for i in np.flatnonzero(many.ok):
        study = EventStudy("garch", window=(-2, 3))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IntegratedGarchWarning)
            single = study.run(returns[events.security[i]], returns["^GSPC"], events.event_date[i])
        assert len(caught) == int(integrated[i])  # the single path warns for the same fit
        assert_allclose(many.loglikelihood[i], single.fit.estimate.loglikelihood, rtol=1e-12)
        assert_allclose(many.abnormal[i], single.days["abnormal"], rtol=1e-10, atol=1e-14)
        assert_allclose(many.se[i], single.days["se"], rtol=1e-10)
        assert_allclose(many.p[i], single.days["p"], rtol=1e-8, atol=1e-14)
        assert_allclose(many.params[i], single.params, rtol=1e-10, atol=1e-16)
        car = single.cumulative(0, 1)
        assert_allclose([many.car[i], many.car_se[i], many.car_p[i]], [car.value, car.se, car.p],
                        rtol=1e-8)
        assert many.nobs[i] == single.fit.nobs and many.df[i] == single.fit.df
        est = single.fit.residuals.to_numpy()
        assert_allclose(many.residuals[i][np.isfinite(many.residuals[i])], est, rtol=1e-10, atol=1e-14)
    assert many.nobs[1] == 240 - 14  # JPM's 14 missing March 2017 sessions left out
    from eventstudy.inference.multi_event import multi_event_tests

    tests = multi_event_tests(**many.test_inputs(), tests=["bmp", "corrado_rank"])
    assert len(tests) == 2 * (len(many.rel_days) + 1)
    bmp_day0 = next(s for s in tests if s.name == "bmp" and s.rel_day == 0)
    savickas_day0 = next(s for s in many.savickas() if s.rel_day == 0)
    assert_allclose(bmp_day0.stat, savickas_day0.stat, rtol=1e-12)  # the same standardisation
    frame = many.frame()
    assert list(frame.index) == [0, 1, 2, 3, 6]
    assert {"omega", "alpha[1]", "beta[1]", "car_p"} <= set(frame.columns)


def test_savickas_is_the_cross_sectional_t_of_the_standardised_returns():
    rng = np.random.default_rng(3)
    n, t = 40, 3
    abnormal = rng.normal(0.001, 0.02, (n, t))
    sd = rng.uniform(0.01, 0.03, (n, t))
    car_sd = np.sqrt((sd[:, 1:] ** 2).sum(axis=1))
    tests = savickas(abnormal, sd, car_sd, [-1, 0, 1], (0, 1))
    assert [(s.rel_day, s.window) for s in tests] == [(-1, None), (0, None), (1, None), (None, (0, 1))]
    for j in range(t):
        ref = stats.ttest_1samp(abnormal[:, j] / sd[:, j], 0.0)
        assert_allclose([tests[j].stat, tests[j].pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    ref = stats.ttest_1samp(abnormal[:, 1:].sum(axis=1) / car_sd, 0.0)
    assert_allclose([tests[-1].stat, tests[-1].pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    assert tests[0].dist == "t(39)" and tests[0].name == "savickas"


def test_savickas_keeps_its_size_when_the_event_raises_the_variance_and_patell_does_not():
    """GARCH(1,1) conditional variances, the event day's variance multiplied by 4: Patell's
    statistic (standardised by the pre-event variance) rejects far too often, Savickas's
    cross-sectional version stays at 5% (its statistic is then exactly t(N-1))."""
    rng = np.random.default_rng(11)
    reps, n, jump = 4000, 50, 4.0
    omega, a, b = 2e-6, 0.08, 0.9
    h = omega / (1 - a - b) * rng.uniform(0.3, 3.0, (reps, n))  # the events' forecasts
    abnormal = rng.standard_normal((reps, n)) * np.sqrt(jump * h)
    sar = abnormal / np.sqrt(h)
    patell_z = sar.sum(axis=1) / np.sqrt(n)
    patell_rate = np.mean(2 * stats.norm.sf(np.abs(patell_z)) < 0.05)
    # one call: the replications are the columns (relative days) of an (n, reps) array
    tests = savickas(abnormal.T, np.sqrt(h).T, np.ones(n), list(range(reps)), (0, 0))
    savickas_rate = np.mean([s.pvalue < 0.05 for s in tests[:reps]])
    half_width = 3 * np.sqrt(0.05 * 0.95 / reps)
    assert abs(savickas_rate - 0.05) < half_width
    assert patell_rate > 0.25  # P(|N(0, 4)| > 1.96) = 0.327


def test_cli_runs_the_garch_model(capsys):
    assert main(["run", "FB", EVENT, "--model", "garch", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "garch"
    assert {"omega", "alpha[1]", "beta[1]"} <= set(report["estimation"]["params"])
    assert set(report["variance_ratio"]) >= {"value", "F", "p"}
    assert main(["run", "FB", EVENT, "--model", "garch_x"]) == 2
    assert "garch, garch_t" in capsys.readouterr().err
