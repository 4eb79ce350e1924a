r"""The vectorised core of the batch engine: every event's regression from running sums.

:func:`eventstudy.engine.batch.batch_event_study` validates the inputs, places day 0 and hands
this module the events' cells (:mod:`eventstudy.data.segments`: each security's event windows
merged into runs of trading days, laid end to end); this module turns them and a model into the
per-event estimates, abnormal returns and their covariance, with no Python loop over events.
Work and memory grow with the cells the events need and the number of events, never with the
securities times the whole date span.

Algorithm
---------
Every linear model here regresses :math:`y = R - o` (the return less a known offset :math:`o`:
0, :math:`RF` or :math:`R_m`) on an intercept and regressors :math:`z_t` (:math:`q` columns)
that are the same for every security (the market, its lag and lead, French factors). For
security :math:`s` with validity mask :math:`m_{ts}` (its return and every model input present),
the ``M = 3 + 2q + q(q+1)/2`` masked moments

.. math:: m,\; m z_j,\; m z_j z_l\,(j \le l),\; m y,\; m z_j y,\; m y^2

are summed cumulatively: the regressors' own moments once over the trading days (shared by
every security, less the cells where a security lacks a return), the target's moments over each
segment's cells. The estimation window :math:`[a, b]` of any event then has the sums
:math:`S = C_b - C_{a-1}` (two look-ups), so its regression costs :math:`O(q^2)` whatever the
window length :math:`L`:

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
Differencing running sums loses the digits that the sums carry beyond the window's own sums.
The target's sums restart at every segment (each starts from the segment's first cell, less
the segment before's total), so they never carry other securities' or other years' sums; and
before summing, every regressor is centred by its mean over the whole panel and every
segment's target by its own mean (variances, covariances and slopes are invariant to these
shifts; the intercept is shifted back exactly). The sums then stay of the order of the window
sums (random walks around zero instead of a growing drift), and the centred cross-products
:math:`Q`, :math:`c`, :math:`Q_{yy}` are formed from window means near zero, so there is no
catastrophic cancellation. ``tests/engine/test_batch.py`` checks the engine against a direct
per-event least-squares fit on 10-year panels of realistic returns and against
:meth:`EventStudy.run <eventstudy.engine.single.EventStudy.run>` on the committed panel and on a
panel shaped like CRSP's (staggered lifetimes, gaps) to 1e-10.

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
from eventstudy.data.segments import Segments
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


@dataclass(frozen=True)
class _Block:
    """The running sums of a block of segments (see :meth:`Engine._block`)."""

    segments: np.ndarray
    sums: np.ndarray
    miss_start: np.ndarray
    miss_prefix: np.ndarray


#: Longest segment of a block over its shortest: the rows of a block are padded to its longest.
_WIDTH_RATIO = 1.25


class Engine:
    """The vectorised core on the events' cells: running sums per segment, then every chunk of
    events solved at once.

    The moments of the regressors alone (:math:`m, mz, mzz'`) are shared by all securities
    except on the days a security lacks a return: they are summed once over the days with every
    model input (``(D+1, Mx)``), and each window subtracts the sums over the security's own
    missing cells inside it (cells without a usable return on a day with every model input),
    found from their count in the running sums. Only the target's moments (:math:`my, mzy,
    my^2`) and the count of missing cells are summed per cell: segments of similar lengths are
    the rows of a block, ``(3+q, rows, width+1)``, each row's sums starting from an exact zero,
    so a segment's sums never depend on the others (nor on the blocks' sizes).
    """

    def __init__(self, cells: np.ndarray, segs: Segments, spec: ModelSpec, study: EventStudy,
                 windows: tuple[Window, ...], excluded: np.ndarray | None = None,
                 block_cells: int = 1 << 22, used: np.ndarray | None = None) -> None:
        # event-window returns come from ``cells``; the estimation from ``cells`` less the
        # ``excluded`` cells (other events' windows of the same security)
        self.cells, self.segs, self.spec = cells, segs, spec
        self.study, self.windows = study, windows
        self.estimation = cells if excluded is None else np.where(excluded, np.nan, cells)
        q = spec.q
        self.n_y_moments = 3 + q
        # centring constants (the accuracy guard): regressors by their panel means, each
        # segment's target by its own mean over its usable cells (set block by block)
        if q and spec.valid.any():
            self.z_centre = spec.z[spec.valid].mean(axis=0)
        else:
            self.z_centre = np.zeros(q)
        self.z_tilde = np.where(spec.valid[:, None], spec.z - self.z_centre, 0.0)
        self.pairs = _packed_pairs(q)
        self.x_moments = np.column_stack(
            [spec.valid.astype(float), self.z_tilde]
            + [self.z_tilde[:, j] * self.z_tilde[:, m] for j, m in self.pairs]
        )
        self.x_prefix = _prefix(self.x_moments)
        self.y_centre = np.zeros(len(segs))
        self.base = segs.base
        self.has_offset = bool(np.any(spec.offset != 0.0))
        self.all_valid = bool(spec.valid.all())
        # blocks of the segments ``used`` (default: all): sorted by length, cut where the
        # longest would pad the shortest by more than _WIDTH_RATIO or the block would exceed
        # ``block_cells``
        used = np.arange(len(segs)) if used is None else np.asarray(used, dtype=np.int64)
        self.blocks = [used[b] for b in _plan_blocks(segs.length[used], block_cells)]
        self.block_of = np.full(len(segs), -1, dtype=np.int64)
        self.row_of = np.zeros(len(segs), dtype=np.int64)
        for k, members in enumerate(self.blocks):
            self.block_of[members] = k
            self.row_of[members] = np.arange(len(members))

    def run(self, order: np.ndarray, pos: np.ndarray, segment: np.ndarray, reason: np.ndarray,
            out: dict[str, np.ndarray], *, chunk_size: int, progress: bool | None,
            workers: int = 1) -> None:
        """Study the events ``order`` (``segment[i]`` holds event ``i``'s windows), block by
        block, chunk by chunk. With one block, the events in their own order (outputs written by
        slices), ``workers`` chunks at a time; with several, ``workers`` blocks at a time (NumPy
        releases the GIL in the array work), each solving its chunks in turn."""
        in_order = len(self.blocks) == 1
        if not in_order:
            order = order[np.argsort(self.block_of[segment[order]], kind="stable")]
        bounds = np.searchsorted(self.block_of[segment[order]], np.arange(len(self.blocks) + 1))
        with progress_bar(len(order), desc=f"{self.study.model.name} events", enabled=progress,
                          unit="event") as bar:

            def solve(lo: int, stop: int, block: _Block) -> int:
                hi = min(lo + chunk_size, stop)
                rows = order[lo:hi]
                target = slice(lo, hi) if in_order else rows
                self._chunk(target, rows, pos[rows], segment[rows], block, reason, out)
                bar.update(hi - lo)
                return hi - lo

            if in_order:
                block = self._block(0)
                starts = range(0, len(order), chunk_size)
                if workers > 1 and len(starts) > 1:
                    with ThreadPoolExecutor(workers) as pool:
                        list(pool.map(lambda lo: solve(lo, len(order), block), starts))
                else:
                    for lo in starts:
                        solve(lo, len(order), block)
                return

            def solve_block(k: int) -> None:
                start, stop = int(bounds[k]), int(bounds[k + 1])
                if start == stop:
                    return
                block = self._block(k)
                for lo in range(start, stop, chunk_size):
                    solve(lo, stop, block)

            if workers > 1 and len(self.blocks) > 1:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(solve_block, range(len(self.blocks))))
            else:
                for k in range(len(self.blocks)):
                    solve_block(k)

    def _block(self, k: int) -> _Block:
        """Running sums of the segments of block ``k``, one row each.

        Sets each segment's centre of the target; lists its missing cells (no usable return on
        a day with every model input) with the prefix sums of their regressor moments; and sums
        its cells moment by moment into row ``r`` of ``(3+q, rows, width+1)``: the missing
        count, then the centred target's :math:`y, zy, y^2`, column ``j`` holding the sum of the
        segment's first ``j`` days (column 0 is zero). A window ``[a, b]`` of segment ``g``
        sums to ``S[:, r, b - first + 1] - S[:, r, a - first]``.
        """
        spec, segs = self.spec, self.segs
        members = self.blocks[k]
        lengths = segs.length[members]
        width = int(lengths.max())
        step = np.arange(width, dtype=np.int64)
        inside = step[None, :] < lengths[:, None]  # (rows, width): the padding is outside
        day = segs.first[members][:, None] + step[None, :]
        np.minimum(day, len(spec.valid) - 1, out=day)  # padding: any day, masked below
        cell = np.minimum(segs.offset[members][:, None] + step[None, :], len(self.estimation) - 1)
        y = np.take(self.estimation, cell)
        del cell
        if self.has_offset:
            y -= spec.offset[day]
        usable = np.isfinite(y) & inside
        if not self.all_valid:
            usable &= spec.valid[day]
        np.copyto(y, 0.0, where=~usable)
        centre = y.sum(axis=1) / np.maximum(usable.sum(axis=1), 1)
        self.y_centre[members] = centre
        y -= centre[:, None]
        np.copyto(y, 0.0, where=~usable)
        missing = inside & ~usable
        if not self.all_valid:
            missing &= spec.valid[day]
        missing_cells = np.flatnonzero(missing)  # row by row, day by day
        miss_start = np.searchsorted(missing_cells, np.arange(len(members)) * width)
        miss_prefix = _prefix(self.x_moments[day.reshape(-1)[missing_cells]])
        m = self.n_y_moments
        sums = np.empty((m, len(members), width + 1))
        sums[:, :, 0] = 0.0
        sums[0, :, 1:] = missing
        sums[1, :, 1:] = y
        for a in range(spec.q):
            np.multiply(y, self.z_tilde[day, a], out=sums[2 + a, :, 1:])
        np.multiply(y, y, out=sums[m - 1, :, 1:])
        del y, day, usable, missing, inside
        np.cumsum(sums, axis=2, out=sums)
        return _Block(members, sums, miss_start, miss_prefix)

    def _squares(self, szz: np.ndarray, sz: np.ndarray, n: np.ndarray) -> np.ndarray:
        r"""Uncentred sums of squares :math:`\sum z_j^2` of the regressors over each window, from
        the sums of the centred ones: :math:`\sum \tilde z_j^2 + 2 c_j \sum \tilde z_j + n c_j^2`."""
        q = self.spec.q
        diagonal = [self.pairs.index((j, j)) for j in range(q)]
        centre = self.z_centre[None, :]
        return szz[:, diagonal] + 2.0 * centre * sz + n[:, None] * centre * centre

    def _direct_ssr(self, seg: np.ndarray, a: np.ndarray, y_bar: np.ndarray, z_bar: np.ndarray,
                    slopes: np.ndarray) -> np.ndarray:
        r""":math:`\sum_t (\tilde y_t - \bar y - (\tilde z_t - \bar z)'b)^2` over each event's
        valid estimation days, a few events at a time."""
        spec = self.spec
        steps = np.arange(len(self.study.estimation))
        out = np.empty(len(seg))
        for lo in range(0, len(seg), 1024):
            sl = slice(lo, lo + 1024)
            days = a[sl, None] + steps[None, :]
            raw = np.take(self.estimation, self.base[seg[sl]][:, None] + days)
            y = raw - spec.offset[days] - self.y_centre[seg[sl]][:, None]
            valid = np.isfinite(y) & spec.valid[days]
            fitted = np.einsum("ntq,nq->nt", self.z_tilde[days] - z_bar[sl, None, :], slopes[sl])
            resid = np.where(valid, y - y_bar[sl, None] - fitted, 0.0)
            out[sl] = np.einsum("nt,nt->n", resid, resid)
        return out

    def _chunk(self, target: slice | np.ndarray, rows: np.ndarray, p: np.ndarray,
               seg: np.ndarray, block: _Block, reason: np.ndarray,
               out: dict[str, np.ndarray]) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._solve(target, rows, p, seg, block, reason, out)

    def _window_sums(self, p: np.ndarray, seg: np.ndarray,
                     block: _Block) -> tuple[np.ndarray, np.ndarray]:
        """Each event's estimation-window sums: the regressors' moments ``(n, Mx)`` (shared sums
        less the missing cells) and the target's ``(n, 2+q)``."""
        est = self.study.estimation
        a, b = p + est.start, p + est.end + 1
        sums = block.sums.reshape(self.n_y_moments, -1)
        row = self.row_of[seg] * block.sums.shape[2] - self.segs.first[seg]  # + d: after day d-1
        at_b = np.take(sums, row + b, axis=1).T
        at_a = np.take(sums, row + a, axis=1).T
        sx = self.x_prefix[b] - self.x_prefix[a]
        # the segment's missing cells in the window are entries lo .. hi-1 of the block's list
        gap = at_b[:, 0] > at_a[:, 0]
        if gap.any():
            start = block.miss_start[self.row_of[seg[gap]]]
            lo = start + np.rint(at_a[gap, 0]).astype(np.int64)
            hi = start + np.rint(at_b[gap, 0]).astype(np.int64)
            sx[gap] -= block.miss_prefix[hi] - block.miss_prefix[lo]
        return sx, at_b[:, 1:] - at_a[:, 1:]

    def _solve(self, target: slice | np.ndarray, rows: np.ndarray, p: np.ndarray,
               seg: np.ndarray, block: _Block, reason: np.ndarray,
               out: dict[str, np.ndarray]) -> None:
        spec, study = self.spec, self.study
        est, win = study.estimation, study.window
        q = spec.q
        a = p + est.start
        sx, sy_all = self._window_sums(p, seg, block)
        n = np.rint(sx[:, 0])
        sz = sx[:, 1 : 1 + q]
        szz = sx[:, 1 + q :]
        sy = sy_all[:, 0]
        szy = sy_all[:, 1 : 1 + q]
        syy = sy_all[:, 1 + q]

        # event window: every day needs the return and every model input
        offsets = np.arange(win.start, win.end + 1)
        day = p[:, None] + offsets[None, :]
        realised = np.take(self.cells, self.base[seg][:, None] + day)
        in_window = np.isfinite(realised).all(axis=1) & spec.valid[day].all(axis=1)
        y_star = realised - spec.offset[day] - self.y_centre[seg][:, None]

        z_bar = sz / n[:, None]
        y_bar = sy / n
        qyy = syy - sy * y_bar
        cyz = szy - sz * y_bar[:, None]
        y_level = y_bar + self.y_centre[seg]  # window mean of the target, uncentred
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
                ssr[refine] = self._direct_ssr(seg[refine], a[refine], y_bar[refine],
                                               z_bar[refine], slopes[refine])
        s2 = ssr / df
        # an exact fit: s^2 at rounding level of the target's second moment
        # the single path's rule on the uncentred target: sum y^2 = sum (y - c)^2 + 2 c sum (y - c) + n c^2
        centre = self.y_centre[seg]
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
        array[target] = value  # whole rows at a time
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


def _plan_blocks(lengths: np.ndarray, block_cells: int) -> list[np.ndarray]:
    """Segments grouped into blocks: sorted by length, a block ends where the next segment is
    longer than :data:`_WIDTH_RATIO` times its first or its padded rows would exceed
    ``block_cells`` (a segment alone may exceed it)."""
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order]
    blocks = []
    i = 0
    while i < len(order):
        similar = int(np.searchsorted(ordered, ordered[i] * _WIDTH_RATIO, side="right"))
        rows = max(1, block_cells // (int(ordered[similar - 1]) + 1))
        j = min(similar, i + rows)
        blocks.append(order[i:j])
        i = j
    return blocks
