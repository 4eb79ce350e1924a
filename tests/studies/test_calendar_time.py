"""Calendar-time portfolio alphas against a portfolio built by hand (a loop over periods, on
returns and factors read straight from the CSV files) and statsmodels OLS with the same
covariance."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from eventstudy.exceptions import SmallSampleWarning
import statsmodels.api as sm

from eventstudy.report.horizon_charts import plot_cumulative_alpha
from eventstudy.studies.calendar_time import newey_west_lags, run_calendar_time
from eventstudy.cli import main
from eventstudy.exceptions import DataError, ParameterError

EVENTS = pd.DataFrame({
    "ticker": ["FB", "FB", "FB", "FB", "AAPL", "AMZN", "GOOGL", "AAPL", "AMZN", "GOOGL", "TWTR", "SNAP",
               "FB"],
    "event_date": ["2018-03-19", "2018-04-26", "2018-07-26", "2018-08-06", "2018-08-01", "2018-07-27",
                   "2018-07-24", "2019-01-30", "2018-10-26", "2018-10-26", "2018-07-27", "2017-05-11",
                   "2019-10-31"],
    "cap": ["5", "5", "4", "4", "9", "8", "7", "7", "8", "7", "0.3", "0.2", "5"],
})

FACTORS = {"capm": ["market"], "ff3": ["Mkt-RF", "SMB", "HML"], "carhart": ["Mkt-RF", "SMB", "HML", "Mom"],
           "ff5": ["Mkt-RF", "SMB", "HML", "RMW", "CMA"]}


def raw_panel(data_dir, tickers):
    """Adj Close returns of the tickers on ^GSPC's dates, read from the CSV files."""
    columns = {}
    for ticker in tickers:
        frame = pd.read_csv(data_dir / "prices" / f"{ticker.removeprefix('^')}.csv", parse_dates=["Date"],
                            index_col="Date")
        columns[ticker] = frame["Adj Close"]
    prices = pd.DataFrame(columns)
    prices = prices.reindex(pd.read_csv(data_dir / "prices" / "GSPC.csv", parse_dates=["Date"])["Date"])
    return prices.pct_change(fill_method=None).iloc[1:]


def raw_factors(data_dir, model):
    files = {"capm": ["ff3"], "ff3": ["ff3"], "carhart": ["ff3", "mom"], "ff5": ["ff5"]}[model]
    frames = [pd.read_csv(data_dir / "factors" / f"{name}_daily.csv", parse_dates=["Date"], index_col="Date")
              for name in files]
    return pd.concat(frames, axis=1) / 100.0


def fit_like(y, x, cov, lags):
    design = sm.add_constant(np.asarray(x, dtype=float), has_constant="add")
    if cov == "hac":
        return sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    return sm.OLS(y, design).fit(cov_type={"white": "HC0", "ols": "nonrobust"}[cov], use_t=True)


def hand_daily(data_dir, events, horizon, model, weights=None, min_size=1):
    """One period at a time: who is held, their returns, the portfolio, its excess return."""
    tickers = sorted(set(events["ticker"]))
    panel = raw_panel(data_dir, [*tickers, "^GSPC"])
    factors = raw_factors(data_dir, model).reindex(panel.index)
    dates = list(panel.index)
    day0 = [dates.index(pd.Timestamp(d)) for d in events["event_date"]]
    rows = []
    for t, date in enumerate(dates):
        held: dict[str, list[float]] = {}
        for i, (ticker, pos) in enumerate(zip(events["ticker"], day0)):
            if pos + horizon[0] <= t <= pos + horizon[1]:
                held.setdefault(ticker, []).append(1.0 if weights is None else float(events[weights].iloc[i]))
        members = [(np.mean(w), panel.at[date, s]) for s, w in held.items() if not np.isnan(panel.at[date, s])]
        if len(members) < max(1, min_size):
            continue
        w = np.array([m[0] for m in members])
        r = np.array([m[1] for m in members])
        rf = factors.at[date, "RF"]
        x = [panel.at[date, "^GSPC"] - rf] if model == "capm" else list(factors.loc[date, FACTORS[model]])
        rows.append((date, float(np.sum(w * r) / np.sum(w)) - rf, x, len(members)))
    return rows


@pytest.mark.parametrize("model", ["capm", "ff3", "carhart", "ff5"])
@pytest.mark.parametrize("cov", ["hac", "white", "ols"])
def test_daily_alpha_equals_a_hand_built_portfolio_and_statsmodels(data_dir, model, cov):
    result = run_calendar_time(EVENTS, (1, 120), model, cov=cov)
    rows = hand_daily(data_dir, EVENTS, (1, 120), model)
    y = np.array([r[1] for r in rows])
    lags = math.floor(4 * (len(y) / 100) ** (2 / 9))
    direct = fit_like(y, [r[2] for r in rows], cov, lags)
    assert result.n_periods == len(rows)
    assert list(result.portfolio.index) == [r[0] for r in rows]
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=0, atol=1e-10)
    assert result.alpha == pytest.approx(direct.params[0], abs=1e-10)
    assert result.se == pytest.approx(direct.bse[0], abs=1e-10)
    assert result.t == pytest.approx(direct.tvalues[0], rel=1e-8)
    assert result.p == pytest.approx(direct.pvalues[0], abs=1e-10)
    assert result.rsquared == pytest.approx(direct.rsquared, abs=1e-10)
    assert result.lags == (lags if cov == "hac" else None)
    assert result.mean_size == pytest.approx(np.mean([r[3] for r in rows]))
    assert result.min_size == min(r[3] for r in rows)


def test_weights_min_size_and_the_dropped_periods_match_the_hand_loop(data_dir):
    result = run_calendar_time(EVENTS, (0, 60), "ff3", weights="cap", min_size=3, cov="white")
    rows = hand_daily(data_dir, EVENTS, (0, 60), "ff3", weights="cap", min_size=3)
    direct = fit_like(np.array([r[1] for r in rows]), [r[2] for r in rows], "white", None)
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=0, atol=1e-10)
    every = hand_daily(data_dir, EVENTS, (0, 60), "ff3", weights="cap", min_size=1)
    assert result.dropped == {"too_few_securities": len(every) - len(rows), "no_factors": 0}
    assert result.min_size >= 3 and result.min_size_required == 3


def test_monthly_portfolio_compounds_daily_returns_and_factors_by_hand(data_dir):
    # few months for five coefficients: the result comes with a warning (tested below)
    with pytest.warns(SmallSampleWarning):
        result = run_calendar_time(EVENTS, (0, 5), "carhart", frequency="monthly")
    tickers = sorted(set(EVENTS["ticker"]))
    panel = raw_panel(data_dir, [*tickers, "^GSPC"])
    daily_factors = raw_factors(data_dir, "carhart").reindex(panel.index)
    month_of = panel.index.to_period("M")
    months = list(month_of.unique())
    event_month = [months.index(pd.Timestamp(d).to_period("M")) for d in EVENTS["event_date"]]
    rows = []
    for m, month in enumerate(months):
        days = panel.index[month_of == month]
        held = {s for s, em in zip(EVENTS["ticker"], event_month) if em <= m <= em + 5}
        monthly = []
        for s in sorted(held):
            r = panel.loc[days, s]
            if r.notna().all():
                monthly.append(np.prod(1 + r.to_numpy()) - 1)
        if not monthly:
            continue
        f = daily_factors.loc[days]
        rf = np.prod(1 + f["RF"]) - 1
        mkt = np.prod(1 + f["Mkt-RF"] + f["RF"]) - 1 - rf
        x = [mkt, *(np.prod(1 + f[c]) - 1 for c in ["SMB", "HML", "Mom"])]
        rows.append((month.to_timestamp(), np.mean(monthly) - rf, x))
    y = np.array([r[1] for r in rows])
    direct = fit_like(y, [r[2] for r in rows], "hac", math.floor(4 * (len(y) / 100) ** (2 / 9)))
    assert list(result.portfolio.index) == [r[0] for r in rows]
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=0, atol=1e-10)


def test_newey_west_lag_rule():
    assert [newey_west_lags(t) for t in (50, 100, 250, 1000)] == [
        math.floor(4 * (t / 100) ** (2 / 9)) for t in (50, 100, 250, 1000)] == [3, 4, 4, 6]


def test_cumulative_alpha_sums_alpha_and_residuals():
    result = run_calendar_time(EVENTS, (0, 60), "ff3")
    path = result.cumulative_alpha()
    fitted = result.portfolio[["Mkt-RF", "SMB", "HML"]].to_numpy() @ result.params.iloc[1:].to_numpy()
    np.testing.assert_allclose(path.to_numpy(), np.cumsum(result.portfolio["excess"].to_numpy() - fitted),
                               atol=1e-12)
    ax = plot_cumulative_alpha(result)
    assert len(ax.lines) == 3


def test_a_panel_and_factors_brought_by_the_caller():
    dates = pd.bdate_range("2021-01-04", periods=40)
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0, 0.01, size=(40, 3)), index=dates, columns=["A", "B", "M"])
    factors = pd.DataFrame({"RF": 0.0001, "Mkt-RF": returns["M"] - 0.0001}, index=dates)
    events = pd.DataFrame({"ticker": ["A", "B"], "event_date": ["2021-01-05", "2021-01-20"]})
    result = run_calendar_time(events, (0, 20), "capm", market="M", returns=returns, factors=factors, cov="ols")
    # the same regression by hand: days 1..21 hold A, days 12..32 hold B
    held = np.zeros((40, 2), dtype=bool)
    held[1:22, 0] = True
    held[12:33, 1] = True
    keep = held.any(axis=1)
    port = (returns[["A", "B"]].to_numpy() * held).sum(axis=1)[keep] / held.sum(axis=1)[keep]
    direct = fit_like(port - 0.0001, (returns["M"] - 0.0001).to_numpy()[keep, None], "ols", None)
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, atol=1e-12)


def test_bad_requests_name_the_parameter():
    for kwargs, name in [({"model": "ff4"}, "model"), ({"frequency": "weekly"}, "frequency"),
                         ({"cov": "hc3"}, "cov"), ({"min_size": 0}, "min_size"),
                         ({"weights": "mcap"}, "weights"), ({"hac_lags": -1}, "hac_lags")]:
        with pytest.raises(ParameterError, match=f"^{name}:"):
            run_calendar_time(EVENTS, (0, 10), **kwargs)
    with pytest.raises(DataError, match="periods have a portfolio"):
        run_calendar_time(EVENTS.iloc[:1], (0, 3), "ff5")


def test_events_outside_the_data_are_skipped_with_the_reason():
    events = pd.concat([EVENTS, pd.DataFrame({"ticker": ["FB", "XYZ"], "event_date": ["2021-01-04", "2018-01-03"]})],
                       ignore_index=True)
    result = run_calendar_time(events, (0, 10), "ff3")
    assert result.n_events == len(EVENTS)
    assert list(result.skipped["ticker"]) == ["FB", "XYZ"]
    assert "2021-01-04 is outside the data's trading days" in result.skipped["reason"].iloc[0]


def test_json_has_the_issue_keys(tmp_path, capsys):
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["calendar-time", str(path), "--horizon", "0", "5", "--model", "capm", "--frequency", "monthly",
                 "--cov", "white", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"model", "frequency", "cov", "alpha", "se", "t", "p", "params", "r2", "n_periods", "mean_size",
            "min_size"} <= set(payload)
    assert payload["model"] == "capm" and payload["frequency"] == "monthly" and payload["cov"] == "white"
    direct = run_calendar_time(EVENTS, (0, 5), "capm", frequency="monthly", cov="white")
    assert payload["alpha"] == direct.alpha and set(payload["params"]) == {"alpha", "mkt_rf"}
    json.dumps(direct.to_dict(), allow_nan=False)
    assert main(["calendar-time", str(path), "--horizon", "0", "5", "--min-size", "0"]) == 2
    assert capsys.readouterr().err.startswith("eventstudy: error: --min-size: 0 is not allowed")


def test_few_periods_per_coefficient_warn_and_the_header_reads_well():
    """Below MIN_PERIODS_PER_COEFFICIENT periods per coefficient the HAC t statistic is not to be
    trusted: a SmallSampleWarning says how many periods for how many coefficients."""
    from eventstudy.studies.calendar_time import MIN_PERIODS_PER_COEFFICIENT

    with pytest.warns(SmallSampleWarning) as caught:
        result = run_calendar_time(EVENTS, (1, 3), "carhart", frequency="monthly")
    k = len(result.params)
    assert k == 5 and result.n_periods < MIN_PERIODS_PER_COEFFICIENT * k == 50
    assert (f"{result.n_periods} monthly periods for the 5 coefficients of the carhart regression, fewer "
            f"than 10 per coefficient: its Newey-West standard errors") in str(caught[0].message)
    assert result.summary().splitlines()[0] == (
        f"Calendar-time portfolio (monthly), carhart model; standard errors: Newey-West (HAC) with "
        f"{result.lags} lags")
