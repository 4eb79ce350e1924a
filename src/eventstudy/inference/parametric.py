"""Parametric multi-event tests: the cross-sectional t, Patell (1976), Boehmer, Musumeci & Poulsen
(1991), and their Kolari & Pynnonen (2010) corrections for cross-correlation. Formulas and
references: each function, and the overview in :mod:`eventstudy.inference.multi_event`."""

from __future__ import annotations

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.residual_pass import _ResidualPass
from eventstudy.inference.statistic import StatResult, _events, _normal, _student


def cross_sectional_t(abnormal: np.ndarray) -> StatResult:
    r"""Cross-sectional t test of the mean abnormal return.

    Parameters
    ----------
    abnormal
        ``(N,)`` or ``(N, m)``: abnormal returns (one column per relative day) or CARs.

    Returns
    -------
    StatResult
        One statistic per column, t-distributed with :math:`N-1` degrees of freedom.

    Notes
    -----
    .. math:: t = \frac{\overline{AR}}{s_{AR} / \sqrt N}, \qquad
              s_{AR}^2 = \frac{1}{N-1} \sum_i (AR_i - \overline{AR})^2,

    the same statistic for the CAAR with :math:`CAR_i` in place of :math:`AR_i`. Robust to
    event-induced variance, not to cross-correlation. Checked against estudy2's ``t_test`` (to
    1e-8), ``scipy.stats.ttest_1samp`` and a hand-worked case.

    References
    ----------
    Brown, S. J. & Warner, J. B. (1985), *J. Financ. Econ.* 14(1), 3-31; Boehmer, Musumeci &
    Poulsen (1991), *J. Financ. Econ.* 30(2), 253-272 (the "cross-sectional" test).
    """
    x = _events(abnormal, "abnormal")
    n = x.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN when every value is equal
        t = x.mean(axis=0) / (x.std(axis=0, ddof=1) / np.sqrt(n))
    return _student(t, n - 1)


def patell(standardized: np.ndarray, df: np.ndarray) -> StatResult:
    r"""Patell (1976) standardised-residual test.

    Parameters
    ----------
    standardized
        ``(N,)`` or ``(N, m)``: standardised abnormal returns :math:`SAR_{it}` (per day) or
        standardised CARs :math:`SCAR_i = CAR_i / \sqrt{\mathbf 1' V_i \mathbf 1}` (window).
    df
        ``(N,)``: :math:`L_i - k_i`, each greater than 2.

    Returns
    -------
    StatResult
        Asymptotically standard normal.

    Notes
    -----
    Under the null each :math:`SAR_{it}` is Student-t with :math:`L_i - k_i` degrees of freedom,
    of variance :math:`(L_i-k_i)/(L_i-k_i-2)`, so

    .. math:: Z = \frac{\sum_i SAR_{it}}{\sqrt{\sum_i (L_i-k_i)/(L_i-k_i-2)}} \sim N(0,1).

    For the window, :math:`SCAR_i` replaces :math:`SAR_{it}`. Checked against estudy2's
    ``patell`` (estudy2 standardises with :math:`s` of ddof 1 and its own market mean; with its
    standard deviations as input the statistics agree to 1e-8) and a hand-worked case.

    References
    ----------
    Patell, J. M. (1976). *J. Account. Res.* 14(2), 246-276.
    """
    x = _events(standardized, "standardized")
    df = np.asarray(df, dtype=float)
    if np.any(~(df > 2)):
        raise ParameterError(
            "df", df[~(df > 2)][:3].tolist(), "Patell's test needs L_i - k_i > 2 for every event"
        )
    z = x.sum(axis=0) / np.sqrt(np.sum(df / (df - 2.0)))
    return _normal(z)


def bmp(standardized: np.ndarray) -> StatResult:
    r"""Boehmer, Musumeci & Poulsen (1991) standardised cross-sectional test.

    Parameters
    ----------
    standardized
        ``(N,)`` or ``(N, m)``: :math:`SAR_{it}` per day, or :math:`SCAR_i` for the window.

    Returns
    -------
    StatResult
        t-distributed with :math:`N-1` degrees of freedom.

    Notes
    -----
    The t statistic of the standardised abnormal returns, with their cross-sectional standard
    deviation (ddof 1), which makes it robust to event-induced variance:

    .. math:: t_{BMP} = \frac{\overline{SAR}\,\sqrt N}{s_{SAR}}, \qquad
              s_{SAR}^2 = \frac{1}{N-1}\sum_i (SAR_i - \overline{SAR})^2.

    Checked against estudy2's ``boehmer`` (to 1e-8 given its standard deviations),
    ``scipy.stats.ttest_1samp`` and a hand-worked case.

    References
    ----------
    Boehmer, E., Musumeci, J. & Poulsen, A. B. (1991). *J. Financ. Econ.* 30(2), 253-272.
    """
    return cross_sectional_t(standardized)


def mean_residual_correlation(residuals: np.ndarray) -> float:
    r"""Mean pairwise correlation :math:`\bar r` of the events' estimation residuals (event time).

    Parameters
    ----------
    residuals
        ``(N, L)`` estimation-window residuals aligned by relative day, ``NaN`` where missing.

    Returns
    -------
    float
        :math:`\bar r`, ``NaN`` if no two events share an estimation day.

    Notes
    -----
    Each row is standardised over its own observations,
    :math:`z_{i\tau} = (e_{i\tau} - \bar e_i)/\hat\sigma_i` (ddof 0), and

    .. math:: \bar r = \frac{\sum_{i \ne j} \sum_\tau z_{i\tau} z_{j\tau}}{\sum_{i\ne j} L_{ij}}
              = \frac{\sum_\tau \left[(\sum_i z_{i\tau})^2 - \sum_i z_{i\tau}^2\right]}
                     {\sum_\tau (N_\tau^2 - N_\tau)},

    sums over the days and pairs where both events have a residual (:math:`L_{ij}` days in
    common, :math:`N_\tau` events on day :math:`\tau`). With no missing residuals this is exactly
    the mean of the :math:`N(N-1)/2` Pearson correlations, as in Kolari & Pynnonen (2010); with
    missing ones it is the overlap-weighted mean of the pairwise cross-moments of the
    standardised series. It costs :math:`O(NL)`, not :math:`O(N^2L)`. Checked against the mean
    off-diagonal entry of ``numpy.corrcoef``.

    References
    ----------
    Kolari, J. W. & Pynnonen, S. (2010). *Rev. Financ. Stud.* 23(11), 3996-4025.
    """
    residuals = np.asarray(residuals, dtype=float)
    return _ResidualPass.over(residuals, kolari=True).correlation()


def kolari_pynnonen_factor(r: float, n: int) -> float:
    r"""Kolari & Pynnonen (2010) adjustment factor :math:`\sqrt{(1-\bar r)/(1+(N-1)\bar r)}`.

    ``NaN`` unless :math:`-1/(N-1) < \bar r \le 1` (with missing residuals the overlap-weighted
    estimate can leave that range).
    """
    denominator = 1.0 + (n - 1) * r
    if not np.isfinite(r) or denominator <= 0 or r > 1:
        return float("nan")
    return float(np.sqrt((1.0 - r) / denominator))


def kolari_pynnonen_patell(standardized: np.ndarray, df: np.ndarray, r: float) -> StatResult:
    r"""Patell's test adjusted for cross-correlation (Kolari & Pynnonen 2010).

    Parameters
    ----------
    standardized
        ``(N,)`` or ``(N, m)``: :math:`SAR_{it}` or :math:`SCAR_i`.
    df
        ``(N,)``: :math:`L_i - k_i`.
    r
        Mean pairwise correlation of the estimation residuals
        (:func:`mean_residual_correlation`).

    Returns
    -------
    StatResult
        Asymptotically standard normal.

    Notes
    -----
    .. math:: Z_{KP} = Z_{Patell} \sqrt{\frac{1-\bar r}{1+(N-1)\bar r}}.

    With :math:`\bar r = 0` it is :func:`patell`. The factor corrects the variance of the sum of
    :math:`N` equicorrelated standardised returns, :math:`N(1+(N-1)\bar r)`.

    References
    ----------
    Kolari, J. W. & Pynnonen, S. (2010). *Rev. Financ. Stud.* 23(11), 3996-4025.
    """
    x = _events(standardized, "standardized")
    base = patell(x, df)
    return _normal(base.stat * kolari_pynnonen_factor(r, x.shape[0]))


def kolari_pynnonen_bmp(standardized: np.ndarray, r: float) -> StatResult:
    r"""BMP test adjusted for cross-correlation (Kolari & Pynnonen 2010).

    Parameters
    ----------
    standardized
        ``(N,)`` or ``(N, m)``: :math:`SAR_{it}` or :math:`SCAR_i`.
    r
        Mean pairwise correlation of the estimation residuals.

    Returns
    -------
    StatResult
        Compared with t with :math:`N-1` degrees of freedom, like the unadjusted test.

    Notes
    -----
    .. math:: t_{KP} = t_{BMP} \sqrt{\frac{1-\bar r}{1+(N-1)\bar r}}.

    References
    ----------
    Kolari, J. W. & Pynnonen, S. (2010). *Rev. Financ. Stud.* 23(11), 3996-4025.
    """
    x = _events(standardized, "standardized")
    base = bmp(x)
    return _student(base.stat * kolari_pynnonen_factor(r, x.shape[0]), x.shape[0] - 1)
