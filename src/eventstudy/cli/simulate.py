"""``eventstudy simulate``: size and power of every multi-event test (Brown & Warner 1985).

Draws pseudo-events on the snapshot's stocks (or the ``--tickers`` given), adds an abnormal
return ``--shift`` and scales the event-window variance by ``--variance-multiplier``, and prints
each test's rejection rate (see :func:`eventstudy.studies.simulate.simulate`). Several ``--shift``
values share their pseudo-events (one seed) and print a power table.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from eventstudy.cli.options import add_data_options, data_options
from eventstudy.defaults import (
    DEFAULT_ESTIMATION,
    DEFAULT_MARKET,
    DEFAULT_WINDOW,
    MODEL_NAMES,
    TEST_NAMES,
)
from eventstudy.exceptions import ParameterError


def register(commands: Any) -> None:
    """Add the ``simulate`` subcommand to the subparsers ``commands``."""
    parser = commands.add_parser(
        "simulate",
        help="size and power of every multi-event test, simulated on real returns",
        description="Brown & Warner (1985): draw samples of pseudo-events on the snapshot's "
        "stocks (or the --tickers given, or your own panel with --returns / --prices), add an "
        "abnormal return, and report how often each test rejects (with its Clopper-Pearson 95% "
        "interval) on day 0 and over the CAR window.",
    )
    parser.add_argument("--events", type=int, default=50, metavar="N",
                        help="pseudo-events per sample (default 50)")
    parser.add_argument("--samples", type=int, default=1000, metavar="N",
                        help="number of samples (default 1000)")
    parser.add_argument("--shift", type=float, nargs="+", default=[0.0], metavar="X",
                        help="abnormal return added, as a decimal (0.01 is 1%%); several values "
                        "give a power table on the same pseudo-events (default 0)")
    parser.add_argument("--shift-window", type=int, nargs=2, default=None, metavar=("A", "B"),
                        help="relative days sharing the shift equally (default 0 0)")
    parser.add_argument("--variance-multiplier", type=float, default=1.0, metavar="C",
                        help="multiply the event-window residual variance by C (default 1)")
    parser.add_argument("--same-date", action="store_true",
                        help="put all events of a sample on one day 0 (clustered events)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws (default 0)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="level of the tests (default 0.05): two-sided, a test rejects when "
                        "p < ALPHA; the one-sided rates are those of the same test at level ALPHA "
                        "in each tail")
    parser.add_argument("--tests", nargs="+", default=None, metavar="NAME", choices=TEST_NAMES,
                        help=f"tests to run (default all): {', '.join(TEST_NAMES)}")
    parser.add_argument("--tickers", nargs="+", default=None, metavar="TICKER",
                        help="snapshot stocks to draw from (default: every stock of the snapshot)")
    parser.add_argument("--market", default=DEFAULT_MARKET,
                        help=f"market index or ETF (default {DEFAULT_MARKET})")
    parser.add_argument("--model", default="market",
                        help=f"expected-return model: {', '.join(MODEL_NAMES)} (default market)")
    parser.add_argument("--estimation", nargs=2, type=int, metavar=("A", "B"),
                        default=list(DEFAULT_ESTIMATION),
                        help="estimation window in trading days relative to day 0 (default -250 -11)")
    parser.add_argument("--window", nargs=2, type=int, metavar=("A", "B"),
                        default=list(DEFAULT_WINDOW),
                        help="event window in trading days relative to day 0 (default -1 1)")
    parser.add_argument("--car-window", nargs=2, type=int, metavar=("A", "B"), default=None,
                        help="window of the CAR tests, inside the event window (default: the event window)")
    parser.add_argument("--min-estimation", type=int, default=None, metavar="N",
                        help="fewest valid estimation returns accepted (default: 80%% of the estimation window)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (a list of them for several shifts)")
    add_data_options(parser)


def handle(args: argparse.Namespace) -> int:
    """Run ``eventstudy simulate``; errors propagate as :class:`EventStudyError` (exit 2)."""
    from eventstudy.engine.single import EventStudy
    from eventstudy.studies.inputs import load_factor_sets
    from eventstudy.studies.simulate import MAX_SHIFTS, check_shift, power_summary, simulate, snapshot_panel

    options: dict[str, Any] = {
        "events": args.events,
        "samples": args.samples,
        "shift_window": None if args.shift_window is None else tuple(args.shift_window),
        "variance_multiplier": args.variance_multiplier,
        "same_date": args.same_date,
        "model": args.model,
        "estimation": tuple(args.estimation),
        "window": tuple(args.window),
        "car_window": None if args.car_window is None else tuple(args.car_window),
        "alpha": args.alpha,
        "min_estimation": args.min_estimation,
        "tests": args.tests,
        "seed": args.seed,
    }
    if len(args.shift) > MAX_SHIFTS:
        raise ParameterError("shift", f"{len(args.shift)} values", f"give at most {MAX_SHIFTS} shifts")
    for shift in args.shift:  # every one before the first simulation runs
        check_shift(shift)
    user = data_options(args)
    if any(user[k] is not None for k in ("returns", "prices")):
        from eventstudy.studies.inputs import UserPanel
        from eventstudy.data.panel import load_whole_panel

        given = UserPanel.of(**user)
        assert given is not None
        loaded = load_whole_panel(given.panel, args.market, given.market_returns, args.tickers,
                                  **given.units)
        factors = given.factors if given.factors is not None else load_factor_sets(
            EventStudy(model=args.model).model.factor_sets, None)
        panel: dict[str, Any] = {"returns": loaded.returns, "market": loaded.market, "factors": factors}
    elif args.tickers is None:
        panel = {"market": args.market}
    else:
        returns, market = snapshot_panel(args.market, args.tickers)
        factors = load_factor_sets(EventStudy(model=args.model).model.factor_sets, None)
        panel = {"returns": returns, "market": market, "factors": factors}
    results = [simulate(shift=shift, **panel, **options) for shift in args.shift]
    if args.json:
        payload: Any = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
        print(json.dumps(payload, allow_nan=False))
    elif len(results) == 1:
        print(results[0].summary())
    else:
        print(power_summary(results))
    return 0
