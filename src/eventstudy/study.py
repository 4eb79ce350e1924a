"""The single-event study: one stock, one event date, one expected-return model.

>>> from eventstudy import run_event_study
>>> result = run_event_study("FB", "2018-08-06")          # doctest: +SKIP
>>> print(result.summary())                                # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar import Window, as_window, check_disjoint, locate_event, parse_event_date
from eventstudy.data import available_tickers, load_prices
from eventstudy.exceptions import DataError, UnknownTickerError, WindowError
from eventstudy.inference import check_level, t_statistics
from eventstudy.models import ExpectedReturnModel, get_model
from eventstudy.results import EventStudyResult
from eventstudy.returns import simple_returns

DEFAULT_ESTIMATION = (-250, -11)
DEFAULT_WINDOW = (-1, 1)
DEFAULT_MARKET = "^GSPC"


@dataclass(frozen=True, init=False)
class EventStudy:
    """The specification of a study: model, windows and confidence level, validated once.

    Parameters
    ----------
    model
        ``"constant_mean"``, ``"market_adjusted"`` or ``"market"`` (see :mod:`eventstudy.models`).
    estimation, window
        Estimation and event windows ``(start, end)`` in trading days relative to day 0, both
        inclusive. They must not overlap.
    level
        Confidence level of the intervals.
    """

    model: ExpectedReturnModel
    estimation: Window
    window: Window
    level: float

    def __init__(
        self,
        model: str | ExpectedReturnModel = "market",
        estimation: tuple[int, int] | Window = DEFAULT_ESTIMATION,
        window: tuple[int, int] | Window = DEFAULT_WINDOW,
        level: float = 0.95,
    ) -> None:
        object.__setattr__(self, "model", get_model(model))
        object.__setattr__(self, "estimation", as_window(estimation, "estimation"))
        object.__setattr__(self, "window", as_window(window, "window"))
        object.__setattr__(self, "level", check_level(level))
        check_disjoint(self.estimation, self.window)

    def run(
        self,
        returns: pd.Series,
        market: pd.Series,
        event_date: str | dt.date | pd.Timestamp,
        *,
        ticker: str | None = None,
        market_name: str | None = None,
    ) -> EventStudyResult:
        """Run the study on return series.

        Parameters
        ----------
        returns
            The stock's simple returns, indexed by date.
        market
            The market's simple returns, indexed by date. Its dates are the trading days.
        event_date
            Calendar date of the event; day 0 is the first trading day on or after it.
        ticker, market_name
            Names for the result (default: the series' names).
        """
        event = parse_event_date(event_date)
        ticker = ticker or str(returns.name)
        market_name = market_name or str(market.name)
        market = market.dropna()
        timing = locate_event(market.index, event, self.estimation, self.window)
        stock = returns.reindex(market.index)
        _check_complete(stock, timing.estimation_dates, "estimation", ticker)
        _check_complete(stock, timing.event_dates, "window", ticker)

        est = pd.DataFrame({"market": market[timing.estimation_dates]})
        evt = pd.DataFrame({"market": market[timing.event_dates]})
        fit = self.model.fit(stock[timing.estimation_dates], est)
        if not fit.sigma > 0:
            raise DataError(
                f"estimation: the {self.model.label} fits {ticker!r} exactly over the estimation "
                "window (residual sd 0), so abnormal returns cannot be tested"
            )

        realised = stock[timing.event_dates].to_numpy()
        expected = fit.expected(evt)
        abnormal = realised - expected
        covariance = fit.abnormal_covariance(evt)
        se = np.sqrt(np.diag(covariance))
        t, p = t_statistics(abnormal, se, fit.df)
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
            },
            index=rel_days,
        )
        estimation_data = pd.DataFrame(
            {
                "return": stock[timing.estimation_dates],
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
        )


def _check_complete(
    stock: pd.Series, dates: pd.DatetimeIndex, parameter: str, ticker: str
) -> None:
    """Raise when the stock has no return on some trading days of a window."""
    missing = dates[stock[dates].isna().to_numpy()]
    if len(missing) == 0:
        return
    valid = stock.dropna()
    if len(valid) and valid.index[0] > dates[0]:
        raise WindowError(
            f"event_date: too little history for {ticker!r}: the {parameter} window starts on "
            f"{dates[0]:%Y-%m-%d}, but the first return available for {ticker!r} is on "
            f"{valid.index[0]:%Y-%m-%d}"
        )
    if len(valid) and valid.index[-1] < dates[-1]:
        raise WindowError(
            f"event_date: too few trading days after the event for {ticker!r}: the {parameter} "
            f"window ends on {dates[-1]:%Y-%m-%d}, but the last return available for {ticker!r} "
            f"is on {valid.index[-1]:%Y-%m-%d}"
        )
    listed = ", ".join(f"{d:%Y-%m-%d}" for d in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    raise DataError(
        f"{parameter}: {ticker!r} has no return on {len(missing)} trading day(s) of the window: "
        f"{listed}{more}"
    )


def run_event_study(
    ticker: str,
    event_date: str | dt.date | pd.Timestamp,
    *,
    market: str = DEFAULT_MARKET,
    model: str | ExpectedReturnModel = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    level: float = 0.95,
    data_dir: str | os.PathLike[str] | None = None,
) -> EventStudyResult:
    """Event study of ``ticker`` around ``event_date`` from the committed snapshot (offline).

    Returns are simple returns of ``Adj Close`` between consecutive trading days of ``market``.
    See :class:`EventStudy` for the parameters and :class:`~eventstudy.results.EventStudyResult`
    for what comes back.
    """
    study = EventStudy(model=model, estimation=estimation, window=window, level=level)
    event = parse_event_date(event_date)
    known = available_tickers(data_dir)
    for parameter, name in (("ticker", ticker), ("market", market)):
        if name not in known:
            raise UnknownTickerError(name, known, parameter=parameter)
    prices = load_prices(list(dict.fromkeys([ticker, market])), data_dir=data_dir)
    trading_days = pd.DatetimeIndex(prices.loc[prices["ticker"] == market, "date"])
    returns = simple_returns(prices, calendar=trading_days)
    return study.run(returns[ticker], returns[market], event, ticker=ticker, market_name=market)
