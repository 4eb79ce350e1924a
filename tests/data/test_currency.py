"""Prices in dollars: each price times its currency's Yahoo rate on the same date, the returns
compounding the local return and the currency's, a batch equal to one run per event."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.data.currency import check_currency, convert_prices, currency_of, fx_symbol
from eventstudy.exceptions import DataQualityWarning, ParameterError
from eventstudy.studies.multi import run_multi_event_study
from fake_yahoo import FakeYahoo
from world import fx_rates, serve, serve_rates, sessions, world


@pytest.fixture
def yahoo(monkeypatch, tmp_path):
    return serve_rates(serve(FakeYahoo().install(monkeypatch, tmp_path)))


def test_currencies_of_symbols_and_rate_symbols():
    assert [currency_of(s, "XNYS") for s in ("VOD.L", "7203.T", "0005.HK", "SAP.DE", "AAPL", "^N225")] \
        == ["GBP", "JPY", "HKD", "EUR", "USD", "JPY"]
    assert currency_of("ANYTHING", "XLON") == "GBP"  # no suffix: the exchange it is placed on
    assert fx_symbol("GBP", "USD") == "GBPUSD=X" and check_currency(" usd ") == "USD"
    with pytest.raises(ParameterError, match="currency: 'DOLLARS' is not allowed; give a currency code"):
        check_currency("DOLLARS")


def dollars(ticker: str) -> pd.Series:
    """A security's adjusted close in dollars, by hand: local price times the day's rate."""
    rows = world().loc[lambda f: f["ticker"] == ticker].set_index("date")["adj_close"]
    pair = {"HSBA.L": "GBPUSD=X", "^FTSE": "GBPUSD=X", "8306.T": "JPYUSD=X", "^N225": "JPYUSD=X"}[ticker]
    rate = fx_rates().loc[lambda f: f["ticker"] == pair].set_index("date")["close"]
    return rows * rate.reindex(rows.index)


def test_a_london_event_in_dollars(yahoo, tmp_path):
    cache = tmp_path / "cache"
    local = run_event_study("HSBA.L", "2018-05-08", source="yahoo", cache_dir=cache)
    usd = run_event_study("HSBA.L", "2018-05-08", source="yahoo", cache_dir=cache, currency="USD")
    assert usd.currency == "USD" and local.currency is None
    assert "prices in USD, converted at Yahoo's daily exchange rates" in str(usd.summary())
    # (1 + R in dollars) = (1 + R in pounds) (1 + R of GBPUSD), day by day
    rate = fx_rates().loc[lambda f: f["ticker"] == "GBPUSD=X"].set_index("date")["close"]
    days = usd.days["date"]
    previous = [sessions("XLON")[sessions("XLON").get_loc(d) - 1] for d in days]
    fx = rate[days].to_numpy() / rate[previous].to_numpy() - 1
    np.testing.assert_allclose(1 + usd.days["return"], (1 + local.days["return"]) * (1 + fx),
                               rtol=0, atol=1e-12)
    # the market model in dollars, by least squares on the converted prices
    both = pd.concat([dollars("HSBA.L"), dollars("^FTSE")], axis=1).dropna()
    returns = (both / both.shift(1) - 1).iloc[1:]
    p = returns.index.get_loc(pd.Timestamp("2018-05-08"))
    est, evt = returns.iloc[p - 250 : p - 10], returns.iloc[p - 1 : p + 2]
    x = np.column_stack([np.ones(len(est)), est.iloc[:, 1]])
    coef = np.linalg.lstsq(x, est.iloc[:, 0].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(usd.params.to_numpy(), coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(usd.days["abnormal"], evt.iloc[:, 0] - coef[0] - coef[1] * evt.iloc[:, 1],
                               rtol=0, atol=1e-10)


def test_a_batch_in_dollars_equals_one_run_per_event(yahoo, tmp_path, capsys):
    cache = tmp_path / "cache"
    events = pd.DataFrame({"ticker": ["HSBA.L", "8306.T", "HSBA.L"],
                           "event_date": ["2018-05-08", "2018-05-07", "2018-09-03"]})
    multi = run_multi_event_study(events, source="yahoo", cache_dir=cache, currency="USD")
    for row, event in events.iterrows():
        single = run_event_study(event["ticker"], event["event_date"], source="cache",
                                 cache_dir=cache, currency="USD")
        np.testing.assert_allclose(multi.abnormal.loc[row], single.days["abnormal"], rtol=0, atol=1e-10)
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert main(["batch", str(path), "--source", "cache", "--cache-dir", str(cache),
                 "--currency", "usd", "--json"]) == 0
    assert main(["run", "HSBA.L", "2018-05-08", "--currency", "USD", "--returns", str(path)]) == 2
    err = capsys.readouterr().err
    assert "eventstudy: error: currency: 'USD' is not allowed; converts prices of the snapshot" in err


def test_a_date_without_a_rate_leaves_the_price_missing(yahoo, tmp_path):
    rows = world().loc[lambda f: f["ticker"] == "HSBA.L"].iloc[:30]
    yahoo.histories["GBPUSD=X"] = yahoo.histories["GBPUSD=X"].drop(  # Yahoo lacks one day's rate
        pd.Timestamp(rows["date"].iloc[10]).tz_localize("Europe/London"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted, failed = convert_prices(rows, "USD", "XLON", source="yahoo", cache_dir=tmp_path / "c")
    said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    day = f"{rows['date'].iloc[10]:%Y-%m-%d}"
    assert said == [f"ticker 'GBPUSD=X': no row in Yahoo's answer on 1 day(s) the exchange (24/5) was "
                    f"open: {day}", "currency: 1 date(s) of HSBA.L without a GBPUSD=X rate: their "
                    "prices, and so their returns, are missing"]
    assert failed == {} and converted["adj_close"].isna().sum() == 1
    assert np.isnan(converted["adj_close"].iloc[10])
