"""Expected-return models against statsmodels and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from eventstudy import load_prices, simple_returns
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.models import MODELS, ConstantMean, MarketAdjusted, MarketModel, get_model


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simple_returns(load_prices(["FB", "JPM", "^GSPC"])).loc["2017-01-01":"2017-12-31"]


@pytest.mark.parametrize("ticker", ["FB", "JPM"])
def test_market_model_equals_statsmodels(panel, ticker):
    est, evt = panel.iloc[:200], panel.iloc[200:210]
    fit = MarketModel().fit(est[ticker], pd.DataFrame({"market": est["^GSPC"]}))
    ols = sm.OLS(est[ticker].to_numpy(), sm.add_constant(est["^GSPC"].to_numpy())).fit()
    assert_allclose(fit.params.to_numpy(), ols.params, rtol=1e-10)
    assert_allclose(fit.sigma**2, ols.scale, rtol=1e-12)
    assert fit.df == ols.df_resid == 198 and fit.nobs == 200
    assert_allclose(fit.residuals.to_numpy(), ols.resid, atol=1e-15)
    assert_allclose(fit.xtx_inv, ols.normalized_cov_params, rtol=1e-10)
    data = pd.DataFrame({"market": evt["^GSPC"]})
    pred = ols.get_prediction(sm.add_constant(evt["^GSPC"].to_numpy(), has_constant="add"))
    assert_allclose(fit.expected(data), pred.predicted_mean, rtol=1e-12)
    cov = fit.abnormal_covariance(data)
    assert_allclose(np.sqrt(np.diag(cov)), pred.se_obs, rtol=1e-12)
    # Closed form of the diagonal (Campbell, Lo & MacKinlay 1997, eq. 4.4.8).
    rm = est["^GSPC"].to_numpy()
    closed = ols.scale * (1 + 1 / 200 + (evt["^GSPC"].to_numpy() - rm.mean()) ** 2 / ((rm - rm.mean()) ** 2).sum())
    assert_allclose(np.diag(cov), closed, rtol=1e-10)


def test_constant_mean_covariance_closed_form(panel):
    est, evt = panel["FB"].iloc[:100], panel.iloc[100:105]
    fit = ConstantMean().fit(est, pd.DataFrame({"market": panel["^GSPC"].iloc[:100]}))
    assert_allclose(fit.params["mu"], est.mean(), rtol=1e-12)
    assert_allclose(fit.sigma, est.std(ddof=1), rtol=1e-12)
    cov = fit.abnormal_covariance(pd.DataFrame({"market": evt["^GSPC"]}))
    s2 = est.var(ddof=1)
    assert_allclose(cov, s2 * (np.eye(5) + np.ones((5, 5)) / 100), rtol=1e-12)


def test_market_adjusted_uses_sample_variance_of_the_difference(panel):
    est = panel.iloc[:100]
    fit = MarketAdjusted().fit(est["FB"], pd.DataFrame({"market": est["^GSPC"]}))
    diff = est["FB"] - est["^GSPC"]
    assert_allclose(fit.sigma, np.std(diff.to_numpy(), ddof=1), rtol=1e-12)
    assert fit.df == 99 and fit.params.empty
    data = pd.DataFrame({"market": panel["^GSPC"].iloc[100:104]})
    assert_allclose(fit.expected(data), data["market"].to_numpy(), rtol=0)
    assert_allclose(fit.abnormal_covariance(data), fit.sigma**2 * np.eye(4), rtol=1e-15)


def test_market_model_is_accurate_on_nearly_collinear_long_panels():
    """Returns around a large mean: the QR solution keeps the estimates to ~1e-9."""
    rng = np.random.default_rng(7)
    market = 1.0 + rng.normal(0, 1e-4, 2000)  # nearly constant regressor: ill-conditioned X'X
    stock = 0.5 + 2.0 * market + rng.normal(0, 1e-6, 2000)
    idx = pd.RangeIndex(2000)
    fit = MarketModel().fit(pd.Series(stock, index=idx), pd.DataFrame({"market": market}, index=idx))
    ols = sm.OLS(stock, sm.add_constant(market)).fit()
    assert_allclose(fit.params.to_numpy(), ols.params, rtol=1e-7)


def test_registry_and_errors():
    assert list(MODELS) == ["constant_mean", "market_adjusted", "market", "capm", "ff3", "carhart",
                            "ff5", "scholes_williams", "dimson", "garch", "garch_t"]
    assert get_model("market") is MODELS["market"]
    model = MarketModel()
    assert get_model(model) is model
    with pytest.raises(ParameterError, match="model: 'ff4' is not allowed; choose one of"):
        get_model("ff4")
    short = pd.Series([0.01, 0.02])
    with pytest.raises(DataError, match="estimation: 2 returns are too few for the market model; it needs at least 3"):
        MarketModel().fit(short, pd.DataFrame({"market": [0.0, 0.01]}))
    with pytest.raises(DataError, match="not on the same dates"):
        MarketModel().fit(pd.Series([0.01, 0.02, 0.0]), pd.DataFrame({"market": [0.0, 0.01, 0.0]}, index=[1, 2, 3]))
    with pytest.raises(DataError, match="missing returns in the estimation window"):
        MarketModel().fit(pd.Series([0.01, np.nan, 0.0]), pd.DataFrame({"market": [0.0, 0.01, 0.0]}))


def test_the_cli_knows_every_model_without_importing_them():
    from eventstudy.defaults import MODEL_NAMES
    from eventstudy.models import MODELS

    assert tuple(MODELS) == MODEL_NAMES
