"""The result objects speak the conventions users know (statsmodels, linearmodels), checked
against statsmodels called directly and against the result's own columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from eventstudy import run_event_study
from eventstudy.exceptions import ParameterError
from eventstudy.formatting import Summary, preformatted_html


@pytest.fixture(scope="module")
def fb():
    return run_event_study("FB", "2018-08-06", window=(-2, 2))


def _target_and_design(result):
    est = result.estimation_data
    return est["return"].to_numpy(), sm.add_constant(est["market"].to_numpy())


def test_fit_speaks_statsmodels_names(fb):
    y, x = _target_and_design(fb)
    ols = sm.OLS(y, x).fit()
    fit = fb.fit
    assert_allclose(fit.resid.to_numpy(), ols.resid, atol=1e-15)
    assert fit.resid is fit.residuals
    assert_allclose(fit.rsquared, ols.rsquared, rtol=1e-12)
    assert_allclose(fit.bse.to_numpy(), ols.bse, rtol=1e-10)
    assert_allclose(fit.tvalues.to_numpy(), ols.tvalues, rtol=1e-10)
    assert_allclose(fit.pvalues.to_numpy(), ols.pvalues, rtol=1e-8)
    assert list(fit.bse.index) == ["alpha", "beta"]
    assert fb.nobs == fit.nobs == ols.nobs == 240


def test_factor_model_rsquared_is_that_of_the_excess_return_regression():
    result = run_event_study("FB", "2018-08-06", model="ff3")
    from eventstudy.data.snapshot import load_factors

    factors = load_factors("ff3").reindex(result.estimation_data.index)
    y = result.estimation_data["return"] - factors["RF"]
    ols = sm.OLS(y.to_numpy(), sm.add_constant(factors[["Mkt-RF", "SMB", "HML"]].to_numpy())).fit()
    assert_allclose(result.fit.rsquared, ols.rsquared, rtol=1e-10)
    assert_allclose(result.fit.bse.to_numpy(), ols.bse, rtol=1e-9)


def test_market_adjusted_rsquared_is_one_minus_ssr_over_tss():
    result = run_event_study("FB", "2018-08-06", model="market_adjusted")
    y = (result.estimation_data["return"] - result.estimation_data["market"]).to_numpy()
    assert_allclose(result.fit.rsquared, 1 - (y @ y) / ((y - y.mean()) ** 2).sum(), rtol=1e-12)
    assert result.fit.rsquared <= 0 and result.fit.bse.empty


def test_conf_int_takes_level_or_alpha_by_keyword_only(fb):
    by_level = fb.conf_int(level=0.9)
    by_alpha = fb.conf_int(alpha=0.1)
    pd.testing.assert_frame_equal(by_level, by_alpha)
    pd.testing.assert_frame_equal(fb.conf_int(), fb.conf_int(level=0.95))
    # The 90% interval by hand: AR -/+ t(df, 0.95) se.
    from scipy import stats

    half = stats.t.ppf(0.95, fb.fit.df) * fb.days["se"]
    assert_allclose(by_level["lower"], fb.days["abnormal"] - half, rtol=1e-12)
    assert (by_level["upper"] - by_level["lower"] < fb.conf_int()["upper"] - fb.conf_int()["lower"]).all()
    with pytest.raises(ParameterError, match="level=0.90 .confidence. or alpha=0.10"):
        fb.conf_int(0.1)  # a bare number could be read two ways: the message says how to name it
    with pytest.raises(ParameterError, match="level, alpha: .* give one of them"):
        fb.conf_int(level=0.9, alpha=0.1)
    with pytest.raises(ParameterError, match="alpha: 1.5 is not allowed"):
        fb.conf_int(alpha=1.5)


def test_per_day_names_and_the_car_test(fb):
    assert fb.pvalues is not None and fb.pvalues.equals(fb.days["p"])
    assert fb.tvalues.equals(fb.days["t"]) and fb.bse.equals(fb.days["se"])
    assert fb.abnormal_returns.equals(fb.days["abnormal"])
    assert fb.car.pvalue == fb.car.p and fb.car.tvalue == fb.car.t
    assert fb.car.conf_int() == (fb.car.ci_low, fb.car.ci_high)
    from scipy import stats

    half = stats.t.ppf(0.995, fb.fit.df) * fb.car.se
    assert_allclose(fb.car.conf_int(alpha=0.01), (fb.car.value - half, fb.car.value + half), rtol=1e-12)
    assert fb.car.conf_int(level=0.99) == fb.car.conf_int(alpha=0.01)


def test_to_frame_is_days_with_the_interval_and_exports(fb, tmp_path):
    frame = fb.to_frame()
    assert list(frame.columns) == [*fb.days.columns, "ci_low", "ci_high"]
    assert_allclose(frame["ci_low"], fb.conf_int()["lower"], rtol=0)
    frame.to_csv(tmp_path / "fb.csv")
    back = pd.read_csv(tmp_path / "fb.csv", index_col="rel_day")
    assert_allclose(back["abnormal"], fb.days["abnormal"], rtol=1e-15)
    pytest.importorskip("openpyxl")
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_excel(tmp_path / "fb.xlsx")
    assert_allclose(pd.read_excel(tmp_path / "fb.xlsx", index_col=0)["abnormal"], fb.days["abnormal"])


def test_repr_is_one_line_and_summary_displays_itself(fb):
    text = repr(fb)
    assert "\n" not in text and text.startswith("<EventStudyResult FB day 0 2018-08-06, market model")
    assert f"p {fb.car.p:.4f}" in text
    summary = fb.summary()
    assert isinstance(summary, Summary) and isinstance(summary, str)
    assert repr(summary) == str(summary) == str(fb)  # a notebook or REPL shows the table, not '\n'
    assert summary._repr_html_() == fb._repr_html_()
    assert summary._repr_html_().startswith("<pre")


def test_preformatted_html_escapes_markup():
    assert "&lt;0.0001 &amp; x&gt;" in preformatted_html("<0.0001 & x>")


def test_json_names_level_event_time_reason_and_market_returns():
    result = run_event_study("FB", "2018-08-06T16:30-04:00", level=0.9)
    record = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert record["level"] == 0.9
    assert record["event_time"] == "2018-08-06T16:30:00-04:00"
    assert record["day0"] == "2018-08-07"
    assert record["reason"] == result.timing.reason and "16:00 close" in record["reason"]
    assert [d["market_return"] for d in record["days"]] == result.days["market"].tolist()
    plain = run_event_study("FB", "2018-08-06").to_dict()
    assert plain["event_time"] is None and plain["reason"] is None and plain["model_uses_market"]


@pytest.mark.parametrize("model", ["constant_mean", "ff3", "carhart", "ff5"])
def test_models_that_ignore_the_market_say_so(model):
    results = [run_event_study("FB", "2018-08-06", model=model, market=m) for m in ("^GSPC", "SPY")]
    assert results[0].car.value == results[1].car.value  # the market's returns play no part
    assert not results[0].model.uses_market
    assert "the model does not use its returns" in results[0].summary()
    assert results[0].to_dict()["model_uses_market"] is False


@pytest.mark.parametrize("model", ["market", "capm", "market_adjusted", "dimson", "scholes_williams"])
def test_models_that_use_the_market_depend_on_it(model):
    results = [run_event_study("FB", "2018-08-06", model=model, market=m) for m in ("^GSPC", "SPY")]
    assert results[0].model.uses_market and results[0].car.value != results[1].car.value
    assert "does not use" not in results[0].summary()


def test_numpy_integer_windows_are_accepted():
    result = run_event_study("FB", "2018-08-06", window=(np.int64(-1), np.int64(1)),
                             estimation=np.array([-250, -11]))
    assert result.event_window.start == -1 and result.car.value == run_event_study("FB", "2018-08-06").car.value
