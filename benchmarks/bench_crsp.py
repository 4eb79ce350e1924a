"""The user's path on a CRSP-shaped panel: ``eventstudy batch`` next to one DuckDB SQL query and a
statsmodels loop, timed in the same run.

What it does
------------
1. Writes, seeded, a panel shaped like the CRSP daily stock file (``tests/crsp_like.py``):
   32,000 PERMNOs over the NYSE sessions 1965-2024, staggered lifetimes (median about 7
   years, 3,200-8,300 alive a day), absent rows, CRSP's missing codes in ``ret`` (text:
   ``C``, ``B``, ``-66``, ``-77``, ``-88``, ``-99``), ``vwretd`` beside ``ret``; about 100
   million rows, Parquet sorted by permno and date. ``--crsp-scale 0.05`` makes it 20 times
   smaller (a quick run). Events files of 1,000 / 100,000 / 1,000,000 events
   (``permno,event_date``; a few on non-sessions, a few without the history or returns the
   windows need).
2. Runs, as a user would, in a fresh process::

       eventstudy batch EVENTS --returns crsp.parquet --columns permno,date,ret \\
           --market vwretd --window -10 10 --json > out.json

   and records its wall seconds and peak resident memory (every test of the batch).
3. Runs, in a fresh process too, one DuckDB SQL query of the same market-model CARs
   (``tests/sql_cars.py``: the events expanded to their relative days, joined to the panel on
   (permno, trading-day number), ``regr_slope``/``regr_intercept`` over the estimation window,
   the CAR over the event window) and records the same; and a per-event statsmodels OLS loop
   on a sample of the events.
4. Checks that the events studied are the same and that every CAR equals the SQL's, and the
   sample's the statsmodels loop's, to 1e-9; prints the table (the ratio column: how many times
   longer the tool takes than ``eventstudy batch``; the loop's seconds are its rate times the
   events) and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from crsp_like import CrspShape, events, make_panel, write_parquet  # noqa: E402
from fresh_process import measure_in_fresh_process, peak_rss_mb  # noqa: E402
from sql_cars import MISSING_CODES, car_sql  # noqa: E402

WINDOW = (-10, 10)
ESTIMATION = (-250, -11)
MIN_ESTIMATION = math.ceil(0.8 * (ESTIMATION[1] - ESTIMATION[0] + 1))
TOLERANCE = 1e-9
SEED = 2024


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def prepare(folder: Path, scale: float, ret_type: str, sizes: list[int]) -> dict:
    """The panel and the events files in ``folder`` (made once; a manifest says with what, and
    with which version of the generator, so that ``--keep DIR`` reuses only what still holds)."""
    import hashlib

    import crsp_like

    manifest_path = folder / "crsp_manifest.json"
    source = hashlib.sha256(Path(crsp_like.__file__).read_bytes()).hexdigest()[:16]
    wanted = {"scale": scale, "ret_type": ret_type, "seed": SEED, "generator": source}
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    shape = CrspShape().scaled(max(20, round(CrspShape().n_permnos * scale)))
    panel = make_panel(shape, seed=SEED)
    path = folder / "crsp.parquet"
    if manifest.get("params") != wanted or not path.exists():
        t0 = time.perf_counter()
        write_parquet(panel, path, ret_type=ret_type)
        manifest = {"params": wanted, "stats": panel.stats,
                    "seconds": time.perf_counter() - t0, "events": {}}
    for n in sizes:
        events_path = folder / f"crsp_events_{n}.csv"
        if str(n) not in manifest["events"] or not events_path.exists():
            events(panel, n).to_csv(events_path, index=False)
            manifest["events"][str(n)] = str(events_path)
    manifest_path.write_text(json.dumps(manifest, indent=1))
    life = panel.end - panel.start + 1
    alive = np.zeros(len(panel.sessions) + 1, dtype=np.int64)
    np.add.at(alive, panel.start, 1)
    np.add.at(alive, panel.end + 1, -1)
    alive = np.cumsum(alive)[:-1]
    return {"path": path, "panel": panel, "manifest": manifest,
            "median_life_years": float(np.median(life)) / 252,
            "alive": (int(alive.min()), int(alive.max()))}


# --------------------------------------------------------------------------------------------
# Workers (each in a fresh process)
# --------------------------------------------------------------------------------------------


def _events_relation(con, events_path: str) -> None:
    types = "{'permno': 'INTEGER', 'event_date': 'VARCHAR'}"
    con.execute(f"CREATE TABLE events AS SELECT permno AS id, CAST(event_date AS DATE) AS "
                f"event_date FROM read_csv('{events_path}', types={types})")


def sql_worker(config: dict) -> dict:
    """The SQL of the CARs, its result written to ``out``: seconds and peak memory."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    _events_relation(con, config["events"])
    query = car_sql(f"read_parquet('{config['panel']}')", "events", estimation=ESTIMATION,
                    window=WINDOW, min_estimation=MIN_ESTIMATION)
    con.execute(f"COPY ({query}) TO '{config['out']}' (FORMAT parquet)")
    seconds = time.perf_counter() - start
    studied = con.execute(f"SELECT count(*) FROM read_parquet('{config['out']}')").fetchone()[0]
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "studied": int(studied)}


def loop_worker(config: dict) -> dict:
    """statsmodels OLS event by event on a sample: the seconds of reading what the sample needs
    (the market, the sampled securities' rows) and of the loop; its CARs to ``out``."""
    import duckdb
    import statsmodels.api as sm

    sample = pd.read_csv(config["events"]).sample(
        min(config["sample"], config["n_events"]), random_state=3)
    start = time.perf_counter()
    con = duckdb.connect()
    days = con.execute(
        f"SELECT date, any_value(vwretd) AS mkt FROM read_parquet('{config['panel']}') "
        "WHERE vwretd IS NOT NULL GROUP BY 1 ORDER BY 1").fetchdf()
    con.register("wanted", pd.DataFrame({"permno": sample["permno"].unique()}))
    rows = con.execute(f"SELECT permno, date, ret FROM read_parquet('{config['panel']}') "
                       "WHERE permno IN (SELECT permno FROM wanted)").fetchdf()
    read = time.perf_counter() - start
    day_values = days["date"].to_numpy(dtype="datetime64[D]")
    market = days["mkt"].to_numpy(dtype=float)
    ret = np.array(pd.to_numeric(rows["ret"], errors="coerce"), dtype=float)
    ret[np.isin(ret, MISSING_CODES)] = np.nan
    rows_date = rows["date"].to_numpy(dtype="datetime64[D]")
    series = {}
    for permno, index in rows.groupby("permno").indices.items():
        values = np.full(len(day_values), np.nan)
        pos = np.minimum(np.searchsorted(day_values, rows_date[index]), len(day_values) - 1)
        on_day = day_values[pos] == rows_date[index]
        values[pos[on_day]] = ret[index][on_day]
        series[permno] = values
    out = []
    for permno, event_date in zip(sample["permno"], sample["event_date"]):
        car = _loop_car(series.get(permno), market, day_values, np.datetime64(event_date, "D"), sm)
        out.append({"permno": int(permno), "event_date": event_date, "car": car})
    seconds = time.perf_counter() - start
    pd.DataFrame(out).to_csv(config["out"], index=False)
    return {"seconds": seconds, "read_seconds": read, "peak_mb": peak_rss_mb(), "n": len(sample),
            "rows_read": len(rows), "studied": int(sum(np.isfinite(o["car"]) for o in out))}


def _loop_car(stock, market, days, event_date, sm) -> float:
    """One event: day 0 the first trading day on or after the date; NaN where the study
    skips the event (windows outside the data or the stock's returns, a missing event-window
    return, too few estimation returns)."""
    if stock is None:
        return float("nan")
    day0 = int(np.searchsorted(days, event_date, side="left"))
    lo, hi = day0 + ESTIMATION[0], day0 + WINDOW[1]
    finite = np.flatnonzero(np.isfinite(stock))
    if day0 >= len(days) or lo < 0 or hi >= len(days) or len(finite) == 0:
        return float("nan")
    if finite[0] > lo or finite[-1] < hi:
        return float("nan")
    est = slice(day0 + ESTIMATION[0], day0 + ESTIMATION[1] + 1)
    evt = slice(day0 + WINDOW[0], day0 + WINDOW[1] + 1)
    y, x = stock[est], market[est]
    keep = np.isfinite(y)
    if keep.sum() < MIN_ESTIMATION or not np.isfinite(stock[evt]).all():
        return float("nan")
    fit = sm.OLS(y[keep], sm.add_constant(x[keep])).fit()
    expected = fit.predict(sm.add_constant(market[evt], has_constant="add"))
    return float((stock[evt] - expected).sum())


WORKERS = {"sql": sql_worker, "loop": loop_worker}


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def eventstudy_cars(path: Path) -> pd.DataFrame:
    """(permno, event_date, car) of the studied events in ``eventstudy batch --json`` output."""
    import orjson

    payload = orjson.loads(path.read_bytes())
    events_ = payload["events"]
    frame = pd.DataFrame({"permno": [int(e["ticker"]) for e in events_],
                          "event_date": [e["event_date"] for e in events_],
                          "car": [e["car"] for e in events_]})
    frame.attrs["rows_read"] = payload.get("rows_read")
    return frame


def compare(ours: pd.DataFrame, other: pd.DataFrame, *, sample: bool = False) -> dict:
    """Events both studied, events one studied and the other not, max |CAR difference|.

    ``sample``: ``other`` holds a sample of the events, NaN where it skipped one; only those
    events count."""
    other = other.assign(event_date=other["event_date"].astype(str))
    how = "right" if sample else "outer"
    merged = ours.merge(other, on=["permno", "event_date"], how=how, suffixes=("", "_other"),
                        indicator=True)
    studied = merged["_merge"] == "both"
    if sample:
        studied_other = np.isfinite(merged["car_other"].to_numpy(dtype=float))
        differ = int((studied != studied_other).sum())
        studied &= studied_other
    else:
        differ = int((~studied).sum())
    both = merged[studied]
    diff = np.abs(both["car"].to_numpy() - both["car_other"].to_numpy())
    return {"both": len(both), "differ": differ, "max_diff": float(np.max(diff, initial=0.0))}


def _check(name: str, n: int, found: dict, failures: list[str]) -> str:
    """The table's check text; a failure is recorded when the studied events differ or a CAR
    differs by more than :data:`TOLERANCE`."""
    text = f"{found['both']:,} CARs, max |diff| {found['max_diff']:.1e}"
    if found["differ"]:
        text += f", {found['differ']} studied by one only"
    if found["differ"] or not found["max_diff"] <= TOLERANCE:
        failures.append(f"{n:,} events, {name} vs eventstudy: {text}")
    return text


def run(options: argparse.Namespace, run_cli: Callable[[list[str], Path], tuple[float, float]]
        ) -> int:
    """The benchmark; ``run_cli(args, out)`` runs ``eventstudy ARGS > out`` in a fresh process
    and returns its wall seconds and peak MB. Returns 1 when a check fails."""
    folder = Path(options.keep or tempfile.mkdtemp(prefix="eventstudy-crsp-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in options.crsp_events.split(",")]
    t0 = time.perf_counter()
    files = prepare(folder, options.crsp_scale, options.crsp_ret, sizes)
    panel, stats, path = files["panel"], files["manifest"]["stats"], files["path"]
    codes = ", ".join(f"{k} {v:,}" for k, v in stats.items() if k != "rows")
    print(f"CRSP-shaped panel: {len(panel.permno):,} PERMNOs, {len(panel.sessions):,} NYSE "
          f"sessions {panel.sessions[0]}..{panel.sessions[-1]}, {stats['rows']:,} rows, "
          f"{files['alive'][0]:,}-{files['alive'][1]:,} alive a day, median life "
          f"{files['median_life_years']:.1f} years; ret as {options.crsp_ret} with codes {codes}; "
          f"{os.path.getsize(path) / 2**30:.2f} GB Parquet (written in "
          f"{files['manifest']['seconds']:.0f} s; {time.perf_counter() - t0:.0f} s to prepare)")
    rows: list[dict] = []
    failures: list[str] = []
    index = folder / "panel-index"
    shutil.rmtree(index, ignore_errors=True)  # the first indexed run builds it
    ratios: dict[int, tuple[float, float, float]] = {}
    for n in sizes:
        events_path = folder / f"crsp_events_{n}.csv"
        out = folder / f"crsp_out_{n}.json"
        args = ["batch", str(events_path), "--returns", str(path), "--columns", "permno,date,ret",
                "--market", "vwretd", "--window", str(WINDOW[0]), str(WINDOW[1]), "--json"]
        base, peak = run_cli(args, out)
        ours = eventstudy_cars(out)
        rows.append({"events": n, "tool": "eventstudy batch, all tests", "studied": len(ours),
                     "rows_read": ours.attrs["rows_read"], "seconds": base, "peak_mb": peak,
                     "check": ""})
        print(f"  {n:,} events: eventstudy {base:.1f} s", file=sys.stderr)
        indexed_out = folder / f"crsp_out_{n}_indexed.json"
        runs = [("eventstudy --panel-index, building", True)] if not index.exists() else []
        runs.append(("eventstudy --panel-index DIR", False))
        for tool, building in runs:
            seconds, peak_indexed = run_cli([*args, "--panel-index", str(index)], indexed_out)
            same = indexed_out.read_bytes() == out.read_bytes()
            if not same:
                failures.append(f"{n:,} events: the JSON with --panel-index differs from the scan's")
            rows.append({"events": n, "tool": tool, "studied": len(ours),
                         "rows_read": ours.attrs["rows_read"], "seconds": seconds,
                         "peak_mb": peak_indexed, "ratio": seconds / base,
                         "check": "JSON = the scan's" if same else "JSON DIFFERS"})
            print(f"  {n:,} events: {tool} {seconds:.1f} s", file=sys.stderr)
        ratios[n] = (base, seconds, math.nan)
        if n <= options.sql_max_events:
            sql_out = folder / f"crsp_sql_{n}.parquet"
            result = measure_in_fresh_process(__file__, {
                "kind": "sql", "panel": str(path), "events": str(events_path), "out": str(sql_out)})
            found = compare(ours, _read_sql_cars(sql_out))
            rows.append({"events": n, "tool": "DuckDB SQL, CARs only",
                         "studied": result["studied"],
                         "rows_read": _sql_rows_read(path, events_path),
                         "seconds": result["seconds"], "peak_mb": result["peak_mb"],
                         "ratio": result["seconds"] / base,
                         "check": _check("SQL", n, found, failures)})
            print(f"  {n:,} events: SQL {result['seconds']:.1f} s", file=sys.stderr)
            ratios[n] = (ratios[n][0], ratios[n][1], result["seconds"])
        loop_out = folder / f"crsp_loop_{n}.csv"
        result = measure_in_fresh_process(__file__, {
            "kind": "loop", "panel": str(path), "events": str(events_path), "n_events": n,
            "sample": options.loop_sample, "out": str(loop_out)})
        found = compare(ours, pd.read_csv(loop_out), sample=True)
        # reading once, then the loop's seconds per event times the events
        per_event = (result["seconds"] - result["read_seconds"]) / result["n"]
        total = result["read_seconds"] + per_event * n
        rows.append({"events": n, "tool": f"statsmodels loop ({result['n']:,} sampled)",
                     "studied": result["studied"], "rows_read": result["rows_read"],
                     "seconds": total, "peak_mb": result["peak_mb"], "ratio": total / base,
                     "estimated": result["n"] < n,
                     "check": _check("statsmodels", n, found, failures)})
        print(f"  {n:,} events: loop {result['seconds']:.1f} s for {result['n']:,}",
              file=sys.stderr)
    print_table(rows)
    size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    print(f"panel index: {size / 2**30:.2f} GB on disk ({size / stats['rows']:.1f} bytes a row "
          "of the panel)")
    for n, (scan, indexed, sql) in ratios.items():
        if not math.isnan(sql):
            print(f"{n:,} events: the SQL of the CARs takes {sql / scan:.1f}x eventstudy's time "
                  f"scanning the file, {sql / indexed:.1f}x its time with the panel's index")
    scale = "" if options.crsp_scale == 1 else f" --crsp-scale {options.crsp_scale}"
    print(f"\npython benchmarks/bench_user_path.py --crsp{scale} --crsp-events "
          f"{options.crsp_events}" + ("" if options.crsp_ret == "text" else " --crsp-ret double"))
    print("rows read: the panel rows the tool's scan returned ('-': the CLI does not say); "
          "seconds: wall, in a fresh process ('~': the loop's rate on the sample times the events); "
          "--panel-index: the index (one scan of the file, kept on disk) is built by the first "
          "such run, read by the others; its peak MB counts the index's pages the run mapped "
          "(the system's file cache, shared)")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


def _read_sql_cars(path: Path) -> pd.DataFrame:
    import duckdb

    return duckdb.connect().execute(
        f"SELECT id AS permno, CAST(event_date AS VARCHAR) AS event_date, car "
        f"FROM read_parquet('{path}')").fetchdf()


def _sql_rows_read(panel: Path, events_path: Path) -> int:
    """Rows of the panel the SQL joins: the events' securities on the trading days."""
    import duckdb

    con = duckdb.connect()
    _events_relation(con, str(events_path))
    return int(con.execute(
        f"SELECT count(*) FROM read_parquet('{panel}') WHERE vwretd IS NOT NULL AND permno IN "
        "(SELECT id FROM events)").fetchone()[0])


def print_table(rows: list[dict]) -> None:
    header = (f"| {'events':>9} | {'tool':<34} | {'studied':>9} | {'rows read':>11} | "
              f"{'seconds':>8} | {'peak MB':>7} | {'x eventstudy':>12} | CARs checked |")
    print("\n" + header)
    print("|" + "|".join("-" * (len(p)) for p in header.split("|")[1:-1]) + "|")
    for r in rows:
        read = f"{r['rows_read']:,}" if r.get("rows_read") is not None else "-"
        ratio = f"{r['ratio']:.1f}" if "ratio" in r else "1"
        seconds = ("~" if r.get("estimated") else "") + f"{r['seconds']:.1f}"
        print(f"| {r['events']:>9,} | {r['tool']:<34} | {r['studied']:>9,} | {read:>11} | "
              f"{seconds:>8} | {r['peak_mb']:>7.0f} | {ratio:>12} | {r['check']} |")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crsp-scale", type=float, default=1.0,
                        help="share of the 32,000 PERMNOs (about 100M rows at 1; 0.05 for a "
                        "quick run)")
    parser.add_argument("--crsp-events", default="1000,100000,1000000",
                        help="sizes of the events files, comma-separated")
    parser.add_argument("--crsp-ret", choices=("text", "double"), default="text",
                        help="ret as text with CRSP's letter and numeric codes (default) or as "
                             "DOUBLE with the numeric codes")
    parser.add_argument("--sql-max-events", type=int, default=100_000,
                        help="run the SQL up to this many events (default 100,000)")
    parser.add_argument("--loop-sample", type=int, default=1000,
                        help="events of the statsmodels loop (a sample; default 1,000)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        config = json.loads(sys.argv[2])
        print(json.dumps(WORKERS[config["kind"]](config)))
        sys.exit(0)
    from bench_user_path import run_cli

    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_options(cli)
    cli.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    sys.exit(run(cli.parse_args(), run_cli))
