r"""The market model with GARCH(1,1) errors: the model, its fit on one event's estimation window,
and its variance forecasts. Many events: :mod:`eventstudy.engine.garch`; the Savickas test:
:mod:`eventstudy.inference.savickas`.

Model
-----
Over the estimation window the stock's return follows the market model with GARCH(1,1) errors
(Bollerslev 1986),

.. math:: R_t = \alpha + \beta R_{m,t} + \varepsilon_t, \qquad \varepsilon_t = \sqrt{h_t}\, z_t,
          \qquad h_t = \omega + a\, \varepsilon_{t-1}^2 + b\, h_{t-1},

with :math:`z_t` i.i.d. standard normal (``dist="normal"``, model ``garch``) or standardised
Student's t with :math:`\nu` degrees of freedom (``dist="t"``, model ``garch_t``). All
parameters are estimated jointly by maximum likelihood with the ``arch`` package's likelihood
(``arch.arch_model(y, x=market, mean="LS", vol="GARCH", p=1, q=1, dist=...)``, SLSQP, the
variance recursion started from ``arch``'s backcast), from ``arch``'s own starting point and
three more, keeping the highest log-likelihood (:mod:`eventstudy.models.garch_starts`: the
likelihood has local maxima, and ``arch``'s start alone stops short of the maximum in about one
fit in six on real returns). The fit runs on returns in percent (the
scale ``arch``'s optimiser is tuned for, ``rescale=False``); the parameters are reported in
decimals (:math:`\alpha` and :math:`\omega` divided by 100 and :math:`100^2`).

Estimation days without a return are left out and the remaining days treated as consecutive
in the variance recursion (as the linear models leave them out of the regression).

Abnormal returns and their variance
-----------------------------------
On event-window day :math:`t`, :math:`k = t - T` trading days after the last estimation day
:math:`T`, the abnormal return is :math:`AR_t = R_t - (\hat\alpha + \hat\beta R_{m,t})` and
its variance the analytic :math:`k`-step conditional-variance forecast made at :math:`T`,

.. math:: h_{T+1} = \hat\omega + \hat a\, \hat\varepsilon_T^2 + \hat b\, h_T, \qquad
          h_{T+k} = \hat\omega + (\hat a + \hat b)\, h_{T+k-1} \quad (k \ge 2),

where :math:`h_{T+1}` is ``arch``'s one-step forecast (``arch`` restarts the variance
recursion for forecasting from a backcast of the fitted residuals, so :math:`h_{T+1}` can
differ slightly from continuing the fitted :math:`h_t` when :math:`a + b` is close to 1; we
keep ``arch``'s forecast). So :math:`se_t = \sqrt{h_{T+k}}` and, the errors being serially uncorrelated, the CAR over
days :math:`W` has variance :math:`\sum_{t \in W} h_t` (:math:`V` is diagonal). The error in
the estimated parameters is ignored (the forecasts treat them as known), unlike the linear
models' prediction-error term. t statistics use Student's t with :math:`L - K` degrees of
freedom (:math:`K` = 5 parameters, 6 with :math:`\nu`), which is close to the normal
limit the maximum-likelihood theory gives.

A fit with :math:`a + b \ge` :data:`INTEGRATED` is an integrated GARCH (Engle & Bollerslev
1986): its variance forecasts grow without bound over the event window
(:math:`h_{T+k} = h_{T+1} + (k - 1)\,\omega` at :math:`a + b = 1`), so the study warns
(:class:`~eventstudy.exceptions.IntegratedGarchWarning`).

Many events and the Savickas test
---------------------------------
:func:`eventstudy.engine.garch.garch_events` fits one GARCH per event (the events placed and screened exactly as in
:func:`eventstudy.engine.batch.batch_event_study`); :func:`eventstudy.inference.savickas.savickas` tests the mean of the abnormal
returns standardised by each event's conditional standard deviation with the cross-sectional
(Boehmer, Musumeci & Poulsen 1991) t statistic, which stays valid when the event raises the
variance (Savickas 2003).

References
----------
- Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity. *Journal of
  Econometrics* 31(3), 307-327.
- Savickas, R. (2003). Event-induced volatility and tests for abnormal performance. *Journal of
  Financial Research* 26(2), 165-178.
- Boehmer, E., Musumeci, J. & Poulsen, A. B. (1991). *J. Financ. Econ.* 30(2), 253-272.
- Engle, R. F. & Bollerslev, T. (1986). Modelling the persistence of conditional variances.
  *Econometric Reviews* 5(1), 1-50.
- Sheppard, K. et al. ``arch``: ARCH models in Python, https://arch.readthedocs.io.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, IntegratedGarchWarning, ParameterError
from eventstudy.models.garch_starts import StartFit, fit_from_starts
from eventstudy.models.linear import ExpectedReturnModel, FittedModel, MarketModel

#: Fewest estimation returns a GARCH(1,1) fit accepts.
MIN_GARCH_OBSERVATIONS = 100
#: Returns are multiplied by this before the fit (percent), the scale arch's optimiser expects.
SCALE = 100.0
#: Error distributions, as ``arch`` names them.
DISTRIBUTIONS = ("normal", "t")
#: Persistence :math:`a + b` from which a fit counts as integrated (a warning).
INTEGRATED = 0.999


@dataclass(frozen=True)
class GarchEstimate:
    """One GARCH(1,1) market-model fit, in decimals.

    Attributes
    ----------
    alpha, beta
        Mean: :math:`R_t = \\alpha + \\beta R_{m,t} + \\varepsilon_t`.
    omega, arch, garch
        Variance: :math:`h_t = \\omega + a\\,\\varepsilon_{t-1}^2 + b\\,h_{t-1}` (``arch`` is
        :math:`a`, ``alpha[1]`` in ``arch``; ``garch`` is :math:`b`, ``beta[1]``).
    nu
        Degrees of freedom of Student's t errors (``NaN`` for normal errors).
    residuals, variance
        :math:`\\hat\\varepsilon_t` and :math:`h_t` over the estimation returns.
    next_variance
        ``arch``'s one-step forecast :math:`h_{T+1}` made at the last estimation return.
    converged
        Whether the optimiser reported success from at least one starting point; ``message`` is
        what it said (for the best fit, or for every start when none converged).
    loglikelihood
        The best log-likelihood, on ``arch``'s percent scale (as ``arch`` reports it).
    starts
        The fit from every starting point (:mod:`eventstudy.models.garch_starts`).
    agreeing
        How many starts reached the best log-likelihood (within 0.001).
    """

    alpha: float
    beta: float
    omega: float
    arch: float
    garch: float
    nu: float
    residuals: np.ndarray
    variance: np.ndarray
    next_variance: float
    converged: bool
    message: str
    loglikelihood: float = float("nan")
    starts: tuple[StartFit, ...] = ()
    agreeing: int = 0

    @property
    def n_params(self) -> int:
        """Estimated parameters :math:`K` (5, or 6 with :math:`\\nu`)."""
        return 5 if np.isnan(self.nu) else 6

    @property
    def persistence(self) -> float:
        """:math:`a + b`."""
        return self.arch + self.garch

    @property
    def integrated(self) -> bool:
        """:math:`a + b \\ge` :data:`INTEGRATED`: forecasts that grow without bound."""
        return bool(self.persistence >= INTEGRATED)


def check_dist(dist: str) -> str:
    """Validate the error distribution (``"normal"`` or ``"t"``)."""
    if dist not in DISTRIBUTIONS:
        raise ParameterError("dist", dist, f"choose one of {', '.join(DISTRIBUTIONS)}")
    return dist


def estimate_garch(returns: np.ndarray, market: np.ndarray, dist: str = "normal") -> GarchEstimate:
    """Fit the GARCH(1,1) market model by maximum likelihood, from every starting point of
    :data:`eventstudy.models.garch_starts.STARTS`, keeping the highest log-likelihood.

    Parameters
    ----------
    returns, market
        Estimation-window returns of the stock and the market (decimals, finite, same length).
    dist
        ``"normal"`` or ``"t"``.

    Returns
    -------
    GarchEstimate
        In decimals; ``converged`` is False (with the optimiser's messages) when SLSQP reported
        success from no starting point. The caller decides whether that is an error.
    """
    fits = fit_from_starts(np.asarray(returns, dtype=float) * SCALE,
                           np.asarray(market, dtype=float) * SCALE, check_dist(dist))
    nan = float("nan")
    params = fits.params if fits.converged else np.full(6 if dist == "t" else 5, nan)
    return GarchEstimate(
        alpha=float(params[0]) / SCALE,
        beta=float(params[1]),
        omega=float(params[2]) / SCALE**2,
        arch=float(params[3]),
        garch=float(params[4]),
        nu=float(params[5]) if dist == "t" else nan,
        residuals=fits.residuals / SCALE,
        variance=fits.variance / SCALE**2,
        next_variance=fits.next_variance / SCALE**2,
        converged=fits.converged,
        message=fits.message,
        loglikelihood=fits.loglikelihood if fits.converged else nan,
        starts=fits.fits,
        agreeing=fits.agreeing,
    )


def variance_forecasts(
    omega: np.ndarray | float, arch: np.ndarray | float, garch: np.ndarray | float,
    next_variance: np.ndarray | float, horizons: np.ndarray,
) -> np.ndarray:
    r"""Analytic multi-step GARCH(1,1) conditional-variance forecasts.

    .. math:: h_{T+k} = \omega + (a + b)\,h_{T+k-1} \quad (k \ge 2)

    from the one-step forecast :math:`h_{T+1}` (:math:`= \omega + a\,\varepsilon_T^2 + b\,h_T`).

    Parameters
    ----------
    omega, arch, garch, next_variance
        ``(N,)`` (or scalars): parameters and :math:`h_{T+1}` per event.
    horizons
        ``(N, T)`` or ``(T,)``: steps :math:`k \ge 1` ahead of the last estimation day.

    Returns
    -------
    numpy.ndarray
        ``(N, T)`` forecasts :math:`h_{T+k}` (``(1, T)`` for scalar inputs).
    """
    omega, arch, garch, h = (
        np.atleast_1d(np.asarray(v, dtype=float)) for v in (omega, arch, garch, next_variance)
    )
    horizons = np.asarray(horizons)
    steps = np.broadcast_to(horizons, (len(omega), horizons.shape[-1]))
    if steps.size and steps.min() < 1:
        raise ParameterError(
            "window", int(steps.min()),
            "GARCH forecasts run forward: the event window must start after the estimation window",
        )
    persistence = arch + garch
    k_max = int(steps.max()) if steps.size else 1
    path = np.empty((len(omega), k_max))
    for k in range(k_max):  # a loop over horizon steps, vectorised over events
        path[:, k] = h
        h = omega + persistence * h
    return np.take_along_axis(path, steps - 1, axis=1)


@dataclass(frozen=True)
class GarchFit(FittedModel):
    """A GARCH(1,1) market model fitted on one estimation window (see the module docstring).

    ``params`` holds ``alpha``, ``beta`` (the mean), ``omega``, ``alpha[1]``, ``beta[1]`` and,
    for Student's t errors, ``nu``; ``sigma`` is :math:`\\sqrt{\\hat\\varepsilon'\\hat\\varepsilon
    / (L - K)}`; ``xtx_inv`` is empty, because the GARCH standard errors ignore the
    parameter-estimation error.

    Attributes
    ----------
    estimate
        The fit in decimals.
    conditional_variance
        :math:`h_t` over the estimation returns, indexed by date.
    last_session
        Trading-day number of the last estimation return :math:`T` (the forecast origin).
    """

    estimate: GarchEstimate
    conditional_variance: pd.Series
    last_session: int

    def expected(self, data: pd.DataFrame) -> np.ndarray:
        """Expected returns :math:`\\hat\\alpha + \\hat\\beta R_{m,t}` on the rows of ``data``."""
        return self.estimate.alpha + self.estimate.beta * data["market"].to_numpy(dtype=float)

    def forecast(self, data: pd.DataFrame) -> np.ndarray:
        """Conditional-variance forecasts :math:`h_{T+k}` for the rows of ``data`` (``session``)."""
        est = self.estimate
        horizons = data["session"].to_numpy(dtype=np.int64) - self.last_session
        return variance_forecasts(est.omega, est.arch, est.garch, est.next_variance, horizons)[0]

    def abnormal_covariance(self, data: pd.DataFrame) -> np.ndarray:
        """:math:`V = \\operatorname{diag}(h_{T+k})` for the rows of ``data``."""
        return np.diag(self.forecast(data))

    def estimation_details(self) -> dict[str, Any]:
        """``loglikelihood`` (``arch``'s percent scale), ``persistence`` :math:`a + b` and
        ``starts``: ``n``, ``agreeing`` (starts within 0.001 of the best log-likelihood) and
        each start's ``start``, ``loglikelihood`` and ``converged``."""
        est = self.estimate
        return {
            "loglikelihood": est.loglikelihood,
            "persistence": est.persistence,
            "starts": {"n": len(est.starts), "agreeing": est.agreeing,
                       "fits": [start.to_dict() for start in est.starts]},
        }

    def summary_lines(self) -> list[str]:
        """The log-likelihood, how many starts reached it, and a warning line when the fit is
        integrated."""
        est = self.estimate
        others = [f"{f.start}: {f.loglikelihood:.3f}" for f in est.starts
                  if f.converged and f.loglikelihood < est.loglikelihood - 1e-3]
        lines = [f"  log-likelihood {est.loglikelihood:.3f} (percent returns), the best of "
                 f"{len(est.starts)} starting points; {est.agreeing} reached it"
                 + (f" (others stopped at {', '.join(others)})" if others else "")]
        if est.integrated:
            lines.append(f"  warning: a + b = {est.persistence:.4f}, an integrated GARCH: its variance "
                         "forecasts grow with the horizon")
        return lines

    def null_residuals(self) -> pd.Series:
        """Standardised residuals :math:`\\hat\\varepsilon_t / \\sqrt{h_t}` for the
        sample-quantile test: scaled by :meth:`null_weights`, they have each event day's
        conditional variance."""
        return (self.residuals / np.sqrt(self.conditional_variance)).rename("standardised")

    def null_weights(self, data: pd.DataFrame) -> np.ndarray:
        """The forecast standard deviation :math:`\\sqrt{h_{T+k}}` of each row of ``data``."""
        return np.sqrt(self.forecast(data))


def _param_series(est: GarchEstimate) -> pd.Series:
    values = {"alpha": est.alpha, "beta": est.beta, "omega": est.omega,
              "alpha[1]": est.arch, "beta[1]": est.garch}
    if not np.isnan(est.nu):
        values["nu"] = est.nu
    return pd.Series(values, dtype=float)


def fit_garch_model(model: ExpectedReturnModel, returns: pd.Series, data: pd.DataFrame) -> GarchFit:
    """Fit :class:`~eventstudy.models.linear.GarchMarketModel` on one estimation window.

    ``data`` has the columns ``market`` and ``session`` (trading-day numbers, from
    :func:`eventstudy.engine.single.model_data`) on the dates of ``returns``.

    Raises
    ------
    DataError
        When the optimiser does not converge (its message is in the error).
    """
    dist = str(getattr(model, "dist", "normal"))
    est = estimate_garch(returns.to_numpy(dtype=float), data["market"].to_numpy(dtype=float), dist)
    if not est.converged:
        raise DataError(
            f"estimation: the {model.label} did not converge on {returns.name or 'the stock'!s}'s "
            f"{len(returns)} estimation returns: {est.message}; try another estimation window "
            "or model"
        )
    if est.integrated:
        warnings.warn(integrated_message(1, 1, str(returns.name or "the stock")),
                      IntegratedGarchWarning, stacklevel=4)
    df = len(returns) - est.n_params
    return GarchFit(
        model=model,
        params=_param_series(est),
        sigma=float(np.sqrt(est.residuals @ est.residuals / df)),
        df=df,
        nobs=len(returns),
        residuals=pd.Series(est.residuals, index=returns.index, name="residual"),
        xtx_inv=np.empty((0, 0)),
        tss=float(((returns - returns.mean()) ** 2).sum()),
        estimate=est,
        conditional_variance=pd.Series(est.variance, index=returns.index, name="variance"),
        last_session=int(data["session"].iloc[-1]),
    )


def integrated_message(count: int, total: int, name: str = "") -> str:
    """The warning for ``count`` of ``total`` fits with :math:`a + b \\ge` :data:`INTEGRATED`."""
    which = (f"the GARCH fit of {name}" if total == 1
             else f"{count} of {total} GARCH fits")
    return (f"{which} {'is' if count == 1 else 'are'} integrated (a + b >= {INTEGRATED}): the "
            "variance forecasts grow without bound over the event window, so the standard errors "
            "of the later days and of the CAR are large; consider another estimation window or "
            "model")


class GarchMarketModel(MarketModel):
    r"""Market model with GARCH(1,1) errors, fitted by maximum likelihood (normal errors).

    .. math:: R_t = \alpha + \beta R_{m,t} + \varepsilon_t, \qquad
              \varepsilon_t = \sqrt{h_t}\, z_t, \qquad
              h_t = \omega + a\, \varepsilon_{t-1}^2 + b\, h_{t-1}

    (Bollerslev 1986, *J. Econometrics* 31(3)). The fit, the conditional-variance forecasts
    that give the abnormal returns' standard errors and the multi-event tools live in
    :mod:`eventstudy.models.garch`; the ``arch`` package does the estimation.
    """

    name = "garch"
    label = "market model with GARCH(1,1) errors"
    #: Parameters of the mean (the design's columns); the fit adds ``omega``, ``alpha[1]``,
    #: ``beta[1]`` (and ``nu`` for Student's t) to ``FittedModel.params``.
    param_names = ("alpha", "beta")
    #: ``session`` numbers the trading days, so forecasts know their horizon.
    columns = ("market", "session")
    #: Error distribution passed to ``arch``: ``"normal"`` or ``"t"``.
    dist: ClassVar[str] = "normal"

    @property
    def min_observations(self) -> int:
        return MIN_GARCH_OBSERVATIONS

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        """Fit by maximum likelihood with ``arch``; see :func:`eventstudy.models.garch.fit_garch_model`."""
        self._check_inputs(returns, data)
        return fit_garch_model(self, returns, data)


class GarchTMarketModel(GarchMarketModel):
    """:class:`GarchMarketModel` with standardised Student's t errors (``nu`` estimated)."""

    name = "garch_t"
    label = "market model with GARCH(1,1) Student-t errors"
    dist = "t"
