"""Command-line options shared by every command that studies events: the user's own data."""

from __future__ import annotations

import argparse
from typing import Any

from eventstudy.exceptions import ParameterError


def add_data_options(parser: argparse.ArgumentParser, *, factors: bool = True,
                     region: bool = False) -> None:
    """``--returns``, ``--prices``, ``--columns``, ``--market-returns`` (and ``--factors``,
    ``--factors-unit``; and ``--factor-region`` with ``region``): the user's panel instead of the
    snapshot."""
    data = parser.add_argument_group("your own data (instead of the snapshot)")
    data.add_argument("--returns", metavar="PATH", default=None,
                      help="panel of daily returns (decimals): CSV, .csv.gz or Parquet, long "
                      "(ticker,date,return) or wide (date, then one column per security)")
    data.add_argument("--prices", metavar="PATH", default=None,
                      help="panel of daily prices (long ticker,date,price or wide); returns are "
                      "simple returns between consecutive trading days")
    data.add_argument("--columns", metavar="ID,DATE,VALUE", default=None,
                      help="names of a long panel's id, date and value columns, e.g. permno,date,ret")
    data.add_argument("--market-returns", metavar="PATH", default=None,
                      help="the market's returns from their own file (date,return) instead of "
                      "the panel's --market series")
    data.add_argument("--returns-unit", choices=["decimal", "percent"], default=None,
                      help="unit of the --returns panel (default decimal: 0.0445 for 4.45%%); a "
                      "panel that looks like percent is refused until declared")
    data.add_argument("--market-unit", choices=["decimal", "percent"], default=None,
                      help="unit of the market's returns (--market-returns or the panel's --market "
                      "series; default: that of --returns-unit)")
    if factors:
        data.add_argument("--factors", metavar="PATH", default=None,
                          help="daily factors (date, Mkt-RF, SMB, HML, RF, ...) for the factor "
                          "models (default: the snapshot's French factors)")
        data.add_argument("--factors-unit", choices=["decimal", "percent"], default="decimal",
                          help="unit of the --factors file (default decimal)")
    if region:
        data.add_argument("--factor-region", default="us", metavar="REGION",
                          help="the French library's factors of a region instead of the US ones: "
                          "developed, developed_ex_us, europe, japan, asia_pacific_ex_japan, "
                          "north_america, or auto (each event's exchange's); fetched once, cached")


def data_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of the study functions for :func:`add_data_options`."""
    options = {name: getattr(args, name) for name in ("returns", "prices", "columns", "market_returns")}
    given = {"--returns-unit": args.returns_unit, "--market-unit": args.market_unit}
    if args.returns is None and args.prices is None:
        for option, value in given.items():
            if value is not None:
                raise ParameterError(option.lstrip("-").replace("-", "_"), value,
                                     "declares the unit of your own data: give it with --returns")
    if args.prices is not None and args.returns_unit is not None:
        raise ParameterError("returns_unit", args.returns_unit, "applies to --returns; a --prices "
                             "panel gives its returns as decimals")
    options.update(returns_unit=args.returns_unit or "decimal", market_unit=args.market_unit)
    if hasattr(args, "factors"):
        options.update(factors=args.factors, factors_unit=args.factors_unit)
    if hasattr(args, "factor_region"):
        options.update(factor_region=args.factor_region)
    return options
