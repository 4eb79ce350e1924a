"""Events placed on a returns panel: the shared input step of the long-horizon and calendar-time
methods (:mod:`eventstudy.longrun`, :mod:`eventstudy.calendar_time`).

A *panel* is a frame of simple daily returns, one row per trading day and one column per
security (NaN where a return is missing); its trading days are the dates of the market series.
By default it is built from the committed snapshot (:func:`eventstudy.data.load_prices`,
:func:`eventstudy.returns.simple_returns` on the market's days); a caller may bring its own
``returns`` frame and ``market`` series instead.

Day 0 of every event is placed with :func:`eventstudy.calendar.resolve_event` on the panel's
trading days (the rules of ``eventstudy batch``); an event whose day 0 falls outside the panel is
skipped with its reason, never moved to the nearest day of the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar import resolve_event
from eventstudy.data import available_tickers, load_prices
from eventstudy.exceptions import DataError, EventStudyError, ParameterError, UnknownTickerError
from eventstudy.returns import simple_returns


@dataclass(frozen=True)
class Panel:
    """Simple returns on the market's trading days.

    Attributes
    ----------
    returns
        Dates x securities, simple returns (NaN: missing); it has a column for the market.
    market
        Name of the market's column in :attr:`returns`.
    """

    returns: pd.DataFrame
    market: str

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.returns.index)


def build_panel(
    tickers: Iterable[str],
    market: str | pd.Series,
    returns: pd.DataFrame | None,
    data_dir: str | os.PathLike[str] | None,
) -> tuple[Panel, dict[str, str]]:
    """The returns panel of ``tickers`` and the market, and the tickers that have no data.

    Parameters
    ----------
    tickers
        Securities needed (events' tickers and benchmark securities).
    market
        A ticker (of the snapshot, or a column of ``returns``) or a Series of the market's simple
        returns indexed by date; its dates are the trading days.
    returns
        A panel of simple returns (dates x securities) to use instead of the snapshot.
    data_dir
        Snapshot folder (see :func:`eventstudy.data.snapshot_dir`).

    Returns
    -------
    (Panel, dict)
        The panel, and ``{ticker: reason}`` for the tickers it has no column for.
    """
    wanted = sorted(set(tickers))
    if isinstance(market, pd.Series):
        name = str(market.name) if market.name is not None else "market"
        calendar = pd.DatetimeIndex(market.dropna().index)
        if returns is None:
            raise ParameterError("returns", None, "give a returns panel when market is a Series")
        panel = _check_returns(returns).reindex(calendar)
        panel[name] = market.reindex(calendar).astype(float)
        return Panel(panel, name), _missing(wanted, panel.columns, "the returns panel")
    if not isinstance(market, str):
        raise ParameterError("market", market, "give a ticker or a Series of market returns")
    if returns is not None:
        panel = _check_returns(returns)
        if market not in panel.columns:
            raise ParameterError("market", market, f"name a column of returns: {list(panel.columns)[:10]}")
        panel = panel.loc[panel[market].notna()]
        return Panel(panel, market), _missing(wanted, panel.columns, "the returns panel")
    known = available_tickers(data_dir)
    if market not in known:
        raise UnknownTickerError(market, known, parameter="market")
    missing = {t: str(UnknownTickerError(t, known)) for t in wanted if t not in known}
    prices = load_prices(sorted({*wanted, market} - set(missing)), data_dir=data_dir)
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == market, "date"])
    return Panel(simple_returns(prices, calendar=calendar), market), missing


def _check_returns(returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise ParameterError("returns", type(returns).__name__,
                             "give a DataFrame of simple returns indexed by date, one column per security")
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise ParameterError("returns", "its index", "dates must be increasing and unique")
    frame = returns.astype(float)
    values = frame.to_numpy()
    if np.isinf(values).any() or (values <= -1.0).any():
        raise DataError("returns: the panel holds infinite returns or returns of -100% or less")
    return frame


def _missing(wanted: list[str], columns: pd.Index, where: str) -> dict[str, str]:
    have = set(columns)
    return {t: f"ticker: {t!r} has no column in {where}" for t in wanted if t not in have}


def day0_positions(
    event_dates: pd.Series, dates: pd.DatetimeIndex, non_session: str
) -> tuple[np.ndarray, dict[int, str]]:
    """Row of day 0 on ``dates`` for every event, and ``{event row: reason}`` for those not placed.

    Each distinct value is resolved once by :func:`eventstudy.calendar.resolve_event` on the
    trading days ``dates`` (a date that is not a trading day moves as ``non_session`` says, a
    timestamp at or after 16:00 New York to the next day). A value before the first or after the
    last trading day of the panel is not placed (its reason says so): day 0 is never moved to the
    edge of the data.
    """
    codes, uniques = pd.factorize(event_dates, use_na_sentinel=False)
    unique_pos = np.full(len(uniques), -1, dtype=np.int64)
    unique_reason: dict[int, str] = {}
    first, last = dates[0], dates[-1]
    for j, value in enumerate(uniques):  # one step per distinct date, not per event
        try:
            day = resolve_event(value, non_session=non_session, exchange=None, trading_days=dates)
        except EventStudyError as error:
            unique_reason[j] = str(error)
            continue
        if day.event_date < first:
            unique_reason[j] = (f"event_date: {value} is before the first day of the data, "
                                f"{first:%Y-%m-%d}")
        elif day.day0 > last or day.day0 not in dates:
            unique_reason[j] = f"event_date: {value} is after the last day of the data, {last:%Y-%m-%d}"
        else:
            unique_pos[j] = int(dates.get_loc(day.day0))
    positions = unique_pos[codes]
    reasons = {int(i): unique_reason[int(codes[i])] for i in np.flatnonzero(positions < 0)}
    return positions, reasons


def skipped_frame(table: pd.DataFrame, reasons: dict[int, str]) -> pd.DataFrame:
    """``ticker``, ``event_date``, ``reason`` of the skipped rows of the events ``table``."""
    rows = sorted(reasons)
    return pd.DataFrame(
        {"ticker": table["ticker"].to_numpy()[rows] if rows else [],
         "event_date": table["event_date"].astype(str).to_numpy()[rows] if rows else [],
         "reason": [reasons[r] for r in rows]},
        index=pd.Index(rows, dtype=np.int64),
    )
