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
:math:`(\omega, a, b, c, \beta)` (at :math:`t = 0`: :math:`(1, \bar h, \bar h, 0, 0)`). Then
:math:`\partial \ell / \partial\theta = \sum_t (\partial\ell_t/\partial h_t) D_t +
(\partial\ell_t / \partial e_t)\, \partial e_t / \partial\theta`, and the first sum is
computed without the five columns :math:`D_t`: the same filter run backward over the weights,
:math:`\lambda_t = \partial\ell_t/\partial h_t + b\,\lambda_{t+1}` (one
``scipy.signal.lfilter`` call; the adjoint of the recursion), gives
:math:`\sum_t (\partial\ell_t/\partial h_t) D_t = \sum_t \lambda_t g_t`, where for normal errors
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
    """The negative log-likelihood (:meth:`value`) and its gradient (:meth:`gradient`) as
    functions of ``arch``'s parameter vector ``(c, beta, omega, a, b[, nu])`` (percent scale),
    for ``minimize(value, jac=gradient)``: the optimiser's line search asks for values only, so
    the gradient is computed only where it is asked for.

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
        self._at: np.ndarray | None = None  # the parameters of the last variance recursion
        self._e = np.empty(len(y))  # and its residuals

    def variance(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals and ``arch``'s conditional variances at ``params`` (kept for :meth:`gradient`
        at the same parameters)."""
        e = self.y - params[0] - params[1] * self.x
        self.volatility.compute_variance(params[2:5], e, self.sigma2, self.backcast, self.bounds)
        self._at, self._e = params.copy(), e
        return e, self.sigma2

    def value(self, params: np.ndarray) -> float:
        """The negative log-likelihood (``arch``'s densities, written out as ``arch`` writes them)."""
        e, h = self.variance(params)
        with np.errstate(all="ignore"):
            if not self.student:  # the normal density without its derivatives
                return 0.5 * float(np.sum(LOG_2PI + np.log(h) + e * (e / h)))
            return self._density(params, e, h)[0]

    def gradient(self, params: np.ndarray) -> np.ndarray:
        r"""The gradient of :meth:`value` (analytic; forward differences where the variance
        bounds bind). SLSQP asks for it at the point it evaluated last, whose residuals and
        variances are reused.

        Rather than filtering the five columns :math:`g_t` forward, it filters the weights
        backward (the adjoint of the recursion): with :math:`\lambda_t = \partial\ell_t /
        \partial h_t + b\,\lambda_{t+1}`, :math:`\sum_t (\partial\ell_t/\partial h_t) D_t =
        \sum_t \lambda_t g_t`.
        """
        at = self._at
        if at is not None and (params == at).all():
            e, h = self._e, self.sigma2
        else:
            e, h = self.variance(params)
        with np.errstate(all="ignore"):
            f, dl_dh, dl_de, dl_dnu = self._density(params, e, h)
        if not np.isfinite(f) or not ((h > self.lower).all() and (h < self.upper).all()):
            return self._forward_differences(params, f)
        a, b = params[3], params[4]
        from scipy.signal import lfilter  # here: importing scipy.signal costs ~1 s of CPU

        weight = lfilter([1.0], [1.0, -b], dl_dh[::-1])[::-1]  # lambda_t
        later, lag_e = weight[1:], e[:-1]
        start = weight[0] * self.backcast  # t = 0: u_{-1} = h_{-1} = the backcast
        lagged_e = later * lag_e
        out = np.empty(len(params))
        out[0] = -2.0 * a * lagged_e.sum() - dl_de.sum()
        out[1] = -2.0 * a * (lagged_e @ self.x[:-1]) - dl_de @ self.x
        out[2] = weight.sum()
        out[3] = start + lagged_e @ lag_e
        out[4] = start + later @ h[:-1]
        if self.student:
            out[5] = dl_dnu
        return -out

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`value` and :meth:`gradient` together."""
        return self.value(params), self.gradient(params)

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


#: ``arch``'s grid of starting values for GARCH(1,1) (``GARCH.starting_values``): :math:`a` and
#: :math:`a + b`, in ``arch``'s order.
ARCH_GRID_A = (0.01, 0.05, 0.1, 0.2)
ARCH_GRID_PERSISTENCE = (0.5, 0.7, 0.9, 0.98)


def arch_starting_values(resids: np.ndarray, backcast: float, bounds: np.ndarray,
                         volatility: Any) -> np.ndarray:
    r"""``arch``'s starting point :math:`(\omega, a, b)` for GARCH(1,1),
    ``volatility.starting_values(resids)``, with less overhead.

    ``arch`` evaluates the normal log-likelihood at :math:`(\omega, a, b) = ((1 - s)\bar e^2, a,
    s - a)` for :math:`a` in :data:`ARCH_GRID_A` and :math:`s` in :data:`ARCH_GRID_PERSISTENCE`
    (:math:`\bar e^2` the mean squared residual) and keeps the first best. Here each candidate's
    variance recursion :math:`h_t = (\omega + a u_{t-1}) + b h_{t-1}` (:math:`u_t = e_t^2`,
    :math:`u_{-1} = h_{-1} = ` the backcast) is one ``scipy.signal.lfilter`` call, the same
    operations in the same order as ``arch``'s loop, and the 16 likelihoods are summed at once.
    Where a variance leaves ``arch``'s bounds (which ``arch`` clips) or two candidates are
    within 1e-6 of each other, ``arch``'s own ``starting_values`` decides.
    ``tests/models/test_garch_starts.py`` checks the result against ``arch``'s.
    """
    from scipy.signal import lfilter

    target = np.mean(np.absolute(resids) ** 2.0)  # arch's target and scale, power 2
    target *= np.mean(resids**2) / target
    grid = np.array([(a, s) for a in ARCH_GRID_A for s in ARCH_GRID_PERSISTENCE])
    a, b = grid[:, 0], grid[:, 1] - grid[:, 0]
    omega = (1.0 - grid[:, 1]) * target
    u = np.concatenate([[backcast], resids[:-1] ** 2])  # u_{t-1}
    h = np.empty((len(grid), len(resids)))
    for k in range(len(grid)):  # 16 candidates, each an O(n) filter
        h[k] = lfilter([1.0], [1.0, -b[k]], omega[k] + a[k] * u, zi=[b[k] * backcast])[0]
    with np.errstate(all="ignore"):
        llf = -0.5 * np.sum(LOG_2PI + np.log(h) + resids**2 / h, axis=1)
    order = np.sort(llf)
    if (np.any((h < bounds[:, 0]) | (h > bounds[:, 1])) or not np.all(np.isfinite(llf))
            or order[-1] - order[-2] < 1e-6):
        return np.asarray(volatility.starting_values(resids))
    best = int(np.argmax(llf))
    return np.array([omega[best], a[best], b[best]])
