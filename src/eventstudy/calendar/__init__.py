"""Event time: day 0 and the estimation and event windows, counted in trading days.

Windows are pairs ``(start, end)`` of relative days, both inclusive, counted on the trading days
given by the caller (the dates of the market's return series).

Which session is day 0 comes from the exchange's own calendar (NYSE, ``"XNYS"``, by default),
taken from the maintained `exchange_calendars <https://github.com/gerrymanoim/exchange_calendars>`_
library rather than inferred from the data: it knows every holiday and unscheduled closure (such
as 2018-12-05, the national day of mourning for George H. W. Bush) and every early close. The rules
(:func:`resolve_event`):

* an event given as a date that is a session is day 0 itself;
* an event given as a timestamp with a time zone is placed in the exchange's time zone (New York
  for the NYSE): before the session's close (16:00, or 13:00 on early-close days, in New York) it
  is that session; at or after the close, day 0 is the next session;
* a date (or a timestamp's local date) that is not a session follows ``non_session``:
  ``"next"`` (default) takes the next session, ``"previous"`` the one before, ``"raise"`` refuses.

The exchange calendar is built on first use, never at import.

Which exchange places an event, and its default market index, is decided by
:mod:`~eventstudy.calendar.exchanges` (Yahoo suffixes, ``--exchange``, the events file's column).

The modules: :mod:`~eventstudy.calendar.sessions` (exchange calendars), :mod:`~eventstudy.calendar.day0`
(placing an event), :mod:`~eventstudy.calendar.windows` (windows in trading days). May import: the
foundation only (so that every layer, data included, may use it).
"""

from eventstudy.calendar.day0 import (
    NON_SESSION_POLICIES,
    EventDay,
    parse_event,
    parse_event_date,
    resolve_event,
)
from eventstudy.calendar.sessions import (
    CALENDAR_START,
    DEFAULT_EXCHANGE,
    NEW_YORK,
    default_close,
    exchange_calendar,
    last_closed_session,
    sessions,
)
from eventstudy.calendar.windows import (
    MAX_WINDOW_DAYS,
    EventTiming,
    Window,
    as_window,
    check_disjoint,
    locate_event,
)

__all__ = ["CALENDAR_START", "DEFAULT_EXCHANGE", "MAX_WINDOW_DAYS", "NEW_YORK", "NON_SESSION_POLICIES",
           "EventDay", "EventTiming", "Window", "as_window", "check_disjoint", "default_close",
           "exchange_calendar", "last_closed_session", "locate_event", "parse_event",
           "parse_event_date", "resolve_event", "sessions"]
