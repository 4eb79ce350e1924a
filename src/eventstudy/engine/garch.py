"""The GARCH market model over many events: one fit per event (:func:`garch_events`), and the same
results behind
the interface :mod:`eventstudy.studies.multi` reads from the batch engine (one CAR window; the
residuals are the GARCH fits' own).

The GARCH model fits one likelihood per event (:mod:`eventstudy.models.garch`), so it does not run in
the prefix-sum engine; this adapter gives its per-event arrays the names of
:class:`eventstudy.engine.batch.BatchResult`, so the accounting, the per-event table, the tests and the
outputs are the same code for every model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.engine.batch import batch_event_study
from eventstudy.engine.event_outcomes import EventOutcomes
from eventstudy.engine.single import EventStudy
from eventstudy.engine.garch_fits import fit_many
from eventstudy.exceptions import IntegratedGarchWarning, ParameterError
from eventstudy.inference.statistic import TestStatistic
from eventstudy.inference.pvalues import critical_values, p_values
from eventstudy.inference.savickas import savickas
from eventstudy.models.garch import INTEGRATED, check_dist, integrated_message, variance_forecasts

GARCH_MODELS = {"garch": "normal", "garch_t": "t"}


@dataclass(frozen=True, eq=False)
class GarchBatch:
    """:class:`~eventstudy.models.garch.GarchEvents` read as a :class:`~eventstudy.engine.batch.BatchResult`."""

    events: GarchEvents
    study: EventStudy

    @property
    def ok(self) -> np.ndarray:
        return self.events.ok

    @property
    def n_events(self) -> int:
        return self.events.n_events

    @property
    def abnormal(self) -> np.ndarray:
        return self.events.abnormal

    @property
    def se(self) -> np.ndarray:
        return self.events.se

    @property
    def car_windows(self) -> tuple[Window, ...]:
        return (self.events.car_window,)

    @property
    def window_car(self) -> np.ndarray:
        return self.events.car[:, None]

    @property
    def window_car_se(self) -> np.ndarray:
        return self.events.car_se[:, None]

    @property
    def estimation_days_lost(self) -> np.ndarray:
        return np.zeros(len(self.events.ok), dtype=np.int64)

    @property
    def skipped(self) -> pd.DataFrame:
        return self.events.skipped

    def residuals(self, rows: np.ndarray) -> np.ndarray:
        return self.events.residuals[rows]

    def null_residuals(self, rows: np.ndarray) -> np.ndarray:
        """Standardised residuals :math:`\\hat\\varepsilon_t / \\sqrt{h_t}` (the sample-quantile
        test's, as on the single path)."""
        return self.events.residuals[rows] / np.sqrt(self.events.variance[rows])

    def null_weights(self, rows: np.ndarray) -> np.ndarray:
        """Each event day's forecast sd :math:`\\sqrt{h_{T+k}}`."""
        return self.events.se[rows]

    def frame(self) -> pd.DataFrame:
        """The per-event table with the columns of ``BatchResult.frame``: the CAR's interval
        and the buy-and-hold abnormal return over the CAR window."""
        events = self.events
        frame = events.frame()
        rows = frame.index.to_numpy()
        half = critical_values(self.study.level, events.df[rows]) * events.car_se[rows]
        window = events.car_window
        first = window.start - self.study.window.start
        stop = window.end - self.study.window.start + 1
        realised = events.realised[rows, first:stop]
        abnormal = events.abnormal[rows, first:stop]
        frame["car_ci_low"] = frame["car"] - half
        frame["car_ci_high"] = frame["car"] + half
        frame["bhar"] = np.prod(1.0 + realised, axis=1) - np.prod(1.0 + realised - abnormal, axis=1)
        return frame

    def savickas(self) -> list[Any]:
        return self.events.savickas()


def garch_batch(
    returns: pd.DataFrame, events: pd.DataFrame, market: pd.Series, study: EventStudy,
    windows: tuple[Window, ...], *, exclude_events: bool, non_session: str,
    progress: bool | None,
) -> GarchBatch:
    """Run :func:`~eventstudy.models.garch.garch_events` for a multi-event study."""
    if len(windows) > 1:
        raise ParameterError("car_window", [(w.start, w.end) for w in windows],
                             "the GARCH model takes one CAR window")
    if exclude_events:
        raise ParameterError("exclude_events", True, "not available with the GARCH model")
    result = garch_events(
        returns, events, market, estimation=study.estimation, window=study.window,
        car_window=windows[0], level=study.level, min_estimation=study.min_estimation,
        dist=GARCH_MODELS[study.model.name], non_session=non_session, progress=progress,
        alternative=study.alternative,
    )
    return GarchBatch(result, study)


@dataclass(frozen=True, eq=False)
class GarchEvents(EventOutcomes):
    r"""Per-event results of :func:`garch_events`, one row per row of the events table.

    Rows of events not studied hold ``NaN`` (``-1`` in ``nobs`` and ``df``) and the reason.

    Attributes
    ----------
    securities, event_dates, day0
        ``(N,)`` as given, and day 0 (``NaT`` when it could not be placed).
    reason
        ``(N,)`` why the event was not studied (``""`` when it was): the batch engine's reasons,
        or the GARCH optimiser's message.
    nobs, df
        ``(N,)`` estimation returns :math:`L` and :math:`L - K`.
    params
        ``(N, K)`` columns :attr:`param_names`: ``alpha``, ``beta``, ``omega``, ``alpha[1]``,
        ``beta[1]`` (and ``nu`` for ``dist="t"``), in decimals.
    realised, abnormal, se, t, p
        ``(N, T)`` over the event window (column ``j`` is ``rel_days[j]``); ``se`` is the
        conditional standard deviation :math:`\sqrt{h_{T+k}}` of each day's abnormal return;
        ``p`` for the study's alternative.
    car, car_se, car_t, car_p
        ``(N,)`` over ``car_window``: :math:`\sum AR`, :math:`\sqrt{\sum h}`, t and p (for the
        study's alternative).
    residuals, variance
        ``(N, L)`` estimation-window residuals and conditional variances :math:`h_t` by relative
        day (``NaN`` where missing).
    loglikelihood, agreeing
        ``(N,)`` the best log-likelihood (``arch``'s percent scale) and how many of the four
        starting points reached it.
    """

    rel_days: list[int]
    car_window: Window
    dist: str
    param_names: tuple[str, ...]
    securities: np.ndarray
    event_dates: np.ndarray
    day0: np.ndarray
    reason: np.ndarray
    nobs: np.ndarray
    df: np.ndarray
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
    residuals: np.ndarray
    variance: np.ndarray
    loglikelihood: np.ndarray
    agreeing: np.ndarray

    def frame(self) -> pd.DataFrame:
        """Per studied event: security, event_date, day0, nobs, df, parameters, loglikelihood,
        starts_agreeing, CAR, se, t, p."""
        rows = np.flatnonzero(self.ok)
        data: dict[str, Any] = {
            "security": self.securities[rows], "event_date": self.event_dates[rows],
            "day0": self.day0[rows], "nobs": self.nobs[rows], "df": self.df[rows],
        }
        data.update({name: self.params[rows, j] for j, name in enumerate(self.param_names)})
        data.update({"loglikelihood": self.loglikelihood[rows], "starts_agreeing": self.agreeing[rows]})
        data.update({"car": self.car[rows], "car_se": self.car_se[rows],
                     "car_t": self.car_t[rows], "car_p": self.car_p[rows]})
        return pd.DataFrame(data, index=pd.Index(rows, name="event"))

    def test_inputs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`eventstudy.inference.multi_event.multi_event_tests` for the studied
        events, as :meth:`eventstudy.engine.batch.BatchResult.test_inputs` gives them: the GARCH
        conditional sds stand for the prediction-error sds, so BMP and Patell standardise by
        them."""
        rows = np.flatnonzero(self.ok)
        return {
            "abnormal": self.abnormal[rows], "abnormal_sd": self.se[rows], "car_sd": self.car_se[rows],
            "residuals": self.residuals[rows], "df": self.df[rows], "rel_days": self.rel_days,
            "window": (self.car_window.start, self.car_window.end), "event_dates": self.day0[rows],
        }

    def savickas(self) -> list[TestStatistic]:
        """The Savickas (2003) test of the studied events (see
        :func:`eventstudy.inference.savickas.savickas`)."""
        rows = np.flatnonzero(self.ok)
        return savickas(self.abnormal[rows], self.se[rows], self.car_se[rows], self.rel_days,
                        (self.car_window.start, self.car_window.end))


def garch_events(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    market: pd.Series | str,
    *,
    estimation: tuple[int, int] | Window = (-250, -11),
    window: tuple[int, int] | Window = (-1, 1),
    car_window: tuple[int, int] | Window | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    dist: str = "normal",
    non_session: str = "next",
    progress: bool | None = None,
    workers: int | None = None,
    alternative: str = "two-sided",
) -> GarchEvents:
    """One GARCH(1,1) market model per event, with the inputs of
    :func:`eventstudy.engine.batch.batch_event_study`.

    Parameters
    ----------
    returns
        Simple returns, dates x securities.
    events
        Table with ``security`` (or ``ticker``) and ``event_date`` columns.
    market
        The market's returns (Series) or the name of a column of ``returns``; its dates are the
        trading days.
    estimation, window, car_window, level, min_estimation, non_session
        As for :func:`~eventstudy.engine.batch.batch_event_study` (the estimation window must end
        before the event window starts, and hold at least :data:`MIN_GARCH_OBSERVATIONS`
        days).
    dist
        ``"normal"`` (model ``garch``) or ``"t"`` (model ``garch_t``).
    progress
        tqdm progress bar on stderr over the fits; ``None``: only when stderr is a terminal.
    workers
        Processes that fit the events (default: one per core, see
        :func:`eventstudy.engine.garch_fits.fit_many`); the results do not depend on it.
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``: the alternative of the p-values
        ``p`` and ``car_p`` (:func:`eventstudy.inference.pvalues.p_values`, Student's t with
        each event's ``df``), as in the batch engine.

    Returns
    -------
    GarchEvents
        Per-event arrays in the order of ``events``.

    Notes
    -----
    Events are placed and screened by the batch engine run with the market model (same day 0,
    same reasons for skipping, same ``min_estimation`` rule), then each studied event gets its
    own maximum-likelihood fit from four starting points (:mod:`eventstudy.models.garch_starts`),
    the events spread over worker processes (:func:`eventstudy.engine.garch_fits.fit_many`:
    the only per-event loop, and what the time is spent on; ``benchmarks/bench_garch.py``
    measures it). A fit that converges from no starting point skips its event with the
    optimiser's messages; fits with :math:`a + b \\ge 0.999` raise one
    :class:`~eventstudy.exceptions.IntegratedGarchWarning` with their number. The forecasts, abnormal returns
    and CARs are then computed for all events at once (see the module docstring).
    """
    study = EventStudy(model="garch_t" if check_dist(dist) == "t" else "garch",
                       estimation=estimation, window=window, level=level,
                       min_estimation=min_estimation, alternative=alternative)
    est, win = study.estimation, study.window
    if est.end >= win.start:
        raise ParameterError("estimation", (est.start, est.end),
                             f"GARCH forecasts run forward: end before the event window {win}")
    placed = batch_event_study(returns, events, market, model="market", estimation=est,
                               window=win, car_window=car_window, level=level,
                               min_estimation=study.min_estimation, non_session=non_session,
                               progress=False)
    caar = placed.car_window
    market_series = returns[market] if isinstance(market, str) else market
    market_series = market_series.dropna().astype(float)
    dates = pd.DatetimeIndex(market_series.index)
    values = returns.reindex(dates).to_numpy(dtype=float)
    x = market_series.to_numpy()

    n, n_days = len(placed), len(win)
    names = study.model.param_names + ("omega", "alpha[1]", "beta[1]") + (("nu",) if dist == "t" else ())
    reason = np.full(n, "", dtype=object)
    skipped = placed.skipped
    reason[skipped.index.to_numpy()] = skipped["reason"].to_numpy()
    # day 0's row on the market's dates and the security's column, for the events placed
    pos = np.zeros(n, dtype=np.int64)
    col = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(placed.ok)
    pos[rows] = dates.searchsorted(pd.DatetimeIndex(placed.day0[rows]))
    col[rows] = pd.Index(returns.columns).get_indexer(placed.securities[rows])
    est_offsets = np.arange(est.start, est.end + 1)

    params = np.full((n, len(names)), np.nan)
    residuals = np.full((n, len(est)), np.nan)
    variance = np.full((n, len(est)), np.nan)
    loglikelihood = np.full(n, np.nan)
    agreeing = np.zeros(n, dtype=np.int64)
    nobs = np.full(n, -1, dtype=np.int64)
    next_variance = np.full(n, np.nan)
    origin = np.zeros(n, dtype=np.int64)  # row of the last estimation return (forecast origin)
    days = pos[rows][:, None] + est_offsets[None, :]
    y = values[days, col[rows][:, None]]
    present = np.isfinite(y)
    fits = fit_many(y, x[days], dist, workers=workers, progress=progress)
    nobs[rows] = present.sum(axis=1)
    done = fits.converged
    reason[rows[~done]] = [f"estimation: the {study.model.label} did not converge: {message}"
                           for message in fits.message[~done]]
    fitted = rows[done]
    params[fitted] = fits.params[done]
    residuals[fitted] = fits.residuals[done]
    variance[fitted] = fits.variance[done]
    next_variance[fitted] = fits.next_variance[done]
    loglikelihood[fitted] = fits.loglikelihood[done]
    agreeing[fitted] = fits.agreeing[done]
    last = len(est) - 1 - np.argmax(present[:, ::-1], axis=1)  # the last estimation return
    origin[fitted] = days[done, last[done]]
    integrated = int(np.sum(params[fitted, 3] + params[fitted, 4] >= INTEGRATED))
    if integrated:
        warnings.warn(integrated_message(integrated, len(fitted)), IntegratedGarchWarning,
                      stacklevel=2)

    ok = reason == ""
    df = np.where(ok, nobs - len(names), -1)
    out: dict[str, np.ndarray] = {
        name: np.full((n, n_days), np.nan) for name in ("realised", "abnormal", "se", "t", "p")
    }
    out.update({name: np.full(n, np.nan) for name in ("car", "car_se", "car_t", "car_p")})
    studied = np.flatnonzero(ok)
    if len(studied):  # every studied event at once
        coef = params[studied]
        event_days = pos[studied][:, None] + np.array(list(win.days))[None, :]
        h = variance_forecasts(coef[:, 2], coef[:, 3], coef[:, 4], next_variance[studied],
                               event_days - origin[studied][:, None])
        realised = values[event_days, col[studied][:, None]]
        abnormal = realised - (coef[:, [0]] + coef[:, [1]] * x[event_days])
        t = abnormal / np.sqrt(h)
        dfs = df[studied].astype(float)
        cols = np.arange(caar.start - win.start, caar.end - win.start + 1)
        car_value, car_se = abnormal[:, cols].sum(axis=1), np.sqrt(h[:, cols].sum(axis=1))
        for name, value in (("realised", realised), ("abnormal", abnormal), ("se", np.sqrt(h)),
                            ("t", t), ("p", p_values(t, dfs, study.alternative)),
                            ("car", car_value), ("car_se", car_se), ("car_t", car_value / car_se),
                            ("car_p", p_values(car_value / car_se, dfs, study.alternative))):
            out[name][studied] = value
    return GarchEvents(
        rel_days=list(win.days), car_window=caar, dist=dist, param_names=names,
        securities=placed.securities, event_dates=placed.event_dates, day0=placed.day0,
        reason=reason, nobs=nobs, df=df, params=params, residuals=residuals, variance=variance,
        loglikelihood=loglikelihood, agreeing=agreeing, **out,
    )
