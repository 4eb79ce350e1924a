"""Event-induced variance: the single-event variance ratio against a direct formula with
statsmodels and scipy.stats.f, its null distribution by simulation, and the cross-sectional
ratio against a loop."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import EventStudy, run_event_study
from eventstudy.exceptions import ParameterError
from eventstudy.inference.variance import cross_sectional_variance_ratio


def csv_returns(data_dir, ticker: str) -> pd.Series:
    frame = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"],
                        index_col="Date")
    return frame["Adj Close"].pct_change().iloc[1:]


@pytest.mark.parametrize("ticker, event, window", [("FB", "2018-07-26", (-1, 5)),
                                                   ("JPM", "2018-08-06", (-1, 1))])
def test_variance_ratio_matches_the_direct_formula(data_dir, ticker, event, window):
    result = run_event_study(ticker, event, window=window)
    r, rm = csv_returns(data_dir, ticker), csv_returns(data_dir, "^GSPC")
    day0 = rm.index.get_loc(pd.Timestamp(event))
    est, evt = slice(day0 - 250, day0 - 10), slice(day0 + window[0], day0 + window[1] + 1)
    ols = sm.OLS(r.iloc[est].to_numpy(), sm.add_constant(rm.iloc[est].to_numpy())).fit()
    x_evt = sm.add_constant(rm.iloc[evt].to_numpy(), has_constant="add")
    ar = r.iloc[evt].to_numpy() - x_evt @ ols.params
    v = ols.scale * np.eye(len(ar)) + x_evt @ ols.cov_params() @ x_evt.T
    t = len(ar)
    f = ar @ np.linalg.inv(v) @ ar / t
    ratio = result.variance_ratio
    assert_allclose(ratio.value, np.mean(ar**2) / ols.scale, rtol=1e-9)
    assert_allclose(ratio.F, f, rtol=1e-9)
    assert_allclose(ratio.p, stats.f.sf(f, t, ols.df_resid), rtol=1e-8)
    assert (ratio.df_num, ratio.df_den) == (t, 238)
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert_allclose([report["variance_ratio"][k] for k in ("value", "F", "p")],
                    [ratio.value, ratio.F, ratio.p], rtol=1e-15)
    shown = "<0.0001" if ratio.p < 1e-4 else f"{ratio.p:.4f}"  # never 0.0000
    assert f"F({t}, 238) = {ratio.F:.2f}, p {shown}" in result.summary()


@pytest.mark.simulation
def test_under_the_null_the_statistic_is_f_distributed():
    """Normal market-model returns with no event: F(T, L-2) (Chow's predictive test), so the
    p-values are uniform."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2020-01-01", periods=80)
    study = EventStudy("market", estimation=(-60, -6), window=(-2, 2), min_estimation=55)
    pvalues = []
    for _ in range(100):
        market = pd.Series(rng.normal(0.0, 0.01, len(days)), index=days)
        stock = 0.001 + 1.2 * market + rng.normal(0.0, 0.02, len(days))
        pvalues.append(study.run(stock, market, days[70], ticker="S", market_name="M").variance_ratio.p)
    assert stats.kstest(pvalues, "uniform").pvalue > 0.01


def test_cross_sectional_variance_ratio_matches_a_loop():
    rng = np.random.default_rng(2)
    n, t = 30, 4
    abnormal = rng.normal(0, 0.02, (n, t))
    sd = rng.uniform(0.01, 0.03, (n, t))
    df = rng.integers(100, 240, n)
    frame = cross_sectional_variance_ratio(abnormal, sd, df, rel_days=[-1, 0, 1, 2])
    null = sum(d / (d - 2) for d in df) / n
    for j, day in enumerate([-1, 0, 1, 2]):
        sar = [abnormal[i, j] / sd[i, j] for i in range(n)]
        mean = sum(sar) / n
        variance = sum((s - mean) ** 2 for s in sar) / (n - 1)
        assert_allclose(frame.loc[day, "variance"], variance, rtol=1e-12)
        assert_allclose(frame.loc[day, "ratio"], variance / null, rtol=1e-12)
    assert (frame["n"] == n).all()
    normal = cross_sectional_variance_ratio(abnormal, sd)
    assert_allclose(normal["ratio"], normal["variance"], rtol=0)
    with pytest.raises(ParameterError, match="df"):
        cross_sectional_variance_ratio(abnormal, sd, np.full(n, 2))
    with pytest.raises(ParameterError, match="abnormal"):
        cross_sectional_variance_ratio(abnormal[:1], sd[:1])
