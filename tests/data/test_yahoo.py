"""The yfinance path, against yfinance's own download code with a faithful fake of Yahoo's answer."""

from __future__ import annotations

import pandas as pd
import pytest
from fake_yahoo import FakeYahoo, snapshot_history

from eventstudy.exceptions import (
    BeforeFirstTradeError,
    NetworkError,
    NoDataError,
    ParameterError,
    RateLimitError,
)
from eventstudy.data.aliases import resolve_symbol
from eventstudy.data.yahoo import _split, download_prices


@pytest.fixture
def yahoo(monkeypatch, tmp_path, data_dir):
    fake = FakeYahoo().install(monkeypatch, tmp_path)
    fake.histories["META"] = snapshot_history(data_dir, "FB")  # Yahoo serves FB's history as META
    fake.histories["^GSPC"] = snapshot_history(data_dir, "^GSPC")
    fake.histories["SNAP"] = snapshot_history(data_dir, "SNAP")
    return fake


def test_the_fake_returns_what_yfinance_returns(yahoo):
    """yf.download's real assembly on the fake's answer: (Price, Ticker) MultiIndex, naive Date index."""
    import yfinance as yf

    one = yf.download("META", start="2018-08-01", end="2018-08-08", auto_adjust=False, progress=False)
    assert one.columns.names == ["Price", "Ticker"]  # a MultiIndex even for one ticker
    assert ("Adj Close", "META") in one.columns
    assert one.index.name == "Date" and one.index.tz is None
    assert one.index[-1] == pd.Timestamp("2018-08-07")  # end is exclusive in yfinance
    adjusted = yf.download("META", start="2018-08-01", end="2018-08-08", progress=False)
    assert "Adj Close" not in adjusted.columns.get_level_values(0)  # auto_adjust now defaults to True
    failed = yf.download("NOPE", start="2018-08-01", end="2018-08-08", auto_adjust=False, progress=False)
    assert failed.empty  # no exception: an empty frame


def test_one_batched_call_with_explicit_arguments_and_inclusive_end(yahoo):
    result = download_prices(["META", "^GSPC"], "2018-08-01", "2018-08-07")
    assert len(yahoo.downloads) == 1 and result.attempts == 1
    call = yahoo.downloads[0]
    assert call["tickers"] == ["META", "^GSPC"]
    assert call["auto_adjust"] is False and call["actions"] is True and call["progress"] is False
    assert call["end"] == "2018-08-08"  # the inclusive 2018-08-07, sent as yfinance's exclusive end
    assert sorted(yahoo.symbols_requested()) == ["META", "^GSPC"]
    meta = result.frames["META"]
    assert list(meta.columns) == ["date", "open", "high", "low", "close", "adj_close", "volume"]
    assert meta["date"].iloc[-1] == pd.Timestamp("2018-08-07")
    assert meta["volume"].dtype == "int64"
    row = meta.set_index("date").loc[pd.Timestamp("2018-08-06")]
    assert row["close"] == 185.690002 and row["open"] == 178.970001 and row["volume"] == 49716200
    assert result.errors == {}


def test_single_ticker_and_flat_layouts_are_read():
    frame = pd.DataFrame(
        {"Open": [1.0], "High": [1.0], "Low": [1.0], "Close": [1.0], "Adj Close": [1.0], "Volume": [5]},
        index=pd.DatetimeIndex(["2018-08-06"], name="Date"),
    )
    assert list(_split(frame, ["FB"])) == ["FB"]  # multi_level_index=False
    multi = frame.copy()
    multi.columns = pd.MultiIndex.from_product([["FB"], frame.columns], names=["Ticker", "Price"])
    assert list(_split(multi, ["FB"])["FB"].columns) == list(frame.columns)  # group_by="ticker"


def test_no_data_is_an_error_with_yfinance_reason(yahoo):
    result = download_prices(["META", "NOPE"], "2018-08-01", "2018-08-07")
    assert list(result.frames) == ["META"]
    error = result.errors["NOPE"]
    assert isinstance(error, NoDataError)
    assert str(error) == (
        "ticker 'NOPE': Yahoo returned no data for 2018-08-01..2018-08-07; yfinance said: "
        "YFTzMissingError: possibly delisted; no timezone found"
    )


def test_range_before_the_first_trading_day_names_the_first_date(yahoo):
    result = download_prices("SNAP", "2016-01-04", "2016-12-30")
    error = result.errors["SNAP"]
    assert isinstance(error, BeforeFirstTradeError)
    assert error.first_date == pd.Timestamp("2017-03-02")
    assert str(error) == (
        "ticker 'SNAP': 2016-01-04..2016-12-30 is before its first trading day; "
        "first date available: 2017-03-02"
    )


def test_network_down_is_a_network_error(yahoo):
    yahoo.down = True
    result = download_prices(["META", "^GSPC"], "2018-08-01", "2018-08-07")
    assert set(result.errors) == {"META", "^GSPC"}
    error = result.errors["META"]
    assert isinstance(error, NetworkError)
    assert "cannot reach Yahoo Finance" in str(error) and "Could not resolve host" in str(error)


def test_rate_limit_is_retried_with_backoff_then_succeeds(yahoo):
    from yfinance.exceptions import YFRateLimitError

    yahoo.failures["META"] = [YFRateLimitError(), YFRateLimitError()]
    waits: list[float] = []
    result = download_prices(["META", "^GSPC"], "2018-08-01", "2018-08-07", backoff=1.5, sleep=waits.append)
    assert set(result.frames) == {"META", "^GSPC"} and result.errors == {}
    assert waits == [1.5, 3.0] and result.attempts == 3
    assert yahoo.symbols_requested().count("^GSPC") == 1  # only the limited ticker is asked again


def test_rate_limit_gives_up_after_bounded_retries(yahoo):
    from yfinance.exceptions import YFRateLimitError

    yahoo.failures["META"] = [YFRateLimitError()] * 10
    waits: list[float] = []
    result = download_prices("META", "2018-08-01", "2018-08-07", retries=2, backoff=1.0, sleep=waits.append)
    assert waits == [1.0, 2.0]
    error = result.errors["META"]
    assert isinstance(error, RateLimitError)
    assert "Yahoo is rate-limiting requests (YFRateLimitError: Too Many Requests" in str(error)
    assert "gave up after 3 attempt(s)" in str(error)


def test_alias_table():
    day = pd.Timestamp
    fb = resolve_symbol("FB", day("2017-08-01"), day("2018-08-31"))
    assert (fb.ticker, fb.symbol) == ("FB", "META") and "2022-06-09" in fb.note
    assert resolve_symbol("fb", day("2018-01-02"), day("2022-06-08")).symbol == "META"
    with pytest.raises(ParameterError, match=r"tickers: 'FB' is not allowed; FB was last used on "
                       r"2022-06-08 and the range ends 2022-12-30; ask for META"):
        resolve_symbol("FB", day("2022-01-03"), day("2022-12-30"))
    meta = resolve_symbol("META", day("2018-01-02"), day("2018-12-31"))
    assert meta.symbol == "META" and "belonged to another security" in meta.note
    assert resolve_symbol("META", day("2023-01-03"), day("2023-12-29")).note == ""
    assert resolve_symbol("BRK.B", day("2018-01-02"), day("2024-12-31")).symbol == "BRK-B"
    assert resolve_symbol("JPM", day("2018-01-02"), day("2018-12-31")).symbol == "JPM"


def test_bad_requests():
    with pytest.raises(ParameterError, match="end: '2018-01-01' is not allowed; give an end on or after start"):
        download_prices("META", "2018-02-01", "2018-01-01")
    with pytest.raises(ParameterError, match="tickers"):
        download_prices([], "2018-01-01", "2018-02-01")


def test_a_rate_limit_raised_by_download_itself_is_retried(yahoo, monkeypatch):
    """yfinance lets YFRateLimitError escape from some calls (its cookie and crumb requests)."""
    import yfinance as yf
    from yfinance.exceptions import YFRateLimitError

    real = yf.download
    calls = []

    def limited_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise YFRateLimitError()
        return real(*args, **kwargs)

    monkeypatch.setattr(yf, "download", limited_once)
    waits: list[float] = []
    result = download_prices("META", "2018-08-01", "2018-08-07", sleep=waits.append)
    assert waits == [2.0] and list(result.frames) == ["META"] and result.attempts == 2
