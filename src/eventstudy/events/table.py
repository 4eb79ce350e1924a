"""Reading an events file: its encoding, delimiter and columns checked, one line naming the file
for anything it cannot read (never its contents)."""

from __future__ import annotations

import gzip
import io
import re
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError


#: Column names accepted for the security of an event, in order of preference.
SECURITY_COLUMNS = ("ticker", "security")


#: What a column name looks like (anything else in a header is not shown in messages).
_COLUMN_NAME = re.compile(r"[\w .()%#-]{1,40}")

#: Largest events file read, in bytes, before and after gzip (some ten million events with a few
#: columns; a larger file, or a device such as /dev/zero, is refused before it fills memory).
MAX_EVENTS_FILE_BYTES = 256 * 2**20


_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?): save it as CSV, UTF-8",
    b"%PDF": "a PDF document: give a CSV file",
    b"PAR1": "a Parquet file: give a CSV file (Parquet is read for panels, --returns/--prices)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file: save it as CSV, UTF-8",
}


def _size(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _decode(raw: bytes, name: str) -> str:
    """Text of an events file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1
    with a warning; gzip is unpacked; binary and spreadsheet files are refused by name."""
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as packed:
                raw = packed.read(MAX_EVENTS_FILE_BYTES + 1)
        except (OSError, EOFError) as error:
            raise DataError(f"events: {name} is a damaged gzip file ({error})") from None
        if len(raw) > MAX_EVENTS_FILE_BYTES:
            raise DataError(f"events: {name} unpacks to more than {_size(MAX_EVENTS_FILE_BYTES)}, the "
                            "largest events file read; split the events into several files")
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
        if not path.is_file():  # a device (/dev/zero), a pipe that would block, a socket
            raise ParameterError("events", name, "is not a regular file (a device, a pipe or a "
                                 "socket); give the path of a CSV file")
        size = path.stat().st_size
        if size > MAX_EVENTS_FILE_BYTES:
            raise DataError(f"events: {name} is {_size(size)}, more than the {_size(MAX_EVENTS_FILE_BYTES)} "
                            "an events file may hold; split the events into several files")
        try:
            with path.open("rb") as stream:  # at most the limit, even if the file grows meanwhile
                raw = stream.read(MAX_EVENTS_FILE_BYTES + 1)
        except OSError as error:
            raise DataError(f"events: cannot read {name}: {error.strerror or error}") from None
        if len(raw) > MAX_EVENTS_FILE_BYTES:
            raise DataError(f"events: {name} grew beyond {_size(MAX_EVENTS_FILE_BYTES)} while read; "
                            "give a file that is not being written")
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
        hint = ""
        if len(header) == 1 and header[0].count(";") >= 1 and "," not in header[0]:
            hint = ("; its first line is separated by ';', not ',': save it as comma-separated CSV "
                    "(ticker,event_date)")
        elif security is None and "event_date" in table.columns:
            others = [c for c in header if c != "event_date" and _COLUMN_NAME.fullmatch(c)]
            if others:
                hint = (f"; to use its column {others[0]!r} as the security id, name it ticker, or "
                        f"give a long panel's columns with --columns {others[0]},DATE,VALUE "
                        "(columns=) so that the events may name their ids as the panel does")
        raise ParameterError(
            "events", shown,
            f"{name} needs a security column ({wanted}) and an event_date column{hint}",
        )
    if len(table) == 0:
        raise DataError(f"events: {name} has a header but no events")
    if security != "ticker":
        table = table.rename(columns={security: "ticker"})
    for column in ("ticker", "event_date", "market", "exchange"):
        if column in table.columns:
            table[column] = _stripped(table[column].astype(str))
    return table.reset_index(drop=True)


#: The characters ``str.strip()`` removes that are ASCII (any other is not ASCII).
_ASCII_SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _stripped(text: pd.Series) -> pd.Series:
    """``text.str.strip()``; a column without any space in it (the usual case, checked on the
    joined text) is returned as it is rather than stripped value by value."""
    try:
        joined = "".join(text.to_numpy(dtype=object).tolist())
    except TypeError:  # a missing value (NaN) among the texts
        return text.str.strip()
    if joined.isascii() and not any(space in joined for space in _ASCII_SPACES):
        return text
    return text.str.strip()


def id_column_of(columns: Sequence[str] | str | None) -> str | None:
    """The id column named by a panel's ``columns=(ID, DATE, VALUE)`` (``"permno,date,ret"``):
    the events file may name its securities the same way."""
    if columns is None:
        return None
    names = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else list(columns)
    return str(names[0]) if names and names[0] else None
