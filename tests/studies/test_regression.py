"""Cross-sectional regressions of CARs against statsmodels called directly on a frame built here."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.exceptions import ClusteredEventsWarning, DataError, ParameterError
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.studies.regression import regress_cars


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 80
    surprise = rng.normal(size=n)
    size = rng.lognormal(3.0, 1.0, size=n)
    day0 = pd.to_datetime("2018-01-02") + pd.to_timedelta(rng.integers(0, 12, size=n), unit="D")
    car_se = rng.uniform(0.005, 0.03, size=n)
    car = 0.01 + 0.02 * surprise - 0.003 * np.log(size) + rng.normal(size=n) * car_se * 2
    out = pd.DataFrame({"car": car, "car_se": car_se, "surprise": surprise, "size": size, "day0": day0,
                        "ticker": rng.choice(list("ABCDEFG"), size=n)})
    out.loc[[4, 17], "surprise"] = np.nan
    out.loc[30, "size"] = np.nan
    return out


def design(frame, rows):
    x = np.column_stack([np.ones(len(rows)), frame.loc[rows, "surprise"], np.log(frame.loc[rows, "size"])])
    return frame.loc[rows, "car"].to_numpy(), x


@pytest.mark.parametrize("cov", ["hc0", "hc1", "hc2", "hc3", "ols"])
def test_ols_equals_statsmodels_on_the_complete_rows(frame, cov):
    result = regress_cars(frame, "car ~ surprise + np.log(size)", cov=cov)
    rows = frame.index.difference([4, 17, 30])
    y, x = design(frame, rows)
    direct = sm.OLS(y, x).fit(cov_type={"ols": "nonrobust"}.get(cov, cov.upper()), use_t=True)
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=1e-10)
    np.testing.assert_allclose(result.tvalues.to_numpy(), direct.tvalues, rtol=1e-10)
    np.testing.assert_allclose(result.pvalues.to_numpy(), direct.pvalues, rtol=1e-8)
    np.testing.assert_allclose(result.conf_int(alpha=0.1).to_numpy(), direct.conf_int(alpha=0.1), rtol=1e-10)
    assert list(result.params.index) == ["Intercept", "surprise", "np.log(size)"]
    assert result.nobs == 77 and result.n_dropped == 3 and list(result.dropped) == [4, 17, 30]
    assert result.rsquared == pytest.approx(direct.rsquared, rel=1e-12)


def test_hc3_by_its_formula(frame):
    """HC3 written out: (X'X)^-1 X' diag(u^2 / (1 - h)^2) X (X'X)^-1."""
    result = regress_cars(frame, "car ~ surprise + np.log(size)")
    y, x = design(frame, frame.index.difference([4, 17, 30]))
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    u = y - x @ beta
    h = np.einsum("ij,jk,ik->i", x, bread, x)
    meat = x.T @ (x * (u**2 / (1 - h) ** 2)[:, None])
    np.testing.assert_allclose(result.bse.to_numpy(), np.sqrt(np.diag(bread @ meat @ bread)), rtol=1e-10)


@pytest.mark.parametrize("column", ["day0", "ticker"])
def test_clustered_equals_statsmodels(frame, column):
    result = regress_cars(frame, "car ~ surprise + np.log(size)", cov=f"cluster:{column}")
    rows = frame.index.difference([4, 17, 30])
    y, x = design(frame, rows)
    groups = pd.factorize(frame.loc[rows, column])[0]
    direct = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=1e-10)
    np.testing.assert_allclose(result.pvalues.to_numpy(), direct.pvalues, rtol=1e-8)
    assert result.df_resid == len(set(groups)) - 1


def test_wls_with_inverse_variance_weights_equals_statsmodels(frame):
    result = regress_cars(frame, "car ~ surprise", cov="hc1", weights="inverse_variance")
    rows = frame.index.difference([4, 17])
    x = sm.add_constant(frame.loc[rows, "surprise"].to_numpy())
    direct = sm.WLS(frame.loc[rows, "car"].to_numpy(), x, weights=1 / frame.loc[rows, "car_se"] ** 2).fit(
        cov_type="HC1", use_t=True)
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=1e-10)
    assert result.nobs == 78 and result.weights == "inverse_variance"


def test_text_columns_of_an_events_csv_are_read_as_numbers_and_blanks_as_missing(frame):
    text = frame.assign(surprise=frame["surprise"].map(lambda v: "" if np.isnan(v) else repr(v)))
    a = regress_cars(text, "car ~ surprise + np.log(size)")
    b = regress_cars(frame, "car ~ surprise + np.log(size)")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-14)
    assert a.n_dropped == 3


def test_non_finite_values_are_dropped_and_counted(frame):
    zero = frame.copy()
    zero.loc[50, "size"] = 0.0  # log(0) = -inf
    with np.errstate(divide="ignore"):
        result = regress_cars(zero, "car ~ surprise + np.log(size)")
    assert result.n_dropped == 4 and 50 in result.dropped


def test_to_dict_has_the_issue_keys_and_is_json(frame):
    payload = regress_cars(frame, "car ~ surprise", cov="cluster:day0").to_dict()
    json.dumps(payload, allow_nan=False)
    assert {"formula", "cov", "n", "r2", "terms"} <= set(payload)
    assert payload["cov"] == "cluster:day0" and payload["n"] == 78
    assert set(payload["terms"][0]) == {"name", "coef", "se", "t", "p"}


def test_bad_requests_name_the_parameter(frame):
    with pytest.raises(ParameterError, match="^formula: 'car ~ nothing'"):
        regress_cars(frame, "car ~ nothing")
    with pytest.raises(ParameterError, match="^formula:"):
        regress_cars(frame, "car surprise")
    with pytest.raises(ParameterError, match="^cov: 'hc4'"):
        regress_cars(frame, "car ~ surprise", cov="hc4")
    with pytest.raises(ParameterError, match="^cov: 'cluster:industry'"):
        regress_cars(frame, "car ~ surprise", cov="cluster:industry")
    with pytest.raises(ParameterError, match="'surprise_se'"):
        regress_cars(frame.rename(columns={"car": "surprise2"}), "surprise ~ size", weights="inverse_variance")
    with pytest.raises(DataError, match="need at least 3"):
        regress_cars(frame.iloc[:2], "car ~ surprise")
    lever = pd.DataFrame({"car": [0.1, 0.2, 0.0, 0.3, 0.1], "d": [1, 0, 0, 0, 0]})
    with pytest.raises(DataError, match=r"^cov: 'hc3' needs every event's leverage below one; event\(s\) \[0\]"):
        regress_cars(lever, "car ~ d")  # HC3 with an event of leverage one


def test_regression_of_a_multi_event_studys_cars_on_a_computed_characteristic():
    events = pd.DataFrame({"ticker": ["GOOGL", "AAPL", "AMZN", "TWTR", "SNAP", "QQQ"],
                           "event_date": ["2018-07-26"] * 6})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusteredEventsWarning)
        study = run_multi_event_study(events, window=(-1, 1))
    result = regress_cars(study.events, "car ~ beta", cov="hc1")
    direct = sm.OLS(study.events["car"].to_numpy(), sm.add_constant(study.events["beta"].to_numpy())).fit(
        cov_type="HC1", use_t=True)
    np.testing.assert_allclose(result.params.to_numpy(), direct.params, rtol=1e-10)
    np.testing.assert_allclose(result.bse.to_numpy(), direct.bse, rtol=1e-10)
