"""Sign tests: the sign test, the generalised sign test (Cowan 1992) and the Wilcoxon (1945)
signed-rank test. Formulas and references: each function, and :mod:`eventstudy.inference.multi_event`."""

from __future__ import annotations

import functools

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.residual_pass import _ResidualPass
from eventstudy.inference.statistic import StatResult, _events, _normal


def sign_test(abnormal: np.ndarray) -> StatResult:
    r"""Sign test: is the share of positive abnormal returns one half?

    Parameters
    ----------
    abnormal
        ``(N,)`` or ``(N, m)``: ARs per day, or CARs for the window.

    Returns
    -------
    StatResult
        Standard normal (normal approximation to the binomial).

    Notes
    -----
    With :math:`w` the number of strictly positive values,
    :math:`z = (w - N/2)/\sqrt{N/4}`. Checked against estudy2's ``sign_test`` (to 1e-8).

    References
    ----------
    Cowan, A. R. (1992). *Rev. Quant. Finance Account.* 2(4), 343-358; Brown, S. J. & Warner,
    J. B. (1980). *J. Financ. Econ.* 8(3), 205-258.
    """
    x = _events(abnormal, "abnormal")
    n = x.shape[0]
    w = np.sum(x > 0, axis=0)
    return _normal((w - 0.5 * n) / np.sqrt(0.25 * n))


def positive_share(residuals: np.ndarray) -> float:
    r""":math:`\hat p`: share of positive estimation residuals, pooled over all events.

    ``NaN`` residuals (missing days) are skipped.
    """
    return _ResidualPass.over(np.asarray(residuals, dtype=float), sign=True).positive_share()


def generalized_sign(abnormal: np.ndarray, residuals: np.ndarray) -> StatResult:
    r"""Cowan (1992) generalised sign test.

    Parameters
    ----------
    abnormal
        ``(N,)`` or ``(N, m)``: ARs per day, or CARs for the window.
    residuals
        ``(N, L)`` estimation residuals, ``NaN`` where missing.

    Returns
    -------
    StatResult
        Standard normal (normal approximation to the binomial).

    Notes
    -----
    The expected share of positive values is estimated from the estimation windows, pooled over
    all events: :math:`\hat p = \sum_i \#\{e_{i\tau} > 0\} / \sum_i L_i`. With :math:`w`
    positive values among :math:`N`,

    .. math:: z = \frac{w - N\hat p}{\sqrt{N\hat p(1-\hat p)}}.

    (Cowan averages the events' own shares; pooled and averaged agree when all
    :math:`L_i` are equal.) Checked against estudy2's ``generalized_sign_test``, which pools
    the same way (to 1e-8).

    References
    ----------
    Cowan, A. R. (1992). Nonparametric event study tests. *Rev. Quant. Finance Account.* 2(4),
    343-358.
    """
    return _generalized_sign(_events(abnormal, "abnormal"), positive_share(residuals))


def _generalized_sign(x: np.ndarray, p: float) -> StatResult:
    n = x.shape[0]
    w = np.sum(x > 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _normal((w - n * p) / np.sqrt(n * p * (1.0 - p)))


def signed_rank_sum(abnormal: np.ndarray) -> np.ndarray:
    r"""Wilcoxon's :math:`W^+`: the sum of the ranks of :math:`|x|` over the positive values.

    Zeros are dropped and tied :math:`|x|` get average ranks (as R's ``wilcox.test``).
    """
    x = _events(abnormal, "abnormal")
    w_plus = _signed_ranks(x[:, None] if x.ndim == 1 else x)[0]
    return w_plus[0] if x.ndim == 1 else w_plus


def _signed_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per column of ``(N, m)`` ``x``: :math:`W^+`, the number :math:`n` of non-zero values and
    :math:`\sum_g (t_g^3 - t_g)` over the groups of :math:`t_g` tied :math:`|x|`.

    :math:`|x|` is ranked by one ``numpy.sort`` of integers per column: the bits of a
    non-negative float, read as an integer, are ordered like the float, and shifted up by one
    they leave the lowest bit free to carry the sign of :math:`x`. Zeros (key 0, sorted first)
    and NaN (keys above infinity's, sorted last) are left out.
    """
    m = x.shape[1]
    w_plus, nonzero, ties = np.zeros(m), np.zeros(m, dtype=np.intp), np.zeros(m)
    first_nan = np.uint64(0x7FF0000000000001) << np.uint64(1)  # the smallest NaN's key
    for j in range(m):  # one day (one sort of the N events) at a time
        col = x[:, j]
        key = np.abs(col).view(np.uint64) << np.uint64(1)
        key |= col > 0
        key.sort()
        key = key[np.searchsorted(key, np.uint64(1)) : np.searchsorted(key, first_nan)]
        n = len(key)
        if n == 0:
            continue
        value = key >> np.uint64(1)
        starts = np.concatenate([[True], value[1:] != value[:-1]])  # a new group of equal |x|
        positive = np.flatnonzero(key & np.uint64(1))
        if starts.all():  # no ties: the rank is the position + 1
            w_plus[j] = np.sum(positive + 1.0)
        else:
            first = np.flatnonzero(starts)
            size = np.diff(np.append(first, n))
            mean_rank = first + (size + 1) / 2.0
            w_plus[j] = np.sum(mean_rank[np.cumsum(starts)[positive] - 1])
            ties[j] = np.sum(size**3.0 - size)
        nonzero[j] = n
    return w_plus, nonzero, ties


@functools.lru_cache(maxsize=64)
def _signed_rank_tails(n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact null distribution of :math:`W^+` for :math:`n` non-zero, untied values:
    ``(lower, upper)`` with ``lower[k]`` :math:`= P(W^+ \le k)` and ``upper[k]``
    :math:`= P(W^+ \ge k)`, :math:`k = 0..n(n+1)/2`.

    Under the null each rank :math:`r = 1..n` enters :math:`W^+` with probability 1/2,
    independently, so the number of sign patterns giving :math:`W^+ = k` is the coefficient of
    :math:`x^k` in :math:`\prod_{r=1}^n (1 + x^r)` (counted exactly in integers: at most
    :math:`2^{50}`), each pattern of probability :math:`2^{-n}`. Each tail is summed from its own
    end, so small p-values keep their relative precision. Two-sided
    :math:`p = \min(1, 2\min(P(W^+ \le w), P(W^+ \ge w)))`, as scipy's exact method. One
    computation per :math:`n`, kept: a simulation tests thousands of samples of the same size.
    """
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.int64)
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank]  # the right side is evaluated first
    pmf = counts / 2.0**n
    lower, upper = np.cumsum(pmf), np.cumsum(pmf[::-1])[::-1]
    lower.flags.writeable = upper.flags.writeable = False
    return lower, upper


def wilcoxon(abnormal: np.ndarray, alternative: str = "two-sided") -> StatResult:
    r"""Wilcoxon (1945) signed-rank test of a zero median abnormal return.

    Parameters
    ----------
    abnormal
        ``(N,)`` or ``(N, m)``: ARs per day, or CARs for the window.

    Returns
    -------
    StatResult
        ``stat`` is :math:`W^+` (:func:`signed_rank_sum`), the statistic estudy2 and R report;
        the p-value is exact (:func:`_signed_rank_tails`, as ``scipy.stats.wilcoxon`` with
        ``method="exact"``) when at most 50 values are non-zero and no :math:`|x|` ties,
        otherwise the normal approximation
        :math:`z = (W^+ - n(n+1)/4)/\sqrt{(n(n+1)(2n+1) - \frac12\sum_g (t_g^3 - t_g))/24}`
        with the tie correction over the groups of :math:`t_g` equal :math:`|x|` (no
        continuity correction), :math:`p = 2\Phi(-|z|)`.

    Notes
    -----
    :math:`W^+ = \sum_i \mathbf 1(x_i > 0)\,\operatorname{rank}(|x_i|)` over the :math:`n`
    non-zero values. Checked against estudy2's ``wilcoxon_test`` (:math:`W^+`, to 1e-8), the
    exact p-value by enumerating all :math:`2^n` sign patterns and against
    ``scipy.stats.wilcoxon(method="exact")``, and the normal approximation against
    ``scipy.stats.wilcoxon(method="approx")`` column by column.

    References
    ----------
    Wilcoxon, F. (1945). *Biometrics Bulletin* 1(6), 80-83.
    """
    from scipy import special

    x = _events(abnormal, "abnormal")
    single = x.ndim == 1
    cols = x[:, None] if single else x
    w_plus, nonzero, ties = _signed_ranks(cols)
    exact = (nonzero <= 50) & (ties == 0)
    methods = {"exact" if e else "approx" for e in exact}
    sizes = set(nonzero.tolist())
    n = nonzero.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):  # no non-zero value: p is NaN
        variance = (n * (n + 1.0) * (2.0 * n + 1.0) - ties / 2) / 24
        z = (w_plus - n * (n + 1.0) * 0.25) / np.sqrt(variance)
    tail = {"two-sided": 2.0 * special.ndtr(-np.abs(z)), "greater": special.ndtr(-z),
            "less": special.ndtr(z)}.get(alternative)
    if tail is None:
        raise ParameterError("alternative", alternative, "choose two-sided, greater or less")
    pvalue = np.where(nonzero > 0, tail, np.nan)
    exact_columns = np.flatnonzero(exact & (nonzero > 0))  # at most 50 untied values each
    for size_n in np.unique(nonzero[exact_columns]):
        columns = exact_columns[nonzero[exact_columns] == size_n]
        lower, upper = _signed_rank_tails(int(size_n))
        k = np.rint(w_plus[columns]).astype(np.int64)  # W+ is a whole number without ties
        pvalue[columns] = {"two-sided": np.minimum(1.0, 2.0 * np.minimum(lower[k], upper[k])),
                           "greater": upper[k], "less": lower[k]}[alternative]
    how = (
        "exact"
        if methods == {"exact"}
        else "normal approximation"
        if methods == {"approx"}
        else "exact/normal"
    )
    size = f"n={sizes.pop()}" if len(sizes) == 1 else "n varies"
    dist = f"Wilcoxon signed-rank W+ ({how}, {size})"
    if single:
        return StatResult(w_plus[0], pvalue[0], dist)
    return StatResult(w_plus, pvalue, dist)
