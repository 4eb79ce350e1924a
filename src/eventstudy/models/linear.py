r"""Expected-return models, fitted on the estimation window.

Every model here is linear: over the estimation window of length :math:`L` it regresses a
target :math:`y = R - o` (the stock return less a known offset :math:`o`) on a design matrix
:math:`X` (:math:`L \times k`) by ordinary least squares,

.. math:: \hat b = (X'X)^{-1} X'y, \qquad s^2 = \frac{\hat e'\hat e}{L - k},

and predicts the event-window returns as :math:`E[R^*] = o^* + X^*\hat b`. The abnormal
returns :math:`AR = R^* - E[R^*]` then have the covariance (prediction error included)

.. math:: V = s^2 \left(I + X^* (X'X)^{-1} X^{*\prime}\right)

with :math:`L - k` degrees of freedom (Campbell, Lo & MacKinlay 1997, *The Econometrics of
Financial Markets*, ch. 4, eqs. 4.4.7-4.4.8 and 4.4.13; MacKinlay 1997, *J. Econ. Lit.* 35(1)).

Adding a model means writing its design matrix and offset; see :class:`MarketModel`.

One model is not linear in that sense: :class:`GarchMarketModel` keeps the market model's mean
but fits it by maximum likelihood with GARCH(1,1) errors, and its :math:`V` is the diagonal of
conditional-variance forecasts (:mod:`eventstudy.models.garch`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, ParameterError

#: A residual variance at most this many units of rounding times the target's mean square
#: :math:`\sum y^2 / df` is an exact fit (:func:`exact_fit`).
EXACT_FIT = 64.0 * np.finfo(float).eps

#: A Cholesky pivot of the centred regressor cross-product at most this fraction of the
#: regressor's uncentred sum of squares makes the design singular (:func:`singular_designs`).
SINGULAR_PIVOT = 1e-14


def singular_designs(centred: np.ndarray, squares: np.ndarray) -> np.ndarray:
    r"""Which designs are singular: one rule for the single path and the batch engine.

    Parameters
    ----------
    centred
        ``(n, q, q)`` centred cross-products :math:`Q = \sum (x - \bar x)(x - \bar x)'` of the
        ``q`` regressors other than the intercept, one matrix per design.
    squares
        ``(n, q)`` uncentred sums of squares :math:`\sum x_j^2` of the same regressors.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` booleans: true when a pivot :math:`d_j` of the Cholesky factorisation of
        :math:`Q` (the variance of regressor :math:`j` left after the ones before it) is at most
        :data:`SINGULAR_PIVOT` times :math:`\sum x_j^2`. A regressor constant over the window
        (its centred square is rounding, of order :math:`10^{-32} \sum x_j^2`) or a linear
        combination of the others is caught; ordinary returns have :math:`d_j / \sum x_j^2`
        of order one. Comparing with the uncentred sum makes the rule independent of the
        regressor's scale and immune to the rounding left by centring a constant (Golub & Van
        Loan 2013, *Matrix Computations*, 4th ed., sec. 4.2.8, on pivots as a rank test).
    """
    centred = np.asarray(centred, dtype=float)
    squares = np.asarray(squares, dtype=float)
    n, q, _ = centred.shape
    singular = np.zeros(n, dtype=bool)
    chol = np.zeros_like(centred)
    for j in range(q):
        pivot = centred[:, j, j] - np.einsum("ik,ik->i", chol[:, j, :j], chol[:, j, :j])
        singular |= ~(pivot > SINGULAR_PIVOT * np.abs(squares[:, j]))
        root = np.sqrt(np.where(singular, 1.0, pivot))
        chol[:, j, j] = root
        for i in range(j + 1, q):
            off = centred[:, i, j] - np.einsum("ik,ik->i", chol[:, i, :j], chol[:, j, :j])
            chol[:, i, j] = off / root
    return singular


def singular_design(regressors: np.ndarray) -> bool:
    """:func:`singular_designs` for one ``(L, q)`` matrix of regressors (intercept left out)."""
    x = np.asarray(regressors, dtype=float)
    if x.shape[1] == 0:
        return False
    d = x - x.mean(axis=0)
    return bool(singular_designs((d.T @ d)[None], (x * x).sum(axis=0)[None])[0])


def exact_fit(
    s2: np.ndarray | float, sum_y2: np.ndarray | float, df: np.ndarray | int
) -> np.ndarray:
    r"""Which fits are exact: :math:`s^2 \le` :data:`EXACT_FIT` :math:`\cdot |\sum y^2| / df`.

    ``y`` is the regression's target (the return less the model's offset), uncentred, so a
    constant non-zero return (residuals of rounding size around its mean) is exact too. Then the
    residual variance is rounding, and abnormal returns cannot be tested against it. One rule for
    the single path and the batch engine; NaN counts as exact (nothing to test against).
    """
    s2, sum_y2 = np.asarray(s2, dtype=float), np.asarray(sum_y2, dtype=float)
    return ~(s2 > EXACT_FIT * np.abs(sum_y2) / np.maximum(df, 1))


@dataclass(frozen=True)
class FittedModel:
    """A model fitted on one estimation window.

    Attributes
    ----------
    model
        The model that was fitted.
    params
        Estimated coefficients, named (``alpha``, ``beta``, ``mu``); empty for market-adjusted.
    sigma
        Residual standard deviation :math:`s`.
    df
        Residual degrees of freedom.
    nobs
        Number of estimation returns :math:`L`.
    residuals
        Estimation-window residuals, indexed by date.
    xtx_inv
        :math:`(X'X)^{-1}`, :math:`k \\times k` (0 x 0 when nothing is estimated).
    tss
        Total sum of squares of the regression target :math:`y = R - o` about its mean,
        :math:`\\sum (y_t - \\bar y)^2`.

    The statsmodels names are there too: ``resid``, ``rsquared``, ``bse``, ``tvalues``,
    ``pvalues`` (checked against ``statsmodels.api.OLS`` in ``tests/models/test_models.py``).
    """

    model: ExpectedReturnModel
    params: pd.Series
    sigma: float
    df: int
    nobs: int
    residuals: pd.Series
    xtx_inv: np.ndarray
    tss: float

    @property
    def resid(self) -> pd.Series:
        """The estimation-window residuals (statsmodels' name for :attr:`residuals`)."""
        return self.residuals

    @property
    def rsquared(self) -> float:
        r"""Coefficient of determination :math:`R^2 = 1 - \sum \hat e_t^2 / \sum (y_t - \bar y)^2`.

        For the market-adjusted model, which estimates nothing, the residual is :math:`y` itself,
        so :math:`R^2 = -L \bar y^2 / \sum (y_t - \bar y)^2 \le 0`.
        """
        if not self.tss > 0:
            raise DataError("rsquared: the target is constant over the estimation window; R^2 is undefined")
        ssr = float(self.residuals.to_numpy() @ self.residuals.to_numpy())
        return 1.0 - ssr / self.tss

    @property
    def bse(self) -> pd.Series:
        r"""Standard errors of the coefficients, :math:`s \sqrt{\mathrm{diag}((X'X)^{-1})}`.

        For the Scholes-Williams model this is the convention of its variance (the market model's
        :math:`(X'X)^{-1}`), not a standard error derived for its estimator.
        """
        return pd.Series(self.sigma * np.sqrt(np.diag(self.xtx_inv)), index=self.params.index, dtype=float)

    @property
    def tvalues(self) -> pd.Series:
        """t statistics of the coefficients, ``params / bse``."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the coefficients from Student's t with ``df`` degrees of freedom."""
        from scipy import stats

        return pd.Series(2.0 * stats.t.sf(np.abs(self.tvalues.to_numpy()), self.df), index=self.params.index)

    def expected(self, data: pd.DataFrame) -> np.ndarray:
        """Expected returns :math:`o^* + X^* \\hat b` on the rows of ``data``."""
        return self.model.offset(data) + self.model.design(data) @ self.params.to_numpy()

    def abnormal_covariance(self, data: pd.DataFrame) -> np.ndarray:
        """Covariance :math:`V = s^2 (I + X^* (X'X)^{-1} X^{*\\prime})` of the ARs on ``data``."""
        design = self.model.design(data)
        estimation_error = design @ self.xtx_inv @ design.T
        symmetric = (estimation_error + estimation_error.T) / 2.0  # exact symmetry, not to rounding
        return self.sigma**2 * (np.eye(len(data)) + symmetric)

    def null_residuals(self) -> pd.Series:
        """The residuals the sample-quantile test takes its null distribution from
        (:mod:`eventstudy.inference.sample_quantile`): the estimation-window residuals."""
        return self.residuals

    def estimation_details(self) -> dict[str, Any]:
        """What the fit adds to the JSON's ``estimation`` object besides ``params`` (nothing for
        OLS; the GARCH fits add their log-likelihood and starting points)."""
        return {}

    def summary_lines(self) -> list[str]:
        """Lines the fit adds to the text report under its parameters (none for OLS)."""
        return []

    def null_weights(self, data: pd.DataFrame) -> np.ndarray:
        """The weight of each row of ``data`` (event-window days) in the sample-quantile test's
        null sums: 1 for the linear models, whose residuals share one variance."""
        return np.ones(len(data))


class ExpectedReturnModel(ABC):
    """A linear expected-return model: a design matrix and an offset built from the market data."""

    #: Name used in the API, the command line and JSON.
    name: ClassVar[str]
    #: Human-readable name for tables and charts.
    label: ClassVar[str]
    #: Names of the estimated coefficients, in the order of the design matrix's columns.
    param_names: ClassVar[tuple[str, ...]]
    #: Columns of the market data the model reads (``market``, ``market_lag1``, ``market_lead1``,
    #: or French factor columns such as ``Mkt-RF`` and ``RF``, in decimals).
    columns: ClassVar[tuple[str, ...]] = ("market",)
    #: Kenneth French data sets the model needs (names of :func:`eventstudy.data.snapshot.load_factors`).
    factor_sets: ClassVar[tuple[str, ...]] = ()
    #: Whether expected returns depend on the study's market series. When not (constant-mean and
    #: the Fama-French/Carhart factor models), the market series only supplies the trading days.
    uses_market: ClassVar[bool] = True

    @abstractmethod
    def design(self, data: pd.DataFrame) -> np.ndarray:
        """Design matrix :math:`X` (rows of ``data`` x ``len(param_names)``)."""

    def offset(self, data: pd.DataFrame) -> np.ndarray:
        """Known part of the expected return (zero unless the model says otherwise)."""
        return np.zeros(len(data))

    @property
    def min_observations(self) -> int:
        """Fewest estimation returns that leave at least one residual degree of freedom."""
        return len(self.param_names) + 1

    def regressors(self, data: pd.DataFrame) -> np.ndarray:
        """The design's columns other than the intercept (the first column of every design)."""
        return self.design(data)[:, 1:]

    def degenerate(self, data: pd.DataFrame) -> str | None:
        """Why the model cannot be fitted on ``data`` (a singular design), or ``None``.

        See :func:`singular_designs` for the rule, shared with the batch engine.
        """
        if singular_design(self.regressors(data)):
            names = ", ".join(self.columns)
            return (
                f"the {self.label}'s regressors ({names}) are constant or collinear over the "
                "estimation window, so its coefficients are not identified"
            )
        return None

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        """Fit by OLS on the estimation window.

        Parameters
        ----------
        returns
            Stock returns over the estimation window, indexed by date.
        data
            Market data on the same dates (column ``market``: the market return).

        Raises
        ------
        DataError
            On missing inputs, too few returns, or a singular design (:meth:`degenerate`).
        """
        self._check_inputs(returns, data)
        design = self.design(data)
        target = returns.to_numpy() - self.offset(data)
        # QR keeps (X'X)^-1 accurate: X = QR gives (X'X)^-1 = R^-1 R^-T. R is k x k upper
        # triangular (k <= 6): numpy's solve is the back substitution here, and costs
        # microseconds where scipy.linalg.solve_triangular's checks cost about a millisecond.
        q, r = np.linalg.qr(design, mode="reduced")
        coef = np.linalg.solve(r, q.T @ target)
        r_inv = np.linalg.solve(r, np.eye(r.shape[0]))
        residuals = target - design @ coef
        df = len(returns) - len(self.param_names)
        return FittedModel(
            model=self,
            params=pd.Series(coef, index=list(self.param_names), dtype=float),
            sigma=float(np.sqrt(residuals @ residuals / df)),
            df=df,
            nobs=len(returns),
            residuals=pd.Series(residuals, index=returns.index, name="residual"),
            xtx_inv=r_inv @ r_inv.T,
            tss=_centred_sum_of_squares(target),
        )

    def _check_inputs(self, returns: pd.Series, data: pd.DataFrame) -> None:
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            raise ParameterError(
                "data", sorted(data.columns), f"the {self.label} needs the columns {list(self.columns)}"
            )
        if len(returns) < self.min_observations:
            raise DataError(
                f"estimation: {len(returns)} returns are too few for the {self.label}; "
                f"it needs at least {self.min_observations}"
            )
        if not returns.index.equals(data.index):
            raise DataError("estimation: stock and market returns are not on the same dates")
        if returns.isna().any() or data[list(self.columns)].isna().any().any():
            raise DataError("estimation: missing returns in the estimation window")
        reason = self.degenerate(data)
        if reason is not None:
            raise DataError(f"estimation: {reason}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ConstantMean(ExpectedReturnModel):
    r"""Constant-mean-return model: :math:`R_t = \mu + \varepsilon_t`.

    :math:`X` is a column of ones, so :math:`V = s^2 (I + \mathbf{1}\mathbf{1}'/L)` and
    :math:`s^2 = \sum (R_t - \bar R)^2 / (L-1)` (Campbell, Lo & MacKinlay 1997, sec. 4.4.1).
    """

    name = "constant_mean"
    uses_market = False
    label = "constant-mean model"
    param_names = ("mu",)

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.ones((len(data), 1))


class MarketModel(ExpectedReturnModel):
    r"""Market model: :math:`R_t = \alpha + \beta R_{m,t} + \varepsilon_t` (OLS).

    The AR variance on day :math:`t` is
    :math:`s^2 \left(1 + 1/L + (R_{m,t} - \bar R_m)^2 / \sum (R_m - \bar R_m)^2\right)`
    with :math:`s^2 = SSR / (L-2)` (Campbell, Lo & MacKinlay 1997, eq. 4.4.8).
    """

    name = "market"
    label = "market model"
    param_names = ("alpha", "beta")

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(data)), data["market"].to_numpy()])


class OffsetOnlyModel(ExpectedReturnModel):
    r"""A model with nothing to estimate: the expected return is its :meth:`offset` (the market's
    return, the peers' mean), fitted by :func:`offset_only_fit` (:attr:`fit_class` says what the
    fit reports)."""

    param_names = ()
    #: The fitted model's class (a subclass of FittedModel may report more, e.g. the peers).
    fit_class: ClassVar[type[FittedModel]] = FittedModel

    @property
    def min_observations(self) -> int:
        return 2

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.empty((len(data), 0))

    def regressors(self, data: pd.DataFrame) -> np.ndarray:
        return np.empty((len(data), 0))

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        return offset_only_fit(self, returns, data, self.fit_class)


class MarketAdjusted(OffsetOnlyModel):
    r"""Market-adjusted returns: :math:`E[R_t] = R_{m,t}`, nothing estimated.

    :math:`s^2` is the sample variance (ddof 1) of :math:`R - R_m` over the estimation window,
    :math:`V = s^2 I`, with :math:`L - 1` degrees of freedom (Brown & Warner 1985,
    *J. Financ. Econ.* 14(1), "market adjusted returns"; Campbell, Lo & MacKinlay 1997, sec. 4.3).
    """

    name = "market_adjusted"
    label = "market-adjusted model"

    def offset(self, data: pd.DataFrame) -> np.ndarray:
        return data["market"].to_numpy()


def offset_only_fit(model: ExpectedReturnModel, returns: pd.Series, data: pd.DataFrame,
                    fit_class: type[FittedModel] = FittedModel) -> FittedModel:
    r"""The fit of a model with nothing to estimate, whose expected return is its offset (the
    market's return, the peers' mean): residuals :math:`R_t - \text{offset}_t`, :math:`s^2` their
    sample variance (:math:`L - 1` degrees of freedom), no parameters. ``fit_class`` lets a model
    report more (the peers of :class:`~eventstudy.models.peers.PeersModel`)."""
    model._check_inputs(returns, data)
    excess = returns.to_numpy() - model.offset(data)
    return fit_class(
        model=model,
        params=pd.Series([], index=[], dtype=float),
        sigma=float(np.std(excess, ddof=1)),
        df=len(returns) - 1,
        nobs=len(returns),
        residuals=pd.Series(excess, index=returns.index, name="residual"),
        xtx_inv=np.empty((0, 0)),
        tss=_centred_sum_of_squares(excess),
    )


class _ExcessReturnModel(ExpectedReturnModel):
    r"""Factor models: :math:`R_t - RF_t = \alpha + \sum_j b_j F_{j,t} + \varepsilon_t`.

    The target is the excess return over the risk-free rate, the offset is :math:`RF_t`, so the
    expected raw return is :math:`RF_t + \hat\alpha + \sum_j \hat b_j F_{j,t}`.
    """

    #: Factor columns, in the order of ``param_names[1:]``.
    factor_columns: ClassVar[tuple[str, ...]]

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(data)), self._factors(data)])

    def _factors(self, data: pd.DataFrame) -> np.ndarray:
        return data[list(self.factor_columns)].to_numpy()

    def offset(self, data: pd.DataFrame) -> np.ndarray:
        return data["RF"].to_numpy()


class CAPM(_ExcessReturnModel):
    r"""Excess-return market model (CAPM form): :math:`R_t - RF_t = \alpha + \beta (R_{m,t} - RF_t)`.

    :math:`R_m` is the study's market series and :math:`RF` the daily risk-free rate of French's
    3-factor file. OLS, :math:`L-2` degrees of freedom (Campbell, Lo & MacKinlay 1997, sec. 4.3;
    Sharpe 1964, *J. Finance* 19(3)).
    """

    name = "capm"
    label = "CAPM excess-return market model"
    param_names = ("alpha", "beta")
    columns = ("market", "RF")
    factor_sets = ("ff3",)
    factor_columns = ()

    def _factors(self, data: pd.DataFrame) -> np.ndarray:
        return (data["market"] - data["RF"]).to_numpy()[:, None]


class FamaFrench3(_ExcessReturnModel):
    r"""Fama-French three-factor model: excess return on ``Mkt-RF``, ``SMB`` and ``HML``.

    Fama & French (1993), *J. Financ. Econ.* 33(1). Factors from French's daily file, divided by
    100; :math:`L-4` degrees of freedom.
    """

    name = "ff3"
    uses_market = False
    label = "Fama-French 3-factor model"
    param_names = ("alpha", "mkt_rf", "smb", "hml")
    factor_columns = ("Mkt-RF", "SMB", "HML")
    columns = (*factor_columns, "RF")
    factor_sets = ("ff3",)


class Carhart4(_ExcessReturnModel):
    r"""Carhart four-factor model: the three Fama-French factors and momentum (``Mom``).

    Carhart (1997), *J. Finance* 52(1); :math:`L-5` degrees of freedom.
    """

    name = "carhart"
    uses_market = False
    label = "Carhart 4-factor model"
    param_names = ("alpha", "mkt_rf", "smb", "hml", "mom")
    factor_columns = ("Mkt-RF", "SMB", "HML", "Mom")
    columns = (*factor_columns, "RF")
    factor_sets = ("ff3", "mom")


class FamaFrench5(_ExcessReturnModel):
    r"""Fama-French five-factor model: ``Mkt-RF``, ``SMB``, ``HML``, ``RMW``, ``CMA``.

    Fama & French (2015), *J. Financ. Econ.* 116(1). The factors (``SMB`` included) come from the
    5-factor (2x3) file, whose ``SMB`` differs from the 3-factor file's; :math:`L-6` degrees of
    freedom.
    """

    name = "ff5"
    uses_market = False
    label = "Fama-French 5-factor model"
    param_names = ("alpha", "mkt_rf", "smb", "hml", "rmw", "cma")
    factor_columns = ("Mkt-RF", "SMB", "HML", "RMW", "CMA")
    columns = (*factor_columns, "RF")
    factor_sets = ("ff5",)


class Dimson(ExpectedReturnModel):
    r"""Dimson (1979) model for thin trading: the market return of the day before, the day and the
    day after as regressors,

    .. math:: R_t = \alpha + b_{-1} R_{m,t-1} + b_0 R_{m,t} + b_{+1} R_{m,t+1} + \varepsilon_t,

    estimated by OLS; the Dimson beta is :math:`b_{-1} + b_0 + b_{+1}`. Expected event-window
    returns use the same three market returns, so :math:`V` keeps its exact OLS form with
    :math:`L-4` degrees of freedom (Dimson 1979, *J. Financ. Econ.* 7(2)).
    """

    name = "dimson"
    label = "Dimson (1979) model"
    param_names = ("alpha", "beta_lag1", "beta_0", "beta_lead1")
    columns = ("market_lag1", "market", "market_lead1")

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(data)), data[list(self.columns)].to_numpy()])


class ScholesWilliams(ExpectedReturnModel):
    r"""Scholes-Williams (1977) model for non-synchronous trading.

    .. math:: \hat\beta_{SW} = \frac{b_{-1} + b_0 + b_{+1}}{1 + 2\hat\rho_m}, \qquad
              \hat\alpha_{SW} = \bar R - \hat\beta_{SW} \bar R_m,

    where :math:`b_j` is the OLS slope of :math:`R_t` on :math:`R_{m,t+j}` alone and
    :math:`\hat\rho_m` the OLS slope of :math:`R_{m,t}` on :math:`R_{m,t-1}` (the market's
    first-order autocorrelation), all over the estimation window (Scholes & Williams 1977,
    *J. Financ. Econ.* 5(3), eqs. 13-14). Expected returns are
    :math:`\hat\alpha_{SW} + \hat\beta_{SW} R_{m,t}`.

    Convention for the variance (not given by Scholes and Williams): :math:`s^2` is the mean
    squared residual :math:`R - \hat\alpha_{SW} - \hat\beta_{SW} R_m` with :math:`L-2` degrees
    of freedom, and the estimation-error term is the market model's, with :math:`X = [1, R_m]`.
    """

    name = "scholes_williams"
    label = "Scholes-Williams (1977) model"
    param_names = ("alpha", "beta")
    columns = ("market_lag1", "market", "market_lead1")

    @property
    def min_observations(self) -> int:
        return 4

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(data)), data["market"].to_numpy()])

    def degenerate(self, data: pd.DataFrame) -> str | None:
        r"""Each of the three market columns is a one-regressor design (:func:`singular_design`),
        and :math:`1 + 2\hat\rho_m` must not vanish."""
        constant = [c for c in self.columns if singular_design(data[[c]].to_numpy())]
        if constant:
            return (
                f"the {self.label}'s market returns ({', '.join(constant)}) are constant over the "
                "estimation window, so its slopes are not identified"
            )
        rho = _slope(data["market_lag1"].to_numpy(), data["market"].to_numpy())
        if not abs(1.0 + 2.0 * rho) > SINGULAR_PIVOT:
            return "the market's autocorrelation is -1/2 over the estimation window (1 + 2 rho = 0)"
        return None

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        self._check_inputs(returns, data)
        y = returns.to_numpy()
        slopes = [_slope(data[c].to_numpy(), y) for c in self.columns]
        rho = _slope(data["market_lag1"].to_numpy(), data["market"].to_numpy())
        beta = sum(slopes) / (1.0 + 2.0 * rho)
        alpha = y.mean() - beta * data["market"].to_numpy().mean()
        residuals = y - alpha - beta * data["market"].to_numpy()
        design = self.design(data)
        df = len(y) - 2
        return FittedModel(
            model=self,
            params=pd.Series([alpha, beta], index=list(self.param_names), dtype=float),
            sigma=float(np.sqrt(residuals @ residuals / df)),
            df=df,
            nobs=len(y),
            residuals=pd.Series(residuals, index=returns.index, name="residual"),
            xtx_inv=np.linalg.inv(design.T @ design),
            tss=_centred_sum_of_squares(y),
        )


def _centred_sum_of_squares(y: np.ndarray) -> float:
    """:math:`\\sum (y_t - \\bar y)^2`."""
    return float(((y - y.mean()) ** 2).sum())


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """OLS slope of ``y`` on ``x`` with an intercept."""
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


