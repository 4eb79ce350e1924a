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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

from eventstudy.exceptions import DataError, ParameterError


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
    """

    model: ExpectedReturnModel
    params: pd.Series
    sigma: float
    df: int
    nobs: int
    residuals: pd.Series
    xtx_inv: np.ndarray

    def expected(self, data: pd.DataFrame) -> np.ndarray:
        """Expected returns :math:`o^* + X^* \\hat b` on the rows of ``data``."""
        return self.model.offset(data) + self.model.design(data) @ self.params.to_numpy()

    def abnormal_covariance(self, data: pd.DataFrame) -> np.ndarray:
        """Covariance :math:`V = s^2 (I + X^* (X'X)^{-1} X^{*\\prime})` of the ARs on ``data``."""
        design = self.model.design(data)
        return self.sigma**2 * (np.eye(len(data)) + design @ self.xtx_inv @ design.T)


class ExpectedReturnModel(ABC):
    """A linear expected-return model: a design matrix and an offset built from the market data."""

    #: Name used in the API, the command line and JSON.
    name: ClassVar[str]
    #: Human-readable name for tables and charts.
    label: ClassVar[str]
    #: Names of the estimated coefficients, in the order of the design matrix's columns.
    param_names: ClassVar[tuple[str, ...]]

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

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        """Fit by OLS on the estimation window.

        Parameters
        ----------
        returns
            Stock returns over the estimation window, indexed by date.
        data
            Market data on the same dates (column ``market``: the market return).
        """
        self._check_inputs(returns, data)
        design = self.design(data)
        target = returns.to_numpy() - self.offset(data)
        # QR keeps (X'X)^-1 accurate: X = QR gives (X'X)^-1 = R^-1 R^-T.
        q, r = np.linalg.qr(design, mode="reduced")
        coef = solve_triangular(r, q.T @ target)
        r_inv = solve_triangular(r, np.eye(r.shape[0]))
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
        )

    def _check_inputs(self, returns: pd.Series, data: pd.DataFrame) -> None:
        if len(returns) < self.min_observations:
            raise DataError(
                f"estimation: {len(returns)} returns are too few for the {self.label}; "
                f"it needs at least {self.min_observations}"
            )
        if not returns.index.equals(data.index):
            raise DataError("estimation: stock and market returns are not on the same dates")
        if returns.isna().any() or data.isna().any().any():
            raise DataError("estimation: missing returns in the estimation window")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ConstantMean(ExpectedReturnModel):
    r"""Constant-mean-return model: :math:`R_t = \mu + \varepsilon_t`.

    :math:`X` is a column of ones, so :math:`V = s^2 (I + \mathbf{1}\mathbf{1}'/L)` and
    :math:`s^2 = \sum (R_t - \bar R)^2 / (L-1)` (Campbell, Lo & MacKinlay 1997, sec. 4.4.1).
    """

    name = "constant_mean"
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


class MarketAdjusted(ExpectedReturnModel):
    r"""Market-adjusted returns: :math:`E[R_t] = R_{m,t}`, nothing estimated.

    :math:`s^2` is the sample variance (ddof 1) of :math:`R - R_m` over the estimation window,
    :math:`V = s^2 I`, with :math:`L - 1` degrees of freedom (Brown & Warner 1985,
    *J. Financ. Econ.* 14(1), "market adjusted returns"; Campbell, Lo & MacKinlay 1997, sec. 4.3).
    """

    name = "market_adjusted"
    label = "market-adjusted model"
    param_names = ()

    @property
    def min_observations(self) -> int:
        return 2

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return np.empty((len(data), 0))

    def offset(self, data: pd.DataFrame) -> np.ndarray:
        return data["market"].to_numpy()

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        self._check_inputs(returns, data)
        excess = returns.to_numpy() - self.offset(data)
        return FittedModel(
            model=self,
            params=pd.Series([], index=[], dtype=float),
            sigma=float(np.std(excess, ddof=1)),
            df=len(returns) - 1,
            nobs=len(returns),
            residuals=pd.Series(excess, index=returns.index, name="residual"),
            xtx_inv=np.empty((0, 0)),
        )


#: Models by name.
MODELS: dict[str, ExpectedReturnModel] = {
    m.name: m for m in (ConstantMean(), MarketAdjusted(), MarketModel())
}


def get_model(name: str | ExpectedReturnModel) -> ExpectedReturnModel:
    """Look a model up by name (or pass a model through)."""
    if isinstance(name, ExpectedReturnModel):
        return name
    if name not in MODELS:
        raise ParameterError("model", name, f"choose one of {', '.join(MODELS)}")
    return MODELS[name]
