"""Each event's exchange and market: from the events file's ``exchange`` and ``market`` columns,
the options, the Yahoo suffix of the ticker and the table of default indices
(:mod:`eventstudy.calendar.exchanges`).

Per row of an events table, :func:`assign_markets` decides

- the **exchange** whose sessions, closes and time zone place day 0: the ``exchange`` column
  where it is filled, else the option (``--exchange``), else the ticker's Yahoo suffix (or
  the index table), else ``XNYS``. A suffix that contradicts the exchange given (``VOD.L`` on
  ``XTKS``) and a code exchange_calendars does not know skip the row, with the reason;
- the **market**: the ``market`` column where it is filled, else the option (``--market``),
  else the default index of the row's exchange (``^FTSE`` for ``XLON``), recorded as such in
  ``market_default``. A row on an exchange without a default index and no market is skipped;
- a **warning** per (exchange, market) pair whose market is an index of another exchange.

The work is per distinct ticker, exchange and market, never per row: a million rows on a few
thousand tickers cost a few thousand dictionary look-ups.

Cross-market clustering (:func:`shared_dates_across_exchanges`): events on different exchanges
whose news came on the same calendar date (9/11 studied in New York, London and Tokyo; a
timestamp's date is taken in UTC, so one instant is one date) are not independent even where
their day 0s differ (New York reopened on 2001-09-17); the tests that assume independence are
warned about them, as for events sharing a day 0 on one exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar.exchanges import (
    check_exchange,
    default_market,
    exchange_of,
    market_mismatch,
)
from eventstudy.exceptions import EventStudyError, ParameterError


@dataclass(frozen=True)
class EventMarkets:
    """Per row of an events table: its exchange and market, or why it has none.

    Attributes
    ----------
    exchange, market
        ``(N,)`` exchange_calendars code and market id (``""`` where ``failed``).
    market_default
        ``(N,)`` True where the market is the exchange's default index (nothing named one).
    failed
        ``(N,)`` why the row has no exchange or market (``""`` where it has).
    warnings
        One line per (exchange, market) pair whose market is an index of another exchange.
    """

    exchange: np.ndarray
    market: np.ndarray
    market_default: np.ndarray
    failed: np.ndarray
    warnings: tuple[str, ...] = ()

    @property
    def groups(self) -> list[tuple[np.ndarray, str, str]]:
        """``(rows, exchange, market)`` for each pair, rows in table order, pairs in order of
        first appearance; rows that failed are in none."""
        ok = np.flatnonzero(self.failed == "")
        if len(ok) == 0:
            return []
        exchange, market = self.exchange[ok[0]], self.market[ok[0]]
        if (self.exchange[ok] == exchange).all() and (self.market[ok] == market).all():
            return [(ok, str(exchange), str(market))]  # one exchange and one market: every row
        _, codes, _ = _distinct(self.exchange[ok], self.market[ok])
        order = np.argsort(codes, kind="stable")
        bounds = np.cumsum(np.bincount(codes))[:-1]
        return [(rows, str(self.exchange[rows[0]]), str(self.market[rows[0]]))
                for rows in np.split(ok[order], bounds)]


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    """A text column of the events table (``""`` where missing; :func:`read_events` strips
    the spaces), or all ``""``."""
    if name not in table.columns:
        empty = np.empty(len(table), dtype=object)  # fill(): np.full is slow for objects
        empty.fill("")
        return empty
    return table[name].fillna("").astype(str).to_numpy(dtype=object)


def assign_markets(
    table: pd.DataFrame, *, exchange: str | None = None, market: str | None = None,
    warn_mismatch: bool = True,
) -> EventMarkets:
    """The exchange and market of every row of ``table`` (see the module docstring).

    Parameters
    ----------
    table
        The events table (:func:`eventstudy.events.read_events`): ``ticker``, and optionally
        ``exchange`` and ``market`` columns.
    exchange
        Exchange of the rows whose ``exchange`` column is empty (``--exchange``); ``None``: from
        the ticker's suffix, else ``XNYS``.
    market
        Market of the rows whose ``market`` column is empty (``--market``); ``None``: the default
        index of each row's exchange.
    warn_mismatch
        Whether to report markets that are indices of another exchange (a panel's market ids are
        not Yahoo symbols; the check only speaks up for symbols it knows).

    Raises
    ------
    ParameterError
        ``exchange`` or ``market`` given but malformed (an unknown exchange code).
    """
    if exchange is not None:
        exchange = check_exchange(exchange)
    if market is not None and (not isinstance(market, str) or not market.strip()):
        raise ParameterError("market", market, "give a ticker or id of the market series")
    tickers = table["ticker"].astype(str).to_numpy(dtype=object)
    given, named = _column(table, "exchange"), _column(table, "market")
    first, codes, counts = _distinct(tickers, *(column for name, column in
                                                (("exchange", given), ("market", named))
                                                if name in table.columns))  # others: all ""
    # everything below is per distinct (ticker, exchange column, market column), then broadcast
    k_exchange = np.full(len(first), "", dtype=object)
    k_market = np.full(len(first), "", dtype=object)
    k_default = np.zeros(len(first), dtype=bool)
    k_failed = np.full(len(first), "", dtype=object)
    for k, row in enumerate(first):
        try:
            mic = exchange_of(tickers[row], given[row] or exchange)
            k_exchange[k] = mic
            k_market[k] = named[row] or market or default_market(mic)
            k_default[k] = not (named[row] or market)
        except EventStudyError as error:  # a suffix contradicting the exchange, no default index
            k_failed[k] = str(error)
            k_exchange[k] = k_market[k] = ""
    notes: list[str] = []
    if warn_mismatch:
        ok = np.flatnonzero(k_failed == "")
        pair_first, pair_codes, _ = _distinct(k_exchange[ok], k_market[ok])
        events = np.bincount(pair_codes, weights=counts[ok]).astype(np.int64)
        for k, count in zip(ok[pair_first], events):  # once per (exchange, market)
            note = market_mismatch(str(tickers[first[k]]), str(k_exchange[k]), str(k_market[k]))
            if note is not None:
                notes.append(note + (f" ({count} events)" if count > 1 else ""))
    return EventMarkets(k_exchange[codes], k_market[codes], k_default[codes], k_failed[codes],
                        tuple(notes))


def _distinct(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of ``columns``: the first row of each (in order of first appearance),
    each row's code, and each code's number of rows. Hash factorisations of integer codes, no
    tuples and no sort: linear in the rows."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, values = pd.factorize(column)
        if len(values) == 1 and codes.min() == 0:
            continue  # one value and none missing: the column splits no rows
        key, _ = pd.factorize(key * len(values) + codes)  # codes stay below the row count
    n = int(key.max()) + 1 if len(key) else 0
    first = np.empty(n, dtype=np.int64)
    first[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write is the first row
    return first, key, np.bincount(key, minlength=n)


def news_dates(values: np.ndarray) -> np.ndarray:
    """The calendar date of each event's news (``datetime64[D]``; NaT where the value does not
    parse): a plain date as given, a timestamp's date in UTC, so that one instant is one date
    however many time zones it is read in."""
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    out = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[D]")
    for j, value in enumerate(uniques):  # once per distinct value
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            continue
        if pd.isna(stamp):
            continue
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        out[j] = np.datetime64(stamp.normalize().date(), "D")
    return out[codes]


def shared_dates_across_exchanges(dates: np.ndarray, exchanges: np.ndarray) -> str | None:
    """One line when events on two exchanges or more share a calendar date, else ``None``.

    ``dates`` are the dates of the events' news (:func:`news_dates`), ``exchanges`` their
    exchanges; one sort of the (date, exchange) pairs, linear in the events.
    """
    valid = ~np.isnat(dates)
    if valid.sum() < 2:
        return None
    pairs = pd.DataFrame({"date": dates[valid], "exchange": exchanges[valid]}).drop_duplicates()
    spread = pairs.groupby("date")["exchange"].agg(list)
    shared = spread[spread.map(len) > 1]
    if len(shared) == 0:
        return None
    n_events = int(pd.Series(dates[valid]).isin(shared.index).sum())
    examples = "; ".join(f"{pd.Timestamp(day):%Y-%m-%d} on {', '.join(sorted(map(str, mics)))}"
                         for day, mics in list(shared.items())[:3])
    return (
        f"{n_events} events on {len(set(pairs['exchange'][pairs['date'].isin(shared.index)]))} "
        f"exchanges share a calendar date ({examples}{'; ...' if len(shared) > 3 else ''}): "
        "their day 0s follow each market's sessions, but the news is common to them, so their "
        "abnormal returns are not independent; the cross-sectional t, Patell, BMP and the sign "
        "and rank tests other than Corrado's assume they are"
    )
