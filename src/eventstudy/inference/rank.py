"""Rank tests: Corrado (1989), Corrado & Zivney (1992) and the generalised rank test of Kolari &
Pynnonen (2011), on the estimation and event days ranked together per event (one integer sort per
block of events). Formulas and references: each function, and :mod:`eventstudy.inference.multi_event`."""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.residual_pass import _ResidualPass
from eventstudy.inference.statistic import StatResult, _events


def _window_index(window: Any, t: int) -> np.ndarray | None:
    if window is None:
        return None
    idx = np.arange(t)[window]
    if idx.size == 0:
        raise ParameterError("window", window, "select at least one event-window column")
    return idx


def corrado_rank(residuals: np.ndarray, abnormal: np.ndarray, window: Any = None) -> StatResult:
    r"""Corrado (1989) rank test on the raw abnormal returns.

    Parameters
    ----------
    residuals
        ``(N, L)`` estimation residuals aligned by relative day, ``NaN`` where missing.
    abnormal
        ``(N, T)`` event-window abnormal returns.
    window
        ``None`` for one statistic per event day; otherwise the event-window columns
        (a slice or index array into ``abnormal``'s columns) of the CAAR window.

    Returns
    -------
    StatResult
        Standard normal under the null.

    Notes
    -----
    Each event's :math:`L_i + T` returns (estimation residuals, then event ARs) are ranked
    within the event, ties averaged: :math:`K_{it}`, with mean rank :math:`(L_i+T+1)/2`. With
    :math:`N_t` events observed on day :math:`t` and :math:`D` days observed by at least one event,

    .. math:: \bar K_t = \frac{1}{N_t}\sum_i \left(K_{it} - \frac{L_i+T+1}{2}\right),\qquad
              S_K^2 = \frac1D \sum_t \frac{N_t}{N}\bar K_t^2,\qquad
              z_t = \frac{\bar K_t}{S_K},

    and for the window of :math:`m` days (Campbell & Wasley 1993; Cowan 1992)
    :math:`z = \sum_{t=a}^{b} \bar K_t / (\sqrt m\, S_K)`. With no missing residuals this is
    Corrado's (1989) statistic exactly; the :math:`N_t/N` weight (Kolari & Pynnonen 2011) keeps
    :math:`S_K^2` an unbiased estimate of the variance of a full cross-sectional mean when
    estimation days are missing. estudy2's ``rank_test`` uses the same ranks but forms daily sums
    as ``rowMeans * ncol`` and divides by the mean of :math:`L_i + T`; the tests reproduce its
    numbers with those two changes, and ours without them.

    References
    ----------
    Corrado, C. J. (1989). *J. Financ. Econ.* 23(2), 385-395.
    """
    residuals = np.asarray(residuals, dtype=float)
    abnormal = _events(abnormal, "abnormal")
    if abnormal.ndim == 1:
        abnormal = abnormal[:, None]
    rank_pass = _ResidualPass.over(residuals, abnormal=abnormal)
    return rank_pass.corrado_rank(_window_index(window, abnormal.shape[1]))


def corrado_zivney(
    residuals: np.ndarray,
    df: np.ndarray,
    abnormal: np.ndarray,
    abnormal_sd: np.ndarray,
    window: Any = None,
) -> StatResult:
    r"""Corrado & Zivney (1992) rank test on standardised, variance-adjusted abnormal returns.

    Parameters
    ----------
    residuals
        ``(N, L)`` estimation residuals aligned by relative day, ``NaN`` where missing.
    df
        ``(N,)``: :math:`L_i - k_i`.
    abnormal, abnormal_sd
        ``(N, T)`` event-window abnormal returns and their prediction-error-corrected SDs.
    window
        ``None`` for one statistic per event day, otherwise the event-window columns of the CAAR
        window (slice or index array).

    Returns
    -------
    StatResult
        Standard normal under the null.

    Notes
    -----
    Estimation days use :math:`SAR_{i\tau} = e_{i\tau}/s_i`; event days use
    :math:`SAR_{it} = AR_{it}/\sqrt{V_{i,tt}}` divided by its cross-sectional standard deviation
    on that day (ddof 1), the event-day variance adjustment of Corrado & Zivney (1992). Within
    each event the :math:`L_i + T` values are ranked (ties averaged) and scaled to
    :math:`U_{it} = K_{it}/(L_i+T+1) - 1/2`. Then, as in :func:`corrado_rank`,

    .. math:: \bar U_t = \frac1{N_t}\sum_i U_{it},\qquad
              S_U^2 = \frac1D\sum_t \frac{N_t}{N}\bar U_t^2,\qquad z_t = \bar U_t / S_U,

    and :math:`z = \sum_{t=a}^b \bar U_t / (\sqrt m\, S_U)` for the window. Checked against a
    direct per-event computation and its null distribution on pseudo-events.

    References
    ----------
    Corrado, C. J. & Zivney, T. L. (1992). *J. Financ. Quant. Anal.* 27(3), 465-478.
    """
    residuals = np.asarray(residuals, dtype=float)
    abnormal = _events(abnormal, "abnormal")
    abnormal_sd = np.asarray(abnormal_sd, dtype=float)
    if abnormal.ndim == 1:
        abnormal, abnormal_sd = abnormal[:, None], abnormal_sd[:, None]
    rank_pass = _ResidualPass.over(
        residuals, df=np.asarray(df, dtype=float), zivney=abnormal / abnormal_sd
    )
    return rank_pass.corrado_zivney(_window_index(window, abnormal.shape[1]))


def generalized_rank(
    residuals: np.ndarray, df: np.ndarray, car: np.ndarray, car_sd: np.ndarray
) -> StatResult:
    r"""Kolari & Pynnonen (2011) generalised rank test (GRANK) of a CAR window.

    Parameters
    ----------
    residuals
        ``(N, L)`` estimation residuals aligned by relative day, ``NaN`` where missing.
    df
        ``(N,)``: :math:`L_i - k_i`.
    car, car_sd
        ``(N,)`` or ``(N, m)``: CARs and their SDs :math:`\sqrt{\mathbf 1'V_i\mathbf 1}`; each
        column is a separate test (a one-day window is the day's AR and its SD, which is how
        :func:`multi_event_tests` tests each relative day).

    Returns
    -------
    StatResult
        t-distributed with :math:`D-2` degrees of freedom.

    Notes
    -----
    The cumulative window counts as one observation: :math:`SCAR_i = CAR_i/\sqrt{\mathbf
    1'V_i\mathbf 1}`, re-standardised cross-sectionally, :math:`SCAR^*_i = SCAR_i/s_{SCAR}`
    (ddof 1), for event-induced volatility. The generalised standardised returns are
    :math:`GSAR_{i\tau} = e_{i\tau}/s_i` on the estimation days and :math:`SCAR^*_i` at
    :math:`\tau = 0`; each event's :math:`L_i + 1` values are ranked,
    :math:`U_{i\tau} = K_{i\tau}/(L_i+2) - 1/2`, and with :math:`D` the number of the
    :math:`L+1` days observed by at least one event,

    .. math:: \bar U_\tau = \frac1{N_\tau}\sum_i U_{i\tau},\quad
              S_{\bar U}^2 = \frac1D\sum_\tau\frac{N_\tau}{N}\bar U_\tau^2,\quad
              Z = \frac{\bar U_0}{S_{\bar U}},\quad
              t_{grank} = Z\sqrt{\frac{D-2}{D-1-Z^2}} \sim t(D-2).

    Checked against a direct per-event computation (``scipy.stats.rankdata`` on the
    :math:`L_i + 1` values) and its null distribution on pseudo-events.

    References
    ----------
    Kolari, J. W. & Pynnonen, S. (2011). *J. Empir. Finance* 18(5), 953-971.
    """
    residuals = np.asarray(residuals, dtype=float)
    car = _events(car, "car")
    car_sd = np.asarray(car_sd, dtype=float)
    single = car.ndim == 1
    if single:
        car, car_sd = car[:, None], car_sd[:, None]
    result = _ResidualPass.over(residuals, df=np.asarray(df, dtype=float), grank=car / car_sd).generalized_rank()
    if single:
        return StatResult(result.stat[0], result.pvalue[0], result.dist)
    return result
