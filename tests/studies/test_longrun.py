"""Long-horizon BHARs and the tests of their mean, against direct computations: products of
(1 + R) from the raw CSV files, Lyon-Barber-Tsai's formulas written out, and a loop-based
bootstrap with the same seed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
import statsmodels.formula.api as smf
from scipy import stats

from eventstudy.cli import main
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.report.horizon_charts import plot_bhar_paths
from eventstudy.studies.longrun import (
    bootstrap_p,
    bootstrap_skewness_adjusted,
    mean_tests,
    run_long_horizon,
    skewness_adjusted_t,
)

EVENTS = pd.DataFrame({
    "ticker": ["FB", "FB", "FB", "FB", "AMZN", "AAPL", "GOOGL", "TWTR"],
    "event_date": ["2018-03-19", "2018-04-26", "2018-07-26", "2018-08-06", "2017-01-05", "2017-11-02",
                   "2018-02-01", "2016-10-27"],
    "peer": ["GOOGL", "GOOGL", "AAPL", "AMZN", "GOOGL", "GOOGL", "AAPL", "SNAP"],
    "size": ["1.5", "2.0", "", "3.0", "4.5", "0.5", "2.5", "1.0"],
})


def raw_returns(data_dir, ticker: str) -> pd.Series:
    """Adj Close simple returns read straight from the snapshot CSV."""
    name = ticker.removeprefix("^")
    frame = pd.read_csv(data_dir / "prices" / f"{name}.csv", parse_dates=["Date"], index_col="Date")
    return frame["Adj Close"].pct_change().iloc[1:]


def direct_bhar(data_dir, ticker, benchmark, day0, a, b, days=None):
    stock, bench = raw_returns(data_dir, ticker), raw_returns(data_dir, benchmark)
    pos = stock.index.get_loc(pd.Timestamp(day0))
    held = slice(pos + a, pos + b + 1 if days is None else pos + a + days)
    return np.prod(1 + stock.iloc[held].to_numpy()) - np.prod(1 + bench.iloc[held].to_numpy())


def lbt_gamma(x):
    """LBT's skewness coefficient sum((x - mean)^3) / (n s^3), s with n - 1, from scipy's
    population-moment skewness."""
    n = len(x)
    return stats.skew(x, bias=True) * ((n - 1) / n) ** 1.5


def test_bhar_equals_the_products_of_raw_returns_against_the_market(data_dir):
    result = run_long_horizon(EVENTS, (0, 250), seed=1)
    assert result.skipped.empty and result.n_events == 8
    for row in result.events.itertuples():
        expected = direct_bhar(data_dir, row.ticker, "^GSPC", row.day0, 0, 250)
        assert row.bhar == pytest.approx(expected, abs=1e-12)
        assert row.n_days == 251 and not row.truncated
    assert result.mean_bhar == pytest.approx(result.events["bhar"].mean())


def test_bhar_against_a_peer_benchmark_and_a_horizon_that_starts_later(data_dir):
    events = EVENTS[EVENTS["peer"] != "SNAP"]
    result = run_long_horizon(events, (2, 120), "peer", seed=1)
    for row in result.events.itertuples():
        expected = direct_bhar(data_dir, row.ticker, row.peer, row.day0, 2, 120)
        assert row.bhar == pytest.approx(expected, abs=1e-12)
        assert row.benchmark_ticker == row.peer


def test_paths_end_at_the_bhar_and_start_with_day_a(data_dir):
    result = run_long_horizon(EVENTS, (0, 60), seed=1)
    paths = result.paths()
    np.testing.assert_allclose(paths[60].to_numpy(), result.events["bhar"].to_numpy(), atol=1e-12)
    row = result.events.iloc[0]
    stock, market = raw_returns(data_dir, "FB"), raw_returns(data_dir, "^GSPC")
    assert paths.iloc[0][0] == pytest.approx(stock[row.day0] - market[row.day0], abs=1e-14)
    assert paths.iloc[0][10] == pytest.approx(direct_bhar(data_dir, "FB", "^GSPC", row.day0, 0, 10), abs=1e-12)


def test_the_three_tests_follow_lbt_formulas():
    result = run_long_horizon(EVENTS, (0, 250), seed=7, resample_size=4)
    x = result.events["bhar"].to_numpy()
    n, mean, sd = len(x), x.mean(), x.std(ddof=1)
    t = mean / (sd / np.sqrt(n))
    s, gamma = mean / sd, lbt_gamma(x)
    t_sa = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n))
    assert result.test("t").stat == pytest.approx(t, rel=1e-12)
    assert result.test("t").p == pytest.approx(2 * stats.t.sf(abs(t), n - 1), rel=1e-10)
    assert result.test("skewness_adjusted_t").stat == pytest.approx(t_sa, rel=1e-12)
    assert result.test("skewness_adjusted_t").p == pytest.approx(2 * stats.t.sf(abs(t_sa), n - 1), rel=1e-10)
    boot = result.test("bootstrap_skewness_adjusted_t")
    assert boot.stat == pytest.approx(t_sa, rel=1e-12)
    # the conventional t equals scipy's one-sample t test
    assert t == pytest.approx(stats.ttest_1samp(x, 0.0).statistic, rel=1e-12)


def loop_bootstrap(x, n_bootstrap, m, seed):
    """A second resampler: one resample at a time, with numpy/scipy moments."""
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(x), size=(n_bootstrap, m))
    out = []
    for row in indices:
        draw = x[row]
        if np.ptp(draw) == 0:
            continue
        sd = np.std(draw, ddof=1)
        s = (draw.mean() - x.mean()) / sd
        gamma = lbt_gamma(draw)
        out.append(np.sqrt(m) * (s + gamma * s**2 / 3 + gamma / (6 * m)))
    return np.array(out)


def test_bootstrap_equals_a_loop_based_resampler_with_the_same_seed():
    x = np.random.default_rng(3).lognormal(0.0, 0.8, size=200) - 1.6
    boot = bootstrap_skewness_adjusted(x, n_bootstrap=1000, seed=11)
    assert boot.resample_size == 50 and boot.n_degenerate == 0
    expected = loop_bootstrap(x, 1000, 50, 11)
    np.testing.assert_allclose(boot.stats, expected, rtol=1e-10, atol=1e-12)
    t_sa = skewness_adjusted_t(x)
    p_loop = 2 * min(np.mean(expected <= t_sa), np.mean(expected >= t_sa))
    assert bootstrap_p(t_sa, boot.stats) == pytest.approx(min(1.0, p_loop), abs=1e-15)
    tests, _, notes = mean_tests(x, seed=11)
    assert tests[2].p == pytest.approx(min(1.0, p_loop), abs=1e-15) and not notes


def test_bootstrap_of_small_resamples_counts_the_degenerate_ones():
    x = np.array([0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2, -0.05])
    boot = bootstrap_skewness_adjusted(x, n_bootstrap=500, resample_size=3, seed=2)
    expected = loop_bootstrap(x, 500, 3, 2)
    assert boot.n_degenerate == 500 - len(expected) > 0
    np.testing.assert_allclose(boot.stats, expected, rtol=1e-10, atol=1e-12)


def test_bootstrap_is_reproducible_with_a_seed_and_left_out_with_a_note_when_n_over_4_is_too_small():
    a = run_long_horizon(EVENTS, (0, 100), seed=5, resample_size=4)
    b = run_long_horizon(EVENTS, (0, 100), seed=5, resample_size=4)
    assert a.test("bootstrap_skewness_adjusted_t").p == b.test("bootstrap_skewness_adjusted_t").p
    small = run_long_horizon(EVENTS, (0, 100), seed=5)  # 8 events: n // 4 = 2
    assert [t.name for t in small.tests] == ["t", "skewness_adjusted_t"]
    assert "resamples of n/4 = 8 // 4 = 2 events are too small" in small.notes[0]
    with pytest.raises(ParameterError, match="resample_size"):
        bootstrap_skewness_adjusted(np.arange(10.0), resample_size=2)


def test_horizon_past_the_data_is_skipped_by_default_with_the_reason():
    events = pd.DataFrame({"ticker": ["FB", "FB", "AAPL"], "event_date": ["2018-03-19", "2019-06-03", "2018-01-03"]})
    result = run_long_horizon(events, (0, 250))
    assert list(result.events["ticker"]) == ["FB", "AAPL"]
    reason = result.skipped.loc[1, "reason"]
    assert reason == "horizon: day +250 is past the last day of the data, 2019-12-31"


def test_truncate_holds_to_the_last_day_of_the_data_and_says_so(data_dir):
    events = pd.DataFrame({"ticker": ["FB", "FB", "AAPL"], "event_date": ["2018-03-19", "2019-06-03", "2018-01-03"]})
    result = run_long_horizon(events, (0, 250), past_data="truncate")
    row = result.events.loc[1]
    stock = raw_returns(data_dir, "FB")
    days = len(stock.loc["2019-06-03":])
    assert row.truncated and row.n_days == days < 251 and row.end == pd.Timestamp("2019-12-31")
    assert row.bhar == pytest.approx(direct_bhar(data_dir, "FB", "^GSPC", "2019-06-03", 0, 250, days), abs=1e-12)
    assert row.note.endswith(f"held {days} of 251 days")
    assert result.to_dict()["events"][1]["truncated"] is True


def test_missing_returns_of_the_benchmark_skip_or_truncate_with_the_date():
    # SNAP starts on 2017-03-02: a horizon from 2016 has no SNAP returns at its start
    events = pd.DataFrame({"ticker": ["TWTR", "FB", "AAPL"], "event_date": ["2016-10-27"] * 3,
                           "peer": ["SNAP", "GOOGL", "GOOGL"]})
    result = run_long_horizon(events, (0, 50), "peer")
    assert result.skipped.loc[0, "reason"] == "horizon: no return of SNAP on 2016-10-27"
    truncated = run_long_horizon(events, (0, 50), "peer", past_data="truncate")
    assert "no day left to hold" in truncated.skipped.loc[0, "reason"]


def test_day0_outside_the_data_is_skipped_never_moved_and_weekends_move_to_the_next_session():
    events = pd.DataFrame({"ticker": ["FB", "FB", "FB", "FB"],
                           "event_date": ["2015-06-01", "2020-03-02", "2018-08-04", "2018-08-06T16:30-04:00"]})
    result = run_long_horizon(events, (0, 10))
    assert "2015-06-01 is outside the data's trading days 2016-01-05..2019-12-31" in result.skipped.loc[0, "reason"]
    assert "2020-03-02 is outside the data's trading days 2016-01-05..2019-12-31" in result.skipped.loc[1, "reason"]
    assert list(result.events["day0"]) == [pd.Timestamp("2018-08-06"), pd.Timestamp("2018-08-07")]
    strict = run_long_horizon(events.iloc[2:], (0, 10), non_session="raise")
    assert "is not a trading day of the data" in strict.skipped["reason"].iloc[0]


def test_a_hand_worked_panel_and_a_market_series_brought_by_the_caller():
    dates = pd.bdate_range("2020-01-01", periods=6)
    returns = pd.DataFrame({"A": [0.01] * 6, "B": [0.0, 0.1, -0.1, 0.2, np.nan, 0.0]}, index=dates)
    market = pd.Series([0.0, 0.0, 0.02, 0.0, 0.0, 0.0], index=dates, name="M")
    events = pd.DataFrame({"ticker": ["A", "A", "B"], "event_date": ["2020-01-01", "2020-01-02", "2020-01-02"]})
    result = run_long_horizon(events, (0, 2), returns=returns, market=market, past_data="truncate")
    assert result.events["bhar"].to_numpy() == pytest.approx(
        [1.01**3 - 1.02, 1.01**3 - 1.02, 1.1 * 0.9 * 1.2 - 1 - 0.02], abs=1e-14)
    later = run_long_horizon(events, (1, 3), returns=returns, market=market, past_data="truncate")
    b = later.events.loc[2]
    assert b.n_days == 2 and b.bhar == pytest.approx(0.9 * 1.2 - 1.02, abs=1e-14)
    assert later.events.loc[2, "note"].startswith("horizon: no return of B on 2020-01-07")


def test_a_market_column_in_the_events_file_is_each_events_market(data_dir):
    events = pd.DataFrame({"ticker": ["FB", "AAPL"], "event_date": ["2018-03-19", "2018-03-19"],
                           "market": ["QQQ", ""]})
    result = run_long_horizon(events, (0, 20))
    assert list(result.events["benchmark_ticker"]) == ["QQQ", "^GSPC"]
    assert result.events["bhar"].iloc[0] == pytest.approx(
        direct_bhar(data_dir, "FB", "QQQ", "2018-03-19", 0, 20), abs=1e-12)


def test_bad_requests_name_the_parameter():
    with pytest.raises(ParameterError, match="horizon"):
        run_long_horizon(EVENTS, (10, 0))
    with pytest.raises(ParameterError, match="past_data"):
        run_long_horizon(EVENTS, (0, 10), past_data="shorten")
    with pytest.raises(ParameterError, match="benchmark: 'industry'"):
        run_long_horizon(EVENTS, (0, 10), "industry")
    with pytest.raises(ParameterError, match="^n_bootstrap: 0"):
        run_long_horizon(EVENTS, (0, 10), n_bootstrap=0)
    with pytest.raises(ParameterError, match="^resample_size: 2"):
        run_long_horizon(EVENTS, (0, 10), resample_size=2)
    with pytest.raises(DataError, match="none of 1 events"):
        run_long_horizon(pd.DataFrame({"ticker": ["XYZ"], "event_date": ["2018-01-03"]}), (0, 10))


def test_an_unknown_ticker_or_benchmark_security_is_skipped_with_the_reason():
    events = pd.DataFrame({"ticker": ["FB", "XYZ", "AAPL"], "event_date": ["2018-01-03"] * 3,
                           "peer": ["GOOGL", "GOOGL", "NOPE"]})
    result = run_long_horizon(events, (0, 10), "peer")
    assert "'XYZ' has no data" in result.skipped.loc[1, "reason"]
    assert "'NOPE' has no data" in result.skipped.loc[2, "reason"]


def test_json_has_the_issue_keys_and_only_finite_numbers():
    result = run_long_horizon(EVENTS, (0, 250), seed=1, resample_size=4)
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"horizon", "benchmark", "n_events", "events", "mean_bhar", "tests", "skipped"} <= set(payload)
    assert payload["horizon"] == [0, 250] and payload["benchmark"] == "market"
    assert set(payload["events"][0]) >= {"ticker", "event_date", "day0", "bhar", "n_days"}
    assert [t["name"] for t in payload["tests"]] == ["t", "skewness_adjusted_t", "bootstrap_skewness_adjusted_t"]
    assert "Mean BHAR" in result.summary() and "_start" not in result.to_frame()


def test_regress_bhar_on_a_column_of_the_events_file_equals_statsmodels():
    result = run_long_horizon(EVENTS, (0, 250), seed=1)
    fit = result.regress("bhar ~ size", cov="hc1")
    frame = result.to_frame().assign(size=pd.to_numeric(EVENTS["size"].replace("", np.nan)))
    direct = smf.ols("bhar ~ size", frame.dropna(subset=["size"])).fit(cov_type="HC1", use_t=True)
    np.testing.assert_allclose(fit.params.to_numpy(), direct.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.bse.to_numpy(), direct.bse.to_numpy(), rtol=1e-10)
    assert fit.nobs == 7 and fit.n_dropped == 1


def test_plot_bhar_paths_draws_the_mean_and_its_band():
    result = run_long_horizon(EVENTS, (0, 120), seed=1)
    ax = plot_bhar_paths(result)
    assert len(ax.lines) == result.n_events + 2  # the events, the mean, the zero line
    assert ax.collections  # the band


def test_cli_longrun_prints_json(capsys, tmp_path):
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["longrun", str(path), "--horizon", "0", "250", "--benchmark", "peer",
                 "--past-data", "truncate", "--resample-size", "4", "--seed", "3", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["benchmark"] == "peer" and payload["n_events"] == 7 and len(payload["tests"]) == 3
    assert payload["skipped"][0]["reason"] == "horizon: no return of SNAP on 2016-10-27; no day left to hold"


def test_cli_longrun_summary_and_one_line_errors(capsys, tmp_path):
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["longrun", str(path), "--horizon", "0", "20"]) == 0
    assert "Mean BHAR" in capsys.readouterr().out
    assert main(["longrun", str(path), "--horizon", "0", "20", "--benchmark", "industry"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: error: benchmark: 'industry' is not allowed") and err.count("\n") == 1


def test_a_panel_brought_by_the_caller_is_checked():
    dates = pd.bdate_range("2020-01-01", periods=6)
    events = pd.DataFrame({"ticker": ["A"], "event_date": ["2020-01-02"]})
    good = pd.DataFrame({"A": [0.01] * 6, "M": [0.0] * 6}, index=dates)
    with pytest.raises(ParameterError, match="^returns: 'DataFrame' is not allowed; give a DataFrame .* indexed by date"):
        run_long_horizon(events, (0, 2), returns=good.reset_index(drop=True), market="M")
    with pytest.raises(DataError, match=r"^returns \(the frame\): column 'A' has 6 daily return\(s\) below -100%"):
        run_long_horizon(events, (0, 2), returns=good.assign(A=-1.5), market="M")
    with pytest.raises(ParameterError, match="^market: 'SPX' is not allowed; name a column of returns"):
        run_long_horizon(events, (0, 2), returns=good, market="SPX")
    with pytest.raises(ParameterError, match="^returns: None is not allowed; give a returns panel"):
        run_long_horizon(events, (0, 2), market=good["M"])


def test_long_horizons_and_calendar_time_from_yahoo_then_the_cache(monkeypatch, tmp_path, data_dir, capsys):
    """source='yahoo' fetches (yfinance's network answer faked) what the horizons need; the
    numbers equal the snapshot's; source='cache' then runs offline with no request."""
    from fake_yahoo import FakeYahoo, snapshot_history

    from eventstudy.studies.calendar_time import run_calendar_time
    from eventstudy.cli import main

    fake = FakeYahoo().install(monkeypatch, tmp_path)
    for ticker, symbol in [("FB", "META"), ("^GSPC", "^GSPC"), ("AAPL", "AAPL"), ("AMZN", "AMZN")]:
        fake.histories[symbol] = snapshot_history(data_dir, ticker)
    events = pd.DataFrame({"ticker": ["FB", "AAPL", "AMZN"],
                           "event_date": ["2018-03-19", "2018-05-02", "2018-10-26"]})
    cache = tmp_path / "cache"
    live = run_long_horizon(events, (0, 40), source="yahoo", cache_dir=cache, seed=1)
    snapshot = run_long_horizon(events, (0, 40), seed=1)
    assert_allclose(live.events["bhar"].to_numpy(), snapshot.events["bhar"].to_numpy(), rtol=1e-12)
    assert sorted(set(fake.symbols_requested())) == ["AAPL", "AMZN", "META", "^GSPC"]
    fake.requests.clear()
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert main(["longrun", str(path), "--horizon", "0", "40", "--source", "cache",
                 "--cache-dir", str(cache), "--seed", "1", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert_allclose([e["bhar"] for e in payload["events"]], snapshot.events["bhar"].to_numpy(), rtol=1e-12)
    assert fake.requests == []
    from eventstudy.studies.inputs import load_factor_sets

    factors = load_factor_sets(("ff3",), None)  # the cache holds no factors: give them
    cached = run_calendar_time(events, (0, 40), "capm", source="cache", cache_dir=cache, factors=factors)
    direct = run_calendar_time(events, (0, 40), "capm")
    assert cached.alpha == pytest.approx(direct.alpha, rel=1e-10)
