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
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.exceptions import ParameterError

if TYPE_CHECKING:
    from eventstudy.multi import MultiEventResult

FORMATS = ("csv", "parquet")
#: Events whose long-form rows are built at once.
CHUNK_EVENTS = 100_000


def _output_dir(directory: str | os.PathLike[str]) -> Path:
    if str(directory).strip() == "":
        raise ParameterError("output", "''", "give a folder to write the tables into")
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ParameterError("output", str(path), "is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ParameterError("output", str(path), f"cannot create it ({error.strerror or error})") from None
    return path


def _copy(con, table: str, path: Path, format: str) -> None:
    """Write ``table`` to ``path`` through a temporary file renamed into place, so a run killed
    while writing leaves the previous file or none, never half a table."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    literal = "'" + str(temporary).replace("'", "''") + "'"
    options = "(FORMAT parquet)" if format == "parquet" else "(HEADER, DELIMITER ',')"
    try:
        con.execute(f"COPY {table} TO {literal} {options}")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_multi_event_result(
    result: MultiEventResult, directory: str | os.PathLike[str], format: str = "csv"
) -> list[str]:
    """Write ``events``, ``abnormal_returns``, ``tests`` and ``accounting`` into ``directory``.

    Returns the paths written.
    """
    import duckdb

    from eventstudy.pvalues import two_sided_p

    if format not in FORMATS:
        raise ParameterError("format", format, "choose csv or parquet")
    folder = _output_dir(directory)
    events = result.events.reset_index()
    events["day0"] = pd.DatetimeIndex(events["day0"]).date
    tests = result.tests_frame()
    tests["window_start"] = [None if w is None else w[0] for w in tests["window"]]
    tests["window_end"] = [None if w is None else w[1] for w in tests["window"]]
    tests = tests[["name", "rel_day", "window_start", "window_end", "stat", "p",
                   *(["p_adjusted"] if "p_adjusted" in tests else []), "dist"]]
    accounting = result.accounting.reset_index()
    accounting["status"] = accounting["status"].astype(str)
    accounting["day0"] = pd.DatetimeIndex(accounting["day0"]).date
    written = []
    con = duckdb.connect()
    try:
        for name, frame in (("events", events), ("tests", tests), ("accounting", accounting)):
            con.register("frame", frame)
            path = folder / f"{name}.{format}"
            _copy(con, "frame", path, format)
            con.unregister("frame")
            written.append(str(path))
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
        written.append(str(path))
    except (duckdb.IOException, OSError) as error:
        raise ParameterError("output", str(folder), f"cannot write there ({error})") from None
    finally:
        con.close()
    return written
