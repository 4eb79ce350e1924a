"""Publication tables of studies (``eventstudy.tables``): the standard event-study table of a
study, several studies side by side, and files in the format of their extension.

>>> from eventstudy import tables
>>> tables.write(result, "caar.tex")                        # .tex .md .html .xlsx .csv
>>> tables.compare([full, banks, tech], labels=["All", "Banks", "Tech"])

The tables of each kind of result (:func:`of`):

- many events (:class:`~eventstudy.studies.multi_result.MultiEventResult`): ``caar``, one row
  per CAAR window, and ``aar``, one row per relative day: the CAAR (AAR), the chosen tests'
  statistics with their p-values, N and the share of events whose CAR (AR) is positive;
- groups (:class:`~eventstudy.studies.groups.GroupedResult`): those of the pooled sample and of
  every group side by side, and ``differences``: the difference of the groups' mean CARs with
  Welch's t and the rank-sum test;
- one event (:class:`~eventstudy.engine.single_result.EventStudyResult`): ``ar``, the daily ARs
  and the CAR with their standard errors, t and p;
- long horizons (:class:`~eventstudy.studies.longrun.LongHorizonResult`): ``bhar``, the mean
  BHAR with its tests, N and the share positive;
- calendar time (:class:`~eventstudy.studies.calendar_time.CalendarTimeResult`): ``alpha``
  (alpha, se, t, p, periods, mean portfolio size, R^2) and ``loadings`` (the factors').

The estimate (CAAR, AR, mean BHAR, alpha, difference) carries significance stars from the p-value
of the first test shown (``*`` 10%, ``**`` 5%, ``***`` 1% unless ``stars=`` says otherwise), and
the legend is printed under the table. Numbers are kept raw (:class:`~eventstudy.report.table.Table`)
and shown by :mod:`eventstudy.formatting`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import formatting as fmt
from eventstudy.engine.single_result import EventStudyResult
from eventstudy.exceptions import ParameterError
from eventstudy.report.table import Column, Table, write_tables
from eventstudy.studies.calendar_time import CalendarTimeResult
from eventstudy.studies.groups import GroupedResult, car_column
from eventstudy.studies.longrun import LongHorizonResult
from eventstudy.studies.multi_result import MultiEventResult

__all__ = ["DEFAULT_TESTS", "PVALUE_STYLES", "TEST_LABELS", "Table", "compare", "of", "write"]

#: Short names of the tests in table headers (the notes under the table give the full names).
TEST_LABELS = {
    "cross_sectional_t": "t", "patell": "Patell", "bmp": "BMP", "kolari_pynnonen_patell": "KP-Patell",
    "kolari_pynnonen_bmp": "KP-BMP", "corrado_rank": "Corrado", "corrado_zivney": "CZ",
    "generalized_rank": "GRANK", "sign": "Sign", "generalized_sign": "Gen. sign", "wilcoxon": "Wilcoxon",
    "savickas": "Savickas", "t": "t", "skewness_adjusted_t": "Skew-adj. t",
    "bootstrap_skewness_adjusted_t": "Bootstrap skew-adj. t",
}

#: Tests shown for many events when ``tests`` is not given (those the study ran).
DEFAULT_TESTS = ("cross_sectional_t", "bmp", "generalized_sign")

#: ``pvalues="columns"``: a p column after each statistic; ``"stars"``: stars on the statistics.
PVALUE_STYLES = ("columns", "stars")


def _day(d: int) -> str:
    return f"{d:+d}" if d else "0"


def _window(start: int, end: int) -> str:
    return f"({_day(start)},{_day(end)})"


def _check(pvalues: str, stars: Sequence[tuple[float, str]] | None) -> tuple[tuple[float, str], ...]:
    if pvalues not in PVALUE_STYLES:
        raise ParameterError("pvalues", pvalues, f"choose {' or '.join(PVALUE_STYLES)}")
    levels = tuple(stars or ())
    for threshold, mark in levels:
        if not (isinstance(threshold, (int, float)) and 0 < threshold < 1 and isinstance(mark, str) and mark):
            raise ParameterError("stars", list(levels), "give (p threshold in (0, 1), mark) pairs, e.g. "
                                 "((0.10, '*'), (0.05, '**'), (0.01, '***'))")
    return levels


def _chosen(available: Sequence[str], tests: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    if tests is not None:
        unknown = [t for t in tests if t not in available]
        if unknown or not tests:
            raise ParameterError("tests", list(tests), f"choose among the tests run: {', '.join(available)}")
        return list(dict.fromkeys(tests))
    return [t for t in default if t in available] or list(available[:2])


class _Builder:
    """Columns and numbers of one table, added column by column."""

    def __init__(self, rows: list[str], pvalues: str, levels: tuple[tuple[float, str], ...]) -> None:
        self.rows, self.pvalues, self.levels = rows, pvalues, levels
        self.columns: list[Column] = []
        self.values: dict[str, list[float]] = {}
        self.marks: dict[str, list[str]] = {}

    def add(self, key: str, header: str, kind: str, values: Sequence[float],
            p: Sequence[float] | None = None) -> None:
        """A column; ``p`` gives it stars."""
        self.columns.append(Column(key, header, kind))
        self.values[key] = [float(v) if v is not None else np.nan for v in values]
        self.marks[key] = ([fmt.stars(x, self.levels) for x in p] if p is not None and self.levels
                           else [""] * len(self.rows))

    def test(self, name: str, label: str, stat: Sequence[float], p: Sequence[float],
             kind: str = "stat") -> None:
        """A test's statistic, and its p-values as a column or as stars on the statistic."""
        if self.pvalues == "stars":
            self.add(name, label, kind, stat, p)
        else:
            self.add(name, label, kind, stat)
            self.add(f"{name} p", "p", "p", p)

    def table(self, name: str, caption: str, row_header: str, description: Sequence[str],
              notes: Sequence[str]) -> Table:
        data = pd.DataFrame(self.values, index=pd.Index(self.rows))
        data.columns = pd.MultiIndex.from_product([[""], data.columns])
        stars = pd.DataFrame(self.marks, index=data.index)
        stars.columns = data.columns
        return Table(name, caption, row_header, tuple(self.columns), data, stars,
                     {"": tuple(description)}, tuple(notes))


def _legend(levels: tuple[tuple[float, str], ...], estimate: str, source: str) -> list[str]:
    return [f"{fmt.star_legend(levels)} ({estimate}: {source})."] if levels else []


def _test_notes(names: Sequence[str], alternative: str) -> str:
    return ("Tests: " + "; ".join(f"{TEST_LABELS.get(n, n)} = {n}" for n in names)
            + f". p-values {alternative}.")


def _multi_tables(result: MultiEventResult, tests: Sequence[str] | None, pvalues: str,
                  levels: tuple[tuple[float, str], ...]) -> list[Table]:
    available = list(dict.fromkeys(t.name for t in result.tests))
    names = _chosen(available, tests, DEFAULT_TESTS)
    volume = result.study.measure == "volume"
    kind = "number" if volume else "percent"
    frame = result.tests_frame()
    by_window = {(row.name, tuple(row.window)): (row.stat, row.p)
                 for row in frame[frame["rel_day"].isna()].itertuples()}
    by_day = {(row.name, int(row.rel_day)): (row.stat, row.p)
              for row in frame[frame["rel_day"].notna()].itertuples()}
    description = [
        f"{result.n_events} events; {result.study.model.label}; estimation window "
        f"{_window(result.study.estimation.start, result.study.estimation.end)}; "
        + ("abnormal log volume ln(1 + Volume)." if volume else "returns in percent.")]
    star_source = f"{TEST_LABELS.get(names[0], names[0])} test"
    notes = [_test_notes(names, result.study.alternative)]

    windows = result.car_windows
    caar = _Builder([_window(w.start, w.end) for w in windows], pvalues, levels)
    first_p = [by_window.get((names[0], (w.start, w.end)), (np.nan, np.nan))[1] for w in windows]
    caar.add("CAAV" if volume else "CAAR", "CAAV" if volume else "CAAR (%)", kind,
             [result.caar_over(w) for w in windows], first_p)
    for name in names:
        pairs = [by_window.get((name, (w.start, w.end)), (np.nan, np.nan)) for w in windows]
        caar.test(name, TEST_LABELS.get(name, name), [s for s, _ in pairs], [p for _, p in pairs])
    caar.add("N", "N", "count", [result.n_events] * len(windows))
    caar.add("positive", "% positive", "share",
             [float((result.events[car_column(result, w)] > 0).mean()) for w in windows])

    days = [int(d) for d in result.aar.index]
    aar = _Builder([_day(d) for d in days], pvalues, levels)
    aar.add("AAV" if volume else "AAR", "AAV" if volume else "AAR (%)", kind, result.aar.tolist(),
            [by_day.get((names[0], d), (np.nan, np.nan))[1] for d in days])
    for name in names:
        pairs = [by_day.get((name, d), (np.nan, np.nan)) for d in days]
        aar.test(name, TEST_LABELS.get(name, name), [s for s, _ in pairs], [p for _, p in pairs])
    aar.add("N", "N", "count", [result.n_events] * len(days))
    aar.add("positive", "% positive", "share", (result.abnormal > 0).mean(axis=0).tolist())
    what = "log volume" if volume else "returns"
    return [
        caar.table("caar", f"Cumulative average abnormal {what} by window", "Window", description,
                   notes + _legend(levels, "CAAV" if volume else "CAAR", star_source)),
        aar.table("aar", f"Average abnormal {what} by day", "Day", description,
                  notes + _legend(levels, "AAV" if volume else "AAR", star_source)),
    ]


def _single_tables(result: EventStudyResult, pvalues: str, levels: tuple[tuple[float, str], ...]) -> list[Table]:
    volume = result.measure == "volume"
    window = result.event_window
    car = result.car
    days = result.days
    builder = _Builder([*(_day(int(d)) for d in days.index), f"CAR{_window(window.start, window.end)}"],
                       pvalues, levels)
    p = [*days["p"], car.p]
    builder.add("AR", "AV / CAV" if volume else "AR / CAR (%)", "number" if volume else "percent",
                [*days["abnormal"], car.value], p)
    builder.add("se", "se" if volume else "se (%)", "number_se" if volume else "percent_se", [*days["se"], car.se])
    builder.add("t", "t", "t", [*days["t"], car.t])
    if pvalues == "columns":
        builder.add("p", "p", "p", p)
    description = [f"{result.ticker}, day 0 {result.day0:%Y-%m-%d}; {result.model.label}, market "
                   f"{result.market}; estimation window {_window(result.estimation_window.start, result.estimation_window.end)}, "
                   f"{result.fit.nobs} {'days' if volume else 'returns'}; "
                   + ("abnormal log volume." if volume else "returns in percent.")]
    notes = [f"t with {result.fit.df} degrees of freedom; p-values {result.alternative}."]
    name = "AV" if volume else "AR"
    return [builder.table("ar", f"Abnormal {'log volume' if volume else 'returns'} of {result.ticker}",
                          "Day", description, notes + _legend(levels, name, "its own t test"))]


def _longrun_tables(result: LongHorizonResult, tests: Sequence[str] | None, pvalues: str,
                    levels: tuple[tuple[float, str], ...]) -> list[Table]:
    available = [t.name for t in result.tests]
    names = _chosen(available, tests, available) if available else []
    by_name = {t.name: t for t in result.tests}
    horizon = result.horizon
    builder = _Builder([_window(horizon.start, horizon.end)], pvalues, levels)
    builder.add("mean BHAR", "Mean BHAR (%)", "percent", [result.mean_bhar],
                [by_name[names[0]].p] if names else None)
    for name in names:
        builder.test(name, TEST_LABELS.get(name, name), [by_name[name].stat], [by_name[name].p])
    builder.add("N", "N", "count", [result.n_events])
    builder.add("positive", "% positive", "share", [float((result.events["bhar"] > 0).mean())])
    bench = "the market" if result.benchmark == "market" else f"the securities in column {result.benchmark!r}"
    description = [f"{result.n_events} events; buy-and-hold abnormal returns over trading days "
                   f"{_window(horizon.start, horizon.end)} against {bench}; in percent.", *result.notes]
    notes = [_test_notes(names, "two-sided")] if names else []
    source = f"{TEST_LABELS.get(names[0], names[0])} test" if names else ""
    return [builder.table("bhar", "Long-horizon buy-and-hold abnormal returns", "Horizon", description,
                          notes + (_legend(levels, "mean BHAR", source) if names else []))]


def _calendar_tables(result: CalendarTimeResult, pvalues: str, levels: tuple[tuple[float, str], ...]) -> list[Table]:
    horizon = result.horizon
    unit = "trading day" if result.frequency == "daily" else "month"
    alpha = _Builder([_window(horizon.start, horizon.end)], pvalues, levels)
    alpha.add("alpha", "Alpha (%)", "percent", [result.alpha], [result.p])
    alpha.add("se", "se (%)", "percent_se", [result.se])
    alpha.add("t", "t", "t", [result.t])
    if pvalues == "columns":
        alpha.add("p", "p", "p", [result.p])
    alpha.add("periods", "Periods", "count", [result.n_periods])
    alpha.add("mean size", "Mean size", "ratio", [result.mean_size])
    alpha.add("r2", "R2", "ratio", [result.rsquared])
    cov = {"hac": f"Newey-West HAC ({result.lags} lags)", "white": "White (HC0)", "ols": "OLS"}[result.cov]
    description = [f"{result.n_events} events held {_window(horizon.start, horizon.end)} {unit}s after "
                   f"day 0; {result.model} model; {cov} standard errors; alpha in percent per {unit}."]
    names = [n for n in result.params.index if n != "alpha"]
    loadings = _Builder(names, pvalues, levels)
    loadings.add("coef", "Coefficient", "number", [result.params[n] for n in names],
                 [result.pvalues[n] for n in names])
    loadings.add("t", "t", "t", [result.tvalues[n] for n in names])
    if pvalues == "columns":
        loadings.add("p", "p", "p", [result.pvalues[n] for n in names])
    return [
        alpha.table("alpha", "Calendar-time portfolio: Jensen's alpha", "Horizon", description,
                    _legend(levels, "alpha", "its t")),
        loadings.table("loadings", "Calendar-time portfolio: factor loadings", "Factor", description,
                       _legend(levels, "coefficients", "their t")),
    ]


def _difference_table(result: GroupedResult, pvalues: str, levels: tuple[tuple[float, str], ...]) -> Table | None:
    if not result.differences:
        return None
    parts = []
    volume = result.pooled.study.measure == "volume"
    pairs = list(dict.fromkeys((d.a, d.b) for d in result.differences))
    for a, b in pairs:
        mine = [d for d in result.differences if (d.a, d.b) == (a, b)]
        builder = _Builder([_window(d.window.start, d.window.end) for d in mine], pvalues, levels)
        builder.add("difference", "Difference" if volume else "Difference (%)", "number" if volume else "percent",
                    [d.welch.difference for d in mine], [d.welch.p for d in mine])
        builder.test("welch_t", "Welch t", [d.welch.t for d in mine], [d.welch.p for d in mine])
        builder.test("rank_sum_u", "Rank-sum U", [d.rank_sum.u for d in mine], [d.rank_sum.p for d in mine],
                     "u")
        builder.add("n_a", "N a", "count", [d.n_a for d in mine])
        builder.add("n_b", "N b", "count", [d.n_b for d in mine])
        parts.append(builder.table("differences", "", "", [], []))
    notes = [f"Difference: mean CAR of group a minus group b (a - b), {'in log volume' if volume else 'in percent'}; Welch's t (unequal "
             "variances) and the Wilcoxon rank-sum test (Mann-Whitney U; exact p when a group has at "
             "most 8 events and no ties). p-values two-sided.",
             *_legend(levels, "difference", "Welch's t")]
    table = _side_by_side(parts, [f"{a} - {b}" for a, b in pairs])
    return replace(table, caption=f"Differences between groups by {result.column}", row_header="Window",
                   description={}, notes=tuple(notes))


def _side_by_side(tables: Sequence[Table], labels: Sequence[str]) -> Table:
    """Tables of the same name, one panel per study (rows: the union, in order of appearance)."""
    data = pd.concat([t.data.droplevel(0, axis=1) for t in tables], axis=1, keys=list(labels), sort=False)
    stars = pd.concat([t.stars.droplevel(0, axis=1) for t in tables], axis=1, keys=list(labels), sort=False)
    columns = tuple({c.key: c for t in tables for c in t.columns}.values())
    description = {label: t.description.get("", ()) for t, label in zip(tables, labels)}
    notes = tuple(dict.fromkeys(n for t in tables for n in t.notes))
    return replace(tables[0], data=data, stars=stars.fillna("").astype(object), columns=columns,
                   description=description, notes=notes)


def of(result: Any, *, tests: Sequence[str] | None = None, pvalues: str = "columns",
       stars: Sequence[tuple[float, str]] | None = fmt.STARS) -> list[Table]:
    """The standard tables of a study (module docstring).

    Parameters
    ----------
    result
        A result of ``run_multi_event_study``, ``run_grouped_study``, ``run_event_study``,
        ``run_long_horizon`` or ``run_calendar_time``.
    tests
        Tests shown, by name, among those the study ran (default: ``cross_sectional_t``, ``bmp``
        and ``generalized_sign`` for many events; every test of a long-horizon study).
    pvalues
        ``"columns"`` (a p column after each statistic, default) or ``"stars"`` (stars on the
        statistics instead).
    stars
        ``(threshold, mark)`` pairs (default ``*`` 0.10, ``**`` 0.05, ``***`` 0.01); ``None`` or
        ``()``: no stars.
    """
    levels = _check(pvalues, stars)
    if isinstance(result, GroupedResult):
        studies = [result.pooled, *result.groups.values()]
        labels = ["All", *result.groups]
        out = compare(studies, labels=labels, tests=tests, pvalues=pvalues, stars=stars)
        difference = _difference_table(result, pvalues, levels)
        return out + ([difference] if difference is not None else [])
    if isinstance(result, MultiEventResult):
        return _multi_tables(result, tests, pvalues, levels)
    if isinstance(result, EventStudyResult):
        return _single_tables(result, pvalues, levels)
    if isinstance(result, LongHorizonResult):
        return _longrun_tables(result, tests, pvalues, levels)
    if isinstance(result, CalendarTimeResult):
        return _calendar_tables(result, pvalues, levels)
    raise ParameterError("result", type(result).__name__, "give the result of a study (run_multi_event_study, "
                         "run_event_study, run_long_horizon, run_calendar_time, run_grouped_study)")


def compare(results: Sequence[Any], labels: Sequence[str] | None = None, **options: Any) -> list[Table]:
    """Several studies of one kind side by side (e.g. the full sample and two subsamples, or one
    sample under several models): each table of :func:`of` with one panel per study, labelled by
    ``labels`` (default ``(1)``, ``(2)``, ...). ``options`` are those of :func:`of`."""
    results = list(results)
    if not results:
        raise ParameterError("results", "[]", "give at least one study")
    labels = [f"({i + 1})" for i in range(len(results))] if labels is None else [str(x) for x in labels]
    if len(labels) != len(results) or len(set(labels)) != len(labels):
        raise ParameterError("labels", labels, f"give {len(results)} distinct labels, one per study")
    kinds = {type(r).__name__ for r in results}
    if len(kinds) > 1 or isinstance(results[0], GroupedResult):
        raise ParameterError("results", sorted(kinds), "compare studies of one kind (not grouped studies, "
                             "which show their groups side by side themselves)")
    each = [of(r, **options) for r in results]
    return [_side_by_side([tables[i] for tables in each], labels) for i in range(len(each[0]))]


def write(result: Any, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the tables of ``result`` (a study, or a list of :class:`Table` from :func:`of` or
    :func:`compare`) to ``path``: ``.tex``, ``.md``, ``.html``, ``.xlsx`` or ``.csv``
    (:func:`eventstudy.report.table.write_tables`). ``options`` are those of :func:`of`."""
    if isinstance(result, (list, tuple)) and all(isinstance(t, Table) for t in result):
        return write_tables(result, path)
    return write_tables(of(result, **options), path)
