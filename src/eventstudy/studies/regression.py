r"""Cross-sectional regression of event outcomes (CAR, standardised CAR, BHAR) on characteristics.

.. math:: y_i = x_i'\beta + u_i, \qquad i = 1..n \text{ events},

with :math:`y` the left side of a formula (``"car ~ surprise + np.log(size)"``) and :math:`x` the
terms built from the columns of the per-event frame by patsy, once the formula has passed
:func:`eventstudy.studies.formula.check_formula` (columns, numbers, operators and a fixed list of
functions: no formula can run code). Estimation is
statsmodels' OLS, or WLS with weights :math:`1/\widehat{se}(y_i)^2` (``weights="inverse_variance"``,
so that precisely estimated CARs count more, as in Boehmer, Musumeci & Poulsen 1991) or with the
values of a column. Standard errors (``cov``):

* ``"hc0"`` .. ``"hc3"``: heteroskedasticity-consistent, White (1980) and MacKinnon & White (1985);
  ``"hc3"`` (default) :math:`(X'X)^{-1} X' \mathrm{diag}(\hat u_i^2/(1-h_{ii})^2) X (X'X)^{-1}`
  is the one recommended for small cross-sections (Long & Ervin 2000, *Am. Stat.* 54(3));
* ``"cluster:COLUMN"``: clustered by the values of a column (e.g. ``cluster:day0`` for events on
  the same day, ``cluster:ticker`` for the same security), statsmodels' CR1 with its small-sample
  factor :math:`G/(G-1)\,(n-1)/(n-k)`;
* ``"ols"``: the classical covariance :math:`s^2 (X'X)^{-1}`.

t and p use Student's t with :math:`n - k` degrees of freedom (:math:`G - 1` when clustered).
Events with a missing (or non-finite) value of a variable of the formula, of the weight or of the
cluster column are dropped and counted (:attr:`RegressionResult.n_dropped`). Text columns whose
values all read as numbers (empty: missing), as the events CSV gives them, are used as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, ParameterError
from eventstudy.formatting import ShowsSummary, Summary, SummaryBuilder

#: ``cov`` names (besides ``"cluster:COLUMN"``) and statsmodels' covariance types.
REGRESSION_COVARIANCES = {"ols": "nonrobust", "hc0": "HC0", "hc1": "HC1", "hc2": "HC2", "hc3": "HC3"}


@dataclass(frozen=True)
class RegressionResult(ShowsSummary):
    """A fitted cross-sectional regression, with statsmodels' names for its numbers.

    Attributes
    ----------
    formula, cov, weights
        As given to :func:`regress_cars`.
    params, bse, tvalues, pvalues
        Coefficients by term name (statsmodels' names, ``Intercept`` first), standard errors,
        t statistics and two-sided p-values.
    nobs
        Events used.
    rsquared, rsquared_adj
        R^2 and adjusted R^2 (weighted for WLS).
    df_resid
        Degrees of freedom of the t distribution used.
    dropped
        Index labels of the events dropped for a missing value.
    fit
        The statsmodels results object.
    """

    formula: str
    cov: str
    weights: str | None
    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    nobs: int
    rsquared: float
    rsquared_adj: float
    df_resid: float
    dropped: pd.Index
    fit: Any = field(repr=False)
    outcome: str | None = None

    @property
    def n_dropped(self) -> int:
        return len(self.dropped)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of level ``1 - alpha``: columns ``lower`` and ``upper``."""
        if not isinstance(alpha, (int, float)) or not 0.0 < float(alpha) < 1.0:
            raise ParameterError("alpha", alpha, "give a number strictly between 0 and 1, e.g. 0.05")
        frame = pd.DataFrame(np.asarray(self.fit.conf_int(alpha=alpha)), index=self.params.index,
                             columns=["lower", "upper"])
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: formula, cov, weights, n, n_dropped, r2, terms (name, coef, se, t, p)."""
        return {
            "formula": self.formula, "cov": self.cov, "weights": self.weights, "n": self.nobs,
            "n_dropped": self.n_dropped, "r2": float(self.rsquared),
            "terms": [
                {"name": str(name), "coef": float(self.params[name]), "se": float(self.bse[name]),
                 "t": float(self.tvalues[name]), "p": float(self.pvalues[name])}
                for name in self.params.index
            ],
        }

    def summary(self) -> Summary:
        """A plain-text table of the coefficients (in a notebook, an HTML table)."""
        weights = "" if self.weights is None else f", weights {self.weights}"
        lines = [f"Cross-sectional regression {self.formula}  ({self.nobs} events, cov {self.cov}{weights})"]
        if self.outcome:
            lines.append(f"  {self.outcome}")
        if self.n_dropped:
            lines.append(f"  {self.n_dropped} event(s) dropped for a missing value")
        report = SummaryBuilder()  # the text, and in a notebook the coefficients as an HTML table
        report.text(*lines)
        report.coefficients(self.params, self.bse, self.tvalues, self.pvalues)
        report.text(f"  R^2 = {self.rsquared:.3f}, adjusted {self.rsquared_adj:.3f}")
        return report.build()

    def __repr__(self) -> str:
        terms = ", ".join(f"{name} {self.params[name]:+.4g} (t {self.tvalues[name]:+.2f})"
                          for name in self.params.index)
        return (f"<RegressionResult {self.formula}, {self.nobs} events, cov {self.cov}: {terms}; "
                f"R^2 {self.rsquared:.3f}>")


def regress_cars(
    frame: pd.DataFrame, formula: str, cov: str = "hc3", weights: str | None = None,
) -> RegressionResult:
    """Regress a per-event outcome on event characteristics (see the module docstring).

    Parameters
    ----------
    frame
        One row per event: the outcome (``car``, ``scar``, ``bhar``, ...), its standard error
        (``car_se``) for inverse-variance weights, and the characteristics.
    formula
        A formula, e.g. ``"car ~ surprise + np.log(size)"``, of the frame's columns, numbers,
        ``~ + - * / ** :``, parentheses and the functions of
        :data:`eventstudy.studies.formula.FUNCTIONS` (anything else is refused before evaluation).
    cov
        ``"hc3"`` (default), ``"hc0"``, ``"hc1"``, ``"hc2"``, ``"ols"`` or ``"cluster:COLUMN"``.
    weights
        ``None`` (OLS), ``"inverse_variance"`` (WLS with :math:`1/se^2`, the standard errors from
        the column ``<outcome>_se``) or a column of ``frame`` holding positive weights.

    Raises
    ------
    ParameterError
        On a malformed formula, an unknown covariance, cluster or weights column.
    DataError
        When fewer events remain than the formula has terms (plus one), or a standard error
        cannot be computed (e.g. HC2/HC3 with an event of leverage one).
    """
    import statsmodels.api as sm

    from eventstudy.studies.formula import check_formula

    if not isinstance(frame, pd.DataFrame):
        raise ParameterError("frame", type(frame).__name__, "give a DataFrame with one row per event")
    check_formula(formula, frame.columns)
    cov_type, cluster = _covariance(cov, frame)
    data = _numeric_text_columns(frame)
    outcome = formula.split("~", 1)[0].strip()
    extra = _weights(data, weights, outcome)
    usable = pd.Series(True, index=data.index)
    if extra is not None:
        usable &= np.isfinite(extra) & (extra > 0)
    if cluster is not None:
        usable &= data[cluster].notna() & (data[cluster].astype(str) != "")
    y, x = _design(formula, data.loc[usable], frame)
    finite = np.isfinite(y.to_numpy(dtype=float)).all(axis=1) & np.isfinite(x.to_numpy(dtype=float)).all(axis=1)
    rows = pd.Index(y.index[finite])
    k = x.shape[1]
    if len(rows) < k + 1:
        raise DataError(f"formula: {len(rows)} of {len(frame)} events have every variable of "
                        f"{formula!r} (and a usable weight and cluster); the regression's {k} "
                        f"coefficient(s) need at least {k + 1}")
    used = data.loc[rows]
    kwargs: dict[str, Any] = {}
    if cluster is not None:
        groups = pd.factorize(used[cluster].astype(str))[0]
        if groups.max() + 1 < 2:
            raise DataError(f"cov: {cov!r} clusters by a column with one value among the {len(rows)} "
                            "events used; clustering needs at least two clusters: choose another "
                            "column or hc3")
        kwargs = {"groups": groups}
    y, x = _design(formula, used, frame)
    if extra is None:
        model = sm.OLS(y, x)
    else:
        model = sm.WLS(y, x, weights=extra.loc[rows].to_numpy())
    if cov_type in ("HC2", "HC3"):
        _check_leverage(model.wexog, cov, rows)
    fit = model.fit(cov_type=cov_type, cov_kwds=kwargs or None, use_t=True)
    names = list(model.exog_names)
    bse = np.asarray(fit.bse, dtype=float)
    if not np.all(np.isfinite(bse)):
        bad = [n for n, v in zip(names, bse) if not np.isfinite(v)]
        raise DataError(f"cov: {cov!r} gives no finite standard error for {bad}; choose another cov")

    def series(values: Any) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=float), index=names)

    return RegressionResult(
        formula=formula, cov=cov, weights=weights, params=series(fit.params), bse=series(bse),
        tvalues=series(fit.tvalues), pvalues=series(fit.pvalues), nobs=int(fit.nobs),
        rsquared=float(fit.rsquared), rsquared_adj=float(fit.rsquared_adj),
        df_resid=float(getattr(fit, "df_resid_inference", None) or fit.df_resid),
        dropped=frame.index.difference(rows, sort=False), fit=fit,
    )


def _design(formula: str, data: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcome and design matrix of a checked formula (rows with a missing value dropped)."""
    from patsy import PatsyError

    from eventstudy.studies.formula import design

    try:
        return design(formula, data)
    except (PatsyError, ValueError, TypeError, ArithmeticError, LookupError) as error:
        # patsy's own errors: a term it cannot build on these columns
        first = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
        raise ParameterError("formula", formula, f"the formula cannot be built on the frame's columns "
                             f"{list(frame.columns)}: {first}") from None


def _check_leverage(exog: np.ndarray, cov: str, rows: pd.Index) -> None:
    """HC2 and HC3 divide by :math:`1 - h_{ii}`: refuse an event whose leverage is one (a term
    that only it has), whose standard error would be rounding noise."""
    leverage = np.einsum("ij,ji->i", exog, np.linalg.pinv(exog))
    alone = np.flatnonzero(leverage > 1.0 - 1e-8)
    if len(alone):
        raise DataError(f"cov: {cov!r} needs every event's leverage below one; event(s) "
                        f"{list(rows[alone])[:5]} alone determine a coefficient (a term only they have); "
                        "choose hc0 or hc1, or drop the term")


def _covariance(cov: str, frame: pd.DataFrame) -> tuple[str, str | None]:
    """statsmodels' covariance type and the cluster column (``None`` when not clustered)."""
    allowed = "choose one of " + ", ".join(REGRESSION_COVARIANCES) + " or cluster:COLUMN"
    if not isinstance(cov, str):
        raise ParameterError("cov", cov, allowed)
    if cov.startswith("cluster:"):
        column = cov.split(":", 1)[1]
        if column not in frame.columns:
            raise ParameterError("cov", cov, f"cluster by a column of the frame: {list(frame.columns)}")
        return "cluster", column
    if cov not in REGRESSION_COVARIANCES:
        raise ParameterError("cov", cov, allowed)
    return REGRESSION_COVARIANCES[cov], None


def _weights(data: pd.DataFrame, weights: str | None, outcome: str) -> pd.Series | None:
    """WLS weights: ``None``, ``1/se^2`` from ``<outcome>_se``, or a column's values."""
    if weights is None:
        return None
    if weights == "inverse_variance":
        column = f"{outcome}_se"
        if column not in data.columns:
            raise ParameterError("weights", weights, f"inverse-variance weights need the column {column!r} "
                                 f"(the standard error of {outcome!r}); the frame has {list(data.columns)}")
        se = pd.to_numeric(data[column], errors="coerce").astype(float)
        return 1.0 / se**2
    if weights not in data.columns:
        raise ParameterError("weights", weights, f"give 'inverse_variance' or a column: {list(data.columns)}")
    values = pd.to_numeric(data[weights], errors="coerce").astype(float)
    if not (np.isfinite(values) & (values > 0)).any():
        raise ParameterError("weights", weights, "the column holds no positive number for any event; "
                             "give a column of positive weights, or 'inverse_variance'")
    return values


def _numeric_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns that all read as numbers (empty: missing) made numeric."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            text = column.astype(str).str.strip()
            blank = column.isna() | (text == "")
            numbers = pd.to_numeric(text.where(~blank), errors="coerce")
            if numbers.notna().sum() == (~blank).sum():  # every value a number, or none given
                out[name] = numbers.astype(float)
    return out
