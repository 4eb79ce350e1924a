r"""Events of several exchanges on one calendar of periods: the input of the calendar-time
portfolio (:mod:`eventstudy.studies.calendar_time`).

Each group of events of one exchange and one market (:func:`~eventstudy.studies.event_panel.event_groups`)
is placed on its own trading days, as ``batch`` places it: day 0 on the exchange's sessions, the
holding period ``a..b`` counted in them. The periods of the portfolio are then calendar periods
shared by every exchange:

- ``daily``: the days on which any group traded (the union of their trading days). A security
  is held from the date of its day ``a`` to the date of its day ``b``; on a date its exchange
  was closed it has no return and is left out of that day's portfolio, as any held security
  without a return is.
- ``monthly``: calendar months; a security's month return compounds its own sessions of the
  month, :math:`\prod(1 + R_d) - 1` (missing if one of them is missing), and a security is held
  from month ``a`` to month ``b`` after the month of its day 0.

With one group the periods are its trading days (or their months): the single-exchange portfolio.
A security appearing in several groups (events on two markets) has the returns of its first
group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.studies.event_panel import EventGroup, build_panel, day0_positions


@dataclass(frozen=True)
class Periods:
    """Returns by period of the securities of the events, and each event's holding period.

    Attributes
    ----------
    index
        The periods: dates (daily) or a :class:`pandas.PeriodIndex` of months.
    values
        ``(periods, securities)`` returns, NaN where a security has none.
    start, end
        ``(N,)`` first and last period held by each row of the events table (clipped by
        :func:`~eventstudy.studies.calendar_time` to the periods; ``end < start`` holds nothing).
    security
        ``(N,)`` column of each row's security in :attr:`values` (0 where not placed).
    placed
        ``(N,)`` rows placed on their exchange's trading days.
    markets
        Each group's market returns on its trading days, by market name.
    days
        Every trading day of every group, in order (the daily periods).
    """

    index: pd.DatetimeIndex | pd.PeriodIndex
    values: np.ndarray
    start: np.ndarray
    end: np.ndarray
    security: np.ndarray
    placed: np.ndarray
    markets: dict[str, pd.Series]
    days: pd.DatetimeIndex


def event_periods(
    table: pd.DataFrame, groups: Sequence[EventGroup], window: Window, frequency: str,
    non_session: str, reasons: dict[int, str], **data: Any,
) -> Periods:
    """Place every group's events on its trading days and the whole on shared periods (module
    docstring); the rows not placed get their reason in ``reasons``. ``data`` holds the
    keywords of :func:`~eventstudy.studies.event_panel.build_panel` (``returns``, ``prices``,
    ``columns``, ``market_returns``, ``returns_unit``, ``market_unit``, ``source``, ``cache_dir``,
    ``data_dir``)."""
    n = len(table)
    per_period = 1 if frequency == "daily" else 23  # a month has at most 23 trading days
    span_before = per_period * max(0, -window.start) + per_period
    span_after = per_period * (max(window.end, 0) + 1)
    panels, positions = [], []
    for group in groups:
        part = table.iloc[group.rows]
        panel, unknown = build_panel(
            part["ticker"], group.market, data["returns"], data["data_dir"], prices=data["prices"],
            columns=data["columns"], market_returns=data["market_returns"],
            returns_unit=data["returns_unit"], market_unit=data["market_unit"], source=data["source"],
            cache_dir=data["cache_dir"], span=(part["event_date"].tolist(), span_before, span_after),
            exchange=group.exchange,
        )
        position, local = day0_positions(part["event_date"], panel.dates, non_session, group.exchange)
        held = set(panel.returns.columns)
        for i in np.flatnonzero(~part["ticker"].isin(held).to_numpy()):
            local.setdefault(int(i), unknown.get(part["ticker"].iat[i], "ticker: no data"))
        reasons.update({int(group.rows[i]): why for i, why in local.items()})
        panels.append(panel)
        positions.append(position)
    days = pd.DatetimeIndex(sorted(set().union(*(set(p.dates) for p in panels))))
    if frequency == "daily":
        index: pd.DatetimeIndex | pd.PeriodIndex = days
        frames = [p.returns for p in panels]
    else:
        index = pd.PeriodIndex(sorted(set().union(*(set(p.dates.to_period("M")) for p in panels))),
                               freq="M")
        frames = [_monthly(p.returns) for p in panels]
    names = list(dict.fromkeys(c for f in frames for c in f.columns))
    owner = {name: next(f for f in frames if name in f.columns) for name in names}
    values = np.column_stack([owner[c][c].reindex(index).to_numpy(dtype=float) for c in names])
    column_of = pd.Series(np.arange(len(names)), index=names)
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, -2, dtype=np.int64)
    security = np.zeros(n, dtype=np.int64)
    skipped = np.fromiter(reasons, dtype=np.int64, count=len(reasons))
    for group, panel, position in zip(groups, panels, positions):
        ok = ~np.isin(group.rows, skipped)
        rows, pos, dates = group.rows[ok], position[ok], panel.dates
        if frequency == "daily":  # the dates of days a and b on the group's own trading days
            first, last, last_row = pos + window.start, pos + window.end, len(dates) - 1
            start[rows] = np.where(first > last_row, len(days),
                                   days.searchsorted(dates[np.clip(first, 0, last_row)]))
            end[rows] = np.where(last < 0, -1, days.searchsorted(dates[np.clip(last, 0, last_row)]))
        else:  # months a and b after the month of day 0
            month = index.searchsorted(dates[pos].to_period("M"))
            start[rows], end[rows] = month + window.start, month + window.end
        security[rows] = column_of.reindex(table["ticker"].to_numpy()[rows]).to_numpy()
    placed = np.ones(n, dtype=bool)
    placed[skipped] = False
    markets = {p.market: p.returns[p.market] for p in panels}
    return Periods(index, values, start, end, security, placed, markets, days)


def compound(daily: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    r"""Period returns :math:`\prod(1 + R_d) - 1` over the rows from each ``first_row`` to the
    next; NaN where any day's return is missing."""
    logs = np.add.reduceat(np.log1p(np.nan_to_num(daily)), first_row, axis=0)
    missing = np.add.reduceat((~np.isfinite(daily)).astype(np.int64), first_row, axis=0) > 0
    return np.where(missing, np.nan, np.expm1(logs))


def month_starts(dates: pd.DatetimeIndex) -> tuple[pd.PeriodIndex, np.ndarray]:
    """The months of ``dates`` (in order) and the row where each begins."""
    months = dates.to_period("M")
    first_row = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    return months[first_row], first_row


def _monthly(daily: pd.DataFrame) -> pd.DataFrame:
    """Month returns of every column over the frame's own days (:func:`compound`)."""
    months, first_row = month_starts(pd.DatetimeIndex(daily.index))
    return pd.DataFrame(compound(daily.to_numpy(dtype=float), first_row), index=months,
                        columns=daily.columns)
