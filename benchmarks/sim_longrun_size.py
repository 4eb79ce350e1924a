"""How often the tests of the mean BHAR reject a true null at 5%, on the snapshot's real returns.

Pseudo-events: every (stock, trading day) of the snapshot whose horizon 0..H (default 250 trading
days) is covered, for the ten stocks FB, GOOGL, AAPL, AMZN, TWTR, SNAP, JPM, WFC, C, USB (GOOG is
left out as a near copy of GOOGL; indices and ETFs are not stocks). Their BHARs against ^GSPC are
computed once by ``eventstudy.run_long_horizon``; each trial draws ``n`` of them at random
(without replacement) and runs the three tests of ``eventstudy.studies.longrun.mean_tests``.

Two nulls are reported:

* ``centred``: each BHAR less the mean BHAR of the whole population of pseudo-events, so the
  null E[BHAR] = 0 holds exactly in the population and the rejection rates measure the tests'
  size under the skewness (and the overlap) of real long-horizon returns (the design of Lyon,
  Barber & Tsai 1999, whose reference portfolios make the population mean zero);
* ``raw``: the BHARs against ^GSPC as they are. The snapshot's stocks beat the index in 2016-2019
  on average, so here "no abnormal return" is false for the market benchmark; the rates show
  how often the benchmark's bias is detected, not the size.

Each rate is the share of trials with two-sided p < 5%, split into rejections below (negative
mean) and above. Usage::

    .venv/bin/python benchmarks/sim_longrun_size.py [--trials 5000] [--sizes 50 200]
                                                     [--horizon 250] [--seed 2026] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from eventstudy.data.snapshot import load_prices
from eventstudy.studies.longrun import LONGRUN_TESTS, mean_tests, run_long_horizon
from eventstudy.data.returns import simple_returns

STOCKS = ["FB", "GOOGL", "AAPL", "AMZN", "TWTR", "SNAP", "JPM", "WFC", "C", "USB"]
MARKET = "^GSPC"


def population(horizon: int) -> pd.DataFrame:
    """Every covered pseudo-event's BHAR against the market, computed by run_long_horizon."""
    prices = load_prices([*STOCKS, MARKET])
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == MARKET, "date"])
    returns = simple_returns(prices, calendar=calendar)
    events = pd.DataFrame(
        [(s, d) for s in STOCKS for d in returns.index[returns[s].notna()]], columns=["ticker", "event_date"]
    )
    result = run_long_horizon(events, (0, horizon), returns=returns, market=MARKET, n_bootstrap=1)
    return result.to_frame()


def rejection_rates(bhar: np.ndarray, n: int, trials: int, rng: np.random.Generator,
                    n_bootstrap: int) -> dict[str, dict[str, float]]:
    """Share of trials rejecting at 5% (two-sided), below and above, for each test."""
    below = {name: 0 for name in LONGRUN_TESTS}
    above = {name: 0 for name in LONGRUN_TESTS}
    for _ in range(trials):  # trials, not events: each trial's tests are vectorised
        sample = rng.choice(bhar, size=n, replace=False)
        tests, boot, _ = mean_tests(sample, n_bootstrap=n_bootstrap, seed=int(rng.integers(2**31)))
        for test in tests:
            if test.p < 0.05:
                if test.name == "bootstrap_skewness_adjusted_t" and boot is not None:
                    low = np.mean(boot.stats <= test.stat) < np.mean(boot.stats >= test.stat)
                else:
                    low = test.stat < 0
                (below if low else above)[test.name] += 1
    return {name: {"reject": (below[name] + above[name]) / trials, "below": below[name] / trials,
                   "above": above[name] / trials} for name in LONGRUN_TESTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--horizon", type=int, default=250)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    frame = population(args.horizon)
    bhar = frame["bhar"].to_numpy()
    mean = float(bhar.mean())
    rng = np.random.default_rng(args.seed)
    rows = []
    for null, values in (("centred", bhar - mean), ("raw", bhar)):
        for n in args.sizes:
            rates = rejection_rates(values, n, args.trials, rng, args.bootstrap)
            rows += [{"null": null, "n": n, "test": name, **rate} for name, rate in rates.items()]
    seconds = time.perf_counter() - started
    x = bhar - mean
    skew = float(np.sum(x**3) / (len(x) * x.std(ddof=1) ** 3))
    if args.json:
        print(json.dumps({"population": len(bhar), "mean_bhar": mean, "skewness": skew, "horizon": args.horizon,
                          "trials": args.trials, "seed": args.seed, "rows": rows, "seconds": seconds}))
        return
    print(f"{len(bhar):,} pseudo-events (10 stocks x covered days), horizon 0..{args.horizon}, BHAR vs {MARKET}: "
          f"population mean {mean:+.2%}, skewness {skew:.2f}; {args.trials} trials per row, seed {args.seed}")
    print(f"{'null':<8} {'n':>4}  {'test':<30} {'reject 5%':>9} {'below':>7} {'above':>7}")
    print("-" * 72)
    for row in rows:
        print(f"{row['null']:<8} {row['n']:>4}  {row['test']:<30} {row['reject']:>9.3f} {row['below']:>7.3f} "
              f"{row['above']:>7.3f}")
    print(f"({seconds:.1f} s)")


if __name__ == "__main__":
    main()
