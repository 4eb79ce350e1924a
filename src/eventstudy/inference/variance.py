r"""Event-induced variance, measured: is the event window more volatile than the model expects?

Tests that divide by the estimation-window standard deviation (the single-event t, Patell)
are too liberal when the event itself raises the variance (Brown & Warner 1985; Boehmer,
Musumeci & Poulsen 1991). Two measures show it:

- for one event, :func:`variance_ratio`: the event window's abnormal-return variance over the
  estimation window's residual variance, with its F test;
- for many events, :func:`cross_sectional_variance_ratio`: the cross-sectional variance of the
  standardised abnormal returns on each relative day, over its value under the null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.exceptions import ParameterError


@dataclass(frozen=True)
class VarianceRatio:
    r"""Ratio of event-window to estimation-window variance, with its F test.

    Attributes
    ----------
    value
        :math:`\sum_{t \in W} AR_t^2 / (T s^2)`: the plain ratio of the two variances.
    F
        :math:`AR' V^{-1} AR / T`, the statistic of the F test.
    df_num, df_den
        :math:`T` and the model's residual degrees of freedom.
    p
        :math:`P(F_{T, df} > F)`: one-sided, large values mean the event raised the variance.
    """

    value: float
    F: float
    df_num: int
    df_den: int
    p: float

    def to_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "F": self.F, "p": self.p, "df_num": self.df_num,
                "df_den": self.df_den}


def variance_ratio(abnormal: np.ndarray, covariance: np.ndarray, sigma: float, df: int) -> VarianceRatio:
    r"""Variance ratio of one event and its F test.

    Parameters
    ----------
    abnormal
        ``(T,)`` event-window abnormal returns.
    covariance
        ``(T, T)`` their covariance :math:`V` under the model (prediction error included).
    sigma, df
        Estimation-window residual standard deviation :math:`s` and its degrees of freedom.

    Notes
    -----
    .. math:: VR = \frac{\sum_{t} AR_t^2 / T}{s^2}, \qquad F = \frac{AR' V^{-1} AR}{T}
              \sim F(T,\, L-k).

    For the linear models :math:`V = s^2 \Omega` with :math:`\Omega = I + X^*(X'X)^{-1}X^{*\prime}`
    known, so :math:`F = (AR'\Omega^{-1}AR / T) / s^2` is the ratio of two independent
    chi-squares over their degrees of freedom when the disturbances are normal, homoskedastic
    and the event has no effect: exactly :math:`F(T, L-k)` (Chow's 1960 predictive test; Campbell,
    Lo & MacKinlay 1997, sec. 4.4). :math:`VR` drops the prediction-error term, so it is
    slightly above :math:`F`. For the GARCH model, :math:`V` is the diagonal of conditional-variance
    forecasts and the F distribution an approximation (:math:`\chi^2_T/T` in the limit).

    References
    ----------
    Chow, G. C. (1960). Tests of equality between sets of coefficients in two linear
    regressions. *Econometrica* 28(3), 591-605.
    """
    from scipy import linalg, special  # special.fdtrc is stats.f.sf without importing scipy.stats

    ar = np.asarray(abnormal, dtype=float)
    t = len(ar)
    quadratic = float(ar @ linalg.solve(np.asarray(covariance, dtype=float), ar, assume_a="pos"))
    f = quadratic / t
    return VarianceRatio(
        value=float(ar @ ar / t / sigma**2), F=f, df_num=t, df_den=int(df),
        p=float(special.fdtrc(t, df, f)),
    )


def cross_sectional_variance_ratio(
    abnormal: np.ndarray, abnormal_sd: np.ndarray, df: np.ndarray | None = None,
    rel_days: list[int] | None = None,
) -> pd.DataFrame:
    r"""Cross-sectional variance of the standardised abnormal returns, per relative day.

    Parameters
    ----------
    abnormal, abnormal_sd
        ``(N, T)`` abnormal returns and their standard deviations (:math:`\sqrt{V_{i,tt}}`, or
        the GARCH conditional sd), :math:`N \ge 2` events.
    df
        ``(N,)`` residual degrees of freedom, each above 2; ``None`` when the standardised
        returns are normal under the null (null variance 1).
    rel_days
        ``(T,)`` labels of the columns (default ``0 .. T-1``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rel_day``: ``n`` (events), ``variance`` (:math:`s_t^2`) and ``ratio``
        (:math:`s_t^2 / E_0`, 1 under the null).

    Notes
    -----
    With :math:`SAR_{it} = AR_{it} / sd_{it}`,

    .. math:: s_t^2 = \frac{1}{N-1} \sum_i (SAR_{it} - \overline{SAR}_t)^2, \qquad
              E_0 = \frac{1}{N} \sum_i \frac{df_i}{df_i - 2},

    :math:`E_0` being the variance of a Student-t :math:`SAR` with :math:`df_i` degrees of freedom
    (Patell 1976). A ratio well above 1 on a day means the event raised the variance: Patell's
    test and the unadjusted t are then too liberal, and the BMP, Kolari-Pynnonen and Savickas
    tests, which use :math:`s_t`, are the ones to read (Boehmer, Musumeci & Poulsen 1991).
    """
    ar = np.asarray(abnormal, dtype=float)
    sd = np.asarray(abnormal_sd, dtype=float)
    if ar.ndim != 2 or ar.shape != sd.shape or ar.shape[0] < 2:
        raise ParameterError("abnormal", f"array of shape {ar.shape}",
                             "give (N, T) abnormal returns and sds of the same shape, N >= 2")
    if not (np.all(np.isfinite(ar)) and np.all(sd > 0)):
        raise ParameterError("abnormal", "non-finite values or sds",
                             "give finite abnormal returns and positive standard deviations")
    null = 1.0
    if df is not None:
        d = np.asarray(df, dtype=float)
        if d.shape != (ar.shape[0],) or np.any(~(d > 2)):
            raise ParameterError("df", d[:3].tolist(), "give (N,) degrees of freedom, each above 2")
        null = float(np.mean(d / (d - 2.0)))
    variance = (ar / sd).var(axis=0, ddof=1)
    days = list(range(ar.shape[1])) if rel_days is None else [int(d) for d in rel_days]
    return pd.DataFrame(
        {"n": ar.shape[0], "variance": variance, "ratio": variance / null},
        index=pd.Index(days, name="rel_day"),
    )
