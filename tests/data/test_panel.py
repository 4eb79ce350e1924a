"""Users' own panels: CRSP-style long Parquet, wide CSV, prices; bad panels get clear errors.

The panels are made here from the committed snapshot (so the right answer is known: the
independent statsmodels computation of tests/independent.py on the raw CSV files), written with
DuckDB, and read back through the CLI and the API as a user would.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from crsp_like import late_code_csv
from numpy.testing import assert_allclose

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.cli import main
from eventstudy.data.snapshot import available_tickers, load_prices
from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError
from eventstudy.data.panel import PanelFile, load_panel
from eventstudy.data.returns import simple_returns
from independent import reference_study

PERMNO = {"FB": 13407, "AAPL": 14593, "JPM": 47896, "WFC": 38703, "AMZN": 84788, "C": 70519}
EVENTS = [("FB", "2018-08-06"), ("AAPL", "2018-05-02"), ("JPM", "2018-10-12"),
          ("WFC", "2017-10-13"), ("AMZN", "2019-02-01")]


@pytest.fixture(scope="module")
def snapshot_returns() -> pd.DataFrame:
    prices = load_prices(available_tickers())
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == "^GSPC", "date"])
    return simple_returns(prices, calendar=calendar)


def _write(frame: pd.DataFrame, path) -> None:
    con = duckdb.connect()
    con.register("frame", frame)
    options = "(FORMAT parquet)" if str(path).endswith(".parquet") else "(HEADER)"
    con.execute(f"COPY frame TO '{path}' {options}")
    con.close()


@pytest.fixture(scope="module")
def crsp(tmp_path_factory, snapshot_returns):
    """A CRSP-style daily file: integer PERMNOs, YYYYMMDD integer dates, RET as text with CRSP's
    missing codes far from the events, vwretd beside RET, rows in random order."""
    folder = tmp_path_factory.mktemp("crsp")
    long = snapshot_returns[list(PERMNO)].stack().rename("ret").reset_index()
    long.columns = ["date", "ticker", "ret"]
    long["PERMNO"] = long["ticker"].map(PERMNO)
    long["date"] = long["date"].dt.strftime("%Y%m%d").astype(int)
    long["RET"] = long["ret"].map(repr)
    # CRSP's missing codes outside every event's windows (batch never reads those rows)
    long.loc[(long["ticker"] == "JPM") & (long["date"] == 20190115), "RET"] = "C"
    long.loc[(long["ticker"] == "WFC") & (long["date"] == 20180601), "RET"] = "-99"
    market = snapshot_returns["^GSPC"]
    long["vwretd"] = long["date"].map(dict(zip(market.index.strftime("%Y%m%d").astype(int), market)))
    long = long.sample(frac=1.0, random_state=7)[["PERMNO", "date", "RET", "vwretd"]]
    path = folder / "dsf.parquet"
    _write(long, path)
    events = folder / "events.csv"
    pd.DataFrame({"permno": [PERMNO[t] for t, _ in EVENTS], "event_date": [d for _, d in EVENTS],
                  "size": [1.0, 2.0, 3.0, 4.0, 5.0]}).to_csv(events, index=False)
    return path, events


def test_crsp_parquet_through_batch_equals_the_independent_computation(crsp, data_dir, capsys):
    path, events = crsp
    args = ["batch", str(events), "--returns", str(path), "--columns", "PERMNO,date,RET",
            "--market", "vwretd", "--window", "-2", "2", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["n_events"] == 5 and payload["accounting"]["counts"]["studied"] == 5
    for event, (ticker, date) in zip(payload["events"], EVENTS):
        assert event["ticker"] == str(PERMNO[ticker])
        ref = reference_study(data_dir, ticker, dt.date.fromisoformat(date), window=(-2, 2))
        assert_allclose([event["car"], event["car_se"], event["car_p"]],
                        [ref.car, ref.car_se, ref.car_p], rtol=1e-9)
    # batch reads the events' windows only: the codes outside them are never read
    assert "missing-return codes" not in captured.err


def test_crsp_parquet_through_run(crsp, data_dir, capsys):
    path, _ = crsp
    assert main(["run", str(PERMNO["FB"]), "2018-08-06", "--returns", str(path), "--columns",
                 "PERMNO,date,RET", "--market", "vwretd", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = reference_study(data_dir, "FB", dt.date(2018, 8, 6))
    assert_allclose([payload["car"]["value"], payload["car"]["se"]], [ref.car, ref.car_se], rtol=1e-9)


def test_panel_reads_only_what_the_events_need(crsp):
    path, _ = crsp
    panel = PanelFile.of(path, columns=["PERMNO", "date", "RET"])
    loaded = load_panel(panel, [str(PERMNO["FB"]), "999"], market="vwretd",
                        day_range=lambda days: (days[100], days[200]))
    assert list(loaded.returns.columns) == [str(PERMNO["FB"])]
    assert loaded.ids["999"] is None
    # one security over 101 trading days, plus the market column's one row per date
    assert loaded.stats.rows_read == 101 + len(loaded.market)


def test_wide_csv_panel_and_a_market_file(tmp_path, snapshot_returns, data_dir, capsys):
    wide = snapshot_returns[["FB", "JPM", "WFC", "^GSPC"]].rename_axis("date").reset_index()
    panel = tmp_path / "wide.csv.gz"
    with gzip.open(panel, "wt") as handle:
        wide.drop(columns=["^GSPC"]).to_csv(handle, index=False)
    market = tmp_path / "market.csv"
    wide[["date", "^GSPC"]].rename(columns={"^GSPC": "return"}).to_csv(market, index=False)
    events = tmp_path / "events.csv"
    events.write_text("ticker,event_date\nFB,2018-08-06\nJPM,2018-10-12\nWFC,2017-10-13\n")
    assert main(["batch", str(events), "--returns", str(panel), "--market-returns", str(market),
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    for event in payload["events"]:
        ref = reference_study(data_dir, event["ticker"], dt.date.fromisoformat(event["event_date"]))
        assert_allclose(event["car"], ref.car, rtol=1e-9)
    result = run_event_study("JPM", "2018-10-12", returns=panel, market_returns=market)
    assert_allclose(result.car.value, reference_study(data_dir, "JPM", dt.date(2018, 10, 12)).car, rtol=1e-9)


def test_long_price_panel(tmp_path, data_dir):
    prices = load_prices(["FB", "AAPL", "^GSPC"])
    long = prices[["ticker", "date", "adj_close"]].rename(columns={"adj_close": "price"})
    path = tmp_path / "prices.csv"
    long.iloc[::-1].to_csv(path, index=False)  # unsorted: the reader sorts
    result = run_multi_event_study(pd.DataFrame({"ticker": ["FB", "AAPL"],
                                                 "event_date": ["2018-08-06", "2018-05-02"]}),
                                   prices=path)
    for row in result.events.itertuples():
        ref = reference_study(data_dir, row.ticker, dt.date.fromisoformat(row.event_date))
        assert_allclose(row.car, ref.car, rtol=1e-9)


def _long(tmp_path, rows: str):
    path = tmp_path / "panel.csv"
    path.write_text("ticker,date,return\n" + rows)
    return path


def test_bad_panels_name_the_file_column_and_rows(tmp_path):
    days = pd.bdate_range("2018-01-01", periods=40).strftime("%Y-%m-%d")
    good = "".join(f"M,{d},0.001\nA,{d},0.002\n" for d in days)
    with pytest.raises(DataError, match=r"pair\(s\) appear more than once \(id, date, rows: A, 2018-01-01"):
        load_panel(PanelFile.of(_long(tmp_path, good + f"A,{days[0]},0.1\n")), ["A"], market="M")
    with pytest.raises(DataError, match=r"column 'date' has dates that do not parse \(id, date: A, 2018-13-45"):
        load_panel(PanelFile.of(_long(tmp_path, good + "A,2018-13-45,0.1\n")), ["A"], market="M")
    with pytest.raises(DataError, match=r"column 'return' has values that are not numbers \(id, date, value: A, 2018-01-08, 1,5"):
        load_panel(PanelFile.of(_long(tmp_path, good + f'A,{days[5]},"1,5"\n')), ["A"], market="M")
    with pytest.raises(DataError, match=r"market: 'SPX' is not an id of returns .*panel.csv \(ids there include"):
        load_panel(PanelFile.of(_long(tmp_path, good)), ["A"], market="SPX")
    with pytest.raises(ParameterError, match="no such file"):
        PanelFile.of(tmp_path / "nope.parquet")
    with pytest.raises(DataError, match="has columns .*give a long panel with columns ticker,date,return"):
        path = tmp_path / "odd.csv"
        path.write_text("a,b\n1,2\n")
        load_panel(PanelFile.of(path), ["A"], market="M")
    with pytest.raises(DataError, match="not finite returns"):
        load_panel(PanelFile.of(_long(tmp_path, good + f"A,{days[5]},inf\n")), ["A"], market="M")


def test_percent_returns_are_refused_and_missing_codes_are_reported(tmp_path):
    days = pd.bdate_range("2018-01-01", periods=40).strftime("%Y-%m-%d")
    rng = np.random.default_rng(1)
    rows = "".join(f"M,{d},{rng.normal(0, 1.5):.4f}\nA,{d},{rng.normal(0, 2):.4f}\n" for d in days)
    with pytest.raises(DataError, match="looks like percent.*--returns-unit percent"):
        load_panel(PanelFile.of(_long(tmp_path, rows)), ["A"], market="M")
    rows = "".join(f"M,{d},0.001\nA,{d},{'B' if i < 3 else '-77' if i < 5 else '0.01'}\n"
                   for i, d in enumerate(days))
    with pytest.warns(DataQualityWarning, match="5 value.*missing-return codes"):
        loaded = load_panel(PanelFile.of(_long(tmp_path, rows)), ["A"], market="M")
    assert loaded.returns["A"].isna().sum() == 5 and np.nanmin(loaded.returns["A"]) == 0.01


def test_cli_panel_errors_are_one_line(tmp_path, capsys):
    events = tmp_path / "events.csv"
    events.write_text("ticker,event_date\nA,2018-02-01\nB,2018-02-01\n")
    assert main(["batch", str(events), "--returns", str(tmp_path / "missing.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "returns:" in err and "no such file" in err
    assert main(["batch", str(events), "--returns", str(events), "--prices", str(events)]) == 2
    assert "give returns or prices, not both" in capsys.readouterr().err


def test_long_horizon_and_calendar_time_read_the_panel_file(crsp, capsys, snapshot_returns):
    path, events = crsp
    common = ["--returns", str(path), "--columns", "PERMNO,date,RET", "--market", "vwretd", "--json"]
    assert main(["longrun", str(events), "--horizon", "0", "20", "--seed", "1", *common]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_events"] == 5
    fb = next(e for e in payload["events"] if e["ticker"] == str(PERMNO["FB"]))
    days = snapshot_returns.index
    pos = days.get_loc(pd.Timestamp("2018-08-06"))
    held = slice(pos, pos + 21)
    expected = (np.prod(1 + snapshot_returns["FB"].to_numpy()[held])
                - np.prod(1 + snapshot_returns["^GSPC"].to_numpy()[held]))
    assert fb["bhar"] == pytest.approx(expected, rel=1e-12)
    assert main(["calendar-time", str(events), "--horizon", "0", "20", "--model", "capm", *common]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["model"] == "capm" and payload["n_periods"] > 0


def test_simulate_draws_from_the_panel_file(crsp, capsys):
    path, _ = crsp
    assert main(["simulate", "--returns", str(path), "--columns", "PERMNO,date,RET", "--market",
                 "vwretd", "--samples", "20", "--events", "5", "--tests", "patell", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_samples"] == 20 and payload["events_per_sample"] == 5


def test_a_csv_whose_types_change_after_the_sampled_rows_is_read_as_text(tmp_path):
    """DuckDB guesses a CSV's types from its first rows; a CRSP letter code far down the return
    column is still a missing value, not an error."""
    path = late_code_csv(tmp_path / "late_code.csv", -1)  # row 25,000: after the rows sampled
    with pytest.warns(DataQualityWarning, match="1 value.*missing-return codes"):
        loaded = load_panel(PanelFile.of(path), ["S24"], market="S00")
    assert loaded.returns["S24"].isna().sum() == 1 and np.isnan(loaded.returns["S24"].iloc[-1])
