"""Event time: day 0 and the estimation and event windows, counted in trading days.

Trading days are given by the caller (the dates of the market's return series). Day 0 is the
first trading day on or after the event date, so an event on a weekend or holiday moves to the
next trading day. Windows are pairs ``(start, end)`` of relative days, both inclusive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from eventstudy.exceptions import ParameterError, WindowError


@dataclass(frozen=True)
class Window:
    """Relative trading days ``start .. end``, both inclusive (``Window(-1, 1)`` has 3 days)."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start + 1

    def __str__(self) -> str:
        return f"({self.start:+d}, {self.end:+d})"

    def overlaps(self, other: Window) -> bool:
        return self.start <= other.end and other.start <= self.end

    @property
    def days(self) -> range:
        """The relative days, in order."""
        return range(self.start, self.end + 1)


def as_window(value: Window | tuple[int, int] | list[int], parameter: str) -> Window:
    """Validate a window given as ``(start, end)`` and return it as a :class:`Window`.

    Raises
    ------
    ParameterError
        If ``value`` is not two integers or ends before it starts.
    """
    if isinstance(value, Window):
        return value
    try:
        start, end = value
    except (TypeError, ValueError):
        raise ParameterError(parameter, value, "give two relative days (start, end)") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise ParameterError(parameter, value, "start and end must be whole numbers of trading days")
    if end < start:
        raise ParameterError(
            parameter, (start, end), "the window must not end before it starts (start <= end)"
        )
    return Window(start, end)


def parse_event_date(value: str | dt.date | pd.Timestamp, parameter: str = "event_date") -> pd.Timestamp:
    """Turn ``value`` into a midnight :class:`pandas.Timestamp`, or raise a clear error."""
    if isinstance(value, str):
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ParameterError(parameter, value, "give a calendar date as YYYY-MM-DD") from None
        return pd.Timestamp(parsed)
    if isinstance(value, (dt.date, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None or stamp != stamp.normalize():
            raise ParameterError(parameter, value, "give a calendar date without a time of day")
        return stamp
    raise ParameterError(parameter, value, "give a calendar date as YYYY-MM-DD")


def check_disjoint(estimation: Window, window: Window) -> None:
    """Raise :class:`ParameterError` when the estimation window overlaps the event window."""
    if estimation.overlaps(window):
        raise ParameterError(
            "estimation",
            (estimation.start, estimation.end),
            f"the estimation window must not overlap the event window {window}; "
            f"end it before day {window.start} or start it after day {window.end}",
        )


@dataclass(frozen=True)
class EventTiming:
    """Where an event sits on the trading calendar.

    Attributes
    ----------
    event_date
        The date as given.
    day0
        The first trading day on or after ``event_date``.
    estimation_dates, event_dates
        The trading days of the estimation and event windows.
    """

    event_date: pd.Timestamp
    day0: pd.Timestamp
    estimation: Window
    window: Window
    estimation_dates: pd.DatetimeIndex
    event_dates: pd.DatetimeIndex

    @property
    def shifted(self) -> bool:
        """True when the event date was not a trading day and day 0 moved forward."""
        return self.day0 != self.event_date


def locate_event(
    trading_days: pd.DatetimeIndex,
    event_date: pd.Timestamp,
    estimation: Window,
    window: Window,
) -> EventTiming:
    """Place day 0 and both windows on ``trading_days``.

    Raises
    ------
    ParameterError
        If the windows overlap.
    WindowError
        If the calendar has too few trading days before or after day 0 for the windows.
    """
    check_disjoint(estimation, window)
    days = pd.DatetimeIndex(trading_days)
    if len(days) == 0:
        raise WindowError("trading_days: the calendar is empty")
    first, last = days[0], days[-1]
    date_text = event_date.strftime("%Y-%m-%d")
    pos = int(days.searchsorted(event_date, side="left"))
    if pos == len(days):
        raise WindowError(
            f"event_date: {date_text!r} is after the last trading day with data "
            f"({last:%Y-%m-%d}); the event window {window} needs trading days after day 0"
        )
    earliest = min(estimation.start, window.start)
    latest = max(estimation.end, window.end)
    if pos + earliest < 0:
        raise WindowError(
            f"event_date: {date_text!r} has too little history: the windows start on day "
            f"{earliest}, which needs {-earliest} trading day(s) before day 0 ({days[pos]:%Y-%m-%d}), "
            f"but the data have {pos} (first return on {first:%Y-%m-%d})"
        )
    if pos + latest >= len(days):
        raise WindowError(
            f"event_date: {date_text!r} has too few trading days after it: the windows end on day "
            f"{latest:+d}, which needs {latest} trading day(s) after day 0 ({days[pos]:%Y-%m-%d}), "
            f"but the data have {len(days) - 1 - pos} (last return on {last:%Y-%m-%d})"
        )
    return EventTiming(
        event_date=event_date,
        day0=days[pos],
        estimation=estimation,
        window=window,
        estimation_dates=days[pos + estimation.start : pos + estimation.end + 1],
        event_dates=days[pos + window.start : pos + window.end + 1],
    )
