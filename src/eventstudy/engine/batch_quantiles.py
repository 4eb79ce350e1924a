"""Each event's sample-quantile test of its CAR, for a batch of many events.

Every event of a multi-event study is one single-event study, so it gets the single-event
test that assumes no normality (:mod:`eventstudy.inference.sample_quantile`): its CAR over each
CAR window against the sums of as many consecutive estimation residuals.

The residuals of a million events are not held at once: the batch engine recomputes them chunk
by chunk for the multi-event tests, and :class:`CarQuantiles` tests the events of each chunk as
it passes (:meth:`CarQuantiles.add`), so the residuals are computed once for both. Events the
tests' pass did not read (the parametric tests read no residuals), and every event of the GARCH
models, whose test uses the standardised residuals and each day's forecast sd, are tested at the
end (:meth:`CarQuantiles.finish`) from the batch results' ``null_residuals`` and
``null_weights``, as the single-event path uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from eventstudy.calendar import Window
from eventstudy.inference.sample_quantile import equal_weight_pvalues, sample_quantile_pvalues

#: Events whose residuals :meth:`CarQuantiles.finish` reads at once.
CHUNK = 8192


class CarQuantiles:
    """The sample-quantile p-value and number of null sums of every event's CAR over every
    window, filled chunk by chunk.

    Parameters
    ----------
    values
        ``(N, W)``: each event's CAR over each window.
    windows
        The CAR windows (their lengths are the lengths of the null sums), inside the event window
        whose relative days are ``rel_days``.
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    equal_weights
        True for the linear models, whose null sums weigh every residual 1: then the estimation
        residuals passed to :meth:`add` are the null residuals. False (GARCH): :meth:`add` keeps
        nothing and :meth:`finish` tests every event.

    Attributes
    ----------
    p, n
        ``(N, W)``; ``p`` is ``NaN`` where ``n = 0`` (no run of the window's length without a
        missing residual).
    """

    def __init__(self, values: np.ndarray, windows: Sequence[Window], rel_days: Sequence[int],
                 alternative: str, equal_weights: bool) -> None:
        self.values = np.asarray(values, dtype=float)
        rel = list(rel_days)
        self.columns = [slice(rel.index(w.start), rel.index(w.end) + 1) for w in windows]
        self.lengths = [len(w) for w in windows]
        self.alternative = alternative
        self.equal_weights = equal_weights
        self.p = np.full(self.values.shape, np.nan)
        self.n = np.zeros(self.values.shape, dtype=np.int64)
        self.done = np.zeros(self.values.shape[0], dtype=bool)

    def add(self, rows: np.ndarray, residuals: np.ndarray) -> None:
        """Test the events ``rows`` from their estimation residuals ``(len(rows), L)``."""
        if not self.equal_weights:
            return
        self.p[rows], self.n[rows] = equal_weight_pvalues(residuals, self.values[rows], self.lengths,
                                                          self.alternative)
        self.done[rows] = True

    def finish(self, null_rows: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
               chunk: int = CHUNK) -> None:
        """Test the events not tested yet; ``null_rows(rows)`` gives their null residuals
        ``(n, L)`` and event-day weights ``(n, T)``. The next chunk's residuals are computed in
        a second thread while this chunk is tested (NumPy releases the interpreter lock in
        both); each chunk fills its own rows, so the results do not depend on the timing."""
        rest = np.flatnonzero(~self.done)
        parts = [rest[lo : lo + chunk] for lo in range(0, len(rest), chunk)]
        if not parts:
            return
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(null_rows, parts[0])
            for i, rows in enumerate(parts):
                residuals, weights = pending.result()
                if i + 1 < len(parts):
                    pending = pool.submit(null_rows, parts[i + 1])
                self._test(rows, residuals, weights)

    def _test(self, rows: np.ndarray, residuals: np.ndarray, weights: np.ndarray) -> None:
        """The tests of the events ``rows`` from their null residuals and event-day weights."""
        if self.equal_weights:
            self.add(rows, residuals)
            return
        for w, cols in enumerate(self.columns):  # each event day has its own weight
            self.p[rows, w], _, _, self.n[rows, w] = sample_quantile_pvalues(
                residuals, self.values[rows, w], weights[:, cols], self.alternative)
        self.done[rows] = True
