r"""Many events: per-event studies, average abnormal returns and multi-event test statistics.

For :math:`N` events with abnormal returns :math:`AR_{i,t}` on relative day :math:`t`,

.. math:: AAR_t = \frac{1}{N}\sum_i AR_{i,t}, \qquad CAAR(a, b) = \sum_{t=a}^{b} AAR_t,

(MacKinlay 1997, *J. Econ. Lit.* 35(1), eqs. 12-13), tested with every statistic of
:mod:`eventstudy.statistics`. An event that cannot be studied (unknown ticker, too little
history, missing data) is listed with its reason in ``skipped``; the others still run.

Each event is estimated by the single-event path (:class:`eventstudy.study.EventStudy`), so a
multi-event study gives exactly the per-event numbers of ``eventstudy run``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import DEFAULT_EXCHANGE, Window, as_window
from eventstudy.data import available_tickers, load_prices
from eventstudy.exceptions import DataError, EventStudyError, ParameterError, UnknownTickerError
from eventstudy.results import EventStudyResult
from eventstudy.returns import simple_returns
from eventstudy.statistics import TestStatistic, mean_residual_correlation, multi_event_tests
from eventstudy.study import (
    DEFAULT_ESTIMATION,
    DEFAULT_MARKET,
    DEFAULT_WINDOW,
    EventStudy,
    load_factor_sets,
)

REQUIRED_COLUMNS = ("ticker", "event_date")


@dataclass(frozen=True)
class MultiEventResult:
    """What a multi-event study computed.

    Attributes
    ----------
    study
        The specification (model, windows, level) shared by all events.
    results
        The single-event results, in the order of the events table (skipped events left out).
    skipped
        Events that could not be studied: ``ticker``, ``event_date``, ``reason``.
    car_window
        The window of the CAAR and its tests.
    tests
        Every multi-event test statistic, per relative day and for the CAAR window.
    warnings
        Warnings raised while testing (e.g. events clustered on the same day).
    """

    study: EventStudy
    results: tuple[EventStudyResult, ...]
    skipped: pd.DataFrame
    car_window: Window
    tests: tuple[TestStatistic, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_events(self) -> int:
        return len(self.results)

    @property
    def abnormal(self) -> pd.DataFrame:
        """Abnormal returns, one row per event, one column per relative day."""
        return pd.DataFrame(
            [r.days["abnormal"].to_numpy() for r in self.results],
            columns=pd.Index(list(self.study.window.days), name="rel_day"),
        )

    @property
    def labels(self) -> list[str]:
        """One label per event: the ticker, with the day-0 date where a ticker repeats."""
        tickers = [r.ticker for r in self.results]
        return [
            r.ticker if tickers.count(r.ticker) == 1 else f"{r.ticker} {r.day0:%Y-%m-%d}"
            for r in self.results
        ]

    @property
    def residuals(self) -> pd.DataFrame:
        """Estimation-window residuals, one row per event, aligned by relative day (NaN: missing)."""
        days = pd.Index(list(self.study.estimation.days), name="rel_day")
        frame = pd.DataFrame(np.nan, index=self.labels, columns=days)
        for label, r in zip(self.labels, self.results):
            frame.loc[label, r.estimation_data["rel_day"].to_numpy()] = r.estimation_data["residual"].to_numpy()
        return frame

    @property
    def residual_correlation(self) -> float:
        """Mean pairwise correlation of the residuals in event time (Kolari & Pynnonen 2010)."""
        return mean_residual_correlation(self.residuals.to_numpy())

    @property
    def aar(self) -> pd.Series:
        """Average abnormal return by relative day."""
        return self.abnormal.mean(axis=0).rename("aar")

    @property
    def caar_path(self) -> pd.Series:
        """Cumulative average abnormal return from the event window's first day."""
        return self.aar.cumsum().rename("caar")

    @property
    def caar(self) -> float:
        """CAAR over :attr:`car_window`."""
        return float(self.aar.loc[self.car_window.start : self.car_window.end].sum())

    @property
    def events(self) -> pd.DataFrame:
        """Per-event table: ticker, event date, day 0, CAR over the CAAR window with its test, BHAR."""
        rows = []
        for r in self.results:
            car = r.cumulative(self.car_window.start, self.car_window.end)
            rows.append({
                "ticker": r.ticker,
                "market": r.market,
                "event_date": r.event_date,
                "day0": r.day0,
                "car": car.value,
                "car_se": car.se,
                "car_t": car.t,
                "car_p": car.p,
                "bhar": r.buy_and_hold(self.car_window.start, self.car_window.end),
            })
        return pd.DataFrame(rows)

    def tests_frame(self) -> pd.DataFrame:
        """The test statistics as a frame: name, rel_day, window, stat, p, dist."""
        return pd.DataFrame([
            {**t.to_dict(), "dist": t.dist} for t in self.tests
        ])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: model, n_events, events, aar, caar, tests, skipped, warnings."""
        return {
            "model": self.study.model.name,
            "n_events": self.n_events,
            "events": [
                {
                    "ticker": row.ticker,
                    "event_date": f"{row.event_date:%Y-%m-%d}",
                    "day0": f"{row.day0:%Y-%m-%d}",
                    "car": float(row.car),
                    "car_se": float(row.car_se),
                    "car_t": float(row.car_t),
                    "car_p": float(row.car_p),
                }
                for row in self.events.itertuples()
            ],
            "aar": [{"rel_day": int(k), "value": float(v)} for k, v in self.aar.items()],
            "caar": {"start": self.car_window.start, "end": self.car_window.end, "value": self.caar},
            "tests": [t.to_dict() for t in self.tests],
            "skipped": [
                {"ticker": row.ticker, "event_date": str(row.event_date), "reason": row.reason}
                for row in self.skipped.itertuples()
            ],
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A plain-text report: set-up, AAR/CAAR by day, the CAAR window and its tests."""
        spec = self.study
        lines = [
            f"Multi-event study: {self.n_events} events, {spec.model.label}, "
            f"estimation window {spec.estimation}, event window {spec.window}",
        ]
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} event(s) skipped (see .skipped)")
        lines += [f"  warning: {w}" for w in self.warnings]
        table = pd.DataFrame({"AAR": self.aar, "CAAR": self.caar_path}).map("{:+.3%}".format)
        lines += ["", *("  " + line for line in table.to_string().splitlines()), ""]
        lines.append(f"CAAR{self.car_window} = {self.caar:+.3%}")
        frame = self.tests_frame()
        if len(frame):
            window_tests = frame[frame["rel_day"].isna()]
            lines.append("Tests of the CAAR window:")
            for row in window_tests.itertuples():
                lines.append(f"  {row.name:<24} {row.stat:+8.3f}  p {row.p:.4f}  {row.dist}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary().replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def read_events(events: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """Validate an events table (``ticker``, ``event_date``, optional ``market``) or read it from CSV."""
    if isinstance(events, (str, os.PathLike)):
        path = Path(events)
        if not path.is_file():
            raise ParameterError("events", str(path), "give the path of a CSV file with columns ticker,event_date")
        events = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in events.columns]
    if missing:
        raise ParameterError(
            "events", list(events.columns), "the table needs columns ticker,event_date (and optionally market)"
        )
    if len(events) == 0:
        raise ParameterError("events", "an empty table", "give at least two events")
    return events.reset_index(drop=True)


def run_multi_event_study(
    events: pd.DataFrame | str | os.PathLike[str],
    *,
    market: str = DEFAULT_MARKET,
    model: str = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    car_window: tuple[int, int] | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    tests: Sequence[str] | None = None,
    non_session: str = "next",
    exchange: str = DEFAULT_EXCHANGE,
    data_dir: str | os.PathLike[str] | None = None,
) -> MultiEventResult:
    """Study many events from the committed snapshot and test the average abnormal returns.

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` and ``event_date`` and optionally ``market``
        (the default market is used where it is missing or empty). An event date may be a date
        or a timestamp with a time zone, placed on the exchange calendar as in
        :func:`eventstudy.run_event_study` (``non_session``, ``exchange``).
    market, model, estimation, window, level, min_estimation
        As for :func:`eventstudy.run_event_study`, shared by all events.
    car_window
        Window of the CAAR and its tests, inside the event window (default: the event window).
    tests
        Names of the tests to run (default: all of :mod:`eventstudy.statistics`).
    """
    study = EventStudy(
        model=model, estimation=estimation, window=window, level=level, min_estimation=min_estimation
    )
    caar_window = as_window(car_window if car_window is not None else (study.window.start, study.window.end), "car_window")
    if caar_window.start < study.window.start or caar_window.end > study.window.end:
        raise ParameterError(
            "car_window", (caar_window.start, caar_window.end), f"stay inside the event window {study.window}"
        )
    table = read_events(events)
    markets = (
        table["market"].where(table["market"].astype(str).str.strip() != "", market)
        if "market" in table.columns else pd.Series(market, index=table.index)
    )
    known = set(available_tickers(data_dir))
    wanted = sorted(({t for t in table["ticker"]} | set(markets)) & known)
    prices = load_prices(wanted, data_dir=data_dir) if wanted else None
    returns_by_market: dict[str, pd.DataFrame] = {}
    factors = load_factor_sets(study.model.factor_sets, data_dir)

    results: list[EventStudyResult] = []
    skipped: list[dict[str, str]] = []
    for ticker, event_date, market_name in zip(table["ticker"], table["event_date"], markets):
        try:
            for parameter, name in (("ticker", ticker), ("market", market_name)):
                if name not in known:
                    raise UnknownTickerError(name, known, parameter=parameter)
            if market_name not in returns_by_market:
                calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == market_name, "date"])
                returns_by_market[market_name] = simple_returns(prices, calendar=calendar)
            returns = returns_by_market[market_name]
            results.append(study.run(
                returns[ticker], returns[market_name], event_date, factors=factors,
                ticker=ticker, market_name=market_name, non_session=non_session, exchange=exchange,
            ))
        except EventStudyError as error:
            skipped.append({"ticker": ticker, "event_date": str(event_date), "reason": str(error)})
    skipped_frame = pd.DataFrame(skipped, columns=["ticker", "event_date", "reason"])
    if len(results) < 2:
        reasons = "; ".join(f"{s['ticker']} {s['event_date']}: {s['reason']}" for s in skipped[:3])
        raise DataError(
            f"events: {len(results)} of {len(table)} events could be studied; the multi-event tests "
            f"need at least 2" + (f" (skipped: {reasons})" if reasons else "")
        )
    statistics, caught = _test(results, study, caar_window, tests)
    for caught_warning in caught:  # re-raise for the caller, with their own classes
        warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    return MultiEventResult(
        study=study,
        results=tuple(results),
        skipped=skipped_frame,
        car_window=caar_window,
        tests=tuple(statistics),
        warnings=tuple(str(w.message) for w in caught),
    )


def _test(
    results: list[EventStudyResult], study: EventStudy, car_window: Window, tests: Sequence[str] | None
) -> tuple[list[TestStatistic], list[warnings.WarningMessage]]:
    """Gather the per-event inputs of :func:`eventstudy.statistics.multi_event_tests` and run it."""
    residuals = np.full((len(results), len(study.estimation)), np.nan)
    for i, r in enumerate(results):
        columns = r.estimation_data["rel_day"].to_numpy() - study.estimation.start
        residuals[i, columns] = r.estimation_data["residual"].to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        statistics = multi_event_tests(
            abnormal=np.array([r.days["abnormal"].to_numpy() for r in results]),
            abnormal_sd=np.array([r.days["se"].to_numpy() for r in results]),
            car_sd=np.array([r.cumulative(car_window.start, car_window.end).se for r in results]),
            residuals=residuals,
            df=np.array([r.fit.df for r in results]),
            rel_days=list(study.window.days),
            window=(car_window.start, car_window.end),
            event_dates=[r.day0 for r in results],
            tests=tests,
        )
    return statistics, list(caught)
