"""``eventstudy report EVENTS.csv [study options] -o report.html [--pdf]``: the multi-event study
of ``batch`` written as one self-contained HTML report (and a PDF where Chromium or pdflatex is
installed), by :mod:`eventstudy.report.study_report`."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eventstudy.exceptions import ParameterError

__all__ = ["register", "handle"]


def register(commands: Any, add_study_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``report`` subparser (with the study options of ``batch``) to ``commands``."""
    report = commands.add_parser(
        "report",
        help="run a multi-event study and write one self-contained HTML report (and --pdf)",
        description="The study of 'batch' as one HTML file that opens offline: inputs and the accounting "
        "of every row, the tables, the AAR/CAAR chart with bands, the CAR histogram, the variance ratio "
        "by day, skipped events with reasons, versions and the command that reproduces it.",
    )
    report.add_argument("events", help="CSV file with columns ticker,event_date (and optionally market)")
    report.add_argument("-o", "--output", metavar="FILE", default="report.html",
                        help="the HTML file to write (default report.html)")
    report.add_argument("--pdf", action="store_true",
                        help="also write FILE.pdf, with Chromium (or Chrome) or else pdflatex")
    report.add_argument("--title", default=None, help="title of the report (default: Event study: N events)")
    add_study_options(report)
    report.add_argument("--car-window", nargs=2, type=int, metavar=("A", "B"), action="append", default=None,
                        help="window of a CAAR and its tests; repeat for several (default: the event window)")
    report.add_argument("--tests", default=None, nargs="+", metavar="NAME",
                        help="tests to run and show, by name (default: all run; t, BMP and generalized "
                        "sign shown)")
    report.add_argument("--exclude-events", action="store_true",
                        help="leave the other events' windows of the same security out of each estimation window")
    report.add_argument("--group", metavar="COLUMN", default=None,
                        help="also study each group of events by COLUMN and test their differences")


def _check_output(output: str) -> Path:
    path = Path(output)
    if path.suffix.lower() not in (".html", ".htm") or path.is_dir():
        raise ParameterError("output", output, "give an HTML file, e.g. -o report.html")
    if not path.parent.is_dir():
        raise ParameterError("output", output, f"the folder {str(path.parent)!r} does not exist")
    return path


def _settings(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The inputs that are not part of the study's specification."""
    own = [(name, value) for name, value in (("returns panel", args.returns), ("prices panel", args.prices),
                                             ("market returns", args.market_returns)) if value]
    source = own or [("prices", f"source {args.source}" + (f", cache {args.cache_dir}" if args.cache_dir else ""))]
    return [*source, ("market", args.market or "each event's market column, else its exchange's index"),
            ("exchange", args.exchange or "each event's exchange column, else its Yahoo suffix, else XNYS"),
            ("day 0 on a closed day", args.non_session),
            ("other events left out of estimation", "yes" if args.exclude_events else "no")]


def handle(args: argparse.Namespace, argv: Sequence[str], study_options: dict[str, Any]) -> int:
    """Run the study, write the report (and the PDF); errors propagate to the command line."""
    from eventstudy.report.document import write_pdf
    from eventstudy.report.study_report import study_report
    from eventstudy.studies.groups import run_grouped_study
    from eventstudy.studies.multi import run_multi_event_study

    output = _check_output(args.output)
    tests = None if args.tests is None else [t.strip() for arg in args.tests for t in arg.split(",") if t.strip()]
    options = dict(car_windows=None if args.car_window is None else [tuple(w) for w in args.car_window],
                   tests=tests, exclude_events=args.exclude_events, **study_options)
    result: Any = (run_grouped_study(args.events, args.group, **options) if args.group is not None
                   else run_multi_event_study(args.events, **options))
    pooled = result.pooled if args.group is not None else result
    command = shlex.join(["eventstudy", *argv])
    report = study_report(result, command=command, events_file=args.events, settings=_settings(args),
                          tests=tests, title=args.title)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(report.to_html(), encoding="utf-8")
        os.replace(temporary, output)
    except OSError as error:
        raise ParameterError("output", str(output), f"cannot write it ({error.strerror or error})") from None
    finally:
        temporary.unlink(missing_ok=True)
    skipped = pooled.counts["skipped"]
    print(f"Report written to {output} ({pooled.n_events} events studied, {skipped} skipped)")
    if args.pdf:
        pdf = output.with_suffix(".pdf")
        try:
            tool = write_pdf(report, output, pdf)
        except ParameterError as error:
            print(f"eventstudy: {error}", file=sys.stderr)
            return 1
        print(f"PDF written to {pdf} (by {tool})")
    return 0
