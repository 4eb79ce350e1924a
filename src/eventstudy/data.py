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
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from eventstudy.exceptions import DataError, ParameterError, UnknownTickerError

DATA_DIR_ENV = "EVENTSTUDY_DATA_DIR"

#: Column names of a price frame, in order. Yahoo's ``Adj Close`` becomes ``adj_close``.
PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]

_YAHOO_COLUMNS = {
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
    folder = snapshot_dir(data_dir) / "prices"
    known = available_tickers(data_dir)
    frames = []
    for ticker in names:
        if ticker not in known:
            raise UnknownTickerError(ticker, known)
        frame = pd.read_csv(folder / _ticker_file(ticker), parse_dates=["Date"])
        frame = frame.rename(columns={"Date": "date", **_YAHOO_COLUMNS})
        _check_prices(frame, ticker)
        frame.insert(0, "ticker", ticker)
        frames.append(frame[["ticker", "date", *PRICE_COLUMNS]])
    return pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)


def _check_prices(frame: pd.DataFrame, ticker: str) -> None:
    duplicated = frame["date"][frame["date"].duplicated()]
    if len(duplicated):
        dates = ", ".join(d.strftime("%Y-%m-%d") for d in duplicated[:5])
        raise DataError(f"ticker {ticker!r}: duplicated dates in the snapshot: {dates}")
    prices = frame[["open", "high", "low", "close", "adj_close"]]
    bad = frame["date"][(prices <= 0).any(axis=1) | prices.isna().any(axis=1)]
    if len(bad):
        dates = ", ".join(d.strftime("%Y-%m-%d") for d in bad[:5])
        raise DataError(f"ticker {ticker!r}: missing or non-positive prices on {dates}")


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
