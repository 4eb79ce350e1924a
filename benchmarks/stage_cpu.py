"""``eventstudy ARGS`` with the CPU seconds of each stage of a batch study on a panel file.

Runs the command in this process (as ``python -m eventstudy ARGS`` would) and prints on stderr,
per stage, the process's CPU seconds (every thread: DuckDB's, the engine's and the tests'
workers) and the wall seconds spent in it: start-up and imports; reading (the market column, the
cells scan, the unit rule, each security's first and last return); placing the events and
building the segments; the batch engine (fit, abnormal returns, CARs); the residual pass and the
tests; the JSON; and the peak resident memory, with (sampled every 5 ms, Linux) its own part
(anonymous memory) and the files it mapped (a panel index's pages: the system's file cache,
shared and given back under memory pressure). Usage::

    python benchmarks/stage_cpu.py batch EVENTS --returns crsp.parquet --columns permno,date,ret \\
        --market vwretd --window -10 10 --json > out.json
"""

from __future__ import annotations

import atexit
import collections
import functools
import resource
import sys
import threading
import time

START = time.perf_counter()

import eventstudy.cli.app as app  # noqa: E402
import eventstudy.data.panel_cells as panel_cells  # noqa: E402
import eventstudy.studies.multi as multi  # noqa: E402
import eventstudy.studies.multi_result as multi_result  # noqa: E402

IMPORTED = time.process_time()
SPENT: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])  # CPU, wall

STAGES = [
    (panel_cells, "read_market", "read: market column"),
    (multi, "place_events", "place: events on the days"),
    (panel_cells, "build_segments", "place: segments"),
    (panel_cells, "_open_index", "read: panel index (open or build)"),
    (panel_cells._CellScan, "read", "read: cells scan"),
    (panel_cells._IndexScan, "read", "read: cells from the index"),
    (panel_cells, "_check_unit", "read: unit rule"),
    (panel_cells, "_settled_history", "read: first/last returns"),
    (panel_cells._CellScan, "history", "read: first/last returns"),
    (panel_cells._IndexScan, "history", "read: first/last returns"),
    (multi, "batch_event_study", "fit: batch engine"),
    (multi, "event_tests", "tests: residual pass and tests"),
    (multi_result.MultiEventResult, "write_json", "JSON"),
]


def timed(owner: object, name: str, label: str) -> None:
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label][0] += time.process_time() - cpu
            SPENT[label][1] += time.perf_counter() - wall

    setattr(owner, name, wrapper)


PEAKS: dict[str, int] = {}


def sample_memory() -> None:
    """Keep the highest RssAnon and RssFile of this process (kB), every 5 ms."""
    while True:
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith(("RssAnon:", "RssFile:")):
                        name, value = line.split(":")
                        PEAKS[name] = max(PEAKS.get(name, 0), int(value.split()[0]))
        except OSError:  # not Linux: the total alone
            return
        time.sleep(0.005)


def report() -> None:
    total = time.process_time()
    lines = [f"{'stage':<32}{'CPU s':>8}{'wall s':>8}",
             f"{'start-up, imports':<32}{IMPORTED:8.2f}"]
    lines += [f"{label:<32}{cpu:8.2f}{wall:8.2f}" for label, (cpu, wall) in SPENT.items()]
    rest = total - IMPORTED - sum(cpu for cpu, _ in SPENT.values())
    lines.append(f"{'other (events file, tables)':<32}{rest:8.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parts = (f" (own {PEAKS['RssAnon'] / 1024:.0f} MB, mapped files {PEAKS['RssFile'] / 1024:.0f} MB)"
             if PEAKS else "")
    lines.append(f"{'total':<32}{total:8.2f}{time.perf_counter() - START:8.2f}  peak {peak:.0f} MB"
                 f"{parts}")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    for owner, name, label in STAGES:
        timed(owner, name, label)
    atexit.register(report)
    threading.Thread(target=sample_memory, daemon=True).start()
    sys.argv = ["eventstudy", *sys.argv[1:]]
    sys.exit(app.main())
