"""Command line of the methods that follow the CAR table: ``eventstudy longrun`` (long-horizon
BHARs) and ``eventstudy calendar-time`` (calendar-time portfolio alpha).

Both read an events CSV (``ticker,event_date`` and any other columns) and the committed snapshot.
Heavy modules are imported by the handlers, so ``eventstudy --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from eventstudy.cli.options import add_data_options, data_options
from eventstudy.cli.table_option import add_table_options, check_table, write_table
from eventstudy.exceptions import EventStudyWarning

#: The subcommands this module handles.
COMMANDS = ("longrun", "calendar-time")


def register(commands: Any) -> None:
    """Add the ``longrun`` and ``calendar-time`` subparsers to ``commands``."""
    longrun = commands.add_parser(
        "longrun",
        help="long-horizon buy-and-hold abnormal returns and their skewness-adjusted tests",
        description="BHAR of every event over trading days A..B after day 0 against the market or a "
        "benchmark security named in a column of EVENTS.csv; the conventional t, Lyon-Barber-Tsai's "
        "skewness-adjusted t and its bootstrap.",
    )
    longrun.add_argument("events", help="CSV file with columns ticker,event_date (and optionally "
                         "exchange, market and the benchmark column)")
    _add_horizon(longrun, "trading days after day 0 held, inclusive (e.g. 0 250)")
    longrun.add_argument("--benchmark", default="market",
                         help="'market' (default) or a column of EVENTS.csv naming each event's benchmark security")
    longrun.add_argument("--past-data", default="skip", choices=["skip", "truncate"],
                         help="an event whose horizon the data do not cover: skipped (default) or truncated")
    longrun.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                         help="bootstrap resamples (default 1000)")
    longrun.add_argument("--resample-size", type=int, default=None, metavar="M",
                         help="events per bootstrap resample (default n/4)")
    longrun.add_argument("--seed", type=int, default=None, help="seed of the bootstrap")
    _add_common(longrun)

    calendar = commands.add_parser(
        "calendar-time",
        help="calendar-time portfolio of the event firms: Jensen's alpha",
        description="Each period's equal-weighted portfolio of the securities whose event was A..B "
        "periods earlier, its excess return regressed on the model's factors.",
    )
    calendar.add_argument("events", help="CSV file with columns ticker,event_date (and optionally "
                          "exchange and market)")
    _add_horizon(calendar, "periods after day 0 a security is held (trading days, or months)")
    calendar.add_argument("--model", default="ff3", choices=["capm", "ff3", "carhart", "ff5"],
                          help="factor model (default ff3)")
    calendar.add_argument("--frequency", default="daily", choices=["daily", "monthly"],
                          help="daily (default) or monthly (daily returns and factors compounded)")
    calendar.add_argument("--cov", default="hac", choices=["hac", "white", "ols"],
                          help="standard errors: Newey-West HAC (default), White, or OLS")
    calendar.add_argument("--lags", type=int, default=None, metavar="L",
                          help="HAC lags (default floor(4 (T/100)^(2/9)))")
    calendar.add_argument("--weights", default=None, metavar="COLUMN",
                          help="column of EVENTS.csv with the securities' weights (default equal weights)")
    calendar.add_argument("--min-size", type=int, default=1, metavar="N",
                          help="fewest securities a period needs (default 1)")
    _add_common(calendar, factors=True)


def _add_horizon(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--horizon", nargs=2, type=int, metavar=("A", "B"), required=True, help=text)


def _add_common(parser: argparse.ArgumentParser, *, factors: bool = False) -> None:
    parser.add_argument("--market", default=None,
                        help="market index or ETF (default: the index of each event's exchange, ^GSPC "
                        "for the NYSE)")
    parser.add_argument("--exchange", default=None, metavar="MIC",
                        help="exchange of the events without an exchange column (default: from the "
                        "ticker's Yahoo suffix, else XNYS)")
    parser.add_argument("--non-session", default="next", choices=["next", "previous", "raise"],
                        help="day 0 for an event on a day without trading (default next)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--source", default="snapshot", choices=["snapshot", "cache", "yahoo", "auto"],
                        help="where prices come from, as for batch (default snapshot)")
    parser.add_argument("--cache-dir", default=None, metavar="DIR", help="cache folder")
    add_data_options(parser, factors=factors, region=factors)
    add_table_options(parser)


def handle(args: argparse.Namespace) -> int:
    """Run ``longrun`` or ``calendar-time``; errors propagate to :func:`eventstudy.cli.app.main`."""
    check_table(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        if args.command == "longrun":
            from eventstudy.studies.longrun import run_long_horizon

            result: Any = run_long_horizon(
                args.events, tuple(args.horizon), args.benchmark, market=args.market,
                exchange=args.exchange,
                past_data=args.past_data, n_bootstrap=args.bootstrap, resample_size=args.resample_size,
                seed=args.seed, non_session=args.non_session, source=args.source,
                cache_dir=args.cache_dir, **data_options(args),
            )
        else:
            from eventstudy.studies.calendar_time import run_calendar_time

            result = run_calendar_time(
                args.events, tuple(args.horizon), args.model, frequency=args.frequency, cov=args.cov,
                weights=args.weights, min_size=args.min_size, hac_lags=args.lags, market=args.market,
                exchange=args.exchange,
                non_session=args.non_session, source=args.source, cache_dir=args.cache_dir,
                **data_options(args),
            )
    for warning in caught:
        if issubclass(warning.category, EventStudyWarning):
            print(f"eventstudy: warning: {warning.message}", file=sys.stderr)
    for row in result.skipped.itertuples():
        print(f"eventstudy: skipped {row.ticker} {row.event_date}: {row.reason}", file=sys.stderr)
    write_table(args, result)
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        print(result.summary())
    return 0
