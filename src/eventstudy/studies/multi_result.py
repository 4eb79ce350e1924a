"""The result of a multi-event study (:class:`MultiEventResult`): per-event table, AAR and CAAR,
the test statistics, the accounting of every row, and how they are shown and written (text,
JSON, tables to files through :mod:`eventstudy.studies.output`)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.engine.garch import GARCH_MODELS
from eventstudy.engine.single import EventStudy
from eventstudy.events import STATUSES, accounting_counts
from eventstudy.formatting import ShowsSummary, Summary
from eventstudy.inference.adjust import LABELS
from eventstudy.inference.parametric import mean_residual_correlation
from eventstudy.inference.statistic import TestStatistic
from eventstudy.studies.json_records import JsonRecords

__all__ = ["MultiEventResult", "window_label"]


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


def _text_categories(column: pd.Series) -> pd.Categorical:
    """The values of :func:`_texts` as a categorical: each distinct value once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = column.array
        if (values.codes >= 0).all() and pd.api.types.infer_dtype(values.categories) == "string":
            return values  # its categories are the texts
    values = column.to_numpy(dtype=object)
    codes, distinct = pd.factorize(values)
    if not pd.api.types.is_string_dtype(column.dtype) or (codes < 0).any():
        codes, distinct = pd.factorize(values.astype(str).astype(object))
    return pd.Categorical.from_codes(codes, distinct)


def _dates(column: pd.Series) -> list[str | None]:
    """Dates as ``YYYY-MM-DD`` (None where missing): each distinct date formatted once."""
    values = pd.DatetimeIndex(column).to_numpy().astype("datetime64[D]")
    distinct, where = np.unique(values, return_inverse=True)
    text = np.datetime_as_string(distinct).astype(object)
    text[np.isnat(distinct)] = None
    return text[where.ravel()].tolist()


def _date_categories(column: pd.Series) -> pd.Categorical:
    """Dates as a categorical of ``YYYY-MM-DD`` texts (missing where the date is): each
    distinct date formatted once."""
    codes, distinct = pd.factorize(pd.DatetimeIndex(column).to_numpy().astype("datetime64[D]"))
    return pd.Categorical.from_codes(codes, np.datetime_as_string(distinct).astype(object))


def _integers(column: pd.Series) -> list[int | None]:
    """A nullable integer column as ints (None where missing)."""
    values = column.to_numpy(dtype=object, na_value=None)
    return [None if v is None else int(v) for v in values]


def window_label(window: Window) -> str:
    """Column suffix of a CAR window, e.g. ``(-1,+1)``."""
    return f"({window.start:+d},{window.end:+d})".replace("(+0", "(0").replace(",+0)", ",0)")


@dataclass(frozen=True)
class MultiEventResult(ShowsSummary):
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
        ``car_sq_p`` and ``car_sq_n`` the sample-quantile test of the event's CAR and its number
        of null sums (:mod:`eventstudy.engine.batch_quantiles`), ``scar`` the standardised CAR
        ``car / car_se``, ``car_ci_low``, ``car_ci_high``), ``bhar``; for each further window the same CAR
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
        over its value without an event effect (:func:`eventstudy.inference.variance.cross_sectional_variance_ratio`):
        well above 1, the event raised the variance, and Patell's test and the unadjusted t are
        too liberal (read BMP, Kolari-Pynnonen, or Savickas for the GARCH model)."""
        from eventstudy.inference.variance import cross_sectional_variance_ratio

        df = self.events["df"].to_numpy(dtype=float)
        normal = self.study.model.name in GARCH_MODELS or not np.all(df > 2)
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
        """The test statistics as a frame: name, rel_day, window, stat, p (and p_adjusted with
        ``adjust``), dist."""
        frame = pd.DataFrame([
            {**t.to_dict(), "dist": t.dist} for t in self.tests
        ])
        # relative days are whole numbers, missing for the window tests (not -1.0 floats)
        frame["rel_day"] = frame["rel_day"].astype("Int64")
        return frame

    def to_frame(self) -> pd.DataFrame:
        """The per-event table (:attr:`events`)."""
        return self.events

    @property
    def car_window_labels(self) -> list[str]:
        """Column suffix of each CAR window, e.g. ``["(-1,+1)", "(0,0)"]``."""
        return [window_label(w) for w in self.car_windows]

    def regress(self, formula: str, cov: str = "hc3", weights: str | None = None) -> Any:
        """Cross-sectional regression of the events' CARs (``"car ~ x + ..."``, or ``scar``,
        the standardised CAR, or ``bhar``) on columns of the events table, by
        :func:`eventstudy.studies.regression.regress_cars` (OLS with HC3 standard errors by default;
        ``cov="cluster:day0"`` clusters by day 0; ``weights="inverse_variance"`` is WLS with
        :math:`1/\\operatorname{var}(CAR)`)."""
        import dataclasses
        import re

        from eventstudy.studies.regression import regress_cars

        fit = regress_cars(self.events, formula, cov=cov, weights=weights)
        outcome = re.match(r"\s*(\w+)\s*~", formula)
        if len(self.car_windows) > 1 and outcome and outcome.group(1) in ("car", "scar", "bhar"):
            # several windows: say which one the unlabelled outcome is
            window = self.car_windows[0]
            fit = dataclasses.replace(fit, outcome=(
                f"{outcome.group(1)} is over the first CAR window ({window.start:+d}, {window.end:+d}); "
                f"the others are columns such as {outcome.group(1)}{window_label(self.car_windows[1])}"))
        return fit

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: model, measure, n_events, events, aar, caar (one entry per window),
        tests, skipped, accounting, warnings. Every number is finite (a statistic that is not is
        ``null``)."""
        payload = self._envelope()
        payload["events"] = self._event_records(slice(None))
        payload["accounting"]["rows"] = self._accounting_records(slice(None))
        return payload

    def write_json(self, stream: Any, chunk: int = 10_000) -> None:
        """Write :meth:`to_dict` as one JSON object to the binary ``stream``, the events and the
        accounting rows ``chunk`` at a time, their text built column by column
        (:class:`eventstudy.studies.json_records.JsonRecords`): no Python dict per record, and a
        chunk's text (some 3 MB) stays in the processor's cache."""
        import orjson

        def dump(value: Any) -> bytes:
            return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)

        def records(table: JsonRecords) -> None:
            stream.write(b"[")
            for lo in range(0, len(table), chunk):
                if lo:
                    stream.write(b",")
                stream.write(table.text(slice(lo, lo + chunk)))
            stream.write(b"]")

        envelope = self._envelope()
        stream.write(b"{")
        for i, (key, value) in enumerate(envelope.items()):
            stream.write((b"," if i else b"") + dump(key) + b":")
            if key == "accounting":
                stream.write(b'{"counts":' + dump(value["counts"]) + b',"rows":')
                records(self._accounting_json())
                stream.write(b"}")
            else:
                stream.write(dump(value))
            if key == "n_events":
                stream.write(b',"events":')
                records(self._event_json())
        stream.write(b"}\n")

    def _envelope(self) -> dict[str, Any]:
        aar = self.aar  # once: each CAAR below is caar_over(w) of it
        return {
            "model": self.study.model.name,
            "measure": self.study.measure,
            "alternative": self.study.alternative,
            "n_events": self.n_events,
            "aar": [{"rel_day": int(k), "value": float(v)} for k, v in aar.items()],
            "caar": [{"start": w.start, "end": w.end,
                      "value": float(aar.loc[w.start : w.end].sum())} for w in self.car_windows],
            "variance_ratio": [
                {"rel_day": int(day), "n": int(row.n), "variance": _finite(row.variance),
                 "ratio": _finite(row.ratio)}
                for day, row in self.variance_ratio.iterrows()
            ],
            "adjust": self.study.adjust,
            "tests": [
                {**t.to_dict(), "stat": _finite(t.stat), "p": _finite(t.pvalue),
                 **({} if t.p_adjusted is None else {"p_adjusted": _finite(t.p_adjusted)})}
                for t in self.tests
            ],
            "skipped": [
                {"ticker": row.ticker, "event_date": str(row.event_date), "reason": row.reason}
                for row in self.skipped.itertuples()
            ],
            "accounting": {"counts": self.counts, "rows": []},
            "warnings": list(self.warnings),
        }

    def _event_records(self, rows: slice) -> list[dict[str, Any]]:
        """Per studied event: ticker, event_date, day0, the first window's CAR with se, t, p and
        the sample-quantile test's p (``null`` when it has no null sums; and ``windows`` when
        there are several)."""
        events = self.events.iloc[rows]
        columns = [_texts(events["ticker"]), _texts(events["event_date"]), _dates(events["day0"]),
                   events["car"].tolist(), events["car_se"].tolist(),
                   events["car_t"].tolist(), events["car_p"].tolist(),
                   [_finite(v) for v in events["car_sq_p"].tolist()]]
        keys: tuple[str, ...] = ("ticker", "event_date", "day0", "car", "car_se", "car_t", "car_p",
                                 "car_sq_p")
        if "exchange" in events.columns:  # which exchange placed the event, against which market
            columns += [_texts(events["exchange"]), _texts(events["market"]),
                        events["market_default"].astype(bool).tolist()]
            keys += ("exchange", "market", "market_default")
        records = [dict(zip(keys, values)) for values in zip(*columns)]
        if len(self.car_windows) > 1:
            for w, window in enumerate(self.car_windows):
                suffix = "" if w == 0 else window_label(window)
                values = zip(*(events[f"{name}{suffix}"].tolist()
                               for name in ("car", "car_se", "car_t", "car_p", "car_sq_p")))
                for record, (car, se, t, p, sq_p) in zip(records, values):
                    record.setdefault("windows", []).append(
                        {"start": window.start, "end": window.end, "car": car, "car_se": se,
                         "car_t": t, "car_p": p, "car_sq_p": _finite(sq_p)})
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
        if "exchange" in accounting.columns:
            columns.append(_texts(accounting["exchange"]))
            keys.append("exchange")
        if "estimation_days_lost" in accounting.columns:
            columns.append(_integers(accounting["estimation_days_lost"]))
            keys.append("estimation_days_lost")
        return [dict(zip(keys, values)) for values in zip(*columns)]

    def _event_json(self) -> JsonRecords:
        """:meth:`_event_records` of every event as JSON text, built column by column
        (:class:`eventstudy.studies.json_records.JsonRecords`)."""
        events = self.events
        fields: list[tuple[str, Any, bool]] = [
            ('{"ticker":', _text_categories(events["ticker"]), False),
            (',"event_date":', _text_categories(events["event_date"]), False),
            (',"day0":', _date_categories(events["day0"]), False),
            *((f',"{name}":', events[name].to_numpy(dtype=float), True)
              for name in ("car", "car_se", "car_t", "car_p", "car_sq_p")),
        ]
        if "exchange" in events.columns:
            fields += [(',"exchange":', _text_categories(events["exchange"]), False),
                       (',"market":', _text_categories(events["market"]), False),
                       (',"market_default":', events["market_default"].astype(bool).to_numpy(),
                        False)]
        close = "}"
        if len(self.car_windows) > 1:
            for w, window in enumerate(self.car_windows):
                suffix = "" if w == 0 else window_label(window)
                head = ((',"windows":[{' if w == 0 else '},{')
                        + f'"start":{window.start},"end":{window.end},"car":')
                fields += [(head if name == "car" else f',"{name}":',
                            events[f"{name}{suffix}"].to_numpy(dtype=float), True)
                           for name in ("car", "car_se", "car_t", "car_p", "car_sq_p")]
            close = "}]}"
        return JsonRecords(fields, close)

    def _accounting_json(self) -> JsonRecords:
        """:meth:`_accounting_records` of every row as JSON text, built column by column."""
        accounting = self.accounting
        fields: list[tuple[str, Any, bool]] = [
            ('{"row":', accounting.index.to_numpy(dtype=np.int64), True),
            (',"ticker":', _text_categories(accounting["ticker"]), False),
            (',"event_date":', _text_categories(accounting["event_date"]), False),
            (',"status":', _text_categories(accounting["status"]), False),
            (',"day0":', _date_categories(accounting["day0"]), False),
            (',"reason":', _text_categories(accounting["reason"]), False),
            (',"duplicate_of":', accounting["duplicate_of"].array, False),
        ]
        if "exchange" in accounting.columns:
            fields.append((',"exchange":', _text_categories(accounting["exchange"]), False))
        if "estimation_days_lost" in accounting.columns:
            fields.append((',"estimation_days_lost":', accounting["estimation_days_lost"].array,
                           False))
        return JsonRecords(fields, "}")

    def summary(self) -> Summary:
        """A plain-text report: set-up, AAR/CAAR by day, each event's CAR, the CAAR window's tests.

        In a notebook its tables are HTML tables. Warnings (e.g. clustered events) are not
        repeated here: Python emits them, the command line prints them on stderr, and
        :attr:`warnings` keeps them.
        """
        from eventstudy import formatting
        from eventstudy.formatting import SummaryBuilder, pvalue

        def day(d: int) -> str:
            return f"{d:+d}" if d else "0"

        def window(w: Window) -> str:
            return f"({day(w.start)}, {day(w.end)})"

        def sq_pvalue(p: float, n: int) -> str:  # 0: beyond all n null sums, below 2/n or 1/n
            smallest = (2.0 if spec.alternative == "two-sided" else 1.0) / max(int(n), 1)
            return "n/a" if not math.isfinite(p) else f"<{smallest:.4f}" if p == 0 else f"{p:.4f}"

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
            return formatting.number(v) if volume else formatting.percent(v)

        def spread(v: float) -> str:
            return formatting.number(v, sign=False) if volume else formatting.percent(v, sign=False)

        report = SummaryBuilder()  # the text, and in a notebook its tables as HTML tables
        report.text(*lines, "")
        ratio = self.variance_ratio["ratio"]
        report.columns({
            "rel_day": [day(int(d)) for d in self.aar.index],
            "AAR": [number(v) for v in self.aar],
            "CAAR": [number(v) for v in self.caar_path],
            "var ratio": [formatting.number(v, formatting.RATIO_DECIMALS, sign=False) for v in ratio],
        })
        report.text("  var ratio: cross-sectional variance of the standardised ARs over its null value; "
                    "well above 1, read BMP or Kolari-Pynnonen rather than Patell or the t", "")
        shown = self.events.iloc[:30]  # a report, not a dump: to_dict() / --json list every event
        report.text(f"Events, CAR{window(self.car_window)} (SQ p: the sample-quantile test of "
                    "the event's CAR against its estimation residuals):")
        placement: dict[str, list[str]] = {}
        if "exchange" in self.events.columns and (
                set(self.events["exchange"]) != {"XNYS"} or self.events["market"].nunique() > 1):
            placement = {  # where each event was placed, and against which market
                "exchange": shown["exchange"].astype(str).tolist(),
                "market": [f"{m}{'*' if d else ''}"
                           for m, d in zip(shown["market"], shown["market_default"])],
            }
        report.columns({
            "ticker": shown["ticker"].astype(str).tolist(),
            "event_date": shown["event_date"].astype(str).tolist(),
            "day0": [f"{d:%Y-%m-%d}" for d in pd.to_datetime(shown["day0"])],
            **placement,
            "CAR": [number(v) for v in shown["car"]],
            "se": [spread(v) for v in shown["car_se"]],
            "t": [formatting.statistic(v, formatting.T_DECIMALS) for v in shown["car_t"]],
            "p": [pvalue(v) for v in shown["car_p"]],
            "SQ p": [sq_pvalue(p, n) for p, n in zip(shown["car_sq_p"], shown["car_sq_n"])],
        }, left=("ticker", "event_date", "day0", "exchange", "market"))
        if placement and self.events["market_default"].any():
            report.text("  * the default index of the event's exchange (no market was named)")
        if len(self.events) > len(shown):
            report.text(f"  ... and {len(self.events) - len(shown)} more events "
                        "(to_dict() or --json has them all)")
        frame = self.tests_frame()
        for car_window in self.car_windows:
            report.text("", f"CAAR{window(car_window)} = {number(self.caar_over(car_window))}")
            if len(frame):
                window_tests = frame[frame["window"].apply(
                    lambda w, c=car_window: w == [c.start, c.end])]
                report.text("Tests of the CAAR window:")
                columns = {
                    "test": window_tests["name"].tolist(),
                    "stat": [formatting.statistic(v) for v in window_tests["stat"]],
                    "p": [pvalue(v) for v in window_tests["p"]],
                }
                if spec.adjust is not None:
                    columns["p adj"] = [pvalue(v) for v in window_tests["p_adjusted"]]
                columns["distribution"] = window_tests["dist"].tolist()
                report.columns(columns, left=("test", "distribution"))
        if spec.adjust is not None:
            report.text("", f"p adj: {LABELS[spec.adjust]}, over each test's days and windows")
        return report.build()

    def __repr__(self) -> str:
        counts = self.counts
        return (f"<MultiEventResult: {self.n_events} events of {counts['rows']} rows, "
                f"{self.study.model.name}, CAAR{self.car_window} = {self.caar:+.4%}>")

    def write(self, directory: str | os.PathLike[str], format: str = "csv") -> list[str]:
        """Write the per-event table, the abnormal returns in long form, the tests and the
        accounting to ``directory`` (see :func:`eventstudy.studies.output.write_multi_event_result`)."""
        from eventstudy.studies.output import write_multi_event_result

        return write_multi_event_result(self, directory, format)
