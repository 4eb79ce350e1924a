"""The exchanges' sessions and closes, from exchange_calendars (built on first use, never at
import)."""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from typing import Any

import pandas as pd

from eventstudy.calendar.exchanges import DEFAULT_EXCHANGE, check_exchange
from eventstudy.exceptions import ParameterError



#: The exchange calendar covers sessions from this date (Yahoo's oldest daily data are from 1927).
CALENDAR_START = "1928-01-03"


#: Time zone of the close used when no exchange calendar is given (``exchange=None``): the
#: NYSE's close in New York (16:00, or 13:00 on its early-close days).
NEW_YORK = "America/New_York"


@functools.lru_cache(maxsize=64)
def exchange_calendar(exchange: str = DEFAULT_EXCHANGE) -> Any:
    """The ``exchange_calendars`` calendar of ``exchange``, built once per process.

    Parameters
    ----------
    exchange
        An exchange_calendars code: ``"XNYS"`` (NYSE, the default), ``"XNAS"``, ``"XLON"``...

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        Sessions from :data:`CALENDAR_START`, or from the first date exchange_calendars records
        the exchange's holidays (its ``bound_min``: 1997 for Tokyo, 1960 for Hong Kong, 1990
        for Shanghai), to about a year ahead.

    Raises
    ------
    ParameterError
        If exchange_calendars has no calendar of that name.
    """
    import exchange_calendars

    exchange = check_exchange(exchange)
    with warnings.catch_warnings():  # the library's own pandas deprecations are not the user's
        warnings.filterwarnings("ignore", module=r"exchange_calendars(\.|$)")
        try:
            return exchange_calendars.get_calendar(exchange, start=CALENDAR_START)
        except ValueError:  # the holidays are recorded from a later date: start there
            bound = exchange_calendars.get_calendar(exchange).bound_min()
            return exchange_calendars.get_calendar(
                exchange, start=max(bound, pd.Timestamp(CALENDAR_START)))


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
