"""The single-event study against an independent computation and hand-worked cases."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from math import atan, pi, sqrt

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import EventStudy, run_event_study
from eventstudy.formatting import preformatted_html
from eventstudy.exceptions import DataError, ParameterError, UnknownTickerError, WindowError
from independent import reference_study

CASES = [
    ("FB", "2018-08-06", "^GSPC", "market", (-250, -11), (-1, 1)),
    ("FB", "2018-08-06", "SPY", "market", (-250, -11), (-1, 1)),
    ("FB", "2018-08-06", "^GSPC", "constant_mean", (-250, -11), (-1, 1)),
    ("FB", "2018-08-06", "^GSPC", "market_adjusted", (-250, -11), (-1, 1)),
    ("FB", "2018-07-26", "^GSPC", "market", (-120, -6), (-5, 5)),
    ("JPM", "2018-08-06", "^GSPC", "market", (-250, -11), (0, 0)),
    ("WFC", "2018-08-06", "SPY", "market", (-200, -21), (-20, 20)),
    ("C", "2018-08-06", "^GSPC", "constant_mean", (-100, -2), (-1, 3)),
    ("USB", "2018-08-06", "^IXIC", "market_adjusted", (-250, -11), (-2, 2)),
    ("SNAP", "2018-02-07", "^GSPC", "market", (-200, -11), (0, 1)),
    ("AAPL", "2019-01-03", "QQQ", "market", (-250, -11), (-1, 1)),
    ("FB", "2018-03-19", "^GSPC", "market", (5, 100), (-1, 1)),  # estimation after the event
    ("FB", "2018-08-06", "^GSPC", "capm", (-250, -11), (-1, 1)),
    ("FB", "2018-08-06", "^GSPC", "ff3", (-250, -11), (-1, 1)),
    ("JPM", "2018-08-06", "^GSPC", "carhart", (-250, -11), (-3, 3)),
    ("WFC", "2018-08-06", "^GSPC", "ff5", (-250, -11), (-1, 1)),
    ("TWTR", "2018-07-27", "SPY", "scholes_williams", (-250, -11), (-1, 1)),
    ("SNAP", "2018-08-08", "^GSPC", "dimson", (-250, -11), (-2, 2)),
    ("USB", "2019-12-30", "^GSPC", "ff3", (-120, -2), (-1, 0)),  # factors to the last day
]


@pytest.mark.parametrize("ticker,event,market,model,estimation,window", CASES)
def test_matches_independent_computation(data_dir, ticker, event, market, model, estimation, window):
    result = run_event_study(
        ticker, event, market=market, model=model, estimation=estimation, window=window
    )
    ref = reference_study(
        data_dir, ticker, dt.date.fromisoformat(event), market, model, estimation, window
    )
    days = result.days
    assert [d.date() for d in days["date"]] == ref.dates
    assert list(days.index) == list(range(window[0], window[1] + 1))
    assert result.fit.nobs == len(ref.estimation_dates) == estimation[1] - estimation[0] + 1
    assert result.fit.df == ref.df
    assert result.timing.estimation_dates[0].date() == ref.estimation_dates[0]
    assert result.timing.estimation_dates[-1].date() == ref.estimation_dates[-1]
    assert_allclose(result.fit.sigma, ref.sigma, rtol=1e-10)
    assert result.params.index.tolist() == list(ref.params)
    assert_allclose(result.params.to_numpy(), list(ref.params.values()), rtol=1e-9, atol=1e-13)
    for column, expected in [
        ("return", ref.returns), ("expected", ref.expected), ("abnormal", ref.abnormal),
        ("se", ref.se), ("t", ref.t), ("p", ref.p),
    ]:
        assert_allclose(days[column].to_numpy(), expected, rtol=1e-9, atol=1e-13, err_msg=column)
    car = result.car
    assert (car.start, car.end) == window
    assert_allclose(
        [car.value, car.se, car.t, car.p, car.ci_low, car.ci_high],
        [ref.car, ref.car_se, ref.car_t, ref.car_p, *ref.car_ci],
        rtol=1e-9, atol=1e-13,
    )


def test_flagship_headline_numbers_match_sources_md():
    """SOURCES.md: FB +4.449% and ^GSPC +0.354% close to close on 2018-08-06."""
    result = run_event_study("FB", "2018-08-06")
    day0 = result.days.loc[0]
    assert day0["date"] == pd.Timestamp("2018-08-06")
    assert round(day0["return"] * 100, 3) == 4.449
    assert round(day0["market"] * 100, 3) == 0.354


def _synthetic(stock: list[float], market: list[float]) -> tuple[pd.Series, pd.Series]:
    dates = pd.bdate_range("2024-01-01", periods=len(stock))
    return pd.Series(stock, index=dates, name="S"), pd.Series(market, index=dates, name="M")


def test_market_model_hand_worked():
    """Worked by hand (fractions). Estimation: Rm = -1%, 0, 1%; R = -1%, 2%, 2%.

    mean Rm = 0, Sxx = 2e-4, Sxy = 3e-4, so beta = 1.5, alpha = 0.01; residuals -0.005, 0.01,
    -0.005; SSR = 1.5e-4, s^2 = SSR / (3 - 2) = 1.5e-4.
    Day 0: Rm = 2%, R = 5%: E = 0.01 + 1.5 * 0.02 = 4%, AR = 1%,
    var = s^2 (1 + 1/3 + 0.02^2 / 2e-4) = 5e-4, t = 0.01 / sqrt(5e-4) = 1/sqrt(5).
    Day 1: Rm = -1%, R = -1%: E = -0.5%, AR = -0.5%, var = s^2 (1 + 1/3 + 1/2) = 2.75e-4,
    cov(day 0, day 1) = s^2 (1/3 + 0.02 * -0.01 / 2e-4) = -1e-4.
    CAR = 0.5%, var = 5e-4 + 2.75e-4 - 2e-4 = 5.75e-4. With 1 df, t is Cauchy:
    p = 1 - (2/pi) atan|t|.
    """
    stock, market = _synthetic([-0.01, 0.02, 0.02, 0.05, -0.01], [-0.01, 0.0, 0.01, 0.02, -0.01])
    result = EventStudy("market", estimation=(-3, -1), window=(0, 1)).run(stock, market, "2024-01-04")
    assert_allclose(result.params.to_numpy(), [0.01, 1.5], atol=1e-15)
    assert result.fit.df == 1
    assert_allclose(result.fit.sigma**2, 1.5e-4, rtol=1e-12)
    assert_allclose(result.days["expected"], [0.04, -0.005], atol=1e-15)
    assert_allclose(result.days["abnormal"], [0.01, -0.005], atol=1e-15)
    assert_allclose(result.covariance.to_numpy(), [[5e-4, -1e-4], [-1e-4, 2.75e-4]], rtol=1e-12)
    t0 = 1 / sqrt(5)
    assert_allclose(result.days.loc[0, "t"], t0, rtol=1e-12)
    assert_allclose(result.days.loc[0, "p"], 1 - 2 / pi * atan(t0), rtol=1e-12)
    car = result.car
    assert_allclose([car.value, car.se**2], [0.005, 5.75e-4], rtol=1e-12)
    # 95% CI with 1 df: critical value tan(pi * 0.975 - pi / 2) = 12.706...
    crit = np.tan(pi * (0.975 - 0.5))
    assert_allclose([car.ci_low, car.ci_high], [0.005 - crit * sqrt(5.75e-4), 0.005 + crit * sqrt(5.75e-4)])


def test_constant_mean_hand_worked():
    """R = 1%, 2%, 3% then 5%: mu = 2%, s^2 = (1e-4 + 0 + 1e-4) / 2 = 1e-4,
    AR = 3%, var = s^2 (1 + 1/3), t = 0.03 / sqrt(4/3 * 1e-4) = 3 sqrt(3) / 2."""
    stock, market = _synthetic([0.01, 0.02, 0.03, 0.05], [0.0, 0.0, 0.0, 0.0])
    result = EventStudy("constant_mean", estimation=(-3, -1), window=(0, 0)).run(stock, market, "2024-01-04")
    mu = float(Fraction(1, 100) + Fraction(2, 100) + Fraction(3, 100)) / 3
    assert_allclose(result.params["mu"], mu, rtol=1e-14)
    assert_allclose(result.days.loc[0, "abnormal"], 0.03, rtol=1e-12)
    assert_allclose(result.days.loc[0, "t"], 3 * sqrt(3) / 2, rtol=1e-12)
    assert_allclose(result.days.loc[0, "p"], 2 * stats.t.sf(3 * sqrt(3) / 2, 2), rtol=1e-12)


def test_market_adjusted_hand_worked():
    """R - Rm = 1%, -1%, 3% (mean 1%, sample variance ((0)^2 + 2^2 + 2^2) 1e-4 / 2 = 4e-4)."""
    stock, market = _synthetic([0.02, 0.0, 0.04, 0.05, 0.01], [0.01, 0.01, 0.01, 0.01, 0.02])
    result = EventStudy("market_adjusted", estimation=(-3, -1), window=(0, 1)).run(stock, market, "2024-01-04")
    assert result.params.empty
    assert result.fit.df == 2
    assert_allclose(result.fit.sigma, 0.02, rtol=1e-12)
    assert_allclose(result.days["abnormal"], [0.04, -0.01], atol=1e-15)
    assert_allclose(result.days["se"], [0.02, 0.02], rtol=1e-12)
    assert_allclose(result.car.se, 0.02 * sqrt(2), rtol=1e-12)


def test_car_path_and_subwindows_are_sums_of_the_covariance():
    result = run_event_study("FB", "2018-08-06", window=(-3, 3), estimation=(-250, -11))
    cov = result.covariance.to_numpy()
    ar = result.days["abnormal"].to_numpy()
    path = result.car_path
    for i, day in enumerate(range(-3, 4)):
        assert_allclose(path.loc[day, "car"], ar[: i + 1].sum(), rtol=1e-12)
        assert_allclose(path.loc[day, "se"], np.sqrt(cov[: i + 1, : i + 1].sum()), rtol=1e-12)
    sub = result.cumulative(0, 1)
    assert_allclose(sub.value, ar[3:5].sum(), rtol=1e-12)
    assert_allclose(sub.se, np.sqrt(cov[3:5, 3:5].sum()), rtol=1e-12)
    # The market-model ARs are correlated through the shared estimates: the full covariance
    # differs from the diagonal-only approximation.
    assert not np.isclose(result.car.se, np.sqrt(np.trace(cov)), rtol=1e-6)
    with pytest.raises(ParameterError, match=r"start, end: \(-5, 0\) is not allowed; stay inside"):
        result.cumulative(-5, 0)


def test_conf_int_matches_statsmodels(data_dir):
    import statsmodels.api as sm

    result = run_event_study("FB", "2018-08-06", level=0.9)
    est = result.estimation_data
    fit = sm.OLS(est["return"].to_numpy(), sm.add_constant(est["market"].to_numpy())).fit()
    pred = fit.get_prediction(sm.add_constant(result.days["market"].to_numpy(), has_constant="add"))
    frame = pred.summary_frame(alpha=0.1)
    realised = result.days["return"].to_numpy()
    # An AR interval is the realised return minus the prediction interval of a new observation.
    ci = result.conf_int()
    assert_allclose(ci["lower"], realised - frame["obs_ci_upper"].to_numpy(), rtol=1e-9)
    assert_allclose(ci["upper"], realised - frame["obs_ci_lower"].to_numpy(), rtol=1e-9)


def test_weekend_event_moves_to_monday_and_says_so():
    result = run_event_study("FB", "2018-08-04")
    assert result.day0 == pd.Timestamp("2018-08-06")
    assert result.day0_shifted
    assert result.to_dict()["event_date"] == "2018-08-04"
    assert result.to_dict()["day0"] == "2018-08-06"
    assert "2018-08-04 is not a NYSE session: day 0 moved to the next session, 2018-08-06" in result.summary()
    after_close = run_event_study("FB", "2018-07-25T16:05-04:00")
    assert after_close.day0 == pd.Timestamp("2018-07-26") and after_close.day0_shifted
    assert "2018-07-25 16:05 America/New_York is at or after the 16:00 close" in after_close.summary()
    assert "not a trading day" not in after_close.summary()
    same = run_event_study("FB", "2018-08-06")
    assert not same.day0_shifted
    assert_allclose(result.days["abnormal"], same.days["abnormal"], rtol=0)


def test_holiday_closure_moves_to_next_session():
    """NYSE closed on 2018-12-05 (national day of mourning for George H. W. Bush)."""
    result = run_event_study("FB", "2018-12-05")
    assert result.day0 == pd.Timestamp("2018-12-06")
    assert result.days.loc[-1, "date"] == pd.Timestamp("2018-12-04")


def test_result_is_immutable_and_summary_mentions_all_parts():
    result = run_event_study("FB", "2018-08-06")
    with pytest.raises(AttributeError):
        result.ticker = "X"  # type: ignore[misc]
    text = str(result)
    for piece in ["FB", "market model", "^GSPC", "(-250, -11)", "2017-08-08 .. 2018-07-20",
                  "240 returns, df 238", "CAR(-1, +1)", "95% CI"]:
        assert piece in text
    html = result._repr_html_()
    assert html.startswith('<pre style="font-family: monospace') and "CAR(-1, +1)" in html
    assert "&lt;" not in html and preformatted_html("a<b & c").endswith(">a&lt;b &amp; c</pre>")


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"model": "fama_macbeth"}, ParameterError, "model: 'fama_macbeth' is not allowed; choose one of constant_mean, market_adjusted, market, capm, ff3, carhart, ff5, scholes_williams, dimson"),
        ({"window": (2, 1)}, ParameterError, "window: (2, 1) is not allowed; the window must not end before it starts"),
        ({"estimation": (-10, -20)}, ParameterError, "estimation: (-10, -20) is not allowed"),
        ({"window": (0.5, 1)}, ParameterError, "window: (0.5, 1) is not allowed; start and end must be whole numbers"),
        ({"window": 3}, ParameterError, "window: 3 is not allowed; give two relative days"),
        ({"estimation": (-250, 0)}, ParameterError, "estimation: (-250, 0) is not allowed; the estimation window must not overlap the event window (-1, +1)"),
        ({"level": 1.5}, ParameterError, "level: 1.5 is not allowed; give a confidence level strictly between 0 and 1"),
        ({"market": "FOO"}, UnknownTickerError, "market: 'FOO' has no data in the committed snapshot; available: AAPL"),
        ({"ticker": "XYZ"}, UnknownTickerError, "ticker: 'XYZ' has no data in the committed snapshot; available: AAPL"),
        ({"event_date": "2018-02-30"}, ParameterError, "event_date: '2018-02-30' is not allowed; give a calendar date as YYYY-MM-DD"),
        ({"event_date": "2016-03-01"}, WindowError, "event_date: '2016-03-01' has too little history: the windows start on day -250, which needs 250 trading day(s) before day 0 (2016-03-01), but the data have 38 (first return on 2016-01-05)"),
        ({"event_date": "2019-12-31"}, WindowError, "event_date: '2019-12-31' has too few trading days after it: the windows end on day +1"),
        ({"event_date": "2020-06-01"}, WindowError, "event_date: '2020-06-01' is after the last trading day with data (2019-12-31)"),
        ({"ticker": "SNAP", "event_date": "2017-06-01"}, WindowError, "too little history for 'SNAP': the estimation window starts on 2016-06-03, but the first return available for 'SNAP' is on 2017-03-03"),
        ({"estimation": (-3, -2)}, ParameterError, "estimation: (-3, -2) is not allowed; the market model needs an estimation window of at least 3 days"),
        ({"min_estimation": 300}, ParameterError, "min_estimation: 300 is not allowed; give a whole number of returns from 3 (what the market model needs) to 240 (the estimation window's length)"),
        ({"ticker": "SNAP", "event_date": "2018-02-07", "estimation": (-250, -11)}, WindowError, "too little history for 'SNAP'"),
    ],
)
def test_bad_requests_raise_clear_errors(kwargs, error, message):
    args = {"ticker": "FB", "event_date": "2018-08-06", **kwargs}
    with pytest.raises(error) as info:
        run_event_study(args.pop("ticker"), args.pop("event_date"), **args)
    assert message in str(info.value)


def test_missing_estimation_returns_are_left_out_and_reported():
    stock, market = _synthetic([0.01, 0.02, np.nan, 0.01, 0.02, 0.03], [0.0, 0.01, 0.0, 0.01, 0.0, 0.01])
    # Default minimum: 80% of the 4-day window = 4 valid returns; 3 are there.
    with pytest.raises(DataError, match=r"min_estimation: 'S' has 3 valid returns in the estimation window \(-4, -1\) \(1 missing\), fewer than the 4 required"):
        EventStudy("constant_mean", estimation=(-4, -1), window=(0, 1)).run(stock, market, "2024-01-05")
    result = EventStudy("constant_mean", estimation=(-4, -1), window=(0, 1), min_estimation=3).run(
        stock, market, "2024-01-05"
    )
    assert result.fit.nobs == 3 and result.n_missing == 1 and result.fit.df == 2
    assert result.params["mu"] == pytest.approx((0.01 + 0.02 + 0.01) / 3, rel=1e-14)
    assert list(result.estimation_data["rel_day"]) == [-4, -3, -1]
    assert result.to_dict()["estimation"]["missing"] == 1
    assert "3 returns (1 days missing, left out), df 2" in result.summary()


def test_missing_event_window_return_is_an_error_not_a_nan():
    stock, market = _synthetic([0.01, 0.02, 0.0, 0.01, np.nan, 0.03], [0.0, 0.01, 0.0, 0.01, 0.0, 0.01])
    with pytest.raises(DataError, match=r"window: no 'S' return on 1 event-window day\(s\): 2024-01-05"):
        EventStudy("constant_mean", estimation=(-4, -1), window=(0, 1)).run(stock, market, "2024-01-05")


def test_factor_models_need_factors():
    stock = pd.Series(np.linspace(-0.01, 0.02, 10) ** 2, index=pd.bdate_range("2024-01-01", periods=10), name="S")
    market = pd.Series(np.linspace(0.01, -0.01, 10), index=stock.index, name="M")
    study = EventStudy("ff3", estimation=(-8, -1), window=(0, 1))
    with pytest.raises(ParameterError, match=r"factors: None is not allowed; the Fama-French 3-factor model needs daily factors \(ff3\)"):
        study.run(stock, market, "2024-01-11")
    factors = pd.DataFrame({"Mkt-RF": 0.0, "SMB": 0.0, "HML": 0.0, "RF": 0.0}, index=stock.index[:8])
    with pytest.raises(DataError, match=r"window: no ff3 model input 'Mkt-RF' on 2 event-window day\(s\): 2024-01-11, 2024-01-12"):
        study.run(stock, market, "2024-01-11", factors=factors)


def test_dimson_needs_the_next_days_market_return():
    with pytest.raises(DataError, match="window: no dimson model input 'market_lead1' on 1 event-window day\\(s\\): 2019-12-31"):
        run_event_study("FB", "2019-12-30", model="dimson", window=(0, 1), estimation=(-100, -1))


def test_bhar_compounds_realised_and_expected_returns():
    """BHAR by hand: prod(1 + R) - prod(1 + E[R]) over the window, and over a sub-window."""
    result = run_event_study("FB", "2018-08-06", window=(-2, 2))
    r, e = result.days["return"], result.days["expected"]
    by_hand = (1 + r).prod() - (1 + e).prod()
    assert result.bhar == pytest.approx(by_hand, rel=1e-12)
    assert result.buy_and_hold(0, 0) == pytest.approx(result.days.loc[0, "abnormal"], rel=1e-12)
    assert result.to_dict()["bhar"] == {"start": -2, "end": 2, "value": result.bhar}
    assert result.bhar != pytest.approx(result.car.value, rel=1e-6)  # compounding differs


def test_exact_fit_is_refused_rather_than_dividing_by_zero():
    stock, market = _synthetic([0.01] * 6, [0.0, 0.01, 0.0, 0.01, 0.0, 0.01])
    with pytest.raises(DataError, match="fits 'S' exactly over the estimation window"):
        EventStudy("constant_mean", estimation=(-4, -1), window=(0, 1)).run(stock, market, "2024-01-05")


def test_an_exact_linear_stock_is_refused_by_both_paths():
    """Rounding-level residuals are an exact fit in the single path and in the batch engine."""
    from eventstudy.engine.batch import batch_event_study

    market = pd.Series(np.random.default_rng(3).normal(0, 0.01, 30), index=pd.bdate_range("2024-01-01", periods=30), name="M")
    stock = (0.0003 + 1.7 * market).rename("S")
    study = EventStudy("market", estimation=(-20, -2), window=(0, 1))
    with pytest.raises(DataError, match="fits 'S' exactly over the estimation window"):
        study.run(stock, market, market.index[25])
    batch = batch_event_study(pd.DataFrame({"S": stock}), pd.DataFrame({"security": ["S"], "event_date": [market.index[25]]}),
                              market, estimation=(-20, -2), window=(0, 1))
    assert "fits 'S' exactly" in batch.skipped["reason"].iloc[0]
