r"""Many events: per-event studies, average abnormal returns and multi-event test statistics.

For :math:`N` events with abnormal returns :math:`AR_{i,t}` on relative day :math:`t`,

.. math:: AAR_t = \frac{1}{N}\sum_i AR_{i,t}, \qquad CAAR(a, b) = \sum_{t=a}^{b} AAR_t,

(MacKinlay 1997, *J. Econ. Lit.* 35(1), eqs. 12-13), tested with every statistic of
:mod:`eventstudy.statistics`. An event that cannot be studied (unknown ticker, too little
history, missing data) is listed with its reason in ``skipped``; the others still run.

All events are estimated at once by the vectorised engine of :mod:`eventstudy.batch`, which
gives the per-event numbers of ``eventstudy run`` (to 1e-10, tested).
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

from eventstudy.batch import BatchResult, batch_event_study
from eventstudy.calendar import DEFAULT_EXCHANGE, Window, as_window, resolve_event
from eventstudy.data import available_tickers, load_prices
from eventstudy.exceptions import DataError, EventStudyError, ParameterError, UnknownTickerError
from eventstudy.results import preformatted_html
from eventstudy.returns import simple_returns
from eventstudy.statistics import TestStatistic, mean_residual_correlation, multi_event_tests
from eventstudy.study import (
    DEFAULT_ESTIMATION,
    DEFAULT_MARKET,
    DEFAULT_WINDOW,
    EventStudy,
    load_factor_sets,
    load_live,
)
from eventstudy.sources import check_source

REQUIRED_COLUMNS = ("ticker", "event_date")


@dataclass(frozen=True)
class MultiEventResult:
    """What a multi-event study computed.

    Attributes
    ----------
    study
        The specification (model, windows, level) shared by all events.
    car_window
        The window of the CAAR and its tests.
    events
        One row per studied event, indexed by its row in the events table: ``ticker``,
        ``market``, ``event_date``, ``day0``, ``nobs``, ``df``, ``sigma``, the model's
        parameters, the CAR over :attr:`car_window` (``car``, ``car_se``, ``car_t``, ``car_p``,
        ``car_ci_low``, ``car_ci_high``) and ``bhar``.
    abnormal, abnormal_se
        Abnormal returns and their standard errors, one row per studied event (same index as
        :attr:`events`), one column per relative day.
    residuals
        Estimation-window residuals, one row per studied event (labelled by :attr:`labels`),
        aligned by relative day (NaN: missing).
    skipped
        Events that could not be studied: ``ticker``, ``event_date``, ``reason``.
    tests
        Every multi-event test statistic, per relative day and for the CAAR window.
    warnings
        Warnings raised while testing (e.g. events clustered on the same day).
    """

    study: EventStudy
    car_window: Window
    events: pd.DataFrame
    abnormal: pd.DataFrame
    abnormal_se: pd.DataFrame
    residuals: pd.DataFrame
    skipped: pd.DataFrame
    tests: tuple[TestStatistic, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def labels(self) -> list[str]:
        """One label per event: the ticker, with the day-0 date where a ticker repeats."""
        return _labels(self.events)

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
                    "event_date": str(row.event_date),
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
        """A plain-text report: set-up, AAR/CAAR by day, each event's CAR, the CAAR window's tests.

        Warnings (e.g. clustered events) are not repeated here: Python emits them, the command
        line prints them on stderr, and :attr:`warnings` keeps them.
        """
        from eventstudy.results import Summary

        def day(d: int) -> str:
            return f"{d:+d}" if d else "0"

        def window(w: Window) -> str:
            return f"({day(w.start)}, {day(w.end)})"

        def pvalue(p: float) -> str:
            return "<0.0001" if p < 0.0001 else f"{p:.4f}"

        spec = self.study
        lines = [
            f"Multi-event study: {self.n_events} events, {spec.model.label}, "
            f"estimation window {window(spec.estimation)}, event window {window(spec.window)}",
        ]
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} event(s) skipped (see .skipped)")
        def aligned(columns: dict[str, list[str]], left: tuple[str, ...] = ()) -> list[str]:
            """Rows of text columns, headers included; ``left`` columns flush left, others right."""
            widths = {k: max([len(k), *(len(v) for v in vs)]) for k, vs in columns.items()}
            cells = [list(columns)] + [list(row) for row in zip(*columns.values())]
            return ["  " + "  ".join(
                c.ljust(widths[k]) if k in left else c.rjust(widths[k]) for k, c in zip(columns, row)
            ).rstrip() for row in cells]

        lines += ["", *aligned({
            "rel_day": [day(int(d)) for d in self.aar.index],
            "AAR": [f"{v:+.3%}" for v in self.aar],
            "CAAR": [f"{v:+.3%}" for v in self.caar_path],
        }), ""]
        shown = self.events.iloc[:30]  # a report, not a dump: to_dict() / --json list every event
        lines.append(f"Events, CAR{window(self.car_window)}:")
        lines += aligned({
            "ticker": shown["ticker"].astype(str).tolist(),
            "event_date": shown["event_date"].astype(str).tolist(),
            "day0": [f"{d:%Y-%m-%d}" for d in pd.to_datetime(shown["day0"])],
            "CAR": [f"{v:+.3%}" for v in shown["car"]],
            "se": [f"{v:.3%}" for v in shown["car_se"]],
            "t": [f"{v:+.2f}" for v in shown["car_t"]],
            "p": [pvalue(v) for v in shown["car_p"]],
        }, left=("ticker", "event_date", "day0"))
        if len(self.events) > len(shown):
            lines.append(f"  ... and {len(self.events) - len(shown)} more events (to_dict() or --json has them all)")
        lines += ["", f"CAAR{window(self.car_window)} = {self.caar:+.3%}"]
        frame = self.tests_frame()
        if len(frame):
            window_tests = frame[frame["rel_day"].isna()]
            lines.append("Tests of the CAAR window:")
            lines += aligned({
                "test": window_tests["name"].tolist(),
                "stat": [f"{v:+.3f}" for v in window_tests["stat"]],
                "p": [pvalue(v) for v in window_tests["p"]],
                "distribution": window_tests["dist"].tolist(),
            }, left=("test", "distribution"))
        return Summary("\n".join(lines))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return preformatted_html(self.summary())


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
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> MultiEventResult:
    """Study many events from the committed snapshot and test the average abnormal returns.

    Every event is estimated at once by the vectorised engine
    (:func:`eventstudy.batch.batch_event_study`), which gives the numbers of
    :func:`eventstudy.run_event_study` for each event (checked to 1e-10 in the tests).

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` and ``event_date`` and optionally ``market``
        (the default market is used where it is missing or empty). An event date may be a date
        or a timestamp with a time zone: a timestamp at or after the 16:00 New York close, or a
        day without a session, moves day 0 as ``non_session`` says (the market's trading days,
        in the snapshot the NYSE's sessions).
    market, model, estimation, window, level, min_estimation
        As for :func:`eventstudy.run_event_study`, shared by all events.
    car_window
        Window of the CAAR and its tests, inside the event window (default: the event window).
    tests
        Names of the tests to run (default: all of :mod:`eventstudy.statistics`).
    source, cache_dir
        Where prices come from, as for :func:`eventstudy.run_event_study`: ``"snapshot"``
        (default), ``"cache"``, ``"yahoo"`` or ``"auto"``. Tickers that cannot be had skip their
        events, with the reason.
    progress
        Progress bar for long batches (default: only when stderr is a terminal).
    """
    study = EventStudy(
        model=model, estimation=estimation, window=window, level=level, min_estimation=min_estimation
    )
    caar_window = as_window(
        car_window if car_window is not None else (study.window.start, study.window.end), "car_window"
    )
    if caar_window.start < study.window.start or caar_window.end > study.window.end:
        raise ParameterError(
            "car_window", (caar_window.start, caar_window.end), f"stay inside the event window {study.window}"
        )
    table = read_events(events)
    table["market"] = (
        table["market"].where(table["market"].astype(str).str.strip() != "", market)
        if "market" in table.columns else market
    )
    check_source(source)
    skipped: list[dict[str, Any]] = []
    parts: list[tuple[pd.DataFrame, BatchResult]] = []
    for market_name, group in table.groupby("market", sort=False):
        if source == "snapshot":
            prices, factors, reasons = _snapshot_prices(study, group, market_name, data_dir)
        else:
            prices, factors, reasons = _live_prices(
                study, group, market_name, source, cache_dir, data_dir, non_session
            )
        for row, reason in reasons.items():
            skipped.append({"row": row, "ticker": group.at[row, "ticker"],
                            "event_date": group.at[row, "event_date"], "reason": reason})
        group = group.drop(index=list(reasons))
        if group.empty or prices is None:
            continue
        calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == market_name, "date"])
        returns = simple_returns(prices, calendar=calendar)
        batch = batch_event_study(
            returns, group[["ticker", "event_date"]].reset_index(drop=True), returns[market_name],
            model=study.model, estimation=study.estimation, window=study.window,
            car_window=caar_window, level=study.level, min_estimation=study.min_estimation,
            factors=factors, non_session=non_session, progress=progress,
        )
        for position, row in batch.skipped.iterrows():
            skipped.append({"row": group.index[position], "ticker": row["security"],
                            "event_date": row["event_date"], "reason": row["reason"]})
        parts.append((group, batch))
    skipped_frame = (
        pd.DataFrame(skipped, columns=["row", "ticker", "event_date", "reason"])
        .sort_values("row").set_index("row").rename_axis(None)
    )
    studied = sum(batch.n_events for _, batch in parts)
    if studied < 2:
        examples = "; ".join(f"{s['ticker']} {s['event_date']}: {s['reason']}" for s in skipped[:3])
        raise DataError(
            f"events: {studied} of {len(table)} events could be studied; the multi-event tests "
            f"need at least 2" + (f" (skipped: {examples})" if examples else "")
        )
    return _combine(study, caar_window, parts, skipped_frame, tests)


def _snapshot_prices(
    study: EventStudy, group: pd.DataFrame, market: str, data_dir: str | os.PathLike[str] | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[Any, str]]:
    """Prices of one market's events from the committed snapshot; unknown tickers get a reason."""
    known = available_tickers(data_dir)
    reasons: dict[Any, str] = {}
    for row, ticker in group["ticker"].items():
        if market not in known:
            reasons[row] = str(UnknownTickerError(market, known, parameter="market"))
        elif ticker not in known:
            reasons[row] = str(UnknownTickerError(ticker, known, parameter="ticker"))
    wanted = sorted(set(group["ticker"].drop(index=list(reasons))) | {market})
    if len(reasons) == len(group):
        return None, None, reasons
    return load_prices(wanted, data_dir=data_dir), load_factor_sets(study.model.factor_sets, data_dir), reasons


def _live_prices(
    study: EventStudy, group: pd.DataFrame, market: str, source: str,
    cache_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None,
    non_session: str,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[Any, str]]:
    """Prices of one market's events from the cache or Yahoo, over the sessions their windows
    need; events whose date, ticker or market cannot be had get a reason."""
    reasons: dict[Any, str] = {}
    day0s: dict[Any, pd.Timestamp] = {}
    for row, value in group["event_date"].items():
        try:
            day0s[row] = resolve_event(value, non_session=non_session, exchange=DEFAULT_EXCHANGE).day0
        except EventStudyError as error:
            reasons[row] = str(error)
    if not day0s:
        return None, None, reasons
    tickers = sorted(set(group.loc[list(day0s), "ticker"]))
    prices, factors, failures = load_live(
        study, [*tickers, market], list(day0s.values()), source, cache_dir, data_dir, DEFAULT_EXCHANGE
    )
    for row in day0s:
        failed = failures.get(market) or failures.get(group.at[row, "ticker"])
        if failed is not None:
            reasons[row] = str(failed)
    return prices, factors, reasons


def _combine(
    study: EventStudy, car_window: Window, parts: list[tuple[pd.DataFrame, BatchResult]],
    skipped: pd.DataFrame, tests: Sequence[str] | None,
) -> MultiEventResult:
    """Join the per-market batches in the order of the events table and run the tests."""
    frames, abnormal, se, residuals = [], [], [], []
    for group, batch in parts:
        rows = np.flatnonzero(batch.ok)
        frame = batch.frame().rename(columns={"security": "ticker"})
        frame.index = group.index[rows]
        frame.insert(1, "market", group["market"].iloc[rows].to_numpy())
        frame["event_date"] = group["event_date"].iloc[rows].to_numpy()
        frame["day0"] = pd.DatetimeIndex(frame["day0"])
        frames.append(frame)
        abnormal.append(batch.abnormal[rows])
        se.append(batch.se[rows])
        residuals.append(batch.residuals(rows))
    events = pd.concat(frames)
    order = np.argsort(events.index.to_numpy(), kind="stable")
    events = events.iloc[order]
    rel_days = pd.Index(list(study.window.days), name="rel_day")
    abnormal_frame = pd.DataFrame(np.concatenate(abnormal)[order], index=events.index, columns=rel_days)
    se_frame = pd.DataFrame(np.concatenate(se)[order], index=events.index, columns=rel_days)
    residual_frame = pd.DataFrame(
        np.concatenate(residuals)[order], index=_labels(events),
        columns=pd.Index(list(study.estimation.days), name="rel_day"),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        statistics = multi_event_tests(
            abnormal=abnormal_frame.to_numpy(),
            abnormal_sd=se_frame.to_numpy(),
            car_sd=events["car_se"].to_numpy(),
            residuals=residual_frame.to_numpy(),
            df=events["df"].to_numpy(),
            rel_days=list(rel_days),
            window=(car_window.start, car_window.end),
            event_dates=list(events["day0"]),
            tests=tests,
        )
    for caught_warning in caught:  # re-raise for the caller, with their own classes
        warnings.warn(caught_warning.message, caught_warning.category, stacklevel=3)
    return MultiEventResult(
        study=study, car_window=car_window, events=events, abnormal=abnormal_frame,
        abnormal_se=se_frame, residuals=residual_frame, skipped=skipped,
        tests=tuple(statistics), warnings=tuple(str(w.message) for w in caught),
    )


def _labels(events: pd.DataFrame) -> list[str]:
    tickers = list(events["ticker"])
    return [
        t if tickers.count(t) == 1 else f"{t} {pd.Timestamp(d):%Y-%m-%d}"
        for t, d in zip(tickers, events["day0"])
    ]
