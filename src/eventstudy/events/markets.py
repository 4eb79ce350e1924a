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
        keys = pd.DataFrame({"exchange": self.exchange[ok], "market": self.market[ok]})
        codes = keys.groupby(["exchange", "market"], sort=False).ngroup().to_numpy()
        order = np.argsort(codes, kind="stable")
        bounds = np.cumsum(np.bincount(codes))[:-1]
        out = []
        for rows in np.split(ok[order], bounds):
            out.append((rows, str(self.exchange[rows[0]]), str(self.market[rows[0]])))
        return out


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    """A text column of the events table (``""`` where missing; :func:`read_events` strips
    the spaces), or all ``""``."""
    if name not in table.columns:
        return np.full(len(table), "", dtype=object)
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
    given = _column(table, "exchange")
    given = np.where(given != "", given, exchange or "").astype(object)
    first, codes, _ = _pairs(tickers, given)
    pair_exchange = np.full(len(first), "", dtype=object)
    pair_failed = np.full(len(first), "", dtype=object)
    for code, row in enumerate(first):  # once per distinct (ticker, exchange given)
        try:
            pair_exchange[code] = exchange_of(tickers[row], given[row] or None)
        except ParameterError as error:
            pair_failed[code] = str(error)
    out_exchange, failed = pair_exchange[codes], pair_failed[codes]
    named = _column(table, "market")
    out_market = np.where(named != "", named, market or "").astype(object)
    market_default = (out_market == "") & (failed == "")
    mic_codes, mics = pd.factorize(out_exchange)
    mic_market = np.full(len(mics), "", dtype=object)
    mic_failed = np.full(len(mics), "", dtype=object)
    for code, mic in enumerate(mics):  # once per exchange
        try:
            mic_market[code] = default_market(mic) if mic else ""
        except EventStudyError as error:
            mic_failed[code] = str(error)
    out_market = np.where(market_default, mic_market[mic_codes], out_market).astype(object)
    failed = np.where(market_default & (mic_failed[mic_codes] != ""), mic_failed[mic_codes],
                      failed).astype(object)
    market_default &= failed == ""
    notes: list[str] = []
    if warn_mismatch:
        ok = np.flatnonzero(failed == "")
        first, _, counts = _pairs(out_exchange[ok], out_market[ok])
        for row, count in zip(ok[first], counts):  # once per (exchange, market)
            note = market_mismatch(str(tickers[row]), str(out_exchange[row]), str(out_market[row]))
            if note is not None:
                notes.append(note + (f" ({count} events)" if count > 1 else ""))
    out_exchange[failed != ""] = ""
    out_market[failed != ""] = ""
    return EventMarkets(out_exchange, out_market, market_default, failed, tuple(notes))


def _pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (left, right) pairs: the first row of each (in order of first appearance),
    each row's pair, and each pair's number of rows. Integer codes, no tuples: linear in the
    rows after one sort."""
    left_codes, _ = pd.factorize(left)
    right_codes, right_values = pd.factorize(right)
    key = left_codes.astype(np.int64) * max(len(right_values), 1) + right_codes
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first, kind="stable")  # pairs in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()], counts[order]


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
