"""Benchmark the multi-event test statistics (``eventstudy.inference.multi_event.multi_event_tests``).

Workload
--------
N events (10,000, 100,000 and 1,000,000 by default) with L = 240 estimation residuals and
T = 21 event days (-10..+10, CAAR window -1..+1) of synthetic data (seeded): Student-t(5)
residuals of per-event volatility 1-3%, a fifth of the events listed late (their first 1-80
estimation days missing) and 1% of the other residual days missing at random; abnormal returns
with a small positive mean on days 0 and +1. The residuals are given as a function of the rows
(as the batch engine gives them), built from a pool of 16,384 rows scaled per event, so the
statistics read them chunk by chunk and the N x L matrix is never held.

Each row of the table runs in a fresh interpreter, so its peak memory (the process's maximum
resident set, from ``getrusage``) is its own: interpreter, inputs and the statistics. ``all``
runs the eleven tests in one call (one pass over the residuals).

Usage::

    .venv/bin/python benchmarks/bench_statistics.py                      # the table
    .venv/bin/python benchmarks/bench_statistics.py --events 100000      # one size
    .venv/bin/python benchmarks/bench_statistics.py --src /work/main/src # another source tree
    .venv/bin/python benchmarks/bench_statistics.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh_process import measure_in_fresh_process  # noqa: E402

POOL = 16_384
LENGTH, DAYS, WINDOW = 240, 21, (-1, 1)


def workload(n: int, length: int = LENGTH, days: int = DAYS, seed: int = 7):
    """Inputs of ``multi_event_tests`` for ``n`` synthetic events, residuals by rows."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_t(5, (POOL, length)) / np.sqrt(5 / 3)
    pool[rng.random(pool.shape) < 0.01] = np.nan
    late = rng.random(POOL) < 0.2
    start = rng.integers(1, 81, POOL)
    pool[np.arange(length)[None, :] < np.where(late, start, 0)[:, None]] = np.nan
    pool -= np.nanmean(pool, axis=1, keepdims=True)
    present = np.sum(~np.isnan(pool), axis=1)
    sigma = rng.uniform(0.01, 0.03, n)
    pool_row = rng.integers(0, POOL, n)

    def residuals(rows: np.ndarray) -> np.ndarray:
        return pool[pool_row[rows]] * sigma[rows, None]

    df = (present[pool_row] - 2).astype(float)
    abnormal_sd = sigma[:, None] * rng.uniform(1.0, 1.05, (n, days))
    shift = np.zeros(days)
    shift[days // 2 : days // 2 + 2] = 0.1
    abnormal = (rng.standard_t(5, (n, days)) / np.sqrt(5 / 3) + shift) * abnormal_sd
    car_sd = np.sqrt(np.sum(abnormal_sd[:, days // 2 - 1 : days // 2 + 2] ** 2, axis=1)) * 1.01
    rel_days = list(range(-(days // 2), days - days // 2))
    return dict(abnormal=abnormal, abnormal_sd=abnormal_sd, car_sd=car_sd, residuals=residuals,
                df=df, rel_days=rel_days, window=WINDOW)


def measure(config: dict) -> dict:
    """Time one call of ``multi_event_tests`` (one test, or all of them) in this process."""
    if config["src"]:
        sys.path.insert(0, config["src"])
    from eventstudy.inference.multi_event import TEST_NAMES, multi_event_tests

    inputs = workload(config["events"])
    tests = list(TEST_NAMES) if config["test"] == "all" else [config["test"]]
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = multi_event_tests(**inputs, tests=tests)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    day0 = [r.stat for r in rows if r.rel_day == 0]
    return {**config, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak_mb,
            "day0_stat": day0}


def run_config(config: dict) -> dict:
    """Measure one configuration in a fresh interpreter (its own peak memory)."""
    return measure_in_fresh_process(__file__, config)


def table(rows: list[dict]) -> str:
    header = (f"{'test':<24}{'events':>11}{'seconds':>10}{'CPU s':>8}{'CPU s/1M':>10}{'peak MB':>9}"
              f"{'day-0 stat':>14}")
    lines = [header, "-" * len(header)]
    for r in rows:
        stats = r["day0_stat"]
        lines.append(
            f"{r['test']:<24}{r['events']:>11,}{r['seconds']:>10.2f}{r['cpu_seconds']:>8.2f}"
            f"{r['cpu_seconds'] * 1e6 / r['events']:>10.2f}{r['peak_mb']:>9.0f}"
            + (f"{stats[0]:>14.6g}" if len(stats) == 1 else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--tests", nargs="+", default=None,
                        help="test names (default: each of the eleven, then all together)")
    parser.add_argument("--src", default="",
                        help="import eventstudy from this source tree (e.g. /work/main/src)")
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0
    if args.tests is None:
        from eventstudy.inference.multi_event import TEST_NAMES

        args.tests = [*TEST_NAMES, "all"]
    src = str(Path(args.src).resolve()) if args.src else ""
    rows = []
    for events in args.events:
        for test in args.tests:
            rows.append(run_config({"events": events, "test": test, "src": src}))
            if not args.json:
                print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(table(rows))
        print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; L = {LENGTH} "
              f"estimation days, T = {DAYS} event days, window {list(WINDOW)}; seconds: wall "
              "clock; CPU s: CPU time of the process (all threads; on a busy machine the "
              "steadier measure); peak MB: maximum resident set of the process running the row"
              + (f"; eventstudy from {src}" if src else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
