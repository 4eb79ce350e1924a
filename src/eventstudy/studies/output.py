"""A multi-event study written to files: ``eventstudy batch --output DIR [--format parquet]``.

Four tables, CSV by default or Parquet, written through DuckDB (a parallel writer for both
formats; the long table of a million events is 21 million rows for a 21-day window):

- ``events``: the per-event table (one row per studied event, indexed by its row in the events
  file: ticker, market, event_date, day0, estimation statistics, parameters, CARs, BHARs and the
  events file's other columns);
- ``abnormal_returns``: the abnormal returns in long form, one row per event and relative day:
  ``row, ticker, rel_day, date, abnormal, se, t, p`` (``p`` two-sided, Student's t with the
  event's degrees of freedom);
- ``tests``: every test, per relative day and per CAAR window: ``name, rel_day, window_start,
  window_end, stat, p, dist`` (and ``p_adjusted`` with ``adjust``);
- ``accounting``: one row per row of the events file: what became of it and why.

The folder holds one complete set of tables or nothing: they are written into a staging folder
beside it that replaces it once every table is complete (:mod:`eventstudy.studies.output_folder`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.exceptions import ParameterError
from eventstudy.studies.output_folder import check_output_folder, one_set

if TYPE_CHECKING:
    from eventstudy.studies.multi_result import MultiEventResult

FORMATS = ("csv", "parquet")
#: Events whose long-form rows are built at once.
CHUNK_EVENTS = 100_000


#: The tables, by file stem.
TABLES = ("events", "abnormal_returns", "tests", "accounting")


def _is_table(name: str) -> bool:
    stem, _, extension = name.rpartition(".")
    return stem in TABLES and extension in FORMATS


def check_output(directory: str | os.PathLike[str]) -> Path:
    """``directory`` when it can receive the tables (see
    :func:`eventstudy.studies.output_folder.check_output_folder`), else a ParameterError naming it."""
    return check_output_folder(directory, _is_table)


def _copy(con, table: str, path: Path, format: str) -> None:
    """Write ``table`` to ``path`` (in the staging folder)."""
    literal = "'" + str(path).replace("'", "''") + "'"
    options = "(FORMAT parquet)" if format == "parquet" else "(HEADER, DELIMITER ',')"
    con.execute(f"COPY {table} TO {literal} {options}")


#: The per-event columns of the first CAR window, unlabelled in ``result.events``; the written
#: events table labels them when there are several windows (``car(-1,+1)`` beside ``car(-5,+5)``).
FIRST_WINDOW_COLUMNS = ("car", "car_se", "car_t", "car_p", "scar", "car_ci_low", "car_ci_high", "bhar")


def write_multi_event_result(
    result: MultiEventResult, directory: str | os.PathLike[str], format: str = "csv"
) -> list[str]:
    """Write ``events``, ``abnormal_returns``, ``tests`` and ``accounting`` into ``directory``.

    Returns the paths written. The folder holds these tables only: they replace it as one set
    (see the module docstring); a folder holding other files is refused before anything is written.
    """
    if format not in FORMATS:
        raise ParameterError("format", format, "choose csv or parquet")
    target = check_output(directory)
    events = result.events.reset_index()
    events["day0"] = pd.DatetimeIndex(events["day0"]).date
    if len(result.car_windows) > 1:  # every CAR column names its window, the first one's too
        first = result.car_window_labels[0]
        events = events.rename(columns={c: f"{c}{first}" for c in FIRST_WINDOW_COLUMNS
                                        if c in events.columns})
    tests = result.tests_frame()
    tests["window_start"] = [None if w is None else w[0] for w in tests["window"]]
    tests["window_end"] = [None if w is None else w[1] for w in tests["window"]]
    tests = tests[["name", "rel_day", "window_start", "window_end", "stat", "p",
                   *(["p_adjusted"] if "p_adjusted" in tests else []), "dist"]]
    accounting = result.accounting.reset_index()
    accounting["status"] = accounting["status"].astype(str)
    accounting["day0"] = pd.DatetimeIndex(accounting["day0"]).date
    names = [f"{name}.{format}" for name in ("events", "tests", "accounting", "abnormal_returns")]
    with one_set(target) as folder:
        _write_tables(result, folder, format, events, tests, accounting)
    return [str(target / name) for name in names]


def _write_tables(result: MultiEventResult, folder: Path, format: str, events: pd.DataFrame,
                  tests: pd.DataFrame, accounting: pd.DataFrame) -> None:
    """The four tables into ``folder`` (the staging folder)."""
    import duckdb

    from eventstudy.inference.pvalues import two_sided_p

    con = duckdb.connect()
    try:
        for name, frame in (("events", events), ("tests", tests), ("accounting", accounting)):
            con.register("frame", frame)
            path = folder / f"{name}.{format}"
            _copy(con, "frame", path, format)
            con.unregister("frame")
        # the long table, a chunk of events at a time into one DuckDB table, then one COPY
        abnormal = result.abnormal.to_numpy()
        se = result.abnormal_se.to_numpy()
        df = result.events["df"].to_numpy(dtype=float)
        dates = result.window_dates() if result.window_dates is not None else None
        rel_days = np.asarray(result.abnormal.columns, dtype=np.int64)
        rows = result.events.index.to_numpy()
        tickers = result.events["ticker"].astype(str).to_numpy()
        t_days = len(rel_days)
        con.execute("CREATE TABLE long_form (row BIGINT, ticker VARCHAR, rel_day INTEGER, "
                    "date DATE, abnormal DOUBLE, se DOUBLE, t DOUBLE, p DOUBLE)")
        for lo in range(0, len(rows), CHUNK_EVENTS):
            sl = slice(lo, lo + CHUNK_EVENTS)
            t = abnormal[sl] / se[sl]
            chunk = pd.DataFrame({
                "row": np.repeat(rows[sl], t_days),
                "ticker": np.repeat(tickers[sl], t_days),
                "rel_day": np.tile(rel_days, len(rows[sl])),
                "date": (dates[sl].ravel() if dates is not None
                         else np.full(t.size, np.datetime64("NaT"), dtype="datetime64[ns]")),
                "abnormal": abnormal[sl].ravel(),
                "se": se[sl].ravel(),
                "t": t.ravel(),
                "p": two_sided_p(t, df[sl]).ravel(),
            })
            con.register("chunk", chunk)
            con.execute("INSERT INTO long_form SELECT row, ticker, rel_day, CAST(date AS DATE), "
                        "abnormal, se, t, p FROM chunk")
            con.unregister("chunk")
        path = folder / f"abnormal_returns.{format}"
        _copy(con, "long_form", path, format)
    except (duckdb.IOException, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ParameterError("output", str(folder.parent), f"cannot write the tables there ({first}); "
                             "the folder was left as it was") from None
    finally:
        con.close()
