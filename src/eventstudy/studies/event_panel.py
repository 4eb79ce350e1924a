"""Events placed on a returns panel: the shared input step of the long-horizon and calendar-time
methods (:mod:`eventstudy.studies.longrun`, :mod:`eventstudy.studies.calendar_time`).

A *panel* is a frame of simple daily returns, one row per trading day and one column per
security (NaN where a return is missing); its trading days are the dates of the market series.
By default it is built from the committed snapshot (:func:`eventstudy.data.snapshot.load_prices`,
:func:`eventstudy.data.returns.simple_returns` on the market's days); a caller may bring its own
``returns`` frame and ``market`` series instead.

Day 0 of every event is placed with :func:`eventstudy.events.place_events` on the panel's
trading days (the rules of ``eventstudy batch``); an event whose day 0 falls outside the panel is
skipped with its reason, never moved to the nearest day of the data. A user's panel file
(``returns=``/``prices=`` paths, see :mod:`eventstudy.data.panel`) is read for the tickers needed only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import DEFAULT_EXCHANGE
from eventstudy.data.snapshot import available_tickers, load_prices, unknown_ticker
from eventstudy.events import place_events
from eventstudy.events.markets import assign_markets
from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError
from eventstudy.data.returns import simple_returns
from eventstudy.studies.inputs import UserPanel, common_sessions, exchange_days


@dataclass(frozen=True)
class EventGroup:
    """The events of one exchange and one market: their rows in the events table."""

    rows: np.ndarray
    exchange: str
    market: str | pd.Series


def event_groups(
    table: pd.DataFrame, exchange: str | None, market: str | pd.Series | None, *, panel: bool,
) -> tuple[list[EventGroup], dict[int, str]]:
    """The events of ``table`` in groups of one exchange and one market
    (:func:`eventstudy.events.markets.assign_markets`), and ``{row: reason}`` for the rows that
    have no exchange or market. A market given as a Series is every event's; a market index of
    another exchange than its events' is warned about (:class:`DataQualityWarning`) unless the
    data are the user's ``panel`` (whose ids are not Yahoo symbols)."""
    placement = assign_markets(table, exchange=exchange,
                               market=market if isinstance(market, str) else None,
                               warn_mismatch=not panel and not isinstance(market, pd.Series))
    for note in placement.warnings:
        warnings.warn(note, DataQualityWarning, stacklevel=3)
    failed = np.flatnonzero(placement.failed != "")
    reasons = {int(i): str(placement.failed[i]) for i in failed}
    if isinstance(market, pd.Series):
        ok = np.flatnonzero(placement.failed == "")
        codes, mics = pd.factorize(placement.exchange[ok])
        return [EventGroup(ok[codes == c], str(mic), market) for c, mic in enumerate(mics)], reasons
    return [EventGroup(rows, mic, name) for rows, mic, name in placement.groups], reasons


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
    returns: pd.DataFrame | str | os.PathLike[str] | None,
    data_dir: str | os.PathLike[str] | None,
    *,
    prices: str | os.PathLike[str] | pd.DataFrame | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    span: tuple[Sequence[object], int, int] | None = None,
    exchange: str = DEFAULT_EXCHANGE,
) -> tuple[Panel, dict[str, str]]:
    """The returns panel of ``tickers`` and the market, and the tickers that have no data.

    Parameters
    ----------
    tickers
        Securities needed (events' tickers and benchmark securities).
    market
        A ticker (of the snapshot, or a column of ``returns``) or a Series of the market's simple
        returns indexed by date; its dates are the trading days.
    returns, prices, columns, market_returns, returns_unit, market_unit
        The user's panel instead of the snapshot: a returns frame (dates x securities), or a
        returns or prices file read by :func:`eventstudy.data.panel.load_panel` (only the tickers
        needed), with the market as an id or column of the panel or from ``market_returns``;
        the units of the returns and of the market (:mod:`eventstudy.data.units`).
    data_dir
        Snapshot folder (see :func:`eventstudy.data.snapshot.snapshot_dir`).
    source, cache_dir, span
        ``"cache"``, ``"yahoo"`` or ``"auto"`` fetch (:func:`eventstudy.data.sources.get_prices`) the
        sessions from ``first`` trading days before the earliest event date to ``last``
        after the latest, ``span = (event_dates, first, last)``; tickers that cannot be had are
        listed with the reason. Default ``"snapshot"``: the committed data.
    exchange
        The events' exchange: with prices (the snapshot, the cache, Yahoo) the trading days are
        its sessions on which the market has a price (:func:`eventstudy.studies.inputs.exchange_days`);
        a user's panel keeps the market's dates.

    Returns
    -------
    (Panel, dict)
        The panel, and ``{ticker: reason}`` for the tickers it has no column for.
    """
    wanted = sorted(set(tickers))
    if source != "snapshot":
        from eventstudy.data.sources import check_source

        check_source(source)
        if returns is not None or prices is not None:
            raise ParameterError("source", source, "a returns or prices panel is the data; leave "
                                 "--source at its default (snapshot) when giving one")
        if not isinstance(market, str) or span is None:
            raise ParameterError("market", market, "name the market's ticker to fetch it")
        return _live_panel(wanted, market, span, source, cache_dir, data_dir, exchange)
    if (prices is not None or market_returns is not None
            or (returns is not None and not isinstance(returns, pd.DataFrame))):
        return _from_user_panel(wanted, market, returns, prices, columns, market_returns,
                                returns_unit, market_unit)
    if isinstance(returns, pd.DataFrame):  # the unit rule, as for a file
        returns, market = _decimals(returns, market, returns_unit, market_unit)
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
        raise unknown_ticker(market, known, parameter="market")
    missing = {t: str(unknown_ticker(t, known)) for t in wanted if t not in known}
    table = load_prices(sorted({*wanted, market} - set(missing)), data_dir=data_dir)
    calendar = exchange_days(table.loc[table["ticker"] == market, "date"], exchange)
    return Panel(simple_returns(table, calendar=calendar), market), missing


def _live_panel(
    wanted: list[str], market: str, span: tuple[Sequence[object], int, int], source: str,
    cache_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None,
    exchange: str,
) -> tuple[Panel, dict[str, str]]:
    """Prices from the cache or Yahoo over the sessions of ``exchange`` the events need, as
    returns."""
    from eventstudy.exceptions import BatchFetchError
    from eventstudy.data.sources import get_prices

    event_dates, before, after = span
    sessions = common_sessions(exchange, [*wanted, market])
    placed = place_events(np.asarray(list(event_dates), dtype=object), sessions, exchange=exchange)
    positions = placed.position[placed.placed]
    if len(positions) == 0:
        raise DataError(f"event_date: no event date falls on the {exchange} calendar")
    start = sessions[max(0, int(positions.min()) - before - 1)]
    end = sessions[min(len(sessions) - 1, int(positions.max()) + after)]
    failures: dict[str, str] = {}
    try:
        table = get_prices([*wanted, market], start, end, source=source, cache_dir=cache_dir,
                           data_dir=data_dir, exchange=exchange)
    except BatchFetchError as error:
        table = error.prices
        failures = {str(k): str(v) for k, v in error.failures.items()}
    if market in failures:
        raise DataError(failures[market])
    calendar = exchange_days(table.loc[table["ticker"] == market, "date"], exchange)
    return Panel(simple_returns(table, calendar=calendar), market), failures


def _decimals(returns: pd.DataFrame, market: str | pd.Series, returns_unit: str,
              market_unit: str | None) -> tuple[pd.DataFrame, str | pd.Series]:
    """A returns frame and the market (its column's name, or a Series) as decimals, checked by
    the unit rule (the market by its own unit)."""
    from eventstudy.data.units import check_returns_unit, check_unit_name, to_decimals

    check_unit_name(returns_unit, "returns_unit")
    market_unit = check_unit_name(returns_unit if market_unit is None else market_unit, "market_unit")
    try:
        frame = returns.astype(float)
    except (TypeError, ValueError):
        frame = _check_returns(returns)  # its own error on text; else the rules below
    in_frame = isinstance(market, str) and market in frame.columns
    securities = [c for c in frame.columns if not (in_frame and c == market)]
    values = to_decimals(frame[securities].to_numpy(), returns_unit)
    check_returns_unit(values, [str(c) for c in securities], label="returns (the frame)", column=None,
                       parameter="returns_unit", unit=returns_unit, dates=frame.index)
    frame[securities] = values
    if in_frame:
        frame[market] = to_decimals(frame[market].to_numpy(), market_unit)
        check_returns_unit(frame[market].to_numpy(), [str(market)], label="returns (the frame)",
                           column=None, parameter="market_unit", unit=market_unit, dates=frame.index)
    frame = _check_returns(frame)
    if isinstance(market, pd.Series):
        market = pd.Series(to_decimals(market.to_numpy(dtype=float), market_unit), index=market.index,
                           name=market.name)
        check_returns_unit(market.to_numpy(), [str(market.name or "market")], label="market (the series)",
                           column=None, parameter="market_unit", unit=market_unit, dates=market.index)
    return frame, market


def _from_user_panel(
    wanted: list[str], market: str | pd.Series, returns: Any, prices: Any, columns: Any,
    market_returns: Any, returns_unit: str = "decimal", market_unit: str | None = None,
) -> tuple[Panel, dict[str, str]]:
    """The panel from a user's file (or a frame with a separate market), only what is needed."""
    from eventstudy.data.panel import load_panel

    if isinstance(market, pd.Series):
        market_returns = market
    user = UserPanel.of(returns=returns, prices=prices, columns=columns,
                        market_returns=market_returns, returns_unit=returns_unit, market_unit=market_unit)
    if user is None:
        raise ParameterError("returns", None, "give a returns or prices panel with market_returns")
    name = market if isinstance(market, str) else "market"
    loaded = load_panel(user.panel, wanted, market=name, market_returns=user.market_returns,
                        **user.units)
    frame = loaded.returns.copy()
    frame[name] = loaded.market
    missing = {t: f"ticker: {t!r} is not an id of the panel" for t, held in loaded.ids.items()
               if held is None}
    return Panel(frame, name), missing


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
    event_dates: pd.Series, dates: pd.DatetimeIndex, non_session: str,
    exchange: str = DEFAULT_EXCHANGE,
) -> tuple[np.ndarray, dict[int, str]]:
    """Row of day 0 on ``dates`` for every event, and ``{event row: reason}`` for those not placed.

    The rules of ``eventstudy batch`` (:func:`eventstudy.events.place_events`): a date that is
    not a trading day moves as ``non_session`` says, a timestamp at or after the close of
    ``exchange`` to the next day, and a date outside the data is not placed (its reason says
    so), never moved to the edge of the data.
    """
    placed = place_events(event_dates.to_numpy(dtype=object), dates, non_session=non_session,
                          exchange=exchange)
    failed = np.flatnonzero(~placed.placed)
    return placed.position, dict(zip(failed.tolist(), placed.failed[failed].tolist()))


def skipped_frame(table: pd.DataFrame, reasons: dict[int, str]) -> pd.DataFrame:
    """``ticker``, ``event_date``, ``reason`` of the skipped rows of the events ``table``."""
    rows = sorted(reasons)
    return pd.DataFrame(
        {"ticker": table["ticker"].to_numpy()[rows] if rows else [],
         "event_date": table["event_date"].astype(str).to_numpy()[rows] if rows else [],
         "reason": [reasons[r] for r in rows]},
        index=pd.Index(rows, dtype=np.int64),
    )
