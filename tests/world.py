"""Four markets for the tests of studies across exchanges: synthetic prices on the real calendars
of New York, London, Tokyo and Hong Kong (:func:`eventstudy.data.synthetic.synthetic_prices`),
and the Yahoo fake serving them in the shape yfinance returns for US, ``.L``, ``.T`` and ``.HK``
symbols (midnights in each exchange's time zone)."""

from __future__ import annotations

import functools

import pandas as pd

from eventstudy.data.synthetic import synthetic_prices
from fake_yahoo import FakeYahoo, yahoo_history

INDICES = {"^GSPC": "XNYS", "^FTSE": "XLON", "^N225": "XTKS", "^HSI": "XHKG"}
SECURITIES = {"JPM": ("XNYS", "^GSPC"), "HSBA.L": ("XLON", "^FTSE"), "BARC.L": ("XLON", "^FTSE"),
              "8306.T": ("XTKS", "^N225"), "7203.T": ("XTKS", "^N225"),
              "0005.HK": ("XHKG", "^HSI"), "0700.HK": ("XHKG", "^HSI"),
              "HSBC": ("XNYS", "^FTSE")}  # HSBC's New York listing, modelled on London's index
ZONES = {"XNYS": "America/New_York", "XLON": "Europe/London", "XTKS": "Asia/Tokyo",
         "XHKG": "Asia/Hong_Kong"}
EXCHANGE = {**INDICES, **{symbol: mic for symbol, (mic, _) in SECURITIES.items()}}


@functools.cache
def world() -> pd.DataFrame:
    """The tidy prices of every symbol, 2016-2019, on its exchange's sessions."""
    return synthetic_prices(INDICES, SECURITIES, "2016-01-01", "2019-12-31", seed=3,
                            abnormal={("HSBA.L", "2018-05-08"): 0.04, ("8306.T", "2018-05-07"): -0.03})


def serve(fake: FakeYahoo) -> FakeYahoo:
    """Fill the fake with the prices of :func:`world`, each symbol in its exchange's time zone."""
    for symbol, rows in world().groupby("ticker"):
        fake.histories[symbol] = yahoo_history(rows, ZONES[EXCHANGE[symbol]])
    return fake


@functools.cache
def sessions(exchange: str) -> pd.DatetimeIndex:
    """The exchange's sessions of 2016-2019, straight from exchange_calendars."""
    import warnings

    import exchange_calendars

    with warnings.catch_warnings():  # the library's pandas deprecations
        warnings.simplefilter("ignore")
        calendar = exchange_calendars.get_calendar(exchange, start="2016-01-01", end="2019-12-31")
    return pd.DatetimeIndex(calendar.sessions)


#: Yahoo's exchange rates the tests serve: dollars per unit of each currency.
RATES = {"GBPUSD=X": 1.35, "JPYUSD=X": 0.0091, "HKDUSD=X": 0.128}


@functools.cache
def fx_rates() -> pd.DataFrame:
    """Tidy rows of :data:`RATES` on every weekday of 2016-2019 (a random walk of 0.5% a day),
    Open = High = Low = Close = Adj Close, no volume: Yahoo's daily rate bars."""
    import numpy as np

    days = pd.bdate_range("2016-01-01", "2019-12-31")
    rng = np.random.default_rng(11)
    frames = []
    for symbol, level in RATES.items():
        rate = level * np.exp(np.cumsum(rng.normal(0.0, 0.005, len(days))))
        frames.append(pd.DataFrame({"ticker": symbol, "date": days, "open": rate, "high": rate,
                                    "low": rate, "close": rate, "adj_close": rate, "volume": 0}))
    return pd.concat(frames, ignore_index=True)


def serve_rates(fake: FakeYahoo) -> FakeYahoo:
    """Add :func:`fx_rates` to the fake (Yahoo's rate bars are midnights in London)."""
    for symbol, rows in fx_rates().groupby("ticker"):
        fake.histories[symbol] = yahoo_history(rows, "Europe/London")
    return fake
