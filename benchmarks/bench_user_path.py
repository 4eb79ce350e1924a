"""Benchmark the path users take: ``eventstudy batch`` on panel files, end to end.

What it does
------------
1. Writes a synthetic long panel of daily returns, 5,000 securities x 2,520 trading days of
   realistic returns (``bench_batch.synthetic_panel``: a GARCH market with Student-t shocks,
   factor betas, fat-tailed idiosyncratic returns, late listings, scattered missing values),
   plus the market series as one more id (``MKT``), as Parquet and as CSV (12.6 million rows).
2. Writes event files of 10,000, 100,000 and 1,000,000 distinct events (random security and
   trading day with a full window).
3. Runs, as a user would, in a subprocess::

       eventstudy batch EVENTS --returns PANEL --market MKT --window -10 10 --json > out.json

   (all eleven tests; then the parametric tests only, ``--tests ...``), and records the wall
   time and the subprocess's peak resident memory.
4. Checks a sample of the CARs in the JSON against an independent computation (statsmodels OLS
   per event on the panel in memory, prediction-error CAR variance), and times that per-event
   statsmodels loop on a sample in the same run: the ``vs loop`` column is the speed ratio.
5. Reads 1,000 events from a 50-million-row Parquet panel (20,000 securities x 2,520 days) and
   reports the rows the reader returned and the peak memory (``--big``; the file is about
   0.6 GB).
6. ``--crsp``: the same path on a panel shaped like the CRSP daily stock file (32,000 PERMNOs
   over 1965-2024, staggered lifetimes, absent rows, CRSP's codes, ~100M rows), next to one
   DuckDB SQL query of the same CARs and a statsmodels loop (``bench_crsp.py`` says how).

Usage::

    .venv/bin/python benchmarks/bench_user_path.py             # the table (writes to a temp dir)
    .venv/bin/python benchmarks/bench_user_path.py --quick     # 10,000 events only
    .venv/bin/python benchmarks/bench_user_path.py --big       # also the 50-million-row file
    .venv/bin/python benchmarks/bench_user_path.py --crsp      # the CRSP-shaped panel
    .venv/bin/python benchmarks/bench_user_path.py --crsp --crsp-scale 0.05 --crsp-events 1000,10000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_batch import synthetic_panel  # noqa: E402
from bench_crsp import add_options as add_crsp_options  # noqa: E402
from bench_crsp import run as run_crsp  # noqa: E402

WINDOW = (-10, 10)
ESTIMATION = (-250, -11)
PARAMETRIC = "cross_sectional_t,patell,bmp,kolari_pynnonen_patell,kolari_pynnonen_bmp"
SAMPLE = 200


def write_panel(folder: Path, n_securities: int, n_days: int, formats: tuple[str, ...]):
    """The synthetic panel in long form (id, date, return) plus MKT, written with DuckDB."""
    import duckdb

    panel, market, _ = synthetic_panel(n_securities, n_days)
    # a simple return cannot fall below -100% (the fat-tailed draws reach it once in a while,
    # and the reader refuses such a file as a unit error)
    panel = panel.clip(lower=-0.99)
    values = panel.to_numpy()
    ids = np.array([f"S{i:05d}" for i in range(n_securities)], dtype=object)
    long = pd.DataFrame({
        "ticker": np.concatenate([np.repeat(ids, n_days), np.full(n_days, "MKT", dtype=object)]),
        "date": np.concatenate([np.tile(panel.index.values, n_securities), panel.index.values]),
        "return": np.concatenate([values.T.ravel(), market.to_numpy()]),
    })
    long = long[np.isfinite(long["return"].to_numpy())]
    paths = {}
    con = duckdb.connect()
    con.register("long", long)
    for fmt in formats:
        path = folder / f"panel_{n_securities}.{fmt}"
        options = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER)"
        con.execute(f"COPY (SELECT ticker, CAST(date AS DATE) AS date, return FROM long) "
                    f"TO '{path}' {options}")
        paths[fmt] = path
    con.close()
    panel.columns = ids
    return paths, panel, market, len(long)


def write_events(folder: Path, panel: pd.DataFrame, n_events: int, seed: int = 11) -> Path:
    """Distinct (security, day) pairs whose windows fit in the panel."""
    rng = np.random.default_rng(seed)
    n_days, n_sec = panel.shape
    listed = np.argmax(np.isfinite(panel.to_numpy()), axis=0)  # first return of each security
    first, last = -ESTIMATION[0] + 1, n_days - WINDOW[1] - 1
    cells = rng.choice(n_sec * (last - first), size=int(n_events * 1.3), replace=False)
    sec, day = cells // (last - first), first + cells % (last - first)
    keep = np.flatnonzero(day + ESTIMATION[0] >= listed[sec])[:n_events]
    sec, day = sec[keep], day[keep]
    path = folder / f"events_{n_events}.csv"
    pd.DataFrame({"ticker": panel.columns.to_numpy()[sec],
                  "event_date": panel.index[day].strftime("%Y-%m-%d")}).to_csv(path, index=False)
    return path


def run_cli(args: list[str], out: Path) -> tuple[float, float]:
    """Wall seconds and peak MB of one ``eventstudy`` subprocess (its own getrusage)."""
    launcher = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"r = subprocess.run(sys.argv[1:], stdout=open({str(out)!r}, 'w'))\n"
        "s = time.perf_counter() - t\n"
        "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(r.returncode, s, m)\n"
    )
    exe = str(Path(sys.executable).with_name("eventstudy"))
    done = subprocess.run([sys.executable, "-c", launcher, exe, *args], capture_output=True,
                          text=True, check=True)
    code, seconds, peak = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"eventstudy failed ({code}): {done.stderr[-2000:]}")
    return float(seconds), float(peak)


def independent_car(panel: pd.DataFrame, market: pd.Series, ticker: str, day0: str):
    """CAR and its se for one event: statsmodels OLS, prediction-error variance."""
    import statsmodels.api as sm

    days = panel.index
    pos = days.get_loc(pd.Timestamp(day0))
    est = slice(pos + ESTIMATION[0], pos + ESTIMATION[1] + 1)
    evt = slice(pos + WINDOW[0], pos + WINDOW[1] + 1)
    y = panel[ticker].to_numpy()[est]
    x = sm.add_constant(market.to_numpy()[est])
    keep = np.isfinite(y)
    fit = sm.OLS(y[keep], x[keep]).fit()
    x_star = sm.add_constant(market.to_numpy()[evt], has_constant="add")
    car = float((panel[ticker].to_numpy()[evt] - fit.predict(x_star)).sum())
    summed = fit.get_prediction(x_star.sum(axis=0, keepdims=True))
    return car, math.sqrt(x_star.shape[0] * fit.scale + summed.se_mean[0] ** 2)


def statsmodels_loop(panel, market, events: pd.DataFrame) -> tuple[float, dict]:
    """Events per second of the per-event statsmodels loop, and its (CAR, se) by event."""
    start = time.perf_counter()
    cars = {(t, d): independent_car(panel, market, t, d)
            for t, d in zip(events["ticker"], events["event_date"])}
    seconds = time.perf_counter() - start
    return len(events) / seconds, cars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 events only")
    parser.add_argument("--big", action="store_true", help="also 1,000 events on a 50M-row file")
    parser.add_argument("--big-only", action="store_true", help="only the 50M-row file")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument("--crsp", action="store_true",
                        help="the CRSP-shaped panel instead (options --crsp-*, see bench_crsp.py)")
    add_crsp_options(parser)
    options = parser.parse_args()
    if options.crsp:
        sys.exit(run_crsp(options, run_cli))
    if options.big_only:
        big_file(Path(options.keep or tempfile.mkdtemp(prefix="eventstudy-bench-")))
        return
    folder = Path(options.keep or tempfile.mkdtemp(prefix="eventstudy-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [10_000] if options.quick else [10_000, 100_000, 1_000_000]
    t0 = time.perf_counter()
    paths, panel, market, n_rows = write_panel(folder, 5000, 2520, ("parquet", "csv"))
    print(f"panel: 5,000 securities x 2,520 days + MKT = {n_rows:,} rows "
          f"({os.path.getsize(paths['parquet']) / 2**20:.0f} MB Parquet, "
          f"{os.path.getsize(paths['csv']) / 2**20:.0f} MB CSV), written in {time.perf_counter() - t0:.1f} s")
    rows = []
    loop_rate = None
    for n in sizes:
        events_path = write_events(folder, panel, n)
        events = pd.read_csv(events_path)
        sample = events.sample(min(SAMPLE, n), random_state=3)
        rate, reference = statsmodels_loop(panel, market, sample)
        loop_rate = rate if loop_rate is None else loop_rate
        for fmt in ("parquet", "csv"):
            for tests in ("all", "parametric"):
                if tests == "parametric" and (fmt == "csv" or n < 1_000_000):
                    continue
                out = folder / f"out_{n}_{fmt}_{tests}.json"
                args = ["batch", str(events_path), "--returns", str(paths[fmt]), "--market", "MKT",
                        "--window", str(WINDOW[0]), str(WINDOW[1]), "--json"]
                if tests == "parametric":
                    args += ["--tests", PARAMETRIC]
                seconds, peak = run_cli(args, out)
                payload = json.loads(out.read_text())
                by_key = {(e["ticker"], e["event_date"]): (e["car"], e["car_se"]) for e in payload["events"]}
                # the sampled events the study kept (the others are skipped with a reason, e.g. a
                # missing return in the event window, which the loop turns into NaN)
                kept = [key for key in reference if key in by_key]
                got = np.array([by_key[key] for key in kept])
                diff = float(np.max(np.abs(got - np.array([reference[key] for key in kept]))))
                studied = payload["n_events"]
                rows.append({"events": n, "format": fmt, "tests": tests, "studied": studied,
                             "seconds": seconds, "events_per_second": n / seconds, "peak_mb": peak,
                             "max_abs_diff": diff, "vs_loop": n / seconds / loop_rate})
                print(f"  done {n:,} {fmt} {tests}: {seconds:.1f} s", file=sys.stderr)
    print(f"\nper-event statsmodels loop on {SAMPLE} sampled events: {loop_rate:,.0f} events/s\n")
    header = (f"{'events':>10} {'format':<8} {'tests':<11} {'seconds':>8} {'events/s':>10} "
              f"{'peak MB':>8} {'max |diff|':>10} {'vs loop':>8}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['events']:>10,} {r['format']:<8} {r['tests']:<11} {r['seconds']:>8.2f} "
              f"{r['events_per_second']:>10,.0f} {r['peak_mb']:>8.0f} {r['max_abs_diff']:>10.1e} "
              f"{r['vs_loop']:>7,.0f}x")
    all_tests = {r["events"]: r["seconds"] for r in rows if r["format"] == "parquet" and r["tests"] == "all"}
    if 100_000 in all_tests and 1_000_000 in all_tests:
        print(f"\n1M / 100k time ratio (parquet, all tests): "
              f"{all_tests[1_000_000] / all_tests[100_000]:.1f} (linear would be 10)")
    if options.big:
        big_file(folder)


def big_file(folder: Path) -> None:
    """1,000 events on a 50-million-row Parquet panel: rows read and peak memory."""
    import duckdb

    n_sec, n_days = 20_000, 2_520
    path = folder / "panel_50m.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT 'S' || lpad(CAST(s AS VARCHAR), 5, '0') AS ticker, d.date, "
            f"0.01 * (random() - 0.5) AS return FROM range({n_sec}) t(s), "
            f"(SELECT CAST(DATE '2010-01-04' + INTERVAL (i) DAY AS DATE) AS date FROM range({n_days}) r(i)) d "
            f"UNION ALL SELECT 'MKT', CAST(DATE '2010-01-04' + INTERVAL (i) DAY AS DATE), "
            f"0.01 * (random() - 0.5) FROM range({n_days}) r(i)) TO '{path}' (FORMAT parquet)")
        con.close()
        print(f"\nwrote {path} ({os.path.getsize(path) / 2**30:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    rng = np.random.default_rng(5)
    days = pd.date_range("2010-01-04", periods=n_days)
    events = folder / "events_big.csv"
    pd.DataFrame({"ticker": [f"S{i:05d}" for i in rng.integers(0, n_sec, 1000)],
                  "event_date": days[rng.integers(300, n_days - 20, 1000)].strftime("%Y-%m-%d")}
                 ).to_csv(events, index=False)
    code = (
        "import resource, sys, time\n"
        "from eventstudy.data.panel import PanelFile, load_panel\n"
        "import pandas as pd\n"
        f"ev = pd.read_csv({str(events)!r})\n"
        "t = time.perf_counter()\n"
        f"p = load_panel(PanelFile.of({str(path)!r}), list(ev['ticker']), market='MKT')\n"
        "print(p.stats.rows_read, time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows_read, seconds, peak = done.stdout.split()
    total = n_sec * n_days + n_days
    run_seconds, run_peak = run_cli(["batch", str(events), "--returns", str(path), "--market", "MKT",
                                     "--window", "-10", "10", "--json"], folder / "out_big.json")
    print(f"\n50M-row Parquet panel ({total:,} rows), 1,000 events on random securities:")
    print(f"  reader: {int(rows_read):,} rows read ({int(rows_read) / total:.1%} of the file), "
          f"{float(seconds):.1f} s, peak {float(peak):.0f} MB")
    print(f"  eventstudy batch end to end: {run_seconds:.1f} s, peak {run_peak:.0f} MB")


if __name__ == "__main__":
    main()
