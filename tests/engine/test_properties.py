"""Property-based invariants of the single-event study (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from eventstudy import EventStudy
from eventstudy.models import MarketModel

N_DAYS = 40
ESTIMATION, WINDOW, EVENT = (-30, -4), (-2, 2), 32

DATES = pd.bdate_range("2024-01-01", periods=N_DAYS)


@st.composite
def returns(draw) -> np.ndarray:
    """Daily returns: normal draws of a random volatility, from a random seed (never degenerate)."""
    seed = draw(st.integers(0, 2**32 - 1))
    vol = draw(st.floats(0.002, 0.05))
    return np.random.default_rng(seed).normal(0.0, vol, N_DAYS)


@st.composite
def stock_and_market(draw) -> tuple[np.ndarray, np.ndarray]:
    """A market and a stock with a random beta and its own noise, from one seed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    market = rng.normal(0.0, draw(st.floats(0.002, 0.03)), N_DAYS)
    noise = rng.normal(0.0, draw(st.floats(0.002, 0.05)), N_DAYS)
    return draw(st.floats(-0.002, 0.002)) + draw(st.floats(-2, 3)) * market + noise, market


def run(model: str, stock: np.ndarray, market: np.ndarray):
    return EventStudy(model, estimation=ESTIMATION, window=WINDOW).run(
        pd.Series(stock, index=DATES, name="S"), pd.Series(market, index=DATES, name="M"), DATES[EVENT]
    )


@settings(max_examples=20, deadline=None)
@given(market=returns(), alpha=st.floats(-0.01, 0.01), beta=st.floats(-3, 3))
def test_exact_linear_stock_has_zero_abnormal_returns(market, alpha, beta):
    stock = alpha + beta * market
    data = pd.DataFrame({"market": market[:EVENT]}, index=DATES[:EVENT])
    fit = MarketModel().fit(pd.Series(stock[:EVENT], index=DATES[:EVENT]), data)
    assert_allclose(fit.params.to_numpy(), [alpha, beta], atol=1e-9)
    event = pd.DataFrame({"market": market[EVENT:]}, index=DATES[EVENT:])
    assert_allclose(stock[EVENT:] - fit.expected(event), 0.0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(pair=stock_and_market(), shift=st.floats(-0.05, 0.05))
def test_shifting_the_stock_leaves_constant_mean_and_market_model_ars_unchanged(pair, shift):
    stock, market = pair
    for model in ("constant_mean", "market"):
        base, moved = run(model, stock, market), run(model, stock + shift, market)
        assert_allclose(moved.days["abnormal"], base.days["abnormal"], atol=1e-12)
        assert_allclose(moved.days["se"], base.days["se"], rtol=1e-8, atol=1e-15)
        assert_allclose(moved.car.se, base.car.se, rtol=1e-8)


@settings(max_examples=20, deadline=None)
@given(pair=stock_and_market(), scale=st.floats(0.1, 10))
def test_scaling_returns_scales_ars_and_leaves_t_unchanged(pair, scale):
    stock, market = pair
    for model in ("constant_mean", "market", "market_adjusted"):
        base, scaled = run(model, stock, market), run(model, stock * scale, market * scale)
        assert_allclose(scaled.days["abnormal"], base.days["abnormal"] * scale, rtol=1e-8, atol=1e-13)
        assert_allclose(scaled.days["t"], base.days["t"], rtol=1e-7, atol=1e-9)
        assert_allclose(scaled.car.t, base.car.t, rtol=1e-7, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(pair=stock_and_market())
def test_car_is_the_sum_and_its_covariance_is_symmetric_positive(pair):
    stock, market = pair
    result = run("market", stock, market)
    cov = result.covariance.to_numpy()
    assert_allclose(cov, cov.T, rtol=0, atol=0)
    assert np.linalg.eigvalsh(cov).min() > 0
    assert_allclose(result.car.value, result.days["abnormal"].sum(), rtol=1e-12, atol=1e-15)
    # Prediction error only adds variance: each AR's variance is at least s^2.
    assert (np.diag(cov) >= result.fit.sigma**2 * (1 - 1e-12)).all()
    assert 0.0 <= result.car.p <= 1.0 and result.car.ci_low <= result.car.value <= result.car.ci_high
