r"""Many events: per-event studies, average abnormal returns and multi-event test statistics.

For :math:`N` events with abnormal returns :math:`AR_{i,t}` on relative day :math:`t`,

.. math:: AAR_t = \frac{1}{N}\sum_i AR_{i,t}, \qquad CAAR(a, b) = \sum_{t=a}^{b} AAR_t,

(MacKinlay 1997, *J. Econ. Lit.* 35(1), eqs. 12-13), tested with every statistic of
:mod:`eventstudy.inference.multi_event`. An event that cannot be studied (unknown ticker, too little
history, missing data) is listed with its reason in ``skipped``; the others still run.

All events are estimated at once by the vectorised engine of :mod:`eventstudy.engine.batch`, which
gives the per-event numbers of ``eventstudy run`` (to 1e-10, tested). The returns come from the
snapshot, the cache or Yahoo, or the user's own panel file (:mod:`eventstudy.studies.inputs`,
:mod:`eventstudy.data.panel`); every row of the events table is accounted for
(:mod:`eventstudy.events`): studied, studied with day 0 moved, a duplicate, or skipped with
the reason. No step grows faster than the number of events, and the estimation residuals are
read chunk by chunk from the engine by the statistics, never held whole.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from eventstudy.engine.batch import batch_event_study, car_windows_of
from eventstudy.engine.batch_quantiles import CarQuantiles
from eventstudy.engine.garch import GARCH_MODELS
from eventstudy.calendar import Window
from eventstudy.events import (
    accounting_frame,
    find_duplicates,
    id_column_of,
    place_events,
    read_events,
)
from eventstudy.events.markets import (
    EventMarkets,
    assign_markets,
    news_dates,
    shared_dates_across_exchanges,
)
from eventstudy.exceptions import (
    ClusteredEventsWarning,
    DataError,
    DataQualityWarning,
    ParameterError,
)
from eventstudy.studies.inputs import (
    MarketData,
    UserPanel,
    check_sources,
    exchange_day0s,
    factor_region_for,
    live_data,
    panel_data,
    requested_currency,
    snapshot_data,
)
from eventstudy.data.sources import check_source
from eventstudy.inference.adjust import adjust_tests
from eventstudy.inference.multi_event import multi_event_tests
from eventstudy.inference.statistic import TestStatistic
from eventstudy.studies.multi_result import MultiEventResult, window_label
from eventstudy.defaults import DEFAULT_ESTIMATION, DEFAULT_WINDOW, PEER_MODEL_NAMES
from eventstudy.models.peers import check_peers, peer_model
from eventstudy.engine.single import EventStudy
from eventstudy.data.units import too_large_columns

__all__ = ["MultiEventResult", "read_events", "run_multi_event_study"]

def run_multi_event_study(
    events: pd.DataFrame | str | os.PathLike[str],
    *,
    market: str | None = None,
    exchange: str | None = None,
    model: str = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    car_window: tuple[int, int] | None = None,
    car_windows: Sequence[tuple[int, int]] | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    tests: Sequence[str] | None = None,
    non_session: str = "next",
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    returns: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
    panel_index: str | os.PathLike[str] | None = None,
    factors: pd.DataFrame | str | os.PathLike[str] | None = None,
    factors_unit: str = "decimal",
    factor_region: str = "us",
    currency: str | None = None,
    exclude_events: bool = False,
    measure: str = "return",
    alternative: str = "two-sided",
    adjust: str | None = None,
    peers: Sequence[str] | str | None = None,
    progress: bool | None = None,
) -> MultiEventResult:
    """Study many events and test the average abnormal returns.

    Every event is estimated at once by the vectorised engine
    (:func:`eventstudy.engine.batch.batch_event_study`), which gives the numbers of
    :func:`eventstudy.run_event_study` for each event (checked to 1e-10 in the tests).

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` (or ``security``, or the id column named
        by ``columns``) and ``event_date``, optionally ``exchange`` and ``market`` (where
        missing or empty: the options, else the ticker's Yahoo suffix and the exchange's
        default index, see :mod:`eventstudy.events.markets`); other columns are kept in
        :attr:`MultiEventResult.events`. An event date may be a date or a timestamp with a time
        zone: a timestamp at or after its exchange's close (16:00 New York, 16:30 London, 15:00
        Tokyo..., earlier on early-close days), or a day without a session, moves day 0 as
        ``non_session`` says, on the event's own exchange.
    market, exchange
        The market and the exchange of the events whose row names none (default: each
        event's exchange from its ticker's Yahoo suffix, else ``XNYS``, and that exchange's
        default index, e.g. ``^GSPC``, ``^FTSE``, ``^N225``). With a panel, ``market`` is the
        id of the market series in it (e.g. CRSP's ``vwretd``), unless ``market_returns``
        gives the market. Events are studied in groups of one exchange and one market: day 0
        and the windows are counted on the exchange's sessions on which the market traded.
    model, estimation, window, level, min_estimation
        As for :func:`eventstudy.run_event_study`, shared by all events.
    car_window, car_windows
        Window of the CAAR and its tests (default: the event window), or several windows.
    tests
        Names of the tests to run (default: all of :mod:`eventstudy.inference.multi_event`).
    source, cache_dir
        Where prices come from without a panel: ``"snapshot"`` (default), ``"cache"``,
        ``"yahoo"`` or ``"auto"``. Tickers that cannot be had skip their events, with the reason.
    returns, prices
        The user's panel instead: a CSV/Parquet file (long or wide, see :mod:`eventstudy.data.panel`)
        or a DataFrame (dates x securities). Only the securities and dates the events need are
        read.
    columns
        ``(ID, DATE, VALUE)`` names of a long panel's columns, e.g. ``"permno,date,ret"``.
    market_returns
        The market's returns from their own file (``date,return``) or a Series.
    factors, factors_unit
        Daily factors for the factor models (a file or a frame, ``"decimal"`` or
        ``"percent"``); default: the snapshot's French factors.
    returns_unit, market_unit
        ``"decimal"`` (default) or ``"percent"``: the unit of the panel's returns and of the
        market's (default: ``returns_unit``); returns that look like percent, or below -100%,
        are an error (:mod:`eventstudy.data.units`).
    panel_index
        A folder keeping an index of the ``returns`` file (:mod:`eventstudy.data.panel_index`),
        built by the first study that names it and rebuilt when the file changes: the study
        reads the rows its events need from it instead of scanning the whole file.
    factor_region
        Without ``factors``, the French factors of the factor models: ``"us"`` (default), a
        region of :data:`eventstudy.data.french.REGIONS` (``"europe"``, ``"japan"``...: fetched
        once from the library and cached), or ``"auto"``: each event's exchange's region.
    currency
        ``None`` (default): every event in its exchange's currency; ``"USD"`` (or another code
        of :data:`eventstudy.data.currency.EXCHANGE_CURRENCY`): prices of the snapshot, the cache
        or Yahoo converted with Yahoo's daily exchange rates (:mod:`eventstudy.data.currency`).
    exclude_events
        Leave the other events' windows of the same security out of each estimation window
        (their number is in the accounting's ``estimation_days_lost``).
    measure
        ``"return"`` (default) or ``"volume"``: abnormal log trading volume,
        :math:`\\ln(1 + \\text{Volume})` against the market's (Campbell & Wasley 1996,
        :mod:`eventstudy.models.volume`); every test applies to it as to returns.
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``: the alternative of every
        multi-event test's p-value and of the events' CAR p-values.
    adjust
        ``None`` (default), ``"holm"`` or ``"bh"``: every test's p-values also adjusted over the
        days and windows shown, per test (``p_adjusted``; :mod:`eventstudy.inference.adjust`).
    peers
        For ``model="peers"`` (the equally weighted peer mean) and ``model="synthetic"`` (a
        synthetic peer from these candidates): the peers of every event without its own in the
        events table's ``peers`` column (tickers separated by ``;``). See
        :mod:`eventstudy.models.peers` and :mod:`eventstudy.engine.peers_batch`.
    progress
        Progress bar for long batches (default: only when stderr is a terminal).

    Returns
    -------
    MultiEventResult
        Per-event numbers, AAR/CAAR, every test, and the accounting of every row read.
    """
    check_source(source)
    table = read_events(events, id_column=id_column_of(columns))
    n_rows = len(table)
    event_peers = events_peers(table, model, peers)
    study = EventStudy(
        model=peer_model(model, peers if event_peers is None or peers is not None
                         else next((p for p in event_peers if p), None)),
        estimation=estimation, window=window, level=level, min_estimation=min_estimation,
        measure=measure, alternative=alternative, adjust=adjust,
    )
    windows = car_windows_of(study, car_window, car_windows)
    user = UserPanel.of(returns=returns, prices=prices, columns=columns,
                        market_returns=market_returns, factors=factors, factors_unit=factors_unit,
                        returns_unit=returns_unit, market_unit=market_unit,
                        panel_index=panel_index)
    check_sources(source, user)
    currency = requested_currency(currency, user)
    placement = assign_markets(table, exchange=exchange, market=market,
                               warn_mismatch=user is None or not user.has_panel)
    state = _Accounting(n_rows)
    unplaced = np.flatnonzero(placement.failed != "")
    state.skip(unplaced, placement.failed[unplaced])
    parts: list[_Part] = []
    for group, mic, market_name in placement.groups:
        try:
            region = ("us" if user is not None and user.factors is not None
                      else factor_region_for(factor_region, mic, study.model))
        except ParameterError as error:  # "auto" on an exchange the library has no region for
            state.skip(group, str(error))
            continue
        part = _study_market(study, windows, table, group, market_name, mic, user, source,
                             cache_dir, data_dir, non_session, exclude_events, progress, state,
                             region, currency, event_peers)
        if part is not None:
            parts.append(part)
    studied = sum(part.batch.n_events for part in parts)
    if studied < 2:
        skipped = np.flatnonzero(state.status == "skipped")[:3]
        examples = "; ".join(f"{table.at[i, 'ticker']} {table.at[i, 'event_date']}: "
                             f"{state.reason[i]}" for i in skipped)
        raise DataError(
            f"events: {studied} of {n_rows} events could be studied; the multi-event tests "
            f"need at least 2" + (f" (skipped: {examples})" if examples else "")
        )
    return _combine(study, windows, table, parts, state, tests, exclude_events, placement)


#: The status of a studied event, by whether its day 0 moved.
_STUDIED = np.array(["studied", "studied_day0_moved"], dtype=object)


class _Accounting:
    """What became of every row, filled as the study goes."""

    def __init__(self, n: int) -> None:
        self.status = np.empty(n, dtype=object)  # fill(): np.full is slow for objects
        self.status.fill("skipped")
        self.reason = np.empty(n, dtype=object)
        self.reason.fill("")
        self.day0 = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        self.duplicate_of = np.full(n, -1, dtype=np.int64)
        self.lost = np.full(n, -1, dtype=np.int64)

    def skip(self, rows: np.ndarray, reasons: np.ndarray | str) -> None:
        self.status[rows] = "skipped"
        self.reason[rows] = reasons


@dataclass
class _Part:
    """The events of one exchange and market: their rows in the table, the batch that studied
    them, the trading days, and day 0 per event."""

    rows: np.ndarray
    batch: Any  # BatchResult, or GarchBatch for the GARCH models
    trading_days: pd.DatetimeIndex
    positions: np.ndarray
    market: str
    exchange: str


def _study_market(
    study: EventStudy, windows: tuple[Window, ...], table: pd.DataFrame, group: np.ndarray,
    market: str, exchange: str, user: UserPanel | None, source: str, cache_dir: Any,
    data_dir: Any, non_session: str, exclude_events: bool, progress: bool | None,
    state: _Accounting, factor_region: str, currency: str | None,
    event_peers: list[tuple[str, ...]] | None = None,
) -> _Part | None:
    """Load the returns of one exchange's and market's events (and their peers), place day 0 on
    the exchange's sessions, drop duplicates, run the batch."""
    tickers = table["ticker"].to_numpy(dtype=object)[group]
    given = table["event_date"].to_numpy(dtype=object)[group]
    wanted = pd.unique(tickers).tolist()  # in order of appearance
    if event_peers is not None:
        wanted = list(dict.fromkeys([*wanted, *(p for i in group for p in event_peers[i])]))
    user_factors = user.factors if user is not None else None
    data: MarketData | None
    placements: list[tuple[pd.DatetimeIndex, Any]] = []
    if user is not None and user.has_panel:
        def event_days(days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
            placed = place_events(given, days, non_session=non_session, exchange=exchange)
            placements.append((days, placed))
            return tickers[placed.placed], placed.position[placed.placed]

        # the events' cells, but a frame for the models fitted event by event (GARCH, peers)
        cells = study.model.name not in GARCH_MODELS and event_peers is None
        data = panel_data(study, user, wanted, market, event_days, data_dir, factor_region,
                          cache_dir, cells=cells)
    elif source == "snapshot":
        try:
            data = snapshot_data(study, wanted, market, data_dir, user_factors, exchange,
                                 factor_region, cache_dir, currency)
        except DataError as error:  # the market cannot be had in the currency asked for
            state.skip(group, str(error))
            return None
        if data is None:
            from eventstudy.data.snapshot import available_tickers, unknown_ticker

            state.skip(group, str(unknown_ticker(market, available_tickers(data_dir),
                                                     parameter="market")))
            return None
    else:
        day0s, failed = exchange_day0s(given, non_session, exchange)
        if failed:
            where = np.fromiter(failed, dtype=np.int64)
            state.skip(group[where], np.array(list(failed.values()), dtype=object))
        if not day0s:
            return None
        ok = np.setdiff1d(np.arange(len(group)), np.fromiter(failed, dtype=np.int64))
        needed = set(tickers[ok]) | ({p for i in group[ok] for p in event_peers[i]}
                                     if event_peers is not None else set())
        data, market_failure = live_data(study, sorted(needed), market, day0s, source,
                                         cache_dir, data_dir, user_factors, exchange, factor_region,
                                         currency)
        if data is None:
            state.skip(group[ok], str(market_failure))
            return None
    huge = (too_large_columns(data.returns) if isinstance(data.returns, pd.DataFrame)
            else data.returns.too_large(data.trading_days))  # a bad price, not a return
    if market in huge:
        raise DataError(huge[market].replace(f"{market!r} return", f"the market {market!r}'s return"))
    data.unavailable.update(huge)
    days = data.trading_days
    if placements and placements[-1][0].equals(days):
        placed = placements[-1][1]  # placed on these days while reading the panel
    else:
        placed = place_events(given, days, non_session=non_session, exchange=exchange)
    live = placed.placed.copy()
    failed_rows = np.flatnonzero(~live & (state.reason[group] == ""))
    state.skip(group[failed_rows], placed.failed[failed_rows])
    if data.unavailable:
        missing_reason = pd.Series(tickers).map(data.unavailable)
        unavailable = live & missing_reason.notna().to_numpy()
        state.skip(group[unavailable], missing_reason[unavailable].to_numpy(dtype=object))
        live &= ~unavailable
    live_rows = np.flatnonzero(live)
    state.day0[group[live_rows]] = days.values[placed.position[live_rows]]
    keys = pd.DataFrame({"ticker": tickers, "position": placed.position})
    first = find_duplicates(keys, live)
    repeats = np.flatnonzero(first >= 0)
    state.status[group[repeats]] = "duplicate"
    state.duplicate_of[group[repeats]] = group[first[repeats]]
    state.reason[group[repeats]] = [f"duplicate of row {group[f]} (same security and day 0)"
                                    for f in first[repeats]]
    unique = np.flatnonzero(live & (first < 0))
    if len(unique) == 0:
        return None
    positions = placed.position[unique]
    frame = pd.DataFrame({"security": tickers[unique], "event_date": days.values[positions]})
    batch: Any
    if event_peers is not None:
        from eventstudy.engine.peers_batch import peer_batch

        batch = peer_batch(data.returns, frame, data.market, study, windows,
                           [event_peers[i] for i in group[unique]], exclude_events=exclude_events,
                           non_session=non_session, progress=progress)
    elif study.model.name in GARCH_MODELS:
        from eventstudy.engine.garch import garch_batch

        batch = garch_batch(data.returns, frame, data.market, study, windows,
                            exclude_events=exclude_events, non_session=non_session,
                            progress=progress)
    else:
        batch = batch_event_study(
            data.returns, frame, data.market, model=study.model, estimation=study.estimation,
            window=study.window, car_windows=windows, level=study.level,
            min_estimation=study.min_estimation, factors=data.factors, non_session=non_session,
            exclude_events=exclude_events, alternative=study.alternative, progress=progress,
        )
    rows = group[unique]
    ok = batch.ok
    moved = placed.moved[unique]
    state.status[rows[ok]] = _STUDIED[(moved[ok] != "").astype(np.intp)]
    state.reason[rows[ok]] = moved[ok]
    if exclude_events:
        state.lost[rows[ok]] = batch.estimation_days_lost[ok]
    skipped = batch.skipped
    state.skip(rows[skipped.index.to_numpy()], skipped["reason"].to_numpy(dtype=object))
    return _Part(rows, batch, days, positions, market, exchange)


def events_peers(table: pd.DataFrame, model: str | Any, peers: Sequence[str] | str | None,
                 ) -> list[tuple[str, ...]] | None:
    """Each event's peers for the peer models (``None`` for the others): the events table's
    ``peers`` column (``;``-separated), else ``peers``."""
    name = getattr(model, "name", model)
    if name not in PEER_MODEL_NAMES:
        if peers is not None:
            peer_model(model, peers)  # raises: only the peer models take peers
        return None
    if peers is None:  # a PeersModel or SyntheticModel given: its peers
        peers = getattr(model, "peers", None)
    default = None if peers is None else check_peers(peers, str(name))
    if "peers" in table.columns:
        given = table["peers"].fillna("").astype(str).to_numpy(dtype=object)
        lists = [tuple(dict.fromkeys(p.strip() for p in text.replace(",", ";").split(";")
                                     if p.strip())) or default for text in given]
    else:
        lists = [default] * len(table)
    if any(p is None for p in lists):
        raise ParameterError("peers", None, f"the {name} model needs every event's peers: a "
                             "'peers' column in the events file (tickers separated by ';') or "
                             "peers=[...] / --peers A,B,C for the events without one")
    return [p for p in lists if p is not None]


def _combine(
    study: EventStudy, windows: tuple[Window, ...], table: pd.DataFrame, parts: list[_Part],
    state: _Accounting, tests: Sequence[str] | None, exclude_events: bool,
    placement: EventMarkets,
) -> MultiEventResult:
    """Join the per-market batches in the order of the events table and run the tests."""
    frames, sources = [], []
    for index, part in enumerate(parts):
        ok = np.flatnonzero(part.batch.ok)
        frame = part.batch.frame().rename(columns={"security": "ticker"})
        frame.index = pd.Index(part.rows[ok])
        frame.insert(1, "market", part.market)
        frame.insert(2, "exchange", part.exchange)
        frame.insert(3, "market_default", placement.market_default[part.rows[ok]])
        frame.insert(frame.columns.get_loc("car_ci_low"), "scar", frame["car"] / frame["car_se"])
        frame["event_date"] = table["event_date"].to_numpy(dtype=object)[part.rows[ok]]
        frame["day0"] = pd.DatetimeIndex(frame["day0"])
        for w, window in enumerate(windows[1:], start=1):
            suffix = window_label(window)
            frame[f"car{suffix}"] = part.batch.window_car[ok, w]
            frame[f"car_se{suffix}"] = part.batch.window_car_se[ok, w]
            frame[f"car_t{suffix}"] = part.batch.window_car_t[ok, w]
            frame[f"car_p{suffix}"] = part.batch.window_car_p[ok, w]
            frame[f"scar{suffix}"] = frame[f"car{suffix}"] / frame[f"car_se{suffix}"]
            frame[f"bhar{suffix}"] = part.batch.window_bhar[ok, w]
        if exclude_events:
            frame["estimation_days_lost"] = part.batch.estimation_days_lost[ok]
        frames.append(frame)
        sources.append(np.column_stack([np.full(len(ok), index), ok]))
    events = pd.concat(frames) if len(frames) > 1 else frames[0]
    order = np.argsort(events.index.to_numpy(), kind="stable")
    events = events.iloc[order]
    suffixes = ["", *(window_label(w) for w in windows[1:])]
    for suffix in suffixes:  # filled after the tests' pass over the residuals
        at = events.columns.get_loc(f"car_p{suffix}") + 1
        events.insert(at, f"car_sq_p{suffix}", np.nan)
        events.insert(at + 1, f"car_sq_n{suffix}", 0)
    extra = [c for c in table.columns if c not in ("ticker", "event_date", "market", "exchange")]
    if extra:
        characteristics = table.loc[events.index, extra]
        characteristics.columns = [c if c not in events.columns else f"{c}_input" for c in extra]
        events = pd.concat([events, characteristics], axis=1)
    events.index.name = "row"
    where = np.concatenate(sources)[order]  # (part, row in its batch) per studied event
    rel_days = pd.Index(list(study.window.days), name="rel_day")
    abnormal_frame = pd.DataFrame(_gathered(parts, "abnormal", where), index=events.index,
                                  columns=rel_days, copy=False)
    se_frame = pd.DataFrame(_gathered(parts, "se", where), index=events.index, columns=rel_days,
                            copy=False)

    def residual_rows(rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), len(study.estimation)))
        for index, part in enumerate(parts):
            mine = where[rows, 0] == index
            if mine.any():
                out[mine] = part.batch.residuals(where[rows[mine], 1])
        return out

    def window_dates() -> np.ndarray:
        out = np.empty((len(events), len(study.window)), dtype="datetime64[ns]")
        offsets = np.arange(study.window.start, study.window.end + 1)
        for index, part in enumerate(parts):
            mine = where[:, 0] == index
            positions = part.positions[where[mine, 1]]  # rows of the part's batch
            out[mine] = part.trading_days.values[positions[:, None] + offsets[None, :]]
        return out

    def null_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        residuals = np.empty((len(rows), len(study.estimation)))
        weights = np.empty((len(rows), len(study.window)))
        for index, part in enumerate(parts):
            mine = where[rows, 0] == index
            if mine.any():
                residuals[mine] = part.batch.null_residuals(where[rows[mine], 1])
                weights[mine] = part.batch.null_weights(where[rows[mine], 1])
        return residuals, weights

    # each event's sample-quantile test, from the residuals the tests' pass computes anyway
    quantiles = CarQuantiles(events[[f"car{x}" for x in suffixes]].to_numpy(), windows,
                             list(study.window.days), study.alternative,
                             equal_weights=study.model.name not in GARCH_MODELS)

    def residuals_once(rows: np.ndarray) -> np.ndarray:
        chunk = residual_rows(rows)
        quantiles.add(rows, chunk)
        return chunk

    statistics, caught = event_tests(study, windows, events, abnormal_frame, se_frame,
                                     residuals_once, tests, placement.warnings)
    quantiles.finish(null_rows)
    for w, suffix in enumerate(suffixes):
        events[f"car_sq_p{suffix}"] = quantiles.p[:, w]
        events[f"car_sq_n{suffix}"] = quantiles.n[:, w]
    statistics = adjust_tests(statistics, study.adjust)
    accounting = accounting_frame(table, state.status, state.reason, state.day0,
                                  state.duplicate_of, state.lost if exclude_events else None)
    accounting.insert(2, "exchange", placement.exchange)
    return MultiEventResult(
        study=study, car_windows=windows, events=events, abnormal=abnormal_frame,
        abnormal_se=se_frame, accounting=accounting, tests=tuple(statistics),
        warnings=tuple(caught), residual_rows=residual_rows, window_dates=window_dates,
    )


#: Events whose rows :func:`_gathered` copies at once (a block that stays in the cache).
_GATHER_BLOCK = 16384


def _gathered(parts: list[_Part], name: str, where: np.ndarray) -> np.ndarray:
    """The batches' ``(N, T)`` array ``name`` (``abnormal``, ``se``) for the studied events in
    the order of ``where`` (part, row in its batch), each row copied once from its batch, in
    Fortran order: the layout of a frame's copied values, which the tests have always read (their
    sums run in the same order, so the statistics keep every bit). Copied block by block:
    straight into the Fortran layout, the rows would scatter over all the columns' pages."""
    out = np.empty((len(where), getattr(parts[0].batch, name).shape[1]), order="F")
    for index, part in enumerate(parts):
        values = getattr(part.batch, name)
        mine = np.flatnonzero(where[:, 0] == index)  # ascending
        for lo in range(0, len(mine), _GATHER_BLOCK):
            block = mine[lo : lo + _GATHER_BLOCK]
            out[block] = values[where[block, 1]]
    return out


def event_tests(
    study: EventStudy, windows: tuple[Window, ...], events: pd.DataFrame,
    abnormal: pd.DataFrame, se: pd.DataFrame, residual_rows: Callable[[np.ndarray], np.ndarray],
    tests: Sequence[str] | None, market_notes: Sequence[str] = (),
) -> tuple[list[TestStatistic], list[str]]:
    """Every test (``tests``; None: all) per day and for every window, in one pass over the
    residuals, with Savickas' test for the GARCH models; and the warnings raised, as text (with
    those about markets of another exchange, ``market_notes``, and about events sharing a date
    across exchanges).

    ``events``, ``abnormal`` and ``se`` are those of :class:`MultiEventResult`, and
    ``residual_rows(rows)`` the estimation residuals of the events at positions ``rows``: the
    study's own events, or some of them (:mod:`eventstudy.studies.groups`).
    """
    with_savickas = study.model.name in GARCH_MODELS and (tests is None or "savickas" in tests)
    tests = None if tests is None else [t for t in tests if t != "savickas"] or None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for note in market_notes:
            warnings.warn(note, DataQualityWarning, stacklevel=2)
        exchanges = (events["exchange"].to_numpy(dtype=object) if "exchange" in events.columns
                     else np.full(len(events), "", dtype=object))
        several = len(pd.unique(exchanges)) > 1  # one exchange: its day-0 clustering says it all
        shared = (shared_dates_across_exchanges(
            news_dates(events["event_date"].to_numpy(dtype=object)), exchanges) if several else None)
        if shared is not None:
            warnings.warn(shared, ClusteredEventsWarning, stacklevel=2)
        statistics = multi_event_tests(
            abnormal=abnormal.to_numpy(), abnormal_sd=se.to_numpy(),
            car_sd=events["car_se"].to_numpy(), residuals=cast(Any, residual_rows),
            df=events["df"].to_numpy(), rel_days=list(abnormal.columns),
            window=(windows[0].start, windows[0].end), event_dates=events["day0"].to_numpy(),
            tests=tests,
            more_windows=[((w.start, w.end), events[f"car_se{window_label(w)}"].to_numpy())
                          for w in windows[1:]],
            alternative=study.alternative,
        )
    for caught_warning in caught:  # re-raise for the caller, with their own classes
        warnings.warn(caught_warning.message, caught_warning.category, stacklevel=4)
    if with_savickas:
        from eventstudy.inference.savickas import savickas

        statistics += savickas(abnormal.to_numpy(), se.to_numpy(), events["car_se"].to_numpy(),
                               list(abnormal.columns), (windows[0].start, windows[0].end))
    return statistics, [str(w.message) for w in caught]
