"""Command line: ``eventstudy run TICKER EVENT_DATE [options]`` and ``eventstudy batch EVENTS.csv``.

Errors in the request (unknown model or ticker, malformed date, impossible windows) end the
program with status 2 and one line on stderr that names the parameter and the value.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventstudy.cli import horizons as cli_horizons
from eventstudy.cli import report as cli_report
from eventstudy.cli import simulate as cli_simulate
from eventstudy.cli import tickers as cli_tickers
from eventstudy.cli import slips
from eventstudy.cli.options import add_data_options, data_options
from eventstudy.cli.table_option import add_table_options, check_table, write_table
from eventstudy.defaults import (
    DEFAULT_ESTIMATION,
    DEFAULT_MARKET,
    DEFAULT_WINDOW,
    MODEL_NAMES,
    PEER_MODEL_NAMES,
)
from eventstudy.exceptions import EventStudyError, EventStudyWarning, ParameterError, safe_name


class _ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like every other error here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from eventstudy import __version__

    parser = _ArgumentParser(
        prog="eventstudy",
        description="Event studies of daily stock returns: from the committed data snapshot, the "
        "cache of Yahoo prices, or your own panel files (--returns / --prices).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", parser_class=_ArgumentParser
    )
    run = commands.add_parser(
        "run",
        help="study one stock around one event date",
        description="Abnormal returns, CAR and their significance for one stock and one event.",
    )
    run.add_argument("ticker", help="stock ticker as Yahoo spells it, e.g. FB")
    run.add_argument(
        "event_date",
        help="event date YYYY-MM-DD, or a timestamp with a time zone such as 2018-08-06T16:30-04:00 "
        "(day 0 is that session of the exchange; after its close or on a closed day, the next one)",
    )
    _add_study_options(run)
    run.add_argument("--plot", metavar="PATH", help="write the charts to PATH (.png, .svg or .pdf)")
    _add_plot_style(run)
    add_table_options(run)

    batch = commands.add_parser(
        "batch",
        help="study many events and test the average abnormal returns",
        description="Per-event CARs, AAR and CAAR, and every multi-event test statistic.",
    )
    batch.add_argument(
        "events", help="CSV file with columns ticker,event_date (and optionally exchange and market; "
        "other columns are kept in the per-event table)"
    )
    _add_study_options(batch)
    batch.add_argument(
        "--car-window", nargs=2, type=int, metavar=("A", "B"), action="append",
        default=None, help="window of a CAAR and its tests, inside the event window; repeat for "
        "several windows (default: the event window)",
    )
    batch.add_argument("--tests", default=None, nargs="+", metavar="NAME",
                       help="tests to run, by name (separated by spaces or commas; default: all "
                       "twelve)")
    batch.add_argument("--panel-index", metavar="DIR", default=None,
                       help="keep an index of the --returns file in DIR (built by the first run, "
                       "rebuilt when the file changes) and read only the rows the events need "
                       "from it instead of scanning the file")
    batch.add_argument("--exclude-events", action="store_true",
                       help="leave the other events' windows of the same security out of each "
                       "estimation window")
    batch.add_argument("--output", metavar="DIR", default=None,
                       help="write the per-event table, the abnormal returns (long form), the "
                       "tests and the accounting to DIR")
    batch.add_argument("--format", choices=["csv", "parquet"], default="csv",
                       help="format of the --output tables (default csv)")
    batch.add_argument("--regress", metavar="FORMULA", default=None,
                       help="cross-sectional regression of the CARs on columns of the events file, "
                       "e.g. 'car ~ surprise + np.log(size)' (car, scar or bhar on the left)")
    batch.add_argument("--regress-cov", default="hc3", metavar="COV",
                       help="its covariance: hc3 (default), hc0, hc1, hc2, ols, cluster:COLUMN")
    batch.add_argument("--regress-weights", default=None, metavar="WEIGHTS",
                       help="inverse_variance (WLS with 1/var(CAR)) or a column of weights")
    batch.add_argument("--plot", metavar="PATH", help="write AAR/CAAR and the CAR distribution to PATH "
                       "(.png, .svg or .pdf)")
    _add_plot_style(batch)
    batch.add_argument("--group", metavar="COLUMN", default=None,
                       help="also study each group of events by the value of COLUMN of EVENTS.csv "
                       "(industry, year...), and test the difference of every two groups' mean CARs "
                       "(Welch t, Wilcoxon rank-sum)")
    add_table_options(batch)

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
    fetch.add_argument("--factor-region", default="us", metavar="REGION",
                       help="with --factors: the factors of a region (developed, europe, japan, ...; "
                       "default us)")
    fetch.add_argument("--refresh", action="store_true",
                       help="fetch the whole range again and replace what the cache held for it")
    cli_horizons.register(commands)
    cli_report.register(commands, _add_study_options)
    cli_simulate.register(commands)
    cli_tickers.register(commands)
    return parser


def _check_plot(args: argparse.Namespace) -> None:
    """Refuse a ``--plot`` file of another format before the study runs."""
    if not args.plot:
        return  # nothing to check, and matplotlib stays unimported
    from eventstudy.report.chart_style import FIGURE_FORMATS

    suffix = Path(args.plot).suffix.lower() if args.plot else ""
    if suffix and suffix not in FIGURE_FORMATS and not Path(args.plot).is_dir():
        raise ParameterError("plot", args.plot, "give a file ending in .png, .svg or .pdf, or a folder")


def _add_plot_style(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plot-style", choices=["default", "paper"], default="default",
                        help="paper: grey scale, serif, no titles, one journal column wide")


def _add_study_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``batch``."""
    parser.add_argument("--market", default=None,
                        help=f"market index or ETF (default: the exchange's index, {DEFAULT_MARKET} "
                        "for the NYSE, ^FTSE for XLON, ^N225 for XTKS...)")
    parser.add_argument("--currency", default=None, metavar="CODE",
                        help="convert prices to this currency (e.g. USD) with Yahoo's daily exchange "
                        "rates (default: each exchange's own currency)")
    parser.add_argument("--exchange", default=None, metavar="MIC",
                        help="exchange_calendars code whose sessions, closes and time zone place "
                        "day 0: XNYS, XLON, XETR, XPAR, XTKS, XHKG, XSHG, XBOM, XASX, XTSE, BVMF... "
                        "(default: from the ticker's Yahoo suffix, VOD.L -> XLON, else XNYS)")
    parser.add_argument(
        "--model", default="market",
        help=f"expected-return model: {', '.join(MODEL_NAMES + PEER_MODEL_NAMES)} (default market)"
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
        help="day 0 for an event on a day the exchange was closed (default next)",
    )
    parser.add_argument("--alternative", default="two-sided", choices=["two-sided", "greater", "less"],
                        help="alternative of every p-value (default two-sided)")
    parser.add_argument("--peers", default=None, metavar="A,B,C",
                        help="the peers of --model peers (their equally weighted mean) and the "
                        "candidates of --model synthetic (default: every other security)")
    parser.add_argument("--adjust", default=None, choices=["holm", "bh"],
                        help="also show every p-value adjusted over the days and windows shown, per "
                        "test: holm (Holm 1979) or bh (Benjamini-Hochberg 1995)")
    parser.add_argument("--measure", default="return", choices=["return", "volume"],
                        help="what to study: returns (default) or log volume ln(1 + Volume)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_data_options(parser, region=True)


def _study_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "market": args.market,
        "exchange": args.exchange,
        "currency": args.currency,
        "model": args.model,
        "estimation": tuple(args.estimation),
        "window": tuple(args.window),
        "level": args.level,
        "min_estimation": args.min_estimation,
        "non_session": args.non_session,
        "source": args.source,
        "cache_dir": args.cache_dir,
        "measure": args.measure,
        "alternative": args.alternative,
        "adjust": args.adjust,
        "peers": args.peers,
        **data_options(args),
    }


def _batch(args: argparse.Namespace) -> int:
    from eventstudy.studies.multi import run_multi_event_study
    from eventstudy.studies.output import check_output

    if args.regress is not None and not args.regress.strip():
        raise ParameterError("regress", args.regress, "give a formula, e.g. --regress \"car ~ size\"")
    if args.output is not None:
        check_output(args.output)  # before the study: a folder that cannot receive the tables
    check_table(args)
    _check_plot(args)
    tests = None if args.tests is None else [t.strip() for arg in args.tests
                                             for t in arg.split(",") if t.strip()]
    options = dict(
        car_windows=None if args.car_window is None else [tuple(w) for w in args.car_window],
        tests=tests, exclude_events=args.exclude_events, **_study_options(args),
    )
    if args.panel_index is not None:
        if args.returns is None:
            raise ParameterError("panel_index", args.panel_index, "indexes your own --returns "
                                 "file; give it with --returns")
        options["panel_index"] = args.panel_index
    grouped = None
    if args.group is not None:
        from eventstudy.studies.groups import run_grouped_study

        grouped = run_grouped_study(args.events, args.group, **options)
        result = grouped.pooled
    else:
        result = run_multi_event_study(args.events, **options)
    skipped = result.skipped
    for row in skipped.head(SKIPPED_SHOWN).itertuples():
        print(f"eventstudy: skipped {safe_name(row.ticker)} {safe_name(row.event_date)}: "
              f"{safe_name(row.reason) if not str(row.reason).isprintable() else row.reason}",
              file=sys.stderr)
    if len(skipped) > SKIPPED_SHOWN:
        print(f"eventstudy: ... and {len(skipped) - SKIPPED_SHOWN} more skipped events (every "
              "row's fate is in the accounting: --json or --output)", file=sys.stderr)
    regression = None
    if args.regress is not None:
        try:
            regression = result.regress(args.regress, cov=args.regress_cov, weights=args.regress_weights)
        except ParameterError as error:  # the options' names, not the Python keywords
            if error.parameter not in ("cov", "weights"):
                raise
            raise ParameterError(f"regress_{error.parameter}", error.value, error.allowed) from None
    if args.output is not None:
        written = result.write(args.output, args.format)
        print(f"eventstudy: wrote {', '.join(written)}", file=sys.stderr)
    write_table(args, grouped or result, tests)
    return _report(args, result, "save_multi_event_plot", regression, grouped)


#: Skipped events listed one by one on stderr; the rest are counted.
SKIPPED_SHOWN = 20


def _plot_path(args: argparse.Namespace, result: Any) -> Path:
    """Where ``--plot`` writes: into a folder (existing, or given with a trailing ``/``) under a
    name from the study; else the file given, with ``.png`` added when it has no extension."""
    given = Path(args.plot)
    if args.plot.endswith(("/", os.sep)) and not given.exists():
        try:  # a folder named with a trailing '/' is made, as 'mkdir -p' would
            given.mkdir(parents=True)
        except OSError:
            pass  # the write below reports the folder
    if given.is_dir() or args.plot.endswith(("/", os.sep)):
        name = (f"{result.ticker}_{result.day0:%Y-%m-%d}" if hasattr(result, "ticker")
                else Path(args.events).stem)
        return given / f"{name}.png"
    return given if given.suffix else given.with_suffix(".png")


def _report(args: argparse.Namespace, result: Any, save: str, regression: Any = None,
            grouped: Any = None) -> int:
    """Write the charts (``--plot``, with ``<save>`` of :mod:`eventstudy.report.single_charts` or
    :mod:`eventstudy.report.multi_charts`) and print the result (``grouped``: with its groups)."""
    written = None
    if args.plot is not None:
        from eventstudy.report import multi_charts, single_charts

        if not args.plot.strip():
            print("eventstudy: error: --plot: '' is not allowed; give a file such as fb.png or a folder",
                  file=sys.stderr)
            return 2
        written = _plot_path(args, result)
        try:
            (getattr(single_charts, save, None) or getattr(multi_charts, save))(
                result, written, style=args.plot_style)
        except (OSError, ValueError) as error:
            print(f"eventstudy: error: --plot: cannot write {str(written)!r}: {error}", file=sys.stderr)
            return 2
    shown = grouped if grouped is not None else result
    if args.json:
        if hasattr(shown, "write_json") and regression is None:
            sys.stdout.flush()
            buffer = getattr(sys.stdout, "buffer", None)
            if buffer is None:  # a text stream (tests): the same bytes, decoded
                payload = result.to_dict()
                _print_json(payload)
            else:
                result.write_json(buffer)
                buffer.flush()
        else:
            payload = shown.to_dict()
            if regression is not None:
                payload["regression"] = regression.to_dict()
            _print_json(payload)
        if written is not None:
            print(f"eventstudy: charts written to {written}", file=sys.stderr)
    else:
        print(shown.summary())
        if regression is not None:
            print("\n" + regression.summary())
        if written is not None:
            print(f"\nCharts written to {written}")
    return 0


def _print_json(payload: dict[str, Any]) -> None:
    """One JSON object on stdout, by orjson: a million events' records in a fraction of a second
    (the standard library takes seconds). The results put ``None`` where a number is not
    finite, so the output is strict JSON."""
    import orjson

    data = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()


def _cli_terms(message: str, command: str | None = None) -> str:
    """A library message in command-line terms: ``non_session='next'`` -> ``--non-session next``,
    ``resample_size`` -> ``--resample-size`` (for ``simulate`` also ``events`` -> ``--events``:
    elsewhere ``events`` is the events file)."""
    if command == "simulate":
        message = re.sub(r"^(events|samples|seed|alpha):", r"--\1:", message)
    message = re.sub(r"non_session='(\w+)' or '(\w+)'", r"--non-session \1 or \2", message)
    message = re.sub(r"non_session='(\w+)'", r"--non-session \1", message)
    message = re.sub(r"^(cache_dir|car_window|min_estimation|market_returns|factors_unit|returns_unit|"
                     r"market_unit|exclude_events|same_date|resample_size|shift_window|min_size|"
                     r"samples|shift|seed|variance_multiplier|regress_cov|regress_weights|past_data|"
                     r"factor_region):",
                     lambda m: "--" + m.group(1).replace("_", "-") + ":", message)
    message = re.sub(r"^n_bootstrap:", "--bootstrap:", message)
    message = re.sub(r"^hac_lags:", "--lags:", message)
    message = re.sub(r"\b(give|with|lower) (min_estimation|resample_size|same_date|n_bootstrap)\b",
                     lambda m: f"{m.group(1)} --{_OPTION_OF.get(m.group(2), m.group(2)).replace('_', '-')}",
                     message)
    return message


#: Library parameters whose command-line option has another name.
_OPTION_OF = {"n_bootstrap": "bootstrap"}


def _warn_unused_market(args: argparse.Namespace) -> None:
    """``--market`` given with a model that does not use the market's returns: say so."""
    from eventstudy.models.registry import MODELS

    model = MODELS.get(args.model)
    given = args.market is not None
    if given and model is not None and not model.uses_market:
        print(
            f"eventstudy: warning: --market {args.market}: the {model.label} does not use the market's "
            "returns; the market series only sets the trading days",
            file=sys.stderr,
        )


def _fetch(args: argparse.Namespace) -> int:
    """``eventstudy fetch``: fill the cache, one line per ticker; exit 1 if anything failed."""
    from eventstudy.data.cache import cache_dir
    from eventstudy.exceptions import safe_name
    from eventstudy.data.french import FRENCH_FILES, fetch_factors
    from eventstudy.data.sources import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        result = load(args.tickers, args.start, args.end, source="auto", use_snapshot=False,
                      cache_dir=args.cache_dir, refresh=args.refresh, require_cache=True)
        failures = dict(result.failures)
        done = [record.describe() for record in result.provenance.values()]
        if args.factors:
            for name in FRENCH_FILES:
                label = name if args.factor_region == "us" else f"{args.factor_region} {name}"
                try:
                    frame, path = fetch_factors(name, region=args.factor_region,
                                                cache_dir=args.cache_dir)
                except EventStudyError as error:
                    failures[f"factors {label}"] = error
                    continue
                done.append(
                    f"factors {label}: fetched from the French library; {len(frame)} rows "
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


def huge_page_advice_off() -> bool:
    """Stop NumPy asking Linux for transparent huge pages for its large arrays, unless the user's
    ``NUMPY_MADVISE_HUGEPAGE`` says otherwise; returns whether it was on.

    NumPy advises huge pages (``madvise``) for every large array; where the kernel then compacts
    memory at the first touch of such an array (``defrag`` set to ``madvise``, a common default),
    the fresh arrays of a large batch cost seconds of system time. Measured on the project's
    2-core machine, a million events on the narrow benchmark panel: 19.5-20.9 s with the advice
    (5.8-6.2 s of system CPU), 17.4-17.8 s without (2.9-3.1 s)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return os.environ["NUMPY_MADVISE_HUGEPAGE"] != "0"
    import importlib

    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # NumPy 2, NumPy 1
        try:
            setter = getattr(importlib.import_module(name), "_set_madvise_hugepage", None)
        except ImportError:
            continue
        if setter is not None:  # the switch NumPy's own NUMPY_MADVISE_HUGEPAGE sets
            return bool(setter(False))
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command; returns the exit status.

    The project's warnings are printed as ``eventstudy: warning: ...`` lines on stderr (other
    warnings pass through as they are). Output piped into a reader that stops early
    (``eventstudy run ... | head -3``) ends the program quietly, as for any Unix filter.
    The command runs without NumPy's huge-page advice (:func:`huge_page_advice_off`).
    """
    huge_page_advice_off()
    try:
        status = _main(sys.argv[1:] if argv is None else list(argv))
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader stopped reading (`| head`): as for any Unix filter, not a failure, so the
        # status does not depend on whether the reader left before or after the output was
        # written. Python flushes stdout again at exit: point it at /dev/null so that flush is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: list[str]) -> int:
    parser = _parser()
    mistake = slips.slip(parser, argv)
    if mistake is not None:
        print(f"eventstudy: error: {mistake}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.command is None:
        sys.stderr.write(parser.format_help())
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        try:
            status = _dispatch(args, argv)
        except EventStudyError as error:
            print(f"eventstudy: error: {_cli_terms(str(error), args.command)}", file=sys.stderr)
            status = 2
    for warning in caught:
        if issubclass(warning.category, EventStudyWarning):
            print(f"eventstudy: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    return status


def _dispatch(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.command == "batch":
        _warn_unused_market(args)
        return _batch(args)
    if args.command == "fetch":
        return _fetch(args)
    if args.command == "tickers":
        return cli_tickers.handle(args)
    if args.command == "simulate":
        return cli_simulate.handle(args)
    if args.command in cli_horizons.COMMANDS:
        return cli_horizons.handle(args)
    if args.command == "report":
        _warn_unused_market(args)
        return cli_report.handle(args, argv, _study_options(args))
    from eventstudy.studies.single import run_event_study

    _warn_unused_market(args)
    check_table(args)
    _check_plot(args)
    result = run_event_study(args.ticker, args.event_date, **_study_options(args))
    write_table(args, result)
    return _report(args, result, "save_event_study_plot")

