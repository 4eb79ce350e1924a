"""A separate process for tests/test_faults.py: a cache writer, reader or `eventstudy fetch`.

Run as ``python fault_child.py MODE CACHE ...``. The modes:

``fetch CACHE START END``
    ``eventstudy fetch JPM --start START --end END``, Yahoo's answer being the snapshot's JPM
    prices; exits with the command's status.
``write CACHE VERSION POINT READY``
    Writes version ``VERSION`` of the synthetic entry ``SYN`` and, at ``POINT``, creates the
    file ``READY`` and sleeps, so the test can kill it there with SIGKILL. Points: ``locked``
    (lock held, nothing written), ``partial`` (half the temporary file written), ``synced``
    (temporary file complete and flushed, not renamed), ``renamed`` (renamed, folder not yet
    flushed), ``none`` (runs to the end).
``writer CACHE CONTROL``
    Writes versions 1 and 2 of ``SYN`` in turn (each replacing the other) from the moment the
    file ``CONTROL/go`` exists until ``CONTROL/stop`` does (``CONTROL/ready-<pid>`` says it
    is ready to start).
``reader CACHE CONTROL``
    Reads ``SYN`` strictly in a loop over the same span and prints a JSON count of reads,
    errors (CacheError) and mixed versions (rows that are neither version 1 nor version 2).

Only the fake network answer and the kill points are patched; the cache code runs as shipped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import network_guard  # noqa: E402

network_guard.install()

KEY = "SYN"


def version_frame(version: int):
    """Version ``v`` of the synthetic entry: 60 + 20 v sessions, every value tagged with v."""
    import numpy as np
    import pandas as pd

    days = pd.bdate_range("2018-01-01", periods=60 + 20 * version)
    values = version * 1000.0 + np.arange(len(days))
    frame = pd.DataFrame({c: values for c in ("Open", "High", "Low", "Close", "Adj Close")},
                         index=pd.DatetimeIndex(days, name="Date"))
    frame["Volume"] = 1000 + version
    return frame


def version_of(frame) -> int | None:
    """The version every row of ``frame`` belongs to, or None when the rows mix versions."""
    import numpy as np

    tags = np.floor(frame["Close"].to_numpy() / 1000.0)
    if len(tags) == 0 or not (tags == tags[0]).all():
        return None
    version = int(tags[0])
    expected = version_frame(version)
    same = len(expected) == len(frame) and np.array_equal(expected["Close"].to_numpy(),
                                                          frame["Close"].to_numpy())
    return version if same else None


def entry(version: int):
    from eventstudy.data.cache import CacheEntry

    frame = version_frame(version)
    return CacheEntry(frame, [(frame.index[0], frame.index[-1])], {"symbol": KEY, "version": version})


def pause(ready: str) -> None:
    Path(ready).write_text(str(os.getpid()))
    time.sleep(120)  # killed here


def write(cache: str, version: int, point: str, ready: str) -> None:
    from eventstudy.data import cache as cache_module
    from eventstudy.data.cache import TableCache

    if point == "locked":
        TableCache._remove_stale_temporaries = lambda self, key: pause(ready)  # type: ignore[method-assign]
    elif point == "partial":
        real_fdopen = os.fdopen

        class Half:
            def __init__(self, handle):
                self.handle = handle

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

            def write(self, data):
                self.handle.write(data[: len(data) // 2])
                self.handle.flush()
                pause(ready)

        cache_module.os.fdopen = lambda fd, mode="r", *a, **k: Half(real_fdopen(fd, mode, *a, **k))
    elif point == "synced":
        real_replace = os.replace

        def replace_after_pause(src, dst):
            pause(ready)
            real_replace(src, dst)

        cache_module.os.replace = replace_after_pause
    elif point == "renamed":
        cache_module.fsync_folder = lambda folder: pause(ready)
    TableCache(cache, "prices").write(KEY, entry(version), merge=False)


def start_together(control: str) -> None:
    """Say this process is ready (imports done), then wait for the test's ``go``."""
    folder = Path(control)
    (folder / f"ready-{os.getpid()}").write_text("")
    while not (folder / "go").exists():
        time.sleep(0.01)


def running(control: str) -> bool:
    return not (Path(control) / "stop").exists()


def writer(cache: str, control: str) -> None:
    from eventstudy.data.cache import TableCache

    table = TableCache(cache, "prices")
    entries = [entry(1), entry(2)]
    count = 0
    start_together(control)
    while running(control):
        table.write(KEY, entries[count % 2], merge=False)
        count += 1
    print(json.dumps({"writes": count}))


def reader(cache: str, control: str) -> None:
    from eventstudy.data.cache import TableCache
    from eventstudy.exceptions import CacheError

    table = TableCache(cache, "prices")
    counts = {"reads": 0, "errors": 0, "mixed": 0, "absent": 0}
    known = {1: version_frame(1)["Close"].to_numpy(), 2: version_frame(2)["Close"].to_numpy()}
    start_together(control)
    while running(control):
        try:
            found = table.read(KEY, strict=True)
        except CacheError:
            counts["errors"] += 1
            continue
        counts["reads"] += 1
        if found is None:
            counts["absent"] += 1
            continue
        close = found.frame["Close"].to_numpy()
        if not any(len(v) == len(close) and (v == close).all() for v in known.values()):
            counts["mixed"] += 1
    print(json.dumps(counts))


def fetch(cache: str, start: str, end: str) -> int:
    """``eventstudy fetch`` with Yahoo's answer taken from the snapshot (yfinance not imported:
    these processes test the cache, and start faster without it)."""
    from eventstudy import cli
    from eventstudy.data import sources
    from eventstudy.data.snapshot import read_snapshot_file
    from eventstudy.data.yahoo import Download

    rows = read_snapshot_file("JPM")

    def download(symbols, lo, hi, **_):
        time.sleep(0.2)  # the network's delay, so that the writers overlap
        return Download({"JPM": rows[(rows["date"] >= lo) & (rows["date"] <= hi)].reset_index(drop=True)}, {}, 1)

    sources.download_prices = download
    return cli.main(["fetch", "JPM", "--start", start, "--end", end, "--cache-dir", cache])


def main(argv: list[str]) -> int:
    mode, cache, *rest = argv
    if mode == "fetch":
        return fetch(cache, *rest)
    if mode == "write":
        write(cache, int(rest[0]), rest[1], rest[2])
    elif mode == "writer":
        writer(cache, rest[0])
    elif mode == "reader":
        reader(cache, rest[0])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
