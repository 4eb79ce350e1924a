"""Event time: day 0 and the estimation and event windows, counted in trading days.

Windows are pairs ``(start, end)`` of relative days, both inclusive, counted on the trading days
given by the caller (the dates of the market's return series).

Which session is day 0 comes from the exchange's own calendar (NYSE, ``"XNYS"``, by default),
taken from the maintained `exchange_calendars <https://github.com/gerrymanoim/exchange_calendars>`_
library rather than inferred from the data: it knows every holiday and unscheduled closure (such
as 2018-12-05, the national day of mourning for George H. W. Bush) and every early close. The rules
(:func:`resolve_event`):

* an event given as a date that is a session is day 0 itself;
* an event given as a timestamp with a time zone is placed in New York time: before the session's
  close (16:00, or 13:00 on early-close days) it is that session; at or after the close, day 0
  is the next session;
* a date (or a timestamp's New York date) that is not a session follows ``non_session``:
  ``"next"`` (default) takes the next session, ``"previous"`` the one before, ``"raise"`` refuses.

The exchange calendar is built on first use, never at import.
"""

from __future__ import annotations

import datetime as dt
import numbers
import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eventstudy.exceptions import DataError, ParameterError, WindowError

#: The exchange whose sessions define day 0 by default (exchange_calendars' code for the NYSE).
DEFAULT_EXCHANGE = "XNYS"

#: What to do with an event on a day the exchange was closed.
NON_SESSION_POLICIES = ("next", "previous", "raise")

#: The exchange calendar covers sessions from this date (Yahoo's oldest daily data are from 1927).
CALENDAR_START = "1928-01-03"

#: Time zone of the close used when no exchange calendar is given (``exchange=None``): the
#: NYSE's close in New York (16:00, or 13:00 on its early-close days).
NEW_YORK = "America/New_York"

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


@functools.lru_cache(maxsize=8)
def exchange_calendar(exchange: str = DEFAULT_EXCHANGE) -> Any:
    """The ``exchange_calendars`` calendar of ``exchange``, built once per process.

    Parameters
    ----------
    exchange
        An exchange_calendars code: ``"XNYS"`` (NYSE, the default), ``"XNAS"``, ``"XLON"``...

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        Sessions from :data:`CALENDAR_START` (or the exchange's first) to about a year ahead.

    Raises
    ------
    ParameterError
        If exchange_calendars has no calendar of that name.
    """
    import exchange_calendars

    if exchange not in exchange_calendars.get_calendar_names():
        raise ParameterError(
            "exchange", exchange, "give an exchange_calendars code such as 'XNYS' (NYSE) or 'XNAS'"
        )
    try:
        return exchange_calendars.get_calendar(exchange, start=CALENDAR_START)
    except ValueError:  # the exchange's calendar starts later than CALENDAR_START
        return exchange_calendars.get_calendar(exchange)


def sessions(
    start: str | dt.date | pd.Timestamp,
    end: str | dt.date | pd.Timestamp,
    *,
    exchange: str = DEFAULT_EXCHANGE,
) -> pd.DatetimeIndex:
    """The exchange's sessions from ``start`` to ``end``, both inclusive (timezone-naive dates).

    Dates outside the calendar's range are clipped to it.
    """
    calendar = exchange_calendar(exchange)
    days = pd.DatetimeIndex(calendar.sessions)
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return days[(days >= lo) & (days <= hi)].rename("date")


@dataclass(frozen=True)
class EventDay:
    """An event placed on an exchange calendar: what was given, and which session is day 0.

    Attributes
    ----------
    event_date
        The event's calendar date (for a timestamp: its date in the exchange's time zone).
    day0
        The session that is day 0.
    event_time
        The timestamp as given (with its time zone), or ``None`` for a plain date.
    reason
        Why ``day0`` is not ``event_date``, in words; ``None`` when they are equal.
    """

    event_date: pd.Timestamp
    day0: pd.Timestamp
    event_time: pd.Timestamp | None = None
    reason: str | None = None

    @property
    def shifted(self) -> bool:
        """True when day 0 is not the event's date."""
        return self.day0 != self.event_date


_EVENT_FORMS = (
    "give a date as YYYY-MM-DD or a timestamp with a time zone, "
    "e.g. 2018-08-06T16:30-04:00 or 2018-08-06T20:30Z"
)


def parse_event(
    value: str | dt.date | dt.datetime | pd.Timestamp, parameter: str = "event_date"
) -> pd.Timestamp:
    """Turn an event given as a date or as a timestamp with a time zone into a Timestamp.

    Parameters
    ----------
    value
        ``"2018-08-06"``, a :class:`datetime.date`, a midnight naive Timestamp, or a timestamp
        with a time zone (``"2018-08-06T16:30-04:00"``, ``"2018-08-06 20:30Z"``, an aware
        :class:`datetime.datetime` or :class:`pandas.Timestamp`).
    parameter
        Name used in error messages.

    Returns
    -------
    pandas.Timestamp
        A naive midnight Timestamp for a date, an aware Timestamp for a timestamp.

    Raises
    ------
    ParameterError
        If the value is malformed, or has a time of day but no time zone (ambiguous).
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 10:
            return parse_event_date(value, parameter)
        try:
            stamp = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise ParameterError(parameter, value, _EVENT_FORMS) from None
    elif isinstance(value, (dt.date, pd.Timestamp)):
        stamp = pd.Timestamp(value)
    else:
        raise ParameterError(parameter, value, _EVENT_FORMS)
    if pd.isna(stamp):
        raise ParameterError(parameter, value, _EVENT_FORMS)
    if stamp.tzinfo is None:
        if stamp != stamp.normalize():
            raise ParameterError(
                parameter, value,
                "a time of day needs a time zone (the close is 16:00 New York time); " + _EVENT_FORMS,
            )
        return stamp
    return stamp


def _check_policy(non_session: str) -> str:
    if non_session not in NON_SESSION_POLICIES:
        raise ParameterError(
            "non_session", non_session, f"choose one of {', '.join(NON_SESSION_POLICIES)}"
        )
    return non_session


def resolve_event(
    value: str | dt.date | dt.datetime | pd.Timestamp,
    *,
    non_session: str = "next",
    exchange: str | None = DEFAULT_EXCHANGE,
    trading_days: pd.DatetimeIndex | None = None,
    parameter: str = "event_date",
) -> EventDay:
    """Choose day 0 for an event given as a date or a timestamp with a time zone.

    Parameters
    ----------
    value
        The event (see :func:`parse_event`).
    non_session
        When the date is not a session: ``"next"`` (default), ``"previous"`` or ``"raise"``.
        A timestamp at or after a session's close always moves to the next session.
    exchange
        exchange_calendars code whose sessions and closes are used (default NYSE, ``"XNYS"``).
        ``None`` uses ``trading_days`` as the sessions and the NYSE's close of the day as the
        close (16:00 New York, 13:00 on early-close days such as 2018-11-23; see
        :func:`default_close`), so both give the same day 0 for the same timestamp.
    trading_days
        Sessions to use when ``exchange`` is ``None``.

    Returns
    -------
    EventDay
        The event's date, the session that is day 0, the timestamp given (if any) and the
        reason for any move.

    Raises
    ------
    ParameterError
        If the value is malformed, outside the calendar (before the first of ``trading_days``
        when ``exchange`` is ``None``), or not a session with ``non_session="raise"``.
    """
    _check_policy(non_session)
    stamp = parse_event(value, parameter)
    if exchange is not None:
        calendar = exchange_calendar(exchange)
        days = pd.DatetimeIndex(calendar.sessions)
        tz = str(calendar.tz)
        closes = calendar.closes
        name = {"XNYS": "NYSE"}.get(exchange, exchange)
    else:
        if trading_days is None or len(trading_days) == 0:
            raise ParameterError("trading_days", trading_days, "give the trading days when exchange=None")
        days = pd.DatetimeIndex(trading_days)
        tz, closes, name = NEW_YORK, None, "market"
    event_time = stamp if stamp.tzinfo is not None else None
    local = stamp.tz_convert(tz) if event_time is not None else stamp
    date = pd.Timestamp(local.date())
    text = f"{date:%Y-%m-%d}"
    if exchange is not None and not days[0] <= date <= days[-1]:
        raise ParameterError(
            parameter, value if isinstance(value, str) else text,
            f"give a date between {days[0]:%Y-%m-%d} and {days[-1]:%Y-%m-%d}, "
            f"the range of the {name} calendar",
        )
    if exchange is None and date < days[0]:
        raise ParameterError(
            parameter, value if isinstance(value, str) else text,
            f"give a date on or after {days[0]:%Y-%m-%d}, the first trading day with data (an "
            "event is never moved to other dates)",
        )
    pos = int(days.searchsorted(date, side="left"))
    if pos == len(days):  # after the market's last day: nothing to adjust, locate_event says why
        return EventDay(date, date, event_time, None)
    if days[pos] == date:
        if event_time is not None:
            close = closes[date] if closes is not None else default_close(date)
            if event_time >= close:
                if pos + 1 >= len(days):
                    raise ParameterError(parameter, value, f"the {name} calendar has no session after it")
                close_text = close.tz_convert(tz).strftime("%H:%M")
                return EventDay(
                    date, days[pos + 1], event_time,
                    f"{local:%Y-%m-%d %H:%M} {tz} is at or after the {close_text} close: "
                    f"day 0 moved to the next session, {days[pos + 1]:%Y-%m-%d}",
                )
        return EventDay(date, date, event_time, None)
    before = days[pos - 1] if pos > 0 else None
    after = days[pos] if pos < len(days) else None
    if non_session == "raise":
        near = " and ".join(f"{d:%Y-%m-%d}" for d in (before, after) if d is not None)
        raise ParameterError(
            parameter, value if isinstance(value, str) else text,
            f"{text} is not a {name} session (the nearest are {near}); give a session date or "
            "choose non_session='next' or 'previous'",
        )
    day0 = after if non_session == "next" else before
    if day0 is None:
        raise ParameterError(parameter, value, f"the {name} calendar has no session {non_session} to it")
    return EventDay(
        date, day0, event_time,
        f"{text} is not a {name} session: day 0 moved to the {non_session} session, {day0:%Y-%m-%d}",
    )


def default_close(date: pd.Timestamp) -> pd.Timestamp:
    """The close used on ``date`` when no exchange calendar is given: the NYSE's.

    16:00 New York, or the NYSE's early close (13:00 on the day after Thanksgiving, Christmas
    Eve...) when ``date`` is one of its early-close sessions; a date that is not an NYSE session
    gets 16:00.
    """
    closes = exchange_calendar(DEFAULT_EXCHANGE).closes
    day = pd.Timestamp(date).normalize()
    if day in closes.index:
        return pd.Timestamp(closes[day]).tz_convert(NEW_YORK)
    return pd.Timestamp(f"{day:%Y-%m-%d} 16:00", tz=NEW_YORK)


def last_closed_session(
    now: pd.Timestamp | None = None,
    *,
    exchange: str = DEFAULT_EXCHANGE,
    settle: pd.Timedelta = pd.Timedelta(hours=1),
) -> pd.Timestamp:
    """The latest session whose close is at least ``settle`` before ``now`` (its data are final).

    Parameters
    ----------
    now
        The current time (default: the clock); a naive value is taken as UTC.
    exchange
        exchange_calendars code (default NYSE).
    settle
        How long after the close a day's bar is taken as complete.
    """
    calendar = exchange_calendar(exchange)
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now.tzinfo is None:
        now = now.tz_localize("UTC")
    closes = calendar.closes
    done = closes[closes + settle <= now]
    if len(done) == 0:
        raise ParameterError("now", f"{now}", "the exchange calendar has no closed session before it")
    return pd.Timestamp(done.index[-1]).normalize()
