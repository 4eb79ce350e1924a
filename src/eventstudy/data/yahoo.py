"""Daily prices from Yahoo Finance through yfinance.

yfinance's ``download`` has traps this module closes:

* it returns an empty frame (and only logs the reason) when a ticker fails: here every failure
  becomes an exception that carries the reason yfinance gave;
* its ``auto_adjust`` default changed to ``True`` (dropping ``Adj Close``): here it is always
  passed explicitly as ``False``, so both ``Close`` and ``Adj Close`` come back;
* it returns MultiIndex columns ``(Price, Ticker)`` even for one ticker: both layouts are read;
* its ``end`` is exclusive: :func:`download_prices` takes an inclusive end date;
* its prices are occasionally not adjusted for a fresh split: the split actions are requested
  too (``actions=True``) and returned in :attr:`Download.splits`, so the loaders can say so;
* Yahoo rate-limits: a rate-limited request is retried with exponential backoff a bounded
  number of times, then :class:`~eventstudy.exceptions.RateLimitError` is raised.

Many tickers go in one batched ``yf.download`` call. yfinance is imported only when a download
happens, never at import.

The ticker-history alias table (which symbol Yahoo serves for a requested one) is
:mod:`eventstudy.data.aliases`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from eventstudy.data.snapshot import YAHOO_COLUMNS
from eventstudy.exceptions import (
    BeforeFirstTradeError,
    FetchError,
    NetworkError,
    NoDataError,
    ParameterError,
    RateLimitError,
    safe_text,
)

logger = logging.getLogger("eventstudy")


# ----------------------------------------------------------------------------------------------
# The network answer, read faithfully


class _Recorder(logging.Handler):
    """Collects what yfinance logs during one download: its only report of failures."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # pragma: no cover - a broken log record must not break the fetch
            pass


_LIST = re.compile(r"^\s*\[([^\]]*)\]:\s*(.*)$", re.S)
_FAILED = re.compile(r"Failed to get ticker '([^']+)' reason:\s*(.*)$", re.S)
_DOLLAR = re.compile(r"^\s*\$([^:\s]+):\s*(.*)$", re.S)
_RATE = re.compile(r"YFRateLimitError|Too Many Requests|Rate limited", re.I)
_NETWORK = re.compile(
    r"curl: \(\d+\)|Failed to perform|Could not resolve|ConnectionError|DNSError|Timeout|timed out|"
    r"Connection refused|Network is unreachable|No route to host|SSLError|NetworkBlockedError|"
    r"use the network",
    re.I,
)


def _reasons_by_symbol(messages: list[str], symbols: list[str]) -> dict[str, list[str]]:
    """yfinance's logged reasons, per symbol (``['FB', 'X']: reason``, ``$FB: reason``, ...)."""
    out: dict[str, list[str]] = {s: [] for s in symbols}
    for message in messages:
        if match := _LIST.match(message):
            names = [n.strip().strip("'\"") for n in match.group(1).split(",")]
            for name in names:
                if name in out:
                    out[name].append(match.group(2).strip())
        elif match := _FAILED.search(message):
            if match.group(1) in out:
                out[match.group(1)].append(match.group(2).strip())
        elif match := _DOLLAR.match(message):
            if match.group(1) in out:
                out[match.group(1)].append(match.group(2).strip())
    return out


def _classify(reasons: list[str], raised: BaseException | None = None) -> str:
    """``rate``, ``network`` or ``nodata``. What ``yf.download`` raises is classified by its type
    (yfinance's typed exceptions); per-ticker failures reach us only as logged text (yfinance 1.7's
    ``download`` logs each exception's repr), matched on the exception names and messages."""
    from yfinance.exceptions import YFRateLimitError

    text = " | ".join(reasons)
    if isinstance(raised, YFRateLimitError) or _RATE.search(text):
        return "rate"
    if _NETWORK.search(text):
        return "network"
    return "nodata"


def _main_reason(reasons: list[str]) -> str:
    """The most specific reason: the last one yfinance gave (its summary line), deduplicated."""
    unique = list(dict.fromkeys(r for r in reasons if r))
    if not unique:
        return "yfinance returned an empty frame and logged no reason"
    # "YFPricesMissingError('...')" -> "YFPricesMissingError: ..."
    match = re.fullmatch(r"(\w+)\((['\"])(.*)\2\)", unique[-1], re.S)
    return f"{match.group(1)}: {match.group(3)}" if match else unique[-1]


def _call_download(symbols: list[str], start: pd.Timestamp, end: pd.Timestamp, timeout: float
                   ) -> tuple[pd.DataFrame | None, list[str], BaseException | None]:
    """One ``yf.download`` call; returns the frame, what yfinance logged, and what it raised."""
    import yfinance as yf

    recorder = _Recorder()
    yf_logger = logging.getLogger("yfinance")
    level = yf_logger.level
    if yf_logger.getEffectiveLevel() > logging.ERROR:
        yf_logger.setLevel(logging.ERROR)
    yf_logger.addHandler(recorder)
    try:
        with warnings.catch_warnings():  # yfinance's own pandas deprecations are not the user's
            warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
            frame = yf.download(
                symbols,
                start=f"{start:%Y-%m-%d}",
                end=f"{end + pd.Timedelta(days=1):%Y-%m-%d}",  # yfinance's end is exclusive
                interval="1d",
                auto_adjust=False,  # keep both Close and Adj Close (the default became True)
                actions=True,  # dividends and splits: a split the prices miss is reported
                repair=False,
                keepna=False,
                group_by="column",
                multi_level_index=True,
                threads=len(symbols) > 1,
                progress=False,
                timeout=timeout,
            )
        return frame, recorder.messages, None
    except Exception as error:  # yfinance raises only rarely (e.g. rate limit on its cookie call)
        return None, recorder.messages + [f"{type(error).__name__}({error})"], error
    finally:
        yf_logger.removeHandler(recorder)
        yf_logger.setLevel(level)


def _split(frame: pd.DataFrame | None, symbols: list[str]) -> dict[str, pd.DataFrame]:
    """Per-symbol frames with Yahoo's price columns from whatever layout yfinance returned."""
    out: dict[str, pd.DataFrame] = {}
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return out
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        names = list(columns.names)
        level = names.index("Ticker") if "Ticker" in names else (
            1 if set(columns.get_level_values(0)) & set(YAHOO_COLUMNS) else 0
        )
        present = set(columns.get_level_values(level))
        for symbol in symbols:
            if symbol in present:
                out[symbol] = frame.xs(symbol, axis=1, level=level)
    elif len(symbols) == 1:  # multi_level_index=False or an old yfinance with one ticker
        out[symbols[0]] = frame
    return out


def _tidy(raw: pd.DataFrame, symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Yahoo's columns -> ``date`` + tidy price columns; all-empty rows (batch padding) dropped."""
    missing = [c for c in YAHOO_COLUMNS if c not in raw.columns]
    if missing:
        raise FetchError(
            f"ticker {safe_text(symbol)}: yfinance returned no {', '.join(missing)} column(s) "
            "(was auto_adjust left to its default True?)",
            symbol,
        )
    frame = raw[list(YAHOO_COLUMNS)].rename(columns=YAHOO_COLUMNS)
    frame.columns.name = None
    frame = frame.dropna(how="all", subset=["open", "high", "low", "close", "adj_close"])
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:  # midnights in the exchange's time zone: their local date is the day
        index = index.tz_localize(None)
    frame.index = index.normalize()
    frame = frame[(frame.index >= start) & (frame.index <= end)]
    frame.index.name = "date"
    if frame["volume"].notna().all():
        frame["volume"] = frame["volume"].astype("int64")
    return frame.reset_index()


def _splits(raw: pd.DataFrame) -> dict[str, float]:
    """Yahoo's split actions in an answer, ``{YYYY-MM-DD: ratio}`` (``1.5`` for 3:2)."""
    if "Stock Splits" not in raw.columns:
        return {}
    column = pd.to_numeric(raw["Stock Splits"], errors="coerce")
    index = pd.DatetimeIndex(raw.index)
    if index.tz is not None:  # the exchange's local dates, as in _tidy
        index = index.tz_localize(None)
    found = column.to_numpy()
    return {
        f"{day:%Y-%m-%d}": float(ratio)
        for day, ratio in zip(index.normalize(), found, strict=True)
        if ratio == ratio and ratio > 0 and ratio != 1.0
    }


def _first_trade_date(symbol: str) -> pd.Timestamp | None:
    """Yahoo's first trading date for ``symbol`` (from its history metadata), or ``None``."""
    try:
        import yfinance as yf

        metadata = yf.Ticker(symbol).get_history_metadata()
        value = metadata.get("firstTradeDate") if metadata else None
    except Exception:  # metadata is a nicety for the message; its failure changes nothing else
        return None
    if value is None:
        return None
    zone = metadata.get("exchangeTimezoneName") or "America/New_York"  # the date is the exchange's
    if isinstance(value, (int, float)):
        value = pd.Timestamp(int(value), unit="s", tz="UTC")
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(zone).tz_localize(None)
    return stamp.normalize()


@dataclass
class Download:
    """What one batched download produced.

    Attributes
    ----------
    frames
        ``{symbol: frame}`` with columns ``date`` and the tidy price columns, for symbols with data.
    errors
        ``{symbol: FetchError}`` for symbols without (rate limit, network, no data).
    attempts
        Number of ``yf.download`` calls made (retries included).
    splits
        ``{symbol: {YYYY-MM-DD: ratio}}``: the splits Yahoo reported in the range (``2.0`` for
        a 2-for-1 split), for symbols that had any.
    """

    frames: dict[str, pd.DataFrame]
    errors: dict[str, FetchError]
    attempts: int
    splits: dict[str, dict[str, float]] = field(default_factory=dict)


def download_prices(
    symbols: str | Iterable[str],
    start: str | dt.date | pd.Timestamp,
    end: str | dt.date | pd.Timestamp,
    *,
    retries: int = 3,
    backoff: float = 2.0,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Download:
    """Daily prices of Yahoo symbols from ``start`` to ``end`` (both inclusive), one batched call.

    Parameters
    ----------
    symbols
        Yahoo symbols (``"META"``, ``"^GSPC"``); see :func:`resolve_symbol` for user tickers.
    start, end
        First and last date wanted, inclusive.
    retries
        How many times rate-limited symbols are requested again (after ``backoff``,
        ``2 * backoff``, ``4 * backoff`` ... seconds) before :class:`RateLimitError`.
    backoff
        First wait in seconds.
    timeout
        Seconds yfinance waits for each answer.
    sleep
        The waiting function (tests pass a recorder).

    Returns
    -------
    Download
        Frames for the symbols with data and one :class:`~eventstudy.exceptions.FetchError`
        per symbol without: :class:`~eventstudy.exceptions.RateLimitError`,
        :class:`~eventstudy.exceptions.NetworkError`,
        :class:`~eventstudy.exceptions.BeforeFirstTradeError` (the range ends before the first
        trading day Yahoo knows of, which the message names) or
        :class:`~eventstudy.exceptions.NoDataError` with yfinance's reason. Nothing is raised
        for a single symbol's failure: the caller decides.
    """
    names = [symbols] if isinstance(symbols, str) else list(dict.fromkeys(symbols))
    if not names:
        raise ParameterError("tickers", names, "give at least one ticker")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ParameterError("retries", retries, "give a whole number >= 0")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end < start:
        raise ParameterError("end", f"{end:%Y-%m-%d}", f"give an end on or after start ({start:%Y-%m-%d})")
    frames: dict[str, pd.DataFrame] = {}
    errors: dict[str, FetchError] = {}
    splits: dict[str, dict[str, float]] = {}
    pending = [s.upper() for s in names]
    attempts = 0
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    while pending:
        attempts += 1
        raw, messages, raised = _call_download(pending, start, end, timeout)
        parts = _split(raw, pending)
        reasons = _reasons_by_symbol(messages, pending)
        if raised is not None:
            for symbol in pending:
                reasons[symbol].append(f"{type(raised).__name__}({raised})")
        limited = []
        for symbol in pending:
            try:
                tidy = _tidy(parts[symbol], symbol, start, end) if symbol in parts else None
            except FetchError as error:
                errors[symbol] = error
                continue
            if tidy is not None and len(tidy):
                frames[symbol] = tidy
                if found := _splits(parts[symbol]):
                    splits[symbol] = found
                continue
            kind = _classify(reasons[symbol], raised)
            reason = _main_reason(reasons[symbol])
            if kind == "rate":
                limited.append(symbol)
                errors[symbol] = RateLimitError(
                    f"ticker {safe_text(symbol)}: Yahoo is rate-limiting requests ({reason}); gave up after "
                    f"{attempts} attempt(s) with backoff; wait a few minutes and try again",
                    symbol,
                )
            elif kind == "network":
                errors[symbol] = NetworkError(
                    f"ticker {safe_text(symbol)}: cannot reach Yahoo Finance ({reason}); check the "
                    "connection, or work offline with source 'snapshot' or 'cache'",
                    symbol,
                )
            else:
                first = _first_trade_date(symbol)
                if first is not None and first > end:
                    errors[symbol] = BeforeFirstTradeError(
                        f"ticker {safe_text(symbol)}: {span} is before its first trading day; first date "
                        f"available: {first:%Y-%m-%d}",
                        symbol,
                        first_date=first,
                    )
                else:
                    errors[symbol] = NoDataError(
                        f"ticker {safe_text(symbol)}: Yahoo returned no data for {span}; yfinance said: "
                        f"{reason}",
                        symbol,
                        reason=reason,
                    )
        if not limited or attempts > retries:
            break
        wait = backoff * 2 ** (attempts - 1)
        logger.info("Yahoo rate limit for %s; retrying in %.1f s", ", ".join(limited), wait)
        sleep(wait)
        for symbol in limited:
            del errors[symbol]
        pending = limited
    return Download(frames, errors, attempts, splits)
