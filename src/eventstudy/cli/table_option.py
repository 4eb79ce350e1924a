"""``--table FILE`` (with ``--table-pvalues`` and ``--stars``) for the commands that study events:
the publication tables of :mod:`eventstudy.report.tables`, in the format of the file's extension."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventstudy.exceptions import ParameterError
from eventstudy.formatting import STARS

__all__ = ["add_table_options", "check_table", "star_levels", "write_table"]


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--table``, ``--table-pvalues`` and ``--stars`` to ``parser``."""
    group = parser.add_argument_group("publication tables")
    group.add_argument("--table", metavar="FILE", default=None,
                       help="write the study's tables to FILE: .tex (booktabs + siunitx), .md, .html, "
                       ".xlsx or .csv")
    group.add_argument("--table-pvalues", choices=["columns", "stars"], default="columns",
                       help="p-values as columns after each statistic (default) or stars on the statistics")
    group.add_argument("--stars", nargs="+", metavar="P", default=None,
                       help="p thresholds of *, **, *** (default 0.10 0.05 0.01); 'none': no stars")


def star_levels(given: Sequence[str] | None) -> tuple[tuple[float, str], ...]:
    """``--stars 0.10 0.05 0.01`` -> ``((0.10, "*"), (0.05, "**"), (0.01, "***"))``; ``none``: ()."""
    if given is None:
        return STARS
    if [g.lower() for g in given] == ["none"]:
        return ()
    try:
        thresholds = sorted((float(g) for g in given), reverse=True)
    except ValueError:
        raise ParameterError("stars", " ".join(given), "give p thresholds such as 0.10 0.05 0.01, or none") from None
    if not all(0 < t < 1 for t in thresholds) or len(set(thresholds)) != len(thresholds) or len(thresholds) > 3:
        raise ParameterError("stars", " ".join(given), "give one to three distinct p thresholds between 0 and 1")
    return tuple((t, "*" * (i + 1)) for i, t in enumerate(thresholds))


def check_table(args: argparse.Namespace) -> None:
    """Refuse a ``--table`` file that cannot be written before the study runs."""
    if args.table is None:
        return
    from eventstudy.report.table import check_table_path

    check_table_path(args.table)
    star_levels(args.stars)


def write_table(args: argparse.Namespace, result: Any, tests: Sequence[str] | None = None) -> Path | None:
    """Write ``--table`` (when given) and say where on stderr."""
    if args.table is None:
        return None
    from eventstudy.report import tables

    written = tables.write(result, args.table, tests=tests, pvalues=args.table_pvalues,
                           stars=star_levels(args.stars))
    print(f"eventstudy: tables written to {written}", file=sys.stderr)
    return written
