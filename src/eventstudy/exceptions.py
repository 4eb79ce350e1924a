"""Errors and warnings raised by eventstudy.

Every error names the parameter, the value received and what is allowed, so a
message alone tells the user how to fix the call. All errors derive from
:class:`EventStudyError`, itself a :class:`ValueError`, so callers can catch the
whole family at once; the command line turns them into one-line messages.
"""

from __future__ import annotations

from collections.abc import Iterable


class EventStudyError(ValueError):
    """Base class of every error eventstudy raises on bad input or data."""


class ParameterError(EventStudyError):
    """A parameter has a value that is not allowed.

    The message has the form ``<parameter>: <value> is not allowed; <what is allowed>``.
    """

    def __init__(self, parameter: str, value: object, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"{parameter}: {value!r} is not allowed; {allowed}")


class DataError(EventStudyError):
    """The data needed for a study are missing or unusable."""


class UnknownTickerError(DataError):
    """A ticker has no data in the chosen source."""

    def __init__(self, ticker: str, available: Iterable[str], parameter: str = "ticker") -> None:
        self.ticker = ticker
        self.available = sorted(available)
        self.parameter = parameter
        super().__init__(
            f"{parameter}: {ticker!r} has no data in the committed snapshot; "
            f"available: {', '.join(self.available)}"
        )


class WindowError(EventStudyError):
    """An estimation or event window cannot be placed around the event date."""


class EventStudyWarning(UserWarning):
    """Base class of eventstudy's warnings (turned into errors in the test suite)."""
