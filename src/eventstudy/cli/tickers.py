"""``eventstudy tickers``: what can be studied without the network, from the committed snapshot
and from the local cache (with the dates each one covers)."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from eventstudy.exceptions import EventStudyWarning


def register(commands: Any) -> None:
    """Add the ``tickers`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "tickers",
        help="list the tickers available offline: the snapshot's and the cache's",
        description="Tickers in the committed snapshot and in the cache, with the dates they cover.",
    )
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="cache folder (default: $EVENTSTUDY_CACHE_DIR, else the user cache folder)")


def handle(args: argparse.Namespace) -> int:
    """Print one line per ticker, the snapshot first, then the cache."""
    for line in snapshot_lines() + cache_lines(args.cache_dir):
        print(line)
    return 0


def snapshot_lines() -> list[str]:
    """``snapshot`` lines: ticker, first and last date, rows."""
    from eventstudy.data.snapshot import available_tickers, read_snapshot_file

    lines = []
    for ticker in available_tickers():
        dates = read_snapshot_file(ticker)["date"]
        lines.append(f"snapshot  {ticker:<8} {dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d}  {len(dates)} rows")
    return lines


def cache_lines(folder: str | None) -> list[str]:
    """``cache`` lines: Yahoo symbol, the date ranges fetched, rows; or where the empty cache is."""
    from eventstudy.data.cache import TableCache

    lines = []
    for kind in ("prices", "factors"):
        table = TableCache(folder, kind)
        for key in table.keys():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EventStudyWarning)
                entry = table.read(key)
            if entry is None:
                lines.append(f"cache     {key:<8} corrupt: fetched again on next use")
                continue
            covered = ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in entry.covered)
            label = key if kind == "prices" else f"factors {key}"
            lines.append(f"cache     {label:<8} {covered}  {len(entry.frame)} rows")
    if not any(line.startswith("cache") for line in lines):
        lines.append(f"cache     (empty: {TableCache(folder, 'prices').root})")
    return lines
