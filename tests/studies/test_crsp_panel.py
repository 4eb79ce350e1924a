"""The engine on a CRSP-shaped panel: staggered lifetimes, absent rows, CRSP's codes, sessions
without a market return. The batch equals the single-event path event by event, and both equal
an independent DuckDB SQL of the market-model CARs (tests/sql_cars.py).

The panel (tests/crsp_like.py) is seeded and small (300 PERMNOs over the 1990s, written in a
second or two); the single path reads it through a frame built here with pandas (not the
project's reader), so the comparison also checks the reader's handling of codes, absent rows and
the market's trading days.
"""

from __future__ import annotations

import warnings

import duckdb
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.exceptions import EventStudyError
from crsp_like import small_crsp_panel
from sql_cars import MISSING_CODES, car_sql

WINDOW = (-10, 10)


def _batch(path, events_path):
    """``eventstudy batch EVENTS --returns PATH --columns permno,date,ret --market vwretd``."""
    with warnings.catch_warnings(record=True) as caught:  # codes, clustered day-0 dates
        warnings.simplefilter("always")
        result = run_multi_event_study(str(events_path), returns=str(path),
                                       columns="permno,date,ret", market="vwretd", window=WINDOW)
    assert any("missing-return codes" in str(w.message) for w in caught)
    return result


@pytest.fixture(scope="module")
def crsp(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crsp_like")
    path, events_path, panel = small_crsp_panel(folder)
    return path, events_path, panel, _batch(path, events_path)


def _frame(path) -> pd.DataFrame:
    """Dates x PERMNOs returns and the vwretd column, from the file with pandas alone."""
    rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')").fetchdf()
    ret = pd.to_numeric(rows["ret"], errors="coerce")
    rows["ret"] = ret.where(~ret.isin(MISSING_CODES))
    frame = rows.pivot(index="date", columns="permno", values="ret")
    frame.columns = [str(c) for c in frame.columns]
    frame["vwretd"] = rows.groupby("date")["vwretd"].first()
    frame.index = pd.DatetimeIndex(frame.index)
    return frame


def test_the_panel_has_the_shape_of_crsp(crsp):
    path, _, panel, batch = crsp
    con = duckdb.connect()
    starts = con.execute(f"SELECT count(DISTINCT first) FROM (SELECT min(date) AS first FROM "
                         f"read_parquet('{path}') GROUP BY permno)").fetchone()[0]
    assert starts > 150  # staggered lifetimes
    assert min(panel.stats[c] for c in ("C", "B", "-66", "-77", "-88", "-99")) > 0
    reasons = batch.skipped["reason"]
    assert reasons.str.startswith("window: no").sum() >= 2  # absent rows or codes in the window
    assert reasons.str.contains("too little history").sum() >= 2
    events = batch.events
    assert (events["nobs"] < 240).sum() >= 10  # estimation windows with missing days


def test_batch_equals_the_single_path_event_by_event(crsp):
    path, events_path, _, batch = crsp
    frame = _frame(path)
    studied = batch.events.set_index(["ticker", "event_date"])
    skipped = set(zip(batch.skipped["ticker"], batch.skipped["event_date"]))
    events = pd.read_csv(events_path, dtype=str)
    compared = 0
    for permno, date in zip(events["permno"], events["event_date"]):
        try:
            single = run_event_study(permno, date, returns=frame, market="vwretd", window=WINDOW)
        except EventStudyError:
            assert (permno, date) in skipped
            continue
        row = studied.loc[(permno, date)]
        car = single.car
        assert_allclose([row["car"], row["car_se"], row["car_t"], row["car_p"]],
                        [car.value, car.se, car.t, car.p], rtol=1e-10, atol=1e-12)
        assert row["nobs"] == single.nobs
        compared += 1
    assert compared == batch.n_events and compared > 80


def _sql_equals_batch(path, events_path, batch) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE events AS SELECT permno AS id, CAST(event_date AS DATE) AS "
                f"event_date FROM read_csv('{events_path}')")
    sql = con.execute(car_sql(f"read_parquet('{path}')", "events", window=WINDOW)).fetchdf()
    sql["ticker"] = sql["id"].astype(str)
    sql["event_date"] = sql["event_date"].astype(str)
    merged = batch.events.merge(sql, on=["ticker", "event_date"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert_allclose(merged["car_x"], merged["car_y"], rtol=0, atol=1e-10)
    assert_allclose(merged["nobs"], merged["n"])


def test_the_sql_of_the_cars_equals_the_batch(crsp):
    path, events_path, _, batch = crsp
    _sql_equals_batch(path, events_path, batch)


def test_sessions_without_a_market_return_are_not_trading_days(tmp_path):
    """Sessions whose vwretd is NULL are not trading days: windows count past them (the SQL's
    day numbers), as the single path on a frame does."""
    path, events_path, _ = small_crsp_panel(tmp_path, market_holes=4)
    _sql_equals_batch(path, events_path, _batch(path, events_path))


def test_returns_stored_as_numbers_with_numeric_codes_give_the_same_study(crsp, tmp_path):
    _, _, _, batch = crsp
    path, events_path, _ = small_crsp_panel(tmp_path, ret_type="double")
    numbers = _batch(path, events_path)
    # letter codes are NULL in a DOUBLE column: the same missing values, the same study
    assert_allclose(numbers.events["car"], batch.events["car"], rtol=0, atol=1e-14)


def test_the_command_with_a_panel_index_prints_the_scans_json(crsp, tmp_path, capsys):
    """`eventstudy batch ... --panel-index DIR`, building the index and then reading it: the
    JSON is the scan's, byte for byte (every statistic, the accounting, rows read)."""
    from eventstudy.cli import main

    path, events_path, _, _ = crsp
    args = ["batch", str(events_path), "--returns", str(path), "--columns", "permno,date,ret",
            "--market", "vwretd", "--window", str(WINDOW[0]), str(WINDOW[1]), "--json"]
    assert main(args) == 0
    scanned = capsys.readouterr().out
    for _ in range(2):
        assert main([*args, "--panel-index", str(tmp_path / "index")]) == 0
        assert capsys.readouterr().out == scanned
    assert len(list((tmp_path / "index").iterdir())) == 2  # the index and its lock file


@pytest.mark.parametrize("case", ["no returns", "a file", "prices", "empty"])
def test_a_panel_index_that_cannot_be_is_one_line(crsp, tmp_path, capsys, case):
    from eventstudy.cli import main

    path, events_path, _, _ = crsp
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    data = {"no returns": [], "a file": ["--returns", str(path)],
            "prices": ["--prices", str(path)], "empty": ["--returns", str(path)]}[case]
    where = {"a file": str(a_file), "empty": " "}.get(case, str(tmp_path / "index"))
    status = main(["batch", str(events_path), *data, "--columns", "permno,date,ret", "--market",
                   "vwretd", "--panel-index", where])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eventstudy: error:") and "panel_index" in lines[0]
    assert not (tmp_path / "index").exists()
