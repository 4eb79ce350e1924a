"""Fama-French factors from the French library: parsing, decimals, cache, offline, failures."""

from __future__ import annotations

import io
import urllib.error
import zipfile

import pandas as pd
import pytest

from eventstudy import load_factors
from eventstudy.data import french
from eventstudy.exceptions import (
    CacheCorruptWarning,
    CacheError,
    DataError,
    NetworkError,
    RateLimitError,
)
from fake_french import MEMBER, french_zip


@pytest.fixture
def library(monkeypatch, data_dir):
    """Replaces the one network call of eventstudy.data.french; records the URLs asked for."""
    asked: list[str] = []
    answers: dict[str, list] = {}

    def fetch_zip(url, timeout):
        asked.append(url)
        name = next(n for n, f in french.FRENCH_FILES.items() if url.endswith(f))
        queue = answers.get(name)
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return french_zip(data_dir, name)

    monkeypatch.setattr(french, "_fetch_zip", fetch_zip)
    return asked, answers


@pytest.mark.parametrize("name", ["ff3", "ff5", "mom"])
def test_downloaded_factors_equal_the_committed_copy(library, tmp_path, name):
    asked, _ = library
    online = french.get_factors(name, source="french", cache_dir=tmp_path)
    assert asked == [french.FRENCH_URL + french.FRENCH_FILES[name]]
    pd.testing.assert_frame_equal(online, load_factors(name), check_freq=False)
    assert online.loc[pd.Timestamp("2018-08-06")].iloc[0] == pytest.approx(
        {"ff3": 0.0046, "ff5": 0.0046, "mom": 0.0036}[name], abs=1e-15)
    asked.clear()
    cached = french.get_factors(name, "2018-01-02", "2018-12-31", source="cache", cache_dir=tmp_path)
    assert asked == [] and len(cached) == 251
    lines = (tmp_path / "factors" / f"{name}.csv").read_text().splitlines()
    assert lines[0].startswith("# eventstudy-cache-2 {") and lines[1].startswith("Date,")


def test_offline_sources_and_auto(library, tmp_path):
    asked, _ = library
    assert french.get_factors("ff3", "2018-01-02", "2018-12-31", source="auto", cache_dir=tmp_path).shape == (251, 4)
    assert asked == []  # the committed copy covers it
    with pytest.raises(DataError, match="factors 'ff3' are not in the cache"):
        french.get_factors("ff3", source="cache", cache_dir=tmp_path)
    with pytest.raises(DataError, match=r"factors 'ff3': the snapshot holds 2016-01-04..2019-12-31, not 2020-01-02..; use"):
        french.get_factors("ff3", "2020-01-02")


def test_missing_values_become_nan(data_dir):
    with zipfile.ZipFile(io.BytesIO(french_zip(data_dir, "mom", missing_on="2018-08-06"))) as archive:
        text = archive.read(MEMBER["mom"]).decode()
    frame = french.parse_french_csv(text, "mom")
    assert list(frame.columns) == ["Mom"] and pd.isna(frame.loc["2018-08-06", "Mom"])
    assert frame.loc["2018-08-07", "Mom"] == load_factors("mom").loc["2018-08-07", "Mom"] * 100


def test_failures(library, tmp_path):
    _, answers = library
    answers["ff3"] = [urllib.error.URLError("[Errno -3] Temporary failure in name resolution")]
    with pytest.raises(NetworkError, match=r"factors 'ff3': cannot reach the French library \(\[Errno -3\]"):
        french.get_factors("ff3", source="french", cache_dir=tmp_path)
    busy = urllib.error.HTTPError("u", 429, "Too Many Requests", {}, None)
    waits: list[float] = []
    answers["ff3"] = [busy, busy]
    assert len(french.get_factors("ff3", source="french", cache_dir=tmp_path, sleep=waits.append, backoff=1.0))
    assert waits == [1.0, 2.0]
    answers["ff3"] = [busy] * 5
    with pytest.raises(RateLimitError, match="refused 3 request"):
        french.get_factors("ff3", source="french", cache_dir=tmp_path, sleep=waits.append, retries=2)


def test_a_corrupt_factor_file_is_refetched(library, tmp_path, data_dir):
    asked, _ = library
    french.get_factors("ff3", source="french", cache_dir=tmp_path)
    path = tmp_path / "factors" / "ff3.csv"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CacheError, match="ff3.csv' is corrupt .*truncated"):
        french.get_factors("ff3", source="cache", cache_dir=tmp_path)
    asked.clear()
    empty = tmp_path / "no-snapshot"
    (empty / "prices").mkdir(parents=True)
    (empty / "factors").mkdir()
    (empty / "factors" / "ff3_daily.csv").write_text("Date,Mkt-RF,SMB,HML,RF\n")
    with pytest.warns(CacheCorruptWarning, match="ff3.csv' is corrupt .*truncated.*fetched again"):
        frame = french.get_factors("ff3", "2018-01-02", "2018-12-31", source="auto", cache_dir=tmp_path,
                                   data_dir=empty)
    assert len(asked) == 1 and len(frame) == 251


def test_the_network_guard_stops_the_real_download():
    """urllib goes through socket, which the test configuration refuses before any packet."""
    import network_guard

    with pytest.raises(network_guard.NetworkBlockedError, match="name lookup of 'mba.tuck.dartmouth.edu' refused"):
        french.download_factors("ff3", retries=0)


def test_a_refused_cache_write_keeps_the_download_with_a_warning(library, tmp_path, monkeypatch):
    import errno
    import os

    from eventstudy.data import cache as cache_module
    from eventstudy.exceptions import CacheWriteError, CacheWriteWarning

    def no_space(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache_module.os, "fsync", no_space)
    with pytest.warns(CacheWriteWarning, match="factors 'ff3': downloaded and used, but not cached: "
                                              "cache_dir: cannot write to .*No space left on device"):
        online = french.get_factors("ff3", source="french", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(online, load_factors("ff3"), check_freq=False)
    assert list((tmp_path / "factors").glob("*.csv")) == [] and [p for p in (tmp_path / "factors").rglob("*.tmp") if p.is_file()] == []
    with pytest.raises(CacheWriteError, match="No space left on device"):  # what `fetch --factors` reports
        french.fetch_factors("ff3", cache_dir=tmp_path)
