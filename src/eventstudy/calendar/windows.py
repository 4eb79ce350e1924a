"""Estimation and event windows in trading days relative to day 0, and where they fall on a
series of trading days (:func:`locate_event`)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import pandas as pd

from eventstudy.calendar.day0 import EventDay
from eventstudy.exceptions import DataError, ParameterError, WindowError

#: Largest number of trading days a window may reach from day 0 (the NYSE has about 25,000
#: sessions since 1928); beyond it a window is refused, not computed with overflowing numbers.
MAX_WINDOW_DAYS = 100_000


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
        If ``value`` is not two integers, ends before it starts, or reaches further than
        :data:`MAX_WINDOW_DAYS` from day 0.
    """
    if isinstance(value, Window):
        return value
    try:
        start, end = value
    except (TypeError, ValueError):
        raise ParameterError(parameter, value, "give two relative days (start, end)") from None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (start, end)):
        raise ParameterError(parameter, value, "start and end must be whole numbers of trading days")
    start, end = int(start), int(end)  # numpy integers too
    if max(abs(start), abs(end)) > MAX_WINDOW_DAYS:
        raise ParameterError(
            parameter, (start, end),
            f"give relative days between -{MAX_WINDOW_DAYS:,} and {MAX_WINDOW_DAYS:,} (trading days "
            "from day 0)",
        )
    if end < start:
        raise ParameterError(
            parameter, (start, end), "the window must not end before it starts (start <= end)"
        )
    return Window(start, end)


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
        The calendar date of the event as given (for a timestamp: its date in New York).
    day0
        The trading day that is day 0: ``event_date`` itself when it is a session (and the event
        came before the close), otherwise the session chosen by the non-session policy.
    estimation_dates, event_dates
        The trading days of the estimation and event windows.
    event_time
        The timestamp with time zone as given, or ``None`` when the event was given as a date.
    reason
        Why ``day0`` differs from ``event_date`` (``None`` when it does not).
    """

    event_date: pd.Timestamp
    day0: pd.Timestamp
    estimation: Window
    window: Window
    estimation_dates: pd.DatetimeIndex
    event_dates: pd.DatetimeIndex
    event_time: pd.Timestamp | None = None
    reason: str | None = None

    @property
    def shifted(self) -> bool:
        """True when day 0 is not the event date (a non-session day, or news after the close)."""
        return self.day0 != self.event_date

    @property
    def original(self) -> pd.Timestamp:
        """The event as given: the timestamp with its time zone, or the date."""
        return self.event_time if self.event_time is not None else self.event_date


def locate_event(
    trading_days: pd.DatetimeIndex,
    event_date: pd.Timestamp,
    estimation: Window,
    window: Window,
    *,
    event: EventDay | None = None,
) -> EventTiming:
    """Place day 0 and both windows on ``trading_days``.

    Parameters
    ----------
    trading_days
        The trading days with data (the market series' dates), increasing.
    event_date
        The event's calendar date. Without ``event``, day 0 is the first trading day on or
        after it.
    estimation, window
        The estimation and event windows.
    event
        Day 0 already chosen on an exchange calendar (see :func:`resolve_event`); it must be
        one of ``trading_days`` when it lies inside their range.

    Raises
    ------
    ParameterError
        If the windows overlap.
    WindowError
        If day 0 is before the first trading day or after the last, or the calendar has too few
        trading days before or after day 0 for the windows.
    DataError
        If ``event.day0`` is a session inside the data's range on which the data have no row.
    """
    check_disjoint(estimation, window)
    days = pd.DatetimeIndex(trading_days)
    if len(days) == 0:
        raise WindowError("trading_days: the calendar is empty")
    first, last = days[0], days[-1]
    date_text = event_date.strftime("%Y-%m-%d")
    target = event_date if event is None else event.day0
    if target < first:
        raise WindowError(
            f"event_date: {date_text!r} (day 0 {target:%Y-%m-%d}) is before the first trading day "
            f"with data ({first:%Y-%m-%d}); an event is never moved to other dates: give an event "
            "inside the data, or load data that reach back to it"
        )
    pos = int(days.searchsorted(target, side="left"))
    if event is not None and first <= target <= last and days[pos] != target:
        raise DataError(
            f"event_date: day 0 is {target:%Y-%m-%d}, a session of the exchange calendar, but the "
            f"market series has no data that day (next date with data: {days[pos]:%Y-%m-%d}); "
            "fill the gap in the data, or pass exchange=None to count on the market's own dates"
        )
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
        event_time=None if event is None else event.event_time,
        reason=None if event is None else event.reason,
    )
