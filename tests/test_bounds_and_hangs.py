"""Bounded work, no hangs, one line for every hostile input left (issue 18, sections 2, 4, 5)."""

from __future__ import annotations

import gzip
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from fake_yahoo import FakeYahoo, snapshot_history

import eventstudy.events.table as events_module
from eventstudy.cli import main
from eventstudy.data.checks import split_ratio_days
from eventstudy.exceptions import CacheCorruptWarning, CacheError, DataQualityWarning, ParameterError
from eventstudy.studies.longrun import bootstrap_skewness_adjusted
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.data.panel import load_panel
from eventstudy.data.panel_file import PanelFile
from eventstudy.studies.simulate import simulate
from eventstudy.data.sources import get_prices

NOW = pd.Timestamp("2026-01-05 12:00", tz="UTC")


def one_line_error(capsys, *argv: str) -> str:
    """The one error line of a refused command (warnings may precede it), nothing on stdout."""
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("eventstudy: error: ")]
    assert captured.out == "" and len(errors) == 1 and "Traceback" not in captured.err, captured.err
    return errors[0]


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("ticker,event_date,size,word\nFB,2018-08-06,1,a\nJPM,2018-07-13,2,b\n"
                    "WFC,2018-04-13,3,c\nC,2018-07-13,4,d\nUSB,2018-01-17,5,e\n")
    return path


# -- files that are not files, files too large ----------------------------------------------------

@pytest.mark.parametrize("command", [["batch"], ["longrun", "--horizon", "1", "3"],
                                     ["calendar-time", "--horizon", "1", "3"]])
def test_a_device_or_a_pipe_as_events_file_is_refused_before_it_is_opened(capsys, tmp_path, command):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it would block forever
    for path in ("/dev/zero", str(fifo)):
        err = one_line_error(capsys, command[0], path, *command[1:])
        assert "is not a regular file" in err


def test_an_events_file_beyond_the_size_limit_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(events_module, "MAX_EVENTS_FILE_BYTES", 1000)
    big = tmp_path / "big.csv"
    big.write_text("ticker,event_date\n" + "FB,2018-08-06\n" * 100)
    assert "more than the 0 MiB an events file may hold" in one_line_error(capsys, "batch", str(big))
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"ticker,event_date\n" + b"FB,2018-08-06\n" * 200))
    assert bomb.stat().st_size < 1000
    assert "unpacks to more than" in one_line_error(capsys, "batch", str(bomb))


def _yahoo(monkeypatch, tmp_path, data_dir) -> FakeYahoo:
    fake = FakeYahoo().install(monkeypatch, tmp_path)
    for ticker, symbol in [("^GSPC", "^GSPC"), ("JPM", "JPM")]:
        fake.histories[symbol] = snapshot_history(data_dir, ticker)
    return fake


def _fetch(cache, source="auto"):
    empty = cache.parent / "empty"
    (empty / "prices").mkdir(parents=True, exist_ok=True)
    return get_prices("JPM", "2018-07-02", "2018-08-31", source=source, cache_dir=cache, now=NOW,
                      data_dir=empty)


def test_a_cache_entry_replaced_by_a_pipe_never_hangs_and_is_repaired(monkeypatch, tmp_path, data_dir):
    _yahoo(monkeypatch, tmp_path, data_dir)
    cache = tmp_path / "cache"
    _fetch(cache)
    entry = cache / "prices" / "JPM.csv"
    entry.unlink()
    os.mkfifo(entry)
    with pytest.raises(CacheError, match="not a regular file"):
        _fetch(cache, source="cache")  # offline: one line, no hang
    with pytest.warns(CacheCorruptWarning, match="not a regular file"):
        assert len(_fetch(cache)) == 44  # online: refetched...
    assert entry.is_file()  # ...and the pipe replaced by the entry
    assert len(_fetch(cache, source="cache")) == 44


def test_a_cache_entry_name_taken_by_a_folder_with_files_says_how_to_fix_it(monkeypatch, tmp_path, data_dir):
    from eventstudy.exceptions import CacheWriteWarning

    _yahoo(monkeypatch, tmp_path, data_dir)
    cache = tmp_path / "cache"
    _fetch(cache)
    entry = cache / "prices" / "JPM.csv"
    entry.unlink()
    entry.mkdir()
    (entry / "mine.txt").write_text("kept")
    with pytest.warns(CacheCorruptWarning), pytest.warns(CacheWriteWarning, match="move it away"):
        assert len(_fetch(cache)) == 44
    assert (entry / "mine.txt").read_text() == "kept"


# -- upper bounds of counts and sizes ---------------------------------------------------------------

@pytest.mark.parametrize("argv,message", [
    (["longrun", "{events}", "--horizon", "1", "12", "--bootstrap", str(10**12)], "--bootstrap: 1000000000000"),
    (["longrun", "{events}", "--horizon", "1", "12", "--resample-size", str(10**9)],
     "--resample-size: 1000000000 is not allowed; give at most the number of events (5)"),
    (["calendar-time", "{events}", "--horizon", "1", "30", "--lags", str(10**9)],
     "--lags: 1000000000 is not allowed; give fewer lags than the"),
    (["calendar-time", "{events}", "--horizon", "1", "3", "--min-size", "1000000"],
     "--min-size: 1000000 is not allowed; the largest portfolio holds"),
    (["calendar-time", "{events}", "--horizon", "1", "3", "--weights", "word"],
     "weights: 'word' is not allowed; the column holds no positive number"),
    (["simulate", "--samples", str(10**12)], "--samples: 1000000000000 is not allowed"),
    (["simulate", "--samples", "10", "--events", str(10**9)], "events: 1000000000 is not allowed"),
    (["simulate", "--samples", "100000", "--events", "1000"], "pseudo-events a simulation may study"),
    (["simulate", "--samples", "10", "--shift", "0", "1e308"], "--shift: 1e+308 is not allowed"),
    (["simulate", "--samples", "10", "--shift", *["0"] * 21], "--shift: '21 values' is not allowed"),
    (["simulate", "--samples", "10", "--seed", "-1"], "--seed: -1 is not allowed"),
    (["simulate", "--samples", "10", "--variance-multiplier", "1e9"], "--variance-multiplier: 1000000000.0"),
])
def test_every_count_and_size_option_has_a_bound_named_in_one_line(capsys, events_file, argv, message):
    err = one_line_error(capsys, *[a.replace("{events}", str(events_file)) for a in argv])
    assert message in err


def test_the_bootstrap_bounds_hold_in_python():
    values = np.random.default_rng(0).normal(size=40)
    with pytest.raises(ParameterError, match="resample_size: 41 .* at most the number of events \\(40\\)"):
        bootstrap_skewness_adjusted(values, 100, resample_size=41)
    with pytest.raises(ParameterError, match="exceed the 500,000,000 draws"):
        bootstrap_skewness_adjusted(np.zeros(10_000), 100_000, resample_size=10_000)
    with pytest.raises(ParameterError, match="seed"):
        simulate(samples=2, events=2, seed=-1)


# -- one rule for returns too large, in run and in batch ------------------------------------------------

def test_a_return_of_1e300_gets_runs_message_in_a_batch_and_no_numpy_warning(tmp_path, data_dir, capsys):
    prices = {t: pd.read_csv(data_dir / "prices" / f"{t.lstrip('^')}.csv", index_col="Date", parse_dates=True)
              for t in ("FB", "JPM", "WFC", "^GSPC")}
    wide = pd.DataFrame({t: p["Adj Close"].pct_change() for t, p in prices.items()}).iloc[1:]
    wide.loc["2018-07-13", "JPM"] = 1e300
    panel = tmp_path / "wide.csv"
    wide.rename_axis("date").reset_index().to_csv(panel, index=False)
    events = tmp_path / "events.csv"
    events.write_text("ticker,event_date\nFB,2018-08-06\nJPM,2018-07-13\nWFC,2018-04-13\n")
    err = one_line_error(capsys, "run", "JPM", "2018-07-13", "--returns", str(panel), "--market", "^GSPC")
    message = "returns: 'JPM' return is 1e+300 on 2018-07-13, too large to be a daily return"
    assert message in err
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow warning would fail here
        result = run_multi_event_study(events, returns=panel, market="^GSPC")
    skipped = result.accounting.loc[result.accounting["status"] == "skipped", "reason"]
    assert len(skipped) == 1 and skipped.iloc[0].startswith(message)
    assert list(result.events["ticker"]) == ["FB", "WFC"]


# -- section 5: tracebacks and no-ops left -------------------------------------------------------------

def test_an_events_id_beyond_64_bits_is_not_an_id_of_an_integer_panel(tmp_path):
    path = tmp_path / "crsp.csv"
    days = pd.bdate_range("2018-01-01", periods=40).strftime("%Y%m%d")
    rng = np.random.default_rng(2)
    path.write_text("permno,date,ret\n" + "".join(f"1,{d},{rng.normal(0, 0.01):.5f}\n2,{d},0.001\n" for d in days))
    loaded = load_panel(PanelFile.of(path, columns="permno,date,ret"), ["1", "99999999999999999999", "1.5"],
                        market="2")
    assert loaded.ids == {"1": "1", "99999999999999999999": None, "1.5": None}


def test_factors_without_a_models_column_are_one_line_in_run(tmp_path, capsys, data_dir):
    factors = tmp_path / "factors.csv"
    days = pd.bdate_range("2016-01-01", "2019-12-31")
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "Mkt-RF": 0.001, "SMB": 0.0005, "RF": 0.00005}).to_csv(
        factors, index=False)
    err = one_line_error(capsys, "run", "FB", "2018-08-06", "--model", "ff3", "--returns",
                         str(_long_panel(tmp_path, data_dir)), "--market", "^GSPC", "--factors", str(factors))
    assert "['HML'] are missing" in err


def _long_panel(tmp_path, data_dir):
    frames = []
    for ticker in ("FB", "^GSPC"):
        prices = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"])
        frames.append(pd.DataFrame({"ticker": ticker, "date": prices["Date"].iloc[1:],
                                    "return": prices["Adj Close"].pct_change().iloc[1:]}))
    path = tmp_path / "long.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_regress_and_output_given_empty_are_refused_like_plot(capsys, events_file):
    assert "regress: '' is not allowed" in one_line_error(capsys, "batch", str(events_file), "--regress", "")
    assert "output: '' is not allowed" in one_line_error(capsys, "batch", str(events_file), "--output", "")


def test_a_formula_that_would_run_code_through_the_cli_runs_nothing(capsys, events_file, tmp_path):
    marker = tmp_path / "PWNED"
    formula = f"car ~ size + I(__import__('os').system('touch {marker}'))"
    err = one_line_error(capsys, "batch", str(events_file), "--regress", formula, "--json")
    assert "'__import__' is neither a column" in err and not marker.exists()


def test_cli_regression_options_are_named_as_options(capsys, events_file):
    err = one_line_error(capsys, "batch", str(events_file), "--regress", "car ~ size", "--regress-weights", "word")
    assert err.startswith("eventstudy: error: --regress-weights: 'word'")
    events = events_file.read_text().replace("size,word", "size,one").replace(",a\n", ",x\n").replace(
        ",b\n", ",x\n").replace(",c\n", ",x\n").replace(",d\n", ",x\n").replace(",e\n", ",x\n")
    events_file.write_text(events)
    err = one_line_error(capsys, "batch", str(events_file), "--regress", "car ~ size", "--regress-cov", "cluster:one")
    assert "one value among" in err


def test_a_huge_adj_close_move_prints_a_short_number():
    from eventstudy.data.checks import check_prices

    days = pd.bdate_range("2018-01-02", periods=5)
    frame = pd.DataFrame({"date": days, "open": 10.0, "high": 10.0, "low": 10.0, "close": 10.0,
                          "adj_close": [10.0, 10.0, 1e308, 1e308, 1e308], "volume": 100})
    with pytest.warns(DataQualityWarning) as caught:
        check_prices(frame, "X", exchange=None)
    text = " ".join(str(w.message) for w in caught)
    assert "2018-01-04 (+10^309%)" in text and not re.search(r"\d{20}", text)


# -- splits Yahoo does not report ------------------------------------------------------------------------

def _unapplied(history: pd.DataFrame, day: str, ratio: float) -> pd.DataFrame:
    """Prices of a split not applied on ``day``, the volume unchanged (no volume move to see)."""
    out = history.copy()
    after = out.index >= pd.Timestamp(day, tz="America/New_York")
    for column in ("Open", "High", "Low", "Close", "Adj Close"):
        out.loc[after, column] = out.loc[after, column] / ratio
    return out


@pytest.mark.parametrize("ratio,text", [(1.5, "3:2"), (1.25, "5:4"), (4 / 3, "4:3"), (0.5, "1:2")])
def test_a_day_at_a_common_split_ratio_is_named_when_yahoo_reports_no_split(
        monkeypatch, tmp_path, data_dir, ratio, text):
    fake = _yahoo(monkeypatch, tmp_path, data_dir)
    fake.histories["JPM"] = _unapplied(fake.histories["JPM"], "2018-08-06", ratio)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fetch(tmp_path / "cache")
    said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert any(re.search(f"common split ratio .* on 2018-08-06 \\({text}\\)", m) for m in said), said


def test_a_split_yahoo_reports_is_left_to_the_reported_split_check():
    days = pd.bdate_range("2018-08-01", periods=6)
    frame = pd.DataFrame({"date": days, "adj_close": [30.0, 30.0, 30.0, 20.1, 20.1, 24.0]})
    assert split_ratio_days(frame) == [(days[3], 1.5)]  # 30 -> 20.1: 3:2 within 1%; 20.1 -> 24 is not
    assert split_ratio_days(frame, [f"{days[3]:%Y-%m-%d}"]) == []
    assert split_ratio_days(frame.assign(adj_close=[30.0, 30.0, 30.0, 19.7, 19.7, 19.7])) == []  # 1.5% off
