"""The single-event study as users ask for it: one stock, one event date, its data fetched from
the snapshot, the cache, Yahoo or the user's panel, and handed to
:class:`~eventstudy.engine.single.EventStudy`.

>>> from eventstudy import run_event_study
>>> result = run_event_study("FB", "2018-08-06")          # doctest: +SKIP
>>> print(result.summary())                                # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import warnings
from collections.abc import Sequence

import pandas as pd

from eventstudy.calendar import resolve_event
from eventstudy.calendar.exchanges import default_market, exchange_of, market_mismatch
from eventstudy.data.currency import convert_prices
from eventstudy.data.panel import load_panel
from eventstudy.data.panel_file import PanelReader
from eventstudy.data.returns import simple_returns
from eventstudy.data.snapshot import available_tickers, load_prices, unknown_ticker
from eventstudy.data.sources import check_source
from eventstudy.defaults import DEFAULT_ESTIMATION, DEFAULT_WINDOW
from eventstudy.engine.single import EventStudy
from eventstudy.engine.single_result import EventStudyResult
from eventstudy.exceptions import BatchFetchError, DataError, DataQualityWarning, ParameterError
from eventstudy.models.linear import ExpectedReturnModel
from eventstudy.models.peers import peer_model
from eventstudy.models.volume import log_volume
from eventstudy.studies.inputs import (
    UserPanel,
    check_sources,
    exchange_days,
    factor_region_for,
    load_factor_sets,
    load_live,
    requested_currency,
)

__all__ = ["run_event_study"]


def run_event_study(
    ticker: str,
    event_date: str | dt.date | pd.Timestamp,
    *,
    market: str | None = None,
    model: str | ExpectedReturnModel = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    level: float = 0.95,
    min_estimation: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    non_session: str = "next",
    exchange: str | None = None,
    returns: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
    factors: pd.DataFrame | str | os.PathLike[str] | None = None,
    factors_unit: str = "decimal",
    factor_region: str = "us",
    currency: str | None = None,
    measure: str = "return",
    alternative: str = "two-sided",
    adjust: str | None = None,
    peers: Sequence[str] | str | None = None,
) -> EventStudyResult:
    """Event study of ``ticker`` around ``event_date`` (offline by default, from the snapshot).

    Day 0 is placed on the calendar of ``exchange`` (an exchange_calendars code such as
    ``"XLON"``; default: the exchange of the ticker's Yahoo suffix, ``VOD.L`` -> ``XLON``, else
    the NYSE), in its time zone: ``event_date`` may be a date or a timestamp with a time zone;
    see :meth:`EventStudy.run` for ``non_session`` and the after-close rule. A suffix that
    contradicts ``exchange`` is an error. ``market`` defaults to the exchange's usual index
    (``^GSPC``, ``^FTSE``, ``^N225``...; see :mod:`eventstudy.calendar.exchanges`), and the
    result says so (``market_default``); an index of another exchange is warned about.
    Returns are simple returns of ``Adj Close`` between consecutive trading days: the sessions
    of the exchange on which the market has a price. ``source`` is where prices come from: ``"snapshot"`` (default, the
    committed data), ``"cache"`` (offline), ``"yahoo"`` or ``"auto"``
    (see :mod:`eventstudy.data.sources`); ``cache_dir`` is the cache folder. See :class:`EventStudy`
    for the other parameters and :class:`~eventstudy.engine.single_result.EventStudyResult` for what comes
    back (``result.timing`` records the event as given, its date and day 0).

    ``returns`` or ``prices`` (a CSV/Parquet file or a DataFrame, see :mod:`eventstudy.data.panel`)
    take the data from the user's own panel instead, with ``columns``, ``market_returns``,
    ``factors``, ``factors_unit``, ``returns_unit`` and ``market_unit`` as for
    :func:`eventstudy.run_multi_event_study`.
    ``measure="volume"`` studies the log volume :math:`\\ln(1 + \\text{Volume})` of the stock
    against the market series' instead of their returns (Campbell & Wasley 1996; see
    :mod:`eventstudy.models.volume`). ``alternative`` (``"two-sided"``, ``"greater"``, ``"less"``) is
    the alternative of every p-value; ``adjust`` (``"holm"`` or ``"bh"``) also reports them
    adjusted over the days and the CAR, per test (:mod:`eventstudy.inference.adjust`).

    ``model="peers"`` takes the equally weighted mean of ``peers`` (tickers, or ids of the
    panel) as the expected return; ``model="synthetic"`` a synthetic peer, the non-negative
    weights summing to one that track the stock best over the estimation window, from ``peers``
    or, when not given, every other security of the snapshot or the panel but the market
    (:mod:`eventstudy.models.peers`). ``factor_region`` chooses the French factors of the factor
    models: ``"us"`` (default), a region of :data:`eventstudy.data.french.REGIONS`
    (``"europe"``, ``"japan"``...: fetched once from the library and cached) or ``"auto"``
    (the exchange's region). ``currency`` (``"USD"``...) converts the prices of the snapshot,
    the cache or Yahoo with Yahoo's daily exchange rates (:mod:`eventstudy.data.currency`);
    default: the exchange's own currency.
    """
    check_source(source)
    user = UserPanel.of(returns=returns, prices=prices, columns=columns,
                        market_returns=market_returns, factors=factors, factors_unit=factors_unit,
                        returns_unit=returns_unit, market_unit=market_unit)
    check_sources(source, user)
    currency = requested_currency(currency, user)
    exchange = exchange_of(ticker, exchange)
    market_default = market is None and (user is None or user.market_returns is None)
    market = default_market(exchange) if market is None else market
    if model == "synthetic" and peers is None:
        peers = _every_other_security(ticker, market, source, user, data_dir)
    study = EventStudy(
        model=peer_model(model, peers), estimation=estimation, window=window, level=level,
        min_estimation=min_estimation, measure=measure, alternative=alternative, adjust=adjust,
    )
    own_factors = user is not None and user.factors is not None
    region = "us" if own_factors else factor_region_for(factor_region, exchange, study.model)
    if user is not None and user.has_panel:
        if measure == "volume":
            raise ParameterError("measure", measure, "needs trading volume, which the snapshot, the "
                                 "cache and Yahoo hold; a returns or prices panel has none")
        result = _run_on_panel(study, user, ticker, event_date, market, non_session, exchange,
                               data_dir, region, cache_dir, _peers_of(study))
        return dataclasses.replace(result, market_default=market_default)
    mismatch = market_mismatch(ticker, exchange, market)
    if mismatch is not None:
        warnings.warn(mismatch, DataQualityWarning, stacklevel=2)
    day = resolve_event(event_date, non_session=non_session, exchange=exchange)
    if source == "snapshot":
        known = available_tickers(data_dir)
        for parameter, name in (("ticker", ticker), ("market", market),
                                *(("peers", p) for p in _peers_of(study))):
            if name not in known:
                raise unknown_ticker(name, known, parameter=parameter)
        price_table = load_prices(list(dict.fromkeys([ticker, market, *_peers_of(study)])),
                                  data_dir=data_dir)
        factors = (user.factors if user is not None and user.factors is not None
                   else load_factor_sets(study.model.factor_sets, data_dir, region=region,
                                         cache_dir=cache_dir))
    else:
        price_table, factors, failures = load_live(
            study, [ticker, market, *_peers_of(study)], [day.day0], source, cache_dir, data_dir,
            exchange, None if own_factors else region,
        )
        if user is not None and user.factors is not None:
            factors = user.factors
        if len(failures) == 1:
            raise next(iter(failures.values()))
        if failures:
            raise BatchFetchError(failures, price_table)
    if currency is not None:
        price_table, failed = convert_prices(price_table, currency, exchange, source=source,
                                             cache_dir=cache_dir, data_dir=data_dir)
        if failed:
            raise DataError(next(iter(failed.values())))
    trading_days = exchange_days(price_table.loc[price_table["ticker"] == market, "date"], exchange)
    if measure == "volume":
        return_table = log_volume(price_table, calendar=trading_days)
    else:
        return_table = simple_returns(price_table, calendar=trading_days)
    peer_returns = return_table[list(_peers_of(study))] if _peers_of(study) else None
    result = study.run(
        return_table[ticker], return_table[market], event_date, factors=factors, ticker=ticker,
        market_name=market, non_session=non_session, exchange=exchange, peers=peer_returns,
    )
    return dataclasses.replace(result, market_default=market_default, currency=currency)


def _peers_of(study: EventStudy) -> tuple[str, ...]:
    """The peers' tickers of a peer model (none for the other models)."""
    return tuple(getattr(study.model, "peers", ()))


def _every_other_security(ticker: str, market: str, source: str, user: UserPanel | None,
                          data_dir: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """The synthetic model's default candidates: every security of the panel (or the snapshot)
    but the stock and the market."""
    if user is not None and user.has_panel:
        panel = user.panel
        if isinstance(panel, pd.DataFrame):
            ids = [str(c) for c in panel.columns]
        else:
            reader = PanelReader(panel)
            try:
                ids = reader.distinct_ids()
            finally:
                reader.close()
    elif source == "snapshot":
        ids = list(available_tickers(data_dir))
    else:
        raise ParameterError("peers", None, f"with the source {source!r} the synthetic model needs "
                             "its candidates (peers=[...], --peers A,B,C)")
    return tuple(i for i in ids if i not in (ticker, market))


def _run_on_panel(
    study: EventStudy, user: UserPanel, ticker: str, event_date: str | dt.date | pd.Timestamp,
    market: str, non_session: str, exchange: str, data_dir: str | os.PathLike[str] | None,
    region: str, cache_dir: str | os.PathLike[str] | None, peers: tuple[str, ...] = (),
) -> EventStudyResult:
    """The study of one event on the user's panel: only the ticker, its peers and the market are
    read."""
    loaded = load_panel(user.panel, [ticker, *peers], market=market,
                        market_returns=user.market_returns, **user.units)
    if loaded.ids.get(ticker) is None:
        raise DataError(f"ticker: {ticker!r} is not an id of the panel {_panel_name(user)}")
    absent = [p for p in peers if loaded.ids.get(p) is None]
    if absent:
        raise DataError(f"peers: {', '.join(map(repr, absent[:5]))} not ids of the panel "
                        f"{_panel_name(user)}")
    factors = user.factors if user.factors is not None else load_factor_sets(
        study.model.factor_sets, data_dir, region=region, cache_dir=cache_dir)
    market_name = market if user.market_returns is None else "market returns file"
    return study.run(loaded.returns[ticker], loaded.market, event_date, factors=factors,
                     ticker=ticker, market_name=market_name, non_session=non_session,
                     exchange=exchange, peers=loaded.returns[list(peers)] if peers else None)


def _panel_name(user: UserPanel) -> str:
    panel = user.panel
    return "in memory" if isinstance(panel, pd.DataFrame) else str(panel.path)
