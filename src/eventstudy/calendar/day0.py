"""Which session is day 0: events given as dates or timestamps, placed on an exchange's sessions
and closes (:func:`resolve_event`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from eventstudy.calendar.sessions import (
    DEFAULT_EXCHANGE,
    NEW_YORK,
    default_close,
    exchange_calendar,
)
from eventstudy.exceptions import ParameterError

#: What to do with an event on a day the exchange was closed.
NON_SESSION_POLICIES = ("next", "previous", "raise")


def parse_event_date(value: str | dt.date | pd.Timestamp, parameter: str = "event_date") -> pd.Timestamp:
    """Turn ``value`` into a midnight :class:`pandas.Timestamp`, or raise a clear error."""
    if isinstance(value, str):
        # YYYY-MM-DD, and the same without leading zeros (2018-8-6), as people type dates
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
        try:
            parsed = (dt.date(*(int(g) for g in match.groups())) if match
                      else dt.date.fromisoformat(value.strip()))
        except ValueError:
            raise ParameterError(parameter, value, "give a calendar date as YYYY-MM-DD") from None
        return pd.Timestamp(parsed)
    if isinstance(value, (dt.date, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None or stamp != stamp.normalize():
            raise ParameterError(parameter, value, "give a calendar date without a time of day")
        return stamp
    raise ParameterError(parameter, value, "give a calendar date as YYYY-MM-DD")


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
    if exchange is not None and date < days[0]:
        raise ParameterError(
            parameter, value if isinstance(value, str) else text,
            f"give a date on or after {days[0]:%Y-%m-%d}, the first session of the {name} calendar",
        )
    if exchange is not None and date > days[-1]:
        raise ParameterError(
            parameter, value if isinstance(value, str) else text,
            f"give a date on or before {days[-1]:%Y-%m-%d}, the last session of the {name} calendar",
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
