"""Command line: ``eventstudy run TICKER EVENT_DATE [options]``.

Errors in the request (unknown model or ticker, malformed date, impossible windows) end the
program with status 2 and one line on stderr that names the parameter and the value.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from eventstudy.exceptions import EventStudyError
from eventstudy.models import MODELS
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
    run.add_argument("event_date", help="event date, YYYY-MM-DD (day 0 is the next trading day on or after it)")
    run.add_argument("--market", default=DEFAULT_MARKET, help=f"market index or ETF (default {DEFAULT_MARKET})")
    run.add_argument(
        "--model", default="market", help=f"expected-return model: {', '.join(MODELS)} (default market)"
    )
    run.add_argument(
        "--estimation", nargs=2, type=int, metavar=("A", "B"), default=list(DEFAULT_ESTIMATION),
        help="estimation window in trading days relative to day 0, inclusive (default -250 -11)",
    )
    run.add_argument(
        "--window", nargs=2, type=int, metavar=("A", "B"), default=list(DEFAULT_WINDOW),
        help="event window in trading days relative to day 0, inclusive (default -1 1)",
    )
    run.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    run.add_argument(
        "--min-estimation", type=int, default=None, metavar="N",
        help="fewest valid estimation returns accepted (default: 80%% of the estimation window)",
    )
    run.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    run.add_argument("--plot", metavar="PATH", help="write the charts to PATH (e.g. fb.png)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        result = run_event_study(
            args.ticker,
            args.event_date,
            market=args.market,
            model=args.model,
            estimation=tuple(args.estimation),
            window=tuple(args.window),
            level=args.level,
            min_estimation=args.min_estimation,
        )
    except EventStudyError as error:
        print(f"eventstudy: error: {error}", file=sys.stderr)
        return 2
    if args.plot:
        from eventstudy.plotting import save_event_study_plot

        try:
            save_event_study_plot(result, args.plot)
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


if __name__ == "__main__":
    sys.exit(main())
