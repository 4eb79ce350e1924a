r"""Events tables: read them, place each event's day 0, and account for every row.

A multi-event study starts from a table of events, one row each: the security (``ticker``, or
``security``, or the id column of the user's panel, e.g. ``permno``), the ``event_date`` (a date
or a timestamp with a time zone) and optionally the ``market``. Other columns ride along (firm
characteristics for a cross-sectional regression, a benchmark column for long horizons).

Every row ends in exactly one status, recorded in the study's ``accounting``:

- ``studied``: day 0 is the event date;
- ``studied_day0_moved``: studied, with day 0 moved (a weekend or holiday, or a timestamp after
  the close) and the reason;
- ``duplicate``: the same security, day 0 and market as an earlier row (whatever the spelling
  of the date): studied once, under the earlier row;
- ``skipped``: not studied, with the reason (an unknown security, a date outside the data,
  too little history, a degenerate estimation...).

The counts add up to the rows read. Day 0 is placed on the trading days of the data (the
market series' dates) by one vectorised search for plain dates; timestamps go through
:func:`eventstudy.calendar.resolve_event`, once per distinct value. A date outside the data's
trading days is skipped with the reason, never moved to the data's first or last day.
"""

from __future__ import annotations

import gzip
import io
import re
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.calendar import resolve_event
from eventstudy.exceptions import DataError, DataQualityWarning, EventStudyError, ParameterError

#: Column names accepted for the security of an event, in order of preference.
SECURITY_COLUMNS = ("ticker", "security")

#: What a column name looks like (anything else in a header is not shown in messages).
_COLUMN_NAME = re.compile(r"[\w .()%#-]{1,40}")

#: The statuses of the accounting, in the order they are counted.
STATUSES = ("studied", "studied_day0_moved", "duplicate", "skipped")

_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?): save it as CSV, UTF-8",
    b"%PDF": "a PDF document: give a CSV file",
    b"PAR1": "a Parquet file: give a CSV file (Parquet is read for panels, --returns/--prices)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file: save it as CSV, UTF-8",
}


def _decode(raw: bytes, name: str) -> str:
    """Text of an events file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1
    with a warning; gzip is unpacked; binary and spreadsheet files are refused by name."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"events: {name} is a damaged gzip file ({error})") from None
    for magic, what in _SIGNATURES.items():
        if raw.startswith(magic):
            raise DataError(f"events: {name} is {what}")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"events: {name} starts like UTF-16 but does not decode; save it as "
                            "CSV, UTF-8") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"events: {name} is binary (NUL bytes), not a CSV text file; give a CSV "
                        "file, UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        warnings.warn(
            f"events: {name} is not UTF-8 (byte {error.start}); read as Latin-1. Save it as UTF-8 "
            "if names come out wrong",
            DataQualityWarning, stacklevel=3,
        )
        return raw.decode("latin-1")


def read_events(
    events: pd.DataFrame | str | os.PathLike[str], *, id_column: str | None = None
) -> pd.DataFrame:
    """The events table, validated: from a DataFrame or a CSV file (also ``.csv.gz``).

    Parameters
    ----------
    events
        A table, or the path of a CSV file, with a security column (``ticker``, ``security``
        or ``id_column``) and ``event_date``; optionally ``market``; other columns are kept.
    id_column
        Name of the security column when it is neither ``ticker`` nor ``security`` (e.g.
        ``permno``, the id column of a CRSP panel).

    Returns
    -------
    pandas.DataFrame
        A copy with a ``ticker`` column (text, surrounding spaces removed), ``event_date``
        (as given, spaces removed), the other columns as they were, and a 0-based index: the
        row number used by the accounting (row ``i`` is line ``i + 2`` of a file with a header).

    Raises
    ------
    ParameterError, DataError
        The file is missing, unreadable, empty, binary, a spreadsheet, malformed CSV, or lacks
        the columns; one line naming the file and the problem (never its contents).
    """
    if isinstance(events, (str, os.PathLike)):
        path = Path(events)
        name = str(path)
        if not path.exists():
            raise ParameterError("events", name, "no such file; give the path of a CSV file with "
                                 "columns ticker,event_date")
        if path.is_dir():
            raise ParameterError("events", name, "is a folder; give the path of a CSV file")
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise DataError(f"events: cannot read {name}: {error.strerror or error}") from None
        if not raw.strip():
            raise DataError(f"events: {name} is empty; give a CSV file with a header "
                            "ticker,event_date and one row per event")
        text = _decode(raw, name)
        try:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                skipinitialspace=True)
        except pd.errors.ParserError as error:
            detail = str(error).strip().splitlines()[-1]
            raise DataError(f"events: {name} is not a well-formed CSV file: {detail}") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"events: {name} has no header; give a CSV file with a header "
                            "ticker,event_date") from None
    elif isinstance(events, pd.DataFrame):
        name = "the events table"
        table = events.copy()
    else:
        raise ParameterError("events", type(events).__name__,
                             "give a DataFrame or the path of a CSV file")
    table.columns = [str(c).strip() for c in table.columns]
    candidates = ((id_column,) if id_column else ()) + SECURITY_COLUMNS
    lower = {str(c).lower(): c for c in table.columns}
    security = next((lower[c.lower()] for c in candidates if c.lower() in lower), None)
    if "event_date" not in table.columns and "event_date" in lower:
        table = table.rename(columns={lower["event_date"]: "event_date"})
    if security is None or "event_date" not in table.columns:
        wanted = " or ".join(dict.fromkeys(candidates))
        header = [str(c) for c in table.columns]
        # show the header only when it is one: never echo a line of some other file
        shown: object = (header[:10] if all(_COLUMN_NAME.fullmatch(c) for c in header)
                         else "a first line that is not a CSV header")
        raise ParameterError(
            "events", shown, f"{name} needs a security column ({wanted}) and an event_date column",
        )
    if len(table) == 0:
        raise DataError(f"events: {name} has a header but no events")
    if security != "ticker":
        table = table.rename(columns={security: "ticker"})
    for column in ("ticker", "event_date", "market"):
        if column in table.columns:
            table[column] = table[column].astype(str).str.strip()
    return table.reset_index(drop=True)


def id_column_of(columns: Sequence[str] | str | None) -> str | None:
    """The id column named by a panel's ``columns=(ID, DATE, VALUE)`` (``"permno,date,ret"``):
    the events file may name its securities the same way."""
    if columns is None:
        return None
    names = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else list(columns)
    return str(names[0]) if names and names[0] else None


@dataclass(frozen=True)
class PlacedEvents:
    """Day 0 of every event on the trading days.

    Attributes
    ----------
    position
        ``(N,)`` row of day 0 in ``trading_days`` (-1 where the event could not be placed).
    moved
        ``(N,)`` why day 0 is not the event date (empty where it is, or where not placed).
    failed
        ``(N,)`` why the event could not be placed (empty where it was).
    """

    position: np.ndarray
    moved: np.ndarray
    failed: np.ndarray

    @property
    def placed(self) -> np.ndarray:
        return self.position >= 0


def _range_text(days: pd.DatetimeIndex) -> str:
    return f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}"


def place_events(
    event_dates: pd.Series | np.ndarray, trading_days: pd.DatetimeIndex, *, non_session: str = "next",
    exchange: str | None = None,
) -> PlacedEvents:
    """Place day 0 of every event on ``trading_days``.

    Parameters
    ----------
    event_dates
        Dates (``YYYY-MM-DD`` text, or datetime64) or timestamps with a time zone.
    trading_days
        The data's trading days, increasing.
    non_session
        Day 0 for a date that is not a trading day: ``"next"``, ``"previous"`` or ``"raise"``
        (the event is then skipped with the reason).
    exchange
        Exchange calendar for the close of timestamps (see
        :func:`eventstudy.calendar.resolve_event`); ``None``: 16:00 New York.

    Notes
    -----
    A date before the first or after the last trading day is never placed (the reason says
    the range of the data): no event is studied on other dates than its own. Each distinct
    value is resolved once, so the cost grows with the number of distinct dates, not events.
    """
    if non_session not in ("next", "previous", "raise"):
        raise ParameterError("non_session", non_session, "choose 'next', 'previous' or 'raise'")
    days = pd.DatetimeIndex(trading_days)
    values = np.asarray(event_dates)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    n_unique = len(uniques)
    unique_pos = np.full(n_unique, -1, dtype=np.int64)
    unique_moved = np.full(n_unique, "", dtype=object)
    unique_failed = np.full(n_unique, "", dtype=object)
    # plain dates, vectorised: YYYY-MM-DD text or midnight datetime64
    if uniques.dtype.kind == "M":
        stamps = pd.DatetimeIndex(uniques)
        plain = np.asarray(~stamps.isna() & (stamps == stamps.normalize()))
    else:
        text = pd.Series(uniques, dtype=object).astype(str)
        plain = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy()
        stamps = pd.to_datetime(text.where(plain), format="%Y-%m-%d", errors="coerce")
        plain = plain & ~stamps.isna().to_numpy()
        stamps = pd.DatetimeIndex(stamps)
    day_values = days.values
    if plain.any() and len(days):
        wanted = stamps[plain].values.astype(day_values.dtype)
        pos = day_values.searchsorted(wanted, side="left")
        inside = (wanted >= day_values[0]) & (wanted <= day_values[-1])
        exact = np.zeros(len(pos), dtype=bool)
        exact[inside] = day_values[np.minimum(pos[inside], len(days) - 1)] == wanted[inside]
        result = np.where(exact, pos, -1)
        moved = inside & ~exact
        if non_session == "next":
            result = np.where(moved, pos, result)
        elif non_session == "previous":
            result = np.where(moved, pos - 1, result)
        idx = np.flatnonzero(plain)
        unique_pos[idx] = result
        for j, p, w, m, ins in zip(idx, result, wanted, moved, inside):
            when = pd.Timestamp(w)
            if not ins:
                unique_failed[j] = (f"event_date: {when:%Y-%m-%d} is outside the data's trading "
                                    f"days {_range_text(days)}")
            elif m and non_session == "raise":
                unique_failed[j] = (f"event_date: {when:%Y-%m-%d} is not a trading day of the "
                                    "data (--non-session raise)")
            elif m:
                unique_moved[j] = (f"{when:%Y-%m-%d} is not a trading day: day 0 moved to the "
                                   f"{non_session} trading day, {days[p]:%Y-%m-%d}")
    elif plain.any():
        unique_failed[plain] = "event_date: the data have no trading days"
    # everything else (timestamps, malformed text): the single path's rules, once per value
    for j in np.flatnonzero(~plain):
        value = uniques[j]
        try:
            day = resolve_event(value, non_session=non_session, exchange=exchange, trading_days=days)
        except EventStudyError as error:
            unique_failed[j] = str(error)
            continue
        if not days[0] <= day.day0 <= days[-1] or day.day0 not in days:
            unique_failed[j] = (f"event_date: {value} is outside the data's trading days "
                                f"{_range_text(days)}")
            continue
        unique_pos[j] = int(days.get_loc(day.day0))
        unique_moved[j] = day.reason or ""
    return PlacedEvents(unique_pos[codes], unique_moved[codes], unique_failed[codes])


def find_duplicates(keys: pd.DataFrame, placed: np.ndarray) -> np.ndarray:
    """Row of the first event with the same key for every later repeat, -1 elsewhere.

    ``keys`` holds one row per event (e.g. security, day-0 position, market); only the rows
    where ``placed`` is true take part. Vectorised (a hash of the rows), linear in the events.
    """
    first = np.full(len(keys), -1, dtype=np.int64)
    rows = np.flatnonzero(placed)
    if len(rows) == 0:
        return first
    sub = keys.iloc[rows].reset_index(drop=True)
    codes = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first_of_code = np.unique(codes, return_index=True)  # codes are 0 .. groups-1
    owner = rows[first_of_code[codes]]
    repeat = owner != rows
    first[rows[repeat]] = owner[repeat]
    return first


def accounting_frame(
    table: pd.DataFrame, status: np.ndarray, reason: np.ndarray, day0: np.ndarray,
    duplicate_of: np.ndarray, estimation_days_lost: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per input row: ticker, event_date, status, day0, reason, duplicate_of and (with
    ``exclude_events``) the estimation days lost to other events' windows."""
    frame = pd.DataFrame({
        "ticker": table["ticker"].to_numpy(),
        "event_date": table["event_date"].to_numpy(),
        "status": pd.Categorical(status, categories=STATUSES),
        "day0": pd.DatetimeIndex(day0),
        "reason": reason,
        "duplicate_of": pd.array(np.where(duplicate_of >= 0, duplicate_of, -1)).astype("Int64"),
    }, index=pd.RangeIndex(len(table), name="row"))
    frame.loc[frame["duplicate_of"] < 0, "duplicate_of"] = pd.NA
    if estimation_days_lost is not None:
        frame["estimation_days_lost"] = pd.array(estimation_days_lost).astype("Int64")
        frame.loc[frame["estimation_days_lost"] < 0, "estimation_days_lost"] = pd.NA
    return frame


def accounting_counts(accounting: pd.DataFrame) -> dict[str, int]:
    """``rows`` and the number of rows of each status (they add up to ``rows``)."""
    counts = accounting["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    return {"rows": len(accounting), **{k: int(v) for k, v in counts.items()}}
