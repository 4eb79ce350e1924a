r"""Maximum likelihood for the GARCH(1,1) market model from several starting points.

The GARCH likelihood has several local maxima: for SNAP's estimation window before 2018-07-26
(market model, days -250..-11), SLSQP from ``arch``'s own starting point stops at a
log-likelihood of -705.77 with :math:`(a, b, \beta) = (0.00, 0.98, 0.57)`, while the maximum,
reached from elsewhere, is -693.24 with :math:`(0.54, 0.46, 2.66)`, and the abnormal returns
and their standard errors differ materially between the two. So the model is fitted from
:data:`STARTS` and the highest log-likelihood is kept.

Starting points
---------------
1. ``arch``'s own: the OLS coefficients for the mean and the best of ``arch``'s 16-point grid
   for the variance (``arch.univariate.GARCH.starting_values``, which concentrates on moderate
   persistence; its 16 likelihoods computed at once by
   :func:`eventstudy.models.garch_likelihood.arch_starting_values`), and ``arch``'s start for
   :math:`\nu`.
2. Three corners of the :math:`(a, a + b)` square, :data:`GRID`: a small news effect with
   high persistence :math:`(0.02, 0.99)`, a moderate one with low persistence
   :math:`(0.20, 0.50)`, and a large one with high persistence :math:`(0.70, 0.99)`. Each
   keeps the OLS mean and sets :math:`\omega = (1 - a - b)\, s^2` (:math:`s^2` the mean squared
   OLS residual), so every start has the residuals' unconditional variance.

The grid was chosen on the snapshot, compared with the best of 36 starts (``arch``'s and a 7 x 5
grid): on 14 tickers at 24 event dates each over 2017-2019 (``benchmarks/garch_starts.py``),
``arch``'s fit alone fell short of that best by more than 0.001 in 59 of 329 fits with normal
errors and 54 of 329 with Student-t errors (by up to 28 and 3.4), these four starts in 4 and 6
(by at most 1.0).

Estimation
----------
Every start runs SLSQP (``scipy.optimize.minimize``) on ``arch``'s log-likelihood, assembled
from ``arch``'s public pieces exactly as ``arch``'s ``ARCHModel.fit`` assembles it (``arch``
8.0): residuals :math:`y - X\theta` from the mean parameters, the variance recursion
``GARCH.compute_variance`` started from ``GARCH.backcast`` of the OLS residuals and bounded by
``GARCH.variance_bounds``, and the distribution's density (:mod:`eventstudy.models.garch_likelihood`),
with ``arch``'s parameter bounds and linear constraints (:math:`a + b < 1`, ...). Unlike
``arch``'s ``fit``, which takes both by finite differences, the likelihood's gradient and the
constraints' Jacobian are given (the gradient only where SLSQP asks for it, not in its line
search), so the four starts together cost about as much CPU as one ``arch`` fit
(``benchmarks/bench_garch.py --baseline``: ``fit_cpu/baseline``). The
one-step variance forecast is ``arch``'s too (``GARCH.forecast`` from a backcast of the fitted
residuals, as ``ARCHModel.forecast`` computes it). ``tests/models/test_garch_starts.py`` checks
the fit against ``arch``'s ``fit`` started from each point.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy.models.garch_likelihood import GarchLikelihood, arch_starting_values

#: ``(a, a + b)`` of the starting points besides ``arch``'s own (see the module docstring).
GRID: tuple[tuple[float, float], ...] = ((0.02, 0.99), (0.20, 0.50), (0.70, 0.99))
#: Names of the starting points, in the order they are tried.
STARTS: tuple[str, ...] = ("arch", *(f"a={a:g}, a+b={s:g}" for a, s in GRID))
#: Log-likelihoods within this of the best count as reaching it (:attr:`GarchStarts.agreeing`).
AGREEMENT = 1e-3


@dataclass(frozen=True)
class StartFit:
    """SLSQP from one starting point: ``initial`` the starting parameters, ``params`` where it
    stopped (both on ``arch``'s percent scale, in ``arch``'s order)."""

    start: str
    loglikelihood: float
    converged: bool
    message: str
    params: np.ndarray
    initial: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """``{"start", "loglikelihood", "converged"}``, JSON-ready (``None`` when not finite)."""
        value = float(self.loglikelihood)
        return {"start": self.start, "loglikelihood": value if np.isfinite(value) else None,
                "converged": self.converged}


@dataclass(frozen=True)
class GarchStarts:
    """The fits from every starting point and the best, in ``arch``'s percent scale.

    Attributes
    ----------
    fits
        One :class:`StartFit` per entry of :data:`STARTS`.
    best
        Index of the converged fit with the highest log-likelihood (``-1`` when none converged).
    residuals, variance
        :math:`\\hat\\varepsilon_t` and :math:`h_t` of the best fit over the estimation returns.
    next_variance
        ``arch``'s one-step forecast :math:`h_{T+1}` of the best fit.
    """

    fits: tuple[StartFit, ...]
    best: int
    residuals: np.ndarray
    variance: np.ndarray
    next_variance: float

    @property
    def converged(self) -> bool:
        return self.best >= 0

    @property
    def params(self) -> np.ndarray:
        return self.fits[self.best].params

    @property
    def loglikelihood(self) -> float:
        return self.fits[self.best].loglikelihood

    @property
    def agreeing(self) -> int:
        """Converged starts within :data:`AGREEMENT` of the best log-likelihood."""
        if not self.converged:
            return 0
        return sum(f.converged and f.loglikelihood >= self.loglikelihood - AGREEMENT for f in self.fits)

    @property
    def message(self) -> str:
        """The optimiser's word: the best fit's, or every start's when none converged."""
        if self.converged:
            return self.fits[self.best].message
        return "; ".join(f"{f.start}: {f.message}" for f in self.fits)


def fit_from_starts(y: np.ndarray, x: np.ndarray, dist: str = "normal") -> GarchStarts:
    """Fit :math:`y_t = c + \\beta x_t + \\varepsilon_t` with GARCH(1,1) errors from every
    starting point of :data:`STARTS` (``y``, ``x`` in percent; ``dist`` ``"normal"`` or ``"t"``).
    """
    from arch import arch_model
    from scipy.optimize import minimize

    y = np.ascontiguousarray(y, dtype=float)
    x = np.ascontiguousarray(x, dtype=float)
    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist=dist,  # type: ignore[arg-type]
                       rescale=False)
    vol, distribution = model.volatility, model.distribution
    design = np.column_stack([np.ones(len(x)), x])
    mean_start = np.linalg.lstsq(design, y, rcond=None)[0]  # arch's start for the mean: OLS
    ols = y - design @ mean_start
    backcast = vol.backcast(ols)
    bounds_var = vol.variance_bounds(ols)
    sigma2 = np.empty(len(y))
    vol_start = arch_starting_values(ols, float(backcast), bounds_var, vol)
    vol.compute_variance(vol_start, ols, sigma2, backcast, bounds_var)
    std = ols / np.sqrt(sigma2)
    dist_start = distribution.starting_values(std)
    bounds = model.bounds() + vol.bounds(ols) + distribution.bounds(std)
    a, b = _constraints(model)
    k_mean, k_vol = 2, vol.num_params
    likelihood = GarchLikelihood(y, x, model, float(backcast), bounds_var)

    variance = float(ols @ ols) / len(ols)
    starts = [np.hstack([mean_start, vol_start, dist_start])]
    starts += [np.hstack([mean_start, [(1.0 - s) * variance, a_, s - a_], dist_start])
               for a_, s in GRID]
    constraint = {"type": "ineq", "fun": lambda p: a @ p - b, "jac": lambda p: a}
    fits = []
    for name, start in zip(STARTS, starts):
        with warnings.catch_warnings():  # the steps outside the bounds, as arch silences them
            warnings.simplefilter("ignore", RuntimeWarning)
            opt = minimize(likelihood.value, start, jac=likelihood.gradient, method="SLSQP", bounds=bounds,
                           constraints=constraint)
        fits.append(StartFit(name, -float(opt.fun), bool(opt.status == 0),
                             f"{opt.message} (SLSQP status {opt.status})", np.asarray(opt.x),
                             start))
    converged = [i for i, f in enumerate(fits) if f.converged and np.isfinite(f.loglikelihood)]
    if not converged:
        return GarchStarts(tuple(fits), -1, np.full(len(y), np.nan), np.full(len(y), np.nan),
                           float("nan"))
    best = max(converged, key=lambda i: fits[i].loglikelihood)
    params = fits[best].params
    residuals = y - design @ params[:k_mean]
    vol_params = params[k_mean : k_mean + k_vol]
    vol.compute_variance(vol_params, residuals, sigma2, backcast, bounds_var)
    # arch's forecast restarts the recursion from a backcast of the fitted residuals
    # (ARCHModel.forecast -> GARCH.forecast with the variance bounds of power 2)
    forecast = vol.forecast(vol_params, residuals, vol.backcast(residuals),
                            vol.variance_bounds(residuals, 2.0), start=len(y) - 1, horizon=1)
    return GarchStarts(tuple(fits), best, residuals, sigma2.copy(),
                       float(np.asarray(forecast.forecasts)[-1, 0]))


def _constraints(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """``arch``'s linear constraints ``a @ params - b >= 0`` of the mean, the variance and the
    distribution, stacked as ``ARCHModel.fit`` stacks them."""
    parts = (model.constraints(), model.volatility.constraints(), model.distribution.constraints())
    widths = (model.num_params, model.volatility.num_params, model.distribution.num_params)
    a = np.zeros((sum(p[0].shape[0] for p in parts), sum(widths)))
    b = np.zeros(a.shape[0])
    row = col = 0
    for (part_a, part_b), width in zip(parts, widths):
        a[row : row + part_a.shape[0], col : col + width] = part_a
        b[row : row + part_a.shape[0]] = part_b
        row, col = row + part_a.shape[0], col + width
    return a, b
