"""Events files as users have them: encodings, damaged and foreign files, spaces; day 0 placed
the same way by every path; unsorted panels."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from eventstudy import batch_event_study, run_event_study, run_multi_event_study
from eventstudy.cli import main
from eventstudy.data.snapshot import load_prices
from eventstudy.events import find_duplicates, place_events, read_events
from eventstudy.exceptions import ClusteredEventsWarning, DataError, DataQualityWarning, ParameterError
from eventstudy.data.returns import simple_returns

GOOD = "ticker,event_date\nFB,2018-08-06\nAAPL,2018-05-02\n"


def _one_line_error(capsys, path, expected: str) -> None:
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventstudy: error: events:"), err
    assert expected in err and str(path) in err


@pytest.mark.parametrize("name, content, expected", [
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\n\n  \n", "is empty"),
    ("header.csv", b"ticker,event_date\n", "has a header but no events"),
    ("fields.csv", b"ticker,event_date\nFB,2018-08-06\nAAPL,2018-05-02,extra\n", "not a well-formed CSV file"),
    ("binary.csv", bytes(range(256)) * 4, "is binary"),
    ("book.xlsx", b"PK\x03\x04" + b"\x00" * 100, "zip archive (an .xlsx workbook?)"),
    ("columns.csv", b"symbol,when\nFB,2018-08-06\n", "needs a security column"),
])
def test_bad_events_files_are_one_line_naming_the_file(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    _one_line_error(capsys, path, expected)


def test_the_error_never_echoes_the_files_contents(tmp_path, capsys):
    path = tmp_path / "secret.csv"
    path.write_text("root:x:0:0:root:/root:/bin/bash\nsecond line\n")
    assert main(["batch", str(path)]) == 2
    assert "root:x" not in capsys.readouterr().err


def test_missing_folder_and_unreadable_files(tmp_path, capsys):
    _one_line_error(capsys, tmp_path / "nope.csv", "no such file")
    _one_line_error(capsys, tmp_path, "is a folder")
    locked = tmp_path / "locked.csv"
    locked.write_text(GOOD)
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: nothing to test
        return
    _one_line_error(capsys, locked, "cannot read")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_utf16_and_bom_files_are_read(tmp_path, encoding):
    path = tmp_path / "events.csv"
    path.write_text(GOOD, encoding=encoding)
    table = read_events(path)
    assert table["ticker"].tolist() == ["FB", "AAPL"]


def test_latin1_is_read_with_a_warning_and_gzip_is_unpacked(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("ticker,event_date,note\nFB,2018-08-06,caf\xe9\n".encode("latin-1"))
    with pytest.warns(DataQualityWarning, match="not UTF-8 .* read as Latin-1"):
        table = read_events(path)
    assert table["note"].iloc[0] == "café"
    packed = tmp_path / "events.csv.gz"
    packed.write_bytes(gzip.compress(GOOD.encode()))
    assert read_events(packed)["event_date"].tolist() == ["2018-08-06", "2018-05-02"]
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(GOOD.encode())[:20])
    with pytest.raises(DataError, match="damaged gzip"):
        read_events(broken)


def test_spaces_around_tickers_and_dates_are_stripped():
    table = read_events(pd.DataFrame({"ticker": [" USB", "FB "], "event_date": [" 2018-08-06", "2018-08-06 "]}))
    assert table["ticker"].tolist() == ["USB", "FB"]
    assert table["event_date"].tolist() == ["2018-08-06", "2018-08-06"]


def test_every_space_str_strip_removes_is_stripped():
    """Columns without any space skip the stripping; any space, ASCII or not, is still removed."""
    given = ["\u00a0FB", "AAPL\t", "\x1fJPM", "C\r", "\u2003WFC", "GOOG"]
    table = read_events(pd.DataFrame({"ticker": given, "event_date": ["2018-08-06"] * len(given)}))
    assert table["ticker"].tolist() == [text.strip() for text in given]
    assert table["event_date"].tolist() == ["2018-08-06"] * len(given)


def test_find_duplicates_equals_a_loop_over_the_rows():
    rng = np.random.default_rng(5)
    n = 400
    tickers = np.array(["FB", "AAPL", None, "JPM"], dtype=object)
    keys = pd.DataFrame({"ticker": rng.choice(tickers, n), "position": rng.integers(0, 6, n)})
    placed = rng.random(n) < 0.8
    seen: dict = {}
    expected = np.full(n, -1)
    for row in range(n):  # the first placed row of each key owns the later ones
        if placed[row]:
            key = ("<missing>" if keys.at[row, "ticker"] is None else keys.at[row, "ticker"],
                   keys.at[row, "position"])
            if key in seen:
                expected[row] = seen[key]
            else:
                seen[key] = row
    assert find_duplicates(keys, placed).tolist() == expected.tolist()
    assert find_duplicates(keys, np.zeros(n, dtype=bool)).tolist() == [-1] * n


def test_place_events_by_hand():
    days = pd.DatetimeIndex(["2018-08-02", "2018-08-03", "2018-08-06", "2018-08-07"])
    placed = place_events(np.array(["2018-08-03", "2018-08-04", "2018-01-01", "2018-09-01", "x"],
                                   dtype=object), days)
    assert placed.position.tolist() == [1, 2, -1, -1, -1]
    assert "day 0 moved to the next trading day, 2018-08-06" in placed.moved[1]
    assert "outside the data's trading days 2018-08-02..2018-08-07" in placed.failed[2]
    assert "outside" in placed.failed[3] and "event_date" in placed.failed[4]
    previous = place_events(np.array(["2018-08-04"], dtype=object), days, non_session="previous")
    assert previous.position.tolist() == [1]
    strict = place_events(np.array(["2018-08-04"], dtype=object), days, non_session="raise")
    assert strict.position.tolist() == [-1] and "not a trading day" in strict.failed[0]
    with pytest.raises(ParameterError, match="non_session"):
        place_events(np.array(["2018-08-04"]), days, non_session="later")


def test_an_early_close_timestamp_gives_the_same_day0_in_run_and_batch():
    """13:30 New York on Friday 2018-11-23 is after that day's 13:00 close: day 0 is Monday."""
    stamp = "2018-11-23T13:30-05:00"
    single = run_event_study("FB", stamp)
    with pytest.warns(ClusteredEventsWarning):
        multi = run_multi_event_study(pd.DataFrame({"ticker": ["FB", "AAPL"], "event_date": [stamp, stamp]}))
    assert f"{single.day0:%Y-%m-%d}" == "2018-11-26"
    assert [f"{d:%Y-%m-%d}" for d in multi.events["day0"]] == ["2018-11-26", "2018-11-26"]
    assert multi.events["car"].iloc[0] == pytest.approx(single.car.value, rel=1e-12)


def test_batch_event_study_on_unsorted_dates_gives_the_sorted_answer():
    prices = load_prices(["FB", "AAPL", "^GSPC"])
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == "^GSPC", "date"])
    returns = simple_returns(prices, calendar=calendar)
    events = pd.DataFrame({"security": ["FB", "AAPL"], "event_date": ["2018-08-06", "2018-05-02"]})
    ordered = batch_event_study(returns, events, "^GSPC")
    shuffled = returns.sample(frac=1.0, random_state=1)
    result = batch_event_study(shuffled, events, shuffled["^GSPC"])
    assert_allclose(result.car, ordered.car, rtol=1e-12)
    with pytest.raises(ParameterError, match="market: .*repeated dates"):
        batch_event_study(returns, events, pd.concat([returns["^GSPC"], returns["^GSPC"].iloc[:3]]))


def test_cli_errors_name_the_option_and_skipped_tickers_print_safely(tmp_path, capsys):
    assert main(["run", "FB", "2018-08-06", "--source", "cache", "--cache-dir", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: error: --cache-dir: '' is not allowed") and err.count("\n") == 1
    path = tmp_path / "evil.csv"
    path.write_text('ticker,event_date\n"\x1b[31mEVIL",2018-08-06\nFB,2018-08-06\nAAPL,2018-05-02\n')
    assert main(["batch", str(path)]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "eventstudy: skipped '\\x1b[31mEVIL' 2018-08-06" in err


def test_plot_into_a_new_folder_creates_it(tmp_path, capsys):
    target = tmp_path / "charts" / "fb"
    assert main(["run", "FB", "2018-08-06", "--plot", f"{target}/"]) == 0
    assert (target / "FB_2018-08-06.png").read_bytes()[:4] == b"\x89PNG"
    assert str(target / "FB_2018-08-06.png") in capsys.readouterr().out
