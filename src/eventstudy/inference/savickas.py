r"""The Savickas (2003) test: abnormal returns standardised by their GARCH conditional standard
deviations, tested with the cross-sectional t statistic (valid under event-induced volatility).
The per-event GARCH fits come from :func:`eventstudy.engine.garch.garch_events`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.statistic import TestStatistic

__all__ = ["savickas"]


def savickas(
    abnormal: np.ndarray, conditional_sd: np.ndarray, car_sd: np.ndarray,
    rel_days: Sequence[int], window: tuple[int, int],
) -> list[TestStatistic]:
    r"""Savickas (2003) test for abnormal returns under event-induced volatility.

    Each event's abnormal return is standardised by its GARCH conditional standard deviation,
    :math:`S_{it} = AR_{it} / \sqrt{h_{it}}`, and the mean of the :math:`S_{it}` is tested with
    their cross-sectional standard deviation (the Boehmer, Musumeci & Poulsen 1991 form):

    .. math:: t_t = \frac{\bar S_t \sqrt N}{s_t}, \qquad
              s_t^2 = \frac{1}{N-1} \sum_i (S_{it} - \bar S_t)^2, \qquad t_t \sim t_{N-1}.

    For the window :math:`[a, b]`, :math:`S_i = CAR_i / \sqrt{\sum_{t=a}^b h_{it}}` replaces
    :math:`S_{it}`. Savickas estimates the conditional variance with an event dummy in the
    GARCH mean; here it is the forecast from the end of the estimation window
    (:func:`garch_events`), which leaves the event days out of the fit as every other model
    here does. The cross-sectional variance absorbs an event-induced rise in variance, so the
    test keeps its size where Patell's rejects too often (``benchmarks/bench_garch.py
    --simulate``).

    Parameters
    ----------
    abnormal, conditional_sd
        ``(N, T)`` abnormal returns and :math:`\sqrt{h_{it}}`, :math:`N \ge 2`.
    car_sd
        ``(N,)`` :math:`\sqrt{\sum_{t \in [a, b]} h_{it}}`.
    rel_days
        ``(T,)`` relative days of the columns; ``window`` ``(a, b)`` among them.

    Returns
    -------
    list of TestStatistic
        Named ``savickas``: one per relative day, then the window; two-sided p-values.

    References
    ----------
    Savickas, R. (2003). *J. Financ. Res.* 26(2), 165-178.
    """
    from scipy import stats

    abnormal = np.asarray(abnormal, dtype=float)
    sd = np.asarray(conditional_sd, dtype=float)
    rel = [int(d) for d in rel_days]
    if abnormal.ndim != 2 or abnormal.shape != sd.shape or abnormal.shape[1] != len(rel):
        raise ParameterError("abnormal", f"array of shape {abnormal.shape}",
                             f"give (N, T) abnormal returns and sds, T = {len(rel)} relative days")
    if abnormal.shape[0] < 2:
        raise ParameterError("abnormal", f"{abnormal.shape[0]} event(s)", "give at least 2 events")
    a, b = window
    if a not in rel or b not in rel or a > b:
        raise ParameterError("window", window, f"give (a, b) with a <= b among the days {rel}")
    if not (np.all(np.isfinite(abnormal)) and np.all(sd > 0) and np.all(np.asarray(car_sd) > 0)):
        raise ParameterError("abnormal", "non-finite values or sds",
                             "give finite abnormal returns and positive standard deviations")
    cols = np.arange(rel.index(a), rel.index(b) + 1)
    standardized = np.column_stack([abnormal / sd, abnormal[:, cols].sum(axis=1) / car_sd])
    n = standardized.shape[0]
    stat = standardized.mean(axis=0) * np.sqrt(n) / standardized.std(axis=0, ddof=1)
    p = 2.0 * stats.t.sf(np.abs(stat), n - 1)
    dist = f"t({n - 1})"
    tests = [TestStatistic("savickas", day, None, float(stat[j]), float(p[j]), dist)
             for j, day in enumerate(rel)]
    tests.append(TestStatistic("savickas", None, (a, b), float(stat[-1]), float(p[-1]), dist))
    return tests
