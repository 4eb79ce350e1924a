r"""Calendar-time portfolios: the abnormal return of firms after their events as a Jensen's alpha.

On each calendar period :math:`t` (trading day, or calendar month) the portfolio holds the
securities whose day 0 was between :math:`a` and :math:`b` periods earlier (trading days for
``frequency="daily"``, calendar months for ``"monthly"``: month 0 is the month of day 0). Its
return, in excess of the risk-free rate, is regressed on the factors of a model,

.. math:: R_{pt} - RF_t = \alpha + \beta' F_t + \varepsilon_t,

and :math:`\alpha` (Jensen's alpha) is the mean abnormal return per period of the event firms
(Jaffe 1974, *J. Business* 47(3); Mandelker 1974, *J. Financ. Econ.* 1(4); Fama 1998,
*J. Financ. Econ.* 49(3); Mitchell & Stafford 2000, *J. Business* 73(3)). Because every period
is one observation, the cross-correlation of overlapping events' returns is in the portfolio's
residual variance.

Portfolio
    A security is held once per period however many of its events are active; it is weighted
    equally, or (``weights=COLUMN``) by the mean of its active events' values of that events-table
    column. A held security without a return in a period is left out of that period's portfolio.
    Periods with fewer than ``min_size`` securities are dropped and counted, as are periods
    without factor data. Horizons past the data simply end with the data (the portfolio exists
    only on the panel's periods).

Factors (French's daily files, decimals)
    ``capm``: :math:`R_m - RF` (the market series); ``ff3``: ``Mkt-RF``, ``SMB``, ``HML``;
    ``carhart``: those and ``Mom``; ``ff5``: ``Mkt-RF``, ``SMB``, ``HML``, ``RMW``, ``CMA`` of the
    5-factor file.

Monthly frequency
    Daily returns are compounded within calendar months: a security's month return is
    :math:`\prod (1 + R_d) - 1` over the month's trading days (missing if any day's return is
    missing). The monthly factors are compounded from the daily French files (the French monthly
    files are not in the snapshot): :math:`RF_m = \prod(1 + RF_d) - 1`, the market's excess return
    :math:`\prod(1 + \text{Mkt-RF}_d + RF_d) - \prod(1 + RF_d)`, and each long-short factor
    :math:`\prod(1 + f_d) - 1`, which approximates French's monthly factors (built from monthly
    portfolio returns) closely but not exactly.

Standard errors (``cov``)
    ``"hac"`` (default): Newey-West (1987), Bartlett kernel, no small-sample correction, with
    :math:`L = \lfloor 4 (T/100)^{2/9} \rfloor` lags (Newey & West 1994) unless ``hac_lags`` is
    given; ``"white"``: White's (1980) HC0; ``"ols"``: the classical OLS covariance. The OLS
    fit is statsmodels'; t and p use Student's t with :math:`T - k` degrees of freedom.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window, as_window
from eventstudy.studies.event_panel import event_groups, skipped_frame
from eventstudy.studies.event_periods import compound, event_periods, month_starts
from eventstudy.events import id_column_of, read_events
from eventstudy.exceptions import DataError, ParameterError, SmallSampleWarning
from eventstudy.formatting import ShowsSummary, Summary, SummaryBuilder
from eventstudy.models.registry import get_model
from eventstudy.studies.inputs import factor_region_for, load_factor_sets

if TYPE_CHECKING:
    pass

#: Fewest periods per coefficient of the factor regression without a SmallSampleWarning: the
#: usual rule of thumb of ten observations per parameter (HAC standard errors need more still).
MIN_PERIODS_PER_COEFFICIENT = 10

#: Factor columns of each model (``"market"``: the market series minus RF).
CALENDAR_MODELS: dict[str, tuple[str, ...]] = {
    "capm": ("market",),
    "ff3": ("Mkt-RF", "SMB", "HML"),
    "carhart": ("Mkt-RF", "SMB", "HML", "Mom"),
    "ff5": ("Mkt-RF", "SMB", "HML", "RMW", "CMA"),
}

#: French factor files each model needs.
_FACTOR_SETS = {"capm": ("ff3",), "ff3": ("ff3",), "carhart": ("ff3", "mom"), "ff5": ("ff5",)}

#: Parameter names, in the order of the design's columns.
_PARAM_NAMES = {"market": "mkt_rf", "Mkt-RF": "mkt_rf", "SMB": "smb", "HML": "hml", "Mom": "mom",
                "RMW": "rmw", "CMA": "cma"}

FREQUENCIES = ("daily", "monthly")

#: ``cov`` names and statsmodels' covariance types.
COVARIANCES = {"hac": "HAC", "white": "HC0", "ols": "nonrobust"}


def newey_west_lags(n_periods: int) -> int:
    r"""Newey & West (1994) rule of thumb: :math:`\lfloor 4 (T/100)^{2/9} \rfloor`."""
    return int(math.floor(4.0 * (n_periods / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class CalendarTimeResult(ShowsSummary):
    """What :func:`run_calendar_time` computed.

    Attributes
    ----------
    model, frequency, cov
        The factor model, ``"daily"`` or ``"monthly"``, and the covariance (``"hac"``,
        ``"white"``, ``"ols"``).
    horizon
        Periods after day 0 (or month 0) that a security is held.
    lags
        HAC lags used (``None`` unless ``cov="hac"``).
    params, bse, tvalues, pvalues
        Coefficients (``alpha`` first), their standard errors, t statistics and two-sided p.
    rsquared
        R^2 of the regression.
    portfolio
        One row per period kept: ``return`` (the portfolio's), ``rf``, ``excess``, the factors,
        ``size`` (securities held) and ``residual``.
    dropped
        Periods dropped: ``{"too_few_securities": n, "no_factors": m}`` (periods of the data
        with no security held are not counted as periods).
    n_events
        Events placed on the data (the others are in :attr:`skipped`).
    skipped
        Events not placed: ``ticker``, ``event_date``, ``reason``.
    min_size_required
        The ``min_size`` parameter.
    """

    model: str
    frequency: str
    cov: str
    horizon: Window
    lags: int | None
    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    rsquared: float
    portfolio: pd.DataFrame
    dropped: dict[str, int]
    n_events: int
    skipped: pd.DataFrame
    min_size_required: int

    @property
    def alpha(self) -> float:
        return float(self.params["alpha"])

    @property
    def se(self) -> float:
        return float(self.bse["alpha"])

    @property
    def t(self) -> float:
        return float(self.tvalues["alpha"])

    @property
    def p(self) -> float:
        return float(self.pvalues["alpha"])

    @property
    def n_periods(self) -> int:
        return len(self.portfolio)

    @property
    def mean_size(self) -> float:
        return float(self.portfolio["size"].mean())

    @property
    def min_size(self) -> int:
        return int(self.portfolio["size"].min())

    def cumulative_alpha(self) -> pd.Series:
        r"""The portfolio's cumulative abnormal return, :math:`\sum_{s \le t} (\hat\alpha +
        \hat\varepsilon_s)`: its excess return less the factors' part, summed over periods."""
        return (self.alpha + self.portfolio["residual"]).cumsum().rename("cumulative_alpha")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: model, frequency, cov, lags, horizon, alpha, se, t, p, params, r2,
        n_periods, mean_size, min_size, min_size_required, dropped, n_events, skipped."""
        return {
            "model": self.model, "frequency": self.frequency, "cov": self.cov, "lags": self.lags,
            "horizon": [self.horizon.start, self.horizon.end],
            "alpha": self.alpha, "se": self.se, "t": self.t, "p": self.p,
            "params": {
                name: {"coef": float(self.params[name]), "se": float(self.bse[name]),
                       "t": float(self.tvalues[name]), "p": float(self.pvalues[name])}
                for name in self.params.index
            },
            "r2": float(self.rsquared), "n_periods": self.n_periods, "mean_size": self.mean_size,
            "min_size": self.min_size, "min_size_required": self.min_size_required,
            "dropped": dict(self.dropped), "n_events": self.n_events,
            "skipped": [
                {"ticker": str(t), "event_date": str(d), "reason": str(r)}
                for t, d, r in zip(self.skipped["ticker"], self.skipped["event_date"], self.skipped["reason"])
            ],
        }

    def summary(self) -> Summary:
        """A plain-text report: the set-up, alpha and the other coefficients (in a notebook, the
        coefficients as an HTML table)."""
        unit = "trading days" if self.frequency == "daily" else "months"
        cov = {"hac": f"Newey-West (HAC) with {self.lags} lags", "white": "White (HC0)",
               "ols": "OLS"}[self.cov]
        first, last = self.portfolio.index[0], self.portfolio.index[-1]
        lines = [
            f"Calendar-time portfolio ({self.frequency}), {self.model} model; standard errors: {cov}",
            f"  {self.n_events} events held {self.horizon} {unit} after day 0; "
            f"{self.n_periods} periods {first:%Y-%m-%d} .. {last:%Y-%m-%d}, "
            f"securities per period: mean {self.mean_size:.1f}, min {self.min_size}",
        ]
        if any(self.dropped.values()):
            lines.append("  dropped periods: " + ", ".join(f"{k} {v}" for k, v in self.dropped.items()))
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} event(s) skipped (see .skipped)")
        lines.append("")
        report = SummaryBuilder()  # the text, and in a notebook the coefficients as an HTML table
        report.text(*lines)
        report.coefficients(self.params, self.bse, self.tvalues, self.pvalues)
        report.text(f"  R^2 = {self.rsquared:.3f}")
        return report.build()


def run_calendar_time(
    events: pd.DataFrame | str | os.PathLike[str],
    horizon: tuple[int, int],
    model: str = "ff3",
    *,
    frequency: str = "daily",
    cov: str = "hac",
    weights: str | None = None,
    min_size: int = 1,
    hac_lags: int | None = None,
    market: str | pd.Series | None = None,
    exchange: str | None = None,
    returns: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    factors: pd.DataFrame | str | os.PathLike[str] | None = None,
    factors_unit: str = "decimal",
    factor_region: str = "us",
    non_session: str = "next",
    data_dir: str | os.PathLike[str] | None = None,
) -> CalendarTimeResult:
    """Jensen's alpha of the calendar-time portfolio of event firms (see the module docstring).

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` and ``event_date``, and any others.
    horizon
        ``(a, b)``: a security is held from ``a`` to ``b`` periods after its day 0, inclusive.
    model
        ``"capm"``, ``"ff3"`` (default), ``"carhart"`` or ``"ff5"``.
    frequency
        ``"daily"`` (default) or ``"monthly"`` (compounded within calendar months).
    cov
        ``"hac"`` (default), ``"white"`` or ``"ols"``.
    weights
        A column of ``events`` with positive weights (e.g. market value); default equal weights.
    min_size
        Fewest securities a period's portfolio needs to be kept (default 1).
    hac_lags
        HAC lags (default :func:`newey_west_lags` of the number of periods).
    market
        A ticker (default: the index of each event's exchange, ``^GSPC`` for the NYSE, or the
        events table's ``market`` column), a column of ``returns`` or a Series of market
        returns; its dates are the trading days (and the CAPM's market factor: one market for
        all events).
    exchange
        The exchange of the events whose ``exchange`` column is empty (default: the ticker's
        Yahoo suffix, else ``XNYS``). Events of several exchanges share calendar periods: see
        :mod:`eventstudy.studies.event_periods`.
    returns
        A panel of simple returns (dates x securities) instead of the committed snapshot.
    prices, columns, market_returns, returns_unit, market_unit
        The user's panel instead of the snapshot: ``returns`` or ``prices`` as a CSV/Parquet file
        (or a frame), read for the tickers needed only (:mod:`eventstudy.data.panel`).
    source, cache_dir
        ``"snapshot"`` (default), ``"cache"``, ``"yahoo"`` or ``"auto"``, as for ``batch``: the
        prices of the sessions the events need (:func:`eventstudy.data.sources.get_prices`).
    factors
        French factors in decimals indexed by date (columns as in :data:`CALENDAR_MODELS`, and
        ``RF``); default: the snapshot's.
    factor_region
        Without ``factors``: ``"us"`` (default), a region of
        :data:`eventstudy.data.french.REGIONS` (``"developed"``, ``"europe"``...), or ``"auto"``,
        the region of the events' exchanges (one region: the portfolio is one regression).
    non_session, data_dir
        As for :func:`eventstudy.studies.longrun.run_long_horizon`.

    Raises
    ------
    ParameterError
        On an unknown model, frequency, covariance or weights column, or a bad ``min_size``.
    DataError
        When fewer periods remain than the regression has coefficients (plus one).
    """
    import statsmodels.api as sm

    window = as_window(horizon, "horizon")
    if model not in CALENDAR_MODELS:
        raise ParameterError("model", model, f"choose one of {', '.join(CALENDAR_MODELS)}")
    if frequency not in FREQUENCIES:
        raise ParameterError("frequency", frequency, f"choose one of {', '.join(FREQUENCIES)}")
    if cov not in COVARIANCES:
        raise ParameterError("cov", cov, f"choose one of {', '.join(COVARIANCES)}")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise ParameterError("min_size", min_size, "give a whole number of securities, at least 1")
    if hac_lags is not None and (isinstance(hac_lags, bool) or not isinstance(hac_lags, int) or hac_lags < 0):
        raise ParameterError("hac_lags", hac_lags, "give a whole number of lags, at least 0")
    table = read_events(events, id_column=id_column_of(columns))
    event_weights = _event_weights(table, weights)
    groups, reasons = event_groups(table, exchange, market,
                                   panel=returns is not None or prices is not None)
    named = list(dict.fromkeys(g.market if isinstance(g.market, str) else "market" for g in groups))
    if model == "capm" and len(named) > 1:
        raise ParameterError("model", model, f"the CAPM's market factor is one market, and the events "
                             f"have {len(named)} ({', '.join(named)}); name one with --market, or "
                             "use a French factor model (ff3, carhart, ff5)")
    periods = event_periods(table, groups, window, frequency, non_session, reasons, returns=returns,
                            prices=prices, columns=columns, market_returns=market_returns,
                            returns_unit=returns_unit, market_unit=market_unit, source=source,
                            cache_dir=cache_dir, data_dir=data_dir)
    days = periods.days
    if factors is None:
        regions = list(dict.fromkeys(factor_region_for(factor_region, g.exchange, get_model(model))
                                     for g in groups))
        if len(regions) > 1:
            raise ParameterError("factor_region", factor_region, f"the events' exchanges are in "
                                 f"{len(regions)} regions ({', '.join(regions)}) and the portfolio is "
                                 "one regression: name one region, e.g. developed")
        factors = load_factor_sets(_FACTOR_SETS[model], data_dir, region=regions[0] if regions else "us",
                                   source=source, cache_dir=cache_dir, start=days[0], end=days[-1])
    if isinstance(factors, (str, os.PathLike)):
        from eventstudy.data.panel import read_factors_file

        factors = read_factors_file(factors, unit=factors_unit)
    for i in np.flatnonzero(~(event_weights > 0)):
        reasons.setdefault(int(i), f"{weights}: {table[weights].iat[i]!r} is not a positive number")
    placed = periods.placed & (event_weights > 0)
    security = periods.security[placed]
    market_series = next(iter(periods.markets.values()))
    period_values, period_index = periods.values, periods.index
    values = period_values
    start, end = periods.start[placed], periods.end[placed]
    if frequency == "daily":
        factor_values = _factor_frame(model, market_series, days, factors)
    else:  # each factor compounded over its own days of the month (the market's for the CAPM)
        own_days = market_series.index if model == "capm" else _factor_days(factors, days)
        months, first_row = month_starts(pd.DatetimeIndex(own_days))
        factor_values = _monthly_factors(
            _factor_frame(model, market_series, pd.DatetimeIndex(own_days), factors),
            first_row, months).reindex(period_index)
    n_periods = len(period_index)
    weight = _holdings(start, end, security, event_weights[placed], n_periods, values.shape[1])
    held = (weight > 0) & np.isfinite(period_values)
    size = held.sum(axis=1)
    weight_held = np.where(held, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        port = np.sum(weight_held * np.nan_to_num(period_values), axis=1) / weight_held.sum(axis=1)
    has_factors = factor_values.notna().all(axis=1).to_numpy()
    active = size > 0
    keep = active & (size >= min_size) & has_factors
    dropped = {"too_few_securities": int(np.sum(active & (size < min_size))),
               "no_factors": int(np.sum(active & (size >= min_size) & ~has_factors))}
    columns = CALENDAR_MODELS[model]
    names = ["alpha", *(_PARAM_NAMES[c] for c in columns)]
    if keep.sum() < len(names) + 1:
        largest = int(size[active & has_factors].max(initial=0))
        if largest < min_size:
            raise ParameterError("min_size", min_size, f"the largest portfolio holds {largest} "
                                 f"securities; give at most {largest}")
        raise DataError(f"events: {int(keep.sum())} {frequency} periods have a portfolio of at least "
                        f"{min_size} securities with factor data; the {model} regression needs at least "
                        f"{len(names) + 1}")
    if keep.sum() < MIN_PERIODS_PER_COEFFICIENT * len(names):
        warnings.warn(
            f"calendar-time: {int(keep.sum())} {frequency} periods for the {len(names)} coefficients of "
            f"the {model} regression, fewer than {MIN_PERIODS_PER_COEFFICIENT} per coefficient: its "
            f"{'Newey-West' if cov == 'hac' else cov} standard errors and t statistics are unreliable; "
            "use a longer horizon, more events, daily periods or a smaller model", SmallSampleWarning,
            stacklevel=2)
    frame = factor_values.loc[keep].copy()
    frame.index = pd.Index(period_index[keep].to_timestamp() if frequency == "monthly" else period_index[keep],
                           name="date" if frequency == "daily" else "month")
    frame.insert(0, "return", port[keep])
    frame.insert(1, "excess", frame["return"] - frame["RF"])
    frame["size"] = size[keep]
    design = sm.add_constant(frame[list(columns)].to_numpy(), has_constant="add")
    if hac_lags is not None and cov == "hac" and hac_lags >= len(frame):
        raise ParameterError("hac_lags", hac_lags, f"give fewer lags than the {len(frame)} {frequency} "
                             "periods of the regression")
    lags = (newey_west_lags(len(frame)) if hac_lags is None else hac_lags) if cov == "hac" else None
    fit = _fit(frame["excess"].to_numpy(), design, cov, lags)
    frame["residual"] = fit.resid
    frame = frame.rename(columns={"RF": "rf"})

    def series(array: np.ndarray) -> pd.Series:
        return pd.Series(np.asarray(array, dtype=float), index=names)

    return CalendarTimeResult(
        model=model, frequency=frequency, cov=cov, horizon=window, lags=lags,
        params=series(fit.params), bse=series(fit.bse), tvalues=series(fit.tvalues),
        pvalues=series(fit.pvalues), rsquared=float(fit.rsquared), portfolio=frame, dropped=dropped,
        n_events=int(placed.sum()), skipped=skipped_frame(table, reasons), min_size_required=min_size,
    )


def _fit(y: np.ndarray, design: np.ndarray, cov: str, lags: int | None) -> Any:
    """statsmodels OLS with the covariance ``cov`` (module docstring), t-based inference."""
    import statsmodels.api as sm

    kwargs: dict[str, Any] = {"maxlags": lags} if cov == "hac" else {}
    return sm.OLS(y, design).fit(cov_type=COVARIANCES[cov], cov_kwds=kwargs or None, use_t=True)


def _event_weights(table: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(table))
    if weights not in table.columns:
        raise ParameterError("weights", weights, f"name a column of the events table: {list(table.columns)}")
    values = pd.to_numeric(table[weights], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(values) & (values > 0)).any():
        raise ParameterError("weights", weights, "the column holds no positive number for any event; "
                             "name a column of positive weights (e.g. market value), or leave it out")
    return np.where(np.isfinite(values), values, np.nan)


def _holdings(start: np.ndarray, end: np.ndarray, security: np.ndarray, weight: np.ndarray,
              n_periods: int, n_securities: int) -> np.ndarray:
    """Periods x securities: the mean weight of each security's active events (0: not held),
    by difference arrays (one pass over the events, one cumulative sum over periods)."""
    first = np.clip(start, 0, n_periods)
    after = np.clip(end + 1, 0, n_periods)
    total = np.zeros((n_periods + 1, n_securities))
    count = np.zeros((n_periods + 1, n_securities))
    np.add.at(total, (first, security), weight)
    np.add.at(total, (after, security), -weight)
    np.add.at(count, (first, security), 1.0)
    np.add.at(count, (after, security), -1.0)
    total, count = np.cumsum(total, axis=0)[:-1], np.rint(np.cumsum(count, axis=0)[:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), 0.0)


def _factor_frame(model: str, market: pd.Series, dates: pd.DatetimeIndex,
                  factors: pd.DataFrame) -> pd.DataFrame:
    """The model's daily factors and RF on the panel's dates (NaN where the factors have none)."""
    needed = [c for c in CALENDAR_MODELS[model] if c != "market"] + ["RF"]
    absent = [c for c in needed if c not in factors.columns]
    if absent:
        raise ParameterError("factors", list(factors.columns), f"the {model} model needs columns {needed}")
    frame = factors[needed].reindex(dates)
    if model == "capm":
        frame.insert(0, "market", market.reindex(dates).to_numpy() - frame["RF"].to_numpy())
    return frame


def _factor_days(factors: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The factors' own days from the first to the last trading day of the events' exchanges."""
    index = pd.DatetimeIndex(factors.index)
    return index[(index >= days[0]) & (index <= days[-1])]


def _monthly_factors(daily: pd.DataFrame, first_row: np.ndarray, months: pd.PeriodIndex) -> pd.DataFrame:
    """Monthly factors compounded from the daily ones (module docstring); NaN if a day is missing."""
    rf = compound(daily[["RF"]].to_numpy(), first_row)[:, 0]
    out = {}
    for name in daily.columns:
        if name == "RF":
            continue
        if name in ("Mkt-RF", "market"):  # excess returns: compound the total return, less RF's
            total = compound((daily[name] + daily["RF"]).to_numpy()[:, None], first_row)[:, 0]
            out[name] = total - rf
        else:
            out[name] = compound(daily[[name]].to_numpy(), first_row)[:, 0]
    out["RF"] = rf
    return pd.DataFrame(out, index=months)


