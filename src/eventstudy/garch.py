r"""The market model with GARCH(1,1) errors: one event, many events, and the Savickas test.

Model
-----
Over the estimation window the stock's return follows the market model with GARCH(1,1) errors
(Bollerslev 1986),

.. math:: R_t = \alpha + \beta R_{m,t} + \varepsilon_t, \qquad \varepsilon_t = \sqrt{h_t}\, z_t,
          \qquad h_t = \omega + a\, \varepsilon_{t-1}^2 + b\, h_{t-1},

with :math:`z_t` i.i.d. standard normal (``dist="normal"``, model ``garch``) or standardised
Student's t with :math:`\nu` degrees of freedom (``dist="t"``, model ``garch_t``). All
parameters are estimated jointly by maximum likelihood with the ``arch`` package
(``arch.arch_model(y, x=market, mean="LS", vol="GARCH", p=1, q=1, dist=...)``, SLSQP, the
variance recursion started from ``arch``'s backcast). The fit runs on returns in percent (the
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

Many events and the Savickas test
---------------------------------
:func:`garch_events` fits one GARCH per event (the events placed and screened exactly as in
:func:`eventstudy.batch.batch_event_study`); :func:`savickas` tests the mean of the abnormal
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
- Sheppard, K. et al. ``arch``: ARCH models in Python, https://arch.readthedocs.io.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.models import ExpectedReturnModel, FittedModel
from eventstudy.progress import progress_bar

if TYPE_CHECKING:
    from eventstudy.statistics import TestStatistic

#: Fewest estimation returns a GARCH(1,1) fit accepts.
MIN_GARCH_OBSERVATIONS = 100
#: Returns are multiplied by this before the fit (percent), the scale arch's optimiser expects.
SCALE = 100.0
#: Error distributions, as ``arch`` names them.
DISTRIBUTIONS = ("normal", "t")


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
        Whether the optimiser reported success; ``message`` is what it said.
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

    @property
    def n_params(self) -> int:
        """Estimated parameters :math:`K` (5, or 6 with :math:`\\nu`)."""
        return 5 if np.isnan(self.nu) else 6


def check_dist(dist: str) -> str:
    """Validate the error distribution (``"normal"`` or ``"t"``)."""
    if dist not in DISTRIBUTIONS:
        raise ParameterError("dist", dist, f"choose one of {', '.join(DISTRIBUTIONS)}")
    return dist


def estimate_garch(returns: np.ndarray, market: np.ndarray, dist: str = "normal") -> GarchEstimate:
    """Fit the GARCH(1,1) market model by maximum likelihood with ``arch``.

    Parameters
    ----------
    returns, market
        Estimation-window returns of the stock and the market (decimals, finite, same length).
    dist
        ``"normal"`` or ``"t"``.

    Returns
    -------
    GarchEstimate
        In decimals; ``converged`` is False (with the optimiser's message) when SLSQP did not
        report success. The caller decides whether that is an error.
    """
    from arch import arch_model

    model = arch_model(
        np.asarray(returns, dtype=float) * SCALE,
        x=np.asarray(market, dtype=float)[:, None] * SCALE,
        mean="LS", vol="GARCH", p=1, q=1, dist=check_dist(dist), rescale=False,  # type: ignore[arg-type]
    )
    with warnings.catch_warnings():  # arch's fit changes the global warning filters
        warnings.simplefilter("ignore")
        res = model.fit(disp="off", show_warning=False)
    params = res.params.to_numpy()
    opt = res.optimization_result
    one_step = res.forecast(horizon=1, x={"x0": np.zeros((1, 1))}, reindex=False)
    return GarchEstimate(
        alpha=float(params[0]) / SCALE,
        beta=float(params[1]),
        omega=float(params[2]) / SCALE**2,
        arch=float(params[3]),
        garch=float(params[4]),
        nu=float(params[5]) if dist == "t" else float("nan"),
        residuals=np.asarray(res.resid, dtype=float) / SCALE,
        variance=np.asarray(res.conditional_volatility, dtype=float) ** 2 / SCALE**2,
        next_variance=float(one_step.variance.to_numpy()[0, 0]) / SCALE**2,
        converged=bool(res.convergence_flag == 0),
        message=f"{opt.message} (SLSQP status {opt.status})",
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


def _param_series(est: GarchEstimate) -> pd.Series:
    values = {"alpha": est.alpha, "beta": est.beta, "omega": est.omega,
              "alpha[1]": est.arch, "beta[1]": est.garch}
    if not np.isnan(est.nu):
        values["nu"] = est.nu
    return pd.Series(values, dtype=float)


def fit_garch_model(model: ExpectedReturnModel, returns: pd.Series, data: pd.DataFrame) -> GarchFit:
    """Fit :class:`~eventstudy.models.GarchMarketModel` on one estimation window.

    ``data`` has the columns ``market`` and ``session`` (trading-day numbers, from
    :func:`eventstudy.study.model_data`) on the dates of ``returns``.

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


# --------------------------------------------------------------------------------------------
# Many events
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GarchEvents:
    r"""Per-event results of :func:`garch_events`, one row per row of the events table.

    Rows of events not studied hold ``NaN`` (``-1`` in ``nobs`` and ``df``) and the reason.

    Attributes
    ----------
    securities, event_dates, day0
        ``(N,)`` as given, and day 0 (``NaT`` when it could not be placed).
    reason
        ``(N,)`` why the event was not studied (``""`` when it was): the batch engine's reasons,
        or the GARCH optimiser's message.
    nobs, df
        ``(N,)`` estimation returns :math:`L` and :math:`L - K`.
    params
        ``(N, K)`` columns :attr:`param_names`: ``alpha``, ``beta``, ``omega``, ``alpha[1]``,
        ``beta[1]`` (and ``nu`` for ``dist="t"``), in decimals.
    realised, abnormal, se, t, p
        ``(N, T)`` over the event window (column ``j`` is ``rel_days[j]``); ``se`` is the
        conditional standard deviation :math:`\sqrt{h_{T+k}}` of each day's abnormal return.
    car, car_se, car_t, car_p
        ``(N,)`` over ``car_window``: :math:`\sum AR`, :math:`\sqrt{\sum h}`, t and p.
    residuals
        ``(N, L)`` estimation-window residuals by relative day (``NaN`` where missing).
    """

    rel_days: list[int]
    car_window: Window
    dist: str
    param_names: tuple[str, ...]
    securities: np.ndarray
    event_dates: np.ndarray
    day0: np.ndarray
    reason: np.ndarray
    nobs: np.ndarray
    df: np.ndarray
    params: np.ndarray
    realised: np.ndarray
    abnormal: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    car: np.ndarray
    car_se: np.ndarray
    car_t: np.ndarray
    car_p: np.ndarray
    residuals: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """``(N,)`` True for the events studied."""
        return self.reason == ""

    @property
    def n_events(self) -> int:
        return int(self.ok.sum())

    @property
    def skipped(self) -> pd.DataFrame:
        """Events not studied: ``security``, ``event_date``, ``reason``."""
        rows = np.flatnonzero(~self.ok)
        return pd.DataFrame(
            {"security": self.securities[rows], "event_date": self.event_dates[rows],
             "reason": self.reason[rows]},
            index=pd.Index(rows, name="event"),
        )

    def frame(self) -> pd.DataFrame:
        """Per studied event: security, event_date, day0, nobs, df, parameters, CAR, se, t, p."""
        rows = np.flatnonzero(self.ok)
        data: dict[str, Any] = {
            "security": self.securities[rows], "event_date": self.event_dates[rows],
            "day0": self.day0[rows], "nobs": self.nobs[rows], "df": self.df[rows],
        }
        data.update({name: self.params[rows, j] for j, name in enumerate(self.param_names)})
        data.update({"car": self.car[rows], "car_se": self.car_se[rows],
                     "car_t": self.car_t[rows], "car_p": self.car_p[rows]})
        return pd.DataFrame(data, index=pd.Index(rows, name="event"))

    def test_inputs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`eventstudy.statistics.multi_event_tests` for the studied
        events, as :meth:`eventstudy.batch.BatchResult.test_inputs` gives them: the GARCH
        conditional sds stand for the prediction-error sds, so BMP and Patell standardise by
        them."""
        rows = np.flatnonzero(self.ok)
        return {
            "abnormal": self.abnormal[rows], "abnormal_sd": self.se[rows], "car_sd": self.car_se[rows],
            "residuals": self.residuals[rows], "df": self.df[rows], "rel_days": self.rel_days,
            "window": (self.car_window.start, self.car_window.end), "event_dates": self.day0[rows],
        }

    def savickas(self) -> list[TestStatistic]:
        """The Savickas (2003) test of the studied events (see :func:`savickas`)."""
        rows = np.flatnonzero(self.ok)
        return savickas(self.abnormal[rows], self.se[rows], self.car_se[rows], self.rel_days,
                        (self.car_window.start, self.car_window.end))


def garch_events(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    market: pd.Series | str,
    *,
    estimation: tuple[int, int] | Window = (-250, -11),
    window: tuple[int, int] | Window = (-1, 1),
    car_window: tuple[int, int] | Window | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    dist: str = "normal",
    non_session: str = "next",
    progress: bool | None = None,
) -> GarchEvents:
    """One GARCH(1,1) market model per event, with the inputs of
    :func:`eventstudy.batch.batch_event_study`.

    Parameters
    ----------
    returns
        Simple returns, dates x securities.
    events
        Table with ``security`` (or ``ticker``) and ``event_date`` columns.
    market
        The market's returns (Series) or the name of a column of ``returns``; its dates are the
        trading days.
    estimation, window, car_window, level, min_estimation, non_session
        As for :func:`~eventstudy.batch.batch_event_study` (the estimation window must end
        before the event window starts, and hold at least :data:`MIN_GARCH_OBSERVATIONS`
        days).
    dist
        ``"normal"`` (model ``garch``) or ``"t"`` (model ``garch_t``).
    progress
        tqdm progress bar on stderr over the fits; ``None``: only when stderr is a terminal.

    Returns
    -------
    GarchEvents
        Per-event arrays in the order of ``events``.

    Notes
    -----
    Events are placed and screened by the batch engine run with the market model (same day 0,
    same reasons for skipping, same ``min_estimation`` rule), then each studied event gets its
    own maximum-likelihood fit (one ``arch`` fit per event: the only per-event loop, and what
    the time is spent on; ``benchmarks/bench_garch.py`` measures it). A fit that does not
    converge skips its event with the optimiser's message. The forecasts, abnormal returns
    and CARs are then computed for all events at once (see the module docstring).
    """
    from scipy import stats

    from eventstudy.batch import batch_event_study
    from eventstudy.study import EventStudy

    study = EventStudy(model="garch_t" if check_dist(dist) == "t" else "garch",
                       estimation=estimation, window=window, level=level,
                       min_estimation=min_estimation)
    est, win = study.estimation, study.window
    if est.end >= win.start:
        raise ParameterError("estimation", (est.start, est.end),
                             f"GARCH forecasts run forward: end before the event window {win}")
    placed = batch_event_study(returns, events, market, model="market", estimation=est,
                               window=win, car_window=car_window, level=level,
                               min_estimation=study.min_estimation, non_session=non_session,
                               progress=False)
    caar = placed.car_window
    market_series = returns[market] if isinstance(market, str) else market
    market_series = market_series.dropna().astype(float)
    dates = pd.DatetimeIndex(market_series.index)
    values = returns.reindex(dates).to_numpy(dtype=float)
    x = market_series.to_numpy()

    n, n_days = len(placed), len(win)
    names = study.model.param_names + ("omega", "alpha[1]", "beta[1]") + (("nu",) if dist == "t" else ())
    reason = np.full(n, "", dtype=object)
    skipped = placed.skipped
    reason[skipped.index.to_numpy()] = skipped["reason"].to_numpy()
    # day 0's row on the market's dates and the security's column, for the events placed
    pos = np.zeros(n, dtype=np.int64)
    col = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(placed.ok)
    pos[rows] = dates.searchsorted(pd.DatetimeIndex(placed.day0[rows]))
    col[rows] = pd.Index(returns.columns).get_indexer(placed.securities[rows])
    est_offsets = np.arange(est.start, est.end + 1)

    params = np.full((n, len(names)), np.nan)
    residuals = np.full((n, len(est)), np.nan)
    nobs = np.full(n, -1, dtype=np.int64)
    next_variance = np.full(n, np.nan)
    origin = np.zeros(n, dtype=np.int64)  # row of the last estimation return (forecast origin)
    with progress_bar(len(rows), desc="GARCH fits", enabled=progress, unit="event") as bar:
        for i in rows:  # one maximum-likelihood fit per event
            days = pos[i] + est_offsets
            y = values[days, col[i]]
            keep = np.isfinite(y)
            fit = estimate_garch(y[keep], x[days[keep]], dist)
            bar.update(1)
            nobs[i] = int(keep.sum())
            if not fit.converged:
                reason[i] = f"estimation: the {study.model.label} did not converge: {fit.message}"
                continue
            params[i] = [fit.alpha, fit.beta, fit.omega, fit.arch, fit.garch] + (
                [fit.nu] if dist == "t" else [])
            residuals[i, keep] = fit.residuals
            next_variance[i] = fit.next_variance
            origin[i] = days[keep][-1]

    ok = reason == ""
    df = np.where(ok, nobs - len(names), -1)
    out: dict[str, np.ndarray] = {
        name: np.full((n, n_days), np.nan) for name in ("realised", "abnormal", "se", "t", "p")
    }
    out.update({name: np.full(n, np.nan) for name in ("car", "car_se", "car_t", "car_p")})
    studied = np.flatnonzero(ok)
    if len(studied):  # every studied event at once
        coef = params[studied]
        event_days = pos[studied][:, None] + np.array(list(win.days))[None, :]
        h = variance_forecasts(coef[:, 2], coef[:, 3], coef[:, 4], next_variance[studied],
                               event_days - origin[studied][:, None])
        realised = values[event_days, col[studied][:, None]]
        abnormal = realised - (coef[:, [0]] + coef[:, [1]] * x[event_days])
        t = abnormal / np.sqrt(h)
        dfs = df[studied].astype(float)
        cols = np.arange(caar.start - win.start, caar.end - win.start + 1)
        car_value, car_se = abnormal[:, cols].sum(axis=1), np.sqrt(h[:, cols].sum(axis=1))
        for name, value in (("realised", realised), ("abnormal", abnormal), ("se", np.sqrt(h)),
                            ("t", t), ("p", 2.0 * stats.t.sf(np.abs(t), dfs[:, None])),
                            ("car", car_value), ("car_se", car_se), ("car_t", car_value / car_se),
                            ("car_p", 2.0 * stats.t.sf(np.abs(car_value / car_se), dfs))):
            out[name][studied] = value
    return GarchEvents(
        rel_days=list(win.days), car_window=caar, dist=dist, param_names=names,
        securities=placed.securities, event_dates=placed.event_dates, day0=placed.day0,
        reason=reason, nobs=nobs, df=df, params=params, residuals=residuals, **out,
    )


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

    from eventstudy.statistics import TestStatistic

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
