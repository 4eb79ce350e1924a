"""A user's panel file as DuckDB reads it: the layout from the header (long or wide, which
columns), the file's checks, and the scan that reads only the ids and dates asked for
(:class:`PanelReader`). What the rows mean is :mod:`eventstudy.data.panel`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, ParameterError

#: Column names recognised in a long panel's header, in order of preference.
ID_NAMES = ("ticker", "id", "security", "permno", "symbol")
DATE_NAMES = ("date",)
VALUE_NAMES = {
    "returns": ("return", "ret", "returns"),
    "prices": ("price", "adj_close", "prc", "close"),
}
#: CRSP's numeric missing-return codes.
MISSING_CODES = (-66.0, -77.0, -88.0, -99.0)
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


def _reader(path: Path, text: bool = False, as_text: Sequence[str] = ()) -> str:
    """DuckDB table function reading ``path`` (``text``: a CSV's columns all read as text, for
    files whose types change after the rows DuckDB samples to guess them; ``as_text``: CSV
    columns read as text, e.g. dates written with a time zone, taken as the date written)."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq", ".parq")):
        return f"read_parquet({_literal(str(path))})"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".gz")):
        types = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in as_text)
        return (f"read_csv({_literal(str(path))}, header=true{', all_varchar=true' if text else ''}"
                f"{f', types={{{types}}}' if types and not text else ''})")
    raise ParameterError("panel", str(path), "give a .csv, .csv.gz or .parquet file")


#: DuckDB's type of a timestamp with a time zone.
ZONED = "TIMESTAMP WITH TIME ZONE"


def _csv_file(path: Path) -> bool:
    return not path.name.lower().endswith((".parquet", ".pq", ".parq"))


def _zoned_text(path: Path, header: list[tuple[str, str]], date: str) -> tuple[str, ...]:
    """The date column to read as text when a CSV writes it with a time zone (its date as
    written is the date; DuckDB would move it to the session's zone)."""
    return (date,) if _csv_file(path) and dict(header).get(date) == ZONED else ()


def _connect() -> Any:
    """A DuckDB connection whose time zone is UTC whatever the machine's (``TZ``), so that no
    date depends on it."""
    import duckdb

    con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})
    con.execute("SET TimeZone = 'UTC'")
    return con


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
    """SQL of the calendar date of ``column`` (of DuckDB type ``kind``): a date; a timestamp
    without a zone: its date; text: the date written (``2018-08-06``, ``2018-08-06T00:00+09:00``
    and ``20180806`` are 6 August 2018 everywhere); a timestamp with a zone (Parquet): only at
    midnight UTC, anything else NULL (an error naming the rows: which day it meant is unknown)."""
    q = _quote(column)
    if kind == ZONED:
        utc = f"CAST({q} AS TIMESTAMP)"  # the connection's zone is UTC
        return f"CASE WHEN {utc} = CAST(CAST({utc} AS DATE) AS TIMESTAMP) THEN CAST({utc} AS DATE) END"
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


def _long_source(path: Path, layout: Layout, text: bool = False,
                 as_text: Sequence[str] = ()) -> tuple[str, str, str, str]:
    """SQL of a relation (id, date_raw, value_raw) and the types of its three columns."""
    reader = _reader(path, text, as_text)
    date_type = "VARCHAR" if layout.date in as_text else layout.types[layout.date]
    if layout.kind == "long":
        assert layout.id is not None and layout.value is not None
        sql = (f"SELECT {_quote(layout.id)} AS id, {_quote(layout.date)} AS date_raw, "
               f"{_quote(layout.value)} AS value_raw FROM {reader}")
        return sql, layout.types[layout.id], date_type, layout.types[layout.value]
    cells = ", ".join(
        f"CAST({_quote(c)} AS VARCHAR) AS {_quote(c)}" for c in layout.securities
    )
    sql = (f"SELECT id, date_raw, value_raw FROM (UNPIVOT (SELECT {_quote(layout.date)} AS "
           f"date_raw, {cells} FROM {reader}) ON COLUMNS(* EXCLUDE (date_raw)) INTO NAME id "
           "VALUE value_raw)")
    return sql, "VARCHAR", date_type, "VARCHAR"


#: Why timestamps with a time zone are refused.
_ZONED_REFUSED = ("holds timestamps with a time zone that are not at midnight UTC: which trading "
                  "day they stand for depends on a zone the file does not keep; give dates "
                  "(YYYY-MM-DD), or timestamps at midnight UTC")


def _check_unique_columns(con: Any, path: Path, header: list[tuple[str, str]], parameter: str) -> None:
    """A CSV header naming a column twice (DuckDB would rename the second ``FB`` to ``FB_1`` and
    a study would use the first silently) is an error naming it."""
    if not _csv_file(path):
        return
    import duckdb

    try:
        row = con.execute(f"SELECT * FROM read_csv({_literal(str(path))}, header=false, "
                          "all_varchar=true) LIMIT 1").fetchall()
    except duckdb.Error:
        return  # the header read by DESCRIBE is all there is
    names = [str(n).strip() for n in (row[0] if row else ()) if n is not None]
    seen: dict[str, str] = {}
    repeated = []
    for name in names:
        key = name.lower()  # DuckDB's names are case-insensitive
        if key in seen and name not in repeated:
            repeated.append(name)
        seen.setdefault(key, name)
    if repeated and len(names) == len(header):
        shown = ", ".join(repr(n) for n in repeated[:5])
        raise DataError(f"{parameter}: {path} names column(s) {shown} more than once; give each "
                        "security (each column) once")


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
    index
        A folder keeping an index of a returns file (:mod:`eventstudy.data.panel_index`): a
        batch of events then reads the rows its events need from it instead of scanning the
        file (None: scan the file).
    """

    path: Path
    kind: str = "returns"
    columns: tuple[str, str, str] | None = None
    parameter: str = "returns"
    index: Path | None = None

    @classmethod
    def of(cls, path: str | os.PathLike[str], kind: str = "returns",
           columns: Sequence[str] | None = None, parameter: str | None = None,
           index: str | os.PathLike[str] | None = None) -> PanelFile:
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
        if index is not None and kind != "returns":
            raise ParameterError("panel_index", str(index), "indexes a returns panel; a prices "
                                 "panel is read whole")
        return cls(_check_path(path, name), kind, cols, name,
                   None if index is None else check_index_folder(index))


def check_index_folder(index: str | os.PathLike[str]) -> Path:
    """``index`` as the folder of panel indexes (:mod:`eventstudy.data.panel_index`): not
    empty text, not a file."""
    if not str(index).strip() or (Path(index).exists() and not Path(index).is_dir()):
        raise ParameterError("panel_index", str(index), "give a folder to keep the panel's index in")
    return Path(index)


def _integer_id(text: object) -> int | None:
    """An id as a 64-bit integer id (``"13407"``, ``"13407.0"``), or None when it cannot be one
    (text, a fraction, a number beyond 64 bits)."""
    text = str(text).strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if not np.isfinite(number) or not number.is_integer():
        return None
    value = int(text) if text.lstrip("+-").isdigit() else int(number)  # exact for long digits
    return value if -(2**63) <= value < 2**63 else None


class StoredRows(Protocol):
    """What a panel's index (:class:`eventstudy.data.panel_index.PanelIndex`) gives its reader:
    extra columns as read per date, kept once read, and a security's rows."""

    def column_rows(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None: ...

    def keep_column_rows(self, column: str, date: np.ndarray, lo: np.ndarray,
                         hi: np.ndarray) -> None: ...

    def security_values(self, name: str) -> tuple[np.ndarray, np.ndarray, int] | None: ...


class PanelReader:
    """Reads series out of one panel file: the market first (its dates are the trading days),
    then the securities over the dates the events need."""

    def __init__(self, panel: PanelFile) -> None:
        self.panel = panel
        self.con = _connect()
        self.stats = PanelStats()
        #: The panel's index (:mod:`eventstudy.data.panel_index`), or None: read the file.
        self.index: StoredRows | None = None
        self._open(text=False)

    def _open(self, text: bool) -> None:
        """Read the header and set up the SQL; ``text``: every CSV column as text."""
        panel = self.panel
        self.text = text
        header = _describe(self.con, panel.path, panel.parameter, text)
        if not text:
            _check_unique_columns(self.con, panel.path, header, panel.parameter)
        self.layout = detect_layout(header, panel.kind, panel.columns, panel.path, panel.parameter)
        self.as_text = _zoned_text(panel.path, header, self.layout.date)
        self.source, self.id_type, date_type, value_type = _long_source(
            panel.path, self.layout, text, self.as_text)
        self.date_type = date_type
        self.date_sql = _date_expression("date_raw", date_type)
        self.typed_dates = date_type.startswith(("DATE", "TIMESTAMP"))
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
        out: dict[str, str | None] = {}
        for i in ids:
            value = _integer_id(i)
            out[i] = None if value is None else str(value)
        return out

    def _value_sql(self) -> str:
        if self.value_numeric:
            return "CAST(value_raw AS DOUBLE)"
        # DuckDB's cast skips blanks around a number; TRIM (a new string per row, twice the
        # time) only for the values that do not read as one
        raw = "CAST(value_raw AS VARCHAR)"
        return f"COALESCE(TRY_CAST({raw} AS DOUBLE), TRY_CAST(TRIM({raw}) AS DOUBLE))"

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
            if self.date_type == ZONED:
                raise DataError(f"{self.label}: column {self.layout.date!r} {_ZONED_REFUSED} (id, "
                                f"timestamp: {_examples(bad)})")
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

    def read_security(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`read` of one security (as the panel spells it), every date: from the panel's
        :attr:`index` when it holds the security's rows as the scan reads them."""
        stored = None if self.index is None else self.index.security_values(name)
        if stored is None:
            return self.read([name])
        dates, values, letters = stored
        codes = np.zeros(len(dates), dtype=np.int64)
        self.stats.missing_codes += letters
        self._check_values([name], codes, dates, values)
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
            # the patterns run only on the values that do not read as numbers (CASE evaluates
            # its branch on those rows alone): a letter never reads as a number
            flags["bad_value"] = (
                f"CASE WHEN ({self._value_sql()}) IS NULL THEN {raw} <> '' AND NOT "
                f"regexp_full_match({raw}, '[A-Za-z]') AND upper({raw}) NOT IN ('NA', 'NAN', "
                "'NULL', '.') ELSE false END")
            flags["letter"] = (f"CASE WHEN ({self._value_sql()}) IS NULL THEN "
                               f"regexp_full_match({raw}, '[A-Za-z]') ELSE false END")
        return flags

    def scan_flags(self) -> dict[str, str]:
        """The row flags that can be true in a scan of the rows (a typed date column always
        parses), each never NULL."""
        flags = {name: f"COALESCE({sql}, false)" for name, sql in self._flags().items()}
        if self.typed_dates:
            flags.pop("bad_date")
        return flags

    def rows_sql(self, key: str, relation: str) -> str:
        """SQL of rows of the panel: ``g`` (the SQL ``key``), ``day`` (calendar day number from
        1970), ``value`` (NaN where it is not a number) and the flags: ``bad_date`` (a date that
        does not parse) and, for a text column, ``kind`` (1: a letter code, 2: a value that is
        no number, else 0); ``relation`` is the FROM clause, naming the file's rows ``src``.
        The value is converted once per row (an inner query); the flags look at the text only
        where the conversion failed."""
        flags = self.scan_flags()
        day = f"CAST(({self.date_sql}) - DATE '1970-01-01' AS INTEGER)"
        outer = ""
        if "bad_date" in flags:
            outer += ", COALESCE(date_raw IS NOT NULL AND day IS NULL, false) AS bad_date"
        if not self.value_numeric:
            text = "TRIM(CAST(value_raw AS VARCHAR))"
            outer += (f", (CASE WHEN v IS NOT NULL OR value_raw IS NULL THEN 0 "
                      f"WHEN regexp_full_match({text}, '[A-Za-z]') THEN 1 "
                      f"WHEN {text} <> '' AND upper({text}) NOT IN ('NA', 'NAN', 'NULL', '.') "
                      "THEN 2 ELSE 0 END)::TINYINT AS kind")
        return (f"SELECT g, day, COALESCE(v, 'NaN'::DOUBLE) AS value{outer} FROM (SELECT {key} AS g, "
                f"{day} AS day, {self._value_sql()} AS v, src.value_raw AS value_raw, "
                f"src.date_raw AS date_raw {relation})")

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
        beside ``ret``), as a series by date; dates whose rows disagree are an error. Read from
        the panel's :attr:`index` when it holds the column (kept there once read)."""
        kept = None if self.index is None else self.index.column_rows(column)
        if kept is None:
            kept = self._column_rows(column)
            if self.index is not None:
                self.index.keep_column_rows(column, *kept)
        dates, lo, hi = kept
        lo, hi = lo.copy(), hi.copy()
        coded = np.isin(lo, MISSING_CODES) & (lo == hi)
        self.stats.missing_codes += int(coded.sum())
        lo[coded], hi[coded] = np.nan, np.nan
        differ = np.flatnonzero(np.isfinite(lo) & (lo != hi))
        if len(differ):
            examples = ", ".join(f"{pd.Timestamp(dates[i]):%Y-%m-%d}" for i in differ[:3])
            raise DataError(f"{self.label}: column {column!r} has different values on one date "
                            f"({examples}); a market column holds one value per date")
        self.stats.rows_read += len(dates)
        return pd.Series(lo, index=pd.DatetimeIndex(dates), name=column)

    def _column_rows(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An extra column per date: the dates (datetime64[ns]) and the lowest and highest
        value of each (NaN: none)."""
        import duckdb

        types = self.layout.types
        reader = _reader(self.panel.path, self.text, self.as_text)
        value = (f"CAST({_quote(column)} AS DOUBLE)" if _numeric(types[column])
                 else f"TRY_CAST(TRIM(CAST({_quote(column)} AS VARCHAR)) AS DOUBLE)")
        date = _date_expression(self.layout.date, "VARCHAR" if self.as_text else types[self.layout.date])
        try:
            rows = self.con.execute(
                f"SELECT {date} AS date, COALESCE(min({value}), 'NaN'::DOUBLE) AS lo, "
                f"COALESCE(max({value}), 'NaN'::DOUBLE) AS hi FROM {reader} "
                "GROUP BY 1 HAVING date IS NOT NULL ORDER BY 1").fetchnumpy()
        except duckdb.Error as error:
            raise DataError(f"{self.label}: cannot read column {column!r}: "
                            f"{str(error).splitlines()[0]}") from None
        return (np.asarray(rows["date"]).astype("datetime64[ns]"),
                np.asarray(rows["lo"], dtype=float), np.asarray(rows["hi"], dtype=float))

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
