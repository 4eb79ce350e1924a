"""The sample-quantile test of a single event (Gelbach, Helland & Klick 2013), from `run --json`
and the result, against a plain loop over residuals computed independently from the CSV files
(tests/independent.py: statsmodels OLS)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy, run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import IntegratedGarchWarning
from independent import reference_study


def loop_p(residuals, value, weights, alternative="two-sided"):
    """#{S_j >= c}/n and #{S_j <= c}/n over the sums of len(weights) consecutive residuals."""
    m = len(weights)
    sums = [sum(w * residuals[j + k] for k, w in enumerate(weights))
            for j in range(len(residuals) - m + 1)
            if not any(np.isnan(residuals[j + k]) for k in range(m))]
    greater = sum(s >= value for s in sums) / len(sums)
    less = sum(s <= value for s in sums) / len(sums)
    return {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater,
            "less": less}[alternative], len(sums)


def test_flagship_day0_sq_p_in_json_equals_the_loop_on_the_csv_files(capsys, data_dir):
    assert main(["run", "FB", "2018-08-06", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = reference_study(data_dir, "FB", dt.date(2018, 8, 6))
    for day, abnormal in zip(payload["days"], ref.abnormal):
        p, n = loop_p(ref.residuals, abnormal, [1.0])
        assert day["sq"]["n"] == n == 240
        assert day["sq"]["p"] == pytest.approx(p, abs=1e-12)
    day0 = payload["days"][1]
    assert day0["rel_day"] == 0 and day0["sq"]["p"] == pytest.approx(2 / 240)
    p, n = loop_p(ref.residuals, ref.car, [1.0, 1.0, 1.0])
    assert payload["car"]["sq"] == {"p": pytest.approx(p, abs=1e-12), "n": n, "beyond": False}
    assert n == 238


@pytest.mark.parametrize("model", ["market_adjusted", "constant_mean", "ff3", "scholes_williams"])
@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_other_models_and_alternatives(data_dir, model, alternative):
    result = run_event_study("JPM", "2018-08-06", model=model, window=(-2, 3), alternative=alternative)
    ref = reference_study(data_dir, "JPM", dt.date(2018, 8, 6), model=model, window=(-2, 3))
    for j, day in enumerate(result.days.index):
        p, _ = loop_p(ref.residuals, ref.abnormal[j], [1.0], alternative)
        assert result.days.loc[day, "sq_p"] == pytest.approx(p, abs=1e-12)
    sub = result.sample_quantile(0, 2)
    p, n = loop_p(ref.residuals, ref.abnormal[2:5].sum(), [1.0] * 3, alternative)
    assert (sub.p, sub.n) == (pytest.approx(p, abs=1e-12), n)
    assert result.car_grid().loc[(0, 2), "sq_p"] == pytest.approx(p, abs=1e-12)


def test_missing_estimation_days_break_the_sums(data_dir):
    fb = pd.read_csv(data_dir / "prices" / "FB.csv", index_col="Date", parse_dates=True)["Adj Close"]
    sp = pd.read_csv(data_dir / "prices" / "GSPC.csv", index_col="Date", parse_dates=True)["Adj Close"]
    stock, market = fb.pct_change().iloc[1:], sp.pct_change().iloc[1:]
    day0 = market.index.get_loc(pd.Timestamp("2018-08-06"))
    gaps = market.index[[day0 - 200, day0 - 120, day0 - 119]]
    stock[gaps] = np.nan
    result = EventStudy(window=(-1, 1)).run(stock, market, "2018-08-06")
    residuals = result.estimation_data["residual"].reindex(market.index[day0 - 250 : day0 - 10])
    assert residuals.isna().sum() == 3
    car = result.sample_quantile()
    p, n = loop_p(residuals.to_numpy(), result.car.value, [1.0] * 3)
    assert (car.p, car.n) == (pytest.approx(p), n)
    assert n == 238 - 7  # the sums of 3 that touch one of the three gaps are left out
    assert result.days.loc[0, "sq_n"] == 237


def test_garch_null_is_standardised_residuals_times_the_forecast_sd():
    with pytest.warns(IntegratedGarchWarning):
        result = run_event_study("SNAP", "2018-07-26", model="garch")
    z = (result.fit.residuals / np.sqrt(result.fit.conditional_variance)).to_numpy()
    sd = result.days["se"].to_numpy()  # the forecast sd of each event day
    for j, day in enumerate(result.days.index):
        p, _ = loop_p(z, result.days.loc[day, "abnormal"], [sd[j]])
        assert result.days.loc[day, "sq_p"] == pytest.approx(p, abs=1e-12)
    p, n = loop_p(z, result.car.value, sd)
    assert result.car.sq.p == pytest.approx(p, abs=1e-12) and result.car.sq.n == n
    assert "standardised by their conditional sd" in str(result.summary())


def test_report_frame_and_beyond(data_dir):
    fb = pd.read_csv(data_dir / "prices" / "FB.csv", index_col="Date", parse_dates=True)["Adj Close"]
    sp = pd.read_csv(data_dir / "prices" / "GSPC.csv", index_col="Date", parse_dates=True)["Adj Close"]
    stock, market = fb.pct_change().iloc[1:], sp.pct_change().iloc[1:]
    stock[pd.Timestamp("2018-08-06")] = 0.5  # +50%: beyond every residual
    result = EventStudy().run(stock, market, "2018-08-06")
    assert result.days.loc[0, "sq_p"] == 0.0
    assert result.sample_quantile(0, 0).beyond
    text = str(result.summary())
    assert "<0.0083" in text and "SQ p" in text
    frame = result.to_frame()
    assert {"sq_p", "sq_n"} <= set(frame.columns)
    payload = result.to_dict()
    assert payload["days"][1]["sq"] == {"p": 0.0, "n": 240, "beyond": True}
