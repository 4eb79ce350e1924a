"""Peers as the benchmark: the equally weighted peer portfolio against a direct computation from
the CSV files, and the synthetic peer's weights against scipy.optimize on the same problem, the
optimality conditions, and its linear model on the support against statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.optimize import minimize

from eventstudy import EventStudy, run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.models.peers import PeersModel, SyntheticModel, simplex_weights

OTHER_STOCKS = ["AAPL", "AMZN", "C", "GOOG", "GOOGL", "JPM", "SNAP", "TWTR", "USB", "WFC"]
EVENT = "2018-08-06"


def csv_returns(data_dir, ticker: str) -> pd.Series:
    frame = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"],
                        index_col="Date")
    return frame["Adj Close"].pct_change().iloc[1:]


def windows(data_dir, tickers, event=EVENT, estimation=(-250, -11), window=(-1, 1)):
    """Estimation and event-window returns of ``tickers``, straight from the CSV files."""
    market = csv_returns(data_dir, "^GSPC")
    frame = pd.DataFrame({t: csv_returns(data_dir, t) for t in tickers}).reindex(market.index)
    day0 = market.index.get_loc(pd.Timestamp(event))
    est = frame.iloc[day0 + estimation[0] : day0 + estimation[1] + 1]
    evt = frame.iloc[day0 + window[0] : day0 + window[1] + 1]
    return est, evt


def slsqp_weights(p, r):
    """The same problem for scipy.optimize.minimize: the quadratic form, scaled to order one."""
    h, c = p.T @ p, p.T @ r
    k = p.shape[1]
    scale = k / np.trace(h)
    res = minimize(lambda w: scale * (0.5 * w @ h @ w - c @ w), np.full(k, 1 / k),
                   jac=lambda w: scale * (h @ w - c), method="SLSQP", bounds=[(0, None)] * k,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                 "jac": lambda w: np.ones(k)}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    assert res.success
    return res.x


def kkt_gap(p, r, w):
    """Optimality: the gradient is the same on the support and no smaller off it."""
    gradient = p.T @ (p @ w - r)
    support = w > 0
    level = gradient[support].mean()
    return (float(np.max(np.abs(gradient[support] - level))),
            float(np.min(gradient[~support] - level)) if (~support).any() else 0.0)


def test_synthetic_facebook_weights_equal_scipy_optimize_to_1e8(data_dir):
    result = run_event_study("FB", EVENT, model="synthetic", peers=OTHER_STOCKS)
    weights = result.fit.params
    assert list(weights.index) == OTHER_STOCKS
    assert (weights >= 0).all() and weights.sum() == pytest.approx(1.0, abs=1e-12)
    est, _ = windows(data_dir, ["FB", *OTHER_STOCKS])
    p, r = est[OTHER_STOCKS].to_numpy(), est["FB"].to_numpy()
    np.testing.assert_allclose(weights.to_numpy(), slsqp_weights(p, r), atol=1e-8)
    spread, off = kkt_gap(p, r, weights.to_numpy())
    assert spread < 1e-14 and off > 0
    assert (weights > 0).sum() == 6
    payload = result.to_dict()
    assert payload["estimation"]["weights"] == pytest.approx(dict(weights))
    assert payload["model"] == "synthetic" and payload["car"]["sq"]["n"] == 238
    assert "weights: GOOGL 0.70" in str(result.summary())


def test_weights_solve_the_problem_on_random_candidates():
    rng = np.random.default_rng(3)
    for _ in range(100):
        k = int(rng.integers(2, 15))
        common = rng.normal(0, 0.01, (240, 1))
        p = common * rng.uniform(0.5, 1.5, k) + rng.normal(0, 0.015, (240, k))
        r = p @ rng.dirichlet(np.full(k, 0.3)) + rng.normal(0, rng.choice([0.0, 0.001, 0.03]), 240)
        w = simplex_weights(p, r)
        assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-13)
        spread, off = kkt_gap(p, r, w)
        assert spread < 1e-12 and off > -1e-12
        other = slsqp_weights(p, r)
        assert np.sum((p @ w - r) ** 2) <= np.sum((p @ other - r) ** 2) * (1 + 1e-12) + 1e-28


def test_the_t_test_is_the_linear_model_on_the_support(data_dir):
    result = run_event_study("FB", EVENT, model="synthetic", peers=OTHER_STOCKS, window=(-2, 3))
    weights = result.fit.params
    support = [t for t in OTHER_STOCKS if weights[t] > 0]
    est, evt = windows(data_dir, ["FB", *OTHER_STOCKS], window=(-2, 3))
    last, others = support[-1], support[:-1]
    y = est["FB"] - est[last]
    x = est[others].sub(est[last], axis=0)
    ols = sm.OLS(y.to_numpy(), x.to_numpy()).fit()
    np.testing.assert_allclose(ols.params, weights[others].to_numpy(), atol=1e-10)
    prediction = ols.get_prediction(evt[others].sub(evt[last], axis=0).to_numpy())
    np.testing.assert_allclose(result.days["se"].to_numpy(), prediction.se_obs, rtol=1e-9)
    expected = evt[OTHER_STOCKS].to_numpy() @ weights.to_numpy()
    np.testing.assert_allclose(result.days["abnormal"].to_numpy(), evt["FB"].to_numpy() - expected,
                               atol=1e-14)
    assert result.fit.df == 240 - (len(support) - 1) == int(ols.df_resid)


def test_equally_weighted_peers_from_the_csv_files(data_dir):
    peers = ["GOOGL", "AAPL", "AMZN"]
    result = run_event_study("FB", EVENT, model="peers", peers=peers, window=(-2, 2))
    est, evt = windows(data_dir, ["FB", *peers], window=(-2, 2))
    excess = est["FB"] - est[peers].mean(axis=1)
    s = excess.std(ddof=1)
    abnormal = evt["FB"] - evt[peers].mean(axis=1)
    np.testing.assert_allclose(result.days["abnormal"].to_numpy(), abnormal.to_numpy(), atol=1e-15)
    np.testing.assert_allclose(result.days["se"].to_numpy(), s, rtol=1e-12)
    assert result.fit.df == 239 and result.car.se == pytest.approx(s * np.sqrt(5), rel=1e-12)
    sq = result.sample_quantile(0, 0)
    assert sq.p == pytest.approx(min(1, 2 * min(np.mean(excess >= abnormal.iloc[2]),
                                                np.mean(excess <= abnormal.iloc[2]))))
    assert result.to_dict()["estimation"]["peers"] == peers
    assert "peers, equally weighted: GOOGL, AAPL, AMZN" in str(result.summary())


def test_command_line(capsys):
    assert main(["run", "FB", EVENT, "--model", "synthetic", "--peers", ",".join(OTHER_STOCKS),
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert sum(payload["estimation"]["weights"].values()) == pytest.approx(1.0)
    assert main(["run", "FB", EVENT, "--model", "peers"]) == 2
    assert "the peers model needs its peers" in capsys.readouterr().err
    assert main(["run", "FB", EVENT, "--model", "peers", "--peers", "AAPL,NOPE"]) == 2
    assert "peers: 'NOPE' has no data" in capsys.readouterr().err
    assert main(["run", "FB", EVENT, "--peers", "AAPL"]) == 2
    assert "only the models peers and synthetic take peers" in capsys.readouterr().err


def test_bad_candidates_are_errors_that_name_them(data_dir):
    est, _ = windows(data_dir, ["FB", "AAPL", "AMZN", "JPM"])
    p = est[["AAPL", "AMZN", "JPM"]].to_numpy().copy()
    p[:, 2] = 0.5 * p[:, 0] + 0.5 * p[:, 1]  # JPM a mix of the other two
    with pytest.raises(DataError, match="the returns of AAPL, AMZN, JPM are collinear"):
        simplex_weights(p, est["FB"].to_numpy(), ["AAPL", "AMZN", "JPM"])
    with pytest.raises(DataError, match="3 candidates for 2 estimation returns"):
        simplex_weights(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ParameterError, match="peers"):
        EventStudy(model="synthetic")
    with pytest.raises(ParameterError, match="give at least one peer"):
        PeersModel(" , ")
    market = csv_returns(data_dir, "^GSPC")
    fb, aapl = csv_returns(data_dir, "FB"), csv_returns(data_dir, "AAPL").copy()
    aapl[pd.Timestamp(EVENT)] = np.nan
    with pytest.raises(DataError, match="no synthetic model input 'peer:AAPL' on 1 event-window day"):
        EventStudy(SyntheticModel(["AAPL"])).run(fb, market, EVENT, peers=aapl.to_frame("AAPL"))
    with pytest.raises(ParameterError, match="needs these peers' returns"):
        EventStudy(SyntheticModel(["AAPL", "AMZN"])).run(fb, market, EVENT,
                                                         peers=aapl.to_frame("AAPL"))
