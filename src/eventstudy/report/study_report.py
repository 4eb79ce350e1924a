"""The report of a multi-event study (``eventstudy report``): its inputs and the accounting of
every row, the publication tables, the AAR/CAAR chart with its bands, the CARs' histogram, the
variance ratio by day, the skipped events with their reasons, the warnings, and what reproduces
it (the software's versions and the exact command).

It is made of the functions a notebook calls -- :func:`eventstudy.report.tables.of` and the
charts of :mod:`eventstudy.report.multi_charts` -- not of a second copy of them, and written by
:mod:`eventstudy.report.document`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy.formatting import number, percent, pvalue, statistic
from eventstudy.report import tables
from eventstudy.report.chart_style import new_figure
from eventstudy.report.document import Chart, Code, Facts, Report, Rows, Section, TableBlock, Text
from eventstudy.report.multi_charts import plot_aar, plot_car_distribution, plot_variance_ratio
from eventstudy.studies.groups import GroupedResult
from eventstudy.studies.multi_result import MultiEventResult, window_label

__all__ = ["ROWS_SHOWN", "SECTIONS", "study_report"]

#: Skipped or duplicate rows listed one by one; the others are counted.
ROWS_SHOWN = 500

#: The sections' anchors, in order.
SECTIONS = ("inputs", "results", "charts", "skipped", "warnings", "reproduce")

#: Packages whose versions the report records.
_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "duckdb")


def _file_facts(path: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    data = Path(path).read_bytes()
    return [("events file", f"{path} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()})")]


def _inputs(result: MultiEventResult, grouped: GroupedResult | None, events_file: Any,
            settings: Sequence[tuple[str, str]]) -> Section:
    spec = result.study
    facts = [
        *_file_facts(events_file),
        ("model", spec.model.label),
        ("measure", "abnormal log volume ln(1 + Volume)" if spec.measure == "volume" else "abnormal returns"),
        ("estimation window", window_label(spec.estimation) + " trading days"),
        ("event window", window_label(spec.window) + " trading days"),
        ("CAAR windows", ", ".join(window_label(w) for w in result.car_windows)),
        ("confidence level", f"{spec.level:.0%}"),
        ("p-values", spec.alternative),
        ("tests run", ", ".join(dict.fromkeys(t.name for t in result.tests))),
        *settings,
    ]
    if grouped is not None:
        facts.append(("groups", f"by {grouped.column!r}: " + ", ".join(
            f"{label} ({g.n_events} events)" for label, g in grouped.groups.items())))
    counts = result.counts
    accounting = pd.DataFrame({"status": [k.replace("_", " ") for k in counts],
                               "rows": [f"{v:,}" for v in counts.values()]})
    check = sum(v for k, v in counts.items() if k != "rows")
    return Section("inputs", "Inputs and accounting", (
        Facts(tuple(facts)),
        Rows(accounting, "What became of every row of the events file",
             f"studied + studied with day 0 moved + duplicates + skipped = {check:,} of {counts['rows']:,} "
             "rows read"),
    ))


def _results(result: MultiEventResult, grouped: GroupedResult | None, tests: Sequence[str] | None) -> Section:
    tables_shown = tables.of(grouped if grouped is not None else result, tests=tests)
    spec = result.study
    first = result.car_window
    caar_tests = result.tests_frame()
    row = caar_tests[(caar_tests["rel_day"].isna()) & (caar_tests["window"].apply(
        lambda w: w == [first.start, first.end]))]
    volume = spec.measure == "volume"
    lead = (f"{result.n_events} events. {'CAAV' if volume else 'CAAR'}{window_label(first)} = "
            f"{number(result.caar) if volume else percent(result.caar)}")
    if len(row):
        test = row.iloc[0]
        lead += f" ({test['name']} {statistic(test['stat'])}, p {pvalue(test['p'])})"
    text = [Text(lead + f"; {spec.model.label}, p-values {spec.alternative}.")]
    return Section("results", "Results", (*text, *(TableBlock(t) for t in tables_shown)))


def _charts(result: MultiEventResult) -> Section:
    level = f"{result.study.level * 100:g}%"
    aar = new_figure("default", (9, 4.8))
    plot_aar(result, ax=aar.subplots())
    histogram = new_figure("default", (9, 4.2))
    plot_car_distribution(result, ax=histogram.subplots())
    ratio = new_figure("default", (9, 4.2))
    plot_variance_ratio(result, ax=ratio.subplots())
    return Section("charts", "Charts", (
        Chart(aar, f"AAR by day with {level} intervals, and the CAAR with its {level} band "
                   "(cross-sectional t)."),
        Chart(histogram, f"The events' CARs{window_label(result.car_window)}, the CAAR and its {level} interval."),
        Chart(ratio, "Cross-sectional variance of the standardised abnormal returns over its value without "
                     f"an event effect, by day, with the {level} range of that null (chi-square)."),
    ))


def _skipped(result: MultiEventResult) -> Section:
    accounting = result.accounting
    blocks: list[Any] = []
    for status, title in (("skipped", "Skipped events and why"), ("duplicate", "Duplicate rows")):
        rows = accounting[accounting["status"] == status]
        if not len(rows):
            blocks.append(Text(f"No {'event was skipped' if status == 'skipped' else 'row was a duplicate'}."))
            continue
        shown = rows.iloc[:ROWS_SHOWN]
        frame = pd.DataFrame({"row": shown.index, "ticker": shown["ticker"].astype(str),
                              "event_date": shown["event_date"].astype(str),
                              "reason": shown["reason"].astype(str)})
        note = (f"... and {len(rows) - ROWS_SHOWN:,} more (every row's fate: --json or --output)"
                if len(rows) > ROWS_SHOWN else "")
        blocks.append(Rows(frame, f"{title}: {len(rows):,} rows", note))
    return Section("skipped", "Skipped events", tuple(blocks))


def _warnings(result: MultiEventResult, grouped: GroupedResult | None) -> Section:
    lines = list(result.warnings)
    if grouped is not None:
        lines += [f"group {label!r}: {w}" for label, g in grouped.groups.items() for w in g.warnings]
        lines += list(grouped.notes)
    return Section("warnings", "Warnings and notes",
                   tuple(Text(line) for line in lines) or (Text("None."),))


def _reproduce(command: str) -> Section:
    from eventstudy import __version__

    versions = [("eventstudy", __version__), ("Python", platform.python_version())]
    for name in _PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    versions.append(("platform", platform.platform()))
    return Section("reproduce", "Reproduce", (
        Facts(tuple(versions)),
        Text("The command that wrote this report:"),
        Code(command),
    ))


def study_report(
    result: MultiEventResult | GroupedResult, *, command: str, events_file: str | os.PathLike[str] | None = None,
    settings: Sequence[tuple[str, str]] = (), tests: Sequence[str] | None = None, title: str | None = None,
) -> Report:
    """The report of a multi-event study (module docstring).

    Parameters
    ----------
    result
        The study, or the study by group (its tables show every group and their differences).
    command
        The command that reproduces it, shown as is.
    events_file
        The events file (its size and sha256 are recorded).
    settings
        More inputs to list (data source, market...), as (name, value).
    tests
        Tests in the tables (default :data:`eventstudy.report.tables.DEFAULT_TESTS`).
    title
        Default: "Event study: N events".
    """
    grouped = result if isinstance(result, GroupedResult) else None
    pooled = grouped.pooled if grouped is not None else result
    assert isinstance(pooled, MultiEventResult)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Report(
        title or f"Event study: {pooled.n_events} events",
        f"{pooled.study.model.label}; {pooled.counts['rows']:,} rows read; written {stamp}",
        (
            _inputs(pooled, grouped, events_file, settings),
            _results(pooled, grouped, tests),
            _charts(pooled),
            _skipped(pooled),
            _warnings(pooled, grouped),
            _reproduce(command),
        ),
    )
