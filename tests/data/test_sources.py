"""Sources and the cache: snapshot, cache hit, partial refetch, alias, failures, corrupt files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fake_yahoo import FakeYahoo, snapshot_history
from numpy.testing import assert_allclose

from eventstudy.data import cache as cache_module
from eventstudy import load_prices, run_event_study
from eventstudy.data.cache import TableCache, cache_dir, merge_ranges, missing_ranges
from eventstudy.exceptions import (
    BatchFetchError,
    BeforeFirstTradeError,
    CacheCorruptWarning,
    CacheError,
    DataError,
    DataQualityWarning,
    NetworkError,
    NoDataError,
    ParameterError,
    UnknownTickerError,
)
from eventstudy.data.sources import get_prices

NOW = pd.Timestamp("2026-01-05 12:00", tz="UTC")
DAY = pd.Timestamp


@pytest.fixture
def yahoo(monkeypatch, tmp_path, data_dir):
    fake = FakeYahoo().install(monkeypatch, tmp_path)
    for ticker, symbol in [("FB", "META"), ("^GSPC", "^GSPC"), ("SNAP", "SNAP"), ("JPM", "JPM"),
                           ("TWTR", "TWTR")]:
        fake.histories[symbol] = snapshot_history(data_dir, ticker)
    return fake


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def no_snapshot(tmp_path):
    """A snapshot folder without tickers, so "auto" goes to the cache and Yahoo."""
    (tmp_path / "empty" / "prices").mkdir(parents=True)
    return tmp_path / "empty"


def read_manifest(path):
    """The manifest on the first line of a cache file."""
    head = path.read_text().splitlines()[0]
    assert head.startswith("# eventstudy-cache-2 ")
    return json.loads(head.removeprefix("# eventstudy-cache-2 "))


def fetch(tickers, start, end, cache, source="auto", data_dir=None, **kwargs):
    if data_dir is None:
        data_dir = cache.parent / "empty"
        (data_dir / "prices").mkdir(parents=True, exist_ok=True)
    return get_prices(tickers, start, end, source=source, cache_dir=cache, now=NOW,
                      data_dir=data_dir, **kwargs)


# -- the snapshot -------------------------------------------------------------------------------


def test_snapshot_source_is_the_committed_data(yahoo):
    prices = get_prices(["FB", "^GSPC"])
    pd.testing.assert_frame_equal(prices, load_prices(["FB", "^GSPC"]), check_like=False)
    assert prices.attrs["provenance"]["FB"]["source"] == "snapshot"
    part = get_prices("FB", "2018-08-01", "2018-08-07")
    assert part["date"].tolist() == list(pd.bdate_range("2018-08-01", "2018-08-07"))
    assert yahoo.requests == []


def test_snapshot_source_refuses_dates_it_does_not_hold(yahoo):
    with pytest.raises(NoDataError, match=r"ticker 'FB': the range ends 2020-06-30, after the last date "
                       r"with data in the snapshot; last date available: 2019-12-31; use source 'auto'"):
        get_prices("FB", "2019-06-03", "2020-06-30")
    with pytest.raises(UnknownTickerError, match="tickers: 'META' has no data in the committed snapshot"):
        get_prices("META", "2018-01-02", "2018-12-31")


def test_auto_prefers_the_snapshot_and_fetches_nothing_it_holds(yahoo, cache, data_dir):
    prices = fetch(["FB", "^GSPC"], "2018-01-02", "2018-12-31", cache, data_dir=data_dir)
    assert yahoo.requests == [] and not cache.exists()
    assert len(prices) == 2 * 251


# -- Yahoo, the cache, partial refetch ----------------------------------------------------------


def test_fetch_fills_the_cache_and_a_second_request_makes_no_call(yahoo, cache):
    yahoo.histories["META"] = _extend(yahoo.histories["META"])
    yahoo.histories["^GSPC"] = _extend(yahoo.histories["^GSPC"])
    first = fetch(["FB", "^GSPC"], "2020-01-02", "2020-03-31", cache)
    assert len(yahoo.downloads) == 1  # one batched call for both
    assert sorted(yahoo.symbols_requested()) == ["META", "^GSPC"]
    provenance = first.attrs["provenance"]
    assert provenance["FB"]["symbol"] == "META" and provenance["FB"]["source"] == "yahoo"
    assert first["ticker"].unique().tolist() == ["FB", "^GSPC"]  # the name asked for is kept
    files = sorted(p.name for p in (cache / "prices").iterdir() if not p.name.startswith("."))
    assert files == ["%5EGSPC.csv", "META.csv"]  # one file per entry (and hidden lock files)
    text = (cache / "prices" / "META.csv").read_text().splitlines()
    assert text[0].startswith("# eventstudy-cache-2 {")  # the manifest, then the CSV
    assert text[1] == "Date,Open,High,Low,Close,Adj Close,Volume"  # a file a person can read
    manifest = read_manifest(cache / "prices" / "META.csv")
    assert manifest["covered"] == [["2020-01-02", "2020-03-31"]] and manifest["rows"] == len(text) - 2
    assert manifest["key"] == manifest["symbol"] == "META" and manifest["tickers"] == ["FB"]

    yahoo.requests.clear()
    again = fetch(["FB", "^GSPC"], "2020-01-02", "2020-03-31", cache)
    assert yahoo.requests == []  # cache hit: no network call
    assert again.attrs["provenance"]["FB"]["source"] == "cache"
    pd.testing.assert_frame_equal(again, first)
    offline = fetch(["FB", "^GSPC"], "2020-02-03", "2020-02-28", cache, source="cache")
    assert offline["date"].min() == DAY("2020-02-03") and yahoo.requests == []


def _extend(history: pd.DataFrame) -> pd.DataFrame:
    """Yahoo's answer past the snapshot: 2020 rows with the last 2019 prices drifting slowly."""
    last = history.iloc[-1]
    days = pd.bdate_range("2020-01-02", "2020-06-30", tz="America/New_York")
    from eventstudy.calendar import sessions

    days = days[days.tz_localize(None).isin(sessions("2020-01-02", "2020-06-30"))]
    growth = np.cumprod(np.full(len(days), 1.001))
    extra = pd.DataFrame({c: last[c] * growth for c in ["Open", "High", "Low", "Close", "Adj Close"]}, index=days)
    extra["Volume"] = int(last["Volume"])
    extra.index.name = "Date"
    return pd.concat([history, extra])


def test_a_longer_range_fetches_only_the_missing_part(yahoo, cache):
    yahoo.histories["META"] = _extend(yahoo.histories["META"])
    fetch("FB", "2019-07-01", "2019-12-31", cache, source="yahoo")
    yahoo.requests.clear()
    prices = fetch("FB", "2019-07-01", "2020-03-31", cache)
    # Only January to March 2020 is asked for, plus the cached 2019-12-31 to compare the answers.
    assert yahoo.requests == [("META", "2019-12-31", "2020-04-01")]
    record = prices.attrs["provenance"]["FB"]
    assert record["source"] == "cache+yahoo" and record["fetched"] == [["2019-12-31", "2020-03-31"]]
    assert prices["date"].min() == DAY("2019-07-01") and prices["date"].max() == DAY("2020-03-31")
    manifest = read_manifest(cache / "prices" / "META.csv")
    assert manifest["covered"] == [["2019-07-01", "2020-03-31"]]
    yahoo.requests.clear()
    fetch("FB", "2019-06-03", "2019-09-30", cache)  # extending backwards: June plus 2019-07-01
    assert yahoo.requests == [("META", "2019-06-03", "2019-07-02")]


def test_changed_adjustments_are_replaced_not_spliced(yahoo, cache):
    fetch("JPM", "2019-01-02", "2019-06-28", cache, source="yahoo")
    history = yahoo.histories["JPM"].copy()
    history["Adj Close"] *= 0.98  # a dividend since the cache was filled rescales the whole history
    yahoo.histories["JPM"] = history
    yahoo.requests.clear()
    prices = fetch("JPM", "2019-01-02", "2019-09-30", cache)
    assert yahoo.requests == [("JPM", "2019-06-28", "2019-10-01"), ("JPM", "2019-01-02", "2019-10-01")]
    record = prices.attrs["provenance"]["JPM"]
    assert "replaced, not spliced" in record["note"]
    returns = prices["adj_close"].pct_change().dropna()
    expected = history.loc["2019-01-02":"2019-09-30", "Adj Close"].pct_change().dropna().to_numpy()
    assert_allclose(returns.to_numpy(), expected, rtol=1e-12)


def test_alias_fb_is_fetched_as_meta_and_gives_the_snapshot_study(yahoo, cache):
    live = run_event_study("FB", "2018-08-06", source="auto", cache_dir=cache)
    snapshot = run_event_study("FB", "2018-08-06")
    assert yahoo.requests == []  # the snapshot covers it: auto fetches nothing
    cached = run_event_study("FB", "2018-08-06", source="yahoo", cache_dir=cache)
    assert sorted(set(yahoo.symbols_requested())) == ["META", "^GSPC"]
    assert cached.ticker == "FB"
    for result in (live, cached):
        assert_allclose(result.days["abnormal"], snapshot.days["abnormal"], rtol=1e-12)
        assert_allclose(result.car.value, snapshot.car.value, rtol=1e-12)
    yahoo.requests.clear()
    offline = run_event_study("FB", "2018-08-06", source="cache", cache_dir=cache)
    assert yahoo.requests == []
    assert_allclose(offline.car.t, snapshot.car.t, rtol=1e-12)


# -- failures -----------------------------------------------------------------------------------


def test_batch_failures_are_named_and_the_rest_kept(yahoo, cache):
    with pytest.raises(BatchFetchError) as info:
        fetch(["JPM", "NOPE", "SNAP"], "2016-06-01", "2016-06-30", cache)
    error = info.value
    assert list(error.failures) == ["NOPE", "SNAP"]
    assert str(error).startswith("tickers: 2 failed (NOPE, SNAP): ticker 'NOPE': Yahoo returned no data")
    assert "first date available: 2017-03-02" in str(error)
    assert error.prices["ticker"].unique().tolist() == ["JPM"]
    assert len(error.prices) == 22


def test_a_range_partly_before_the_listing_names_the_first_date(yahoo, cache):
    with pytest.raises(BeforeFirstTradeError) as info:
        fetch("SNAP", "2017-01-03", "2017-06-30", cache)
    assert str(info.value) == (
        "ticker 'SNAP': the range starts 2017-01-03, before the first date with data in Yahoo's "
        "answer; first date available: 2017-03-02"
    )
    assert info.value.first_date == DAY("2017-03-02")


def test_a_delisted_security_names_the_last_date(yahoo, cache):
    with pytest.raises(NoDataError, match="ticker 'TWTR': the range ends 2020-02-28, after the last date "
                       "with data in Yahoo's answer; last date available: 2019-12-31"):
        fetch("TWTR", "2019-12-02", "2020-02-28", cache)


def test_network_down_and_offline_cache_misses_are_clear(yahoo, cache):
    yahoo.down = True
    with pytest.raises(NetworkError, match=r"ticker 'FB' \(Yahoo symbol 'META'\): cannot reach Yahoo Finance"):
        fetch("FB", "2020-01-02", "2020-01-31", cache)
    with pytest.raises(CacheError, match=r"cache: 'META' is not in the cache at .*; fill it with "
                       r"`eventstudy fetch FB --start 2020-01-02 --end 2020-01-31`"):
        fetch("FB", "2020-01-02", "2020-01-31", cache, source="cache")


def test_end_is_cut_at_the_last_closed_session(yahoo, cache):
    yahoo.histories["META"] = _extend(yahoo.histories["META"])
    prices = get_prices("FB", "2020-03-02", "2020-12-31", source="yahoo", cache_dir=cache,
                        now=pd.Timestamp("2020-03-06 20:30", tz="UTC"))  # 15:30 in New York
    assert prices["date"].max() == DAY("2020-03-05")
    assert "the range was cut at 2020-03-05" in prices.attrs["provenance"]["FB"]["note"]


def test_bad_requests(yahoo, cache):
    with pytest.raises(ParameterError, match="source: 'web' is not allowed; choose one of snapshot, cache, yahoo, auto"):
        get_prices("FB", source="web")
    with pytest.raises(ParameterError, match="start: None is not allowed; give a start date"):
        get_prices("XOM", source="auto", cache_dir=cache, now=NOW)
    with pytest.raises(ParameterError, match="start: '2018-13-01' is not allowed; give a date as YYYY-MM-DD"):
        get_prices("FB", "2018-13-01", "2018-12-31")


# -- the cache's integrity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage,reason",
    [
        (lambda csv, manifest: csv.write_bytes(csv.read_bytes()[:-40]), "truncated or changed"),
        (lambda csv, manifest: csv.write_bytes(csv.read_bytes().replace(b"185.69", b"185.96", 1)),
         "sha256 does not match"),
        (lambda csv, manifest: csv.write_bytes(csv.read_bytes().split(b"\n", 1)[1]), "no manifest"),
        (lambda csv, manifest: csv.write_bytes(csv.read_bytes().replace(b'"rows"', b'"rows', 1)),
         "manifest is unreadable"),
    ],
)
def test_a_corrupt_cache_file_is_reported_and_refetched(yahoo, cache, damage, reason):
    fetch("FB", "2018-07-02", "2018-08-31", cache, source="yahoo")
    good = (cache / "prices" / "META.csv").read_bytes().split(b"\n", 1)[1]
    damage(cache / "prices" / "META.csv", None)
    with pytest.raises(CacheError, match=f"cache: .*META.csv' is corrupt \\(.*{reason}.*\\); fetch it again"):
        fetch("FB", "2018-07-02", "2018-08-31", cache, source="cache")
    yahoo.requests.clear()
    with pytest.warns(CacheCorruptWarning, match=f"META.csv' is corrupt .*{reason}.*it is ignored and fetched again"):
        prices = fetch("FB", "2018-07-02", "2018-08-31", cache)
    assert yahoo.requests == [("META", "2018-07-02", "2018-09-01")]
    assert (cache / "prices" / "META.csv").read_bytes().split(b"\n", 1)[1] == good
    assert prices.set_index("date").loc[DAY("2018-08-06"), "close"] == 185.690002


def test_an_interrupted_write_leaves_the_previous_files(yahoo, cache, monkeypatch):
    fetch("FB", "2018-07-02", "2018-08-31", cache, source="yahoo")
    before = {str(p): p.read_bytes() for p in (cache / "prices").rglob("*") if p.is_file()}
    real_replace = os.replace

    def crash(src, dst):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(cache_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        fetch("FB", "2018-07-02", "2018-10-31", cache)
    monkeypatch.setattr(cache_module.os, "replace", real_replace)
    after = {str(p): p.read_bytes() for p in (cache / "prices").rglob("*") if p.is_file()}
    assert after == before  # no temporary file left, nothing half written
    yahoo.requests.clear()
    prices = fetch("FB", "2018-07-02", "2018-08-31", cache, source="cache")
    assert len(prices) == 44 and yahoo.requests == []


def test_cache_folder_argument_then_environment_then_default(tmp_path, monkeypatch):
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "eventstudy"
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert TableCache(None, "prices").folder == tmp_path / "env" / "prices"


def test_default_cache_folder_is_the_platforms(monkeypatch):
    """platformdirs picks the folder: ~/Library/Caches on macOS (XDG on Linux, checked above)."""
    import platformdirs
    from platformdirs.macos import MacOS

    from eventstudy.data.cache import default_cache_dir

    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    monkeypatch.setattr(platformdirs, "PlatformDirs", MacOS)
    assert default_cache_dir() == Path.home() / "Library" / "Caches" / "eventstudy"
    assert cache_dir() == default_cache_dir()


def test_date_range_arithmetic():
    r = [(DAY("2018-01-01"), DAY("2018-01-31")), (DAY("2018-02-01"), DAY("2018-02-10")),
         (DAY("2018-03-01"), DAY("2018-03-31"))]
    assert merge_ranges(r) == [(DAY("2018-01-01"), DAY("2018-02-10")), (DAY("2018-03-01"), DAY("2018-03-31"))]
    assert missing_ranges(r, DAY("2017-12-20"), DAY("2018-04-05")) == [
        (DAY("2017-12-20"), DAY("2017-12-31")), (DAY("2018-02-11"), DAY("2018-02-28")),
        (DAY("2018-04-01"), DAY("2018-04-05"))]
    assert missing_ranges(r, DAY("2018-01-05"), DAY("2018-02-03")) == []


# -- data checks on every load ------------------------------------------------------------------


def test_gaps_and_extreme_returns_warn_without_dropping(yahoo, cache):
    history = yahoo.histories["JPM"]
    history = history.drop(pd.Timestamp("2018-08-07", tz="America/New_York"))
    history.loc[pd.Timestamp("2018-08-09", tz="America/New_York"), "Adj Close"] *= 0.5
    yahoo.histories["JPM"] = history
    with pytest.warns(DataQualityWarning) as record:
        prices = fetch("JPM", "2018-08-01", "2018-08-15", cache)
    messages = [str(w.message) for w in record]
    assert any("no row in Yahoo's answer on 1 day(s) the exchange (XNYS) was open: 2018-08-07" in m
               for m in messages)
    assert any("2018-08-09 (-50.4%)" in m and "2018-08-10 (+98.0%)" in m and "kept as they are" in m
               for m in messages)
    assert len(prices) == 10


def test_duplicates_and_bad_prices_are_errors(yahoo, cache):
    history = yahoo.histories["JPM"]
    day = history.loc["2018-08-06":"2018-08-06"]
    yahoo.histories["JPM"] = pd.concat([history, day]).sort_index()
    with pytest.raises(DataError, match="ticker 'JPM': duplicated dates in Yahoo's answer: 2018-08-06"):
        fetch("JPM", "2018-08-01", "2018-08-15", cache)
