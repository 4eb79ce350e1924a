r"""The sample-quantile (SQ) test of one event's abnormal return (Gelbach, Helland & Klick 2013).

With one event no central limit theorem makes the abnormal return normal, and daily returns are
fat-tailed and skewed, so the Student-t test of a single firm's abnormal return has the wrong
size. The SQ test compares the abnormal return with the empirical distribution of what the
model leaves unexplained on ordinary days: the estimation window's residuals.

Test
----
For a window of :math:`m` trading days :math:`[a, b]` of the event window (one day: :math:`m =
1`) with observed :math:`c = \sum_{t=a}^{b} AR_t`, the null distribution is that of the sums of
:math:`m` consecutive estimation-window residuals, each scaled by the day's weight :math:`w`,

.. math:: S_j = \sum_{k=0}^{m-1} w_k\, e_{j+k}, \qquad j = 1, \dots, L - m + 1,

keeping the :math:`n` sums whose :math:`m` days all have a residual. Then

.. math:: p_{>} = \#\{S_j \ge c\} / n, \qquad p_{<} = \#\{S_j \le c\} / n, \qquad
          p = \min(1, 2 \min(p_{>}, p_{<}))

for the alternatives ``"greater"``, ``"less"`` and ``"two-sided"``. For the linear models
:math:`e` are the OLS residuals and :math:`w = 1`; for the GARCH models :math:`e` are the
standardised residuals :math:`\hat\varepsilon_\tau / \sqrt{h_\tau}` and :math:`w_k` the
forecast standard deviation :math:`\sqrt{h_{T+k}}` of the window's day :math:`k`, so the null
sums carry the event window's conditional variance.

What ``n`` limits
-----------------
The p-value moves in steps of :math:`1/n`: with 240 residuals the smallest two-sided p-value
above zero is :math:`2/240 = 0.0083`. An abnormal return beyond every null sum gets
:math:`p = 0`, which only says :math:`p < 1/n` (two-sided: :math:`< 2/n`); the result marks it
(``beyond``). The test is valid as :math:`L \to \infty` (the sample quantiles converge). For
finite :math:`n` and exchangeable sums the rank of :math:`c` among them is uniform, so
:math:`P(p_{>} \le \alpha) = (\lfloor \alpha n \rfloor + 1) / (n + 1)` and the two-sided
test rejects with probability :math:`2(\lfloor \alpha n / 2 \rfloor + 1) / (n + 1)`: with
240 residuals 10.8% at 10%, 5.8% at 5% and 1.7% at 1% (``benchmarks/sim_sq_size.py`` shows it
by simulation, beside the t test's own error).

References
----------
Gelbach, J. B., Helland, E. & Klick, J. (2013). Valid inference in single-firm, single-event
studies. *American Law and Economics Review* 15(2), 495-541.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.ttest import check_alternative

__all__ = ["SampleQuantileTest", "equal_weight_pvalues", "null_sums", "sample_quantile_pvalues",
           "sample_quantile_test"]


@dataclass(frozen=True)
class SampleQuantileTest:
    r"""The SQ test of one value: a day's abnormal return or a CAR.

    Attributes
    ----------
    value
        The observed abnormal return or CAR :math:`c`.
    p_greater, p_less
        :math:`\#\{S_j \ge c\}/n` and :math:`\#\{S_j \le c\}/n`.
    n
        Null sums :math:`S_j` (for one day, the estimation residuals).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``: the alternative of :attr:`p`.
    """

    value: float
    p_greater: float
    p_less: float
    n: int
    alternative: str = "two-sided"

    @property
    def p(self) -> float:
        """The p-value for :attr:`alternative`."""
        return float(_pick(np.asarray(self.p_greater), np.asarray(self.p_less), self.alternative))

    @property
    def pvalue(self) -> float:
        """:attr:`p` (statsmodels' name)."""
        return self.p

    @property
    def beyond(self) -> bool:
        """True when :math:`c` lies beyond every null sum: the p-value for that side is 0, which
        only says that it is below :math:`1/n`."""
        return bool(self.p_greater == 0.0 or self.p_less == 0.0)

    @property
    def smallest_p(self) -> float:
        """The smallest p-value above 0 that ``n`` null sums can give: :math:`1/n`, two-sided
        :math:`2/n`."""
        return (2.0 if self.alternative == "two-sided" else 1.0) / self.n

    def to_dict(self) -> dict[str, Any]:
        """``{"p", "n", "beyond"}``, JSON-ready."""
        return {"p": self.p, "n": int(self.n), "beyond": self.beyond}


def _pick(greater: np.ndarray, less: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "greater":
        return greater
    if alternative == "less":
        return less
    return np.minimum(1.0, 2.0 * np.minimum(greater, less))


def null_sums(residuals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""The null sums :math:`S_j = \sum_k w_k e_{j+k}` of :math:`m` consecutive residuals.

    Parameters
    ----------
    residuals
        ``(L,)`` or ``(N, L)``: estimation-window residuals in trading-day order, ``NaN`` where a
        day has none.
    weights
        ``(m,)``, or ``(N, m)`` with one row per event: the weight of each day of the tested
        window (ones for the linear models).

    Returns
    -------
    numpy.ndarray
        ``(L - m + 1,)`` or ``(N, L - m + 1)``; ``NaN`` where one of the :math:`m` days has no
        residual (those sums are not part of the null distribution).
    """
    e = np.asarray(residuals, dtype=float)
    w = np.asarray(weights, dtype=float)
    m, length = w.shape[-1], e.shape[-1]
    if m < 1 or length < m:
        raise ParameterError("weights", f"{m} days", f"give 1 to {length} days (the residuals' length)")
    n_sums = length - m + 1
    if w.ndim == 1 and np.all(w == 1.0):  # equal weights: differences of cumulative sums, O(L)
        present = ~np.isnan(e)
        zero = np.zeros((*e.shape[:-1], 1))
        total = np.concatenate([zero, np.cumsum(np.where(present, e, 0.0), axis=-1)], axis=-1)
        gaps = np.concatenate([zero, np.cumsum(~present, axis=-1)], axis=-1)
        sums = total[..., m:] - total[..., :n_sums]
        return np.where(gaps[..., m:] - gaps[..., :n_sums] > 0, np.nan, sums)
    weight = w if w.ndim == 1 else w[:, None, :]  # (m,) or (N, 1, m)
    sums = np.zeros((*e.shape[:-1], n_sums))
    for k in range(m):  # a loop over the window's days, vectorised over events and sums
        sums += weight[..., k] * e[..., k : k + n_sums]
    return sums


def sample_quantile_pvalues(
    residuals: np.ndarray, values: np.ndarray, weights: np.ndarray, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The SQ p-values of many events at once.

    Parameters
    ----------
    residuals
        ``(N, L)`` estimation-window residuals (``NaN``: missing), one row per event.
    values
        ``(N,)`` observed values :math:`c` (abnormal returns or CARs over an :math:`m`-day window).
    weights
        ``(m,)`` common or ``(N, m)`` per-event day weights (see :func:`null_sums`).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns
    -------
    p, p_greater, p_less, n
        ``(N,)`` each; ``p`` for ``alternative``. An event with no complete null sum
        (``n = 0``) has ``NaN`` p-values.
    """
    check_alternative(alternative)
    sums = null_sums(np.atleast_2d(residuals), weights)
    c = np.asarray(values, dtype=float).reshape(-1, 1)
    n = np.count_nonzero(~np.isnan(sums), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        greater = np.count_nonzero(sums >= c, axis=1) / n  # NaN compares False: not counted
        less = np.count_nonzero(sums <= c, axis=1) / n
    return _pick(greater, less, alternative), greater, less, n


def equal_weight_pvalues(
    residuals: np.ndarray, values: np.ndarray, lengths: Sequence[int], alternative: str = "two-sided",
    block: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sample_quantile_pvalues` with weights of 1 (the linear models) for several windows
    at once: one pass of cumulative sums per event serves every window length, and the events
    are taken ``block`` at a time so the work stays in the processor's cache.

    Parameters
    ----------
    residuals
        ``(N, L)``, ``NaN`` where missing.
    values
        ``(N, W)``: the value tested over each window (column ``w`` is a window of
        ``lengths[w]`` days).

    Returns
    -------
    p, n
        ``(N, W)``: the p-values for ``alternative`` and the numbers of null sums (``p`` is
        ``NaN`` where ``n = 0``).
    """
    check_alternative(alternative)
    e = np.atleast_2d(np.asarray(residuals, dtype=float))
    c = np.asarray(values, dtype=float).reshape(e.shape[0], len(lengths))
    length = e.shape[1]
    if any(m < 1 or m > length for m in lengths):
        raise ParameterError("lengths", list(lengths), f"give window lengths from 1 to {length}")
    p = np.empty(c.shape)
    n = np.empty(c.shape, dtype=np.int64)
    for lo in range(0, e.shape[0], block):
        part = e[lo : lo + block]
        missing = np.isnan(part)
        total = np.zeros((part.shape[0], length + 1))
        np.cumsum(np.where(missing, 0.0, part), axis=1, out=total[:, 1:])
        gaps = None
        if missing.any():
            gaps = np.zeros((part.shape[0], length + 1), dtype=np.int32)
            np.cumsum(missing, axis=1, out=gaps[:, 1:])
        for w, m in enumerate(lengths):
            sums = total[:, m:] - total[:, : length - m + 1]
            count = length - m + 1
            if gaps is not None:
                broken = gaps[:, m:] - gaps[:, : length - m + 1] > 0
                sums[broken] = np.nan
                count = count - np.count_nonzero(broken, axis=1)
            value = c[lo : lo + block, w, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                greater = (np.count_nonzero(sums >= value, axis=1) / count
                           if alternative != "less" else None)
                less = (np.count_nonzero(sums <= value, axis=1) / count
                        if alternative != "greater" else None)
            p[lo : lo + block, w] = (greater if less is None else less if greater is None
                                     else _pick(greater, less, alternative))
            n[lo : lo + block, w] = count
    return p, n


def sample_quantile_test(
    residuals: np.ndarray, value: float, weights: np.ndarray | None = None,
    alternative: str = "two-sided",
) -> SampleQuantileTest:
    """The SQ test of one value against ``(L,)`` residuals (``weights``: ``(m,)``, default one
    day of weight 1).

    Raises
    ------
    ParameterError
        When no run of :math:`m` consecutive days has a residual on every day (then there is no
        null distribution), or the value is not finite.
    """
    w = np.ones(1) if weights is None else np.asarray(weights, dtype=float)
    if not np.isfinite(value):
        raise ParameterError("value", value, "give a finite abnormal return")
    _, greater, less, n = sample_quantile_pvalues(np.asarray(residuals, dtype=float)[None, :],
                                                  np.array([value]), w, alternative)
    if n[0] == 0:
        raise ParameterError(
            "residuals", f"no run of {len(w)} consecutive days with a residual",
            "the sample-quantile test needs the estimation window to hold at least one",
        )
    return SampleQuantileTest(float(value), float(greater[0]), float(less[0]), int(n[0]), alternative)
