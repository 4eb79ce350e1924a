r"""Users' own panels: daily returns or prices of many securities from CSV or Parquet files.

A researcher's data come as files: CRSP daily stock files (``permno, date, ret``), vendor
exports, prices downloaded once; tens of millions of rows. :func:`load_panel` reads such a file
and returns the returns the study needs, as a dates x securities frame on the market's trading
days, reading only the securities and the dates the events need.

Layouts (recognised from the header)
------------------------------------
- long: one row per security and date, columns ``ticker,date,return`` (or ``ticker,date,price``
  for a price panel); other names are mapped with ``columns=(ID, DATE, VALUE)``, e.g.
  ``("permno", "date", "ret")``. Ids may be text or integers. The market is one more id of the
  panel, or one more column holding one value per date (CRSP's ``vwretd`` beside ``ret``), or
  its own file.
- wide: ``date`` then one column per security.

Files are CSV (also ``.csv.gz``) or Parquet, read by `DuckDB <https://duckdb.org>`_: one
engine for both formats, with the id and date filters applied inside the scan (a Parquet file's
columns are read row group by row group, and a million-event study of a 50-million-row file
never holds the file whole), and a parallel CSV reader.

Values
------
- Returns are decimals (0.0445 for 4.45%); a column whose median absolute value exceeds 0.1 looks
  like percent and is reported (:class:`~eventstudy.exceptions.DataQualityWarning`).
- CRSP's missing-return codes (-66, -77, -88, -99 and letter codes such as ``B`` or ``C``) are
  missing values, never numbers; how many were seen is reported.
- Prices give simple returns between consecutive trading days (a missing price leaves that
  day's and the next day's return missing, as for the snapshot); a negative price is CRSP's
  bid/ask average and counts by its absolute value (reported).
- Duplicated ``(id, date)`` rows and unparseable dates or values are errors that name the file,
  the column and examples of the rows. Unsorted rows are fine (the panel is sorted). Rows on
  dates without a market return are not used, and counted in a warning.

Dates are ``YYYY-MM-DD`` text, dates or timestamps, or ``YYYYMMDD`` integers (CRSP).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError

#: Column names recognised in a long panel's header, in order of preference.
ID_NAMES = ("ticker", "id", "security", "permno", "symbol")
DATE_NAMES = ("date",)
VALUE_NAMES = {
    "returns": ("return", "ret", "returns"),
    "prices": ("price", "adj_close", "prc", "close"),
}
#: CRSP's numeric missing-return codes.
MISSING_CODES = (-66.0, -77.0, -88.0, -99.0)
#: Median absolute return above which a returns column looks like percent.
PERCENT_MEDIAN = 0.1
KINDS = ("returns", "prices")


@dataclass
class PanelStats:
    """What reading a panel found: rows read and how the values were treated."""

    rows_read: int = 0
    missing_codes: int = 0
    negative_prices: int = 0
    off_calendar: int = 0
    notes: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(path: Path, text: bool = False) -> str:
    """DuckDB table function reading ``path`` (``text``: a CSV's columns all read as text, for
    files whose types change after the rows DuckDB samples to guess them)."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq", ".parq")):
        return f"read_parquet({_literal(str(path))})"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".gz")):
        return f"read_csv({_literal(str(path))}, header=true{', all_varchar=true' if text else ''})"
    raise ParameterError("panel", str(path), "give a .csv, .csv.gz or .parquet file")


def _connect() -> Any:
    import duckdb

    return duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})


def _check_path(path: str | os.PathLike[str], parameter: str) -> Path:
    file = Path(path)
    if not file.exists():
        raise ParameterError(parameter, str(file), "no such file; give a CSV or Parquet file")
    if not file.is_file():
        raise ParameterError(parameter, str(file), "is not a file; give a CSV or Parquet file")
    return file


def _describe(con: Any, path: Path, parameter: str, text: bool = False) -> list[tuple[str, str]]:
    import duckdb

    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {_reader(path, text)}").fetchall()
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise DataError(f"{parameter}: cannot read {path} as a table: {first}") from None
    return [(str(r[0]), str(r[1]).upper()) for r in rows]


@dataclass(frozen=True)
class Layout:
    """How a panel file is organised: long (id, date, value columns) or wide (date + ids)."""

    kind: str
    date: str
    id: str | None = None
    value: str | None = None
    securities: tuple[str, ...] = ()
    types: dict[str, str] = field(default_factory=dict)


def detect_layout(
    header: list[tuple[str, str]], kind: str, columns: Sequence[str] | None, path: Path,
    parameter: str,
) -> Layout:
    """Long or wide, from the header (or from ``columns=(ID, DATE, VALUE)``)."""
    names = [name for name, _ in header]
    types = dict(header)
    lower = {name.lower(): name for name in names}
    if columns is not None:
        if len(columns) != 3:
            raise ParameterError("columns", list(columns), "give three names: ID,DATE,VALUE")
        missing = [c for c in columns if c not in names]
        if missing:
            raise ParameterError("columns", list(columns),
                                 f"{path} has no column {missing[0]!r}; its columns are {names[:8]}")
        return Layout("long", columns[1], columns[0], columns[2], types=types)
    date = next((lower[n] for n in DATE_NAMES if n in lower), None)
    ident = next((lower[n] for n in ID_NAMES if n in lower), None)
    value = next((lower[n] for n in VALUE_NAMES[kind] if n in lower), None)
    if date and ident and value:
        return Layout("long", date, ident, value, types=types)
    if date and names[0] == date and len(names) > 1:
        return Layout("wide", date, securities=tuple(names[1:]), types=types)
    other = VALUE_NAMES["prices" if kind == "returns" else "returns"]
    hint = (f" (it looks like a {'price' if kind == 'returns' else 'returns'} panel: use "
            f"--{'prices' if kind == 'returns' else 'returns'})"
            if date and ident and any(n in lower for n in other) else "")
    raise DataError(
        f"{parameter}: {path} has columns {names[:8]}; give a long panel with columns "
        f"ticker,date,{VALUE_NAMES[kind][0]} (or name them with --columns ID,DATE,VALUE) or a wide "
        f"panel whose first column is date{hint}"
    )


def _date_expression(column: str, kind: str) -> str:
    q = _quote(column)
    if kind.startswith(("DATE", "TIMESTAMP")):
        return f"CAST({q} AS DATE)"
    if kind in ("INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return f"CAST(TRY_STRPTIME(CAST({q} AS VARCHAR), '%Y%m%d') AS DATE)"
    text = f"TRIM(CAST({q} AS VARCHAR))"
    return (f"COALESCE(TRY_CAST({text} AS DATE), "
            f"CAST(TRY_STRPTIME({text}, '%Y%m%d') AS DATE))")


def _numeric(kind: str) -> bool:
    return kind in ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                    "HUGEINT", "UBIGINT", "UINTEGER") or kind.startswith("DECIMAL")


def _long_source(path: Path, layout: Layout, text: bool = False) -> tuple[str, str, str, str]:
    """SQL of a relation (id, date_raw, value_raw) and the types of its three columns."""
    reader = _reader(path, text)
    if layout.kind == "long":
        assert layout.id is not None and layout.value is not None
        sql = (f"SELECT {_quote(layout.id)} AS id, {_quote(layout.date)} AS date_raw, "
               f"{_quote(layout.value)} AS value_raw FROM {reader}")
        return sql, layout.types[layout.id], layout.types[layout.date], layout.types[layout.value]
    cells = ", ".join(
        f"CAST({_quote(c)} AS VARCHAR) AS {_quote(c)}" for c in layout.securities
    )
    sql = (f"SELECT id, date_raw, value_raw FROM (UNPIVOT (SELECT {_quote(layout.date)} AS "
           f"date_raw, {cells} FROM {reader}) ON COLUMNS(* EXCLUDE (date_raw)) INTO NAME id "
           "VALUE value_raw)")
    return sql, "VARCHAR", layout.types[layout.date], "VARCHAR"


def _examples(rows: list[tuple[Any, ...]]) -> str:
    return "; ".join(", ".join(str(v) for v in row) for row in rows)


@dataclass(frozen=True)
class PanelFile:
    """A user's panel file and how to read it.

    Parameters
    ----------
    path
        CSV (``.csv``, ``.csv.gz``) or Parquet file.
    kind
        ``"returns"`` (decimals) or ``"prices"``.
    columns
        ``(ID, DATE, VALUE)`` column names of a long panel whose header does not use the
        standard names (e.g. ``("permno", "date", "ret")``).
    parameter
        Name used in messages (the CLI option, e.g. ``--returns``).
    """

    path: Path
    kind: str = "returns"
    columns: tuple[str, str, str] | None = None
    parameter: str = "returns"

    @classmethod
    def of(cls, path: str | os.PathLike[str], kind: str = "returns",
           columns: Sequence[str] | None = None, parameter: str | None = None) -> PanelFile:
        if kind not in KINDS:
            raise ParameterError("kind", kind, "choose 'returns' or 'prices'")
        name = parameter or kind
        cols = None
        if columns is not None:
            if isinstance(columns, str):
                columns = [c.strip() for c in columns.split(",")]
            if len(columns) != 3 or not all(columns):
                raise ParameterError("columns", columns, "give three names: ID,DATE,VALUE")
            cols = (str(columns[0]), str(columns[1]), str(columns[2]))
        return cls(_check_path(path, name), kind, cols, name)


class PanelReader:
    """Reads series out of one panel file: the market first (its dates are the trading days),
    then the securities over the dates the events need."""

    def __init__(self, panel: PanelFile) -> None:
        self.panel = panel
        self.con = _connect()
        self.stats = PanelStats()
        self._open(text=False)

    def _open(self, text: bool) -> None:
        """Read the header and set up the SQL; ``text``: every CSV column as text."""
        panel = self.panel
        self.text = text
        header = _describe(self.con, panel.path, panel.parameter, text)
        self.layout = detect_layout(header, panel.kind, panel.columns, panel.path, panel.parameter)
        self.source, self.id_type, date_type, value_type = _long_source(panel.path, self.layout, text)
        self.date_sql = _date_expression("date_raw", date_type)
        self.value_numeric = _numeric(value_type)
        self.integer_ids = self.id_type in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT", "UBIGINT",
                                            "UINTEGER", "TINYINT")

    @property
    def _is_csv(self) -> bool:
        return _reader(self.panel.path).startswith("read_csv")

    @property
    def label(self) -> str:
        return f"{self.panel.parameter} {self.panel.path}"

    def canonical_ids(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Each requested id as the panel spells it (integers without leading zeros), or None
        when it cannot be an id of this panel (text where the ids are integers)."""
        if not self.integer_ids:
            return {i: i for i in ids}
        numbers = pd.to_numeric(pd.Series(list(ids), dtype=object), errors="coerce")
        return {
            i: (str(int(v)) if pd.notna(v) and float(v).is_integer() else None)
            for i, v in zip(ids, numbers)
        }

    def _value_sql(self) -> str:
        if self.value_numeric:
            return "CAST(value_raw AS DOUBLE)"
        return "TRY_CAST(TRIM(CAST(value_raw AS VARCHAR)) AS DOUBLE)"

    def read(self, ids: Sequence[str], start: pd.Timestamp | None = None,
             end: pd.Timestamp | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the ids (as the panel spells them) between ``start`` and ``end``: id codes
        (positions in ``ids``), dates (datetime64[D]) and values (NaN where missing).

        One scan of the file; the checks run on the rows read, and only an error reads the file
        again, for examples."""
        import duckdb

        wanted = pd.DataFrame({"id": list(ids), "code": np.arange(len(ids), dtype=np.int64)})
        if self.integer_ids:
            wanted["id"] = wanted["id"].astype(np.int64)
        self.con.register("wanted_ids", wanted)
        try:
            data = self.con.execute(self._select(start, end)).fetchnumpy()
        except duckdb.ConversionException:
            # a CSV column whose values change type after the rows sampled to guess its type
            # (CRSP's letter codes far down a return column): read every column as text
            self.con.unregister("wanted_ids")
            if self.text or not self._is_csv:
                raise
            integer_ids = self.integer_ids
            self._open(text=True)
            return self.read([str(i) for i in ids] if integer_ids else ids, start, end)
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0]
            raise DataError(f"{self.label}: cannot read the panel: {first}") from None
        codes = np.asarray(data["code"], dtype=np.int64)
        if np.asarray(data["bad_date"]).any():
            bad = self._examples("bad_date", ["w.id", "CAST(src.date_raw AS VARCHAR)"], start, end)
            self.con.unregister("wanted_ids")
            raise DataError(f"{self.label}: column {self.layout.date!r} has dates that do not parse "
                            f"(id, date: {_examples(bad)}); give YYYY-MM-DD or YYYYMMDD")
        if "bad_value" in data and np.asarray(data["bad_value"]).any():
            bad = self._examples("bad_value", ["w.id", "CAST(src.date_raw AS VARCHAR)",
                                               "CAST(src.value_raw AS VARCHAR)"], start, end)
            self.con.unregister("wanted_ids")
            raise DataError(
                f"{self.label}: column {self._value_column!r} has values that are not numbers (id, "
                f"date, value: {_examples(bad)}); give decimals, leave missing values empty")
        self.con.unregister("wanted_ids")
        if "letter" in data:
            self.stats.missing_codes += int(np.asarray(data["letter"]).sum())
        dates = np.asarray(data["date"]).astype("datetime64[D]")
        values = np.asarray(data["value"], dtype=float)
        self._check_values(ids, codes, dates, values)
        self.stats.rows_read += len(codes)
        return codes, dates, values

    @property
    def _value_column(self) -> str:
        return self.layout.value or "(the securities' columns)"

    def _flags(self) -> dict[str, str]:
        """SQL of the row flags: an unparseable date, a value that is not a number, a code."""
        flags = {"bad_date": f"src.date_raw IS NOT NULL AND ({self.date_sql}) IS NULL"}
        if not self.value_numeric:
            raw = "TRIM(CAST(src.value_raw AS VARCHAR))"
            flags["bad_value"] = (
                f"({self._value_sql()}) IS NULL AND {raw} <> '' AND NOT regexp_full_match({raw}, "
                f"'[A-Za-z]') AND upper({raw}) NOT IN ('NA', 'NAN', 'NULL', '.')")
            flags["letter"] = f"regexp_full_match({raw}, '[A-Za-z]')"
        return flags

    def _where(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
        date = f"({self.date_sql})"
        where = [f"{date} >= DATE '{start:%Y-%m-%d}'" if start is not None else "TRUE",
                 f"{date} <= DATE '{end:%Y-%m-%d}'" if end is not None else "TRUE"]
        return f"(({' AND '.join(where)}) OR ({self._flags()['bad_date']}))"

    def _from(self) -> str:
        id_sql = ("src.id" if self.integer_ids or self.id_type == "VARCHAR"
                  else "CAST(src.id AS VARCHAR)")
        return f"FROM ({self.source}) src JOIN wanted_ids w ON {id_sql} = w.id"

    def _select(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
        flags = ", ".join(f"COALESCE({sql}, false) AS {name}" for name, sql in self._flags().items())
        return (f"SELECT w.code, ({self.date_sql}) AS date, "
                f"COALESCE({self._value_sql()}, 'NaN'::DOUBLE) AS value, {flags} "
                f"{self._from()} WHERE {self._where(start, end)}")

    def _examples(self, flag: str, columns: list[str], start: pd.Timestamp | None,
                  end: pd.Timestamp | None) -> list[tuple[Any, ...]]:
        return self.con.execute(
            f"SELECT {', '.join(columns)} {self._from()} WHERE {self._where(start, end)} AND "
            f"COALESCE({self._flags()[flag]}, false) LIMIT 3").fetchall()

    def _check_values(self, ids: Sequence[str], codes: np.ndarray, dates: np.ndarray,
                      values: np.ndarray) -> None:
        """Missing codes become NaN (counted); infinite returns, zero or infinite prices are
        errors naming rows; negative prices (CRSP's bid/ask average) count by absolute value."""
        if self.panel.kind == "returns":
            coded = np.isin(values, MISSING_CODES)
            self.stats.missing_codes += int(coded.sum())
            values[coded] = np.nan
            bad = np.isinf(values)
            allowed = "finite returns"
        else:
            negative = values < 0
            self.stats.negative_prices += int(negative.sum())
            np.abs(values, out=values)
            bad = np.isinf(values) | (values == 0)
            allowed = "positive finite prices"
        if bad.any():
            rows = np.flatnonzero(bad)[:3]
            examples = "; ".join(f"{ids[codes[i]]}, {dates[i]}, {values[i]}" for i in rows)
            raise DataError(f"{self.label}: column {self._value_column!r} has {int(bad.sum())} "
                            f"value(s) that are not {allowed} (id, date, value: {examples})")

    def column_series(self, column: str) -> pd.Series:
        """A long panel's extra column holding one value per date (e.g. CRSP's ``vwretd``
        beside ``ret``), as a series by date; dates whose rows disagree are an error."""
        import duckdb

        types = self.layout.types
        reader = _reader(self.panel.path, self.text)
        value = (f"CAST({_quote(column)} AS DOUBLE)" if _numeric(types[column])
                 else f"TRY_CAST(TRIM(CAST({_quote(column)} AS VARCHAR)) AS DOUBLE)")
        date = _date_expression(self.layout.date, types[self.layout.date])
        try:
            rows = self.con.execute(
                f"SELECT {date} AS date, min({value}) AS lo, max({value}) AS hi FROM {reader} "
                "GROUP BY 1 HAVING date IS NOT NULL ORDER BY 1").fetchnumpy()
        except duckdb.Error as error:
            raise DataError(f"{self.label}: cannot read column {column!r}: "
                            f"{str(error).splitlines()[0]}") from None
        lo, hi = np.asarray(rows["lo"], dtype=float), np.asarray(rows["hi"], dtype=float)
        dates = np.asarray(rows["date"]).astype("datetime64[ns]")
        differ = np.flatnonzero(np.isfinite(lo) & (lo != hi))
        if len(differ):
            examples = ", ".join(f"{pd.Timestamp(dates[i]):%Y-%m-%d}" for i in differ[:3])
            raise DataError(f"{self.label}: column {column!r} has different values on one date "
                            f"({examples}); a market column holds one value per date")
        self.stats.rows_read += len(dates)
        return pd.Series(lo, index=pd.DatetimeIndex(dates), name=column)

    def distinct_ids(self) -> list[str]:
        """Every id of the panel, in order."""
        rows = self.con.execute(
            f"SELECT DISTINCT CAST(id AS VARCHAR) AS id FROM ({self.source}) ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]

    def ids_sample(self, limit: int = 5) -> list[str]:
        rows = self.con.execute(
            f"SELECT DISTINCT CAST(id AS VARCHAR) FROM ({self.source}) LIMIT {limit}").fetchall()
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        self.con.close()


def _scatter(codes: np.ndarray, dates: np.ndarray, values: np.ndarray, ids: Sequence[str],
             days: pd.DatetimeIndex, stats: PanelStats, label: str) -> np.ndarray:
    """Dates x ids matrix on ``days`` (NaN where no row); rows on other dates are counted, and
    an (id, date) pair given twice is an error."""
    day_values = days.values.astype("datetime64[D]")
    # position of each row's date on ``days`` through a table indexed by day number: O(rows)
    first = day_values[0].astype(np.int64) if len(day_values) else 0
    span = int(day_values[-1].astype(np.int64) - first + 1) if len(day_values) else 0
    lookup = np.full(span + 2, -1, dtype=np.int64)
    lookup[day_values.astype(np.int64) - first + 1] = np.arange(len(day_values))
    offset = dates.astype(np.int64) - (first - 1)
    if len(offset) and (offset.min() < 0 or offset.max() > span + 1):
        np.clip(offset, 0, span + 1, out=offset)
    pos = lookup[offset]
    n_ids = len(ids)
    pos *= n_ids
    pos += codes  # the cell of each row in the dates x ids matrix, -1 and below: not a day
    on_day = pos >= 0
    off = len(on_day) - int(np.count_nonzero(on_day))
    stats.off_calendar += off
    cell = pos if off == 0 else pos[on_day]
    counts = np.bincount(cell, minlength=len(days) * n_ids)
    if counts.max(initial=0) > 1:
        repeated = np.flatnonzero(counts > 1)
        examples = "; ".join(f"{ids[c % n_ids]}, {day_values[c // n_ids]}, {counts[c]}"
                             for c in repeated[:3])
        raise DataError(f"{label}: {len(repeated)} (id, date) pair(s) appear more than once (id, "
                        f"date, rows: {examples}); keep one row per security and date")
    matrix = np.full((len(days), n_ids), np.nan)
    matrix.reshape(-1)[cell] = values if off == 0 else values[on_day]
    return matrix


def read_market_series(path: str | os.PathLike[str], *, parameter: str = "market_returns") -> pd.Series:
    """A market (or any single) return series from its own file: a date column and one value
    column (``return`` or the file's only other column), CSV or Parquet."""
    file = _check_path(path, parameter)
    con = _connect()
    try:
        header = _describe(con, file, parameter)
        names = [n for n, _ in header]
        lower = {n.lower(): n for n in names}
        date = lower.get("date")
        others = [n for n in names if n != date]
        value = next((lower[n] for n in VALUE_NAMES["returns"] if n in lower), None)
        if value is None and len(others) == 1:
            value = others[0]
        if date is None or value is None:
            raise DataError(f"{parameter}: {file} has columns {names[:8]}; give a file with "
                            "columns date,return")
        types = dict(header)
        sql = (f"SELECT {_date_expression(date, types[date])} AS date, CAST({_quote(date)} AS "
               f"VARCHAR) AS date_text, "
               + (f"CAST({_quote(value)} AS DOUBLE)" if _numeric(types[value])
                  else f"TRY_CAST(TRIM(CAST({_quote(value)} AS VARCHAR)) AS DOUBLE)")
               + f" AS value, CAST({_quote(value)} AS VARCHAR) AS raw FROM {_reader(file)}")
        frame = con.execute(sql).fetchdf()
    finally:
        con.close()
    bad_date = frame[frame["date"].isna() & frame["date_text"].notna()]
    if len(bad_date):
        raise DataError(f"{parameter}: {file} column {date!r} has dates that do not parse "
                        f"(e.g. {', '.join(map(str, bad_date['date_text'].head(3)))})")
    bad_value = frame[frame["value"].isna() & frame["raw"].notna()
                      & (frame["raw"].astype(str).str.strip() != "")]
    if len(bad_value):
        raise DataError(f"{parameter}: {file} column {value!r} has values that are not numbers "
                        f"(e.g. {', '.join(map(str, bad_value['raw'].head(3)))})")
    series = pd.Series(frame["value"].to_numpy(dtype=float),
                       index=pd.DatetimeIndex(frame["date"]).astype("datetime64[ns]"), name="market")
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][:3]
        raise DataError(f"{parameter}: {file} has repeated dates ({', '.join(f'{d:%Y-%m-%d}' for d in dup)})")
    if np.isinf(series.to_numpy()).any():
        raise DataError(f"{parameter}: {file} has infinite values")
    series = series.sort_index()
    _warn_if_percent(series.to_numpy(), f"{parameter} {file}", column=value)
    return series


def _warn_if_percent(values: np.ndarray, label: str, column: str | None) -> None:
    finite = np.abs(values[np.isfinite(values)])
    if len(finite) >= 20 and float(np.median(finite)) > PERCENT_MEDIAN:
        warnings.warn(
            f"{label}: column {column!r} looks like percent (median |value| "
            f"{float(np.median(finite)):.3g}); returns must be decimals (0.0445 for 4.45%)",
            DataQualityWarning, stacklevel=4,
        )


def read_factors_file(
    path: str | os.PathLike[str], *, unit: str = "decimal", parameter: str = "factors"
) -> pd.DataFrame:
    """Daily factors from a file: ``date`` then factor columns named as French's (``Mkt-RF``,
    ``SMB``, ``HML``, ``RF``, ``Mom``, ``RMW``, ``CMA``), decimals or percent (``unit``)."""
    if unit not in ("decimal", "percent"):
        raise ParameterError("factors_unit", unit, "choose 'decimal' or 'percent'")
    file = _check_path(path, parameter)
    con = _connect()
    try:
        header = _describe(con, file, parameter)
        frame = con.execute(f"SELECT * FROM {_reader(file)}").fetchdf()
    finally:
        con.close()
    lower = {n.lower(): n for n, _ in header}
    if "date" not in lower:
        raise DataError(f"{parameter}: {file} has no date column (columns {list(frame.columns)[:8]})")
    date = lower["date"]
    raw = frame[date]
    if pd.api.types.is_integer_dtype(raw):
        index = pd.to_datetime(raw.astype(str), format="%Y%m%d", errors="coerce")
    else:
        index = pd.to_datetime(raw.astype(str).str.strip(), errors="coerce", format="mixed")
    if index.isna().any():
        bad = raw[index.isna()].head(3).tolist()
        raise DataError(f"{parameter}: {file} column {date!r} has dates that do not parse (e.g. {bad})")
    values = frame.drop(columns=[date]).apply(pd.to_numeric, errors="coerce")
    bad_cols = [c for c in values.columns if values[c].isna().any() and frame[c].notna().any()
                and values[c].isna().sum() > frame[c].isna().sum()]
    if bad_cols:
        raise DataError(f"{parameter}: {file} column {bad_cols[0]!r} has values that are not numbers")
    values.index = pd.DatetimeIndex(index, name="date")
    if values.index.has_duplicates:
        raise DataError(f"{parameter}: {file} has repeated dates")
    values = values.sort_index()
    if unit == "percent":
        values = values / 100.0
    elif "RF" in values.columns:
        _warn_if_percent(values["RF"].to_numpy() * 40, f"{parameter} {file}", "RF")
    return values


@dataclass
class LoadedPanel:
    """Returns of the securities the events need, on the market's trading days."""

    returns: pd.DataFrame
    market: pd.Series
    ids: dict[str, str | None]
    stats: PanelStats

    @property
    def trading_days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.market.index)


def load_panel(
    panel: PanelFile | pd.DataFrame,
    ids: Sequence[str],
    *,
    market: str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    day_range: Any = None,
) -> LoadedPanel:
    """Returns of ``ids`` and the market from a user's panel, on the market's trading days.

    Parameters
    ----------
    panel
        A :class:`PanelFile` (a CSV or Parquet file), or a DataFrame of returns (dates x
        securities) already in memory.
    ids
        The securities the events name (text; integer ids are matched by value).
    market
        Id of the market series in the panel (e.g. CRSP's ``vwretd`` stored as one more id),
        when ``market_returns`` is not given.
    market_returns
        The market's returns: a Series, or a file with ``date,return``.
    day_range
        A function of the trading days returning ``(first, last)``: the dates the events need
        (reading stops there); default: every date.

    Returns
    -------
    LoadedPanel
        ``returns`` (dates x ids, the ids as the events spell them; ids the panel does not hold
        are absent), the market series and what reading found (``stats``).
    """
    stats = PanelStats()
    if isinstance(panel, pd.DataFrame):
        return _from_frame(panel, ids, market, market_returns, stats)
    reader = PanelReader(panel)
    try:
        canonical = reader.canonical_ids(list(dict.fromkeys(ids)))
        # the market first: its dates with a return are the trading days
        price_days = None
        if market_returns is not None:
            market_series = (market_returns if isinstance(market_returns, pd.Series)
                             else read_market_series(market_returns))
        else:
            if market is None:
                raise ParameterError("market", None, "name the market series of the panel, or give "
                                     "--market-returns FILE")
            extra = [c for c in reader.layout.types
                     if reader.layout.kind == "long" and c not in
                     (reader.layout.id, reader.layout.date, reader.layout.value)]
            name = None if market in extra else reader.canonical_ids([market])[market]
            if market in extra:
                market_series = reader.column_series(market)
            else:
                if name is None:
                    raise _unknown_market(reader, market)
                codes, dates, values = reader.read([name])
                if len(codes) == 0:
                    raise _unknown_market(reader, market)
                order = np.argsort(dates, kind="stable")
                market_series = pd.Series(values[order], index=pd.DatetimeIndex(
                    dates[order].astype("datetime64[ns]")), name=market)
                if market_series.index.has_duplicates:
                    repeated = market_series.index[market_series.index.duplicated()][:3]
                    raise DataError(f"{reader.label}: the market {market!r} has more than one row "
                                    f"on {', '.join(f'{d:%Y-%m-%d}' for d in repeated)}")
            if panel.kind == "prices":
                market_series = market_series[market_series.notna()]
                price_days = pd.DatetimeIndex(market_series.index)
                market_series = market_series.pct_change(fill_method=None).iloc[1:]
        market_series = market_series[market_series.notna()]
        if len(market_series) == 0:
            raise DataError(f"market: {market!r} has no returns in {reader.label}")
        days = pd.DatetimeIndex(market_series.index)
        first, last = (days[0], days[-1]) if day_range is None else day_range(days)
        matrix_days = days
        if panel.kind == "prices":  # prices from the trading day before the first return
            matrix_days = days if price_days is None else price_days
            first = matrix_days[max(0, int(matrix_days.searchsorted(first)) - 1)]
        present = [c for c in canonical.values() if c is not None]
        order_ids = list(dict.fromkeys(present))
        codes, dates, values = reader.read(order_ids, first, last)
        matrix = _scatter(codes, dates, values, order_ids, matrix_days, reader.stats, reader.label)
        frame = pd.DataFrame(matrix, index=matrix_days, columns=order_ids)
        if panel.kind == "prices":
            frame = frame.pct_change(fill_method=None).reindex(days)
        else:
            _warn_if_percent(values, reader.label, reader.layout.value)
        stats = reader.stats
        held = {order_ids[c] for c in np.unique(codes)}
        returns = frame[[c for c in order_ids if c in held]]
    finally:
        reader.close()
    _report(stats, panel)
    ids_map = {i: (c if c in held else None) for i, c in canonical.items()}
    # columns named as the events spell the ids
    rename: dict[str, str] = {}
    for original, c in ids_map.items():
        if c is not None and c != original:
            rename.setdefault(c, original)
    returns = returns.rename(columns=rename)
    returns.index = pd.DatetimeIndex(returns.index).astype("datetime64[ns]")
    return LoadedPanel(returns, market_series.astype(float), ids_map, stats)


def load_whole_panel(
    panel: PanelFile | pd.DataFrame, market: str,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    ids: Sequence[str] | None = None,
) -> LoadedPanel:
    """Every security of a panel (or the ``ids`` given) over all its dates: for designs that
    draw securities at random (:func:`eventstudy.simulate.simulate`)."""
    if ids is None and isinstance(panel, PanelFile):
        reader = PanelReader(panel)
        try:
            ids = [i for i in reader.distinct_ids() if i != market]
        finally:
            reader.close()
    elif ids is None and isinstance(panel, pd.DataFrame):
        ids = [str(c) for c in panel.columns if str(c) != market]
    return load_panel(panel, list(ids or []), market=market, market_returns=market_returns)


def _unknown_market(reader: PanelReader, market: str) -> DataError:
    sample = ", ".join(reader.ids_sample())
    return DataError(
        f"market: {market!r} is not an id of {reader.label} (ids there include {sample}); name "
        "the market series with --market, or give its returns with --market-returns FILE"
    )


def _from_frame(frame: pd.DataFrame, ids: Sequence[str], market: str | None,
                market_returns: Any, stats: PanelStats) -> LoadedPanel:
    if market_returns is not None:
        market_series = (market_returns if isinstance(market_returns, pd.Series)
                         else read_market_series(market_returns))
    elif market is not None and market in frame.columns:
        market_series = frame[market]
    else:
        raise ParameterError("market", market, "name a column of the returns frame or give market_returns")
    columns = {str(c): c for c in frame.columns}
    ids_map = {i: (i if i in columns else None) for i in dict.fromkeys(ids)}
    returns = frame[[columns[i] for i, c in ids_map.items() if c is not None]]
    returns.columns = [i for i, c in ids_map.items() if c is not None]
    market_series = market_series.dropna().astype(float)
    return LoadedPanel(returns, market_series, ids_map, stats)


def _report(stats: PanelStats, panel: PanelFile) -> None:
    label = f"{panel.parameter} {panel.path}"
    if stats.missing_codes:
        warnings.warn(f"{label}: {stats.missing_codes} value(s) are missing-return codes (CRSP's "
                      "-66, -77, -88, -99 or a letter): treated as missing", DataQualityWarning,
                      stacklevel=3)
    if stats.negative_prices:
        warnings.warn(f"{label}: {stats.negative_prices} negative price(s), CRSP's bid/ask "
                      "average: their absolute value is used", DataQualityWarning, stacklevel=3)
    if stats.off_calendar:
        warnings.warn(f"{label}: {stats.off_calendar} row(s) fall on dates without a market "
                      "return and are not used", DataQualityWarning, stacklevel=3)
