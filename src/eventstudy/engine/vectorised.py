r"""The vectorised core of the batch engine: every event's regression from prefix sums.

:func:`eventstudy.engine.batch.batch_event_study` validates the inputs and places day 0; this module
turns a returns panel and a model into the per-event estimates, abnormal returns and their
covariance, with no Python loop over events.

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
:math:`n - k` degrees of freedom follow (:mod:`eventstudy.inference.ttest`).

Accuracy guard
--------------
Differencing prefix sums loses the digits that the prefix sums carry beyond the window's own
sums. Before summing, every regressor is centred by its mean over the whole panel and every
security's target by its own panel mean (variances, covariances and slopes are invariant to
these shifts; the intercept is shifted back exactly). The prefix sums then stay of the order of
the window sums (random walks around zero instead of a growing drift), and the centred
cross-products :math:`Q`, :math:`c`, :math:`Q_{yy}` are formed from window means near zero, so
there is no catastrophic cancellation. ``tests/engine/test_batch.py`` checks the engine against a
direct per-event least-squares fit on 10-year panels of realistic returns and against
:meth:`EventStudy.run <eventstudy.engine.single.EventStudy.run>` on the committed panel to 1e-10.

Models
------
Every built-in model runs vectorised: ``constant_mean`` (:math:`q = 0`), ``market``, ``capm``,
``ff3``, ``carhart``, ``ff5``, ``dimson`` (the general form above), ``market_adjusted``
(:math:`s^2` is the variance of :math:`R - R_m`, :math:`V = s^2 I`) and ``scholes_williams``
(its slopes :math:`b_{-1}, b_0, b_{+1}` and the market's autocorrelation come from the same
moments as Dimson's; :math:`V` uses :math:`X = [1, R_m]`). A user model (a subclass of
:class:`~eventstudy.models.linear.ExpectedReturnModel`) runs when it keeps the OLS ``fit`` and its
design starts with a column of ones; otherwise :func:`batch_event_study` raises and the
per-event path (:class:`~eventstudy.engine.single.EventStudy`) is the fallback.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.exceptions import ParameterError
from eventstudy.models.linear import (
    SINGULAR_PIVOT,
    ExpectedReturnModel,
    MarketAdjusted,
    ScholesWilliams,
    exact_fit,
    singular_designs,
)
from eventstudy.progress import progress_bar
from eventstudy.inference.pvalues import p_values
from eventstudy.engine.single import EventStudy

#: Reason code of a studied event (see :data:`eventstudy.engine.batch.REASONS`).
OK = 0
#: Reason code of an event whose numbers would not be finite (a degenerate estimation).
DEGENERATE = 13


# --------------------------------------------------------------------------------------------
# Models as shared regressors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
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


def model_spec(model: ExpectedReturnModel, data: pd.DataFrame) -> ModelSpec:
    missing = [c for c in model.columns if c not in data.columns]
    if missing:
        raise ParameterError(
            "factors", sorted(c for c in data.columns if not c.startswith("market")),
            f"the {model.label} needs the columns {list(model.columns)}; {missing} are missing",
        )
    valid = data[list(model.columns)].notna().all(axis=1).to_numpy()
    if isinstance(model, MarketAdjusted):
        offset = data["market"].to_numpy(dtype=float)
        return ModelSpec("market_adjusted", np.empty((len(data), 0)), offset, valid,
                     np.empty((len(data), 0)), 0)
    if isinstance(model, ScholesWilliams):
        z = data[["market_lag1", "market", "market_lead1"]].to_numpy(dtype=float)
        return ModelSpec("scholes_williams", z, np.zeros(len(data)), valid,
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
    return ModelSpec("ols", design[:, 1:], offset, valid, design, k)


def _packed_pairs(q: int) -> list[tuple[int, int]]:
    return [(j, m) for j in range(q) for m in range(j, q)]



# --------------------------------------------------------------------------------------------
# The vectorised core
# --------------------------------------------------------------------------------------------


class Engine:
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

    def __init__(self, values: np.ndarray, spec: ModelSpec, study: EventStudy,
                 windows: tuple[Window, ...], first: np.ndarray, last: np.ndarray,
                 excluded: np.ndarray | None = None) -> None:
        # event-window returns come from ``values``; the estimation from ``values`` less the
        # ``excluded`` cells (other events' windows of the same security)
        self.values_t = np.ascontiguousarray(values.T)
        if excluded is not None:
            values = np.where(excluded, np.nan, values)
        self.values, self.spec, self.study, self.windows = values, spec, study, windows
        self.estimation_t = self.values_t if excluded is None else np.ascontiguousarray(values.T)
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

    def _squares(self, szz: np.ndarray, sz: np.ndarray, n: np.ndarray) -> np.ndarray:
        r"""Uncentred sums of squares :math:`\sum z_j^2` of the regressors over each window, from
        the sums of the centred ones: :math:`\sum \tilde z_j^2 + 2 c_j \sum \tilde z_j + n c_j^2`."""
        q = self.spec.q
        diagonal = [self.pairs.index((j, j)) for j in range(q)]
        centre = self.z_centre[None, :]
        return szz[:, diagonal] + 2.0 * centre * sz + n[:, None] * centre * centre

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
            raw = np.take(self.estimation_t.reshape(-1), col[sl, None].astype(np.int64) * n_dates + days)
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
        spec, study = self.spec, self.study
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
            # the single path's rule: each market column a one-regressor design, 1 + 2 rho != 0
            squares = self._squares(szz, sz, n)
            singular = np.zeros(len(rows), dtype=bool)
            for j in range(3):
                singular |= singular_designs(qm[:, j : j + 1, j : j + 1], squares[:, j : j + 1])
            singular |= ~(np.abs(1.0 + 2.0 * rho) > SINGULAR_PIVOT)
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
                singular = singular_designs(sxx[:, None, None], self._squares(szz, sz, n))
                slopes = beta[:, None]
            else:
                d = self.z_tilde[day] - z_bar[:, None, :]  # (n, T, q)
                qm = _centred_cross(szz, sz, z_bar, q)
                chol, unfactored = _cholesky(qm)
                singular = unfactored | singular_designs(qm, self._squares(szz, sz, n))
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
        # the single path's rule on the uncentred target: sum y^2 = sum (y - c)^2 + 2 c sum (y - c) + n c^2
        centre = self.y_centre[col]
        exact = exact_fit(s2, syy + 2.0 * centre * sy + n * centre * centre, df)
        status = np.select(
            [~in_window, n < study.min_estimation, singular, exact], [9, 10, 11, 12], OK
        ).astype(np.int8)
        current = reason[rows]
        reason[rows] = np.where(current == OK, status, current)

        s = np.sqrt(s2)
        inv_n = h / n
        se = s[:, None] * np.sqrt(1.0 + inv_n[:, None] + np.einsum("itj,itj->it", u, u))
        dff = np.where(status == OK, df, 1.0)
        n_windows = len(self.windows)
        car, car_se, bhar = (np.empty((len(rows), n_windows)) for _ in range(3))
        for w, window in enumerate(self.windows):
            first, stop = window.start - win.start, window.end - win.start + 1
            width = stop - first
            u_sum = u[:, first:stop, :].sum(axis=1)
            car[:, w] = ar[:, first:stop].sum(axis=1)
            car_se[:, w] = s * np.sqrt(width + width * width * inv_n
                                       + np.einsum("ij,ij->i", u_sum, u_sum))
            window_returns = realised[:, first:stop]
            bhar[:, w] = (np.prod(1.0 + window_returns, axis=1)
                          - np.prod(1.0 + window_returns - ar[:, first:stop], axis=1))
        t_car = car / car_se
        p_car = p_values(np.where(status[:, None] == OK, t_car, 0.0), dff, study.alternative)
        # last guard: whatever the data, a studied event has finite numbers
        finite = (np.isfinite(ar).all(axis=1) & (se > 0).all(axis=1) & np.isfinite(se).all(axis=1)
                  & np.isfinite(car_se).all(axis=1) & (car_se > 0).all(axis=1)
                  & np.isfinite(params).all(axis=1))
        degenerate = (status == OK) & ~finite
        if degenerate.any():
            status[degenerate] = DEGENERATE
            reason[rows] = np.where(reason[rows] == OK, status, reason[rows])

        put = _writer(target)
        put(out["nobs"], np.where(np.isfinite(n), n, -1).astype(np.int64))
        put(out["df"], np.where(np.isfinite(df), df, -1).astype(np.int64))
        put(out["sigma"], s)
        put(out["params"], params)
        put(out["realised"], realised)
        put(out["abnormal"], ar)
        put(out["se"], se)
        put(out["window_car"], car)
        put(out["window_car_se"], car_se)
        put(out["window_car_t"], t_car)
        put(out["window_car_p"], p_car)
        put(out["window_bhar"], bhar)


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
