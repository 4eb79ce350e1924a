r"""Two-sample tests of a difference between two groups of events' CARs: Welch's t and the
Wilcoxon rank-sum (Mann-Whitney) test.

Welch's t (Welch 1947, *Biometrika* 34(1-2)), for samples :math:`a` and :math:`b` of sizes
:math:`n_a, n_b` with means :math:`\bar a, \bar b` and variances :math:`s_a^2, s_b^2`
(divisor :math:`n - 1`):

.. math:: t = \frac{\bar a - \bar b}{\sqrt{s_a^2/n_a + s_b^2/n_b}}, \qquad
          \nu = \frac{(s_a^2/n_a + s_b^2/n_b)^2}{(s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)},

p from Student's t with :math:`\nu` (Welch-Satterthwaite) degrees of freedom.

Wilcoxon rank-sum (Wilcoxon 1945; Mann & Whitney 1947, *Ann. Math. Statist.* 18(1)): with
:math:`R_a` the sum of the ranks of :math:`a` in the pooled sample (ties get their mean rank),
:math:`U = R_a - n_a(n_a+1)/2`. Without ties and with a group of at most 8 observations, the p-value
is exact: the number of arrangements giving each :math:`U` is the coefficient of :math:`q^U` in the
Gaussian binomial :math:`\binom{n_a+n_b}{m}_q = \prod_{i=1}^{m} (1 - q^{n+i})/(1 - q^i)` with
:math:`m = \min(n_a, n_b)`, :math:`n = \max(n_a, n_b)` (Andrews 1976, *The Theory of Partitions*,
3.3), and :math:`p = \min(1, 2 P(U \le \min(U, n_a n_b - U)))`. Otherwise the normal approximation
with the tie correction and a continuity correction of 1/2:

.. math:: z = \frac{|U - n_a n_b/2| - 1/2}{\sigma_U}, \qquad
          \sigma_U^2 = \frac{n_a n_b}{12}\Big(N + 1 - \frac{\sum_k (t_k^3 - t_k)}{N(N-1)}\Big),

:math:`N = n_a + n_b`, :math:`t_k` the sizes of the groups of tied values; :math:`p = 2\Phi(-z)`.
These are the choices of ``scipy.stats.mannwhitneyu``'s default (``method="auto"``), and the
tests check both statistics and p-values against ``scipy.stats.ttest_ind(equal_var=False)`` and
``mannwhitneyu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy.exceptions import ParameterError

__all__ = ["RankSum", "Welch", "rank_sum", "welch_t"]

#: The rank-sum p-value is exact when a group has at most this many values and none are tied.
EXACT_MAX = 8


@dataclass(frozen=True)
class Welch:
    """Welch's t test of :math:`E[a] = E[b]`: ``difference`` of the means, ``t``, ``df``, ``p``
    (two-sided)."""

    difference: float
    t: float
    df: float
    p: float

    def to_dict(self) -> dict[str, Any]:
        return {"difference": self.difference, "t": self.t, "df": self.df, "p": self.p}


@dataclass(frozen=True)
class RankSum:
    """The Wilcoxon rank-sum test: ``u`` (Mann-Whitney U of the first sample), ``z`` (the signed
    normal statistic without continuity correction, ``None`` when the p-value is exact), ``p``
    (two-sided) and ``method`` (``"exact"`` or ``"normal"``)."""

    u: float
    z: float | None
    p: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"u": self.u, "z": self.z, "p": self.p, "method": self.method}


def _samples(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    for name, values in (("a", x), ("b", y)):
        if len(values) < 2 or not np.all(np.isfinite(values)):
            raise ParameterError(name, f"{len(values)} values", "give at least 2 finite values per group")
    return x, y


def welch_t(a: Any, b: Any) -> Welch:
    """Welch's t test of two samples (module docstring); p from ``scipy.special.stdtr``."""
    from scipy import special

    x, y = _samples(a, b)
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    difference = float(x.mean() - y.mean())
    se2 = va + vb
    if not se2 > 0:
        return Welch(difference, math.nan, math.nan, math.nan)
    t = difference / math.sqrt(se2)
    df = se2**2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    return Welch(difference, float(t), float(df), float(2.0 * special.stdtr(df, -abs(t))))


def _u_distribution(n_a: int, n_b: int) -> np.ndarray:
    """P(U = u), u = 0 .. n_a n_b, without ties: the Gaussian binomial's coefficients (module
    docstring), multiplied by each :math:`1 - q^{n+i}` and divided by each :math:`1 - q^i` in turn.
    The coefficients stay those of :math:`\\binom{n+i}{i}_q`, all positive; ``m n`` values, ``m``
    passes (``m <= 8``)."""
    m, n = min(n_a, n_b), max(n_a, n_b)
    poly = np.zeros(m * n + 1)
    poly[0] = 1.0
    for i in range(1, m + 1):
        shift = n + i
        if shift < len(poly):
            poly[shift:] -= poly[:-shift].copy()
        for r in range(i):  # dividing by (1 - q^i): b_d = c_d + b_{d-i}
            poly[r::i] = np.cumsum(poly[r::i])
    return poly / math.comb(n_a + n_b, m)


def rank_sum(a: Any, b: Any) -> RankSum:
    """The Wilcoxon rank-sum test of two samples (module docstring)."""
    from scipy import special, stats

    x, y = _samples(a, b)
    n_a, n_b = len(x), len(y)
    ranks = stats.rankdata(np.concatenate([x, y]))
    u = float(ranks[:n_a].sum() - n_a * (n_a + 1) / 2.0)
    _, ties = np.unique(ranks, return_counts=True)
    tied = bool(np.any(ties > 1))
    if min(n_a, n_b) <= EXACT_MAX and not tied:
        lower = min(u, n_a * n_b - u)
        p = float(_u_distribution(n_a, n_b)[: int(round(lower)) + 1].sum())
        return RankSum(u, None, min(1.0, 2.0 * p), "exact")
    total = n_a + n_b
    sigma = math.sqrt(n_a * n_b / 12.0 * ((total + 1) - float(np.sum(ties**3 - ties)) / (total * (total - 1))))
    centre = n_a * n_b / 2.0
    if sigma == 0:
        return RankSum(u, math.nan, math.nan, "normal")
    z = (abs(u - centre) - 0.5) / sigma
    return RankSum(u, float((u - centre) / sigma), float(min(1.0, 2.0 * special.ndtr(-z))), "normal")
