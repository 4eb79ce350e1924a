r"""A multi-event study by group: the pooled sample, each group of events (by the value of a column
of the events file: industry, year, country), and the difference between every two groups.

Each group is the pooled study restricted to the events whose column holds that value: the same
estimates (nothing is estimated twice), and every AAR, CAAR and multi-event test recomputed on the
group's events alone, so a group's numbers are those of ``batch`` run on its rows alone (tested)
-- except that a row duplicating an event of another group is studied under that first row, and
``exclude_events`` keeps every event of the file out of the estimation windows, not only the
group's. Rows without a value are in the pooled sample only, and counted.

The difference between groups :math:`a` and :math:`b` over each CAAR window is
:math:`\overline{CAR}_a - \overline{CAR}_b = CAAR_a - CAAR_b`, tested by Welch's t and the
Wilcoxon rank-sum test on the events' CARs (:mod:`eventstudy.inference.two_sample`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.events import id_column_of, read_events
from eventstudy.exceptions import ParameterError
from eventstudy.formatting import (
    ShowsSummary,
    Summary,
    SummaryBuilder,
    number,
    percent,
    pvalue,
    statistic,
)
from eventstudy.inference.two_sample import RankSum, Welch, rank_sum, welch_t
from eventstudy.studies.multi import event_tests, run_multi_event_study
from eventstudy.studies.multi_result import MultiEventResult, _finite, window_label

__all__ = ["GroupDifference", "GroupedResult", "by_group", "car_column", "run_grouped_study"]

#: Fewest studied events a group needs for its tests.
MIN_GROUP = 2


def car_column(result: MultiEventResult, window: Window) -> str:
    """The column of :attr:`MultiEventResult.events` holding the CARs over ``window``."""
    return "car" if window == result.car_window else f"car{window_label(window)}"


@dataclass(frozen=True)
class GroupDifference:
    """Group ``a`` against group ``b`` over one CAAR window: the mean CARs and both tests."""

    a: str
    b: str
    window: Window
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    welch: Welch
    rank_sum: RankSum

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (a statistic that cannot be computed is ``None``)."""
        return {
            "a": self.a, "b": self.b, "start": self.window.start, "end": self.window.end,
            "n_a": self.n_a, "n_b": self.n_b, "mean_a": self.mean_a, "mean_b": self.mean_b,
            "difference": _finite(self.welch.difference), "welch_t": _finite(self.welch.t),
            "welch_df": _finite(self.welch.df), "welch_p": _finite(self.welch.p),
            "rank_sum_u": self.rank_sum.u,
            "rank_sum_z": None if self.rank_sum.z is None else _finite(self.rank_sum.z),
            "rank_sum_p": _finite(self.rank_sum.p), "rank_sum_method": self.rank_sum.method,
        }


@dataclass(frozen=True)
class GroupedResult(ShowsSummary):
    """What :func:`run_grouped_study` computed.

    Attributes
    ----------
    column
        The events file's column that defines the groups.
    pooled
        The study of every event.
    groups
        Group label (the column's value as text) -> the study of its events, in sorted order
        (numerically when every value is a number).
    differences
        Every pair of groups, for every CAAR window.
    notes
        Groups left without tests (too few events), rows without a value.
    """

    column: str
    pooled: MultiEventResult
    groups: dict[str, MultiEventResult]
    differences: tuple[GroupDifference, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The pooled study's JSON (:meth:`MultiEventResult.to_dict`) with ``group_column``,
        ``groups`` (per group: ``group`` and the study of its events, accounting included),
        ``group_differences`` and ``group_notes``."""
        payload = self.pooled.to_dict()
        payload["group_column"] = self.column
        payload["groups"] = [{"group": label, **result.to_dict()} for label, result in self.groups.items()]
        payload["group_differences"] = [d.to_dict() for d in self.differences]
        payload["group_notes"] = list(self.notes)
        return payload

    def summary(self) -> Summary:
        """The pooled study's report, then the groups' CAARs and the tests of their differences
        (in a notebook, each as HTML tables)."""
        volume = self.pooled.study.measure == "volume"

        def value(v: float) -> str:  # log volumes in their own units, returns in percent
            return number(v) if volume else percent(v)

        report = SummaryBuilder()  # the text, and in a notebook its tables as HTML tables
        report.summary(self.pooled.summary())
        report.text("", f"Groups by {self.column!r}:")
        groups: dict[str, list[str]] = {"group": [], "events": []}
        for label, result in self.groups.items():
            groups["group"].append(str(label))
            groups["events"].append(str(result.n_events))
            for w in result.car_windows:
                groups.setdefault(f"CAAR{window_label(w)}", []).append(value(result.caar_over(w)))
        windows = [key for key in groups if key.startswith("CAAR")]
        report.table(pd.DataFrame(groups), [
            f"  {row['group']}: {row['events']} events; " + ", ".join(f"{w} {row[w]}" for w in windows)
            for _, row in pd.DataFrame(groups).iterrows()])
        if self.differences:
            report.text("", "Differences of the mean CARs (Welch t; Wilcoxon rank-sum):")
            differences = pd.DataFrame(
                [(f"{d.a} - {d.b}", f"CAR{window_label(d.window)}", value(d.welch.difference),
                  statistic(d.welch.t), f"{d.welch.df:.1f}", pvalue(d.welch.p), f"{d.rank_sum.u:g}",
                  pvalue(d.rank_sum.p), d.rank_sum.method) for d in self.differences],
                columns=["groups", "window", "difference", "Welch t", "df", "Welch p", "U", "rank-sum p",
                         "method"])
            report.table(differences, [
                f"  {r['groups']} {r['window']} = {r['difference']}: t {r['Welch t']} (df {r['df']}) "
                f"p {r['Welch p']}; U {r['U']} p {r['rank-sum p']} ({r['method']})"
                for _, r in differences.iterrows()])
        report.text(*(f"  note: {note}" for note in self.notes))
        return report.build()


def _subset(result: MultiEventResult, label: str, positions: np.ndarray, rows: np.ndarray) -> MultiEventResult:
    """``result`` restricted to the events of group ``label`` at ``positions`` (and the
    accounting ``rows``), with every test recomputed on them."""
    events = result.events.iloc[positions]
    abnormal = result.abnormal.iloc[positions]
    se = result.abnormal_se.iloc[positions]
    parent_residuals, parent_dates = result.residual_rows, result.window_dates

    def residual_rows(picked: np.ndarray) -> np.ndarray:
        assert parent_residuals is not None
        return parent_residuals(positions[np.asarray(picked)])

    def window_dates() -> np.ndarray:
        assert parent_dates is not None
        return parent_dates()[positions]

    names = list(dict.fromkeys(t.name for t in result.tests))
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        statistics, caught = event_tests(result.study, result.car_windows, events, abnormal, se,
                                         residual_rows, names or None)
    for warning in raised:  # said once per group, naming it
        warnings.warn(f"group {label!r}: {warning.message}", warning.category, stacklevel=3)
    return replace(result, events=events, abnormal=abnormal, abnormal_se=se,
                   accounting=result.accounting.iloc[rows], tests=tuple(statistics),
                   warnings=tuple(caught),
                   residual_rows=residual_rows if parent_residuals is not None else None,
                   window_dates=window_dates if parent_dates is not None else None)


def _labels(values: pd.Series) -> pd.Series:
    """The group of each row as text (missing: NA; whole floats such as years as integers)."""
    if pd.api.types.is_float_dtype(values) and bool((values.dropna() % 1 == 0).all()):
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _members(codes: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """The positions holding each code ``0 .. n_groups - 1`` (``-1``: none), by one stable sort."""
    kept = np.flatnonzero(codes >= 0)
    order = kept[np.argsort(codes[kept], kind="stable")]
    return np.split(order, np.searchsorted(codes[order], np.arange(1, n_groups)))


def _sorted(labels: list[str]) -> list[str]:
    numbers = pd.to_numeric(pd.Series(labels), errors="coerce")
    if numbers.notna().all():
        return [labels[i] for i in np.argsort(numbers.to_numpy(), kind="stable")]
    return sorted(labels)


def by_group(result: MultiEventResult, table: pd.DataFrame, column: str) -> GroupedResult:
    """Split a pooled study by ``table[column]`` (``table``: the events table the study read, one
    row per accounting row) and test every pair of groups."""
    if column not in table.columns:
        raise ParameterError("group", column, f"name a column of the events file: {list(table.columns)}")
    labels = _labels(table[column].reset_index(drop=True))
    studied_rows = result.events.index.to_numpy()
    event_labels = labels.to_numpy(dtype=object, na_value=None)[studied_rows]
    notes = []
    missing = int(labels.isna().sum())
    if missing:
        notes.append(f"{missing} row(s) without a value in {column!r}: in the pooled sample only")
    row_codes, row_names = pd.factorize(labels)
    codes = pd.Categorical(event_labels, categories=row_names).codes
    positions_of, rows_of = _members(codes, len(row_names)), _members(row_codes, len(row_names))
    groups: dict[str, MultiEventResult] = {}
    for code, label in enumerate(row_names):
        positions = positions_of[code]
        if len(positions) < MIN_GROUP:
            notes.append(f"group {label!r}: {len(positions)} event(s) studied; a group needs at least "
                         f"{MIN_GROUP} for its tests, so it is in the pooled sample only")
            continue
        groups[str(label)] = _subset(result, str(label), positions, rows_of[code])
    groups = {label: groups[label] for label in _sorted(list(groups))}
    differences = []
    for (a, first), (b, second) in combinations(groups.items(), 2):
        for window in result.car_windows:
            column_name = car_column(result, window)
            x = first.events[column_name].to_numpy(dtype=float)
            y = second.events[column_name].to_numpy(dtype=float)
            differences.append(GroupDifference(a, b, window, len(x), len(y), float(x.mean()),
                                               float(y.mean()), welch_t(x, y), rank_sum(x, y)))
    return GroupedResult(column, result, groups, tuple(differences), tuple(notes))


def run_grouped_study(
    events: pd.DataFrame | str | os.PathLike[str], group: str, **options: Any,
) -> GroupedResult:
    """:func:`eventstudy.studies.multi.run_multi_event_study` on ``events`` (same ``options``),
    then :func:`by_group` on the column ``group``."""
    table = read_events(events, id_column=id_column_of(options.get("columns")))
    if group not in table.columns:
        raise ParameterError("group", group, f"name a column of the events file: {list(table.columns)}")
    return by_group(run_multi_event_study(table, **options), table, group)
