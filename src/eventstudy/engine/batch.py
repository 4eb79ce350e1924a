r"""The many-events engine: every event's study at once, vectorised, with full inference.

:func:`batch_event_study` runs the study of :class:`eventstudy.engine.single.EventStudy` on
``N`` events of a returns panel (dates x securities in memory, or the events' cells of a panel
file) with no Python loop over events in the hot path, and gives the numbers of the
single-event path (``EventStudy.run``) to rounding error.

The per-event regressions run in :mod:`eventstudy.engine.vectorised` (running sums, see its
docstring for the algorithm, the accuracy guard and the models); p-values in
:mod:`eventstudy.inference.pvalues`.

Memory
------
The engine works on the cells of the events' windows only (:mod:`eventstudy.data.segments`:
each security's windows merged into runs of days), never on securities x the whole date span.
Events are sorted by segment and processed in blocks of cells (the running sums of a block and
their temporaries take at most ``prefix_budget_mb``) and chunks of ``chunk_size`` events; the
cells (8 bytes each, at most the events' windows) and the output arrays are the only memory
that grows with ``N``. Estimation residuals (``N x L``, used by the rank and sign tests) are
not kept: :meth:`BatchResult.residuals` recomputes them from the cells for the events asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from eventstudy.calendar import Window, as_window
from eventstudy.data.panel_cells import FrameCells, PanelCells
from eventstudy.data.segments import Segments
from eventstudy.engine.vectorised import OK as _OK
from eventstudy.engine.vectorised import Engine, ModelSpec, model_spec
from eventstudy.events import place_events
from eventstudy.exceptions import ParameterError
from eventstudy.models.linear import ExpectedReturnModel
from eventstudy.inference.pvalues import critical_values, p_values
from eventstudy.defaults import DEFAULT_ESTIMATION, DEFAULT_WINDOW
from eventstudy.engine.single import EventStudy, model_data

__all__ = ["BatchResult", "batch_event_study"]

#: Why an event was skipped (codes of :attr:`BatchResult.reason_code`; 0: studied).
REASONS: dict[int, str] = {
    0: "",
    1: "unknown security",
    2: "event date",
    3: "after the last trading day",
    4: "too little history (calendar)",
    5: "too few trading days after the event (calendar)",
    6: "no returns",
    7: "too little history",
    8: "too few trading days after the event",
    9: "missing event-window data",
    10: "min_estimation",
    11: "singular design",
    12: "exact fit",
    13: "degenerate estimation",
}

#: Default size of the prefix-sum arrays of one block of securities.
PREFIX_BUDGET_MB = 256.0


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BatchResult:
    r"""Per-event results of :func:`batch_event_study`, one row per event of the events table.

    Rows of skipped events hold ``NaN`` (and ``-1`` in the integer arrays); :attr:`ok` marks
    the studied ones and :attr:`skipped` says why the others were not.

    Attributes
    ----------
    study
        The specification (model, windows, level, ``min_estimation``).
    car_windows
        Windows of the CARs (inside the event window); the first is :attr:`car_window`.
    securities
        ``(N,)`` security of each event, as given.
    event_dates
        ``(N,)`` event dates, as given.
    day0
        ``(N,)`` day 0 (``NaT`` when unresolved).
    reason_code
        ``(N,)`` 0 when studied, else a key of :data:`REASONS`.
    nobs, df
        ``(N,)`` valid estimation returns :math:`n` and residual degrees of freedom.
    sigma
        ``(N,)`` residual standard deviation :math:`s`.
    params
        ``(N, k)`` fitted coefficients, columns :attr:`param_names`.
    realised, abnormal, se, t, p
        ``(N, T)`` event-window returns, abnormal returns, their standard errors
        :math:`\sqrt{V_{tt}}`, t statistics and two-sided p-values; column ``j`` is relative
        day ``rel_days[j]``.
    window_car, window_car_se, window_car_t, window_car_p
        ``(N, W)`` CAR over each of :attr:`car_windows`, :math:`\sqrt{\mathbf 1'V\mathbf 1}`,
        t and p (:attr:`car`, :attr:`car_se`, :attr:`car_t`, :attr:`car_p`: the first window).
    window_bhar
        ``(N, W)`` buy-and-hold abnormal return over each window (:attr:`bhar`: the first).
    estimation_days_lost
        ``(N,)`` estimation days left out because another event of the same security had its
        event window there (``exclude_events``; 0 otherwise).
    """

    study: EventStudy
    car_windows: tuple[Window, ...]
    securities: np.ndarray
    event_dates: np.ndarray
    day0: np.ndarray
    reason_code: np.ndarray
    nobs: np.ndarray
    df: np.ndarray
    sigma: np.ndarray
    params: np.ndarray
    realised: np.ndarray
    abnormal: np.ndarray
    se: np.ndarray
    window_car: np.ndarray
    window_car_se: np.ndarray
    window_car_t: np.ndarray
    window_car_p: np.ndarray
    window_bhar: np.ndarray
    estimation_days_lost: np.ndarray
    _panel: _Panel = field(repr=False)
    _details: dict[int, str] = field(repr=False, default_factory=dict)

    # ----- shape and selection --------------------------------------------------------------

    @property
    def t(self) -> np.ndarray:
        """``(N, T)`` t statistics of the daily abnormal returns, :math:`AR / se`."""
        return self.abnormal / self.se

    @property
    def p(self) -> np.ndarray:
        """``(N, T)`` p-values of :attr:`t` for the study's alternative (two-sided by default;
        Student's t with each event's ``df``); computed on demand, so a study that does not read
        them does not pay for them."""
        t = self.t
        p = np.full(t.shape, np.nan)
        ok = self.ok
        if ok.any():
            p[ok] = p_values(t[ok], self.df[ok].astype(float), self.study.alternative)
        return p

    @property
    def car_window(self) -> Window:
        """The first CAR window."""
        return self.car_windows[0]

    @property
    def car(self) -> np.ndarray:
        """``(N,)`` CAR over :attr:`car_window`."""
        return self.window_car[:, 0]

    @property
    def car_se(self) -> np.ndarray:
        """``(N,)`` :math:`\\sqrt{\\mathbf 1'V\\mathbf 1}` over :attr:`car_window`."""
        return self.window_car_se[:, 0]

    @property
    def car_t(self) -> np.ndarray:
        return self.window_car_t[:, 0]

    @property
    def car_p(self) -> np.ndarray:
        return self.window_car_p[:, 0]

    @property
    def bhar(self) -> np.ndarray:
        """``(N,)`` buy-and-hold abnormal return over :attr:`car_window`."""
        return self.window_bhar[:, 0]

    @property
    def model(self) -> ExpectedReturnModel:
        return self.study.model

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.study.model.param_names

    @property
    def rel_days(self) -> list[int]:
        return list(self.study.window.days)

    @property
    def ok(self) -> np.ndarray:
        """``(N,)`` True for the events that were studied."""
        return self.reason_code == _OK

    @property
    def n_events(self) -> int:
        """Number of events studied."""
        return int(self.ok.sum())

    def __len__(self) -> int:
        return len(self.reason_code)

    @property
    def expected(self) -> np.ndarray:
        """``(N, T)`` expected returns :math:`R^* - AR`."""
        return self.realised - self.abnormal

    @property
    def skipped(self) -> pd.DataFrame:
        """Events not studied: ``security``, ``event_date``, ``reason``."""
        rows = np.flatnonzero(~self.ok)
        return pd.DataFrame(
            {
                "security": self.securities[rows],
                "event_date": self.event_dates[rows],
                "reason": [self._reason(int(i)) for i in rows],
            },
            index=pd.Index(rows, name="event"),
        )

    def _reason(self, i: int) -> str:
        if i in self._details:
            return self._details[i]
        code = int(self.reason_code[i])
        spec, panel = self.study, self._panel
        name = repr(str(self.securities[i]))
        day0 = "" if pd.isna(self.day0[i]) else f"{pd.Timestamp(self.day0[i]):%Y-%m-%d}"
        if code == 1:
            return f"security: {name} is not a column of the returns panel"
        if code == 6:
            return f"ticker: {name} has no returns on the market's trading days"
        if code in (3, 4, 5):
            return (f"event_date: {REASONS[code]}: day 0 {day0 or self.event_dates[i]} cannot hold "
                    f"the windows {spec.estimation} and {spec.window} on the market's "
                    f"{len(panel.dates)} trading days")
        if code in (7, 8):
            return (f"event_date: {REASONS[code]} for {name}: the windows {spec.estimation} and "
                    f"{spec.window} around day 0 {day0} reach beyond its returns")
        if code == 9:
            return (f"window: no {name} return or {spec.model.name} model input on some "
                    f"event-window day around day 0 {day0}")
        if code == 10:
            n = int(self.nobs[i])
            return (f"min_estimation: {name} has {n} valid returns in the estimation window "
                    f"{spec.estimation} ({len(spec.estimation) - n} missing), fewer than the "
                    f"{spec.min_estimation} required; lower min_estimation or move the window")
        if code == 11:
            return f"estimation: the regressors of the {spec.model.label} are collinear for {name}"
        if code == 13:
            return (f"estimation: the {spec.model.label} gives {name} abnormal returns or standard "
                    "errors that are not finite numbers (degenerate data)")
        if code == 12:
            return (f"estimation: the {spec.model.label} fits {name} exactly over the estimation "
                    "window (residual sd 0), so abnormal returns cannot be tested")
        return REASONS.get(code, "unknown")

    # ----- tables ---------------------------------------------------------------------------

    def frame(self, *, studied_only: bool = True) -> pd.DataFrame:
        """Per-event table: security, event_date, day0, nobs, df, sigma, parameters, the CAR
        over :attr:`car_window` with se, t, p and its confidence interval, and the BHAR."""
        rows = np.flatnonzero(self.ok) if studied_only else np.arange(len(self))
        df = self.df[rows]
        half = critical_values(self.study.level, df) * self.car_se[rows]
        data: dict[str, Any] = {
            "security": self.securities[rows],
            "event_date": self.event_dates[rows],
            "day0": self.day0[rows],
            "nobs": self.nobs[rows],
            "df": df,
            "sigma": self.sigma[rows],
        }
        data.update({name: self.params[rows, j] for j, name in enumerate(self.param_names)})
        data.update({
            "car": self.car[rows], "car_se": self.car_se[rows], "car_t": self.car_t[rows],
            "car_p": self.car_p[rows], "car_ci_low": self.car[rows] - half,
            "car_ci_high": self.car[rows] + half, "bhar": self.bhar[rows],
        })
        return pd.DataFrame(data, index=pd.Index(rows, name="event"))

    def days(self, column: str = "abnormal", *, studied_only: bool = True) -> pd.DataFrame:
        """One ``(N, T)`` array (``realised``, ``expected``, ``abnormal``, ``se``, ``t``, ``p``)
        as a frame, one row per event, one column per relative day."""
        allowed = ("realised", "expected", "abnormal", "se", "t", "p")
        if column not in allowed:
            raise ParameterError("column", column, f"choose one of {', '.join(allowed)}")
        rows = np.flatnonzero(self.ok) if studied_only else np.arange(len(self))
        return pd.DataFrame(
            getattr(self, column)[rows], index=pd.Index(rows, name="event"),
            columns=pd.Index(self.rel_days, name="rel_day"),
        )

    @property
    def aar(self) -> pd.Series:
        """Average abnormal return of the studied events, by relative day."""
        return pd.Series(self.abnormal[self.ok].mean(axis=0),
                         index=pd.Index(self.rel_days, name="rel_day"), name="aar")

    # ----- estimation residuals and the multi-event statistics ------------------------------

    def residuals(self, rows: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Estimation-window residuals ``(len(rows), L)`` aligned by relative day, NaN where
        missing (default: every studied event; mind the size, ``8 N L`` bytes).

        Computed from the panel and the fitted parameters, :math:`e_t = y_t - X_t \\hat b`
        (for the market-adjusted model :math:`R_t - R_{m,t}`), exactly as ``fit.residuals``.
        """
        rows = np.flatnonzero(self.ok) if rows is None else np.asarray(rows, dtype=np.intp)
        if len(rows) and not self.ok[rows].all():
            raise ParameterError("rows", rows[~self.ok[rows]][:5].tolist(),
                                 "ask only for studied events (see .ok)")
        panel, est = self._panel, self.study.estimation
        spec, width = panel.spec, len(est)
        out = np.empty((len(rows), width))
        # an event's estimation days are consecutive days and consecutive cells: each is one row
        # of a sliding window over the cells (and over each day's model inputs), copied whole
        first_day = panel.day0_pos[rows] + est.start
        first_cell = panel.base[rows] + first_day
        cells = sliding_window_view(panel.cells, width)
        offset = sliding_window_view(spec.offset, width)
        valid = sliding_window_view(spec.valid, width)
        design = [sliding_window_view(np.ascontiguousarray(spec.design[:, j]), width)
                  for j in range(spec.design.shape[1])]
        for lo in range(0, len(rows), 8192):
            days = first_day[lo : lo + 8192]
            y = cells[first_cell[lo : lo + 8192]]
            y -= offset[days]
            params = self.params[rows[lo : lo + 8192]]
            for j, column in enumerate(design):  # the fit, column by column of the design
                y -= params[:, j : j + 1] * column[days]
            np.putmask(y, ~valid[days], np.nan)
            out[lo : lo + len(days)] = y
        return out

    def null_residuals(self, rows: np.ndarray) -> np.ndarray:
        """What the sample-quantile test compares each event's ARs with: its estimation
        residuals (:meth:`residuals`; :mod:`eventstudy.engine.batch_quantiles`)."""
        return self.residuals(rows)

    def null_weights(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), T)`` weights of the event days in the sample-quantile test's null sums:
        1 for the linear models."""
        return np.ones((len(rows), len(self.rel_days)))

    def test_inputs(self, *, residuals: bool = True) -> dict[str, Any]:
        """Keyword arguments of :func:`eventstudy.inference.multi_event.multi_event_tests` for the studied
        events (``car_sd`` over :attr:`car_window`). The residuals come as a function of the rows
        (:meth:`residuals`), which the statistics read chunk by chunk, so the ``N x L`` matrix is
        never held whole; ``residuals=False`` leaves them out (the parametric tests do not read
        them)."""
        rows = np.flatnonzero(self.ok)
        inputs: dict[str, Any] = {
            "abnormal": self.abnormal[rows],
            "abnormal_sd": self.se[rows],
            "car_sd": self.car_se[rows],
            "df": self.df[rows],
            "rel_days": self.rel_days,
            "window": (self.car_window.start, self.car_window.end),
            "event_dates": self.day0[rows],
        }
        if residuals:
            inputs["residuals"] = lambda studied: self.residuals(rows[studied])
        return inputs


@dataclass(frozen=True, eq=False)
class _Panel:
    """What the result needs to recompute residuals: the estimation returns as cells
    (:mod:`eventstudy.data.segments`; other events' windows removed with ``exclude_events``),
    each event's cell of day 0 less its day-0 position (``base``: day ``d`` is cell
    ``base + d``), day-0 rows, model."""

    dates: pd.DatetimeIndex
    cells: np.ndarray
    base: np.ndarray
    day0_pos: np.ndarray
    spec: ModelSpec


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def batch_event_study(
    returns: pd.DataFrame | PanelCells,
    events: pd.DataFrame,
    market: pd.Series | str,
    *,
    model: str | ExpectedReturnModel = "market",
    estimation: tuple[int, int] | Window = DEFAULT_ESTIMATION,
    window: tuple[int, int] | Window = DEFAULT_WINDOW,
    car_window: tuple[int, int] | Window | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    factors: pd.DataFrame | None = None,
    non_session: str = "next",
    car_windows: Sequence[tuple[int, int] | Window] | None = None,
    exclude_events: bool = False,
    alternative: str = "two-sided",
    chunk_size: int = 65_536,
    prefix_budget_mb: float = PREFIX_BUDGET_MB,
    workers: int | None = None,
    progress: bool | None = None,
) -> BatchResult:
    r"""Event studies of many events at once, with the numbers of ``EventStudy.run``.

    Parameters
    ----------
    returns
        Simple returns, dates x securities (one column per security; ``NaN`` where missing), or
        the events' cells of a panel file (:func:`eventstudy.data.panel_cells.load_panel_cells`).
    events
        Table with a ``security`` (or ``ticker``) column naming columns of ``returns`` and an
        ``event_date`` column (dates, or anything :func:`eventstudy.calendar.resolve_event`
        accepts, e.g. timestamps with a time zone).
    market
        The market's returns (a Series indexed by date) or the name of a column of
        ``returns``. Its dates with a return are the trading days, as in the single path.
    model, estimation, window, level, min_estimation
        As for :class:`~eventstudy.engine.single.EventStudy`.
    car_window
        Window of the CAR and its test, inside the event window (default: the event window).
    car_windows
        Several CAR windows at once (instead of ``car_window``); the first is ``car_window``.
    exclude_events
        Leave out of each event's estimation window the event windows of the other events of
        the same security (overlapping events); the days lost are counted
        (:attr:`BatchResult.estimation_days_lost`) and ``min_estimation`` still applies.
    factors
        Daily French factors in decimals, indexed by date, for the factor models.
    non_session
        Day 0 for an event date that is not a trading day: ``"next"``, ``"previous"``, ``"raise"``
        (an event skipped with the reason).
    chunk_size
        Events solved at once; bounds the working memory.
    prefix_budget_mb
        Memory of the running sums of one block of the events' cells (and their temporaries).
    workers
        Threads computing blocks of cells (or, with one block, chunks of events) side by side
        (NumPy releases the GIL in the array work); default: the number of CPUs, at most 4.
        ``1`` runs serially.
    progress
        tqdm progress bar on stderr; ``None`` (default): only when stderr is a terminal.

    Returns
    -------
    BatchResult
        Per-event arrays in the order of ``events``; skipped events are listed with the reason
        the single path would raise.

    Raises
    ------
    ParameterError
        Bad parameters, an events table without its columns, a model the engine cannot run,
        or a factor model without ``factors``.

    Notes
    -----
    The rules of the single path are kept: trading days are the market's dates; day 0 is the
    first trading day on or after the event date (``non_session``); estimation days lacking
    the stock's return or a model input are left out and counted (the event is skipped below
    ``min_estimation``); an event-window day lacking either skips the event; windows reaching
    before the security's first or after its last return skip it. See the module docstring
    for the algorithm (Campbell, Lo & MacKinlay 1997, ch. 4).
    """
    study = EventStudy(model=model, estimation=estimation, window=window, level=level,
                       min_estimation=min_estimation, alternative=alternative)
    windows = car_windows_of(study, car_window, car_windows)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ParameterError("chunk_size", chunk_size, "give a positive whole number of events")
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError("workers", workers, "give a positive whole number of threads")
    if not isinstance(returns, (pd.DataFrame, PanelCells)):
        raise ParameterError("returns", type(returns).__name__, "give a DataFrame, dates x securities")
    if not isinstance(events, pd.DataFrame):
        raise ParameterError("events", type(events).__name__,
                             "give a DataFrame with columns security (or ticker) and event_date")
    sec_col = "security" if "security" in events.columns else "ticker"
    if sec_col not in events.columns or "event_date" not in events.columns:
        raise ParameterError("events", list(events.columns),
                             "the table needs columns security (or ticker) and event_date")
    if isinstance(market, str):
        if not isinstance(returns, pd.DataFrame) or market not in returns.columns:
            raise ParameterError("market", market, "name a column of returns or pass a Series")
        market = returns[market]
    if not isinstance(market, pd.Series):
        raise ParameterError("market", type(market).__name__, "give a Series or a column name")

    market = _trading_days_series(market)
    dates = pd.DatetimeIndex(market.index)
    data = model_data(market, factors, study.model)  # raises when factors are missing
    spec = model_spec(study.model, data)
    source = returns if isinstance(returns, PanelCells) else _frame_cells(returns, dates)
    n_dates = len(dates)

    securities = events[sec_col].to_numpy()
    event_dates = events["event_date"].to_numpy()
    n_events = len(events)
    reason = np.zeros(n_events, dtype=np.int8)
    details: dict[int, str] = {}

    column = source.names.get_indexer(events[sec_col])
    reason[column < 0] = 1
    pos = _day0_positions(events["event_date"], dates, non_session, reason, details)

    est, win = study.estimation, study.window
    earliest, latest = min(est.start, win.start), max(est.end, win.end)
    live = reason == _OK
    reason[live & (pos >= n_dates)] = 3
    live = reason == _OK
    reason[live & (pos + earliest < 0)] = 4
    live = reason == _OK
    reason[live & (pos + latest >= n_dates)] = 5

    # the security's own history: first and last return on the market's days
    first, last, any_ret = source.history()
    live = reason == _OK
    col_live = np.where(live, column, 0)
    reason[live & ~any_ret[col_live]] = 6
    live = reason == _OK
    reason[live & (first[col_live] > pos + earliest)] = 7
    live = reason == _OK
    reason[live & (last[col_live] < pos + latest)] = 8

    out = _allocate(n_events, len(win), spec.k, len(windows))
    live = reason == _OK
    rows = np.flatnonzero(live)
    segs, seg_of, cells = source.window_cells(column[rows], pos[rows] + earliest,
                                              pos[rows] + latest)
    segment = np.zeros(n_events, dtype=np.int64)
    segment[rows] = seg_of
    lost = np.zeros(n_events, dtype=np.int64)
    excluded = None
    if exclude_events and len(rows):
        excluded = _window_cells(segs, segment[rows], pos[rows], win)
        lost[rows] = _days_lost(segs, excluded & np.isfinite(cells), segment[rows], pos[rows], est)
    estimation_cells = cells
    if len(rows):
        used = np.unique(segment[rows])  # the segments of the events studied, not of others
        engine = Engine(cells, segs, spec, study, windows, excluded, block_cells=max(
            1, int(prefix_budget_mb * 2**20 // ((3 + spec.q + 6) * 8))), used=used)
        estimation_cells = engine.estimation
        if len(engine.blocks) == 1:
            # one block: every event in its own order, outputs written by slices; skipped
            # events ride along on a segment of the block and are blanked afterwards
            safe_pos = np.where(live, pos, segs.first[used[0]] - earliest)
            safe_segment = np.where(live, segment, used[0])
            engine.run(np.arange(n_events), safe_pos, safe_segment, reason, out,
                       chunk_size=chunk_size, progress=progress, workers=workers)
        else:
            engine.run(rows, pos, segment, reason, out, chunk_size=chunk_size,
                       progress=progress, workers=workers)
    _blank(out, reason)

    day0 = np.full(n_events, np.datetime64("NaT"), dtype="datetime64[ns]")
    placed = (pos >= 0) & (pos < n_dates)
    day0[placed] = dates.values[pos[placed]]
    base = np.where(live, segs.base[segment] if len(segs) else 0, 0)
    return BatchResult(
        study=study, car_windows=windows, securities=securities, event_dates=event_dates,
        day0=day0, reason_code=reason, **out, estimation_days_lost=np.where(reason == _OK, lost, -1),
        _panel=_Panel(dates, estimation_cells, base, np.where(placed, pos, 0), spec),
        _details=details,
    )


def _frame_cells(returns: pd.DataFrame, dates: pd.DatetimeIndex) -> FrameCells:
    """A returns frame on the trading days, refused when a date repeats."""
    if returns.index.has_duplicates:
        repeated = pd.DatetimeIndex(returns.index[returns.index.duplicated()][:3])
        raise ParameterError("returns", f"repeated dates {[f'{d:%Y-%m-%d}' for d in repeated]}",
                             "give one row per date")
    return FrameCells(returns.reindex(dates).to_numpy(dtype=float), pd.Index(returns.columns))


def car_windows_of(
    study: EventStudy, car_window: tuple[int, int] | Window | None,
    car_windows: Sequence[tuple[int, int] | Window] | None,
) -> tuple[Window, ...]:
    """The CAR windows, validated: ``car_windows``, else ``car_window``, else the event window."""
    if car_window is not None and car_windows is not None:
        raise ParameterError("car_windows", car_windows, "give car_window or car_windows, not both")
    if car_windows is not None:
        if isinstance(car_windows, (str, bytes)) or len(car_windows) == 0:
            raise ParameterError("car_windows", car_windows, "give one or more (start, end) windows")
        chosen = [as_window(w, "car_window") for w in car_windows]
    else:
        default = (study.window.start, study.window.end)
        chosen = [as_window(car_window if car_window is not None else default, "car_window")]
    for window in chosen:
        if window.start < study.window.start or window.end > study.window.end:
            raise ParameterError("car_window", (window.start, window.end),
                                 f"stay inside the event window {study.window}")
    return tuple(dict.fromkeys(chosen))


def _trading_days_series(market: pd.Series) -> pd.Series:
    """The market's returns by trading day: missing values dropped, dates sorted, repeats and
    non-numbers refused."""
    try:
        index = pd.DatetimeIndex(market.index)
    except (TypeError, ValueError):
        raise ParameterError("market", f"an index of {market.index.dtype}",
                             "index the market's returns by date") from None
    if index.tz is not None:
        raise ParameterError("market", f"dates with time zone {index.tz}", "give plain dates")
    try:
        values = pd.to_numeric(market, errors="raise").astype(float)
    except (TypeError, ValueError):
        raise ParameterError("market", "values that are not numbers", "give returns as decimals") from None
    values.index = index
    values = values[values.notna()]
    if values.index.has_duplicates:
        repeated = values.index[values.index.duplicated()][:3]
        raise ParameterError("market", f"repeated dates {[f'{d:%Y-%m-%d}' for d in repeated]}",
                             "give one return per date")
    if np.isinf(values.to_numpy()).any():
        raise ParameterError("market", "infinite values", "give finite returns")
    return values.sort_index()


def _window_cells(segs: Segments, segment: np.ndarray, pos: np.ndarray,
                  win: Window) -> np.ndarray:
    """``(C,)`` True on the cells of the event windows of the events given (their segments
    and day-0 positions): a difference array over the cells, one pass."""
    mark = np.zeros(segs.n_cells + 1, dtype=np.int32)
    start = segs.base[segment] + pos
    np.add.at(mark, start + win.start, 1)
    np.add.at(mark, start + win.end + 1, -1)
    return np.cumsum(mark[:-1]) > 0


def _days_lost(segs: Segments, lost_cells: np.ndarray, segment: np.ndarray, pos: np.ndarray,
               est: Window) -> np.ndarray:
    """Per event, the cells of its estimation window that are lost (excluded, with a return)."""
    counts = np.zeros(segs.n_cells + 1, dtype=np.int64)
    np.cumsum(lost_cells, out=counts[1:])
    start = segs.base[segment] + pos
    return counts[start + est.end + 1] - counts[start + est.start]


def _day0_positions(
    column: pd.Series, dates: pd.DatetimeIndex, non_session: str,
    reason: np.ndarray, details: dict[int, str],
) -> np.ndarray:
    """Row of day 0 on ``dates`` for every event (:func:`eventstudy.events.place_events`);
    events that cannot be placed (a date outside the data, a malformed date, ``"raise"`` on a
    non-trading day) get reason 2 and their message."""
    placed = place_events(column.to_numpy(), dates, non_session=non_session)
    failed = np.flatnonzero(~placed.placed)
    details.update(zip(failed.tolist(), placed.failed[failed].tolist()))
    reason[failed] = 2
    return placed.position


def _allocate(n: int, t: int, k: int, w: int) -> dict[str, np.ndarray]:
    """Output arrays, uninitialised: the engine writes every studied row, then
    :func:`_blank` fills the others."""
    shapes = {"sigma": (n,), "params": (n, k), "realised": (n, t), "abnormal": (n, t),
              "se": (n, t), "window_car": (n, w),
              "window_car_se": (n, w), "window_car_t": (n, w), "window_car_p": (n, w),
              "window_bhar": (n, w)}
    out: dict[str, np.ndarray] = {"nobs": np.empty(n, dtype=np.int64), "df": np.empty(n, dtype=np.int64)}
    out.update({name: np.empty(shape) for name, shape in shapes.items()})
    return out


def _blank(out: dict[str, np.ndarray], reason: np.ndarray) -> None:
    """-1 and NaN in the rows of skipped events (``nobs`` stays where the estimation window
    was counted: events skipped for ``min_estimation``, a singular design or an exact fit)."""
    rows = np.flatnonzero(reason != _OK)
    if len(rows) == 0:
        return
    for name, array in out.items():
        if name == "nobs":
            counted = np.isin(reason[rows], (10, 11, 12))
            array[rows[~counted]] = -1
            continue
        array[rows] = -1 if array.dtype.kind == "i" else np.nan
