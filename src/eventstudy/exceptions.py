"""Errors and warnings raised by eventstudy.

Every error names the parameter, the value received and what is allowed, so a
message alone tells the user how to fix the call. All errors derive from
:class:`EventStudyError`, itself a :class:`ValueError`, so callers can catch the
whole family at once; the command line turns them into one-line messages.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Longest text :func:`safe_text` shows before cutting it.
SAFE_TEXT_LIMIT = 80


def safe_text(value: object, limit: int = SAFE_TEXT_LIMIT) -> str:
    """A quoted, printable representation of ``value`` for messages printed to a terminal.

    Control characters (escape sequences, newlines, ...) are shown as escapes by :func:`repr`,
    and text longer than ``limit`` characters is cut and marked, so a ticker read from a file
    or returned by a source can neither rewrite the terminal nor flood it.

    >>> safe_text("FB")
    "'FB'"
    >>> safe_text("\x1b[2J\nX")
    "'\\x1b[2J\\nX'"
    """
    text = value if isinstance(value, str) else str(value)
    shown = repr(text[:limit])
    return shown + (f"... ({len(text)} characters)" if len(text) > limit else "")


def closest_hint(given: Iterable[object], allowed: Iterable[str]) -> str:
    """``"; did you mean 'patell'?"`` for the first of ``given`` that is close to one of ``allowed``
    (:func:`difflib.get_close_matches`, case-insensitive), else ``""``: the tail of a message."""
    import difflib

    choices = {name.lower(): name for name in allowed}
    for value in given:
        close = difflib.get_close_matches(str(value).lower(), list(choices), n=1, cutoff=0.6)
        if close:
            return f"; did you mean {choices[close[0]]!r}?"
    return ""


def safe_name(value: object) -> str:
    """``value`` as it is when it is short printable text, else :func:`safe_text` (quoted)."""
    text = value if isinstance(value, str) else str(value)
    return text if text.isprintable() and 0 < len(text) <= SAFE_TEXT_LIMIT else safe_text(text)


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
    """A ticker has no data in the chosen source. ``hint`` (a suggestion such as another case or
    the name a renamed security is kept under) is given by the caller that knows the data:
    :func:`eventstudy.data.snapshot.unknown_ticker`."""

    def __init__(self, ticker: str, available: Iterable[str], parameter: str = "ticker",
                 hint: str = "") -> None:
        self.ticker = ticker
        self.available = sorted(available)
        self.parameter = parameter
        super().__init__(
            f"{parameter}: {safe_text(ticker)} has no data in the committed snapshot; "
            f"available: {', '.join(self.available)}" + (f"; {hint}" if hint else "")
        )


class WindowError(EventStudyError):
    """An estimation or event window cannot be placed around the event date."""


class EventStudyWarning(UserWarning):
    """Base class of eventstudy's warnings (turned into errors in the test suite)."""


class FetchError(DataError):
    """Prices or factors could not be fetched from their online source.

    ``ticker`` names the security (as the user asked for it) when the error concerns one.
    """

    def __init__(self, message: str, ticker: str | None = None) -> None:
        self.ticker = ticker
        super().__init__(message)


class NoDataError(FetchError):
    """The source answered, but with no data for a ticker; ``reason`` is what it said."""

    def __init__(self, message: str, ticker: str | None = None, reason: str = "") -> None:
        self.reason = reason
        super().__init__(message, ticker)


class BeforeFirstTradeError(NoDataError):
    """The date range starts before the first trading day of a security.

    ``first_date`` is the first date with data (``None`` when the source did not say).
    """

    def __init__(self, message: str, ticker: str | None = None, first_date: object = None) -> None:
        self.first_date = first_date
        super().__init__(message, ticker, reason="before the first trading day")


class NetworkError(FetchError):
    """The source could not be reached (no connection, name lookup failed, timeout)."""


class RateLimitError(FetchError):
    """The source kept refusing requests as too many, after the bounded retries."""


class BatchFetchError(FetchError):
    """Some tickers of a batch failed; the others were kept.

    Attributes
    ----------
    failures
        ``{ticker: error}`` for each ticker that failed.
    prices
        Tidy frame of the tickers that succeeded (possibly empty).
    """

    def __init__(self, failures: dict, prices: object) -> None:
        self.failures = dict(failures)
        self.prices = prices
        names = ", ".join(safe_name(name) for name in self.failures)
        details = "; ".join(str(error) for error in self.failures.values())
        super().__init__(f"tickers: {len(self.failures)} failed ({names}): {details}")


class CacheError(DataError):
    """The on-disk cache does not hold the data asked for, or holds a damaged file."""


class CacheWriteError(CacheError):
    """The cache folder refused a write (full disk, read-only, a name too long, a link outside).

    ``folder`` is the cache folder concerned. The previous version of the entry is kept.
    """

    def __init__(self, message: str, folder: str = "") -> None:
        self.folder = folder
        super().__init__(message)


class DataQualityWarning(EventStudyWarning):
    """Loaded data look suspicious (gaps on exchange sessions, extreme returns); nothing dropped."""


class CacheCorruptWarning(EventStudyWarning):
    """A cache file was damaged or truncated; it was not used and is being fetched again."""


class CacheWriteWarning(EventStudyWarning):
    """Data were fetched and used, but could not be stored in the cache (the message says why)."""


class IntegratedGarchWarning(EventStudyWarning):
    """A GARCH(1,1) fit has :math:`a + b \\ge 0.999`: its variance forecasts grow without bound."""


class ClusteredEventsWarning(EventStudyWarning):
    """Events share a day-0 date, and statistics that assume independent events are shown.

    Abnormal returns of events on the same date are cross-correlated, so unadjusted multi-event
    statistics overstate significance (Kolari & Pynnonen 2010, *Rev. Financ. Stud.* 23(11)).
    """


class SmallSampleWarning(EventStudyWarning):
    """A regression has few observations for its number of coefficients, so its standard errors
    (above all heteroskedasticity- and autocorrelation-consistent ones, which rest on large-sample
    theory) are unreliable."""
