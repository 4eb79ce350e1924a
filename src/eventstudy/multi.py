r"""Many events: per-event studies, average abnormal returns and multi-event test statistics.

For :math:`N` events with abnormal returns :math:`AR_{i,t}` on relative day :math:`t`,

.. math:: AAR_t = \frac{1}{N}\sum_i AR_{i,t}, \qquad CAAR(a, b) = \sum_{t=a}^{b} AAR_t,

(MacKinlay 1997, *J. Econ. Lit.* 35(1), eqs. 12-13), tested with every statistic of
:mod:`eventstudy.statistics`. An event that cannot be studied (unknown ticker, too little
history, missing data) is listed with its reason in ``skipped``; the others still run.

All events are estimated at once by the vectorised engine of :mod:`eventstudy.batch`, which
gives the per-event numbers of ``eventstudy run`` (to 1e-10, tested). The returns come from the
snapshot, the cache or Yahoo, or the user's own panel file (:mod:`eventstudy.inputs`,
:mod:`eventstudy.panel`); every row of the events table is accounted for
(:mod:`eventstudy.events`): studied, studied with day 0 moved, a duplicate, or skipped with
the reason. No step grows faster than the number of events, and the estimation residuals are
read chunk by chunk from the engine by the statistics, never held whole.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from eventstudy.batch import batch_event_study, car_windows_of
from eventstudy.calendar import DEFAULT_EXCHANGE, Window
from eventstudy.events import (
    STATUSES,
    accounting_counts,
    accounting_frame,
    find_duplicates,
    id_column_of,
    place_events,
    read_events,
)
from eventstudy.exceptions import DataError
from eventstudy.inputs import (
    MarketData,
    UserPanel,
    check_sources,
    live_data,
    nyse_day0s,
    panel_data,
    snapshot_data,
)
from eventstudy.results import preformatted_html
from eventstudy.sources import check_source
from eventstudy.statistics import TestStatistic, mean_residual_correlation, multi_event_tests
from eventstudy.study import DEFAULT_ESTIMATION, DEFAULT_MARKET, DEFAULT_WINDOW, EventStudy

__all__ = ["MultiEventResult", "read_events", "run_multi_event_study"]

#: Models fitted one likelihood per event (:mod:`eventstudy.garch_batch`), not by the engine.
GARCH_MODEL_NAMES = ("garch", "garch_t")


def _finite(value: float) -> float | None:
    """The value, or None where it is not a finite number (JSON has no NaN or infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _texts(column: pd.Series) -> list[str]:
    """A column as a list of str (fast for pandas' string arrays)."""
    values = column.to_numpy(dtype=object)
    if pd.api.types.is_string_dtype(column.dtype) and not column.isna().any():
        return values.tolist()
    return values.astype(str).tolist()


def _dates(column: pd.Series) -> list[str | None]:
    """Dates as ``YYYY-MM-DD`` (None where missing): each distinct date formatted once."""
    values = pd.DatetimeIndex(column).to_numpy().astype("datetime64[D]")
    distinct, where = np.unique(values, return_inverse=True)
    text = np.datetime_as_string(distinct).astype(object)
    text[np.isnat(distinct)] = None
    return text[where.ravel()].tolist()


def _integers(column: pd.Series) -> list[int | None]:
    """A nullable integer column as ints (None where missing)."""
    values = column.to_numpy(dtype=object, na_value=None)
    return [None if v is None else int(v) for v in values]


def window_label(window: Window) -> str:
    """Column suffix of a CAR window, e.g. ``(-1,+1)``."""
    return f"({window.start:+d},{window.end:+d})".replace("(+0", "(0").replace(",+0)", ",0)")


@dataclass(frozen=True)
class MultiEventResult:
    """What a multi-event study computed.

    Attributes
    ----------
    study
        The specification (model, windows, level) shared by all events.
    car_windows
        The windows of the CAAR and their tests; the first is :attr:`car_window`.
    events
        One row per studied event, indexed by its row in the events table: ``ticker``,
        ``market``, ``event_date`` (as given), ``day0``, ``nobs``, ``df``, ``sigma``, the model's
        parameters, the CAR over :attr:`car_window` (``car``, ``car_se``, ``car_t``, ``car_p``,
        ``scar`` the standardised CAR ``car / car_se``, ``car_ci_low``, ``car_ci_high``), ``bhar``; for each further window the same CAR
        columns suffixed by the window (``car(-5,+5)``...); ``estimation_days_lost`` with
        ``exclude_events``; then the other columns of the events table.
    abnormal, abnormal_se
        Abnormal returns and their standard errors, one row per studied event (same index as
        :attr:`events`), one column per relative day.
    accounting
        One row per row of the events table: ``ticker``, ``event_date``, ``status`` (one of
        :data:`eventstudy.events.STATUSES`), ``day0``, ``reason``, ``duplicate_of`` and, with
        ``exclude_events``, ``estimation_days_lost``.
    tests
        Every multi-event test statistic, per relative day and for each CAAR window.
    warnings
        Warnings raised while reading and testing (e.g. events clustered on the same day).
    """

    study: EventStudy
    car_windows: tuple[Window, ...]
    events: pd.DataFrame
    abnormal: pd.DataFrame
    abnormal_se: pd.DataFrame
    accounting: pd.DataFrame
    tests: tuple[TestStatistic, ...]
    warnings: tuple[str, ...] = field(default=())
    residual_rows: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    window_dates: Callable[[], np.ndarray] | None = field(default=None, repr=False)

    @property
    def car_window(self) -> Window:
        """The first CAAR window."""
        return self.car_windows[0]

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def skipped(self) -> pd.DataFrame:
        """Rows of the events table that were not studied: ``ticker``, ``event_date``,
        ``reason`` (duplicates are in :attr:`accounting`, studied under their first row)."""
        rows = self.accounting[self.accounting["status"] == "skipped"]
        return rows[["ticker", "event_date", "reason"]].rename_axis(None)

    @property
    def counts(self) -> dict[str, int]:
        """Rows read and how many are studied, studied with day 0 moved, duplicates, skipped."""
        return accounting_counts(self.accounting)

    @property
    def labels(self) -> list[str]:
        """One label per event: the ticker, with the day-0 date where a ticker repeats."""
        tickers = self.events["ticker"].astype(str)
        repeated = tickers.duplicated(keep=False).to_numpy()
        day0 = pd.DatetimeIndex(self.events["day0"]).strftime("%Y-%m-%d")
        return np.where(repeated, tickers.to_numpy() + " " + np.asarray(day0, dtype=object),
                        tickers.to_numpy()).tolist()

    @property
    def residuals(self) -> pd.DataFrame:
        """Estimation-window residuals, one row per studied event (labelled by :attr:`labels`),
        aligned by relative day (NaN: missing). Computed on demand: ``8 N L`` bytes."""
        rows = np.arange(self.n_events)
        values = (self.residual_rows(rows) if self.residual_rows is not None
                  else np.full((self.n_events, len(self.study.estimation)), np.nan))
        return pd.DataFrame(values, index=self.labels,
                            columns=pd.Index(list(self.study.estimation.days), name="rel_day"))

    @property
    def residual_correlation(self) -> float:
        """Mean pairwise correlation of the residuals in event time (Kolari & Pynnonen 2010)."""
        return mean_residual_correlation(self.residuals.to_numpy())

    @property
    def variance_ratio(self) -> pd.DataFrame:
        """Per relative day, the cross-sectional variance of the standardised abnormal returns
        over its value without an event effect (:func:`eventstudy.variance.cross_sectional_variance_ratio`):
        well above 1, the event raised the variance, and Patell's test and the unadjusted t are
        too liberal (read BMP, Kolari-Pynnonen, or Savickas for the GARCH model)."""
        from eventstudy.variance import cross_sectional_variance_ratio

        df = self.events["df"].to_numpy(dtype=float)
        normal = self.study.model.name in GARCH_MODEL_NAMES or not np.all(df > 2)
        return cross_sectional_variance_ratio(self.abnormal.to_numpy(), self.abnormal_se.to_numpy(),
                                              None if normal else df, list(self.abnormal.columns))

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
        return self.caar_over(self.car_window)

    def caar_over(self, window: Window) -> float:
        """CAAR over ``window`` (inside the event window)."""
        return float(self.aar.loc[window.start : window.end].sum())

    def tests_frame(self) -> pd.DataFrame:
        """The test statistics as a frame: name, rel_day, window, stat, p, dist."""
        return pd.DataFrame([
            {**t.to_dict(), "dist": t.dist} for t in self.tests
        ])

    def to_frame(self) -> pd.DataFrame:
        """The per-event table (:attr:`events`)."""
        return self.events

    def regress(self, formula: str, cov: str = "hc3", weights: str | None = None) -> Any:
        """Cross-sectional regression of the events' CARs (``"car ~ x + ..."``, or ``scar``,
        the standardised CAR, or ``bhar``) on columns of the events table, by
        :func:`eventstudy.regression.regress_cars` (OLS with HC3 standard errors by default;
        ``cov="cluster:day0"`` clusters by day 0; ``weights="inverse_variance"`` is WLS with
        :math:`1/\\operatorname{var}(CAR)`)."""
        from eventstudy.regression import regress_cars

        return regress_cars(self.events, formula, cov=cov, weights=weights)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: model, measure, n_events, events, aar, caar (one entry per window),
        tests, skipped, accounting, warnings. Every number is finite (a statistic that is not is
        ``null``)."""
        payload = self._envelope()
        payload["events"] = self._event_records(slice(None))
        payload["accounting"]["rows"] = self._accounting_records(slice(None))
        return payload

    def write_json(self, stream: Any, chunk: int = 100_000) -> None:
        """Write :meth:`to_dict` as one JSON object to the binary ``stream``, the events and the
        accounting rows ``chunk`` at a time (orjson): a million events never exist as Python
        dicts all at once."""
        import orjson

        def dump(value: Any) -> bytes:
            return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)

        def records(make: Callable[[slice], list[dict[str, Any]]], n: int) -> None:
            stream.write(b"[")
            for lo in range(0, n, chunk):
                if lo:
                    stream.write(b",")
                stream.write(dump(make(slice(lo, lo + chunk)))[1:-1])
            stream.write(b"]")

        envelope = self._envelope()
        stream.write(b"{")
        for i, (key, value) in enumerate(envelope.items()):
            stream.write((b"," if i else b"") + dump(key) + b":")
            if key == "accounting":
                stream.write(b'{"counts":' + dump(value["counts"]) + b',"rows":')
                records(self._accounting_records, len(self.accounting))
                stream.write(b"}")
            else:
                stream.write(dump(value))
            if key == "n_events":
                stream.write(b',"events":')
                records(self._event_records, self.n_events)
        stream.write(b"}\n")

    def _envelope(self) -> dict[str, Any]:
        return {
            "model": self.study.model.name,
            "measure": self.study.measure,
            "alternative": self.study.alternative,
            "n_events": self.n_events,
            "aar": [{"rel_day": int(k), "value": float(v)} for k, v in self.aar.items()],
            "caar": [{"start": w.start, "end": w.end, "value": self.caar_over(w)}
                     for w in self.car_windows],
            "variance_ratio": [
                {"rel_day": int(day), "n": int(row.n), "variance": _finite(row.variance),
                 "ratio": _finite(row.ratio)}
                for day, row in self.variance_ratio.iterrows()
            ],
            "tests": [
                {**t.to_dict(), "stat": _finite(t.stat), "p": _finite(t.pvalue)} for t in self.tests
            ],
            "skipped": [
                {"ticker": row.ticker, "event_date": str(row.event_date), "reason": row.reason}
                for row in self.skipped.itertuples()
            ],
            "accounting": {"counts": self.counts, "rows": []},
            "warnings": list(self.warnings),
        }

    def _event_records(self, rows: slice) -> list[dict[str, Any]]:
        """Per studied event: ticker, event_date, day0, the first window's CAR with se, t, p
        (and ``windows`` when there are several)."""
        events = self.events.iloc[rows]
        columns = [_texts(events["ticker"]), _texts(events["event_date"]), _dates(events["day0"]),
                   events["car"].tolist(), events["car_se"].tolist(),
                   events["car_t"].tolist(), events["car_p"].tolist()]
        keys = ("ticker", "event_date", "day0", "car", "car_se", "car_t", "car_p")
        records = [dict(zip(keys, values)) for values in zip(*columns)]
        if len(self.car_windows) > 1:
            for w, window in enumerate(self.car_windows):
                suffix = "" if w == 0 else window_label(window)
                values = zip(*(events[f"{name}{suffix}"].tolist()
                               for name in ("car", "car_se", "car_t", "car_p")))
                for record, (car, se, t, p) in zip(records, values):
                    record.setdefault("windows", []).append(
                        {"start": window.start, "end": window.end, "car": car, "car_se": se,
                         "car_t": t, "car_p": p})
        return records

    def _accounting_records(self, rows: slice) -> list[dict[str, Any]]:
        """Per row of the events table: row, ticker, event_date, status, day0, reason,
        duplicate_of (and estimation_days_lost)."""
        accounting = self.accounting.iloc[rows]
        columns = [
            accounting.index.tolist(), _texts(accounting["ticker"]),
            _texts(accounting["event_date"]), _texts(accounting["status"]),
            _dates(accounting["day0"]), _texts(accounting["reason"]),
            _integers(accounting["duplicate_of"]),
        ]
        keys = ["row", "ticker", "event_date", "status", "day0", "reason", "duplicate_of"]
        if "estimation_days_lost" in accounting.columns:
            columns.append(_integers(accounting["estimation_days_lost"]))
            keys.append("estimation_days_lost")
        return [dict(zip(keys, values)) for values in zip(*columns)]

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
            return "n/a" if not math.isfinite(p) else "<0.0001" if p < 0.0001 else f"{p:.4f}"

        spec = self.study
        lines = [
            f"Multi-event study: {self.n_events} events, {spec.model.label}, "
            f"estimation window {window(spec.estimation)}, event window {window(spec.window)}",
        ]
        counts = self.counts
        if counts["rows"] != self.n_events:
            lines.append("  rows read: " + ", ".join(f"{counts[k]} {k.replace('_', ' ')}"
                                                     for k in ("rows", *STATUSES) if counts[k])
                         + " (every row's fate: .accounting)")
        # returns in percent; abnormal log volumes in their own units
        volume = spec.measure == "volume"
        if volume:
            lines.append("  measure: abnormal log volume ln(1 + Volume) (0.5 = 1.65 times the "
                         "expected volume)")

        def number(v: float) -> str:
            return f"{v:+.4f}" if volume else f"{v:+.3%}"

        def spread(v: float) -> str:
            return f"{v:.4f}" if volume else f"{v:.3%}"

        def aligned(columns: dict[str, list[str]], left: tuple[str, ...] = ()) -> list[str]:
            """Rows of text columns, headers included; ``left`` columns flush left, others right."""
            widths = {k: max([len(k), *(len(v) for v in vs)]) for k, vs in columns.items()}
            cells = [list(columns)] + [list(row) for row in zip(*columns.values())]
            return ["  " + "  ".join(
                c.ljust(widths[k]) if k in left else c.rjust(widths[k]) for k, c in zip(columns, row)
            ).rstrip() for row in cells]

        ratio = self.variance_ratio["ratio"]
        lines += ["", *aligned({
            "rel_day": [day(int(d)) for d in self.aar.index],
            "AAR": [number(v) for v in self.aar],
            "CAAR": [number(v) for v in self.caar_path],
            "var ratio": [f"{v:.2f}" if math.isfinite(v) else "n/a" for v in ratio],
        }), "  var ratio: cross-sectional variance of the standardised ARs over its null value; "
            "well above 1, read BMP or Kolari-Pynnonen rather than Patell or the t", ""]
        shown = self.events.iloc[:30]  # a report, not a dump: to_dict() / --json list every event
        lines.append(f"Events, CAR{window(self.car_window)}:")
        lines += aligned({
            "ticker": shown["ticker"].astype(str).tolist(),
            "event_date": shown["event_date"].astype(str).tolist(),
            "day0": [f"{d:%Y-%m-%d}" for d in pd.to_datetime(shown["day0"])],
            "CAR": [number(v) for v in shown["car"]],
            "se": [spread(v) for v in shown["car_se"]],
            "t": [f"{v:+.2f}" for v in shown["car_t"]],
            "p": [pvalue(v) for v in shown["car_p"]],
        }, left=("ticker", "event_date", "day0"))
        if len(self.events) > len(shown):
            lines.append(f"  ... and {len(self.events) - len(shown)} more events (to_dict() or --json has them all)")
        frame = self.tests_frame()
        for car_window in self.car_windows:
            lines += ["", f"CAAR{window(car_window)} = {number(self.caar_over(car_window))}"]
            if len(frame):
                window_tests = frame[frame["window"].apply(
                    lambda w, c=car_window: w == [c.start, c.end])]
                lines.append("Tests of the CAAR window:")
                lines += aligned({
                    "test": window_tests["name"].tolist(),
                    "stat": [f"{v:+.3f}" if math.isfinite(v) else "n/a" for v in window_tests["stat"]],
                    "p": [pvalue(v) for v in window_tests["p"]],
                    "distribution": window_tests["dist"].tolist(),
                }, left=("test", "distribution"))
        return Summary("\n".join(lines))

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        counts = self.counts
        return (f"<MultiEventResult: {self.n_events} events of {counts['rows']} rows, "
                f"{self.study.model.name}, CAAR{self.car_window} = {self.caar:+.4%}>")

    def _repr_html_(self) -> str:
        return preformatted_html(self.summary())

    def write(self, directory: str | os.PathLike[str], format: str = "csv") -> list[str]:
        """Write the per-event table, the abnormal returns in long form, the tests and the
        accounting to ``directory`` (see :func:`eventstudy.output.write_multi_event_result`)."""
        from eventstudy.output import write_multi_event_result

        return write_multi_event_result(self, directory, format)


def run_multi_event_study(
    events: pd.DataFrame | str | os.PathLike[str],
    *,
    market: str = DEFAULT_MARKET,
    model: str = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    car_window: tuple[int, int] | None = None,
    car_windows: Sequence[tuple[int, int]] | None = None,
    level: float = 0.95,
    min_estimation: int | None = None,
    tests: Sequence[str] | None = None,
    non_session: str = "next",
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    returns: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    factors: pd.DataFrame | str | os.PathLike[str] | None = None,
    factors_unit: str = "decimal",
    exclude_events: bool = False,
    measure: str = "return",
    alternative: str = "two-sided",
    progress: bool | None = None,
) -> MultiEventResult:
    """Study many events and test the average abnormal returns.

    Every event is estimated at once by the vectorised engine
    (:func:`eventstudy.batch.batch_event_study`), which gives the numbers of
    :func:`eventstudy.run_event_study` for each event (checked to 1e-10 in the tests).

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` (or ``security``, or the id column named
        by ``columns``) and ``event_date``, optionally ``market`` (the default market where it
        is missing or empty); other columns are kept in :attr:`MultiEventResult.events`. An
        event date may be a date or a timestamp with a time zone: a timestamp at or after the
        NYSE close (16:00 New York, 13:00 on early-close days), or a day without a trading
        day, moves day 0 as ``non_session`` says.
    market, model, estimation, window, level, min_estimation
        As for :func:`eventstudy.run_event_study`, shared by all events. With a panel,
        ``market`` is the id of the market series in it (e.g. CRSP's ``vwretd``), unless
        ``market_returns`` gives the market.
    car_window, car_windows
        Window of the CAAR and its tests (default: the event window), or several windows.
    tests
        Names of the tests to run (default: all of :mod:`eventstudy.statistics`).
    source, cache_dir
        Where prices come from without a panel: ``"snapshot"`` (default), ``"cache"``,
        ``"yahoo"`` or ``"auto"``. Tickers that cannot be had skip their events, with the reason.
    returns, prices
        The user's panel instead: a CSV/Parquet file (long or wide, see :mod:`eventstudy.panel`)
        or a DataFrame (dates x securities). Only the securities and dates the events need are
        read.
    columns
        ``(ID, DATE, VALUE)`` names of a long panel's columns, e.g. ``"permno,date,ret"``.
    market_returns
        The market's returns from their own file (``date,return``) or a Series.
    factors, factors_unit
        Daily factors for the factor models (a file or a frame, ``"decimal"`` or
        ``"percent"``); default: the snapshot's French factors.
    exclude_events
        Leave the other events' windows of the same security out of each estimation window
        (their number is in the accounting's ``estimation_days_lost``).
    measure
        ``"return"`` (default) or ``"volume"``: abnormal log trading volume,
        :math:`\\ln(1 + \\text{Volume})` against the market's (Campbell & Wasley 1996,
        :mod:`eventstudy.volume`); every test applies to it as to returns.
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``: the alternative of every
        multi-event test's p-value and of the events' CAR p-values.
    progress
        Progress bar for long batches (default: only when stderr is a terminal).

    Returns
    -------
    MultiEventResult
        Per-event numbers, AAR/CAAR, every test, and the accounting of every row read.
    """
    study = EventStudy(
        model=model, estimation=estimation, window=window, level=level, min_estimation=min_estimation,
        measure=measure, alternative=alternative,
    )
    windows = car_windows_of(study, car_window, car_windows)
    check_source(source)
    user = UserPanel.of(returns=returns, prices=prices, columns=columns,
                        market_returns=market_returns, factors=factors, factors_unit=factors_unit)
    check_sources(source, user)
    table = read_events(events, id_column=id_column_of(columns))
    n_rows = len(table)
    markets = (table["market"].where(table["market"] != "", market).to_numpy(dtype=object)
               if "market" in table.columns else np.full(n_rows, market, dtype=object))
    state = _Accounting(n_rows)
    parts: list[_Part] = []
    codes, market_names = pd.factorize(markets)
    groups = np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1])
    for group, market_name in zip(groups, market_names):
        part = _study_market(study, windows, table, group, str(market_name), user, source,
                             cache_dir, data_dir, non_session, exclude_events, progress, state)
        if part is not None:
            parts.append(part)
    studied = sum(part.batch.n_events for part in parts)
    if studied < 2:
        skipped = np.flatnonzero(state.status == "skipped")[:3]
        examples = "; ".join(f"{table.at[i, 'ticker']} {table.at[i, 'event_date']}: "
                             f"{state.reason[i]}" for i in skipped)
        raise DataError(
            f"events: {studied} of {n_rows} events could be studied; the multi-event tests "
            f"need at least 2" + (f" (skipped: {examples})" if examples else "")
        )
    return _combine(study, windows, table, parts, state, tests, exclude_events)


class _Accounting:
    """What became of every row, filled as the study goes."""

    def __init__(self, n: int) -> None:
        self.status = np.full(n, "skipped", dtype=object)
        self.reason = np.full(n, "", dtype=object)
        self.day0 = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        self.duplicate_of = np.full(n, -1, dtype=np.int64)
        self.lost = np.full(n, -1, dtype=np.int64)

    def skip(self, rows: np.ndarray, reasons: np.ndarray | str) -> None:
        self.status[rows] = "skipped"
        self.reason[rows] = reasons


@dataclass
class _Part:
    """The events of one market: their rows in the table, the batch that studied them, the
    trading days, and day 0 per event."""

    rows: np.ndarray
    batch: Any  # BatchResult, or GarchBatch for the GARCH models
    trading_days: pd.DatetimeIndex
    positions: np.ndarray
    market: str


def _study_market(
    study: EventStudy, windows: tuple[Window, ...], table: pd.DataFrame, group: np.ndarray,
    market: str, user: UserPanel | None, source: str, cache_dir: Any, data_dir: Any,
    non_session: str, exclude_events: bool, progress: bool | None, state: _Accounting,
) -> _Part | None:
    """Load the returns of one market's events, place day 0, drop duplicates, run the batch."""
    tickers = table["ticker"].to_numpy(dtype=object)[group]
    given = table["event_date"].to_numpy(dtype=object)[group]
    wanted = list(dict.fromkeys(tickers.tolist()))
    earliest = min(study.estimation.start, study.window.start)
    latest = max(study.estimation.end, study.window.end)
    user_factors = user.factors if user is not None else None
    data: MarketData | None
    if user is not None and user.has_panel:
        def day_range(days: pd.DatetimeIndex) -> tuple[pd.Timestamp, pd.Timestamp]:
            placed = place_events(given, days, non_session=non_session, exchange=DEFAULT_EXCHANGE)
            pos = placed.position[placed.placed]
            if len(pos) == 0:
                return days[0], days[0]
            lo = max(0, int(pos.min()) + earliest - 1)
            hi = min(len(days) - 1, int(pos.max()) + latest)
            return days[lo], days[hi]

        data = panel_data(study, user, wanted, market, day_range, data_dir)
    elif source == "snapshot":
        data = snapshot_data(study, wanted, market, data_dir, user_factors)
        if data is None:
            from eventstudy.data import available_tickers
            from eventstudy.exceptions import UnknownTickerError

            state.skip(group, str(UnknownTickerError(market, available_tickers(data_dir),
                                                     parameter="market")))
            return None
    else:
        day0s, failed = nyse_day0s(given, non_session)
        if failed:
            where = np.fromiter(failed, dtype=np.int64)
            state.skip(group[where], np.array(list(failed.values()), dtype=object))
        if not day0s:
            return None
        ok = np.setdiff1d(np.arange(len(group)), np.fromiter(failed, dtype=np.int64))
        data, market_failure = live_data(study, sorted(set(tickers[ok])), market, day0s, source,
                                         cache_dir, data_dir, user_factors)
        if data is None:
            state.skip(group[ok], str(market_failure))
            return None
    days = data.trading_days
    placed = place_events(given, days, non_session=non_session, exchange=DEFAULT_EXCHANGE)
    live = placed.placed.copy()
    failed_rows = np.flatnonzero(~live & (state.reason[group] == ""))
    state.skip(group[failed_rows], placed.failed[failed_rows])
    if data.unavailable:
        missing_reason = pd.Series(tickers).map(data.unavailable)
        unavailable = live & missing_reason.notna().to_numpy()
        state.skip(group[unavailable], missing_reason[unavailable].to_numpy(dtype=object))
        live &= ~unavailable
    live_rows = np.flatnonzero(live)
    state.day0[group[live_rows]] = days.values[placed.position[live_rows]]
    keys = pd.DataFrame({"ticker": tickers, "position": placed.position})
    first = find_duplicates(keys, live)
    repeats = np.flatnonzero(first >= 0)
    state.status[group[repeats]] = "duplicate"
    state.duplicate_of[group[repeats]] = group[first[repeats]]
    state.reason[group[repeats]] = [f"duplicate of row {group[f]} (same security and day 0)"
                                    for f in first[repeats]]
    unique = np.flatnonzero(live & (first < 0))
    if len(unique) == 0:
        return None
    positions = placed.position[unique]
    frame = pd.DataFrame({"security": tickers[unique], "event_date": days.values[positions]})
    batch: Any
    if study.model.name in GARCH_MODEL_NAMES:
        from eventstudy.garch_batch import garch_batch

        batch = garch_batch(data.returns, frame, data.market, study, windows,
                            exclude_events=exclude_events, non_session=non_session,
                            progress=progress)
    else:
        batch = batch_event_study(
            data.returns, frame, data.market, model=study.model, estimation=study.estimation,
            window=study.window, car_windows=windows, level=study.level,
            min_estimation=study.min_estimation, factors=data.factors, non_session=non_session,
            exclude_events=exclude_events, alternative=study.alternative, progress=progress,
        )
    rows = group[unique]
    ok = batch.ok
    moved = placed.moved[unique]
    state.status[rows[ok]] = np.where(moved[ok] != "", "studied_day0_moved", "studied")
    state.reason[rows[ok]] = moved[ok]
    if exclude_events:
        state.lost[rows[ok]] = batch.estimation_days_lost[ok]
    skipped = batch.skipped
    state.skip(rows[skipped.index.to_numpy()], skipped["reason"].to_numpy(dtype=object))
    return _Part(rows, batch, days, positions, market)


def _combine(
    study: EventStudy, windows: tuple[Window, ...], table: pd.DataFrame, parts: list[_Part],
    state: _Accounting, tests: Sequence[str] | None, exclude_events: bool,
) -> MultiEventResult:
    """Join the per-market batches in the order of the events table and run the tests."""
    frames, abnormal, se, sources = [], [], [], []
    with_savickas = study.model.name in GARCH_MODEL_NAMES and (tests is None or "savickas" in tests)
    tests = None if tests is None else [t for t in tests if t != "savickas"] or None
    for index, part in enumerate(parts):
        ok = np.flatnonzero(part.batch.ok)
        frame = part.batch.frame().rename(columns={"security": "ticker"})
        frame.index = pd.Index(part.rows[ok])
        frame.insert(1, "market", part.market)
        frame.insert(frame.columns.get_loc("car_ci_low"), "scar", frame["car"] / frame["car_se"])
        frame["event_date"] = table["event_date"].to_numpy(dtype=object)[part.rows[ok]]
        frame["day0"] = pd.DatetimeIndex(frame["day0"])
        for w, window in enumerate(windows[1:], start=1):
            suffix = window_label(window)
            frame[f"car{suffix}"] = part.batch.window_car[ok, w]
            frame[f"car_se{suffix}"] = part.batch.window_car_se[ok, w]
            frame[f"car_t{suffix}"] = part.batch.window_car_t[ok, w]
            frame[f"car_p{suffix}"] = part.batch.window_car_p[ok, w]
            frame[f"scar{suffix}"] = frame[f"car{suffix}"] / frame[f"car_se{suffix}"]
            frame[f"bhar{suffix}"] = part.batch.window_bhar[ok, w]
        if exclude_events:
            frame["estimation_days_lost"] = part.batch.estimation_days_lost[ok]
        frames.append(frame)
        abnormal.append(part.batch.abnormal[ok])
        se.append(part.batch.se[ok])
        sources.append(np.column_stack([np.full(len(ok), index), ok]))
    events = pd.concat(frames) if len(frames) > 1 else frames[0]
    order = np.argsort(events.index.to_numpy(), kind="stable")
    events = events.iloc[order]
    extra = [c for c in table.columns if c not in ("ticker", "event_date", "market")]
    if extra:
        characteristics = table.loc[events.index, extra]
        characteristics.columns = [c if c not in events.columns else f"{c}_input" for c in extra]
        events = pd.concat([events, characteristics], axis=1)
    events.index.name = "row"
    where = np.concatenate(sources)[order]  # (part, row in its batch) per studied event
    rel_days = pd.Index(list(study.window.days), name="rel_day")
    abnormal_frame = pd.DataFrame(np.concatenate(abnormal)[order], index=events.index, columns=rel_days)
    se_frame = pd.DataFrame(np.concatenate(se)[order], index=events.index, columns=rel_days)

    def residual_rows(rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), len(study.estimation)))
        for index, part in enumerate(parts):
            mine = where[rows, 0] == index
            if mine.any():
                out[mine] = part.batch.residuals(where[rows[mine], 1])
        return out

    def window_dates() -> np.ndarray:
        out = np.empty((len(events), len(study.window)), dtype="datetime64[ns]")
        offsets = np.arange(study.window.start, study.window.end + 1)
        for index, part in enumerate(parts):
            mine = where[:, 0] == index
            positions = part.positions[where[mine, 1]]  # rows of the part's batch
            out[mine] = part.trading_days.values[positions[:, None] + offsets[None, :]]
        return out

    statistics, caught = _run_tests(study, windows, events, abnormal_frame, se_frame,
                                    residual_rows, tests)
    if with_savickas:
        from eventstudy.garch import savickas

        statistics += savickas(abnormal_frame.to_numpy(), se_frame.to_numpy(),
                               events["car_se"].to_numpy(), list(abnormal_frame.columns),
                               (windows[0].start, windows[0].end))
    accounting = accounting_frame(table, state.status, state.reason, state.day0,
                                  state.duplicate_of, state.lost if exclude_events else None)
    return MultiEventResult(
        study=study, car_windows=windows, events=events, abnormal=abnormal_frame,
        abnormal_se=se_frame, accounting=accounting, tests=tuple(statistics),
        warnings=tuple(caught), residual_rows=residual_rows, window_dates=window_dates,
    )


def _run_tests(
    study: EventStudy, windows: tuple[Window, ...], events: pd.DataFrame,
    abnormal: pd.DataFrame, se: pd.DataFrame, residual_rows: Callable[[np.ndarray], np.ndarray],
    tests: Sequence[str] | None,
) -> tuple[list[TestStatistic], list[str]]:
    """Every test per day and for every window, in one pass over the residuals."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        statistics = multi_event_tests(
            abnormal=abnormal.to_numpy(), abnormal_sd=se.to_numpy(),
            car_sd=events["car_se"].to_numpy(), residuals=cast(Any, residual_rows),
            df=events["df"].to_numpy(), rel_days=list(abnormal.columns),
            window=(windows[0].start, windows[0].end), event_dates=events["day0"].to_numpy(),
            tests=tests,
            more_windows=[((w.start, w.end), events[f"car_se{window_label(w)}"].to_numpy())
                          for w in windows[1:]],
            alternative=study.alternative,
        )
    for caught_warning in caught:  # re-raise for the caller, with their own classes
        warnings.warn(caught_warning.message, caught_warning.category, stacklevel=4)
    return statistics, [str(w.message) for w in caught]
