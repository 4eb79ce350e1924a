"""The committed data snapshot: real Yahoo Finance daily prices and Kenneth French's daily factors.

The snapshot lives in the project's ``data/`` folder (``data/SOURCES.md`` gives the provenance
of every file). Loading it needs no network. The folder is found, in this order:

1. the ``data_dir`` argument of the loaders;
2. the environment variable ``EVENTSTUDY_DATA_DIR``;
3. ``eventstudy/snapshot_data`` inside an installed wheel (the build copies ``data/`` there);
4. ``data/`` of the source checkout that holds this package (editable installs).

Nothing is read at import time. The committed snapshot's files, once read and checked, are kept
in memory for the process (keyed by each file's path, size and modification time, so an edited
file is read again): notebooks and scripts that run many studies read each file once.
"""

from __future__ import annotations

import importlib.resources
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from eventstudy.data.aliases import snapshot_name_hint
from eventstudy.data.checks import check_prices
from eventstudy.exceptions import (
    DataError,
    ParameterError,
    UnknownTickerError,
    safe_text,
)

DATA_DIR_ENV = "EVENTSTUDY_DATA_DIR"

#: Column names of a price frame, in order. Yahoo's ``Adj Close`` becomes ``adj_close``.
PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]

#: What Yahoo (and yfinance) call the price columns, and the tidy names used here.
YAHOO_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}

#: Factor files of the snapshot and their columns (in percent per day in the files).
FACTOR_FILES = {
    "ff3": "ff3_daily.csv",
    "ff5": "ff5_daily.csv",
    "mom": "mom_daily.csv",
}


def snapshot_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder of the committed snapshot (see the module docstring for the order).

    Raises
    ------
    DataError
        If the folder found has no ``prices/`` subfolder.
    """
    if data_dir is not None:
        path, origin = Path(data_dir), "data_dir"
    elif os.environ.get(DATA_DIR_ENV):
        path, origin = Path(os.environ[DATA_DIR_ENV]), DATA_DIR_ENV
    else:
        packaged = Path(str(importlib.resources.files("eventstudy"))) / "snapshot_data"
        checkout = Path(__file__).resolve().parents[3] / "data"
        path = packaged if (packaged / "prices").is_dir() else checkout
        origin = "default"
    if not (path / "prices").is_dir():
        raise DataError(
            f"{origin}: {str(path)!r} holds no snapshot (no prices/ folder); "
            f"set {DATA_DIR_ENV} to the project's data/ folder"
        )
    return path


def _ticker_file(ticker: str) -> str:
    """File name of a ticker in ``prices/``: ``^GSPC`` is stored as ``GSPC.csv``."""
    return ticker.removeprefix("^") + ".csv"


def available_tickers(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Tickers in the snapshot, as Yahoo spells them (indices with their ``^``), sorted."""
    indices = {"GSPC", "IXIC"}
    names = [p.stem for p in (snapshot_dir(data_dir) / "prices").glob("*.csv")]
    return sorted("^" + n if n in indices else n for n in names)


def unknown_ticker(ticker: str, known: Iterable[str], parameter: str = "ticker") -> UnknownTickerError:
    """The error for a ticker the snapshot lacks, with a suggestion where there is one (another
    case, or the name a renamed security is kept under: :func:`eventstudy.data.aliases.snapshot_name_hint`)."""
    return UnknownTickerError(ticker, known, parameter=parameter, hint=snapshot_name_hint(ticker, known))


def load_prices(
    tickers: str | Sequence[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Load daily prices from the committed snapshot as a tidy frame.

    Parameters
    ----------
    tickers
        One ticker or several, as Yahoo spells them (``"FB"``, ``"^GSPC"``).
    data_dir
        Snapshot folder; see :func:`snapshot_dir` for the default.

    Returns
    -------
    pandas.DataFrame
        One row per ticker and trading day, columns ``ticker``, ``date`` (timezone-naive
        ``datetime64``) and :data:`PRICE_COLUMNS`, sorted by ticker then date.

    Raises
    ------
    UnknownTickerError
        If a ticker has no file in the snapshot.
    DataError
        If a file has duplicated dates or a non-positive price.
    """
    names = [tickers] if isinstance(tickers, str) else list(tickers)
    if not names:
        raise ParameterError("tickers", tickers, "give at least one ticker")
    known = available_tickers(data_dir)
    frames = []
    for ticker in names:
        if ticker not in known:
            raise unknown_ticker(ticker, known)
        frame = _checked_snapshot_file(ticker, data_dir)
        frame.insert(0, "ticker", ticker)
        frames.append(frame[["ticker", "date", *PRICE_COLUMNS]])
    return pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)


#: Checked price frames of the committed snapshot's files, by (path, size, mtime, inode).
_CHECKED: dict[tuple[str, int, int, int], pd.DataFrame] = {}


def _checked_snapshot_file(ticker: str, data_dir: str | os.PathLike[str] | None) -> pd.DataFrame:
    """:func:`read_snapshot_file` after :func:`~eventstudy.data.checks.check_prices`, from memory
    when the same unchanged file of the committed snapshot was read before (a copy: callers may
    modify it). A file that warned is never kept, so its warning is given on every read; files
    of another ``data_dir`` are always read."""
    path = snapshot_dir(data_dir) / "prices" / _ticker_file(ticker)
    key = None
    if data_dir is None and DATA_DIR_ENV not in os.environ:
        try:
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        except OSError:
            key = None  # read_snapshot_file says what is wrong
    if key is not None and key in _CHECKED:
        return _CHECKED[key].copy()
    frame = read_snapshot_file(ticker, data_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_prices(frame, ticker, source="the snapshot")
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if key is not None and not caught:
        _CHECKED[key] = frame.copy()
    return frame


def read_snapshot_file(ticker: str, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One ticker's snapshot file as columns ``date`` and :data:`PRICE_COLUMNS`, unchecked.

    :func:`load_prices` is the checked loader; this is its reading step, shared with
    :mod:`eventstudy.data.sources`.

    Raises
    ------
    DataError
        When the file cannot be read as a price table (empty, no rows, a line cut short, a
        missing column, a value in ``Date`` that is not a date, a directory in its place); the
        message names the file.
    """
    folder = snapshot_dir(data_dir) / "prices"
    frame = read_table(folder / _ticker_file(ticker), ["Date", *YAHOO_COLUMNS])
    frame = frame.rename(columns={"Date": "date", **YAHOO_COLUMNS})
    return frame[["date", *PRICE_COLUMNS]]


def read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a CSV file with a ``Date`` column and ``columns``; one-line errors naming the file."""
    where = f"file {str(path)!r}"
    if path.is_dir():
        raise DataError(f"{where} is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path, dtype={"Date": str})
    except pd.errors.EmptyDataError:
        raise DataError(f"{where} is empty") from None
    except FileNotFoundError:
        raise DataError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{where} cannot be read as CSV: {first}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{where} has no {', '.join(repr(c) for c in missing)} column(s)")
    if len(frame) == 0:
        raise DataError(f"{where} has a header but no rows")
    if frame[list(columns)].iloc[-1].isna().any():
        raise DataError(
            f"{where}: its last line (row {len(frame)}) has empty fields; the file looks truncated"
        )
    dates = pd.to_datetime(frame["Date"], format="%Y-%m-%d", errors="coerce")
    bad = frame["Date"][dates.isna()]
    if len(bad):
        raise DataError(
            f"{where}: {safe_text(bad.iloc[0], 30)} in the Date column (row {bad.index[0] + 1}) is "
            "not a date (YYYY-MM-DD)"
        )
    frame["Date"] = dates
    return frame


def load_factors(
    name: str = "ff3",
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Load Kenneth French's daily factors from the snapshot, converted to decimals.

    Parameters
    ----------
    name
        ``"ff3"`` (Mkt-RF, SMB, HML, RF), ``"ff5"`` (adds RMW, CMA) or ``"mom"`` (Mom).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``; the files' percent values divided by 100 (``0.46`` -> ``0.0046``).
    """
    if name not in FACTOR_FILES:
        raise ParameterError("name", name, f"choose one of {', '.join(FACTOR_FILES)}")
    path = snapshot_dir(data_dir) / "factors" / FACTOR_FILES[name]
    frame = pd.read_csv(path, parse_dates=["Date"], index_col="Date")
    frame.index.name = "date"
    return frame / 100.0
