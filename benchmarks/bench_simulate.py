"""Benchmark the size-and-power simulation (``eventstudy.studies.simulate.simulate``).

Workloads
---------
- ``snapshot``: the committed snapshot's ten stocks, market ^GSPC, market model, 1,000 samples
  of 50 pseudo-events (the issue's target: within 60 s with all eleven tests), with every test
  and with the five parametric tests only; and 1,000 samples of 10 same-date events.
- ``synthetic``: 500 securities over 10 years of i.i.d. market-model returns (seeded), the same
  1,000 x 50 design: the panel's size barely matters.

For each row: the whole ``simulate`` call, the share of it spent in the one engine call (the
same pseudo-events studied again by ``batch_event_study`` alone) and the rest per sample
(loading the panel, drawing, and above all the tests). What bounds the run is the per-sample call of ``multi_event_tests`` (Wilcoxon's exact
p-values and the within-event ranks of the rank tests), not the engine.

Usage::

    .venv/bin/python benchmarks/bench_simulate.py            # the table
    .venv/bin/python benchmarks/bench_simulate.py --quick    # 100 samples, a smoke run
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

PARAMETRIC = ("cross_sectional_t", "patell", "bmp", "kolari_pynnonen_patell", "kolari_pynnonen_bmp")


def synthetic_panel(n_dates: int = 2520, n_securities: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=n_dates)
    market = pd.Series(rng.normal(0.0003, 0.01, n_dates), index=dates, name="market")
    beta = rng.uniform(0.5, 1.5, n_securities)
    noise = rng.normal(0.0, 0.02, (n_dates, n_securities))
    values = 0.0002 + market.to_numpy()[:, None] * beta[None, :] + noise
    returns = pd.DataFrame(values, index=dates, columns=[f"S{j:03d}" for j in range(n_securities)])
    return returns, market


def measure(label: str, returns, market, **kwargs) -> dict:
    from eventstudy.engine.batch import batch_event_study
    from eventstudy.studies.simulate import simulate, snapshot_panel

    start = time.perf_counter()
    result = simulate(returns, market, progress=False, **kwargs)
    total = time.perf_counter() - start
    if returns is None:
        returns, market = snapshot_panel()
    events = result.events.rename(columns={"day0": "event_date"})
    start = time.perf_counter()
    batch_event_study(returns, events, market, progress=False)
    engine = time.perf_counter() - start
    samples = kwargs["samples"]
    return {
        "workload": label,
        "samples": samples,
        "events": kwargs["events"],
        "tests": len(result.tests),
        "seconds": total,
        "engine_s": engine,
        "engine_share": engine / total,
        "ms_per_sample": 1000 * (total - engine) / samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 samples instead of 1,000")
    args = parser.parse_args()
    samples = 100 if args.quick else 1000
    synthetic = synthetic_panel()
    rows = [
        measure("snapshot, all tests", None, None, events=50, samples=samples),
        measure("snapshot, parametric", None, None, events=50, samples=samples, tests=PARAMETRIC),
        measure("snapshot, same date", None, None, events=10, samples=samples, same_date=True),
        measure("synthetic 500 x 2520, all tests", *synthetic, events=50, samples=samples),
    ]
    frame = pd.DataFrame(rows).set_index("workload")
    print(frame.to_string(formatters={
        "seconds": "{:.2f}".format, "engine_s": "{:.3f}".format,
        "engine_share": "{:.1%}".format, "ms_per_sample": "{:.2f}".format,
    }))


if __name__ == "__main__":
    main()
