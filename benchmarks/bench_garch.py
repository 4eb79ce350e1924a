"""Benchmark the GARCH(1,1) market model over many events, and simulate the Savickas test.

Speed
-----
A synthetic panel (seeded) of securities whose idiosyncratic returns follow GARCH(1,1) with
per-security parameters, over a GARCH market; 1,000 and 10,000 events on random securities
and days. :func:`eventstudy.engine.garch.garch_events` fits one GARCH per event, from four
starting points, over ``--workers`` processes (default: one per core); the table gives events
per second and checks a sample of events against the single path (``EventStudy("garch").run``)
to 1e-10. ``--baseline`` also times, on the same events and in the same run, the fits as they
were before the starting points: one ``arch`` fit per event (``arch_model(...).fit()`` from
``arch``'s own start, and its one-step forecast), in one process (``baseline_s``), and the
ratio of the two times; and, on the first :data:`CPU_SAMPLE` events, the CPU seconds of the
four-start fits over those of the one ``arch`` fit, the two taking turns event by event
(``fit_cpu/baseline``), which other jobs on the machine disturb less than the wall times.

Simulation (``--simulate``)
---------------------------
Replications of ``N`` events with no abnormal return, on securities with GARCH(1,1) errors;
on day 0 the idiosyncratic shock's variance is multiplied by ``jump`` (1: no event-induced
variance). For day 0 it reports the rejection rate at 5% of Patell's test (OLS market model,
:math:`Z = \\sum_i SAR_i / \\sqrt{\\sum_i df_i/(df_i-2)}`), of BMP on the same SARs, and of the
Savickas test (GARCH conditional sd, cross-sectional t).

Usage::

    .venv/bin/python benchmarks/bench_garch.py                 # speed table
    .venv/bin/python benchmarks/bench_garch.py --workers 1     # the fits in one process
    .venv/bin/python benchmarks/bench_garch.py --events 10000 --baseline   # and one arch fit each
    .venv/bin/python benchmarks/bench_garch.py --simulate      # rejection rates
    .venv/bin/python benchmarks/bench_garch.py --events 200 --simulate --reps 40   # quick
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats


#: Events whose fits are timed in turns for the CPU ratio (``--baseline``).
CPU_SAMPLE = 500


def garch_panel(n_securities: int, n_days: int, seed: int = 2026,
                jump_day: int | None = None, jump: float = 1.0):
    """Returns of a GARCH(1,1) market and securities with GARCH(1,1) idiosyncratic errors."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=n_days)

    def garch_paths(omega, a, b, shocks):
        var = omega / (1 - a - b)
        out = np.empty_like(shocks)
        for t in range(shocks.shape[0]):  # a loop over days, vectorised over securities
            out[t] = np.sqrt(var) * shocks[t]
            var = omega + a * out[t] ** 2 + b * var
        return out

    mkt = 3e-4 + garch_paths(np.array([2e-6]), np.array([0.09]), np.array([0.89]),
                             rng.standard_normal((n_days, 1)))[:, 0]
    a = rng.uniform(0.03, 0.12, n_securities)
    b = rng.uniform(0.80, 0.96, n_securities) - a  # persistence a + b between 0.80 and 0.96
    sd = rng.uniform(0.01, 0.03, n_securities)
    omega = sd**2 * (1 - a - b)
    shocks = rng.standard_normal((n_days, n_securities))
    if jump_day is not None:
        shocks[jump_day] *= np.sqrt(jump)
    idio = garch_paths(omega, a, b, shocks)
    beta = rng.uniform(0.5, 1.6, n_securities)
    returns = rng.normal(0, 2e-4, n_securities) + mkt[:, None] * beta + idio
    names = [f"S{i:05d}" for i in range(n_securities)]
    panel = pd.DataFrame(returns, index=pd.DatetimeIndex(dates, name="date"), columns=names)
    return panel, pd.Series(mkt, index=panel.index, name="MARKET")


def one_start_fit(y: np.ndarray, x: np.ndarray) -> None:
    """One ``arch`` fit (decimals in, percent to ``arch``) and its one-step forecast: the GARCH
    path before the starting points."""
    import warnings

    from arch import arch_model

    model = arch_model(100 * y, x=100 * x[:, None], mean="LS", vol="GARCH", p=1, q=1,
                       dist="normal", rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp="off", show_warning=False)
    fit.forecast(horizon=1, x={"x0": np.zeros((1, 1))}, reindex=False)


def one_start_seconds(y: np.ndarray, x: np.ndarray) -> float:
    """Seconds of :func:`one_start_fit` on every row, in this process (the old path)."""
    start = time.perf_counter()
    for i in range(len(y)):  # the old path: one fit per event, one process
        one_start_fit(y[i], x[i])
    return time.perf_counter() - start


def cpu_ratio(y: np.ndarray, x: np.ndarray) -> float:
    """CPU seconds of the four-start fits over those of :func:`one_start_fit`, the two taking
    turns event by event in this process (so that other jobs weigh on both alike)."""
    from eventstudy.models.garch import estimate_garch

    cpu = {"four": 0.0, "one": 0.0}
    for i in range(len(y)):
        for name, fit in (("four", estimate_garch), ("one", one_start_fit))[::1 - 2 * (i % 2)]:
            start = time.process_time()
            fit(y[i], x[i])
            cpu[name] += time.process_time() - start
    return cpu["four"] / cpu["one"]


def speed(n_events: int, workers: int | None = None, sample: int = 20,
          baseline: bool = False) -> dict:
    from eventstudy.engine.garch import garch_events
    from eventstudy.engine.single import EventStudy

    panel, market = garch_panel(500, 1500)
    rng = np.random.default_rng(n_events)
    events = pd.DataFrame({
        "security": panel.columns.to_numpy()[rng.integers(0, panel.shape[1], n_events)],
        "event_date": panel.index.values[rng.integers(260, panel.shape[0] - 5, n_events)],
    })
    garch_events(panel, events.iloc[:1], market, window=(-1, 1), workers=1)  # imports arch
    start = time.perf_counter()
    result = garch_events(panel, events, market, window=(-1, 1), workers=workers)
    seconds = time.perf_counter() - start
    study = EventStudy("garch", window=(-1, 1))
    diff = 0.0
    for i in np.flatnonzero(result.ok)[:sample]:
        single = study.run(panel[events.security[i]], market, events.event_date[i])
        diff = max(diff, float(np.max(np.abs(result.abnormal[i] - single.days["abnormal"]))),
                   float(np.max(np.abs(result.se[i] - single.days["se"]))))
    from eventstudy.engine.garch_fits import available_cores

    row = {"events": n_events, "workers": workers or available_cores(),
           "studied": result.n_events, "seconds": seconds,
           "events_per_second": n_events / seconds, "max_abs_diff_vs_single": diff}
    if baseline:  # the same estimation windows (the panel has no gaps: days -250..-11)
        day0 = panel.index.get_indexer(pd.DatetimeIndex(events.event_date))
        days = day0[:, None] + np.arange(-250, -10)[None, :]
        cols = panel.columns.get_indexer(events.security)
        y, x = panel.to_numpy()[days, cols[:, None]], market.to_numpy()[days]
        row["baseline_s"] = one_start_seconds(y, x)
        row["seconds/baseline"] = seconds / row["baseline_s"]
        row["fit_cpu/baseline"] = cpu_ratio(y[:CPU_SAMPLE], x[:CPU_SAMPLE])
    return row


def simulate(reps: int, n: int, jump: float, seed: int = 5) -> dict:
    """Rejection rates at 5% on day 0 with no abnormal return and variance x ``jump`` there."""
    from eventstudy.engine.batch import batch_event_study
    from eventstudy.engine.garch import garch_events
    from eventstudy.inference.savickas import savickas

    n_days, day0 = 320, 300
    panel, market = garch_panel(reps * n, n_days, seed=seed, jump_day=day0, jump=jump)
    events = pd.DataFrame({"security": panel.columns, "event_date": panel.index[day0]})
    ols = batch_event_study(panel, events, market, window=(0, 0), estimation=(-250, -11))
    garch = garch_events(panel, events, market, window=(0, 0), estimation=(-250, -11))
    ok = ols.ok & garch.ok
    groups = np.arange(reps * n) // n
    rates = {"patell": [], "bmp": [], "savickas": []}
    for r in range(reps):
        rows = np.flatnonzero(ok & (groups == r))
        sar = ols.abnormal[rows, 0] / ols.se[rows, 0]
        df = ols.df[rows].astype(float)
        z = sar.sum() / np.sqrt(np.sum(df / (df - 2)))
        rates["patell"].append(2 * stats.norm.sf(abs(z)) < 0.05)
        rates["bmp"].append(stats.ttest_1samp(sar, 0.0).pvalue < 0.05)
        test = savickas(garch.abnormal[rows], garch.se[rows], garch.car_se[rows], [0], (0, 0))[0]
        rates["savickas"].append(test.pvalue < 0.05)
    return {"jump": jump, "reps": reps, "events_per_rep": n, "not_fitted": int((~ok).sum()),
            **{k: float(np.mean(v)) for k, v in rates.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", nargs="+", type=int, default=[1_000, 10_000])
    parser.add_argument("--simulate", action="store_true", help="Savickas vs Patell simulation")
    parser.add_argument("--reps", type=int, default=200, help="replications (--simulate)")
    parser.add_argument("--n", type=int, default=50, help="events per replication (--simulate)")
    parser.add_argument("--baseline", action="store_true",
                        help="also time one arch fit per event in one process (the old path)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for the fits (default: one per core)")
    args = parser.parse_args()
    if args.simulate:
        rows = [simulate(args.reps, args.n, jump) for jump in (1.0, 4.0)]
        print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format))
        return 0
    rows = [speed(n, args.workers, baseline=args.baseline) for n in args.events]
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3g}".format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
