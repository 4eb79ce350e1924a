"""Where prices come from: the committed snapshot, the on-disk cache, Yahoo, or all three in order.

========  =====================================================================================
source    what it does
========  =====================================================================================
snapshot  the committed ``data/`` folder (offline, reproducible; 2016-01-04 .. 2019-12-31).
          The default of :func:`get_prices`, of ``run_event_study``, of the CLI and of the
          notebooks and tests.
cache     the on-disk cache only (offline); a range the cache does not cover is an error that
          says what it holds and how to fill it (``eventstudy fetch``).
yahoo     downloads the whole range from Yahoo now, and stores it in the cache.
auto      uses what it has and fetches the rest: the snapshot when it covers the range, else
          the cache, fetching from Yahoo only the dates the cache is missing.
========  =====================================================================================

Every source returns the same tidy frame as :func:`eventstudy.data.snapshot.load_prices` (columns
``ticker``, ``date``, ``open`` .. ``volume``), with the name the user asked for in ``ticker``.
``frame.attrs["provenance"]`` says, per ticker, which symbol was read or fetched, from where,
over which dates, and why (alias notes). Every load goes through
:func:`eventstudy.data.snapshot.check_prices` (duplicates and bad prices raise; gaps on exchange sessions
and extreme returns warn), and through a span check: a range that starts before the data's
first date or ends after its last is an error naming the date available, never a shorter frame.

A fetch that extends cached data requests the missing dates plus the adjacent cached day, and
compares the two answers for that day: when Yahoo's adjustment has changed since the cache was
filled (a dividend or a split in between), the cached rows are not spliced to the new ones but
replaced by a fresh download of the whole range.

An answer that fails the checks (duplicated dates; missing, text, infinite or non-positive
prices) is an error and is never cached; a truncated answer is cached for the dates it holds
only. A cache write the file system refuses (full disk, read-only folder) leaves the previous
entry and the fetched data are used all the same, with a
:class:`~eventstudy.exceptions.CacheWriteWarning`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from eventstudy.data import checks
from eventstudy.data import snapshot as _data
from eventstudy.data.cache import (
    CacheEntry,
    Range,
    TableCache,
    held_ranges,
    merge_ranges,
    missing_ranges,
    require_covered,
    rows_agree,
)
from eventstudy.calendar import DEFAULT_EXCHANGE, last_closed_session, sessions
from eventstudy.calendar.exchanges import listing_of
from eventstudy.exceptions import (
    BatchFetchError,
    BeforeFirstTradeError,
    CacheWriteError,
    CacheWriteWarning,
    DataError,
    EventStudyError,
    NoDataError,
    ParameterError,
    safe_name,
    safe_text,
)
from eventstudy.progress import progress_bar
from eventstudy.data.aliases import Resolved, resolve_symbol
from eventstudy.data.yahoo import Download, download_prices

SOURCES = ("snapshot", "cache", "yahoo", "auto")
DEFAULT_SOURCE = "snapshot"

_YAHOO_HEADER = {
    "open": "Open", "high": "High", "low": "Low", "close": "Close",
    "adj_close": "Adj Close", "volume": "Volume",
}


def check_source(source: str, parameter: str = "source") -> str:
    """Validate a source name (see the module docstring)."""
    if source not in SOURCES:
        raise ParameterError(parameter, source, f"choose one of {', '.join(SOURCES)}")
    return source


def _date(value: object, parameter: str) -> pd.Timestamp:
    if isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value.strip()))
        except ValueError:
            raise ParameterError(parameter, value, "give a date as YYYY-MM-DD") from None
    if isinstance(value, (dt.date, pd.Timestamp)) and not pd.isna(value):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return stamp.normalize()
    raise ParameterError(parameter, value, "give a date as YYYY-MM-DD")


@dataclass
class Provenance:
    """Where one ticker's prices came from.

    Attributes
    ----------
    ticker
        The name asked for (kept in the result).
    symbol
        The symbol read or fetched (``META`` for ``FB``).
    source
        ``"snapshot"``, ``"cache"`` (nothing fetched), ``"yahoo"`` (all of the range fetched
        now) or ``"cache+yahoo"`` (part fetched now, the rest from the cache).
    start, end
        The dates returned (first and last row).
    rows
        Number of rows returned.
    fetched
        Date ranges requested from Yahoo in this call.
    note
        Alias and cache notes, or ``""``.
    path
        The file read (cache or snapshot), or ``""``.
    """

    ticker: str
    symbol: str
    source: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    rows: int = 0
    fetched: list[Range] = field(default_factory=list)
    note: str = ""
    path: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "ticker": self.ticker,
            "symbol": self.symbol,
            "source": self.source,
            "start": None if self.start is None else f"{self.start:%Y-%m-%d}",
            "end": None if self.end is None else f"{self.end:%Y-%m-%d}",
            "rows": self.rows,
            "fetched": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for a, b in self.fetched],
            "note": self.note,
            "path": self.path,
        }

    def describe(self) -> str:
        """One line for people: what, from where, which dates."""
        span = f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}" if self.start is not None else "no rows"
        alias = f" (Yahoo symbol {safe_name(self.symbol)})" if self.symbol != self.ticker.upper() else ""
        if self.fetched:
            got = ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in self.fetched)
            where = f"fetched {got} from Yahoo" + (", rest from the cache" if self.source == "cache+yahoo" else "")
        else:
            where = {"cache": "already in the cache", "snapshot": "from the committed snapshot"}.get(
                self.source, self.source
            )
        text = f"{safe_name(self.ticker)}{alias}: {where}; {self.rows} rows {span}"
        return text + (f"; {self.note}" if self.note else "")


@dataclass
class PriceLoad:
    """Result of :func:`load`: the prices of the tickers that worked, and the failures.

    Attributes
    ----------
    prices
        Tidy frame (see the module docstring), ``attrs["provenance"]`` included.
    provenance
        ``{ticker: Provenance}`` for the tickers in ``prices``.
    failures
        ``{ticker: error}`` for the others.
    """

    prices: pd.DataFrame
    provenance: dict[str, Provenance]
    failures: dict[str, EventStudyError]


# ----------------------------------------------------------------------------------------------
# Checks shared by every source


def _check_span(frame: pd.DataFrame, ticker: str, start: pd.Timestamp, end: pd.Timestamp,
                where: str, listing: bool, exchange: str) -> None:
    """Raise unless the rows reach from the first to the last session of ``start .. end``."""
    wanted = sessions(start, end, exchange=exchange)
    if len(wanted) == 0:
        raise ParameterError(
            "start, end", f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", "the range holds no exchange session"
        )
    if len(frame) == 0:
        raise NoDataError(f"ticker {safe_text(ticker)}: no data in {where} for {start:%Y-%m-%d}..{end:%Y-%m-%d}", ticker)
    first, last = frame["date"].min(), frame["date"].max()
    if first > wanted[0]:
        message = (
            f"ticker {safe_text(ticker)}: the range starts {start:%Y-%m-%d}, before the first date with "
            f"data in {where}; first date available: {first:%Y-%m-%d}"
        )
        if listing:
            raise BeforeFirstTradeError(message, ticker, first_date=first)
        raise NoDataError(message + "; use source 'auto' or 'yahoo' for other dates", ticker)
    if last < wanted[-1]:
        raise NoDataError(
            f"ticker {safe_text(ticker)}: the range ends {end:%Y-%m-%d}, after the last date with data in "
            f"{where}; last date available: {last:%Y-%m-%d}"
            + ("" if listing else "; use source 'auto' or 'yahoo' for other dates"),
            ticker,
        )


def _to_yahoo(frame: pd.DataFrame) -> pd.DataFrame:
    """Tidy rows (``date`` + price columns) -> the cache's layout (index Date, Yahoo names)."""
    out = frame.set_index("date")[list(_YAHOO_HEADER)].rename(columns=_YAHOO_HEADER)
    out.index.name = "Date"
    return out


def _from_yahoo(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    inverse = {v: k for k, v in _YAHOO_HEADER.items()}
    out = frame.loc[(frame.index >= start) & (frame.index <= end)].rename(columns=inverse)
    out = out.rename_axis("date").reset_index()
    return out[["date", *_data.PRICE_COLUMNS]]


# ----------------------------------------------------------------------------------------------
# Filling the cache from Yahoo


@dataclass
class _Fill:
    entries: dict[str, CacheEntry]
    fetched: dict[str, list[Range]]
    notes: dict[str, str]
    errors: dict[str, EventStudyError]
    unsaved: dict[str, CacheWriteError] = field(default_factory=dict)


_STALE = (
    "Yahoo's adjusted prices changed since the cache was filled (a dividend or split since): "
    "the cached rows were replaced, not spliced"
)


def _neighbour(entry: CacheEntry | None, day: pd.Timestamp, before: bool) -> pd.Timestamp:
    """The cached row next to a missing range (within a week), so the two answers can be compared."""
    if entry is None or len(entry.frame) == 0:
        return day
    index = entry.frame.index
    if before:
        near = index[(index < day) & (index >= day - pd.Timedelta(days=7))]
        return near[-1] if len(near) else day
    near = index[(index > day) & (index <= day + pd.Timedelta(days=7))]
    return near[0] if len(near) else day


def _answered(rows: pd.DataFrame, a: pd.Timestamp, b: pd.Timestamp, exchange: str) -> Range | None:
    """The part of the request ``a .. b`` an answer really covers (``None`` when no row).

    The answer covers the whole request when its rows reach the first and the last session of
    it; a truncated answer covers only from its first row to its last, so the cache never
    claims dates it does not hold.
    """
    if len(rows) == 0:
        return None
    open_days = sessions(a, b, exchange=exchange)
    first, last = rows.index.min(), rows.index.max()
    lo = a if len(open_days) == 0 or first <= open_days[0] else first
    hi = b if len(open_days) == 0 or last >= open_days[-1] else last
    return lo, hi


def _valid_answer(symbol: str, rows: pd.DataFrame) -> DataError | None:
    """The error that keeps an answer out of the cache (duplicated dates, bad prices), if any."""
    try:
        checks.price_errors(_from_yahoo(rows, rows.index.min(), rows.index.max()), symbol,
                           source="Yahoo's answer")
    except DataError as error:
        return error
    return None


def _fill_cache(symbols: list[str], start: pd.Timestamp, end: pd.Timestamp, cache: TableCache, *,
                refresh: bool, exchange: str, download: Callable[..., Download],
                tickers: dict[str, list[str]] | None = None) -> _Fill:
    open_days = sessions(start, end, exchange=exchange)
    entries: dict[str, CacheEntry] = {}
    fetched: dict[str, list[Range]] = {s: [] for s in symbols}
    notes: dict[str, str] = {}
    errors: dict[str, EventStudyError] = {}
    unsaved: dict[str, CacheWriteError] = {}
    plan: dict[Range, list[str]] = {}
    for symbol in symbols:
        entry = None if refresh else cache.read(symbol)
        if entry is not None:
            entry.covered = held_ranges(entry, exchange)
            entries[symbol] = entry
        if refresh or entry is None:
            needed = [(start, end)]
        else:
            needed = [
                (a, b) for a, b in missing_ranges(entry.covered, start, end)
                if ((open_days >= a) & (open_days <= b)).any()
            ]
        for a, b in needed:
            span = (a, b) if refresh else (_neighbour(entry, a, True), _neighbour(entry, b, False))
            plan.setdefault(span, []).append(symbol)
    stale: list[str] = []
    changed: set[str] = set()
    splits: dict[str, dict[str, float]] = {}

    def meta(symbol: str) -> dict:
        return {"symbol": symbol, "tickers": (tickers or {}).get(symbol, [symbol])}

    def take(symbol: str, rows: pd.DataFrame, a: pd.Timestamp, b: pd.Timestamp) -> CacheEntry | None:
        new = _to_yahoo(rows)
        problem = _valid_answer(symbol, new)
        if problem is not None:
            errors.setdefault(symbol, problem)
            return None
        span = _answered(new, a, b, exchange)
        return CacheEntry(new, [] if span is None else [span], meta(symbol))

    with progress_bar(len(plan), desc="fetching from Yahoo", unit="request") as bar:
        for (a, b), batch in plan.items():
            result = download(batch, a, b)
            bar.update()
            for symbol, error in result.errors.items():
                errors.setdefault(symbol, error)
            for symbol, found in getattr(result, "splits", {}).items():
                splits.setdefault(symbol, {}).update(found)
            for symbol, rows in result.frames.items():
                got = take(symbol, rows, a, b)
                if got is None:
                    continue
                entry = entries.get(symbol)
                fetched[symbol].append((a, b))
                if entry is None:
                    entries[symbol] = got
                elif not rows_agree(entry.frame, got.frame):
                    if a > start or b < end:
                        stale.append(symbol)
                        continue
                    entries[symbol] = got
                    notes[symbol] = _STALE
                else:
                    kept = entry.frame.loc[~entry.frame.index.isin(got.frame.index)]
                    entry.frame = pd.concat([kept, got.frame]).sort_index()
                    entry.covered = merge_ranges(entry.covered + got.covered)
                changed.add(symbol)
    if stale:
        result = download(sorted(set(stale)), start, end)
        for symbol, found in getattr(result, "splits", {}).items():
            splits.setdefault(symbol, {}).update(found)
        for symbol in set(stale):
            if symbol in result.errors:
                errors.setdefault(symbol, result.errors[symbol])
                continue
            got = take(symbol, result.frames[symbol], start, end)
            if got is None:
                continue
            entries[symbol] = got
            fetched[symbol] = [(start, end)]
            notes[symbol] = _STALE
            changed.add(symbol)
    for symbol in sorted(changed - set(errors)):
        entry = entries[symbol]
        entry.meta.update({**meta(symbol), "source": "Yahoo Finance via yfinance", "auto_adjust": False})
        if splits.get(symbol) or entry.meta.get("splits"):
            entry.meta["splits"] = {**entry.meta.get("splits", {}), **splits.get(symbol, {})}
        try:
            cache.write(symbol, entry, merge=not refresh)
        except CacheWriteError as error:  # this entry is not stored; the others still are
            unsaved[symbol] = error
    return _Fill(entries, fetched, notes, errors, unsaved)


# ----------------------------------------------------------------------------------------------
# The public entry points


def load(
    tickers: str | Sequence[str],
    start: str | dt.date | pd.Timestamp | None = None,
    end: str | dt.date | pd.Timestamp | None = None,
    *,
    source: str = DEFAULT_SOURCE,
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
    use_snapshot: bool = True,
    require_cache: bool = False,
    exchange: str = DEFAULT_EXCHANGE,
    return_bound: float = checks.RETURN_BOUND,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    now: pd.Timestamp | None = None,
) -> PriceLoad:
    """Load prices from ``source`` and report, per ticker, what worked and what failed.

    Parameters are those of :func:`get_prices`; ``refresh`` (with ``"auto"``) refetches the
    whole range from scratch, replacing what the cache held for it, and ``use_snapshot=False``
    makes ``"auto"`` skip the snapshot (cache, then Yahoo: what ``eventstudy fetch`` does).
    Data fetched but not stored (full disk, read-only cache folder) are still returned, with a
    :class:`~eventstudy.exceptions.CacheWriteWarning`; with ``require_cache=True`` (what
    ``eventstudy fetch`` asks) they are a failure of the ticker instead. Nothing is raised for
    one ticker's failure: see ``failures``. Request errors (a bad source, dates, ticker list or
    cache folder) still raise.
    """
    check_source(source)
    names = [tickers] if isinstance(tickers, str) else list(tickers)
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ParameterError("tickers", tickers, "give at least one ticker")
    names = list(dict.fromkeys(n.strip() for n in names))
    groups: dict[str, list[str]] = {}
    for name in names:  # each ticker is checked on its own exchange's sessions
        listing = listing_of(name)
        groups.setdefault(exchange if listing is None else listing.exchange, []).append(name)
    if len(groups) > 1:
        loads = [load(group, start, end, source=source, cache_dir=cache_dir, data_dir=data_dir,
                      refresh=refresh, use_snapshot=use_snapshot, require_cache=require_cache,
                      exchange=mic, return_bound=return_bound, retries=retries, backoff=backoff,
                      sleep=sleep, now=now)
                 for mic, group in groups.items()]
        return _merged(loads, names)
    exchange = next(iter(groups))
    lo = None if start is None else _date(start, "start")
    hi = None if end is None else _date(end, "end")
    if lo is not None and hi is not None and hi < lo:
        raise ParameterError("end", f"{hi:%Y-%m-%d}", f"give an end on or after start ({lo:%Y-%m-%d})")
    provenance: dict[str, Provenance] = {}
    failures: dict[str, EventStudyError] = {}
    frames: dict[str, pd.DataFrame] = {}

    def accept(ticker: str, rows: pd.DataFrame, record: Provenance, where: str, listing: bool,
               first: pd.Timestamp | None, last: pd.Timestamp | None,
               splits: dict[str, float] | None = None) -> None:
        rows.columns.name = None
        try:
            if first is not None and last is not None:
                _check_span(rows, ticker, first, last, where, listing, exchange)
            checks.check_prices(rows, ticker, source=where, exchange=exchange, return_bound=return_bound)
        except EventStudyError as error:
            failures[ticker] = error
            return
        record.rows = len(rows)
        if splits:
            checks.check_splits(rows, ticker, splits, source=where)
        if where != "the snapshot":  # Yahoo's data (fresh or cached), whose splits it reports
            checks.check_split_ratios(rows, ticker, splits, source=where)
        if len(rows):
            record.start, record.end = rows["date"].min(), rows["date"].max()
        frames[ticker] = rows
        provenance[ticker] = record

    remaining = names
    if source == "snapshot" or source == "auto" and use_snapshot:
        known = set(_data.available_tickers(data_dir))
        folder = _data.snapshot_dir(data_dir) / "prices"
        later = []
        for ticker in names:
            if ticker not in known:
                if source == "snapshot":
                    failures[ticker] = _data.unknown_ticker(ticker, known, parameter="tickers")
                else:
                    later.append(ticker)
                continue
            try:
                rows = _data.read_snapshot_file(ticker, data_dir)
            except DataError as error:  # a damaged file: this ticker fails, the others go on
                failures[ticker] = error
                continue
            if lo is not None or hi is not None:
                rows = rows[(rows["date"] >= (lo or rows["date"].min())) & (rows["date"] <= (hi or rows["date"].max()))]
            rows = rows.reset_index(drop=True)
            if source == "auto" and (lo is None or hi is None or not _covers(rows, lo, hi, exchange)):
                later.append(ticker)
                continue
            record = Provenance(ticker, ticker, "snapshot", path=str(folder / _data._ticker_file(ticker)))
            accept(ticker, rows, record, "the snapshot", listing=False, first=lo, last=hi)
        remaining = later

    if remaining:
        if lo is None:
            raise ParameterError("start", start, f"give a start date (YYYY-MM-DD) for source {source!r}")
        latest = last_closed_session(now, exchange=exchange)
        clipped = ""
        top = latest if hi is None else hi
        if top > latest:
            clipped = f"the range was cut at {latest:%Y-%m-%d}, the last session with final data"
            top = latest
        if top < lo:
            raise ParameterError(
                "start", f"{lo:%Y-%m-%d}", f"give a start on or before {latest:%Y-%m-%d}, the last session with final data"
            )
        resolved: dict[str, Resolved] = {}
        for ticker in remaining:
            try:
                resolved[ticker] = resolve_symbol(ticker, lo, top)
            except ParameterError as error:
                failures[ticker] = error
        cache = TableCache(cache_dir, "prices", columns=tuple(_YAHOO_HEADER.values()))
        symbols = list(dict.fromkeys(r.symbol for r in resolved.values()))
        if source == "cache":
            hint = (
                f"fill it with `eventstudy fetch {' '.join(resolved)} --start {lo:%Y-%m-%d} "
                f"--end {top:%Y-%m-%d}` or use source 'auto'"
            )
            entries: dict[str, CacheEntry] = {}
            fill: _Fill | None = None
            for ticker, r in resolved.items():
                try:
                    entry = cache.read(r.symbol, strict=True)
                    if entry is not None:
                        entry.covered = held_ranges(entry, exchange)
                    require_covered(entry, r.symbol, lo, top, sessions(lo, top, exchange=exchange),
                                    cache.folder, hint)
                    if entry is not None:  # require_covered raised otherwise
                        entries[r.symbol] = entry
                except EventStudyError as error:
                    failures[ticker] = error
        else:
            download = _downloader(retries, backoff, sleep)
            asked: dict[str, list[str]] = {}
            for ticker, r in resolved.items():
                asked.setdefault(r.symbol, []).append(ticker)
            fill = _fill_cache(symbols, lo, top, cache, refresh=refresh or source == "yahoo",
                               exchange=exchange, download=download, tickers=asked)
            entries = fill.entries
        for ticker, r in resolved.items():
            if ticker in failures:
                continue
            if fill is not None and r.symbol in fill.errors:
                failures[ticker] = _rename(fill.errors[r.symbol], r)
                continue
            if fill is not None and r.symbol in fill.unsaved:
                if require_cache:
                    failures[ticker] = fill.unsaved[r.symbol]
                    continue
                warnings.warn(
                    f"ticker {safe_text(ticker)}: the data were fetched and are used, but could "
                    f"not be cached: {fill.unsaved[r.symbol]}",
                    CacheWriteWarning, stacklevel=2,
                )
            entry = entries[r.symbol]
            got = [] if fill is None else fill.fetched.get(r.symbol, [])
            if not got:
                kind = "cache"
            elif any(a <= lo and b >= top for a, b in got):
                kind = "yahoo"
            else:
                kind = "cache+yahoo"
            note = "; ".join(n for n in (r.note, clipped, "" if fill is None else fill.notes.get(r.symbol, "")) if n)
            record = Provenance(ticker, r.symbol, kind, fetched=list(got), note=note,
                                path=str(cache.path(r.symbol)))
            rows = _from_yahoo(entry.frame, lo, top)
            where = "the cache" if kind == "cache" else "Yahoo's answer"
            accept(ticker, rows, record, where, listing=True, first=lo, last=top,
                   splits=entry.meta.get("splits"))

    ordered = [t for t in names if t in frames]
    if ordered:
        prices = pd.concat(
            [frames[t].assign(ticker=t)[["ticker", "date", *_data.PRICE_COLUMNS]] for t in ordered],
            ignore_index=True,
        ).sort_values(["ticker", "date"], ignore_index=True)
    else:
        prices = pd.DataFrame(columns=["ticker", "date", *_data.PRICE_COLUMNS])
    prices.attrs["provenance"] = {t: provenance[t].to_dict() for t in ordered}
    return PriceLoad(prices, {t: provenance[t] for t in ordered}, failures)


def _merged(loads: list[PriceLoad], names: list[str]) -> PriceLoad:
    """One :class:`PriceLoad` of the loads of several exchanges' tickers, in the order asked."""
    provenance = {t: p for load in loads for t, p in load.provenance.items()}
    failures = {t: f for load in loads for t, f in load.failures.items()}
    ordered = [t for t in names if t in provenance]
    frames = [load.prices for load in loads if len(load.prices)]
    prices = (pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)
              if frames else loads[0].prices)
    prices.attrs["provenance"] = {t: provenance[t].to_dict() for t in ordered}
    return PriceLoad(prices, {t: provenance[t] for t in ordered},
                     {t: failures[t] for t in names if t in failures})


def _covers(rows: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, exchange: str) -> bool:
    wanted = sessions(lo, hi, exchange=exchange)
    return bool(len(rows)) and len(wanted) > 0 and rows["date"].min() <= wanted[0] and rows["date"].max() >= wanted[-1]


def _rename(error: EventStudyError, resolved: Resolved) -> EventStudyError:
    """Say the ticker the user asked for in a fetch error about the Yahoo symbol."""
    if resolved.symbol == resolved.ticker.upper():
        return error
    old = f"ticker {safe_text(resolved.symbol)}:"
    new = f"ticker {safe_text(resolved.ticker)} (Yahoo symbol {safe_text(resolved.symbol)}):"
    error.args = (str(error).replace(old, new, 1),) + error.args[1:]
    if hasattr(error, "ticker"):
        error.ticker = resolved.ticker
    return error


def _downloader(retries: int, backoff: float, sleep: Callable[[float], None]) -> Callable[..., Download]:
    def download(symbols: list[str], start: pd.Timestamp, end: pd.Timestamp) -> Download:
        return download_prices(symbols, start, end, retries=retries, backoff=backoff, sleep=sleep)

    return download


def get_prices(
    tickers: str | Sequence[str],
    start: str | dt.date | pd.Timestamp | None = None,
    end: str | dt.date | pd.Timestamp | None = None,
    *,
    source: str = DEFAULT_SOURCE,
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
    exchange: str = DEFAULT_EXCHANGE,
    return_bound: float = checks.RETURN_BOUND,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    now: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Daily prices of ``tickers`` from ``start`` to ``end`` (inclusive) from ``source``.

    Parameters
    ----------
    tickers
        One ticker or several, as the user knows them (``"FB"``, ``"^GSPC"``); aliases apply
        (see :mod:`eventstudy.data.yahoo`).
    start, end
        First and last date, inclusive (``YYYY-MM-DD``). Optional for ``"snapshot"`` (all of
        it); ``start`` is required for the other sources, and ``end`` defaults to (and is cut
        at) the last session whose data are final.
    source
        ``"snapshot"`` (default, offline), ``"cache"`` (offline), ``"yahoo"`` or ``"auto"``.
    cache_dir
        Cache folder (default: ``$EVENTSTUDY_CACHE_DIR``, else the user's cache folder).
    data_dir
        Snapshot folder (default: see :func:`eventstudy.data.snapshot.snapshot_dir`).
    refresh
        With ``"auto"``: fetch the whole range again from scratch and replace what the cache
        held for the ticker (a bad answer once cached is then gone).
    exchange
        Calendar the dates of tickers without an exchange of their own are checked against
        (default NYSE); a ticker with a Yahoo suffix or an index of the table of
        :mod:`eventstudy.calendar.exchanges` is checked on its exchange's sessions (``VOD.L``
        on London's, ``^N225`` on Tokyo's).
    return_bound
        ``|log return|`` beyond which a daily ``Adj Close`` move is reported.
    retries, backoff, sleep
        Retries of rate-limited requests (see :func:`eventstudy.data.yahoo.download_prices`).
    now
        The current time, for tests (default: the clock).

    Returns
    -------
    pandas.DataFrame
        The tidy frame of :func:`eventstudy.data.snapshot.load_prices`, ``attrs["provenance"]`` holding
        ``{ticker: Provenance.to_dict()}``.

    Raises
    ------
    ParameterError
        On a bad request.
    DataError
        When the only ticker fails (the specific error: :class:`UnknownTickerError`,
        :class:`NoDataError`, :class:`BeforeFirstTradeError`, :class:`NetworkError`,
        :class:`RateLimitError`, :class:`CacheError`...), or :class:`BatchFetchError` naming the
        tickers that failed when there are several; its ``prices`` holds the others.

    Warns
    -----
    DataQualityWarning
        Gaps on exchange sessions, rows on closed days, extreme returns, splits the prices miss
        (nothing dropped).
    CacheCorruptWarning
        A damaged cache file, which is then fetched again.
    CacheWriteWarning
        Fetched data that could not be stored in the cache (they are returned all the same).
    """
    result = load(
        tickers, start, end, source=source, cache_dir=cache_dir, data_dir=data_dir,
        refresh=refresh, exchange=exchange, return_bound=return_bound, retries=retries, backoff=backoff,
        sleep=sleep, now=now,
    )
    if result.failures:
        if len(result.failures) == 1 and result.prices.empty:
            raise next(iter(result.failures.values()))
        raise BatchFetchError(result.failures, result.prices)
    return result.prices


__all__ = [
    "DEFAULT_SOURCE",
    "SOURCES",
    "BatchFetchError",
    "DataError",
    "PriceLoad",
    "Provenance",
    "check_source",
    "get_prices",
    "load",
]
