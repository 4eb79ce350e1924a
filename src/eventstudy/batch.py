r"""The many-events engine: every event's study at once, vectorised, with full inference.

:func:`batch_event_study` runs the study of :class:`eventstudy.study.EventStudy` on ``N`` events
of a returns panel (dates x securities) with no Python loop over events in the hot path, and
gives the numbers of the single-event path (``EventStudy.run``) to rounding error.

Algorithm
---------
Every linear model here regresses :math:`y = R - o` (the return less a known offset :math:`o`:
0, :math:`RF` or :math:`R_m`) on an intercept and regressors :math:`z_t` (:math:`q` columns)
that are the same for every security (the market, its lag and lead, French factors). For
security :math:`s` with validity mask :math:`m_{ts}` (its return and every model input present),
the ``M = 3 + 2q + q(q+1)/2`` masked moments

.. math:: m,\; m z_j,\; m z_j z_l\,(j \le l),\; m y,\; m z_j y,\; m y^2

are summed cumulatively over dates once. The estimation window :math:`[a, b]` of any event
then has the sums :math:`S = C_{b+1} - C_a` (two row look-ups), so its regression costs
:math:`O(q^2)` whatever the window length :math:`L`:

.. math:: n = S_m,\quad \bar z = S_z / n,\quad \bar y = S_y / n,\quad
          Q = S_{zz} - n \bar z \bar z',\quad c = S_{zy} - n \bar z \bar y,\quad
          Q_{yy} = S_{yy} - n \bar y^2,

.. math:: \hat b = Q^{-1} c,\qquad \hat\alpha = \bar y - \hat b'\bar z,\qquad
          s^2 = (Q_{yy} - c'Q^{-1}c) / (n - k).

All ``N`` small systems are solved together by a Cholesky factorisation :math:`Q = LL'`
vectorised over events (closed form for the market model). With :math:`d_t = z^*_t - \bar z`
on event day :math:`t` and :math:`u_t = L^{-1} d_t`, the abnormal returns and their covariance
(prediction error included; Campbell, Lo & MacKinlay 1997, *The Econometrics of Financial
Markets*, ch. 4, eqs. 4.4.7-4.4.8 and 4.4.13) are

.. math:: AR_t = y^*_t - \bar y - u_t' w,\quad w = L^{-1}c, \qquad
          V_{tu} = s^2 \left(\delta_{tu} + 1/n + u_t' u_u\right),

because :math:`X^*(X'X)^{-1}X^{*\prime}` with :math:`X = [1, z]` equals
:math:`1/n + d_t' Q^{-1} d_u`. Per-day standard errors are :math:`\sqrt{V_{tt}}` and the CAR
over days :math:`W` has :math:`\mathbf 1'V\mathbf 1 = s^2 (|W| + |W|^2/n + \lVert\sum_{t \in W}
u_t\rVert^2)`, so no :math:`N \times T \times T` array is formed. Student-t tests with
:math:`n - k` degrees of freedom follow (:mod:`eventstudy.inference`).

Accuracy guard
--------------
Differencing prefix sums loses the digits that the prefix sums carry beyond the window's own
sums. Before summing, every regressor is centred by its mean over the whole panel and every
security's target by its own panel mean (variances, covariances and slopes are invariant to
these shifts; the intercept is shifted back exactly). The prefix sums then stay of the order of
the window sums (random walks around zero instead of a growing drift), and the centred
cross-products :math:`Q`, :math:`c`, :math:`Q_{yy}` are formed from window means near zero, so
there is no catastrophic cancellation. ``tests/test_batch.py`` checks the engine against a
direct per-event least-squares fit on 10-year panels of realistic returns and against
:meth:`EventStudy.run <eventstudy.study.EventStudy.run>` on the committed panel to 1e-10.

Models
------
Every built-in model runs vectorised: ``constant_mean`` (:math:`q = 0`), ``market``, ``capm``,
``ff3``, ``carhart``, ``ff5``, ``dimson`` (the general form above), ``market_adjusted``
(:math:`s^2` is the variance of :math:`R - R_m`, :math:`V = s^2 I`) and ``scholes_williams``
(its slopes :math:`b_{-1}, b_0, b_{+1}` and the market's autocorrelation come from the same
moments as Dimson's; :math:`V` uses :math:`X = [1, R_m]`). A user model (a subclass of
:class:`~eventstudy.models.ExpectedReturnModel`) runs when it keeps the OLS ``fit`` and its
design starts with a column of ones; otherwise :func:`batch_event_study` raises and the
per-event path (:class:`~eventstudy.study.EventStudy`) is the fallback.

Memory
------
Events are sorted by security and processed in blocks of securities (the prefix sums of a
block take at most ``prefix_budget_mb``) and chunks of ``chunk_size`` events; the output
arrays are the only memory that grows with ``N``. Estimation residuals (``N x L``, used by the
rank and sign tests) are not kept: :meth:`BatchResult.residuals` recomputes them for the
events asked for.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from eventstudy.calendar import Window, as_window, resolve_event
from eventstudy.exceptions import EventStudyError, ParameterError
from eventstudy.inference import check_level
from eventstudy.models import ExpectedReturnModel, MarketAdjusted, ScholesWilliams
from eventstudy.progress import progress_bar
from eventstudy.study import DEFAULT_ESTIMATION, DEFAULT_WINDOW, EXACT_FIT, EventStudy, model_data

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
}
_OK = 0

#: Default size of the prefix-sum arrays of one block of securities.
PREFIX_BUDGET_MB = 256.0


# --------------------------------------------------------------------------------------------
# Models as shared regressors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """How a model maps onto the vectorised engine.

    ``kind``: ``"ols"`` (intercept plus ``z``), ``"market_adjusted"`` or ``"scholes_williams"``.
    ``z`` (D x q) the regressors besides the intercept, ``offset`` (D,), ``valid`` (D,) the days
    with every model input, ``design`` (D x k) and ``k`` the number of parameters.
    """

    kind: str
    z: np.ndarray
    offset: np.ndarray
    valid: np.ndarray
    design: np.ndarray
    k: int

    @property
    def q(self) -> int:
        return self.z.shape[1]


def _model_spec(model: ExpectedReturnModel, data: pd.DataFrame) -> _Spec:
    missing = [c for c in model.columns if c not in data.columns]
    if missing:
        raise ParameterError(
            "factors", sorted(c for c in data.columns if not c.startswith("market")),
            f"the {model.label} needs the columns {list(model.columns)}; {missing} are missing",
        )
    valid = data[list(model.columns)].notna().all(axis=1).to_numpy()
    if isinstance(model, MarketAdjusted):
        offset = data["market"].to_numpy(dtype=float)
        return _Spec("market_adjusted", np.empty((len(data), 0)), offset, valid,
                     np.empty((len(data), 0)), 0)
    if isinstance(model, ScholesWilliams):
        z = data[["market_lag1", "market", "market_lead1"]].to_numpy(dtype=float)
        return _Spec("scholes_williams", z, np.zeros(len(data)), valid,
                     model.design(data).astype(float), 2)
    if type(model).fit is not ExpectedReturnModel.fit:
        raise ParameterError(
            "model", model.name,
            "the batch engine runs models fitted by OLS with an intercept (every built-in model); "
            "run this one event by event with EventStudy",
        )
    design = np.asarray(model.design(data), dtype=float)
    offset = np.asarray(model.offset(data), dtype=float)
    k = len(model.param_names)
    if design.shape != (len(data), k) or k == 0 or not np.all(design[valid, 0] == 1.0):
        raise ParameterError(
            "model", model.name,
            "the batch engine needs a design whose first column is the intercept (ones); "
            "run this model event by event with EventStudy",
        )
    valid = valid & np.isfinite(design).all(axis=1) & np.isfinite(offset)
    return _Spec("ols", design[:, 1:], offset, valid, design, k)


def _packed_pairs(q: int) -> list[tuple[int, int]]:
    return [(j, m) for j in range(q) for m in range(j, q)]


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
    car_window
        Window of :attr:`car` (inside the event window).
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
    car, car_se, car_t, car_p
        ``(N,)`` CAR over :attr:`car_window`, :math:`\sqrt{\mathbf 1'V\mathbf 1}`, t and p.
    bhar
        ``(N,)`` buy-and-hold abnormal return over :attr:`car_window`.
    """

    study: EventStudy
    car_window: Window
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
    t: np.ndarray
    p: np.ndarray
    car: np.ndarray
    car_se: np.ndarray
    car_t: np.ndarray
    car_p: np.ndarray
    bhar: np.ndarray
    _panel: _Panel = field(repr=False)
    _details: dict[int, str] = field(repr=False, default_factory=dict)

    # ----- shape and selection --------------------------------------------------------------

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
        half = _critical(self.study.level, df) * self.car_se[rows]
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
        out = np.empty((len(rows), len(est)))
        offsets = np.arange(est.start, est.end + 1)
        for lo in range(0, len(rows), 8192):
            chunk = rows[lo : lo + 8192]
            day = panel.day0_pos[chunk][:, None] + offsets[None, :]
            col = panel.column[chunk][:, None]
            y = panel.values[day, col] - panel.spec.offset[day]
            fitted = np.einsum("ntk,nk->nt", panel.spec.design[day], self.params[chunk])
            res = y - fitted
            valid = panel.spec.valid[day] & np.isfinite(y)
            out[lo : lo + len(chunk)] = np.where(valid, res, np.nan)
        return out

    def test_inputs(self, *, residuals: bool = True) -> dict[str, Any]:
        """Keyword arguments of :func:`eventstudy.statistics.multi_event_tests` for the studied
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
    """What the result needs to recompute residuals: returns, day-0 rows, columns, model."""

    dates: pd.DatetimeIndex
    values: np.ndarray
    day0_pos: np.ndarray
    column: np.ndarray
    spec: _Spec


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def batch_event_study(
    returns: pd.DataFrame,
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
    chunk_size: int = 65_536,
    prefix_budget_mb: float = PREFIX_BUDGET_MB,
    workers: int | None = None,
    progress: bool | None = None,
) -> BatchResult:
    r"""Event studies of many events at once, with the numbers of ``EventStudy.run``.

    Parameters
    ----------
    returns
        Simple returns, dates x securities (one column per security; ``NaN`` where missing).
    events
        Table with a ``security`` (or ``ticker``) column naming columns of ``returns`` and an
        ``event_date`` column (dates, or anything :func:`eventstudy.calendar.resolve_event`
        accepts, e.g. timestamps with a time zone).
    market
        The market's returns (a Series indexed by date) or the name of a column of
        ``returns``. Its dates with a return are the trading days, as in the single path.
    model, estimation, window, level, min_estimation
        As for :class:`~eventstudy.study.EventStudy`.
    car_window
        Window of the CAR and its test, inside the event window (default: the event window).
    factors
        Daily French factors in decimals, indexed by date, for the factor models.
    non_session
        Day 0 for an event date that is not a trading day: ``"next"``, ``"previous"``, ``"raise"``
        (an event skipped with the reason).
    chunk_size
        Events solved at once; bounds the working memory.
    prefix_budget_mb
        Memory of the prefix sums of one block of securities.
    workers
        Threads solving chunks side by side (NumPy releases the GIL in the array work);
        default: the number of CPUs, at most 4. ``1`` runs serially.
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
                       min_estimation=min_estimation)
    caar = as_window(car_window if car_window is not None else (study.window.start, study.window.end),
                     "car_window")
    if caar.start < study.window.start or caar.end > study.window.end:
        raise ParameterError("car_window", (caar.start, caar.end),
                             f"stay inside the event window {study.window}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ParameterError("chunk_size", chunk_size, "give a positive whole number of events")
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError("workers", workers, "give a positive whole number of threads")
    if not isinstance(returns, pd.DataFrame):
        raise ParameterError("returns", type(returns).__name__, "give a DataFrame, dates x securities")
    if not isinstance(events, pd.DataFrame):
        raise ParameterError("events", type(events).__name__,
                             "give a DataFrame with columns security (or ticker) and event_date")
    sec_col = "security" if "security" in events.columns else "ticker"
    if sec_col not in events.columns or "event_date" not in events.columns:
        raise ParameterError("events", list(events.columns),
                             "the table needs columns security (or ticker) and event_date")
    if isinstance(market, str):
        if market not in returns.columns:
            raise ParameterError("market", market, "name a column of returns or pass a Series")
        market = returns[market]
    if not isinstance(market, pd.Series):
        raise ParameterError("market", type(market).__name__, "give a Series or a column name")

    market = market.dropna().astype(float)
    dates = pd.DatetimeIndex(market.index)
    data = model_data(market, factors, study.model)  # raises when factors are missing
    spec = _model_spec(study.model, data)
    values = returns.reindex(dates).to_numpy(dtype=float)
    if not values.flags.c_contiguous:
        values = np.ascontiguousarray(values)
    n_dates = len(dates)

    securities = events[sec_col].to_numpy()
    event_dates = events["event_date"].to_numpy()
    n_events = len(events)
    reason = np.zeros(n_events, dtype=np.int8)
    details: dict[int, str] = {}

    column = pd.Index(returns.columns).get_indexer(events[sec_col])
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
    has = np.isfinite(values)
    any_ret = has.any(axis=0)
    first = np.where(any_ret, has.argmax(axis=0), n_dates)
    last = np.where(any_ret, n_dates - 1 - has[::-1].argmax(axis=0), -1)
    live = reason == _OK
    col_live = np.where(live, column, 0)
    reason[live & ~any_ret[col_live]] = 6
    live = reason == _OK
    reason[live & (first[col_live] > pos + earliest)] = 7
    live = reason == _OK
    reason[live & (last[col_live] < pos + latest)] = 8

    out = _allocate(n_events, len(win), spec.k)
    live = reason == _OK
    if live.any():
        engine = _Engine(values, spec, study, caar, first, last)
        used = np.flatnonzero(np.bincount(column[live], minlength=values.shape[1]))
        block = max(1, int(prefix_budget_mb * 2**20 // ((n_dates + 1) * engine.n_y_moments * 8)))
        if used[-1] - used[0] < block:
            # one block of securities: every event in its own order, outputs written by slices;
            # skipped events ride along on a harmless position and are blanked afterwards
            safe_pos = np.clip(pos, -earliest, max(n_dates - 1 - latest, -earliest))
            safe_col = np.where(live, column, used[0])
            engine.run(np.arange(n_events), safe_pos, safe_col, reason, out,
                       chunk_size=chunk_size, block=block, progress=progress, in_order=True,
                       workers=workers)
        else:
            rows = np.flatnonzero(live)
            order = rows[np.argsort(column[rows], kind="stable")]
            engine.run(order, pos, column, reason, out, chunk_size=chunk_size, block=block,
                       progress=progress, in_order=False, workers=workers)
    _blank(out, reason)

    day0 = np.full(n_events, np.datetime64("NaT"), dtype="datetime64[ns]")
    placed = (pos >= 0) & (pos < n_dates)
    day0[placed] = dates.values[pos[placed]]
    return BatchResult(
        study=study, car_window=caar, securities=securities, event_dates=event_dates,
        day0=day0, reason_code=reason, **out,
        _panel=_Panel(dates, values, np.where(placed, pos, 0), np.maximum(column, 0), spec),
        _details=details,
    )


def _day0_positions(
    column: pd.Series, dates: pd.DatetimeIndex, non_session: str,
    reason: np.ndarray, details: dict[int, str],
) -> np.ndarray:
    """Row of day 0 on ``dates`` for every event (vectorised for plain dates)."""
    n_dates = len(dates)
    if non_session not in ("next", "previous", "raise"):
        raise ParameterError("non_session", non_session, "choose 'next', 'previous' or 'raise'")
    values = column.to_numpy()
    if values.dtype.kind == "M":
        stamps = values.astype("datetime64[ns]")
        midnight = stamps.astype("datetime64[D]").astype("datetime64[ns]")
        if not np.any(np.isnat(stamps)) and np.array_equal(stamps, midnight):
            pos = dates.values.searchsorted(stamps, side="left").astype(np.int64)
            inside = pos < n_dates
            exact = np.zeros(len(pos), dtype=bool)
            exact[inside] = dates.values[pos[inside]] == stamps[inside]
            moved = inside & ~exact
            if non_session == "previous":
                pos = np.where(moved, pos - 1, pos)
                bad = moved & (pos < 0)
                for i in np.flatnonzero(bad):
                    details[int(i)] = ("event_date: the market calendar has no session previous "
                                       f"to {pd.Timestamp(stamps[i]):%Y-%m-%d}")
                reason[bad] = 2
            elif non_session == "raise":
                for i in np.flatnonzero(moved):
                    details[int(i)] = (f"event_date: {pd.Timestamp(stamps[i]):%Y-%m-%d} is not a "
                                       "market session (non_session='raise')")
                reason[moved] = 2
            return pos
    # general path: resolve each distinct value with the single path's rules
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    unique_pos = np.zeros(len(uniques), dtype=np.int64)
    unique_error: dict[int, str] = {}
    for j, value in enumerate(uniques):
        try:
            day = resolve_event(value, non_session=non_session, exchange=None, trading_days=dates)
            unique_pos[j] = int(dates.searchsorted(day.day0, side="left"))
        except EventStudyError as error:
            unique_error[j] = str(error)
    pos = unique_pos[codes]
    if unique_error:
        bad = np.isin(codes, list(unique_error))
        for i in np.flatnonzero(bad):
            details[int(i)] = unique_error[int(codes[i])]
        reason[bad & (reason == _OK)] = 2
    return pos


def _allocate(n: int, t: int, k: int) -> dict[str, np.ndarray]:
    """Output arrays, uninitialised: the engine writes every studied row, then
    :func:`_blank` fills the others."""
    shapes = {"sigma": (n,), "params": (n, k), "realised": (n, t), "abnormal": (n, t),
              "se": (n, t), "t": (n, t), "p": (n, t), "car": (n,), "car_se": (n,),
              "car_t": (n,), "car_p": (n,), "bhar": (n,)}
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


# --------------------------------------------------------------------------------------------
# The vectorised core
# --------------------------------------------------------------------------------------------


class _Engine:
    """The vectorised core: prefix sums, then every chunk of events solved at once.

    The moments of the regressors alone (:math:`m, mz, mzz'`) are shared by all securities
    except on the days a security lacks a return: they are summed once over the days with every
    model input (``(D+1, Mx)``), and each window subtracts the sums over the security's own
    missing days inside it, found by binary search in the sorted list of missing cells
    (``(s, t)`` with no return between the security's first and last return; windows reaching
    beyond those are skipped, as in the single path). Only the target's moments
    (:math:`my, mzy, my^2`) are summed per security, ``(D+1, nb, 2+q)`` for a block of ``nb``
    securities.
    """

    def __init__(self, values: np.ndarray, spec: _Spec, study: EventStudy, caar: Window,
                 first: np.ndarray, last: np.ndarray) -> None:
        self.values, self.spec, self.study, self.caar = values, spec, study, caar
        n_dates = values.shape[0]
        q = spec.q
        self.n_dates = n_dates
        self.n_y_moments = 3 + q
        # centring constants (the accuracy guard): regressors by their panel means, each
        # security's target by its own mean over its valid days
        if q and spec.valid.any():
            self.z_centre = spec.z[spec.valid].mean(axis=0)
        else:
            self.z_centre = np.zeros(q)
        self.z_tilde = np.where(spec.valid[:, None], spec.z - self.z_centre, 0.0)
        pairs = _packed_pairs(q)
        self.pairs = pairs
        x_moments = np.column_stack(
            [spec.valid.astype(float), self.z_tilde]
            + [self.z_tilde[:, j] * self.z_tilde[:, m] for j, m in pairs]
        )
        self.x_prefix = _prefix(x_moments)
        target = values - spec.offset[:, None]
        mask = np.isfinite(target) & spec.valid[:, None]
        count = mask.sum(axis=0)
        total = np.where(mask, target, 0.0).sum(axis=0)
        self.y_centre = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        # the securities' missing days between their first and last return, on days with
        # every model input: (security, day) keys in increasing order
        days = np.arange(n_dates)
        inside = (days[None, :] >= first[:, None]) & (days[None, :] <= last[:, None])
        missing = ~mask.T & spec.valid[None, :] & inside
        keys = np.flatnonzero(missing)  # s * D + t, sorted by security, then day
        self.missing = missing
        self.miss_start = np.concatenate([[0], np.cumsum(missing.sum(axis=1))])[:-1]
        self.miss_prefix = _prefix(x_moments[keys % n_dates])
        self.values_t = np.ascontiguousarray(values.T)

    def run(self, order: np.ndarray, pos: np.ndarray, column: np.ndarray, reason: np.ndarray,
            out: dict[str, np.ndarray], *, chunk_size: int, block: int, progress: bool | None,
            in_order: bool, workers: int = 1) -> None:
        """Study the events ``order`` (all events in order, or the studied ones sorted by
        security), block of securities by block, chunk by chunk."""
        cols = column[order]
        with progress_bar(len(order), desc=f"{self.study.model.name} events", enabled=progress,
                          unit="event") as bar:
            start = 0
            while start < len(order):
                if in_order:
                    stop = len(order)
                    block_cols = np.flatnonzero(np.bincount(cols, minlength=self.values.shape[1]))
                else:
                    stop = int(np.searchsorted(cols, cols[start] + block, side="left"))
                    block_cols = np.unique(cols[start:stop])
                y_prefix = self._y_prefix(block_cols)
                lookup = np.zeros(self.values.shape[1], dtype=np.intp)
                lookup[block_cols] = np.arange(len(block_cols))
                def task(lo: int, y_prefix: np.ndarray = y_prefix) -> int:
                    hi = min(lo + chunk_size, stop)
                    rows = order[lo:hi]
                    target = slice(lo, hi) if in_order else rows
                    self._chunk(target, rows, pos[rows], cols[lo:hi], lookup[cols[lo:hi]],
                                y_prefix, reason, out)
                    return hi - lo

                starts = range(start, stop, chunk_size)
                if workers > 1 and len(starts) > 1:
                    with ThreadPoolExecutor(workers) as pool:
                        for done in pool.map(task, starts):
                            bar.update(done)
                else:
                    for lo in starts:
                        bar.update(task(lo))
                del y_prefix
                start = stop

    def _y_prefix(self, cols: np.ndarray) -> np.ndarray:
        """Cumulative moments ``(D+1, nb, 3+q)`` of securities ``cols``: the number of missing
        cells (see :attr:`missing`), then the centred target's :math:`y, zy, y^2`."""
        spec, z = self.spec, self.z_tilde
        y = self.values[:, cols] - spec.offset[:, None]
        mask = np.isfinite(y) & spec.valid[:, None]
        y_tilde = np.where(mask, y - self.y_centre[cols], 0.0)
        prefix = np.empty((self.n_dates + 1, len(cols), self.n_y_moments))
        prefix[0] = 0.0
        body = prefix[1:]
        body[:, :, 0] = self.missing[cols].T
        body[:, :, 1] = y_tilde
        for a in range(spec.q):
            np.multiply(y_tilde, z[:, a : a + 1], out=body[:, :, 2 + a])
        np.multiply(y_tilde, y_tilde, out=body[:, :, 2 + spec.q])
        np.cumsum(body, axis=0, out=body)
        return prefix

    def _direct_ssr(self, col: np.ndarray, a: np.ndarray, y_bar: np.ndarray, z_bar: np.ndarray,
                    slopes: np.ndarray) -> np.ndarray:
        r""":math:`\sum_t (\tilde y_t - \bar y - (\tilde z_t - \bar z)'b)^2` over each event's
        valid estimation days, a few events at a time."""
        spec, n_dates = self.spec, self.n_dates
        steps = np.arange(len(self.study.estimation))
        out = np.empty(len(col))
        for lo in range(0, len(col), 1024):
            sl = slice(lo, lo + 1024)
            days = a[sl, None] + steps[None, :]
            raw = np.take(self.values_t.reshape(-1), col[sl, None].astype(np.int64) * n_dates + days)
            y = raw - spec.offset[days] - self.y_centre[col[sl]][:, None]
            valid = np.isfinite(y) & spec.valid[days]
            fitted = np.einsum("ntq,nq->nt", self.z_tilde[days] - z_bar[sl, None, :], slopes[sl])
            resid = np.where(valid, y - y_bar[sl, None] - fitted, 0.0)
            out[sl] = np.einsum("nt,nt->n", resid, resid)
        return out

    def _chunk(self, target: slice | np.ndarray, rows: np.ndarray, p: np.ndarray,
               col: np.ndarray, local: np.ndarray, y_prefix: np.ndarray, reason: np.ndarray,
               out: dict[str, np.ndarray]) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._solve(target, rows, p, col, local, y_prefix, reason, out)

    def _solve(self, target: slice | np.ndarray, rows: np.ndarray, p: np.ndarray,
               col: np.ndarray, local: np.ndarray, y_prefix: np.ndarray, reason: np.ndarray,
               out: dict[str, np.ndarray]) -> None:
        spec, study, caar = self.spec, self.study, self.caar
        est, win = study.estimation, study.window
        q, n_dates = spec.q, self.n_dates
        # estimation-window sums: shared regressor moments less the security's missing days
        a, b = p + est.start, p + est.end + 1
        nb = y_prefix.shape[1]
        flat = y_prefix.reshape(-1, y_prefix.shape[2])
        at_b = np.take(flat, b * nb + local, axis=0)
        at_a = np.take(flat, a * nb + local, axis=0)
        sy_all = at_b[:, 1:] - at_a[:, 1:]
        sx = self.x_prefix[b] - self.x_prefix[a]
        # the security's missing cells in the window are entries lo .. hi-1 of its list
        gap = at_b[:, 0] > at_a[:, 0]
        if gap.any():
            start = self.miss_start[col[gap]]
            lo = start + at_a[gap, 0].astype(np.int64)
            hi = start + at_b[gap, 0].astype(np.int64)
            sx[gap] -= self.miss_prefix[hi] - self.miss_prefix[lo]
        base = col.astype(np.int64) * n_dates

        n = np.rint(sx[:, 0])
        sz = sx[:, 1 : 1 + q]
        szz = sx[:, 1 + q :]
        sy = sy_all[:, 0]
        szy = sy_all[:, 1 : 1 + q]
        syy = sy_all[:, 1 + q]

        # event window: every day needs the return and every model input
        offsets = np.arange(win.start, win.end + 1)
        day = p[:, None] + offsets[None, :]
        realised = np.take(self.values_t.reshape(-1), base[:, None] + day)
        in_window = np.isfinite(realised).all(axis=1) & spec.valid[day].all(axis=1)
        y_star = realised - spec.offset[day] - self.y_centre[col][:, None]

        z_bar = sz / n[:, None]
        y_bar = sy / n
        qyy = syy - sy * y_bar
        cyz = szy - sz * y_bar[:, None]
        y_level = y_bar + self.y_centre[col]  # window mean of the target, uncentred
        n_days = len(win)
        singular = np.zeros(len(rows), dtype=bool)
        slopes = None  # slopes on the centred regressors, for the direct residual sum
        h = 1.0
        if spec.kind == "market_adjusted":
            df = n - 1
            ssr = qyy
            ar = realised - spec.offset[day]  # y = R - Rm is the abnormal return itself
            u = np.zeros((len(rows), n_days, 0))
            params = np.empty((len(rows), 0))
            h = 0.0
        elif spec.kind == "scholes_williams":
            df = n - 2
            lag, mkt, lead = 0, 1, 2
            qm = _centred_cross(szz, sz, z_bar, q)
            slopes = sum(cyz[:, j] / qm[:, j, j] for j in (lag, mkt, lead))
            rho = qm[:, lag, mkt] / qm[:, lag, lag]
            beta = slopes / (1.0 + 2.0 * rho)
            ssr = qyy - 2.0 * beta * cyz[:, mkt] + beta**2 * qm[:, mkt, mkt]
            d_m = self.z_tilde[day, mkt] - z_bar[:, mkt, None]
            ar = y_star - y_bar[:, None] - beta[:, None] * d_m
            u = (d_m / np.sqrt(qm[:, mkt, mkt])[:, None])[:, :, None]
            alpha = y_level - beta * (z_bar[:, mkt] + self.z_centre[mkt])
            params = np.column_stack([alpha, beta])
            singular = ~(np.stack([qm[:, j, j] for j in range(3)]).min(axis=0) > 0)
            slopes = np.zeros((len(rows), 3))
            slopes[:, mkt] = beta
        else:
            df = n - spec.k
            if q == 0:
                ssr = qyy
                ar = y_star - y_bar[:, None]
                u = np.zeros((len(rows), n_days, 0))
                params = y_level[:, None]
            elif q == 1:
                sxx = szz[:, 0] - sz[:, 0] * z_bar[:, 0]
                root = np.sqrt(sxx)
                w = cyz[:, 0] / root
                u = ((self.z_tilde[day, 0] - z_bar[:, 0, None]) / root[:, None])[:, :, None]
                ssr = qyy - w * w
                ar = y_star - y_bar[:, None] - u[:, :, 0] * w[:, None]
                beta = w / root
                alpha = y_level - beta * (z_bar[:, 0] + self.z_centre[0])
                params = np.column_stack([alpha, beta])
                singular = ~(sxx > 0)
                slopes = beta[:, None]
            else:
                d = self.z_tilde[day] - z_bar[:, None, :]  # (n, T, q)
                qm = _centred_cross(szz, sz, z_bar, q)
                chol, singular = _cholesky(qm)
                w = _forward(chol, cyz[:, :, None])[:, :, 0]  # L^-1 c
                u = _forward(chol, np.swapaxes(d, 1, 2)).swapaxes(1, 2)  # (n, T, q)
                ssr = qyy - np.einsum("ij,ij->i", w, w)
                ar = y_star - y_bar[:, None] - np.einsum("itj,ij->it", u, w)
                beta = _backward(chol, w)
                alpha = y_level - np.einsum("ij,ij->i", beta, z_bar + self.z_centre)
                params = np.column_stack([alpha, beta])
                slopes = beta

        if slopes is not None:
            # a near-perfect fit (an index tracker) leaves SSR as the small difference of two
            # large sums: recompute it from the residuals themselves, O(L) for those events only
            refine = (ssr < _REFINE_BELOW * qyy) & (n >= 1)
            if refine.any():
                ssr = np.where(refine, 0.0, ssr)
                ssr[refine] = self._direct_ssr(col[refine], a[refine], y_bar[refine],
                                               z_bar[refine], slopes[refine])
        s2 = ssr / df
        # an exact fit: s^2 at rounding level of the target's second moment
        exact = ~(s2 > EXACT_FIT * np.abs(syy) / np.maximum(df, 1))
        status = np.select(
            [~in_window, n < study.min_estimation, singular, exact], [9, 10, 11, 12], _OK
        ).astype(np.int8)
        current = reason[rows]
        reason[rows] = np.where(current == _OK, status, current)

        s = np.sqrt(s2)
        inv_n = h / n
        se = s[:, None] * np.sqrt(1.0 + inv_n[:, None] + np.einsum("itj,itj->it", u, u))
        first, stop = caar.start - win.start, caar.end - win.start + 1
        width = stop - first
        u_sum = u[:, first:stop, :].sum(axis=1)
        car = ar[:, first:stop].sum(axis=1)
        car_se = s * np.sqrt(width + width * width * inv_n + np.einsum("ij,ij->i", u_sum, u_sum))
        t_day = ar / se
        t_car = car / car_se
        dff = np.where(status == _OK, df, 1.0)
        p_day = two_sided_p(np.where(status[:, None] == _OK, t_day, 0.0), dff)
        p_car = two_sided_p(np.where(status == _OK, t_car, 0.0), dff)
        window_returns = realised[:, first:stop]
        bhar = (np.prod(1.0 + window_returns, axis=1)
                - np.prod(1.0 + window_returns - ar[:, first:stop], axis=1))

        put = _writer(target)
        put(out["nobs"], np.where(np.isfinite(n), n, -1).astype(np.int64))
        put(out["df"], np.where(np.isfinite(df), df, -1).astype(np.int64))
        put(out["sigma"], s)
        put(out["params"], params)
        put(out["realised"], realised)
        put(out["abnormal"], ar)
        put(out["se"], se)
        put(out["t"], t_day)
        put(out["p"], p_day)
        put(out["car"], car)
        put(out["car_se"], car_se)
        put(out["car_t"], t_car)
        put(out["car_p"], p_car)
        put(out["bhar"], bhar)


#: Recompute SSR from the residuals when it is below this share of the centred sum of squares
#: (R^2 above 0.999), where the moment formula would lose more than three digits.
_REFINE_BELOW = 1e-3


def _prefix(moments: np.ndarray) -> np.ndarray:
    """Cumulative sums with a leading row of zeros: window ``[a, b)`` sums to ``C[b] - C[a]``."""
    prefix = np.zeros((len(moments) + 1,) + moments.shape[1:])
    np.cumsum(moments, axis=0, out=prefix[1:])
    return prefix


def _writer(target: slice | np.ndarray):
    """Write a chunk's values into the output rows ``target`` (a slice, or row numbers)."""
    if isinstance(target, slice):
        def put(array: np.ndarray, value: np.ndarray) -> None:
            array[target] = value
        return put

    def put_rows(array: np.ndarray, value: np.ndarray) -> None:
        if array.ndim == 1:
            array[target] = value
            return
        width = array.shape[1]
        flat = (target[:, None] * width + np.arange(width)).ravel()
        array.reshape(-1)[flat] = value.ravel()
    return put_rows


def _centred_cross(szz: np.ndarray, sz: np.ndarray, z_bar: np.ndarray, q: int) -> np.ndarray:
    """:math:`Q = S_{zz} - n \\bar z \\bar z'` as ``(n, q, q)`` from the packed sums."""
    qm = np.empty((len(szz), q, q))
    for idx, (j, m) in enumerate(_packed_pairs(q)):
        value = szz[:, idx] - sz[:, j] * z_bar[:, m]
        qm[:, j, m] = value
        qm[:, m, j] = value
    return qm


def _cholesky(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factors of ``(n, q, q)`` matrices, vectorised over ``n``.

    Returns the factors and a flag for matrices that are not positive definite (their factor
    is replaced by the identity so the other events compute undisturbed)."""
    n, q, _ = a.shape
    chol = np.zeros_like(a)
    singular = np.zeros(n, dtype=bool)
    for j in range(q):
        diag = a[:, j, j] - np.einsum("ik,ik->i", chol[:, j, :j], chol[:, j, :j])
        singular |= ~(diag > 1e-14 * np.abs(a[:, j, j]))
        root = np.sqrt(np.where(singular, 1.0, diag))
        chol[:, j, j] = root
        for i in range(j + 1, q):
            off = a[:, i, j] - np.einsum("ik,ik->i", chol[:, i, :j], chol[:, j, :j])
            chol[:, i, j] = off / root
    if singular.any():
        chol[singular] = np.eye(q)
    return chol, singular


def _forward(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve :math:`L x = b` for ``(n, q, r)`` right-hand sides."""
    x = np.empty_like(rhs)
    for i in range(chol.shape[1]):
        acc = rhs[:, i, :] - np.einsum("ik,ikr->ir", chol[:, i, :i], x[:, :i, :])
        x[:, i, :] = acc / chol[:, i, i, None]
    return x


def _backward(chol: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Solve :math:`L' x = w` for ``(n, q)``."""
    q = chol.shape[1]
    x = np.empty_like(w)
    for i in range(q - 1, -1, -1):
        acc = w[:, i] - np.einsum("ik,ik->i", chol[:, i + 1 :, i], x[:, i + 1 :])
        x[:, i] = acc / chol[:, i, i]
    return x


# --------------------------------------------------------------------------------------------
# Student-t p-values
# --------------------------------------------------------------------------------------------


#: Grid step and range of the tabulated Student-t tail (see :func:`two_sided_p`).
_P_STEP = 1.0 / 256.0
_P_RANGE = 40.0
#: Fewest p-values of one degree of freedom worth a table (10,241 ``stdtr`` calls, cached).
_P_TABLE_MIN = 4_096


@functools.lru_cache(maxsize=64)
def _log_tail_table(df: float) -> tuple[tuple[np.ndarray, ...], float]:
    r"""Cubic coefficients of :math:`\log P(T_\nu > x)` on each grid interval, up to where the
    tail underflows, and the last grid point."""
    x = np.arange(0.0, _P_RANGE + _P_STEP / 2, _P_STEP)
    sf = special.stdtr(df, -x)
    usable = sf > 1e-280
    x, sf = x[usable], sf[usable]
    log_sf = np.log(sf)
    slope = -np.exp(_log_pdf(x, df) - log_sf) * _P_STEP  # d log sf / d(x / step)
    g0, g1, d0, d1 = log_sf[:-1], log_sf[1:], slope[:-1], slope[1:]
    # cubic Hermite on each interval: g0 + s d0 + s^2 c2 + s^3 c3, s in [0, 1]
    c2 = 3.0 * (g1 - g0) - 2.0 * d0 - d1
    c3 = d0 + d1 - 2.0 * (g1 - g0)
    return (g0, d0, c2, c3), float(x[-1])


def _log_pdf(x: np.ndarray, df: float) -> np.ndarray:
    return (special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
            - (df + 1) / 2 * np.log1p(x * x / df))


def _tabulated_p(abs_t: np.ndarray, df: float) -> np.ndarray:
    """Two-sided p from the table: cubic Hermite interpolation of the log tail."""
    (g0, d0, c2, c3), top = _log_tail_table(df)
    out = np.empty_like(abs_t)
    inside = abs_t < top
    if not inside.all():
        out[~inside] = 2.0 * special.stdtr(df, -abs_t[~inside])
        a = np.where(inside, abs_t, 0.0) / _P_STEP
    else:
        a = abs_t / _P_STEP
    j = a.astype(np.intp)
    s = a - j
    value = c3[j]
    value *= s
    value += c2[j]
    value *= s
    value += d0[j]
    value *= s
    value += g0[j]
    np.exp(value, out=value)
    value *= 2.0
    if inside.all():
        return value
    out[inside] = value[inside]
    return out


def two_sided_p(t: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    r"""Two-sided p-values :math:`2\,P(T_\nu > |t|)` of Student's t, element-wise.

    ``df`` is a scalar or one value per row of ``t``. For a degree of freedom shared by many
    values the tail is tabulated once: :math:`\log P(T_\nu > x)` on a grid of step 1/256 up
    to :math:`x = 40`, from ``scipy.special.stdtr`` (the function behind
    ``scipy.stats.t.sf``), and interpolated by cubic Hermite polynomials with the exact
    derivative :math:`-f_\nu(x)/P(T_\nu > x)`. The interpolation error is
    :math:`O(h^4)`: below 2e-12 relative (hence absolute) for every :math:`\nu \ge 3`, as
    ``tests/test_batch.py`` checks; beyond the grid, for rare degrees of freedom and below 3
    degrees of freedom (where ``stdtr`` itself is only accurate to about 1e-9 near 0),
    ``stdtr`` is called directly. This keeps the p-values of a million events from costing more
    than the rest of the study (``stdtr`` takes about 0.2 microseconds a value).
    """
    t = np.asarray(t, dtype=float)
    abs_t = np.abs(t)
    df_arr = np.asarray(df, dtype=float)
    if df_arr.ndim == 0:
        if abs_t.size >= _P_TABLE_MIN and float(df_arr) >= 3.0 and np.isfinite(abs_t).all():
            return _tabulated_p(abs_t, float(df_arr))
        return 2.0 * special.stdtr(float(df_arr), -abs_t)
    if df_arr.ndim != 1 or len(df_arr) != len(abs_t):
        raise ParameterError("df", df_arr.shape, f"give one value per row of t {abs_t.shape}")
    first = df_arr[0] if len(df_arr) else 0.0
    if np.all(df_arr == first):
        return two_sided_p(t, float(first))
    order = np.argsort(df_arr, kind="stable")
    values, starts = np.unique(df_arr[order], return_index=True)
    bounds = np.append(starts, len(order))
    out = np.empty_like(abs_t)
    for j, value in enumerate(values):
        rows = order[bounds[j] : bounds[j + 1]]
        out[rows] = two_sided_p(abs_t[rows], float(value))
    return out


def _critical(level: float, df: np.ndarray) -> np.ndarray:
    """:math:`t_{\\nu, 1-a/2}` per event."""
    return special.stdtrit(np.asarray(df, dtype=float), 0.5 + check_level(level) / 2.0)
