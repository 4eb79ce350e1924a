"""The committed data snapshot: real Yahoo Finance daily prices and Kenneth French's daily factors.

The snapshot lives in the project's ``data/`` folder (``data/SOURCES.md`` gives the provenance
of every file). Loading it needs no network. The folder is found, in this order:

1. the ``data_dir`` argument of the loaders;
2. the environment variable ``EVENTSTUDY_DATA_DIR``;
3. ``eventstudy/data`` inside an installed wheel (the build copies ``data/`` there);
4. ``data/`` of the source checkout that holds this package (editable installs).

Nothing is read at import time.
"""

from __future__ import annotations

import importlib.resources
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError, UnknownTickerError

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
        packaged = Path(str(importlib.resources.files("eventstudy"))) / "data"
        checkout = Path(__file__).resolve().parent.parent.parent / "data"
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
            raise UnknownTickerError(ticker, known)
        frame = read_snapshot_file(ticker, data_dir)
        _check_prices(frame, ticker)
        frame.insert(0, "ticker", ticker)
        frames.append(frame[["ticker", "date", *PRICE_COLUMNS]])
    return pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)


def read_snapshot_file(ticker: str, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One ticker's snapshot file as columns ``date`` and :data:`PRICE_COLUMNS`, unchecked.

    :func:`load_prices` is the checked loader; this is its reading step, shared with
    :mod:`eventstudy.sources`.
    """
    folder = snapshot_dir(data_dir) / "prices"
    frame = pd.read_csv(folder / _ticker_file(ticker), parse_dates=["Date"])
    frame = frame.rename(columns={"Date": "date", **YAHOO_COLUMNS})
    return frame[["date", *PRICE_COLUMNS]]


#: Daily ``Adj Close`` moves with ``|log(1 + r)|`` above this (about +65% or -39%) are reported.
RETURN_BOUND = 0.5


def _dates_text(dates: pd.Series | pd.DatetimeIndex, limit: int = 5) -> str:
    dates = list(dates)
    text = ", ".join(pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates[:limit])
    return text + (f" and {len(dates) - limit} more" if len(dates) > limit else "")


def check_prices(
    frame: pd.DataFrame,
    ticker: str,
    *,
    source: str = "the snapshot",
    exchange: str | None = "XNYS",
    return_bound: float = RETURN_BOUND,
) -> None:
    """The checks every price load goes through (one ticker, columns ``date`` and prices).

    Parameters
    ----------
    frame
        One ticker's rows: ``date`` and :data:`PRICE_COLUMNS`.
    ticker
        Name used in messages.
    source
        Where the rows came from, for messages (``"the snapshot"``, ``"the cache"``, ...).
    exchange
        exchange_calendars code whose sessions the dates are checked against; ``None`` skips
        the session checks.
    return_bound
        Bound on ``|log(1 + r)|`` of daily ``Adj Close`` returns beyond which a move is reported.

    Raises
    ------
    DataError
        On duplicated dates or missing or non-positive prices.

    Warns
    -----
    DataQualityWarning
        For sessions of the exchange without a row between the first and last date, rows on
        days the exchange was closed, and ``Adj Close`` returns beyond the bound. Nothing is
        dropped.
    """
    duplicated = frame["date"][frame["date"].duplicated()]
    if len(duplicated):
        raise DataError(f"ticker {ticker!r}: duplicated dates in {source}: {_dates_text(duplicated)}")
    prices = frame[["open", "high", "low", "close", "adj_close"]]
    bad = frame["date"][(prices <= 0).any(axis=1) | prices.isna().any(axis=1)]
    if len(bad):
        raise DataError(f"ticker {ticker!r}: missing or non-positive prices on {_dates_text(bad)}")
    if len(frame) == 0:
        return
    ordered = frame.sort_values("date")
    if exchange is not None:
        from eventstudy.calendar import sessions

        dates = pd.DatetimeIndex(ordered["date"])
        open_days = sessions(dates[0], dates[-1], exchange=exchange)
        gaps = open_days.difference(dates)
        if len(gaps):
            warnings.warn(
                f"ticker {ticker!r}: no row in {source} on {len(gaps)} day(s) the exchange "
                f"({exchange}) was open: {_dates_text(gaps)}",
                DataQualityWarning,
                stacklevel=3,
            )
        closed = dates.difference(open_days)
        closed = closed[closed >= open_days[0]] if len(open_days) else closed[:0]
        if len(closed):
            warnings.warn(
                f"ticker {ticker!r}: rows in {source} on {len(closed)} day(s) the exchange "
                f"({exchange}) was closed: {_dates_text(closed)}",
                DataQualityWarning,
                stacklevel=3,
            )
    log_returns = np.log(ordered["adj_close"].to_numpy(dtype=float))
    moves = np.diff(log_returns)
    extreme = np.flatnonzero(np.abs(moves) > return_bound)
    if len(extreme):
        listed = ", ".join(
            f"{ordered['date'].iloc[i + 1]:%Y-%m-%d} ({np.expm1(moves[i]):+.1%})" for i in extreme[:5]
        )
        warnings.warn(
            f"ticker {ticker!r}: {len(extreme)} daily Adj Close return(s) in {source} beyond the "
            f"sane bound (|log return| > {return_bound:g}), kept as they are: {listed}; check for "
            "an unadjusted split or a bad print",
            DataQualityWarning,
            stacklevel=3,
        )


def _check_prices(frame: pd.DataFrame, ticker: str) -> None:
    check_prices(frame, ticker, source="the snapshot")


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
