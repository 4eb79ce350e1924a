r"""Prices in another currency: Yahoo's daily exchange rates applied to local prices.

Each exchange quotes in its own currency (:data:`EXCHANGE_CURRENCY`: London in pounds, Tokyo in
yen...), and by default every study stays in it: a local-market model (a stock on its own index)
needs no conversion, since the exchange rate would enter both sides (Campbell, Cowan & Salotti
2010, *J. Bank. Finance* 34(12)). A study against a world index or dollar factors (the French
regional factors are in US dollars) may want every return in one currency: ``currency="USD"``
(``--currency USD``) multiplies each price by the rate of its currency on the same date,

.. math:: P^{USD}_t = P^{GBP}_t \, X_t, \qquad
          1 + R^{USD}_t = (1 + R^{GBP}_t)\,(1 + R^{X}_t),

with :math:`X_t` the close of Yahoo's ``GBPUSD=X`` (dollars per pound) on date :math:`t`. The
consequence, a choice to make knowingly: the converted return carries the currency's move, and
Yahoo's daily rate is taken at its own time of day (around midnight London), not at the
exchange's close, so a few hours of currency news are mistimed. A date without a rate leaves
the price (and so two returns) missing, reported, never filled.

A security's currency is its exchange's: from its Yahoo suffix or the index table
(:func:`eventstudy.calendar.exchanges.listing_of`), else the exchange its events are placed on
(a symbol without a suffix is a US listing, in dollars). Yahoo quotes London in pence (GBp),
Johannesburg in cents and Tel Aviv in agorot: a constant factor, which changes no return.
"""

from __future__ import annotations

import os
import re
import warnings
import numpy as np
import pandas as pd

from eventstudy.calendar.exchanges import canonical, listing_of
from eventstudy.exceptions import BatchFetchError, DataQualityWarning, EventStudyError, ParameterError

#: Exchange -> ISO 4217 code of the currency its shares are quoted in.
EXCHANGE_CURRENCY: dict[str, str] = {
    "XNYS": "USD", "XTSE": "CAD", "BVMF": "BRL", "XMEX": "MXN", "XBUE": "ARS", "XSGO": "CLP",
    "XLON": "GBP", "XSWX": "CHF", "XSTO": "SEK", "XCSE": "DKK", "XOSL": "NOK", "XICE": "ISK",
    "XPRA": "CZK", "XWAR": "PLN", "XBUD": "HUF", "XIST": "TRY",
    **dict.fromkeys(("XETR", "XFRA", "XDUS", "XHAM", "XSTU", "XPAR", "XAMS", "XBRU", "XLIS",
                     "XDUB", "XMAD", "XMIL", "XWBO", "XHEL", "ASEX"), "EUR"),
    "XTKS": "JPY", "XHKG": "HKD", "XSHG": "CNY", "XBOM": "INR", "XKRX": "KRW", "XTAI": "TWD",
    "XSES": "SGD", "XKLS": "MYR", "XBKK": "THB", "XIDX": "IDR", "XPHS": "PHP", "XASX": "AUD",
    "XNZE": "NZD", "XJSE": "ZAR", "XTAE": "ILS", "XSAU": "SAR",
}

#: The calendar of Yahoo's exchange rates: every weekday.
FX_CALENDAR = "24/5"

_CODE = re.compile(r"[A-Z]{3}")


def check_currency(code: object, parameter: str = "currency") -> str:
    """An ISO 4217 code among :data:`EXCHANGE_CURRENCY`'s, upper case."""
    text = code.strip().upper() if isinstance(code, str) else None
    known = sorted(set(EXCHANGE_CURRENCY.values()))
    if text is None or not _CODE.fullmatch(text) or text not in known:
        raise ParameterError(parameter, code, f"give a currency code: {', '.join(known)}")
    return text


def currency_of(symbol: str, exchange: str) -> str:
    """The currency of ``symbol``'s prices: its listing's exchange's, else ``exchange``'s."""
    listing = listing_of(symbol)
    mic = canonical(listing.exchange if listing is not None else exchange)
    if mic not in EXCHANGE_CURRENCY:
        raise ParameterError("currency", symbol, f"the currency of {mic} is not in eventstudy's "
                             "table; study it in its own currency (leave --currency out)")
    return EXCHANGE_CURRENCY[mic]


def fx_symbol(local: str, target: str) -> str:
    """Yahoo's symbol of the rate in ``target`` per unit of ``local`` (``GBPUSD=X``)."""
    return f"{local}{target}=X"


def convert_prices(
    prices: pd.DataFrame, target: str, exchange: str, *, source: str,
    cache_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The tidy ``prices`` (:func:`eventstudy.data.snapshot.load_prices`) in ``target`` currency.

    Every price column is multiplied by the rate of the ticker's currency (:func:`currency_of`)
    on the same date, fetched from Yahoo (or the cache) over the frame's dates with
    :func:`eventstudy.data.sources.get_prices` (``source="snapshot"`` reads rates from the cache,
    fetching what it lacks: the snapshot holds none). ``volume`` is unchanged.

    Returns
    -------
    (pandas.DataFrame, dict)
        The converted prices (the tickers whose rate could not be had are left out), and
        ``{ticker: reason}`` for those.

    Warns
    -----
    DataQualityWarning
        Dates of a ticker without a rate (its price is then missing there).
    """
    from eventstudy.data.sources import get_prices

    target = check_currency(target)
    if prices.empty:
        return prices, {}
    tickers = list(dict.fromkeys(prices["ticker"]))
    currency = {t: currency_of(t, exchange) for t in tickers}
    pairs = sorted({fx_symbol(c, target) for c in currency.values() if c != target})
    if not pairs:
        return prices, {}
    first, last = prices["date"].min(), prices["date"].max()
    failures: dict[str, EventStudyError] = {}
    try:
        rates = get_prices(pairs, first, last, source="auto" if source == "snapshot" else source,
                           cache_dir=cache_dir, data_dir=data_dir, exchange=FX_CALENDAR)
    except BatchFetchError as error:
        rates, failures = error.prices, error.failures
    except EventStudyError as error:  # the only pair failed
        rates, failures = prices.iloc[:0], {pairs[0]: error}
    table = rates.pivot(index="date", columns="ticker", values="close") if len(rates) else None
    out, unavailable = [], {}
    for ticker, rows in prices.groupby("ticker", sort=False):
        pair = fx_symbol(currency[ticker], target)
        if currency[ticker] == target:
            out.append(rows)
            continue
        if pair in failures or table is None or pair not in table.columns:
            unavailable[str(ticker)] = (f"currency: no {pair} rate to convert {ticker} to {target}: "
                                        f"{failures.get(pair, 'not fetched')}")
            continue
        rate = table[pair].reindex(pd.DatetimeIndex(rows["date"])).to_numpy()
        missing = int(np.isnan(rate).sum())
        if missing:
            warnings.warn(f"currency: {missing} date(s) of {ticker} without a {pair} rate: their "
                          "prices, and so their returns, are missing", DataQualityWarning,
                          stacklevel=2)
        converted = rows.copy()
        for column in ("open", "high", "low", "close", "adj_close"):
            converted[column] = rows[column].to_numpy() * rate
        out.append(converted)
    frame = pd.concat(out, ignore_index=True) if out else prices.iloc[:0]
    frame.attrs = dict(prices.attrs)
    return frame, unavailable

