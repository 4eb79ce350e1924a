"""The batch engine gives the single-event path's numbers (to 1e-10), event by event.

Reference: :meth:`eventstudy.engine.single.EventStudy.run` on the committed panel, for every model,
with events at the panel's edges, with returns punched out, with too little history; and a
direct per-event least-squares fit on long synthetic panels of realistic returns, which checks
the accuracy guard of the differenced prefix sums.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.defaults import TEST_NAMES
from eventstudy.engine.batch import BatchResult, batch_event_study
from eventstudy.exceptions import EventStudyError, ParameterError
from eventstudy.models import MODELS, MarketModel
from eventstudy.inference.pvalues import two_sided_p
from eventstudy.engine.single import EventStudy
from eventstudy.studies.inputs import load_factor_sets

PROJECT = Path(__file__).resolve().parents[2]
TOL = 1e-10
MARKET = "^GSPC"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    prices = es.load_prices(es.available_tickers())
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == MARKET, "date"])
    return es.simple_returns(prices, calendar=calendar)


@pytest.fixture(scope="module")
def all_factors() -> pd.DataFrame:
    return pd.concat([es.load_factors(n) for n in ("ff3", "mom")], axis=1).join(
        es.load_factors("ff5")[["RMW", "CMA"]], how="outer"
    )


def factors_for(model: str) -> pd.DataFrame | None:
    return load_factor_sets(MODELS[model].factor_sets, None)


def edge_events(panel: pd.DataFrame, study: EventStudy, rng: np.random.Generator, n: int = 40):
    """Random stock-days plus the first and last feasible days and their neighbours."""
    days = panel.index
    earliest = -min(study.estimation.start, study.window.start)
    latest = len(days) - 1 - max(study.estimation.end, study.window.end)
    stocks = [c for c in panel.columns if c != MARKET]
    chosen = list(days[rng.integers(0, len(days), n)])
    chosen += [days[i] for i in (0, earliest - 1, earliest, earliest + 1, latest - 1, latest,
                                 latest + 1, len(days) - 1)]
    sec = list(rng.choice(stocks, len(chosen)))
    # SNAP listed in 2017: events early in its history are skipped for too little history
    sec += ["SNAP"] * 6
    chosen += list(days[[260, 300, 320, 340, 400, 600]])
    # a weekend date (day 0 moves to Monday) and a date after the panel
    sec += ["FB", "FB"]
    chosen += [pd.Timestamp("2018-08-04"), pd.Timestamp("2020-03-02")]
    return pd.DataFrame({"security": sec, "event_date": chosen})


def assert_matches(result: BatchResult, i: int, single) -> None:
    days = single.days
    np.testing.assert_allclose(result.abnormal[i], days["abnormal"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.se[i], days["se"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.t[i], days["t"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.p[i], days["p"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.realised[i], days["return"], rtol=0, atol=0)
    np.testing.assert_allclose(result.expected[i], days["expected"], rtol=0, atol=TOL)
    car = single.cumulative(result.car_window.start, result.car_window.end)
    for got, want in ((result.car[i], car.value), (result.car_se[i], car.se),
                      (result.car_t[i], car.t), (result.car_p[i], car.p),
                      (result.sigma[i], single.fit.sigma)):
        assert abs(got - want) <= TOL, (got, want)
    bhar = single.buy_and_hold(result.car_window.start, result.car_window.end)
    assert abs(result.bhar[i] - bhar) <= TOL
    np.testing.assert_allclose(result.params[i], single.fit.params.to_numpy(), rtol=0, atol=TOL)
    assert result.nobs[i] == single.fit.nobs
    assert result.df[i] == single.fit.df
    assert pd.Timestamp(result.day0[i]) == single.day0


def compare_with_single(result: BatchResult, returns: pd.DataFrame, market: pd.Series,
                        events: pd.DataFrame, study: EventStudy, factors) -> int:
    """Every event: same skip decision, same numbers; returns the number studied."""
    studied = 0
    for i, (sec, date) in enumerate(zip(events["security"], events["event_date"])):
        try:
            single = study.run(returns[sec], market, date, factors=factors)
        except EventStudyError as error:
            assert not result.ok[i], f"event {i} ({sec} {date}): single path raised {error}"
            continue
        assert result.ok[i], f"event {i} ({sec} {date}) skipped: {result.skipped.loc[i, 'reason']}"
        assert_matches(result, i, single)
        studied += 1
    return studied


#: The models of the vectorised engine; the GARCH models run one fit per event
#: (eventstudy.models.garch.garch_events, tested in test_garch.py).
LINEAR_MODELS = sorted(m for m in MODELS if not m.startswith("garch"))


@pytest.mark.parametrize("model", LINEAR_MODELS)
def test_every_model_matches_the_single_path_on_the_real_panel(panel, model):
    study = EventStudy(model)
    factors = factors_for(model)
    # the edge cases for every model; 40 random stock-days for the market model, 15 for the others
    n = 40 if model == "market" else 15
    events = edge_events(panel, study, np.random.default_rng(LINEAR_MODELS.index(model)), n)
    result = batch_event_study(panel, events, MARKET, model=model, factors=factors)
    studied = compare_with_single(result, panel, panel[MARKET], events, study, factors)
    assert studied >= n - 15
    assert len(result.skipped) == len(events) - studied


def test_missing_returns_are_counted_and_skips_follow_the_single_path(panel):
    returns = panel.copy()
    rng = np.random.default_rng(5)
    days = returns.index
    # scattered gaps in FB and JPM, a burst of 60 missing days in AAPL, a gap in the market
    for name, k in (("FB", 40), ("JPM", 25)):
        returns.loc[days[rng.choice(len(days), k, replace=False)], name] = np.nan
    returns.loc[days[500:560], "AAPL"] = np.nan
    market = returns[MARKET].copy()
    market.iloc[[700, 701]] = np.nan  # market gaps: those days are no trading days at all
    events = pd.DataFrame({
        "security": ["FB"] * 40 + ["JPM"] * 20 + ["AAPL"] * 30,
        "event_date": list(days[rng.integers(250, len(days) - 2, 40)])
        + list(days[rng.integers(250, len(days) - 2, 20)])
        + list(days[np.arange(520, 820, 10)]),
    })
    for model, min_estimation in (("market", None), ("ff3", 200), ("constant_mean", 239)):
        study = EventStudy(model, min_estimation=min_estimation)
        factors = factors_for(model)
        result = batch_event_study(returns, events, market, model=model, factors=factors,
                                   min_estimation=min_estimation)
        compare_with_single(result, returns, market, events, study, factors)
        reasons = set(result.reason_code[~result.ok].tolist())
        assert 10 in reasons  # too few estimation returns
        assert 9 in reasons or model != "market"  # a missing event-window return
        short = result.skipped[result.reason_code[~result.ok] == 10]
        assert short["reason"].str.startswith("min_estimation:").all()
        assert (result.nobs[result.reason_code == 10] < study.min_estimation).all()
        if model == "market":
            assert (result.nobs[result.ok] < 240).any()  # some windows did lose days


def test_chunks_blocks_and_threads_do_not_change_the_numbers(panel):
    study = EventStudy("carhart")
    factors = factors_for("carhart")
    events = edge_events(panel, study, np.random.default_rng(9), n=150)
    base = batch_event_study(panel, events, MARKET, model="carhart", factors=factors, workers=1)
    for kwargs in ({"chunk_size": 7, "workers": 2}, {"prefix_budget_mb": 0.01, "chunk_size": 5},
                   {"prefix_budget_mb": 0.05, "workers": 3}):
        other = batch_event_study(panel, events, MARKET, model="carhart", factors=factors, **kwargs)
        np.testing.assert_array_equal(other.reason_code, base.reason_code)
        for name in ("abnormal", "se", "p", "car", "car_se", "params", "nobs"):
            np.testing.assert_allclose(getattr(other, name), getattr(base, name), rtol=0,
                                       atol=1e-14, equal_nan=True)


def test_residuals_and_test_inputs_are_the_single_paths(panel):
    returns = panel.copy()
    returns.loc[returns.index[[300, 310, 320]], "C"] = np.nan
    events = pd.DataFrame({"security": ["C", "FB", "SPY", "C"],
                           "event_date": pd.to_datetime(["2017-06-01", "2018-08-06",
                                                         "2019-05-01", "2015-01-01"])})
    for model in ("market", "market_adjusted", "scholes_williams", "ff3"):
        study = EventStudy(model, window=(-2, 3))
        factors = factors_for(model)
        result = batch_event_study(returns, events, MARKET, model=model, window=(-2, 3),
                                   car_window=(0, 1), factors=factors)
        assert result.ok.tolist() == [True, True, True, False]
        residuals = result.residuals()
        inputs = result.test_inputs()
        np.testing.assert_array_equal(inputs["residuals"](np.arange(3)), residuals)
        for row, i in enumerate(np.flatnonzero(result.ok)):
            single = study.run(returns[events["security"][i]], returns[MARKET],
                               events["event_date"][i], factors=factors)
            expected = np.full(len(study.estimation), np.nan)
            est = single.estimation_data
            expected[est["rel_day"].to_numpy() - study.estimation.start] = est["residual"]
            np.testing.assert_allclose(residuals[row], expected, rtol=0, atol=TOL)
            np.testing.assert_allclose(inputs["abnormal_sd"][row], single.days["se"], atol=TOL)
            assert abs(inputs["car_sd"][row] - single.cumulative(0, 1).se) <= TOL
            assert inputs["df"][row] == single.fit.df
        assert inputs["window"] == (0, 1) and inputs["rel_days"] == list(range(-2, 4))
        assert np.isnan(residuals[0]).sum() == 3


def test_test_inputs_feed_the_multi_event_statistics(panel):
    statistics = pytest.importorskip("eventstudy.inference.multi_event")
    events = pd.DataFrame({"security": ["FB", "AAPL", "JPM", "C", "WFC"],
                           "event_date": pd.to_datetime(["2018-08-06", "2018-05-02",
                                                         "2018-04-13", "2018-07-13",
                                                         "2018-01-12"])})
    result = batch_event_study(panel, events, MARKET)
    inputs = result.test_inputs()
    streamed = statistics.multi_event_tests(**{**inputs, "chunk_size": 2})
    whole = statistics.multi_event_tests(**{**inputs, "residuals": result.residuals()})
    assert len(streamed) == len(whole) == len(TEST_NAMES) * 4
    for a, b in zip(streamed, whole):
        assert (a.name, a.rel_day, a.window, a.dist) == (b.name, b.rel_day, b.window, b.dist)
        np.testing.assert_allclose([a.stat, a.pvalue], [b.stat, b.pvalue], rtol=1e-12, atol=1e-15)


def test_event_dates_as_text_and_timestamps_follow_the_single_path(panel):
    study = EventStudy("market")
    dates = ["2018-08-06", "2018-08-04", "2018-08-06T16:30-04:00", "2018-08-06T09:00-04:00",
             "not a date"]
    events = pd.DataFrame({"security": "FB", "event_date": dates})
    result = batch_event_study(panel, events, MARKET)
    assert result.ok.tolist() == [True, True, True, True, False]
    for i, date in enumerate(dates[:4]):
        assert_matches(result, i, study.run(panel["FB"], panel[MARKET], date))
    assert "event_date" in result.skipped["reason"].iloc[0]


@pytest.mark.parametrize("policy", ["previous", "raise"])
def test_non_session_policies(panel, policy):
    events = pd.DataFrame({"security": ["FB", "FB"],
                           "event_date": pd.to_datetime(["2018-08-04", "2018-08-06"])})
    result = batch_event_study(panel, events, MARKET, non_session=policy)
    if policy == "raise":
        assert result.ok.tolist() == [False, True]
        assert "not a trading day" in result.skipped["reason"].iloc[0]
    else:
        assert pd.Timestamp(result.day0[0]) == pd.Timestamp("2018-08-03")
        single = EventStudy().run(panel["FB"], panel[MARKET], "2018-08-04", non_session="previous")
        assert_matches(result, 0, single)


def realistic_panel(n_days: int, n_sec: int, seed: int):
    """Daily returns with drift, GARCH-like volatility, fat tails, an ETF-like security (R^2
    near 1), a high-drift security, and scattered gaps."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2005-01-03", periods=n_days)
    vol = 0.01 * np.exp(np.cumsum(rng.normal(0, 0.05, n_days)) * 0.2)
    mkt = 4e-4 + vol * rng.standard_t(5, n_days) / np.sqrt(5 / 3)
    betas = rng.uniform(0.3, 1.8, n_sec)
    idio = rng.uniform(0.005, 0.04, n_sec) * rng.standard_t(4, (n_days, n_sec)) / np.sqrt(2)
    r = 2e-4 + mkt[:, None] * betas + idio
    r[:, 0] = 1e-5 + mkt + 5e-5 * rng.standard_normal(n_days)  # an index tracker
    r[:, 1] = 0.004 + 0.9 * mkt + 0.02 * rng.standard_normal(n_days)  # strong drift
    r[rng.random(r.shape) < 0.003] = np.nan
    panel = pd.DataFrame(r, index=dates, columns=[f"S{i}" for i in range(n_sec)])
    return panel, pd.Series(mkt, index=dates, name="M")


def direct_fit(y: np.ndarray, x: np.ndarray, y_event: np.ndarray, x_event: np.ndarray):
    """Per-event OLS by lstsq: ARs, their se, CAR and its se (Campbell, Lo & MacKinlay 4.4)."""
    design = np.column_stack([np.ones(len(x)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    s2 = resid @ resid / (len(y) - 2)
    event = np.column_stack([np.ones(len(x_event)), x_event])
    ar = y_event - event @ coef
    v = s2 * (np.eye(len(ar)) + event @ np.linalg.inv(design.T @ design) @ event.T)
    return ar, np.sqrt(np.diag(v)), ar.sum(), np.sqrt(v.sum())


@pytest.mark.parametrize("n_days", [2520, 5040])
def test_prefix_sums_are_accurate_on_long_realistic_panels(n_days):
    panel, market = realistic_panel(n_days, 12, seed=n_days)
    rng = np.random.default_rng(1)
    n_events = 150
    sec_idx = rng.integers(0, panel.shape[1], n_events)
    sec_idx[:20] = 0
    sec_idx[20:40] = 1
    pos = rng.integers(250, n_days - 5, n_events)
    pos[:5] = n_days - 2  # at the very end of the long panel: the largest prefix sums
    events = pd.DataFrame({"security": panel.columns[sec_idx], "event_date": panel.index[pos]})
    result = batch_event_study(panel, events, market, window=(-1, 1))
    values, m = panel.to_numpy(), market.to_numpy()
    checked = 0
    for i in range(n_events):
        est = np.arange(pos[i] - 250, pos[i] - 10)
        win = np.arange(pos[i] - 1, pos[i] + 2)
        y = values[est, sec_idx[i]]
        keep = np.isfinite(y)
        if keep.sum() < 192 or not np.isfinite(values[win, sec_idx[i]]).all():
            assert not result.ok[i]
            continue
        ar, se, car, car_se = direct_fit(y[keep], m[est][keep], values[win, sec_idx[i]], m[win])
        assert result.ok[i]
        np.testing.assert_allclose(result.abnormal[i], ar, rtol=0, atol=TOL)
        np.testing.assert_allclose(result.se[i], se, rtol=0, atol=TOL)
        assert abs(result.car[i] - car) <= TOL and abs(result.car_se[i] - car_se) <= TOL
        # relative accuracy too: the index tracker's residual sd is 5e-5
        np.testing.assert_allclose(result.se[i], se, rtol=1e-9)
        checked += 1
    assert checked > 100


def test_p_values_match_scipy():
    t = np.concatenate([np.linspace(0, 45, 200_001), -np.geomspace(1e-9, 60, 5000)])
    for df in (1.0, 2.0, 3.0, 10.0, 50.0, 238.0, 1000.0, 1e5):
        want = 2.0 * stats.t.sf(np.abs(t), df)
        got = two_sided_p(t, df)
        np.testing.assert_allclose(got, want, rtol=1e-11 if df >= 3 else 0, atol=0)
    rows = np.array([238.0, 237.0, 237.0, 12.0] * 3000)
    tt = np.random.default_rng(0).standard_normal((len(rows), 3)) * 3
    np.testing.assert_allclose(two_sided_p(tt, rows), 2 * stats.t.sf(np.abs(tt), rows[:, None]),
                               rtol=1e-11, atol=0)


def test_frames_and_skipped(panel):
    events = pd.DataFrame({"ticker": ["FB", "NOPE", "FB"],
                           "event_date": pd.to_datetime(["2018-08-06", "2018-08-06", "2016-02-01"])})
    result = batch_event_study(panel, events, panel[MARKET], window=(-1, 1))
    assert result.n_events == 1 and len(result) == 3
    skipped = result.skipped
    assert skipped.index.tolist() == [1, 2]
    assert "not a column" in skipped.loc[1, "reason"]
    assert "history" in skipped.loc[2, "reason"]
    frame = result.frame()
    assert frame.index.tolist() == [0]
    assert {"alpha", "beta", "car", "car_se", "car_ci_low", "car_ci_high", "bhar"} <= set(frame)
    single = EventStudy().run(panel["FB"], panel[MARKET], "2018-08-06")
    assert abs(frame["car_ci_low"].iloc[0] - single.car.ci_low) <= TOL
    assert result.days("abnormal").columns.tolist() == [-1, 0, 1]
    assert np.isnan(result.abnormal[1]).all() and result.nobs[1] == -1
    assert abs(result.aar.loc[0] - single.days.loc[0, "abnormal"]) <= TOL


def test_parameter_errors(panel):
    events = pd.DataFrame({"security": ["FB"], "event_date": pd.to_datetime(["2018-08-06"])})
    with pytest.raises(ParameterError, match="car_window"):
        batch_event_study(panel, events, MARKET, car_window=(-3, 1))
    with pytest.raises(ParameterError, match="chunk_size"):
        batch_event_study(panel, events, MARKET, chunk_size=0)
    with pytest.raises(ParameterError, match="events"):
        batch_event_study(panel, events.rename(columns={"event_date": "date"}), MARKET)
    with pytest.raises(ParameterError, match="market"):
        batch_event_study(panel, events, "NOPE")
    with pytest.raises(ParameterError, match="factors"):
        batch_event_study(panel, events, MARKET, model="ff3")
    with pytest.raises(ParameterError, match="factors"):
        batch_event_study(panel, events, MARKET, model="ff5", factors=factors_for("ff3"))

    class Custom(MarketModel):
        name = "custom"

        def fit(self, returns, data):  # a model with its own estimator
            return super().fit(returns, data)

    with pytest.raises(ParameterError, match="EventStudy"):
        batch_event_study(panel, events, MARKET, model=Custom())


def test_an_exact_fit_is_skipped(panel):
    returns = panel.copy()
    returns["TWIN"] = 2.0 * returns[MARKET] + 1e-4
    events = pd.DataFrame({"security": ["TWIN", "FB"],
                           "event_date": pd.to_datetime(["2018-08-06", "2018-08-06"])})
    result = batch_event_study(returns, events, MARKET)
    assert result.ok.tolist() == [False, True]
    assert "exactly" in result.skipped["reason"].iloc[0]


def test_benchmark_script_smoke():
    done = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "bench_batch.py"), "--quick", "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    rows = json.loads(done.stdout)
    assert [set(r) for r in rows] == [{"events", "model", "seconds", "events_per_second",
                                       "peak_mb", "max_abs_diff", "speedup_vs_single"}]
    assert rows[0]["max_abs_diff"] <= TOL and rows[0]["events"] == 2000


def test_degenerate_designs_follow_the_single_paths_rules():
    """A constant market over the estimation window is singular and constant non-zero stock
    returns are an exact fit, in the batch engine as in EventStudy.run (one rule, in models)."""
    from eventstudy.exceptions import EventStudyError
    from eventstudy.engine.single import EventStudy

    dates = pd.bdate_range("2018-01-01", periods=120)
    rng = np.random.default_rng(3)
    market = pd.Series(rng.normal(0, 0.01, len(dates)), index=dates)
    market.iloc[:100] = 0.002  # constant over every estimation window below
    # B: a constant non-zero return
    returns = pd.DataFrame({"A": rng.normal(0, 0.02, len(dates)), "B": 0.003}, index=dates)
    study = dict(estimation=(-60, -11), window=(-1, 1))
    events = pd.DataFrame({"security": ["A", "B"], "event_date": [dates[80], dates[80]]})
    result = batch_event_study(returns, events, market, **study)
    assert list(result.reason_code) == [11, 11]  # both singular: the market is constant
    for ticker in ("A", "B"):
        with pytest.raises(EventStudyError, match="constant or collinear"):
            EventStudy(**study).run(returns[ticker], market, dates[80])
    moving = pd.Series(rng.normal(0, 0.01, len(dates)), index=dates)
    result = batch_event_study(returns, events, moving, model="constant_mean", **study)
    assert result.reason_code.tolist() == [0, 12]  # B's constant return fits exactly
    with pytest.raises(EventStudyError, match="exact"):
        EventStudy(model="constant_mean", **study).run(returns["B"], moving, dates[80])
