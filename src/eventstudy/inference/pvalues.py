r"""Student-t p-values and critical values for many statistics at once.

The batch engine computes a p-value for every abnormal return of every event (21 million for a
million events and a 21-day window); :func:`two_sided_p` keeps that from costing more than the
study itself.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special

from eventstudy.exceptions import ParameterError
from eventstudy.inference.ttest import check_level

__all__ = ["critical_values", "p_values", "two_sided_p"]

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
    ``tests/engine/test_batch.py`` checks; beyond the grid, for rare degrees of freedom and below 3
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


def critical_values(level: float, df: np.ndarray) -> np.ndarray:
    """:math:`t_{\\nu, 1-a/2}` per event, computed once per distinct :math:`\\nu` (a batch's
    events share a few degrees of freedom)."""
    df = np.asarray(df, dtype=float)
    quantile = 0.5 + check_level(level) / 2.0
    if df.ndim != 1:
        return special.stdtrit(df, quantile)
    distinct, where = np.unique(df, return_inverse=True)
    return special.stdtrit(distinct, quantile)[where]


def p_values(t: np.ndarray, df: np.ndarray | float, alternative: str = "two-sided") -> np.ndarray:
    r"""p-values of Student-t statistics for ``alternative``: :func:`two_sided_p` for
    ``"two-sided"``, :math:`P(T_\nu > t)` for ``"greater"`` and :math:`P(T_\nu < t)` for
    ``"less"`` (``scipy.special.stdtr``), ``df`` a scalar or one value per row of ``t``."""
    if alternative == "two-sided":
        return two_sided_p(t, df)
    if alternative not in ("greater", "less"):
        raise ParameterError("alternative", alternative, "choose two-sided, greater or less")
    t = np.asarray(t, dtype=float)
    nu = np.asarray(df, dtype=float)
    if nu.ndim == 1 and t.ndim == 2:
        nu = nu[:, None]
    return special.stdtr(nu, -t if alternative == "greater" else t)
