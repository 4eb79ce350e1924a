"""Many events with peers as the benchmark (:mod:`eventstudy.models.peers`), each event with its
own peers, behind the interface :mod:`eventstudy.studies.multi` reads from the batch engine.

The events are placed and screened by the batch engine (the market-adjusted model: same day 0,
same reasons for skipping), then:

- ``peers``: every event's peer mean, excess returns, :math:`s` and abnormal returns are computed
  for all events at once, ``CHUNK`` events at a time, from their ``(events, days, peers)``
  returns (the peers padded to the longest list; no loop over events);
- ``synthetic``: each event's weights are one constrained least-squares problem
  (:func:`eventstudy.models.peers.simplex_weights`), solved event by event (the only per-event
  loop, as the GARCH fits are), with the t test of the linear model on the weights' support.

Both give the single-event path's numbers for every event (tested). An estimation day counts
when the stock and every one of the event's peers have a return; an event-window day without
one of them skips the event with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.engine.batch import batch_event_study
from eventstudy.engine.event_outcomes import EventOutcomes
from eventstudy.engine.single import EventStudy
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.inference.pvalues import critical_values, p_values
from eventstudy.models.linear import exact_fit
from eventstudy.models.peers import simplex_weights
from eventstudy.progress import progress_bar

#: Events gathered at once (their returns: CHUNK x (L + T) x peers numbers).
CHUNK = 2048


@dataclass(frozen=True, eq=False)
class PeerBatch(EventOutcomes):
    """Per-event results with peers as the benchmark, one row per row of the events table, with
    the names of :class:`eventstudy.engine.batch.BatchResult` (rows not studied hold ``NaN`` and
    their reason). ``peers`` holds each event's peers and, for the synthetic model, ``weights``
    their weights, both ``;``-separated (``TICKER:weight`` for the weights)."""

    study: EventStudy
    car_windows: tuple[Window, ...]
    securities: np.ndarray
    event_dates: np.ndarray
    day0: np.ndarray
    reason: np.ndarray
    peers: np.ndarray
    weights: np.ndarray | None
    nobs: np.ndarray
    df: np.ndarray
    sigma: np.ndarray
    realised: np.ndarray
    abnormal: np.ndarray
    se: np.ndarray
    window_car: np.ndarray
    window_car_se: np.ndarray
    window_car_t: np.ndarray
    window_car_p: np.ndarray
    window_bhar: np.ndarray
    estimation_residuals: np.ndarray

    @property
    def estimation_days_lost(self) -> np.ndarray:
        return np.zeros(len(self.reason), dtype=np.int64)

    def residuals(self, rows: np.ndarray) -> np.ndarray:
        """Estimation-window residuals by relative day (``NaN`` where missing)."""
        return self.estimation_residuals[rows]

    def null_residuals(self, rows: np.ndarray) -> np.ndarray:
        return self.residuals(rows)

    def null_weights(self, rows: np.ndarray) -> np.ndarray:
        return np.ones((len(rows), self.abnormal.shape[1]))

    def frame(self) -> pd.DataFrame:
        """Per studied event: security, event_date, day0, nobs, df, sigma, peers (weights), the
        CAR over the first window with se, t, p and its interval, and the BHAR."""
        rows = np.flatnonzero(self.ok)
        half = critical_values(self.study.level, self.df[rows]) * self.window_car_se[rows, 0]
        car = self.window_car[rows, 0]
        data: dict[str, Any] = {
            "security": self.securities[rows], "event_date": self.event_dates[rows],
            "day0": self.day0[rows], "nobs": self.nobs[rows], "df": self.df[rows],
            "sigma": self.sigma[rows], "peers": self.peers[rows],
        }
        if self.weights is not None:
            data["weights"] = self.weights[rows]
        data.update({"car": car, "car_se": self.window_car_se[rows, 0],
                     "car_t": self.window_car_t[rows, 0], "car_p": self.window_car_p[rows, 0],
                     "car_ci_low": car - half, "car_ci_high": car + half,
                     "bhar": self.window_bhar[rows, 0]})
        return pd.DataFrame(data, index=pd.Index(rows, name="event"))


def peer_batch(
    returns: pd.DataFrame, events: pd.DataFrame, market: pd.Series, study: EventStudy,
    windows: tuple[Window, ...], peers: Sequence[tuple[str, ...]], *, exclude_events: bool,
    non_session: str, progress: bool | None,
) -> PeerBatch:
    """Study ``events`` (``security``, ``event_date``) with the peer model of ``study``, event
    ``i`` against ``peers[i]`` (columns of ``returns``)."""
    if exclude_events:
        raise ParameterError("exclude_events", True, "not available with the peer models")
    placed = batch_event_study(returns, events, market, model="market_adjusted",
                               estimation=study.estimation, window=study.window, car_windows=windows,
                               level=study.level, min_estimation=study.min_estimation,
                               non_session=non_session, progress=False)
    n = len(placed)
    est, win = study.estimation, study.window
    reason = np.full(n, "", dtype=object)
    skipped = placed.skipped
    reason[skipped.index.to_numpy()] = skipped["reason"].to_numpy(dtype=object)
    dates = pd.DatetimeIndex(market.dropna().index)
    values = returns.reindex(dates).to_numpy(dtype=float)
    columns = pd.Index(returns.columns)
    kmax = max((len(p) for p in peers), default=1)
    peer_col = np.zeros((n, kmax), dtype=np.int64)
    present = np.zeros((n, kmax), dtype=bool)
    for i, names in enumerate(peers):  # names to columns: one look-up per peer, not per day
        where = columns.get_indexer(list(names))
        if (where < 0).any() and reason[i] == "":
            absent = [p for p, w in zip(names, where) if w < 0]
            reason[i] = f"peers: {', '.join(map(repr, absent[:5]))} not in the returns data"
        peer_col[i, : len(names)] = np.maximum(where, 0)
        present[i, : len(names)] = True
    own = np.array([s in names for s, names in zip(placed.securities, peers)])
    reason[own & (reason == "")] = "peers: the event's own security is among its peers"
    pos = np.zeros(n, dtype=np.int64)
    col = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(reason == "")
    pos[rows] = dates.searchsorted(pd.DatetimeIndex(placed.day0[rows]))
    col[rows] = columns.get_indexer(placed.securities[rows])
    offsets = np.concatenate([np.arange(est.start, est.end + 1), np.arange(win.start, win.end + 1)])
    length, t = len(est), len(win)
    w_count = len(windows)
    out = {name: np.full((n, t), np.nan) for name in ("realised", "abnormal", "se")}
    out.update({name: np.full((n, w_count), np.nan) for name in
                ("window_car", "window_car_se", "window_car_t", "window_car_p", "window_bhar")})
    residuals = np.full((n, length), np.nan)
    nobs = np.full(n, -1, dtype=np.int64)
    df = np.full(n, -1, dtype=np.int64)
    sigma = np.full(n, np.nan)
    weights = np.full(n, "", dtype=object) if study.model.name == "synthetic" else None
    window_cols = [np.arange(w.start - win.start, w.end - win.start + 1) for w in windows]
    with progress_bar(len(rows), desc="peer fits", enabled=progress, unit="event") as bar:
        for lo in range(0, len(rows), CHUNK):
            chunk = rows[lo : lo + CHUNK]
            days = pos[chunk][:, None] + offsets[None, :]
            y = values[days, col[chunk][:, None]]  # (c, L + T)
            p = values[days[:, :, None], peer_col[chunk][:, None, :]]  # (c, L + T, kmax)
            mask = present[chunk][:, None, :]
            complete = np.isfinite(y) & np.all(np.isfinite(p) | ~mask, axis=2)
            p = np.where(mask, p, 0.0)
            if weights is None:
                _equal_weights(study, chunk, y, p, mask, complete, length, reason, out, residuals,
                               nobs, df, sigma, window_cols)
            else:
                _synthetic(study, chunk, y, p, present, peers, complete, length, reason, out,
                           residuals, nobs, df, sigma, window_cols, weights)
            bar.update(len(chunk))
    studied = reason == ""
    t_stat = out["window_car"] / out["window_car_se"]
    out["window_car_t"] = np.where(studied[:, None], t_stat, np.nan)
    dfs = np.where(studied, df, 1).astype(float)
    out["window_car_p"] = np.where(studied[:, None],
                                   p_values(t_stat, dfs, study.alternative), np.nan)
    return PeerBatch(
        study=study, car_windows=tuple(windows), securities=placed.securities,
        event_dates=placed.event_dates, day0=placed.day0, reason=reason,
        peers=np.array([";".join(names) for names in peers], dtype=object), weights=weights,
        nobs=nobs, df=df, sigma=sigma, estimation_residuals=residuals, **out,
    )


def _window_reason(events: np.ndarray, i: np.ndarray, reason: np.ndarray, text: str) -> None:
    reason[events[i]] = np.where(reason[events[i]] == "", text, reason[events[i]])


def _equal_weights(study: EventStudy, chunk: np.ndarray, y: np.ndarray, p: np.ndarray,
                   mask: np.ndarray, complete: np.ndarray, length: int, reason: np.ndarray,
                   out: dict[str, np.ndarray], residuals: np.ndarray, nobs: np.ndarray,
                   df: np.ndarray, sigma: np.ndarray, window_cols: list[np.ndarray]) -> None:
    """The equally weighted peers of a chunk of events, all at once."""
    expected = p.sum(axis=2) / mask.sum(axis=2)
    excess = np.where(complete, y - expected, np.nan)
    est = excess[:, :length]
    count = np.count_nonzero(~np.isnan(est), axis=1)
    _window_reason(chunk, np.flatnonzero(~complete[:, length:].all(axis=1)), reason,
                   "window: no return of the stock or of one of its peers on an event-window day")
    _window_reason(chunk, np.flatnonzero(count < study.min_estimation), reason,
                   f"min_estimation: fewer than {study.min_estimation} estimation days with the "
                   "stock's and every peer's return")
    s = np.sqrt(np.nansum((est - np.nanmean(est, axis=1, keepdims=True)) ** 2, axis=1)
                / np.maximum(count - 1, 1))
    exact = exact_fit(s**2, np.nansum(est**2, axis=1), np.maximum(count - 1, 1))
    _window_reason(chunk, np.flatnonzero(exact), reason,
                   "estimation: the peers fit the stock exactly (residual sd 0), so abnormal "
                   "returns cannot be tested")
    ok = reason[chunk] == ""
    rows = chunk[ok]
    nobs[rows], df[rows], sigma[rows] = count[ok], count[ok] - 1, s[ok]
    residuals[rows] = est[ok]
    abnormal = excess[ok, length:]
    realised = y[ok, length:]
    out["realised"][rows], out["abnormal"][rows] = realised, abnormal
    out["se"][rows] = s[ok, None]
    for w, cols in enumerate(window_cols):
        out["window_car"][rows, w] = abnormal[:, cols].sum(axis=1)
        out["window_car_se"][rows, w] = s[ok] * np.sqrt(len(cols))
        out["window_bhar"][rows, w] = (np.prod(1.0 + realised[:, cols], axis=1)
                                       - np.prod(1.0 + realised[:, cols] - abnormal[:, cols], axis=1))


def _synthetic(study: EventStudy, chunk: np.ndarray, y: np.ndarray, p: np.ndarray,
               present: np.ndarray, peers: Sequence[tuple[str, ...]], complete: np.ndarray,
               length: int, reason: np.ndarray, out: dict[str, np.ndarray],
               residuals: np.ndarray, nobs: np.ndarray, df: np.ndarray, sigma: np.ndarray,
               window_cols: list[np.ndarray], weights: np.ndarray) -> None:
    """Each event's synthetic weights, then its linear model on the support (module docstring
    of :mod:`eventstudy.models.peers`)."""
    for j, i in enumerate(chunk):  # one constrained least-squares problem per event
        if reason[i]:
            continue
        k = int(present[i].sum())
        valid = complete[j, :length]
        if not complete[j, length:].all():
            reason[i] = "window: no return of the stock or of one of its candidates on an event-window day"
            continue
        if valid.sum() < max(study.min_estimation, k + 1):
            reason[i] = (f"min_estimation: {int(valid.sum())} estimation days with the stock's and "
                         f"every candidate's return, fewer than {max(study.min_estimation, k + 1)}")
            continue
        candidates, target = p[j, :length, :k][valid], y[j, :length][valid]
        try:
            w = simplex_weights(candidates, target, peers[i])
        except DataError as error:
            reason[i] = str(error)
            continue
        support = np.flatnonzero(w > 0)
        design = candidates[:, support[:-1]] - candidates[:, [support[-1]]]
        fitted = target - candidates @ w
        dof = len(target) - (len(support) - 1)
        s = float(np.sqrt(fitted @ fitted / dof))
        if exact_fit(s**2, target @ target, dof):
            reason[i] = ("estimation: the synthetic peer fits the stock exactly (residual sd 0), "
                         "so abnormal returns cannot be tested")
            continue
        event_candidates = p[j, length:, :k]
        event_design = event_candidates[:, support[:-1]] - event_candidates[:, [support[-1]]]
        xtx_inv = (np.linalg.inv(design.T @ design) if design.shape[1]
                   else np.zeros((0, 0)))
        realised = y[j, length:]
        abnormal = realised - event_candidates @ w
        leverage = np.einsum("ti,ij,tj->t", event_design, xtx_inv, event_design)
        nobs[i], df[i], sigma[i] = len(target), dof, s
        residual_row = np.full(length, np.nan)
        residual_row[valid] = fitted
        residuals[i] = residual_row
        out["realised"][i], out["abnormal"][i] = realised, abnormal
        out["se"][i] = s * np.sqrt(1.0 + leverage)
        for w_index, cols in enumerate(window_cols):
            total = event_design[cols].sum(axis=0)
            out["window_car"][i, w_index] = abnormal[cols].sum()
            out["window_car_se"][i, w_index] = s * np.sqrt(len(cols) + total @ xtx_inv @ total)
            out["window_bhar"][i, w_index] = (np.prod(1.0 + realised[cols])
                                              - np.prod(1.0 + realised[cols] - abnormal[cols]))
        weights[i] = ";".join(f"{peers[i][c]}:{w[c]:.6g}" for c in support)
