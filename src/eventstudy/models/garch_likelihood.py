r"""The GARCH(1,1) market model's log-likelihood and its gradient, for the optimiser.

The likelihood is ``arch``'s (the variance recursion ``GARCH.compute_variance`` started from the
backcast of the OLS residuals and kept within ``arch``'s variance bounds); this module adds its
analytic gradient, so SLSQP needs one evaluation per step instead of one per parameter (finite
differences, as ``arch``'s own ``fit`` does).

With :math:`e_t = y_t - c - \beta x_t` and
:math:`h_t = \omega + a e_{t-1}^2 + b h_{t-1}` (:math:`e_{-1}^2` and :math:`h_{-1}` replaced by
the backcast :math:`\bar h`, a constant), the derivatives :math:`D_t = \partial h_t /
\partial\theta` follow the same recursion,

.. math:: D_t = g_t + b\, D_{t-1}, \qquad D_{-1} = 0,

with :math:`g_t = (1,\; e_{t-1}^2,\; h_{t-1},\; -2a e_{t-1},\; -2a e_{t-1} x_{t-1})` for
:math:`(\omega, a, b, c, \beta)` (at :math:`t = 0`: :math:`(1, \bar h, \bar h, 0, 0)`), a linear
filter computed for all parameters at once by ``scipy.signal.lfilter``. Then
:math:`\partial \ell / \partial\theta = \sum_t (\partial\ell_t/\partial h_t) D_t +
(\partial\ell_t / \partial e_t)\, \partial e_t / \partial\theta`, where for normal errors
:math:`\ell_t = -\tfrac12(\ln 2\pi + \ln h_t + e_t^2/h_t)` and for standardised Student-t errors
:math:`\ell_t = \ln\Gamma(\tfrac{\nu+1}2) - \ln\Gamma(\tfrac\nu2) - \tfrac12\ln(\pi(\nu-2)h_t)
- \tfrac{\nu+1}2 \ln(1 + z_t)`, :math:`z_t = e_t^2 / (h_t(\nu - 2))` (``arch``'s densities).

Where ``arch``'s variance bounds cut the recursion (extreme parameters during the search) the
recursion above no longer holds, and the gradient falls back to forward differences of the
likelihood. ``tests/models/test_garch_starts.py`` checks the likelihood against ``arch``'s and
the gradient against finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

#: :math:`\ln 2\pi`.
LOG_2PI = float(np.log(2.0 * np.pi))


class GarchLikelihood:
    """The negative log-likelihood and its gradient as one function of ``arch``'s parameter
    vector ``(c, beta, omega, a, b[, nu])`` (percent scale), for ``minimize(..., jac=True)``.

    Parameters
    ----------
    y, x
        Stock and market returns (percent).
    model
        The ``arch`` model (its volatility process and distribution give the recursion, the
        variance bounds and the densities).
    backcast, bounds
        ``arch``'s backcast and variance bounds (from the OLS residuals, as ``arch``'s ``fit``).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, model: Any, backcast: float,
                 bounds: np.ndarray) -> None:
        self.y, self.x = y, x
        self.volatility = model.volatility
        self.distribution = model.distribution
        self.student = model.distribution.num_params == 1
        self.backcast = float(backcast)
        self.bounds = bounds
        self.lower, self.upper = bounds[:, 0], bounds[:, 1]
        self.sigma2 = np.empty(len(y))
        self.lagged = np.empty((len(y), 5))  # g_t, filled at every evaluation
        self.lagged[0] = (1.0, self.backcast, self.backcast, 0.0, 0.0)
        self.lagged[1:, 0] = 1.0

    def variance(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals and ``arch``'s conditional variances at ``params``."""
        e = self.y - params[0] - params[1] * self.x
        self.volatility.compute_variance(params[2:5], e, self.sigma2, self.backcast, self.bounds)
        return e, self.sigma2

    def value(self, params: np.ndarray) -> float:
        """The negative log-likelihood (``arch``'s densities, written out as ``arch`` writes them)."""
        e, h = self.variance(params)
        with np.errstate(all="ignore"):
            return self._density(params, e, h)[0]

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        e, h = self.variance(params)
        with np.errstate(all="ignore"):
            f, dl_dh, dl_de, dl_dnu = self._density(params, e, h)
        if not np.isfinite(f) or np.any((h <= self.lower) | (h >= self.upper)):
            return f, self._forward_differences(params, f)
        a, b = params[3], params[4]
        lagged = self.lagged
        lagged[1:, 1] = e[:-1] ** 2
        lagged[1:, 2] = h[:-1]
        lagged[1:, 3] = -2.0 * a * e[:-1]
        lagged[1:, 4] = lagged[1:, 3] * self.x[:-1]
        from scipy.signal import lfilter  # here: importing scipy.signal costs ~1 s of CPU

        d = lfilter([1.0], [1.0, -b], lagged, axis=0)  # dh_t / d(omega, a, b, c, beta)
        gradient = dl_dh @ d
        mean = np.array([gradient[3] - dl_de.sum(), gradient[4] - dl_de @ self.x])
        out = np.concatenate([mean, gradient[:3], [dl_dnu] if self.student else []])
        return f, -out

    def _density(self, params: np.ndarray, e: np.ndarray,
                 h: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        """``-loglikelihood`` and the derivatives of the log-likelihood by ``h_t``, ``e_t`` and
        ``nu`` (the densities of ``arch``'s ``Normal`` and ``StudentsT``)."""
        if not self.student:
            ratio = e / h
            f = 0.5 * float(np.sum(LOG_2PI + np.log(h) + e * ratio))
            return f, -0.5 * (1.0 - e * ratio) / h, -ratio, 0.0
        nu = params[5]
        z = e**2 / (h * (nu - 2.0))
        log_z = np.log1p(z)
        f = -float(len(e) * (gammaln((nu + 1.0) / 2.0) - gammaln(nu / 2.0)
                             - 0.5 * np.log(np.pi * (nu - 2.0)))
                   - np.sum(0.5 * np.log(h) + (nu + 1.0) / 2.0 * log_z))
        weight = (nu + 1.0) / 2.0 / (1.0 + z)
        dl_dh = -0.5 / h + weight * z / h
        dl_de = -weight * 2.0 * e / (h * (nu - 2.0))
        dl_dnu = float(np.sum(0.5 * digamma((nu + 1.0) / 2.0) - 0.5 * digamma(nu / 2.0)
                              - 0.5 / (nu - 2.0) - 0.5 * log_z
                              + weight * z / (nu - 2.0)))
        return f, dl_dh, dl_de, dl_dnu

    def _forward_differences(self, params: np.ndarray, f: float) -> np.ndarray:
        """The gradient by forward differences (where the variance bounds bind)."""
        gradient = np.empty(len(params))
        for j in range(len(params)):
            step = np.sqrt(np.finfo(float).eps) * max(1.0, abs(params[j]))
            shifted = params.copy()
            shifted[j] += step
            gradient[j] = (self.value(shifted) - f) / step
        return gradient

