"""What a multi-event test statistic is (:class:`TestStatistic`), its one-sided p-values, and the
standardisation every family shares. The families: :mod:`eventstudy.inference.parametric`,
:mod:`eventstudy.inference.rank`, :mod:`eventstudy.inference.sign`; all of them together:
:func:`eventstudy.inference.multi_event.multi_event_tests`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from eventstudy.exceptions import ParameterError


_NORMAL = "N(0,1)"


@dataclass(frozen=True)
class TestStatistic:
    """One test of a multi-event study: a relative day or the CAAR window.

    Attributes
    ----------
    name
        One of :data:`TEST_NAMES`.
    rel_day
        The relative day tested, or ``None`` for the CAAR-window test.
    window
        ``(a, b)`` for the CAAR-window test, or ``None`` for a per-day test.
    stat
        The statistic.
    pvalue
        Two-sided p-value.
    dist
        Its null distribution, e.g. ``"N(0,1)"`` or ``"t(24)"``.
    p_adjusted
        The p-value adjusted over the test's days and windows (``adjust``, see
        :mod:`eventstudy.inference.adjust`), or ``None`` without an adjustment.
    """

    __test__ = False  # not a pytest test class

    name: str
    rel_day: int | None
    window: tuple[int, int] | None
    stat: float
    pvalue: float
    dist: str
    p_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "rel_day", "window", "stat", "p"}`` (and ``p_adjusted`` with an
        adjustment), JSON-ready (window as a list)."""
        out = {
            "name": self.name,
            "rel_day": self.rel_day,
            "window": None if self.window is None else [int(self.window[0]), int(self.window[1])],
            "stat": float(self.stat),
            "p": float(self.pvalue),
        }
        if self.p_adjusted is not None:
            out["p_adjusted"] = float(self.p_adjusted)
        return out

    def __str__(self) -> str:
        where = f"day {self.rel_day}" if self.window is None else f"window {list(self.window)}"
        return (
            f"{self.name} ({where})\n"
            f"H0: no abnormal return\n"
            f"Statistic: {self.stat:.4f}\n"
            f"P-value: {self.pvalue:.4f}\n"
            f"Distributed: {self.dist}"
        )


class StatResult(NamedTuple):
    """Statistics and two-sided p-values of one test, one per column tested."""

    stat: np.ndarray
    pvalue: np.ndarray
    dist: str


def _normal(z: np.ndarray) -> StatResult:
    from scipy import special

    z = np.asarray(z, dtype=float)
    return StatResult(z, 2.0 * special.ndtr(-np.abs(z)), _NORMAL)  # = scipy.stats.norm.sf(|z|)


def one_sided(result: StatResult, alternative: str) -> StatResult:
    r"""The p-values of a symmetric statistic for ``alternative``.

    For :math:`N(0, 1)`, ``"greater"`` is :math:`1 - \Phi(z)` and ``"less"`` :math:`\Phi(z)`; for
    Student's :math:`t_k` the same with its distribution function. Then ``greater + less = 1``
    and the two-sided p is ``2 min(greater, less)``. ``"two-sided"`` returns ``result``. The
    Wilcoxon test takes ``alternative`` itself (its exact distribution is discrete).
    """
    from scipy import special

    if alternative == "two-sided":
        return result
    if alternative not in ("greater", "less"):
        raise ParameterError("alternative", alternative, "choose two-sided, greater or less")
    stat = np.asarray(result.stat, dtype=float)
    signed = -stat if alternative == "greater" else stat
    if result.dist == _NORMAL:
        p = special.ndtr(signed)
    elif result.dist.startswith("t("):
        p = special.stdtr(float(result.dist[2:-1]), signed)
    else:
        raise ParameterError("alternative", alternative, f"not defined here for {result.dist}")
    return StatResult(result.stat, np.where(np.isnan(stat), np.nan, p), result.dist)


def _student(t: np.ndarray, df: float) -> StatResult:
    from scipy import special

    t = np.asarray(t, dtype=float)  # stdtr is the function behind scipy.stats.t.sf
    return StatResult(t, 2.0 * special.stdtr(df, -np.abs(t)), f"t({df:g})")


def _events(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2) or x.shape[0] < 2:
        raise ParameterError(
            name, f"array of shape {x.shape}", "give (N,) or (N, m) with N >= 2 events"
        )
    return x


def standardized(values: np.ndarray, sd: np.ndarray) -> np.ndarray:
    r"""Standardised abnormal returns :math:`SAR = AR / sd` (or :math:`SCAR = CAR / \sqrt{1'V1}`).

    Parameters
    ----------
    values
        Abnormal returns (``(N, T)``) or CARs (``(N,)``).
    sd
        Their prediction-error-corrected standard deviations, same shape.
    """
    return np.asarray(values, dtype=float) / np.asarray(sd, dtype=float)


def residual_sd(residuals: np.ndarray, df: np.ndarray) -> np.ndarray:
    r""":math:`s_i = \sqrt{SSR_i / (L_i - k_i)}` from the estimation residuals, one row per
    event (missing days ``NaN`` or already 0)."""
    filled = np.asarray(residuals, dtype=float)
    if np.isnan(filled).any():
        filled = np.where(np.isnan(filled), 0.0, filled)
    return np.sqrt((filled * filled).sum(axis=1) / np.asarray(df, dtype=float))
