"""Command-line options shared by every command that studies events: the user's own data."""

from __future__ import annotations

import argparse
from typing import Any


def add_data_options(parser: argparse.ArgumentParser, *, factors: bool = True) -> None:
    """``--returns``, ``--prices``, ``--columns``, ``--market-returns`` (and ``--factors``,
    ``--factors-unit``): the user's panel instead of the snapshot."""
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
    if factors:
        data.add_argument("--factors", metavar="PATH", default=None,
                          help="daily factors (date, Mkt-RF, SMB, HML, RF, ...) for the factor "
                          "models (default: the snapshot's French factors)")
        data.add_argument("--factors-unit", choices=["decimal", "percent"], default="decimal",
                          help="unit of the --factors file (default decimal)")


def data_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of the study functions for :func:`add_data_options`."""
    options = {name: getattr(args, name) for name in ("returns", "prices", "columns", "market_returns")}
    if hasattr(args, "factors"):
        options.update(factors=args.factors, factors_unit=args.factors_unit)
    return options
