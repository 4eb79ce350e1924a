r"""Which exchange places an event, and which index is its market when none is given.

Every event is placed on the sessions of one exchange, named by its exchange_calendars code
(an ISO 10383 market identifier such as ``XNYS``, ``XLON``, ``XTKS``): day 0, the close that
moves a late timestamp to the next session, early closes and the dates the exchange was shut
are that exchange's, in its time zone. The exchange of an event is, in order:

1. the one given for it (``--exchange``, ``exchange=``, or the events file's ``exchange``
   column);
2. else the one of its Yahoo symbol's suffix (:data:`YAHOO_SUFFIXES`: ``VOD.L`` trades in
   London, ``XLON``), or of the index table (``^N225`` is Tokyo's);
3. else the New York Stock Exchange, ``XNYS`` (a Yahoo symbol without a suffix is a US
   listing).

A suffix that names another exchange than the one given is an error: ``VOD.L`` cannot be
placed on Tokyo's sessions by mistake. ``XNAS`` and ``XNYS`` are one calendar (as are the
exchanges exchange_calendars lists as aliases); :func:`canonical` compares them as such.

The market of an event without one is the usual index of its exchange
(:data:`DEFAULT_INDEX`); a market index of another exchange than the security's is allowed
but warned about: the two close at different hours, so the day's market return and the
stock's are not synchronous (a lag a market model does not see).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from eventstudy.exceptions import DataError, ParameterError

#: The exchange whose sessions place day 0 when nothing says otherwise (the NYSE).
DEFAULT_EXCHANGE = "XNYS"

#: Yahoo Finance symbol suffix -> exchange_calendars code of the exchange it quotes.
#: Shenzhen (``.SZ``) shares Shanghai's calendar ``XSHG`` and the NSE (``.NS``) the BSE's
#: ``XBOM``: exchange_calendars has one calendar for each pair.
YAHOO_SUFFIXES: dict[str, str] = {
    # Europe
    "L": "XLON", "IL": "XLON", "DE": "XETR", "F": "XFRA", "DU": "XDUS", "HM": "XHAM",
    "SG": "XSTU", "PA": "XPAR", "AS": "XAMS", "BR": "XBRU", "LS": "XLIS", "IR": "XDUB",
    "MC": "XMAD", "MI": "XMIL", "SW": "XSWX", "VI": "XWBO", "ST": "XSTO", "CO": "XCSE",
    "HE": "XHEL", "OL": "XOSL", "IC": "XICE", "AT": "ASEX", "PR": "XPRA", "WA": "XWAR",
    "BD": "XBUD", "IS": "XIST",
    # Asia and the Pacific
    "T": "XTKS", "HK": "XHKG", "SS": "XSHG", "SZ": "XSHG", "NS": "XBOM", "BO": "XBOM",
    "KS": "XKRX", "KQ": "XKRX", "TW": "XTAI", "TWO": "XTAI", "SI": "XSES", "KL": "XKLS",
    "BK": "XBKK", "JK": "XIDX", "PS": "XPHS", "AX": "XASX", "NZ": "XNZE",
    # the Americas, Africa, the Middle East
    "TO": "XTSE", "V": "XTSE", "SA": "BVMF", "MX": "XMEX", "BA": "XBUE", "SN": "XSGO",
    "JO": "XJSE", "TA": "XTAE", "SR": "XSAU",
}

#: Exchange -> Yahoo symbol of the index used as its market by default.
DEFAULT_INDEX: dict[str, str] = {
    "XNYS": "^GSPC", "XNAS": "^IXIC", "XTSE": "^GSPTSE", "BVMF": "^BVSP", "XMEX": "^MXX",
    "XLON": "^FTSE", "XETR": "^GDAXI", "XFRA": "^GDAXI", "XPAR": "^FCHI", "XAMS": "^AEX",
    "XBRU": "^BFX", "XMIL": "FTSEMIB.MI", "XMAD": "^IBEX", "XSWX": "^SSMI", "XSTO": "^OMX",
    "XWBO": "^ATX",
    "XTKS": "^N225", "XHKG": "^HSI", "XSHG": "000001.SS", "XBOM": "^BSESN", "XKRX": "^KS11",
    "XTAI": "^TWII", "XSES": "^STI", "XKLS": "^KLSE", "XIDX": "^JKSE", "XASX": "^AXJO",
    "XNZE": "^NZ50",
}

#: Index symbol -> the exchange whose shares it holds (read back to warn about a market
#: index of another exchange than the security's).
INDEX_EXCHANGE: dict[str, str] = {
    **{symbol: mic for mic, symbol in DEFAULT_INDEX.items() if mic not in ("XFRA",)},
    "^DJI": "XNYS", "^NYA": "XNYS", "^RUT": "XNYS", "^NDX": "XNAS", "^FTMC": "XLON",
    "^FTAS": "XLON", "^TOPX": "XTKS",
}

_SUFFIX = re.compile(r"\.([A-Za-z]{1,3})$")


@functools.lru_cache(maxsize=1)
def exchange_names() -> frozenset[str]:
    """Every code exchange_calendars knows, aliases included (``XNAS``, ``LSE``...)."""
    import exchange_calendars

    return frozenset(exchange_calendars.get_calendar_names(include_aliases=True))


def check_exchange(code: object, parameter: str = "exchange") -> str:
    """``code`` as an exchange_calendars code (upper case), or a one-line
    :class:`~eventstudy.exceptions.ParameterError` naming what is allowed."""
    text = code.strip().upper() if isinstance(code, str) else None
    if text is None or text not in exchange_names():
        raise ParameterError(
            parameter, code,
            "give an exchange_calendars code (a market identifier code), e.g. XNYS (New York), "
            "XLON (London), XETR (Xetra), XPAR (Paris), XTKS (Tokyo), XHKG (Hong Kong), XSHG "
            "(Shanghai), XBOM (Mumbai), XASX (Sydney), XTSE (Toronto), BVMF (Sao Paulo)",
        )
    return text


@functools.lru_cache(maxsize=256)
def canonical(code: str) -> str:
    """The calendar a code stands for: ``XNAS`` -> ``XNYS`` (one calendar), else itself."""
    from exchange_calendars.calendar_utils import global_calendar_dispatcher

    return str(global_calendar_dispatcher.resolve_alias(code))


def yahoo_suffix(symbol: str) -> str | None:
    """The suffix of a Yahoo symbol when it names an exchange (``"L"`` for ``VOD.L``)."""
    match = _SUFFIX.search(symbol.strip())
    if match is None:
        return None
    suffix = match.group(1).upper()
    return suffix if suffix in YAHOO_SUFFIXES else None


@dataclass(frozen=True)
class Listing:
    """Where a symbol trades, and how that is known (``"Yahoo suffix .L"``...)."""

    exchange: str
    how: str


def listing_of(symbol: str) -> Listing | None:
    """The exchange a Yahoo symbol is listed on, from its suffix or :data:`INDEX_EXCHANGE`;
    ``None`` when the symbol does not say (a US listing on Yahoo, or an id of a panel)."""
    suffix = yahoo_suffix(symbol)
    if suffix is not None:
        return Listing(YAHOO_SUFFIXES[suffix], f"Yahoo suffix .{suffix}")
    key = symbol.strip().upper()
    if key in INDEX_EXCHANGE:
        return Listing(INDEX_EXCHANGE[key], "an index of that exchange")
    if key.endswith("=X"):  # Yahoo's exchange rates trade every weekday
        return Listing("24/5", "an exchange rate on Yahoo")
    return None


def exchange_of(ticker: str, given: str | None = None, parameter: str = "exchange") -> str:
    """The exchange that places an event of ``ticker`` (module docstring: given, suffix, XNYS).

    Raises
    ------
    ParameterError
        ``given`` is not an exchange code, or ``ticker``'s suffix names another exchange.
    """
    listing = listing_of(ticker)
    if given is None or (isinstance(given, str) and not given.strip()):
        return listing.exchange if listing is not None else DEFAULT_EXCHANGE
    code = check_exchange(given, parameter)
    if yahoo_suffix(ticker) is not None and listing is not None \
            and canonical(listing.exchange) != canonical(code):
        raise ParameterError(
            parameter, code,
            f"{ticker} is listed on {listing.exchange} ({listing.how}); give {listing.exchange} or "
            "leave the exchange out",
        )
    return code


def default_market(exchange: str, parameter: str = "market") -> str:
    """The index used as the market of ``exchange``'s events when none is given.

    Raises
    ------
    DataError
        The exchange has no default index in :data:`DEFAULT_INDEX`.
    """
    index = DEFAULT_INDEX.get(exchange) or DEFAULT_INDEX.get(canonical(exchange))
    if index is None:
        raise DataError(
            f"{parameter}: {exchange} has no default market index (the table is in "
            "docs/exchanges.md); name the market with --market or the events file's market column"
        )
    return index


def market_mismatch(ticker: str, exchange: str, market: str) -> str | None:
    """Why the Yahoo symbol ``market`` is not ``exchange``'s (one line), or ``None`` when it is.
    A symbol without a suffix is a US listing."""
    listing = listing_of(market) or Listing(DEFAULT_EXCHANGE, "a US listing on Yahoo")
    if canonical(listing.exchange) == canonical(exchange):
        return None
    kind = "an index of" if market.strip().upper() in INDEX_EXCHANGE else "listed on"
    return (
        f"market: {market} is {kind} {listing.exchange}, but {ticker} is placed on "
        f"{exchange}: the windows count the {exchange} sessions on which {market} also traded, "
        "and the two close at different hours (the day's returns are not synchronous); the "
        f"market of {exchange} by default is {DEFAULT_INDEX.get(exchange, 'not in the table')}"
    )
