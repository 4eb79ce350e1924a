"""Ticker history: which symbol Yahoo serves for a symbol asked for over given dates, and the
name the snapshot keeps a renamed security under.

Symbols change hands. :data:`ALIASES` maps a requested symbol and date range to the symbol
Yahoo serves for it today:

========  ==========================  ========  =============================================
asked     dates                       fetched   why
========  ==========================  ========  =============================================
FB        up to 2022-06-08            META      Facebook (Meta Platforms) traded as FB until
                                                2022-06-08; Yahoo serves its whole history
                                                under META
ANTM      up to 2022-06-27            ELV       Anthem became Elevance Health (ELV)
SQ        up to 2025-01-17            XYZ       Block, Inc. changed its symbol to XYZ
BRK.B     any                         BRK-B     Yahoo writes share classes with a hyphen
BF.B      any                         BF-B      idem
========  ==========================  ========  =============================================

A request that runs past the last date of an entry (FB for 2022 as a whole, say) is refused
with a message naming the symbol to ask for instead. META itself is fetched as META for any
date; before 2022-06-09 the symbol META belonged to another security (the Roundhill Ball
Metaverse ETF, now METV), but Yahoo's META history is Meta Platforms' (ex-FB), and the result
says so in its note. The result always keeps the name the user asked for and records the
symbol fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from eventstudy.exceptions import ParameterError

__all__ = ["ALIASES", "Alias", "Resolved", "resolve_symbol", "snapshot_name_hint"]


@dataclass(frozen=True)
class Alias:
    """One entry of the alias table: ``symbol`` over ``since .. until`` is ``yahoo`` on Yahoo."""

    symbol: str
    yahoo: str
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    note: str = ""
    successor: str | None = None


def _day(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text)


#: The alias table (see the module docstring).
ALIASES: tuple[Alias, ...] = (
    Alias("FB", "META", until=_day("2022-06-08"), successor="META",
          note="FB traded until 2022-06-08 and is META since 2022-06-09; Yahoo serves FB's "
               "history under META"),
    Alias("META", "META", until=_day("2022-06-08"),
          note="before 2022-06-09 the symbol META belonged to another security (Roundhill Ball "
               "Metaverse ETF, now METV); Yahoo's META history before that date is Meta "
               "Platforms' (then FB)"),
    Alias("ANTM", "ELV", until=_day("2022-06-27"), successor="ELV",
          note="Anthem (ANTM) is Elevance Health (ELV) since 2022-06-28; Yahoo serves its "
               "history under ELV"),
    Alias("SQ", "XYZ", until=_day("2025-01-17"), successor="XYZ",
          note="Block, Inc. traded as SQ until 2025-01-17 and as XYZ since 2025-01-21; Yahoo "
               "serves its history under XYZ"),
    Alias("BRK.B", "BRK-B", note="Yahoo writes share classes with a hyphen"),
    Alias("BF.B", "BF-B", note="Yahoo writes share classes with a hyphen"),
)


@dataclass(frozen=True)
class Resolved:
    """A requested ticker and the Yahoo symbol that serves it over the requested dates."""

    ticker: str
    symbol: str
    note: str = ""


def resolve_symbol(
    ticker: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    aliases: Iterable[Alias] = ALIASES,
) -> Resolved:
    """The Yahoo symbol to fetch for ``ticker`` over ``start .. end`` (see :data:`ALIASES`).

    Parameters
    ----------
    ticker
        The symbol as the user asked for it (case-insensitive: Yahoo symbols are upper case).
    start, end
        The dates requested, inclusive.

    Returns
    -------
    Resolved
        ``ticker`` (as given), the Yahoo ``symbol`` and a ``note`` when an alias applied.

    Raises
    ------
    ParameterError
        If the dates run past the last day the symbol was used (e.g. FB after 2022-06-08).
    """
    key = ticker.strip().upper()
    for alias in aliases:
        if alias.symbol != key:
            continue
        if alias.since is not None and end < alias.since:
            continue
        if alias.until is not None and end > alias.until:
            if alias.successor is None:
                continue
            raise ParameterError(
                "tickers",
                ticker,
                f"{alias.symbol} was last used on {alias.until:%Y-%m-%d} and the range ends "
                f"{end:%Y-%m-%d}; ask for {alias.successor}, the same security's symbol since "
                f"then (Yahoo serves its whole history under {alias.yahoo})",
            )
        return Resolved(ticker, alias.yahoo, alias.note)
    return Resolved(ticker, key, "")


def snapshot_name_hint(ticker: str, available: Iterable[str]) -> str:
    """A suggestion for a ticker the snapshot lacks: another case (``fb`` -> ``FB``), or the name
    the snapshot keeps a renamed security under (``META`` -> ``FB``, from :data:`ALIASES`);
    ``""`` when there is none."""
    names = list(available)
    same = [name for name in names if name.upper() == ticker.strip().upper()]
    if same:
        return f"did you mean {same[0]!r}? (tickers are case-sensitive)"
    for alias in ALIASES:
        if alias.yahoo == ticker.strip().upper() and alias.symbol != alias.yahoo and alias.symbol in names:
            return f"the snapshot has it as {alias.symbol!r} ({alias.note})"
    return ""
