"""Where a multi-event study's returns come from: the snapshot, the cache or Yahoo, or the user's
own panel (a file or a DataFrame).

Each source gives, for the events of one exchange and market, the returns of their securities on
the trading days (:class:`MarketData`), reading only what the events' windows need where the
source allows it (Yahoo's and the cache's date ranges, a panel file's ids and dates). Securities
the source does not hold are listed with the reason; their events are skipped, the others run.

Trading days: from prices (the snapshot, the cache, Yahoo), the sessions of the events' exchange
on which the market has a price (:func:`exchange_days`), and returns run from one such day to
the next, for the security as for the market. On the security's own exchange that is every
session; for a market index of another exchange (warned about) a holiday of either side is left
out, and the next day's returns of both span it. From the user's panel, the market series' dates
are the trading days, as the user's data say.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import DEFAULT_EXCHANGE, exchange_calendar
from eventstudy.calendar.exchanges import canonical, listing_of
from eventstudy.data.currency import check_currency, convert_prices
from eventstudy.data.french import EXCHANGE_REGIONS, check_region, get_factors, region_of
from eventstudy.data.panel import PanelFile, load_panel, read_factors_file
from eventstudy.data.panel_cells import PanelCells, load_panel_cells
from eventstudy.data.returns import simple_returns
from eventstudy.data.snapshot import available_tickers, load_factors, load_prices, unknown_ticker
from eventstudy.data.sources import get_prices
from eventstudy.engine.single import EventStudy
from eventstudy.models.linear import ExpectedReturnModel
from eventstudy.exceptions import (
    BatchFetchError,
    DataError,
    EventStudyError,
    EventStudyWarning,
    ParameterError,
)

#: A function of the trading days giving the events' securities and day-0 positions.
EventDays = Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]]


@dataclass
class MarketData:
    """Returns of one market's events: ``returns`` (trading days x securities), the market's
    returns (their dates are the trading days), factors, and why securities are missing."""

    returns: pd.DataFrame | PanelCells
    market: pd.Series
    factors: pd.DataFrame | None
    unavailable: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def trading_days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.market.index)


@dataclass(frozen=True)
class UserPanel:
    """The user's own data: a returns or prices panel (file or DataFrame), where the market
    comes from, and optionally a factors file."""

    panel: PanelFile | pd.DataFrame
    market_returns: pd.Series | str | os.PathLike[str] | None = None
    factors: pd.DataFrame | None = None
    returns_unit: str = "decimal"
    market_unit: str | None = None

    @classmethod
    def of(
        cls, *, returns: pd.DataFrame | str | os.PathLike[str] | None = None,
        prices: pd.DataFrame | str | os.PathLike[str] | None = None,
        columns: Sequence[str] | str | None = None,
        market_returns: pd.Series | str | os.PathLike[str] | None = None,
        factors: pd.DataFrame | str | os.PathLike[str] | None = None,
        factors_unit: str = "decimal",
        returns_unit: str = "decimal",
        market_unit: str | None = None,
        panel_index: str | os.PathLike[str] | None = None,
    ) -> UserPanel | None:
        """The user's panel from the study functions' keywords (None when none was given)."""
        if returns is not None and prices is not None:
            raise ParameterError("prices", "given with returns", "give returns or prices, not both")
        if panel_index is not None and not isinstance(returns, (str, os.PathLike)):
            raise ParameterError("panel_index", str(panel_index), "indexes a returns file "
                                 "(returns=PATH); a frame or a prices panel has none")
        given = returns if returns is not None else prices
        factor_frame = (read_factors_file(factors, unit=factors_unit)
                        if isinstance(factors, (str, os.PathLike)) else factors)
        if given is None:
            if market_returns is not None:
                raise ParameterError("market_returns", str(market_returns),
                                     "give it with a panel (returns= or prices=)")
            if factor_frame is not None:
                return cls(pd.DataFrame(), None, factor_frame)
            return None
        kind = "returns" if returns is not None else "prices"
        if kind == "prices" and returns_unit != "decimal":
            raise ParameterError("returns_unit", returns_unit, "applies to a returns panel; a prices "
                                 "panel gives its returns as decimals")
        if isinstance(given, pd.DataFrame):
            frame = given if kind == "returns" else given.pct_change(fill_method=None).iloc[1:]
            return cls(frame, market_returns, factor_frame, returns_unit, market_unit)
        return cls(PanelFile.of(given, kind, columns, index=panel_index), market_returns,
                   factor_frame, returns_unit, market_unit)

    @property
    def units(self) -> dict[str, Any]:
        """``returns_unit`` and ``market_unit``, as :func:`eventstudy.panel.load_panel` takes them."""
        return {"returns_unit": self.returns_unit, "market_unit": self.market_unit}

    @property
    def has_panel(self) -> bool:
        return not (isinstance(self.panel, pd.DataFrame) and self.panel.empty)


def _series(prices: pd.DataFrame, calendar: pd.DatetimeIndex, measure: str) -> pd.DataFrame:
    """Returns (``measure="return"``) or log volumes (``"volume"``) on the trading days."""
    if measure == "volume":
        from eventstudy.models.volume import log_volume

        return log_volume(prices, calendar=calendar)
    return simple_returns(prices, calendar=calendar)


def exchange_days(dates: pd.DatetimeIndex | pd.Series, exchange: str) -> pd.DatetimeIndex:
    """The dates (of a market's prices) that are sessions of ``exchange``, in order."""
    days = pd.DatetimeIndex(dates)
    return days[days.isin(pd.DatetimeIndex(exchange_calendar(exchange).sessions))]


def common_sessions(exchange: str, tickers: Sequence[str]) -> pd.DatetimeIndex:
    """The sessions of ``exchange`` that are also sessions of the exchanges the ``tickers`` are
    listed on (a market index of another exchange): the days windows can be counted on, to know
    how far back and forward to fetch."""
    days = pd.DatetimeIndex(exchange_calendar(exchange).sessions)
    for other in {listing.exchange for listing in map(listing_of, tickers) if listing is not None}:
        if canonical(other) != canonical(exchange):
            days = days[days.isin(pd.DatetimeIndex(exchange_calendar(other).sessions))]
    return days


def snapshot_data(study: EventStudy, tickers: Sequence[str], market: str,
                  data_dir: str | os.PathLike[str] | None,
                  factors: pd.DataFrame | None = None,
                  exchange: str = DEFAULT_EXCHANGE, factor_region: str = "us",
                  cache_dir: str | os.PathLike[str] | None = None,
                  currency: str | None = None) -> MarketData | None:
    """Returns (or log volumes, see :attr:`EventStudy.measure`) from the committed snapshot
    (None when it does not hold the market), in ``currency`` when given
    (:func:`eventstudy.data.currency.convert_prices`).

    Raises
    ------
    DataError
        The market's prices cannot be converted to ``currency``."""
    known = set(available_tickers(data_dir))
    unavailable = {t: str(unknown_ticker(t, known)) for t in tickers if t not in known}
    if market not in known:
        return None
    wanted = sorted(set(tickers) - set(unavailable) | {market})
    prices = load_prices(wanted, data_dir=data_dir)
    if currency is not None:
        prices, failed = convert_prices(prices, currency, exchange, source="snapshot",
                                        cache_dir=cache_dir, data_dir=data_dir)
        if market in failed:
            raise DataError(failed[market])
        unavailable.update(failed)
    calendar = exchange_days(prices.loc[prices["ticker"] == market, "date"], exchange)
    returns = _series(prices, calendar, study.measure)
    if factors is None:
        factors = load_factor_sets(study.model.factor_sets, data_dir, region=factor_region,
                                   cache_dir=cache_dir)
    return MarketData(returns, returns[market].dropna(), factors, unavailable)


def live_data(study: EventStudy, tickers: Sequence[str], market: str,
              day0s: Sequence[pd.Timestamp], source: str,
              cache_dir: str | os.PathLike[str] | None,
              data_dir: str | os.PathLike[str] | None,
              factors: pd.DataFrame | None = None,
              exchange: str = DEFAULT_EXCHANGE,
              factor_region: str = "us",
              currency: str | None = None) -> tuple[MarketData | None, str | None]:
    """Returns from the cache or Yahoo over the ``exchange`` sessions the windows around
    ``day0s`` need, in ``currency`` when given; tickers that failed come back in
    ``unavailable``. Returns ``(None, reason)`` when the market itself failed."""
    prices, live_factors, failures = load_live(
        study, [*tickers, market], list(day0s), source, cache_dir, data_dir, exchange,
        None if factors is not None else factor_region,
    )
    if market in failures:
        return None, str(failures[market])
    unavailable = {t: str(failures[t]) for t in tickers if t in failures}
    if currency is not None:
        prices, failed = convert_prices(prices, currency, exchange, source=source,
                                        cache_dir=cache_dir, data_dir=data_dir)
        if market in failed:
            return None, failed[market]
        unavailable.update(failed)
    calendar = exchange_days(prices.loc[prices["ticker"] == market, "date"], exchange)
    returns = _series(prices, calendar, study.measure)
    return MarketData(returns, returns[market].dropna(),
                      factors if factors is not None else live_factors, unavailable), None


def panel_data(study: EventStudy, user: UserPanel, tickers: Sequence[str], market: str,
               event_days: EventDays, data_dir: str | os.PathLike[str] | None,
               factor_region: str = "us",
               cache_dir: str | os.PathLike[str] | None = None,
               cells: bool = True) -> MarketData:
    """Returns from the user's panel, only the ids and dates the events need: the cells of the
    events' windows (:func:`eventstudy.data.panel_cells.load_panel_cells`) for a returns file
    and ``cells``; else dates x ids over the days the events span (a prices file, a frame)."""
    if study.measure == "volume":
        raise ParameterError("measure", "volume", "needs trading volume, which the snapshot, the "
                             "cache and Yahoo hold; a returns or prices panel has none")
    reach = (min(study.estimation.start, study.window.start),
             max(study.estimation.end, study.window.end))
    returns: pd.DataFrame | PanelCells
    if cells and isinstance(user.panel, PanelFile) and user.panel.kind == "returns":
        loaded_cells = load_panel_cells(user.panel, tickers, event_days=event_days, reach=reach,
                                        market=market, market_returns=user.market_returns,
                                        **user.units)
        returns, market_series = loaded_cells.cells, loaded_cells.market
        ids, rows_read = loaded_cells.ids, loaded_cells.stats.rows_read
    else:
        def day_range(days: pd.DatetimeIndex) -> tuple[pd.Timestamp, pd.Timestamp]:
            pos = event_days(days)[1]
            if len(pos) == 0:
                return days[0], days[0]
            lo = max(0, int(pos.min()) + reach[0] - 1)
            hi = min(len(days) - 1, int(pos.max()) + reach[1])
            return days[lo], days[hi]

        loaded = load_panel(user.panel, tickers, market=market,
                            market_returns=user.market_returns, day_range=day_range,
                            **user.units)
        returns, market_series = loaded.returns, loaded.market
        ids, rows_read = loaded.ids, loaded.stats.rows_read
    unavailable = {
        t: f"ticker: {t!r} is not an id of the panel" for t, held in ids.items() if held is None
    }
    factors = user.factors
    if factors is None:
        factors = load_factor_sets(study.model.factor_sets, data_dir, region=factor_region,
                                   cache_dir=cache_dir)
    return MarketData(returns, market_series, factors, unavailable, rows_read)


def exchange_day0s(event_dates: Sequence[object], non_session: str,
                   exchange: str = DEFAULT_EXCHANGE) -> tuple[list[pd.Timestamp], dict[int, str]]:
    """Day 0 of each event on the calendar of ``exchange`` (to know which dates to fetch), and
    the positions of the events that cannot be placed, with the reason (a date outside the
    calendar names the calendar's first or last session)."""
    from eventstudy.events import place_events

    sessions = pd.DatetimeIndex(exchange_calendar(exchange).sessions)
    placed = place_events(np.asarray(event_dates, dtype=object), sessions,
                          non_session=non_session, exchange=exchange)
    day0s = [sessions[p] for p in placed.position[placed.placed]]
    failed = {int(i): str(placed.failed[i]).replace(
                  "is outside the data's trading days", f"is outside the {exchange} calendar's sessions")
              for i in np.flatnonzero(~placed.placed)}
    return day0s, failed



def requested_currency(currency: str | None, user: UserPanel | None) -> str | None:
    """The currency code asked for (``None``: each exchange's own); a user's panel is
    converted by the user, not here."""
    if currency is None:
        return None
    if user is not None and user.has_panel:
        raise ParameterError("currency", currency, "converts prices of the snapshot, the cache or "
                             "Yahoo; give your panel in the currency you want")
    return check_currency(currency)


def check_sources(source: str, user: UserPanel | None) -> None:
    """A user's panel replaces the snapshot; it cannot be combined with the cache or Yahoo."""
    if user is not None and user.has_panel and source != "snapshot":
        raise ParameterError("source", source, "a returns or prices panel is the data; leave "
                             "--source at its default (snapshot) when giving one")


def load_live(
    study: EventStudy, tickers: list[str], day0s: list[pd.Timestamp], source: str,
    cache_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None, exchange: str,
    factor_region: str | None = "us",
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, EventStudyError]]:
    """Prices (and factors) of the sessions the windows around ``day0s`` need, from a cache or
    an online source; the tickers that failed come back with their errors, the others are kept.
    The factors are the French sets of ``factor_region`` (``None``: none loaded, the caller has
    its own).

    The windows are counted on the sessions of ``exchange`` that are also sessions of the
    exchanges of the tickers listed elsewhere (a market index of another exchange): the range
    fetched reaches back as far as those common sessions need."""
    days = common_sessions(exchange, tickers)
    positions = days.searchsorted(pd.DatetimeIndex(day0s))
    first = max(0, int(positions.min()) + min(study.estimation.start, study.window.start) - 1)
    last = min(len(days) - 1, int(positions.max()) + max(study.estimation.end, study.window.end))
    start, end = days[first], days[last]
    failures: dict[str, EventStudyError] = {}
    try:
        prices = get_prices(
            list(dict.fromkeys(tickers)), start, end, source=source,
            cache_dir=cache_dir, data_dir=data_dir, exchange=exchange,
        )
    except BatchFetchError as error:
        prices, failures = error.prices, error.failures
    factors = None
    if factor_region is not None:
        factors = load_factor_sets(study.model.factor_sets, data_dir, region=factor_region,
                                   source=source, cache_dir=cache_dir, start=start, end=end)
    return prices, factors, failures


def factor_region_for(region: str, exchange: str, model: ExpectedReturnModel) -> str:
    """The French region whose factors model the events of ``exchange``: ``region``, or with
    ``"auto"`` the exchange's (:data:`eventstudy.data.french.EXCHANGE_REGIONS`). A factor model
    of events outside the US on US factors is warned about (one line, the region to use)."""
    chosen = region_of(exchange) if region == "auto" else check_region(region)
    home = EXCHANGE_REGIONS.get(exchange)
    if model.factor_sets and chosen == "us" and home != "us":
        advice = (f"--factor-region {home} (or auto) gives the library's {home} factors" if home
                  else "the French library has no daily factors of its market: give yours with "
                  "--factors")
        warnings.warn(f"factors: the {model.label} of events on {exchange} uses the US "
                      f"factors; {advice}", EventStudyWarning, stacklevel=3)
    return chosen


def load_factor_sets(
    names: tuple[str, ...], data_dir: str | os.PathLike[str] | None, *, region: str = "us",
    source: str = "snapshot", cache_dir: str | os.PathLike[str] | None = None,
    start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
) -> pd.DataFrame | None:
    """The French factor sets a model needs, joined by date (None when it needs none).

    US factors come from the snapshot (prices from the snapshot) or from the prices' source
    (the cache, or the library for ``yahoo`` and ``auto``); a region's from the cache, else the
    library, fetched once and cached (:func:`eventstudy.data.french.get_factors`), over
    ``start .. end`` (default: all there is)."""
    if not names:
        return None
    if region == "us" and source == "snapshot":
        return pd.concat([load_factors(name, data_dir=data_dir) for name in names], axis=1,
                         join="outer")
    wanted = ({"yahoo": "french"}.get(source, source) if region == "us"
              else "cache" if source == "cache" else "auto")
    first = None if start is None else f"{start:%Y-%m-%d}"
    last = None if end is None else f"{end:%Y-%m-%d}"
    return pd.concat([get_factors(name, first, last, source=wanted, region=region,
                                  cache_dir=cache_dir, data_dir=data_dir) for name in names],
                     axis=1, join="outer")
