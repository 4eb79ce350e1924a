"""The single-event study on series handed to it: one stock, one event date, one expected-return
model (:class:`EventStudy`). Where the series come from is decided above, in
:mod:`eventstudy.studies.single`.

>>> from eventstudy import EventStudy
>>> result = EventStudy(model="market").run(returns, market, "2018-08-06")   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar import (
    Window,
    as_window,
    check_disjoint,
    locate_event,
    resolve_event,
)
from eventstudy.data.units import TOO_LARGE, too_large_message
from eventstudy.defaults import DEFAULT_ESTIMATION, DEFAULT_MARKET, DEFAULT_WINDOW
from eventstudy.engine.single_result import EventStudyResult
from eventstudy.exceptions import (
    DataError,
    ParameterError,
    WindowError,
    safe_text,
)
from eventstudy.inference.adjust import check_adjust
from eventstudy.inference.sample_quantile import sample_quantile_test
from eventstudy.inference.ttest import check_alternative, check_level, t_statistics
from eventstudy.models.linear import EXACT_FIT, ExpectedReturnModel, exact_fit
from eventstudy.models.peers import peer_column
from eventstudy.models.registry import get_model
from eventstudy.models.volume import VOLUME_MODELS, check_measure

__all__ = ["DEFAULT_ESTIMATION", "DEFAULT_MARKET", "DEFAULT_WINDOW", "EXACT_FIT", "EventStudy",
           "check_frame", "check_series", "model_data"]


@dataclass(frozen=True, init=False)
class EventStudy:
    """The specification of a study: model, windows and confidence level, validated once.

    Parameters
    ----------
    model
        A name in :data:`eventstudy.models.linear.MODELS` -- ``"constant_mean"``, ``"market_adjusted"``,
        ``"market"``, ``"capm"``, ``"ff3"``, ``"carhart"``, ``"ff5"``, ``"scholes_williams"``,
        ``"dimson"``, ``"garch"``, ``"garch_t"`` -- or an :class:`~eventstudy.models.linear.ExpectedReturnModel` (see
        :mod:`eventstudy.models.linear`).
    estimation, window
        Estimation and event windows ``(start, end)`` in trading days relative to day 0, both
        inclusive. They must not overlap.
    level
        Confidence level of the intervals.
    min_estimation
        Fewest valid estimation returns accepted (default: 80% of the estimation window, at least
        what the model needs). Estimation days without a stock return (or without the model's
        market or factor data) are left out of the fit and counted in ``fit.nobs`` / the result's
        ``n_missing``.
    measure
        ``"return"`` (default) or ``"volume"``: the series given to :meth:`run` are then log
        volumes :math:`\\ln(1 + \\text{Volume})` (:mod:`eventstudy.models.volume`; models ``market``,
        ``constant_mean`` and ``market_adjusted``).
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``: the alternative of every
        p-value (daily ARs and CARs); confidence intervals stay two-sided.
    adjust
        ``None`` (default), ``"holm"`` or ``"bh"``: also report every p-value adjusted over the
        days and windows shown, per test (:mod:`eventstudy.inference.adjust`).
    """

    model: ExpectedReturnModel
    estimation: Window
    window: Window
    level: float
    min_estimation: int
    measure: str
    alternative: str
    adjust: str | None

    def __init__(
        self,
        model: str | ExpectedReturnModel = "market",
        estimation: tuple[int, int] | Window = DEFAULT_ESTIMATION,
        window: tuple[int, int] | Window = DEFAULT_WINDOW,
        level: float = 0.95,
        min_estimation: int | None = None,
        measure: str = "return",
        alternative: str = "two-sided",
        adjust: str | None = None,
    ) -> None:
        object.__setattr__(self, "model", get_model(model))
        object.__setattr__(self, "alternative", check_alternative(alternative))
        object.__setattr__(self, "adjust", check_adjust(adjust))
        object.__setattr__(self, "measure", check_measure(measure))
        if measure == "volume" and self.model.name not in VOLUME_MODELS:
            raise ParameterError("model", self.model.name,
                                 f"the volume study takes the models {', '.join(VOLUME_MODELS)}")
        object.__setattr__(self, "estimation", as_window(estimation, "estimation"))
        object.__setattr__(self, "window", as_window(window, "window"))
        object.__setattr__(self, "level", check_level(level))
        check_disjoint(self.estimation, self.window)
        object.__setattr__(self, "min_estimation", self._check_min_estimation(min_estimation))

    def _check_min_estimation(self, value: int | None) -> int:
        """Default: 80% of the estimation window, and never fewer than the model needs."""
        floor = self.model.min_observations
        if len(self.estimation) < floor:
            raise ParameterError(
                "estimation", (self.estimation.start, self.estimation.end),
                f"the {self.model.label} needs an estimation window of at least {floor} days",
            )
        if value is None:
            return max(floor, math.ceil(0.8 * len(self.estimation)))
        if isinstance(value, bool) or not isinstance(value, int) or not floor <= value <= len(self.estimation):
            raise ParameterError(
                "min_estimation", value,
                f"give a whole number of returns from {floor} (what the {self.model.label} needs) "
                f"to {len(self.estimation)} (the estimation window's length)",
            )
        return value

    def run(
        self,
        returns: pd.Series,
        market: pd.Series,
        event_date: str | dt.date | pd.Timestamp,
        *,
        factors: pd.DataFrame | None = None,
        ticker: str | None = None,
        market_name: str | None = None,
        non_session: str = "next",
        exchange: str | None = None,
        peers: pd.DataFrame | None = None,
    ) -> EventStudyResult:
        """Run the study on return series.

        Parameters
        ----------
        returns
            The stock's simple returns, indexed by date.
        market
            The market's simple returns, indexed by date. Its dates are the trading days.
        event_date
            The event: a date (``"2018-08-06"``) or a timestamp with a time zone
            (``"2018-08-06T16:30-04:00"``). Day 0 is that date when it is a session; a timestamp
            at or after the close (16:00 New York) moves to the next session; a non-session date
            follows ``non_session``. See :func:`eventstudy.calendar.resolve_event`.
        factors
            Daily factors in decimals, indexed by date (``Mkt-RF``, ``SMB``, ``HML``, ``RF``, ...),
            for the factor models; joined to the returns by date, never by position.
        ticker, market_name
            Names for the result (default: the series' names).
        non_session
            For an event on a day that is not a session: ``"next"`` (default), ``"previous"``
            or ``"raise"``.
        exchange
            exchange_calendars code whose sessions and closes place day 0 (``"XNYS"`` for the
            NYSE, as :func:`run_event_study` uses); ``None`` (default) takes the market
            series' dates as the sessions and 16:00 New York as the close.
        peers
            The peers' simple returns, dates x tickers, for the peer models
            (:mod:`eventstudy.models.peers`); joined by date.
        """
        returns = check_series(returns, "returns")
        market = check_series(market, "market")
        if factors is not None:
            factors = check_frame(factors, "factors")
        if peers is not None:
            peers = check_frame(peers, "peers")
        ticker = ticker or str(returns.name)
        market_name = market_name or str(market.name)
        market = market.dropna()
        if len(market) == 0:
            raise DataError("market: the market series has no values")
        day = resolve_event(
            event_date, non_session=non_session, exchange=exchange, trading_days=market.index
        )
        timing = locate_event(market.index, day.event_date, self.estimation, self.window, event=day)
        stock = returns.reindex(market.index)
        data = model_data(market, factors, self.model, peers)
        _check_history(stock, timing.estimation_dates, "estimation", ticker)
        _check_history(stock, timing.event_dates, "event", ticker)
        _check_event_window(stock, data, timing.event_dates, self.model, ticker)

        est_all = timing.estimation_dates
        valid = stock[est_all].notna() & data.loc[est_all, list(self.model.columns)].notna().all(axis=1)
        est_dates = est_all[valid.to_numpy()]
        if len(est_dates) < self.min_estimation:
            raise DataError(
                f"min_estimation: {safe_text(ticker)} has {len(est_dates)} valid returns in the estimation "
                f"window {self.estimation} ({len(est_all) - len(est_dates)} missing), fewer than the "
                f"{self.min_estimation} required; lower min_estimation or move the window"
            )
        est = data.loc[est_dates]
        evt = data.loc[timing.event_dates]
        target = stock[est_dates].to_numpy() - self.model.offset(est)
        with np.errstate(over="ignore", invalid="ignore"):
            sum_y2 = float(target @ target)
        _check_magnitude(stock, data, est_dates, timing.event_dates, self.model, ticker, sum_y2)
        fit = self.model.fit(stock[est_dates], est)
        # An exact fit leaves only rounding in the residuals: nothing to test the ARs against
        # (the rule is shared with the batch engine: eventstudy.models.linear.exact_fit).
        if exact_fit(fit.sigma**2, sum_y2, fit.df):
            raise DataError(
                f"estimation: the {self.model.label} fits {safe_text(ticker)} exactly over the estimation "
                "window (residual sd 0), so abnormal returns cannot be tested"
            )

        realised = stock[timing.event_dates].to_numpy()
        expected = fit.expected(evt)
        abnormal = realised - expected
        covariance = fit.abnormal_covariance(evt)
        se = np.sqrt(np.diag(covariance))
        t, p = t_statistics(abnormal, se, fit.df, self.alternative)
        # the sample-quantile test: each AR against the estimation residuals (NaN where a day
        # is missing, so the null sums run over consecutive trading days)
        null_residuals = fit.null_residuals().reindex(est_all).to_numpy(dtype=float)
        null_weights = fit.null_weights(evt)
        sq = [sample_quantile_test(null_residuals, value, null_weights[j : j + 1], self.alternative)
              for j, value in enumerate(abnormal)]
        rel_days = pd.Index(list(self.window.days), name="rel_day")
        days = pd.DataFrame(
            {
                "date": timing.event_dates,
                "return": realised,
                "market": evt["market"].to_numpy(),
                "expected": expected,
                "abnormal": abnormal,
                "se": se,
                "t": t,
                "p": p,
                "sq_p": [test.p for test in sq],
                "sq_n": [test.n for test in sq],
            },
            index=rel_days,
        )
        position = pd.Series(np.arange(len(est_all)) + self.estimation.start, index=est_all)
        estimation_data = pd.DataFrame(
            {
                "rel_day": position[est_dates],
                "return": stock[est_dates],
                "market": est["market"],
                "expected": fit.expected(est),
                "residual": fit.residuals,
            }
        )
        estimation_data.index.name = "date"
        return EventStudyResult(
            ticker=ticker,
            market=market_name,
            model=self.model,
            timing=timing,
            level=self.level,
            fit=fit,
            estimation_data=estimation_data,
            days=days,
            covariance=pd.DataFrame(covariance, index=rel_days, columns=rel_days),
            measure=self.measure,
            alternative=self.alternative,
            adjust=self.adjust,
            null_residuals=null_residuals,
            null_weights=pd.Series(null_weights, index=rel_days, name="null_weight"),
            exchange=exchange,
        )


def model_data(
    market: pd.Series, factors: pd.DataFrame | None, model: ExpectedReturnModel,
    peers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Market returns (with the previous and next trading day's), the trading day's number
    (``session``, 0 for the first), factors and peers' returns (``peer:TICKER``), by trading
    day."""
    data = pd.DataFrame(
        {"market": market, "market_lag1": market.shift(1), "market_lead1": market.shift(-1),
         "session": np.arange(len(market))}
    )
    if model.factor_sets:
        if factors is None:
            raise ParameterError(
                "factors", None, f"the {model.label} needs daily factors ({', '.join(model.factor_sets)})"
            )
        data = data.join(factors, how="left")
        missing = [c for c in model.columns if c not in data.columns]
        if missing:
            raise ParameterError(
                "factors", sorted(str(c) for c in factors.columns),
                f"the {model.label} needs the columns {list(model.columns)}; {missing} are missing",
            )
    if peers is not None:
        data = data.join(peers.rename(columns=peer_column), how="left")
    missing = [c for c in model.columns if c.startswith("peer:") and c not in data.columns]
    if missing:
        raise ParameterError("peers", sorted(c[5:] for c in missing),
                             f"the {model.label} needs these peers' returns (peers=)")
    return data


def _check_history(stock: pd.Series, dates: pd.DatetimeIndex, window: str, ticker: str) -> None:
    """Raise when a window reaches before the stock's first return or after its last."""
    valid = stock.dropna()
    if len(valid) == 0:
        raise DataError(f"ticker: {safe_text(ticker)} has no returns on the market's trading days")
    if valid.index[0] > dates[0]:
        raise WindowError(
            f"event_date: too little history for {safe_text(ticker)}: the {window} window starts on "
            f"{dates[0]:%Y-%m-%d}, but the first return available for {safe_text(ticker)} is on "
            f"{valid.index[0]:%Y-%m-%d}"
        )
    if valid.index[-1] < dates[-1]:
        missing = dates[dates > valid.index[-1]]
        raise WindowError(
            f"event_date: no return for {safe_text(ticker)} on the last {len(missing)} day(s) of the "
            f"{window} window ({missing[0]:%Y-%m-%d} to {missing[-1]:%Y-%m-%d}): its last return "
            f"is on {valid.index[-1]:%Y-%m-%d} (missing prices on or before those days, or the "
            "end of its data)"
        )


def _check_magnitude(stock: pd.Series, data: pd.DataFrame, estimation: pd.DatetimeIndex,
                     event: pd.DatetimeIndex, model: ExpectedReturnModel, ticker: str,
                     sum_y2: float) -> None:
    """Refuse returns too large to compute with (``inf``, or squares that overflow)."""
    dates = estimation.append(event)
    values = {f"{safe_text(ticker)} return": stock[dates]}
    values.update({f"{model.name} model input {c!r}": data.loc[dates, c] for c in model.columns})
    for what, series in values.items():
        numbers = series.to_numpy(dtype=float)
        huge = np.isinf(numbers) | (np.abs(numbers) > TOO_LARGE)
        if huge.any():
            first = int(np.flatnonzero(huge)[0])
            raise DataError(too_large_message(what, numbers[first], dates[first]))
    if not np.isfinite(sum_y2):
        raise DataError(
            f"returns: the estimation returns of {safe_text(ticker)} are too large to compute with (their "
            "sum of squares overflows); check the prices"
        )


def check_series(series: object, parameter: str) -> pd.Series:
    """A return series as :meth:`EventStudy.run` needs it: numbers on distinct, naive dates.

    Returns the series sorted by date (a copy when it was not sorted).

    Raises
    ------
    ParameterError
        If ``series`` is not a pandas Series indexed by dates without time zone, has a date
        twice, or holds values that are not numbers.
    """
    if not isinstance(series, pd.Series):
        raise ParameterError(parameter, type(series).__name__, "give a pandas Series of returns indexed by date")
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ParameterError(
            parameter, f"index of type {type(index).__name__}",
            "index the returns by date (a DatetimeIndex, e.g. pd.to_datetime(...))",
        )
    if index.tz is not None:
        raise ParameterError(
            parameter, f"index with time zone {index.tz}",
            "give dates without a time zone (series.tz_localize(None), the exchange's dates)",
        )
    duplicated = index[index.duplicated()]
    if len(duplicated):
        listed = ", ".join(f"{d:%Y-%m-%d}" for d in duplicated[:5])
        raise ParameterError(parameter, f"dates repeated: {listed}", "give each date once")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce")
        bad = series[numbers.isna() & series.notna()]
        example = (f"{bad.iloc[0]!r} on {bad.index[0]:%Y-%m-%d}" if len(bad)
                   else f"values stored as {series.dtype}")
        raise ParameterError(parameter, example, "give returns as numbers (floats)")
    checked: pd.Series = series.astype(float)
    return checked if index.is_monotonic_increasing else checked.sort_index()


def check_frame(frame: object, parameter: str) -> pd.DataFrame:
    """:func:`check_series` for every column of a frame of daily factors."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(parameter, type(frame).__name__, "give a pandas DataFrame indexed by date")
    columns = {c: check_series(frame[c], f"{parameter}[{c!r}]") for c in frame.columns}
    return pd.DataFrame(columns, index=frame.index).sort_index()


def _check_event_window(
    stock: pd.Series, data: pd.DataFrame, dates: pd.DatetimeIndex,
    model: ExpectedReturnModel, ticker: str,
) -> None:
    """Every event-window day needs the stock's return and the model's inputs: no silent gaps."""
    inputs = {f"{safe_text(ticker)} return": stock[dates]}
    inputs.update({f"{model.name} model input {c!r}": data.loc[dates, c] for c in model.columns})
    for what, values in inputs.items():
        missing = dates[values.isna().to_numpy()]
        if len(missing):
            listed = ", ".join(f"{d:%Y-%m-%d}" for d in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise DataError(
                f"window: no {what} on {len(missing)} event-window day(s): {listed}{more}"
            )


