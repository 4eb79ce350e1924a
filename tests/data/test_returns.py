"""Simple returns of Adj Close between consecutive trading days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import load_prices, simple_returns
from eventstudy.exceptions import ParameterError


def test_returns_are_adj_close_ratios():
    prices = load_prices(["FB", "JPM"])
    returns = simple_returns(prices)
    assert list(returns.columns) == ["FB", "JPM"]
    assert returns.index[0] == pd.Timestamp("2016-01-05")  # the first day has no return
    assert len(returns) == 1005 and not returns.isna().any().any()
    # SOURCES.md: FB close-to-close +4.449% on 2018-08-06 (177.78 -> 185.69).
    assert returns.loc["2018-08-06", "FB"] == pytest.approx(185.690002 / 177.779999 - 1, rel=1e-15)
    # JPM's Yahoo artefact of 2017-04-05 is kept as published (-0.714%), not "fixed".
    assert returns.loc["2017-04-05", "JPM"] == pytest.approx(-0.00714, abs=5e-6)


def test_dividend_days_use_adjusted_prices():
    jpm = load_prices("JPM").set_index("date")
    returns = simple_returns(load_prices("JPM"))["JPM"]
    # 2018-07-05 is a JPM ex-dividend day: total return differs from the price return.
    close_return = jpm.loc["2018-07-05", "close"] / jpm.loc["2018-07-03", "close"] - 1
    assert returns.loc["2018-07-05"] != pytest.approx(close_return, abs=1e-6)
    adj = jpm["adj_close"]
    assert returns.loc["2018-07-05"] == pytest.approx(adj.loc["2018-07-05"] / adj.loc["2018-07-03"] - 1, rel=1e-15)


def test_a_missing_price_leaves_two_missing_returns_not_a_multi_day_return():
    dates = pd.bdate_range("2024-01-01", periods=5)
    prices = pd.DataFrame({
        "ticker": ["A"] * 4 + ["M"] * 5,
        "date": list(dates[[0, 1, 3, 4]]) + list(dates),
        "adj_close": [100.0, 110.0, 121.0, 133.1, 1.0, 1.0, 1.0, 1.0, 1.0],
    })
    returns = simple_returns(prices, calendar=dates)
    assert np.isnan(returns.loc[dates[2], "A"]) and np.isnan(returns.loc[dates[3], "A"])
    assert returns.loc[dates[1], "A"] == pytest.approx(0.1)
    assert returns.loc[dates[4], "A"] == pytest.approx(0.1)


def test_unknown_column_is_refused():
    with pytest.raises(ParameterError, match="column: 'Adj Close' is not allowed; choose a column of prices"):
        simple_returns(load_prices("FB"), column="Adj Close")
