r"""Events tables: read them, place each event's day 0, and account for every row.

A multi-event study starts from a table of events, one row each: the security (``ticker``, or
``security``, or the id column of the user's panel, e.g. ``permno``), the ``event_date`` (a date
or a timestamp with a time zone) and optionally the ``market``. Other columns ride along (firm
characteristics for a cross-sectional regression, a benchmark column for long horizons).

Every row ends in exactly one status, recorded in the study's ``accounting``:

- ``studied``: day 0 is the event date;
- ``studied_day0_moved``: studied, with day 0 moved (a weekend or holiday, or a timestamp after
  the close) and the reason;
- ``duplicate``: the same security, day 0 and market as an earlier row (whatever the spelling
  of the date): studied once, under the earlier row;
- ``skipped``: not studied, with the reason (an unknown security, a date outside the data,
  too little history, a degenerate estimation...).

The counts add up to the rows read. Day 0 is placed on the trading days of the data (the
market series' dates) by one vectorised search for plain dates; timestamps go through
:func:`eventstudy.calendar.resolve_event`, once per distinct value. A date outside the data's
trading days is skipped with the reason, never moved to the data's first or last day.

The modules: :mod:`~eventstudy.events.table` (reading the file), :mod:`~eventstudy.events.placing`
(day 0, duplicates), :mod:`~eventstudy.events.accounting` (statuses and counts). May import:
calendar and the foundation.
"""

from eventstudy.events.accounting import STATUSES, accounting_counts, accounting_frame
from eventstudy.events.placing import PlacedEvents, find_duplicates, place_events
from eventstudy.events.table import SECURITY_COLUMNS, id_column_of, read_events

__all__ = ["SECURITY_COLUMNS", "STATUSES", "PlacedEvents", "accounting_counts", "accounting_frame",
           "find_duplicates", "id_column_of", "place_events", "read_events"]
