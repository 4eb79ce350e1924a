"""Command line: ``eventstudy run TICKER EVENT_DATE [options]`` and ``eventstudy batch EVENTS.csv``.

Errors in the request (unknown model or ticker, malformed date, impossible windows) end the
program with status 2 and one line on stderr that names the parameter and the value.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from eventstudy.exceptions import EventStudyError, EventStudyWarning
from eventstudy.models import MODELS
from eventstudy.multi import run_multi_event_study
from eventstudy.study import DEFAULT_ESTIMATION, DEFAULT_MARKET, DEFAULT_WINDOW, run_event_study


class _ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like every other error here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="eventstudy",
        description="Event studies of daily stock returns from the committed data snapshot.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)
    run = commands.add_parser(
        "run",
        help="study one stock around one event date",
        description="Abnormal returns, CAR and their significance for one stock and one event.",
    )
    run.add_argument("ticker", help="stock ticker as Yahoo spells it, e.g. FB")
    run.add_argument(
        "event_date",
        help="event date YYYY-MM-DD, or a timestamp with a time zone such as 2018-08-06T16:30-04:00 "
        "(day 0 is that NYSE session; after the 16:00 close or on a closed day, the next one)",
    )
    _add_study_options(run)
    run.add_argument("--plot", metavar="PATH", help="write the charts to PATH (e.g. fb.png)")

    batch = commands.add_parser(
        "batch",
        help="study many events and test the average abnormal returns",
        description="Per-event CARs, AAR and CAAR, and every multi-event test statistic.",
    )
    batch.add_argument(
        "events", help="CSV file with columns ticker,event_date (and optionally market)"
    )
    _add_study_options(batch)
    batch.add_argument(
        "--car-window", nargs=2, type=int, metavar=("A", "B"), default=None,
        help="window of the CAAR and its tests, inside the event window (default: the event window)",
    )
    batch.add_argument("--plot", metavar="PATH", help="write AAR/CAAR and the CAR distribution to PATH")

    fetch = commands.add_parser(
        "fetch",
        help="fill the cache with daily prices from Yahoo (and factors from the French library)",
        description="Fetch what the cache is missing for TICKER... from START to END (inclusive), "
        "report per ticker what was fetched, from where, and what failed (exit 1 if any failed).",
    )
    fetch.add_argument("tickers", nargs="+", metavar="TICKER", help="tickers, e.g. FB ^GSPC JPM")
    fetch.add_argument("--start", required=True, help="first date, YYYY-MM-DD")
    fetch.add_argument("--end", default=None, help="last date, YYYY-MM-DD, inclusive (default: last closed session)")
    fetch.add_argument("--cache-dir", default=None, metavar="DIR",
                       help="cache folder (default: $EVENTSTUDY_CACHE_DIR, else ~/.cache/eventstudy)")
    fetch.add_argument("--factors", action="store_true",
                       help="also fetch the Fama-French daily factors (ff3, ff5, mom)")
    fetch.add_argument("--refresh", action="store_true",
                       help="fetch the whole range again and replace what the cache held for it")
    return parser


def _add_study_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``batch``."""
    parser.add_argument("--market", default=DEFAULT_MARKET, help=f"market index or ETF (default {DEFAULT_MARKET})")
    parser.add_argument(
        "--model", default="market", help=f"expected-return model: {', '.join(MODELS)} (default market)"
    )
    parser.add_argument(
        "--estimation", nargs=2, type=int, metavar=("A", "B"), default=list(DEFAULT_ESTIMATION),
        help="estimation window in trading days relative to day 0, inclusive (default -250 -11)",
    )
    parser.add_argument(
        "--window", nargs=2, type=int, metavar=("A", "B"), default=list(DEFAULT_WINDOW),
        help="event window in trading days relative to day 0, inclusive (default -1 1)",
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument(
        "--min-estimation", type=int, default=None, metavar="N",
        help="fewest valid estimation returns accepted (default: 80%% of the estimation window)",
    )
    parser.add_argument(
        "--source", default="snapshot", choices=["snapshot", "cache", "yahoo", "auto"],
        help="where prices come from: the committed snapshot (default), the cache only (offline), "
        "Yahoo, or auto (snapshot, then cache, then Yahoo for what is missing)",
    )
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                     help="cache folder (default: $EVENTSTUDY_CACHE_DIR, else ~/.cache/eventstudy)")
    parser.add_argument(
        "--non-session", default="next", choices=["next", "previous", "raise"],
        help="day 0 for an event on a day the NYSE was closed (default next)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _study_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "market": args.market,
        "model": args.model,
        "estimation": tuple(args.estimation),
        "window": tuple(args.window),
        "level": args.level,
        "min_estimation": args.min_estimation,
        "non_session": args.non_session,
        "source": args.source,
        "cache_dir": args.cache_dir,
    }


def _batch(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        result = run_multi_event_study(
            args.events,
            car_window=None if args.car_window is None else tuple(args.car_window),
            **_study_options(args),
        )
    for warning in caught:
        print(f"eventstudy: warning: {warning.message}", file=sys.stderr)
    for row in result.skipped.itertuples():
        print(f"eventstudy: skipped {row.ticker} {row.event_date}: {row.reason}", file=sys.stderr)
    return _report(args, result, "save_multi_event_plot")


def _report(args: argparse.Namespace, result: Any, save: str) -> int:
    """Write the charts (``--plot``, with ``eventstudy.plotting.<save>``) and print the result."""
    if args.plot:
        from eventstudy import plotting

        try:
            getattr(plotting, save)(result, args.plot)
        except (OSError, ValueError) as error:
            print(f"eventstudy: error: --plot: cannot write {args.plot!r}: {error}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        print(result.summary())
        if args.plot:
            print(f"\nCharts written to {args.plot}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    """``eventstudy fetch``: fill the cache, one line per ticker; exit 1 if anything failed."""
    from eventstudy.cache import cache_dir
    from eventstudy.exceptions import safe_name
    from eventstudy.french import FRENCH_FILES, fetch_factors
    from eventstudy.sources import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        result = load(args.tickers, args.start, args.end, source="auto", use_snapshot=False,
                      cache_dir=args.cache_dir, refresh=args.refresh, require_cache=True)
        failures = dict(result.failures)
        done = [record.describe() for record in result.provenance.values()]
        if args.factors:
            for name in FRENCH_FILES:
                try:
                    frame, path = fetch_factors(name, cache_dir=args.cache_dir)
                except EventStudyError as error:
                    failures[f"factors {name}"] = error
                    continue
                done.append(
                    f"factors {name}: fetched from the French library; {len(frame)} rows "
                    f"{frame.index[0]:%Y-%m-%d}..{frame.index[-1]:%Y-%m-%d}"
                )
    for warning in caught:
        if issubclass(warning.category, EventStudyWarning):
            print(f"eventstudy: warning: {warning.message}", file=sys.stderr)
    for line in done:
        print(line)
    for name, failure in failures.items():
        print(f"eventstudy: failed: {safe_name(name)}: {failure}", file=sys.stderr)
    total = len(args.tickers) + (len(FRENCH_FILES) if args.factors else 0)
    print(f"{total - len(failures)} of {total} fetched into {cache_dir(args.cache_dir)}"
          + (f"; failed: {', '.join(safe_name(n) for n in failures)}" if failures else ""))
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "batch":
            return _batch(args)
        if args.command == "fetch":
            return _fetch(args)
        result = run_event_study(args.ticker, args.event_date, **_study_options(args))
    except EventStudyError as error:
        print(f"eventstudy: error: {error}", file=sys.stderr)
        return 2
    return _report(args, result, "save_event_study_plot")


if __name__ == "__main__":
    sys.exit(main())
