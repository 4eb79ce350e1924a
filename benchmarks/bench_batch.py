"""Benchmark the batch engine against the per-event single-study path.

Workloads
---------
- ``real``: the committed panel (13 stocks and ETFs, market ^GSPC, 2016-2019): one event per
  stock and trading day whose windows fit (about 9,800 events).
- ``synthetic``: 1,000 securities over 10 years (2,520 trading days) of realistic daily
  returns (seeded): a GARCH(1,1) market with Student-t shocks, Fama-French-like factors,
  per-security betas, idiosyncratic volatility of 1-3.5% a day with fat tails, late listings
  and scattered missing returns; 100,000 and 1,000,000 events on random stocks and days.

For each workload, model and size the batch engine runs in a fresh process (so its peak
memory, the process's maximum resident set size from ``getrusage``, is its own: the panel,
the events table, the outputs and the interpreter included). The single path
(``EventStudy.run``) runs on a random sample of the same events; both must agree to 1e-10 on
every AR, se, t, p, CAR, its se, t and p, sigma and parameter, and the speedup is the ratio of
events per second.

Usage::

    .venv/bin/python benchmarks/bench_batch.py            # the table
    .venv/bin/python benchmarks/bench_batch.py --json     # the same rows as JSON
    .venv/bin/python benchmarks/bench_batch.py --quick    # a small smoke run
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
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh_process import measure_in_fresh_process  # noqa: E402

TOLERANCE = 1e-10
KEYS = ("events", "model", "seconds", "events_per_second", "peak_mb", "max_abs_diff",
        "speedup_vs_single")


# ----------------------------------------------------------------------------------------------
# Workloads
# ----------------------------------------------------------------------------------------------


def real_workload(model: str):
    """The committed panel: every stock x every trading day with a full window."""
    import eventstudy as es
    from eventstudy.engine.single import EventStudy
    from eventstudy.studies.inputs import load_factor_sets

    prices = es.load_prices(es.available_tickers())
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == "^GSPC", "date"])
    returns = es.simple_returns(prices, calendar=calendar)
    study = EventStudy(model)
    factors = load_factor_sets(study.model.factor_sets, None)
    stocks = [c for c in returns.columns if not c.startswith("^")]
    est, win = study.estimation, study.window
    days = returns.index[-min(est.start, win.start) : len(returns.index) - max(est.end, win.end)]
    events = pd.DataFrame({
        "security": np.repeat(stocks, len(days)),
        "event_date": np.tile(days.values, len(stocks)),
    })
    return returns, returns["^GSPC"], factors, events


def synthetic_panel(n_securities: int = 1000, n_days: int = 2520, seed: int = 2024):
    """Realistic daily returns: GARCH market, factors, betas, fat tails, gaps (seeded)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=n_days)
    # market excess return: GARCH(1,1), annual vol about 16%, Student-t(5) shocks
    omega, a, b = 2e-6, 0.09, 0.89
    var = omega / (1 - a - b)
    shocks = rng.standard_t(5, n_days) / np.sqrt(5 / 3)
    mkt = np.empty(n_days)
    for t in range(n_days):
        mkt[t] = 3e-4 + np.sqrt(var) * shocks[t]
        var = omega + a * (mkt[t] - 3e-4) ** 2 + b * var
    rf = np.full(n_days, 0.02 / 252)
    smb = 0.005 * rng.standard_t(6, n_days) / np.sqrt(1.5) + 0.1 * (mkt - 3e-4)
    hml = 0.005 * rng.standard_t(6, n_days) / np.sqrt(1.5) - 0.1 * (mkt - 3e-4)
    mom = 0.007 * rng.standard_t(5, n_days) / np.sqrt(5 / 3)
    factors = pd.DataFrame(
        {"Mkt-RF": mkt, "SMB": smb, "HML": hml, "Mom": mom, "RF": rf},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    betas = np.column_stack([
        rng.uniform(0.5, 1.6, n_securities), rng.normal(0.3, 0.5, n_securities),
        rng.normal(0.0, 0.5, n_securities), rng.normal(0.0, 0.2, n_securities),
    ])
    alpha = rng.normal(0.0, 2e-4, n_securities)
    idio_vol = rng.uniform(0.01, 0.035, n_securities)
    idio = rng.standard_t(4, (n_days, n_securities)) / np.sqrt(2.0) * idio_vol
    design = np.column_stack([mkt, smb, hml, mom])
    returns = rf[:, None] + alpha + design @ betas.T + idio
    listing = np.where(rng.random(n_securities) < 0.15, rng.integers(0, n_days // 2, n_securities), 0)
    returns[np.arange(n_days)[:, None] < listing[None, :]] = np.nan
    returns[rng.random((n_days, n_securities)) < 5e-4] = np.nan
    names = [f"S{i:04d}" for i in range(n_securities)]
    panel = pd.DataFrame(returns, index=pd.DatetimeIndex(dates, name="date"), columns=names)
    market = pd.Series(mkt + rf, index=panel.index, name="MARKET")
    return panel, market, factors


def synthetic_workload(n_events: int, n_securities: int, n_days: int, seed: int = 7):
    panel, market, factors = synthetic_panel(n_securities, n_days)
    rng = np.random.default_rng(seed)
    events = pd.DataFrame({
        "security": panel.columns.to_numpy()[rng.integers(0, n_securities, n_events)],
        "event_date": panel.index.values[rng.integers(0, n_days, n_events)],
    })
    return panel, market, factors, events


# ----------------------------------------------------------------------------------------------
# One measurement (in its own process)
# ----------------------------------------------------------------------------------------------


def measure(config: dict) -> dict:
    from eventstudy.engine.batch import batch_event_study
    from eventstudy.exceptions import EventStudyError
    from eventstudy.engine.single import EventStudy

    model = config["model"]
    if config["panel"] == "real":
        returns, market, factors, events = real_workload(model)
    else:
        returns, market, factors, events = synthetic_workload(
            config["events"], config["securities"], config["days"]
        )
    factors = factors if EventStudy(model).model.factor_sets else None
    start = time.perf_counter()
    result = batch_event_study(returns, events, market, model=model, factors=factors,
                               progress=False)
    seconds = time.perf_counter() - start
    tests_seconds = None
    if config.get("tests"):  # every multi-event statistic, residuals read chunk by chunk
        from eventstudy.inference.multi_event import multi_event_tests

        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # random events share dates: the clustering warning
            multi_event_tests(**result.test_inputs())
        tests_seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    # the single path on a sample of the same events
    rng = np.random.default_rng(11)
    studied = np.flatnonzero(result.ok)
    sample = rng.choice(studied, size=min(config["sample"], len(studied)), replace=False)
    study = EventStudy(model)
    series = {name: returns[name] for name in pd.unique(events["security"].to_numpy()[sample])}
    max_diff = 0.0
    start = time.perf_counter()
    runs = []
    for i in sample:
        try:
            runs.append((i, study.run(series[events["security"].iat[i]], market,
                                      events["event_date"].iat[i], factors=factors)))
        except EventStudyError as error:  # the batch studied it: a disagreement
            raise AssertionError(f"event {i}: the single path raised {error}") from None
    single_seconds = time.perf_counter() - start
    for i, single in runs:
        max_diff = max(max_diff, _max_abs_diff(result, i, single))
    single_rate = len(sample) / single_seconds
    rate = len(events) / seconds
    return {
        "panel": config["panel"],
        "studied": int(result.n_events),
        "events": int(len(events)),
        "model": model,
        "seconds": round(seconds, 4),
        "events_per_second": round(rate, 1),
        "peak_mb": round(peak_mb, 1),
        "max_abs_diff": float(max_diff),
        "speedup_vs_single": round(rate / single_rate, 1),
        "single_events_per_second": round(single_rate, 1),
        **({} if tests_seconds is None else {"tests_seconds": round(tests_seconds, 3)}),
    }


def _max_abs_diff(result, i: int, single) -> float:
    days = single.days
    car = single.car
    pairs = [
        (result.abnormal[i], days["abnormal"].to_numpy()),
        (result.se[i], days["se"].to_numpy()),
        (result.t[i], days["t"].to_numpy()),
        (result.p[i], days["p"].to_numpy()),
        (result.car[i], car.value), (result.car_se[i], car.se),
        (result.car_t[i], car.t), (result.car_p[i], car.p),
        (result.sigma[i], single.fit.sigma),
        (result.params[i], single.fit.params.to_numpy()),
        (result.nobs[i], single.fit.nobs),
    ]
    return max(float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))) for a, b in pairs)


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------


def configs(args: argparse.Namespace) -> list[dict]:
    out = []
    if not args.no_real:
        out += [{"panel": "real", "model": m, "sample": args.sample} for m in args.models]
    for n in args.events:
        out += [{"panel": "synthetic", "model": m, "events": n, "securities": args.securities,
                 "days": args.days, "sample": args.sample} for m in args.models]
    return [{**c, "tests": args.tests} for c in out]


def run_config(config: dict) -> dict:
    """Measure one configuration in a fresh interpreter (its own peak memory)."""
    return measure_in_fresh_process(__file__, config)


def table(rows: list[dict]) -> str:
    tests = any("tests_seconds" in r for r in rows)
    header = (f"{'panel':<10}{'events':>10} {'model':<9}{'seconds':>9}{'events/s':>13}"
              f"{'peak MB':>9}{'max |diff|':>12}{'vs single':>11}" + (f"{'tests s':>9}" if tests else ""))
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['panel']:<10}{r['events']:>10,} {r['model']:<9}{r['seconds']:>9.3f}"
            f"{r['events_per_second']:>13,.0f}{r['peak_mb']:>9.0f}{r['max_abs_diff']:>12.1e}"
            f"{r['speedup_vs_single']:>10,.0f}x" + (f"{r['tests_seconds']:>9.2f}" if tests else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    parser.add_argument("--models", nargs="+", default=["market", "ff3", "carhart"])
    parser.add_argument("--events", nargs="+", type=int, default=[100_000, 1_000_000],
                        help="synthetic workload sizes")
    parser.add_argument("--securities", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--sample", type=int, default=200,
                        help="events run through the single path to time it and check agreement")
    parser.add_argument("--no-real", action="store_true", help="skip the committed panel")
    parser.add_argument("--quick", action="store_true",
                        help="a small smoke run: market model, 2,000 events on 50 securities")
    parser.add_argument("--tests", action="store_true",
                        help="also run every multi-event test statistic on each workload "
                        "(column 'tests s'; peak MB then includes them)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0
    if args.quick:
        args.models, args.events, args.securities, args.days = ["market"], [2000], 50, 600
        args.sample, args.no_real = 20, True
    rows = [run_config(c) for c in configs(args)]
    worst = max(r["max_abs_diff"] for r in rows)
    if args.json:
        keys = [*KEYS, "tests_seconds"] if args.tests else KEYS
        print(json.dumps([{k: r[k] for k in keys} for r in rows], indent=1))
    else:
        print(table(rows))
        print(f"\n{os.cpu_count()} CPUs; peak MB: maximum resident set of the benchmark process; "
              f"agreement with the single path on a sample of {args.sample} events per row: "
              f"max |diff| {worst:.1e} (tolerance {TOLERANCE:g})")
    if worst > TOLERANCE:
        print(f"FAILED: the batch engine and the single path differ by {worst:.3g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
