"""The panel's index (eventstudy.data.panel_index): the file's rows as pandas reads them, sorted by
security and date; rebuilt when the file changes or the index is damaged; whole under killed and
concurrent builders; and a study through it equal to a study scanning the file.

The truth for the arrays is the file read by DuckDB as raw text and converted by pandas (not the
project's reader); for the studies it is the scan of the file, itself checked against the frame
the file was written from (tests/data/test_panel_cells.py, whose tests run both ways).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from eventstudy.data import panel_cells, panel_index
from eventstudy.data.panel_cells import load_panel_cells
from eventstudy.data.panel_file import MISSING_CODES, PanelFile, PanelReader
from eventstudy.data.panel_index import DAY_BIAS, KEY_SHIFT, index_folder, open_index
from eventstudy.exceptions import DataError, DataQualityWarning
from staggered_panel import staggered_events, staggered_panel, write

TESTS = Path(__file__).resolve().parents[1]
REACH = (-250, 10)
COLUMNS = ["permno", "date", "ret"]


@pytest.fixture(scope="module")
def panel():
    return staggered_panel(n_sec=25, n_days=900)


def rows_by_pandas(path: Path) -> pd.DataFrame:
    """The file's rows, (permno, day number, value, letter code), sorted, converted by pandas."""
    con = duckdb.connect()
    source = (f"read_parquet('{path}')" if str(path).endswith(".parquet")
              else f"read_csv('{path}', all_varchar=true)")
    raw = con.execute(f"SELECT CAST(permno AS VARCHAR) AS permno, CAST(date AS VARCHAR) AS date, "
                      f"CAST(ret AS VARCHAR) AS ret FROM {source}").fetchdf()
    date = pd.to_datetime(raw["date"].str.replace("-", ""), format="%Y%m%d")
    out = pd.DataFrame({
        "permno": raw["permno"].astype(np.int64),
        "day": (date - pd.Timestamp("1970-01-01")).dt.days.astype(np.int64),
        "value": pd.to_numeric(raw["ret"], errors="coerce").astype(float),
        "letter": raw["ret"].fillna("").str.fullmatch("[A-Za-z]").astype(np.int8),
    })
    return out.sort_values(["permno", "day"], kind="stable").reset_index(drop=True)


def index_rows(index) -> pd.DataFrame:
    key = np.asarray(index.key)
    return pd.DataFrame({
        "permno": index.ids.to_numpy()[key >> KEY_SHIFT].astype(np.int64),
        "day": (key & ((1 << KEY_SHIFT) - 1)) - DAY_BIAS,
        "value": np.asarray(index.value), "letter": np.asarray(index.kind)})


def opened(path: Path, root: Path):
    reader = PanelReader(PanelFile.of(path, columns=COLUMNS))
    try:
        return open_index(reader, root)
    finally:
        reader.close()


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_the_index_holds_every_row_of_the_file_as_pandas_reads_it(panel, tmp_path, suffix):
    path = write(panel, tmp_path / f"dsf.{suffix}")
    index = opened(path, tmp_path / "index")
    expected = rows_by_pandas(path)
    pd.testing.assert_frame_equal(index_rows(index), expected, check_dtype=False)
    assert not index.troubled.any()
    assert list(index.ids) == [str(p) for p in sorted(expected["permno"].unique())]
    if suffix == "csv":  # the letter codes of a text column are flagged, the others not
        assert expected["letter"].sum() > 10
    assert np.isin(expected["value"], MISSING_CODES).sum() > 0 or suffix == "csv"


def test_a_file_not_sorted_by_security_and_date_is_sorted_in_the_index(panel, tmp_path):
    path = write(panel, tmp_path / "sorted.csv")
    lines = path.read_text().splitlines()
    body = lines[1:]
    order = np.random.default_rng(2).permutation(len(body))
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], *[body[i] for i in order]]) + "\n")
    index = opened(shuffled, tmp_path / "index")
    pd.testing.assert_frame_equal(index_rows(index), rows_by_pandas(path), check_dtype=False)


def test_the_index_is_kept_while_the_file_is_unchanged_and_rebuilt_when_it_changes(panel,
                                                                                   tmp_path):
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    first = opened(path, root)
    built = (first.folder / "meta.json").stat().st_mtime_ns
    again = opened(path, root)
    assert (again.folder / "meta.json").stat().st_mtime_ns == built  # not rebuilt
    changed = staggered_panel(n_sec=25, n_days=900, seed=99)
    write(changed, path)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # whatever the clock's grain
    rebuilt = opened(path, root)
    pd.testing.assert_frame_equal(index_rows(rebuilt), rows_by_pandas(path), check_dtype=False)
    assert sorted(p.name for p in root.iterdir()) == [first.folder.name, first.folder.name + ".lock"]


@pytest.mark.parametrize("damage", ["truncated", "no meta", "foreign meta"])
def test_a_damaged_index_is_rebuilt(panel, tmp_path, damage):
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    folder = opened(path, root).folder
    if damage == "truncated":
        with open(folder / "value.bin", "r+b") as handle:
            handle.truncate(os.path.getsize(folder / "value.bin") - 8)
    elif damage == "no meta":
        (folder / "meta.json").unlink()
    else:
        (folder / "meta.json").write_text(json.dumps({"signature": "someone else's"}))
    index = opened(path, root)
    pd.testing.assert_frame_equal(index_rows(index), rows_by_pandas(path), check_dtype=False)


def studied(path: Path, events: pd.DataFrame, index: Path | None, panel):
    """load_panel_cells for the events (day 0 on the trading days), and whether the index served
    the cells."""
    served = []
    original = panel_cells._IndexScan.read

    def spy(self, segs):
        served.append(True)
        return original(self, segs)

    def place(days):
        pos = days.get_indexer(pd.to_datetime(events["event_date"]))
        return events["permno"].to_numpy(dtype=object)[pos >= 0], pos[pos >= 0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(panel_cells._IndexScan, "read", spy)
        with warnings.catch_warnings():  # codes and Saturday rows: counted in the stats
            warnings.simplefilter("ignore", DataQualityWarning)
            loaded = load_panel_cells(PanelFile.of(path, columns=COLUMNS, index=index),
                                      list(dict.fromkeys(events["permno"])), reach=REACH,
                                      event_days=place, market="vwretd")
    return loaded, bool(served)


def assert_same_cells(a, b):
    np.testing.assert_array_equal(a.cells.cells, b.cells.cells)
    for x, y in zip(a.cells.history(), b.cells.history()):
        np.testing.assert_array_equal(x, y)
    assert list(a.cells.names) == list(b.cells.names) and a.ids == b.ids
    assert a.stats == b.stats
    pd.testing.assert_series_equal(a.market, b.market)


def test_a_study_through_the_index_reads_what_the_scan_reads(panel, tmp_path):
    path = write(panel, tmp_path / "dsf.csv")
    events = staggered_events(panel, 120)
    scanned, served = studied(path, events, None, panel)
    assert not served
    for _ in range(2):  # building the index, then reading it (the market column kept)
        indexed, served = studied(path, events, tmp_path / "index", panel)
        assert served
        assert_same_cells(indexed, scanned)
    assert any(p.name.startswith("column-") for p in index_folder(
        PanelReader(PanelFile.of(path, columns=COLUMNS)), tmp_path / "index").iterdir())


def test_a_security_with_rows_the_scan_refuses_is_read_from_the_file(panel, tmp_path):
    """A value that is no number or a repeated (security, date): the study naming that security
    reads the file (the scan's error); one naming only the others reads the index."""
    path = write(panel, tmp_path / "dsf.csv")
    lines = path.read_text().splitlines()
    permnos = [line.split(",")[0] for line in lines[1:]]
    bad_id, repeated_id = permnos[len(permnos) // 3], permnos[2 * len(permnos) // 3]
    at = permnos.index(bad_id) + 40
    fields = lines[1 + at].split(",")
    lines[1 + at] = ",".join([fields[0], fields[1], "1..5", fields[3]])
    twice = permnos.index(repeated_id) + 40
    lines.insert(1 + twice, lines[1 + twice])
    path.write_text("\n".join(lines) + "\n")
    index = opened(path, tmp_path / "index")
    troubled = set(index.ids[index.troubled])
    assert troubled == {bad_id, repeated_id}
    events = staggered_events(panel, 120)
    for culprit, message in ((bad_id, "not numbers"), (repeated_id, "more than once")):
        named = events[events["permno"] == culprit]
        assert len(named)
        with pytest.raises(DataError, match=message):
            studied(path, named, None, panel)
        with pytest.raises(DataError, match=message):
            studied(path, named, tmp_path / "index", panel)
    others = events[~events["permno"].isin(troubled)]
    indexed, served = studied(path, others, tmp_path / "index", panel)
    assert served
    assert_same_cells(indexed, studied(path, others, None, panel)[0])


BUILDER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import network_guard
network_guard.install()
from eventstudy.data import panel_index
from eventstudy.data.panel_file import PanelFile, PanelReader
path, root, point, ready = sys.argv[1:5]
write_rows, replace = panel_index._write_rows, os.replace

def pause():
    Path(ready).touch()
    time.sleep(600)

def rows_then_pause(reader, temp):
    out = write_rows(reader, temp)
    if point == "written":
        pause()
    return out

def replace_then_pause(src, dst):
    replace(src, dst)
    if point == "renamed aside" and str(dst).endswith(".old"):
        pause()

panel_index._write_rows = rows_then_pause
panel_index.os.replace = replace_then_pause
reader = PanelReader(PanelFile.of(path, columns=["permno", "date", "ret"]))
index = panel_index.open_index(reader, root)
print(len(index.key))
"""


def builder(path: Path, root: Path, point: str, ready: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BUILDER.format(tests=str(TESTS)), str(path),
                             str(root), point, str(ready)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def killed_at(process: subprocess.Popen, ready: Path) -> None:
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the builder never reached its kill point"
        time.sleep(0.02)
    process.kill()
    process.communicate(timeout=10)


@pytest.mark.parametrize("point", ["written", "renamed aside"])
def test_a_builder_killed_at_any_point_leaves_an_index_whole_or_none(panel, tmp_path, point):
    """Killed with its rows written but not renamed into place, or with the stale index renamed
    aside: no reader sees a part; the next study neither waits for the dead builder's lock nor
    keeps its leftovers, and its index is the file's."""
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    if point == "renamed aside":  # a stale index to replace: built for the file's old version
        opened(path, root)
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    killed_at(builder(path, root, point, tmp_path / "ready"), tmp_path / "ready")
    leftovers = [p for p in root.iterdir() if p.name.startswith(".")]
    assert leftovers  # the dead builder's folder
    started = time.monotonic()
    index = opened(path, root)
    assert time.monotonic() - started < 30
    pd.testing.assert_frame_equal(index_rows(index), rows_by_pandas(path), check_dtype=False)
    assert [p for p in root.iterdir() if p.name.startswith(".")] == []


def test_concurrent_builders_build_one_index(panel, tmp_path):
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    builders = [builder(path, root, "none", tmp_path / "never") for _ in range(3)]
    outputs = [b.communicate(timeout=120) for b in builders]
    assert [b.returncode for b in builders] == [0, 0, 0], [err for _, err in outputs]
    rows = {out.strip() for out, _ in outputs}
    assert rows == {str(len(rows_by_pandas(path)))}
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [index_folder(PanelReader(PanelFile.of(path, columns=COLUMNS)), root).name,
         index_folder(PanelReader(PanelFile.of(path, columns=COLUMNS)), root).name + ".lock"])
    pd.testing.assert_frame_equal(index_rows(opened(path, root)), rows_by_pandas(path),
                                  check_dtype=False)


def test_history_rows_against_a_loop_over_the_rows(panel, tmp_path):
    """First and last trading day with a return before lo or after hi, and whether any row is
    there: the index's vectorised answer against a loop over pandas' rows."""
    path = write(panel, tmp_path / "dsf.parquet")  # missing returns as CRSP's -99
    index = opened(path, tmp_path / "index")
    rows = rows_by_pandas(path)
    days = np.sort(rows["day"].unique())[::2]  # every other date a trading day
    day0 = int(days[0])
    lookup = np.full(int(days[-1]) - day0 + 2, -1, dtype=np.int64)
    lookup[days - day0] = np.arange(len(days))
    rng = np.random.default_rng(8)
    ids = [*index.ids[:12], "404"]
    lo = rng.integers(days[0] - 50, days[-1] + 50, len(ids))
    hi = lo + rng.integers(-5, 400, len(ids))
    lo[0], hi[0] = np.iinfo(np.int32).max, np.iinfo(np.int32).min  # every row
    lo[1], hi[1] = np.iinfo(np.int32).min, np.iinfo(np.int32).max  # no row
    first, last, held = panel_index.history_rows(index, index.codes(ids), lo, hi, lookup, day0)
    for k, name in enumerate(ids):
        mine = rows[rows["permno"] == (int(name))]
        outside = mine[(mine["day"] < lo[k]) | (mine["day"] > hi[k])]
        pos = [int(lookup[d - day0]) if 0 <= d - day0 < len(lookup) else -1
               for d in outside["day"]]
        good = [p for p, v in zip(pos, outside["value"])
                if p >= 0 and np.isfinite(v) and v not in MISSING_CODES]
        assert held[k] == (len(outside) > 0), name
        assert first[k] == (min(good) if good else -1), name
        assert last[k] == (max(good) if good else -1), name
    assert held[0] and not held[1] and not held[-1]
    tested = rows[rows["permno"].isin([int(i) for i in ids])]
    assert np.isin(tested["value"], MISSING_CODES).sum() >= 3  # codes are no returns


def test_a_build_that_cannot_write_is_one_error_and_leaves_nothing(panel, tmp_path, monkeypatch):
    """A full disk while the rows are written: an error naming the file and the folder, no
    partial index, and the next build succeeds."""
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    write_rows = panel_index._write_rows

    def disk_full(reader, temp):
        write_rows(reader, temp)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(panel_index, "_write_rows", disk_full)
    with pytest.raises(DataError, match=r"panel_index: cannot write the index of .*dsf.parquet in "
                                        r".*\(No space left on device\)"):
        opened(path, root)
    assert [p.name for p in root.iterdir()] == [p.name for p in root.iterdir()
                                                if p.name.endswith(".lock")]
    monkeypatch.setattr(panel_index, "_write_rows", write_rows)
    pd.testing.assert_frame_equal(index_rows(opened(path, root)), rows_by_pandas(path),
                                  check_dtype=False)


def test_one_file_named_by_a_relative_or_an_absolute_path_has_one_index(panel, tmp_path,
                                                                         monkeypatch):
    path = write(panel, tmp_path / "dsf.parquet")
    root = tmp_path / "index"
    built = opened(path, root).folder
    monkeypatch.chdir(tmp_path)
    again = opened(Path("dsf.parquet"), root)
    assert again.folder == built
    assert (built / "meta.json").stat().st_mtime_ns == (again.folder / "meta.json").stat().st_mtime_ns
    assert len(list(root.iterdir())) == 2  # one index and its lock


def test_a_market_that_is_an_id_of_the_panel_is_read_from_the_index(tmp_path):
    """A long panel holding the market as one more id (and a letter code in it): the market's
    rows come from the index, the file is not read for them, and the study is the scan's. A row
    without a date marks its security troubled (read from the file, as the scan reads it)."""
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2016-01-04", periods=700).strftime("%Y-%m-%d")
    market = rng.normal(3e-4, 0.01, len(days))
    lines = ["ticker,date,return"]
    for t in ["MKT", *[f"S{i:02d}" for i in range(12)]]:
        values = market if t == "MKT" else market * rng.uniform(0.5, 1.5) + rng.normal(0, 0.02, len(days))
        lines += [f"{t},{d},{float(v)!r}" for d, v in zip(days, values)]
    lines[1 + 300] = f"MKT,{days[300]},C"  # a letter code in the market
    lines.append("S05,,0.01")  # a row without a date
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    events = pd.DataFrame({"permno": [f"S{i:02d}" for i in range(12)] * 3,
                           "event_date": [days[k] for k in rng.integers(300, 680, 36)]})

    def study(index):
        def place(d):
            pos = d.get_indexer(pd.to_datetime(events["event_date"]))
            return events["permno"].to_numpy(dtype=object)[pos >= 0], pos[pos >= 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            return load_panel_cells(PanelFile.of(path, index=index), list(dict.fromkeys(events["permno"])),
                                    reach=REACH, event_days=place, market="MKT")

    scanned = study(None)
    study(tmp_path / "index")  # builds it
    index = opened_text(path, tmp_path / "index")
    assert list(index.ids[index.troubled]) == ["S05"]
    reads = []
    original = PanelReader.read
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PanelReader, "read", lambda self, *a, **k: reads.append(a) or original(self, *a, **k))
        indexed = study(tmp_path / "index")
    assert reads == []  # the market from the index (the cells from a scan: S05 is troubled)
    assert indexed.stats.missing_codes == scanned.stats.missing_codes == 1
    np.testing.assert_array_equal(indexed.market.to_numpy(), scanned.market.to_numpy())
    assert_same_cells(indexed, scanned)


def opened_text(path: Path, root: Path):
    reader = PanelReader(PanelFile.of(path))
    try:
        return open_index(reader, root)
    finally:
        reader.close()
