"""Synthetic prices on real exchange calendars: the exchanges' sessions, the model's betas, the
abnormal returns asked for, and the same prices for the same seed."""

from __future__ import annotations

import exchange_calendars
import numpy as np
import pandas as pd
import pytest

from eventstudy.data.synthetic import synthetic_prices
from eventstudy.exceptions import ParameterError

INDICES = {"^FTSE": "XLON", "^N225": "XTKS", "^HSI": "XHKG"}
SECURITIES = {"HSBA.L": ("XLON", "^FTSE"), "7203.T": ("XTKS", "^N225"), "0005.HK": ("XHKG", "^HSI"),
              "HSBC": ("XNYS", "^FTSE")}


def test_each_series_holds_its_exchanges_sessions():
    prices = synthetic_prices(INDICES, SECURITIES, "2017-01-01", "2018-12-31", seed=1)
    exchange = {**INDICES, **{s: e for s, (e, _) in SECURITIES.items()}}
    for symbol, rows in prices.groupby("ticker"):
        sessions = exchange_calendars.get_calendar(exchange[symbol], start="2017-01-01",
                                                   end="2018-12-31").sessions
        assert list(rows["date"]) == list(sessions)
    dates = set(prices.loc[prices["ticker"] == "0005.HK", "date"])
    assert pd.Timestamp("2017-08-23") not in dates  # typhoon Hato
    assert pd.Timestamp("2018-05-03") not in set(prices.loc[prices["ticker"] == "7203.T", "date"])
    assert (prices[["open", "high", "low", "close", "adj_close"]] > 0).all().all()
    assert (prices["high"] >= prices[["open", "close"]].max(axis=1)).all()
    assert (prices["low"] <= prices[["open", "close"]].min(axis=1)).all()


def test_the_market_model_holds_and_the_seed_fixes_the_prices():
    prices = synthetic_prices(INDICES, SECURITIES, "2014-01-01", "2019-12-31", seed=2,
                              beta={"HSBA.L": 1.5})
    again = synthetic_prices(INDICES, SECURITIES, "2014-01-01", "2019-12-31", seed=2,
                             beta={"HSBA.L": 1.5})
    pd.testing.assert_frame_equal(prices, again)
    wide = prices.pivot(index="date", columns="ticker", values="adj_close")
    for symbol, beta in (("HSBA.L", 1.5), ("7203.T", 1.0)):
        exchange, index = SECURITIES[symbol]
        both = wide[[symbol, index]].dropna().pct_change().dropna()
        design = np.column_stack([np.ones(len(both)), both[index]])
        coef = np.linalg.lstsq(design, both[symbol].to_numpy(), rcond=None)[0]
        # residual sd 1.5%, market sd about 1%, 1,500 days: the slope's se is about 0.04
        assert coef[1] == pytest.approx(beta, abs=0.15)


def test_abnormal_returns_land_on_their_session():
    plain = synthetic_prices(INDICES, SECURITIES, "2018-01-01", "2018-12-31", seed=5)
    shocked = synthetic_prices(INDICES, SECURITIES, "2018-01-01", "2018-12-31", seed=5,
                               abnormal={("HSBA.L", "2018-05-08"): 0.05})

    def returns(frame: pd.DataFrame) -> pd.Series:
        rows = frame[frame["ticker"] == "HSBA.L"].set_index("date")["adj_close"]
        return rows / rows.shift(1) - 1

    before, after = returns(plain), returns(shocked)
    # the price path compounds the extra 5% from that day on; the day's own return differs by
    # exactly the extra return times nothing else: (1 + r + 0.05) / (1 + r) on the price ratio
    ratio = (1 + after) / (1 + before)
    day = pd.Timestamp("2018-05-08")
    assert after[day] - before[day] == pytest.approx(0.05, abs=1e-12)
    assert np.allclose(ratio.drop(day).dropna(), 1.0, atol=1e-12)
    volume = shocked[shocked["ticker"] == "HSBA.L"].set_index("date")["volume"]
    assert volume[day] >= 1_600_000
    with pytest.raises(ParameterError, match="give a session of XLON"):
        synthetic_prices(INDICES, SECURITIES, "2018-01-01", "2018-12-31",
                         abnormal={("HSBA.L", "2018-05-07"): 0.05})  # a bank holiday
    with pytest.raises(ParameterError, match="name one of the indices"):
        synthetic_prices(INDICES, {"X": ("XLON", "^GSPC")}, "2018-01-01", "2018-12-31")
