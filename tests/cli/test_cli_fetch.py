"""`eventstudy fetch` and `eventstudy run --source`, with Yahoo and the French library faked."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.data import french
from fake_french import french_zip
from fake_yahoo import FakeYahoo, snapshot_history


@pytest.fixture
def yahoo(monkeypatch, tmp_path, data_dir):
    fake = FakeYahoo().install(monkeypatch, tmp_path)
    for ticker, symbol in [("FB", "META"), ("^GSPC", "^GSPC"), ("SNAP", "SNAP")]:
        fake.histories[symbol] = snapshot_history(data_dir, ticker)
    monkeypatch.setattr(
        french, "_fetch_zip",
        lambda url, timeout: french_zip(data_dir, next(n for n, f in french.FRENCH_FILES.items() if url.endswith(f))),
    )
    return fake


def test_fetch_fills_the_cache_and_reports(yahoo, tmp_path, capsys):
    cache = tmp_path / "cache"
    code = main(["fetch", "FB", "^GSPC", "--start", "2017-07-03", "--end", "2018-08-31",
                 "--cache-dir", str(cache), "--factors"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("FB (Yahoo symbol META): fetched 2017-07-03..2018-08-31 from Yahoo; 295 rows "
                        "2017-07-03..2018-08-31; FB traded until 2022-06-08 and is META since 2022-06-09; "
                        "Yahoo serves FB's history under META")
    assert lines[1].startswith("^GSPC: fetched 2017-07-03..2018-08-31 from Yahoo; 295 rows")
    assert lines[2].startswith("factors ff3: fetched from the French library; 1006 rows 2016-01-04..2019-12-31")
    assert lines[-1] == f"5 of 5 fetched into {cache}"
    assert (cache / "prices" / "META.csv").exists() and (cache / "factors" / "mom.csv").exists()

    yahoo.requests.clear()
    assert main(["fetch", "FB", "--start", "2017-07-03", "--end", "2018-08-31", "--cache-dir", str(cache)]) == 0
    assert capsys.readouterr().out.startswith("FB (Yahoo symbol META): already in the cache; 295 rows")
    assert yahoo.requests == []

    # The study then runs offline from the cache, FB fetched as META, same numbers as the snapshot.
    assert main(["run", "FB", "2018-08-06", "--source", "cache", "--cache-dir", str(cache), "--json"]) == 0
    cached = json.loads(capsys.readouterr().out)
    assert main(["run", "FB", "2018-08-06", "--json"]) == 0
    snapshot = json.loads(capsys.readouterr().out)
    assert cached["car"]["value"] == pytest.approx(snapshot["car"]["value"], rel=1e-12)
    assert yahoo.requests == []


def test_fetch_names_what_failed_and_exits_non_zero(yahoo, tmp_path, capsys):
    code = main(["fetch", "FB", "NOPE", "SNAP", "--start", "2016-06-01", "--end", "2016-06-30",
                 "--cache-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines()[0].startswith("FB (Yahoo symbol META): fetched 2016-06-01..2016-06-30 from Yahoo")
    assert out.splitlines()[-1] == f"1 of 3 fetched into {tmp_path}; failed: NOPE, SNAP"
    assert err.splitlines() == [
        "eventstudy: failed: NOPE: ticker 'NOPE': Yahoo returned no data for 2016-06-01..2016-06-30; "
        "yfinance said: YFTzMissingError: possibly delisted; no timezone found",
        "eventstudy: failed: SNAP: ticker 'SNAP': 2016-06-01..2016-06-30 is before its first trading day; "
        "first date available: 2017-03-02",
    ]


def test_fetch_with_the_network_down(yahoo, tmp_path, capsys):
    yahoo.down = True
    assert main(["fetch", "FB", "--start", "2018-01-02", "--end", "2018-03-30", "--cache-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: failed: FB: ticker 'FB' (Yahoo symbol 'META'): cannot reach Yahoo Finance")
    assert len(err.splitlines()) == 1  # one line, no traceback


@pytest.mark.parametrize(
    "argv,message",
    [
        (["fetch", "FB", "--start", "2018-13-01"], "eventstudy: error: start: '2018-13-01' is not allowed; give a date as YYYY-MM-DD"),
        (["fetch", "FB", "--start", "2022-01-03", "--end", "2022-12-30"],
         "eventstudy: failed: FB: tickers: 'FB' is not allowed; FB was last used on 2022-06-08"),
        (["run", "FB", "2018-08-06", "--source", "cache"], "eventstudy: error: tickers: 2 failed (FB, ^GSPC): cache: 'META' is not in the cache at"),
        (["run", "FB", "2018-12-05", "--non-session", "raise"], "eventstudy: error: event_date: '2018-12-05' is not allowed; 2018-12-05 is not a NYSE session"),
    ],
)
def test_one_line_errors(yahoo, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "empty-cache"))
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert err.startswith(message) and len(err.splitlines()) == 1


def test_run_accepts_an_after_close_timestamp(capsys):
    assert main(["run", "FB", "2018-07-25T16:05-04:00", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["event_date"] == "2018-07-25" and payload["day0"] == "2018-07-26"
    assert pd.Timestamp(payload["days"][1]["date"]) == pd.Timestamp("2018-07-26")
