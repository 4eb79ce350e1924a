r"""The crude dependence adjustment test (Brown & Warner 1980, 1985).

The mean abnormal return of day :math:`t`, :math:`AAR_t = \frac1N \sum_i AR_{it}`, is divided by
the time-series standard deviation of the mean residual over the estimation window,

.. math:: \overline{AR}_\tau = \frac{1}{N_\tau} \sum_i e_{i\tau}, \qquad
          S = \sqrt{\frac{1}{D - 1} \sum_\tau \bigl(\overline{AR}_\tau - \overline{\overline{AR}}\bigr)^2},
          \qquad t_t = \frac{AAR_t}{S},

where :math:`\tau` runs over the :math:`D` estimation days (in event time) on which at least one
event has a residual, :math:`N_\tau` is their number and :math:`\overline{\overline{AR}}` the
mean of the :math:`\overline{AR}_\tau`. For a window of :math:`m` days,
:math:`t = CAAR / (\sqrt m\, S)`. Under the null, :math:`t \sim t_{D-1}` (Brown & Warner 1985,
sec. 2.3, with 239 estimation days: 238 degrees of freedom).

Because :math:`S` is the variance of the cross-sectional *mean*, whatever correlation the events'
abnormal returns share on a date is in it: the test is robust to cross-sectional dependence by
construction (Brown & Warner 1980, sec. 5.B, "crude dependence adjustment"), at the price of
ignoring the events' different variances and of assuming the mean residual's variance the same in
the estimation and the event window.

References
----------
- Brown, S. J. & Warner, J. B. (1980). Measuring security price performance. *Journal of
  Financial Economics* 8(3), 205-258.
- Brown, S. J. & Warner, J. B. (1985). Using daily stock returns: the case of event studies.
  *Journal of Financial Economics* 14(1), 3-31.
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.statistic import StatResult, _student


def mean_residual_sd(residual_sum: np.ndarray, residual_count: np.ndarray) -> tuple[float, int]:
    r""":math:`S` and :math:`D` from the per-day sums :math:`\sum_i e_{i\tau}` and counts
    :math:`N_\tau` of the estimation residuals (days with no residual left out)."""
    used = np.asarray(residual_count) > 0
    mean_residual = np.asarray(residual_sum)[used] / np.asarray(residual_count)[used]
    days = int(used.sum())
    if days < 2:
        return float("nan"), days
    return float(np.std(mean_residual, ddof=1)), days


def crude_dependence_adjustment(
    abnormal: np.ndarray, residual_sum: np.ndarray, residual_count: np.ndarray,
    windows: list[np.ndarray],
) -> tuple[StatResult, list[StatResult]]:
    """The test of every day and of every window.

    Parameters
    ----------
    abnormal
        ``(N, T)`` event-window abnormal returns.
    residual_sum, residual_count
        ``(L,)`` per estimation day, the sum of the events' residuals and how many events have
        one (from one pass over the residuals, :mod:`eventstudy.inference.residual_pass`).
    windows
        Column indices of ``abnormal`` of each window.

    Returns
    -------
    daily, per_window
        Two-sided p-values from Student's t with :math:`D - 1` degrees of freedom (``NaN`` when
        fewer than two estimation days have a residual, or :math:`S = 0`).
    """
    s, days = mean_residual_sd(residual_sum, residual_count)
    aar = np.asarray(abnormal, dtype=float).mean(axis=0)
    df = max(days - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = _student(aar / s, df)
        per_window = [_student(np.asarray(aar[cols].sum() / (np.sqrt(len(cols)) * s)), df)
                      for cols in windows]
    return daily, per_window
