"""The committed snapshot: every file loads, values are the files' own, bad files are refused."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from eventstudy import available_tickers, load_factors, load_prices
from eventstudy.data.snapshot import PRICE_COLUMNS, snapshot_dir
from eventstudy.exceptions import DataError, ParameterError, UnknownTickerError

TICKERS = ["AAPL", "AMZN", "C", "FB", "GOOG", "GOOGL", "JPM", "QQQ", "SNAP", "SPY", "TWTR", "USB",
           "WFC", "^GSPC", "^IXIC"]


def test_every_snapshot_ticker_is_available():
    assert available_tickers() == TICKERS


@pytest.mark.parametrize("ticker", TICKERS)
def test_every_ticker_loads_tidy_and_verbatim(ticker, data_dir):
    prices = load_prices(ticker)
    assert list(prices.columns) == ["ticker", "date", *PRICE_COLUMNS]
    assert (prices["ticker"] == ticker).all()
    assert prices["date"].is_monotonic_increasing and prices["date"].is_unique
    assert prices["date"].dt.tz is None
    with (data_dir / "prices" / (ticker.lstrip("^") + ".csv")).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(prices) == len(rows) == (714 if ticker == "SNAP" else 1006)
    assert prices["date"].iloc[-1] == pd.Timestamp("2019-12-31")
    for i in (0, len(rows) // 2, len(rows) - 1):
        assert prices["date"].iloc[i] == pd.Timestamp(rows[i]["Date"])
        assert prices["adj_close"].iloc[i] == float(rows[i]["Adj Close"])
        assert prices["open"].iloc[i] == float(rows[i]["Open"])
        assert prices["volume"].iloc[i] == int(rows[i]["Volume"])


def test_several_tickers_in_one_tidy_frame():
    prices = load_prices(["^GSPC", "FB"])
    assert prices["ticker"].unique().tolist() == ["FB", "^GSPC"]
    assert len(prices) == 2012


def test_sources_values_for_the_event_window():
    """SOURCES.md, 'Event-window values': FB Close 185.690002 and ^GSPC 2850.399902 on 2018-08-06."""
    prices = load_prices(["FB", "^GSPC"]).set_index(["ticker", "date"])
    assert prices.loc[("FB", pd.Timestamp("2018-08-06")), "close"] == 185.690002
    assert prices.loc[("FB", pd.Timestamp("2018-08-06")), "open"] == 178.970001
    assert prices.loc[("^GSPC", pd.Timestamp("2018-08-06")), "adj_close"] == 2850.399902


@pytest.mark.parametrize(
    "name,columns",
    [("ff3", ["Mkt-RF", "SMB", "HML", "RF"]), ("ff5", ["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"]),
     ("mom", ["Mom"])],
)
def test_factors_load_as_decimals(name, columns):
    factors = load_factors(name)
    assert list(factors.columns) == columns
    assert len(factors) == 1006 and factors.index.name == "date"
    day = factors.loc[pd.Timestamp("2018-08-06")]
    # The files' rows for 2018-08-06, in percent (SOURCES.md quotes the 3-factor and momentum ones).
    in_percent = {
        "ff3": [0.46, 0.26, -0.33, 0.007],
        "ff5": [0.46, 0.22, -0.33, -0.31, -0.21, 0.007],
        "mom": [0.36],
    }[name]
    assert day.to_numpy() == pytest.approx([v / 100 for v in in_percent], abs=1e-15)


def test_factor_dates_equal_price_dates():
    assert load_factors("ff3").index.equals(pd.DatetimeIndex(load_prices("FB")["date"], name="date"))


def test_unknown_names_are_refused():
    with pytest.raises(UnknownTickerError, match="ticker: 'META' has no data in the committed snapshot; available: AAPL"):
        load_prices("META")
    with pytest.raises(ParameterError, match="name: 'ff4' is not allowed; choose one of ff3, ff5, mom"):
        load_factors("ff4")
    with pytest.raises(ParameterError, match="tickers: .* give at least one ticker"):
        load_prices([])


def test_data_dir_argument_and_environment_variable(tmp_path, monkeypatch, data_dir):
    copy = tmp_path / "snapshot"
    (copy / "prices").mkdir(parents=True)
    shutil.copy(data_dir / "prices" / "FB.csv", copy / "prices" / "FB.csv")
    assert available_tickers(copy) == ["FB"]
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(copy))
    assert snapshot_dir() == copy
    assert available_tickers() == ["FB"]
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="EVENTSTUDY_DATA_DIR: '.*nowhere' holds no snapshot"):
        available_tickers()


def test_default_is_the_checkout_data_folder(data_dir):
    assert snapshot_dir() == data_dir


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda rows: rows[:3] + [rows[2]] + rows[3:], "ticker 'FB': duplicated dates in the snapshot: 2016-01-05"),
        (lambda rows: rows[:2] + [rows[2].replace("102.730003,23258200", "0,23258200")] + rows[3:],
         "ticker 'FB': zero or negative prices in the snapshot on 2016-01-05"),
    ],
)
def test_bad_files_are_refused(tmp_path, data_dir, mutate, message):
    (tmp_path / "prices").mkdir()
    rows = (data_dir / "prices" / "FB.csv").read_text().splitlines()
    (tmp_path / "prices" / "FB.csv").write_text("\n".join(mutate(rows)) + "\n")
    with pytest.raises(DataError) as info:
        load_prices("FB", data_dir=tmp_path)
    assert message in str(info.value)


def test_snapshot_loads_are_checked_for_gaps_and_extreme_returns(tmp_path, data_dir):
    from eventstudy.exceptions import DataQualityWarning

    (tmp_path / "prices").mkdir()
    rows = (data_dir / "prices" / "FB.csv").read_text().splitlines()
    gap = [r for r in rows if not r.startswith("2018-12-04")]  # a session with no row
    (tmp_path / "prices" / "FB.csv").write_text("\n".join(gap) + "\n")
    with pytest.warns(DataQualityWarning, match=r"ticker 'FB': no row in the snapshot on 1 day\(s\) the "
                      r"exchange \(XNYS\) was open: 2018-12-04"):
        prices = load_prices("FB", data_dir=tmp_path)
    assert len(prices) == 1005  # warned, not dropped
    jump = [r.replace("185.690002,185.690002", "185.690002,385.690002") for r in rows]
    (tmp_path / "prices" / "FB.csv").write_text("\n".join(jump) + "\n")
    with pytest.warns(DataQualityWarning, match=r"2018-08-06 \(\+116\.9%\), 2018-08-07 \(-52\.3%\); check for an "
                      r"unadjusted split"):
        load_prices("FB", data_dir=tmp_path)
