r"""An index of a returns panel file: its rows as arrays on disk, sorted by security and date.

A study of a panel file reads the cells of its events' windows in one scan of the file
(:mod:`eventstudy.data.panel_cells`): however few events, the scan decodes every row of the
columns it reads (a Parquet reader decodes whole columns; CRSP's text ``ret`` of 100 million rows
is most of the time). Researchers study the same panel again and again; an index pays that scan
once. It holds every row of the panel, converted as the scan converts it, in three arrays
(:class:`PanelIndex`):

- ``key`` (int64): :math:`s \cdot 2^{32} + d + 2^{31}`, the security's code :math:`s` (its rank
  among the panel's ids) and the calendar day number :math:`d` (days from 1970-01-01); sorted,
  so the rows of security :math:`s` from day :math:`a` to day :math:`b` are the slice between
  two binary searches;
- ``value`` (float64): the value as the scan reads it (NaN where it is not a number);
- ``kind`` (int8): 1 for a letter code (CRSP's ``C``, ``B``), 2 for text that is no number, else 0.

A study then reads the rows its events need (work and memory grow with the events' windows, not
with the panel) and puts them into cells exactly as the scan's rows are put. A security holding a
row the scan would refuse or read apart (a date that does not parse, or none; a value that is no
number; an infinite value; a (security, date) pair repeated) is ``troubled``: a study naming it
reads the file itself, so the error and its message are the scan's.

The index lives in a folder the user names (``--panel-index DIR``), one sub-folder per panel
file and layout (:func:`index_folder`). It is built by the first study that asks for it and
rebuilt whenever the file's size or modification time changes; each build is written into a
temporary folder beside it and renamed into place whole, under a lock (:mod:`filelock`) that a
killed builder releases, so a reader sees a complete index or none. Extra columns read per date
(the market's ``vwretd``) are kept beside the arrays once read; a market that is an id of the
panel is read from the arrays.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.cache import fsync_folder
from eventstudy.data.panel_file import MISSING_CODES, PanelReader, check_index_folder
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.progress import progress_bar

#: Version of the index's layout; an index of another version is rebuilt.
INDEX_FORMAT = 1
#: Bits of the day in a row's key (the security's code above them).
KEY_SHIFT = 32
#: Added to a day number so that every day from 1970 - 2**31 on is a non-negative key part.
DAY_BIAS = 1 << 31
#: Rows handled at once while building and reading.
BLOCK_ROWS = 1 << 20
#: Seconds a study waits for another process building the same index.
BUILD_WAIT = 3600.0
#: The arrays of an index, their files and types.
ARRAYS = {"key": np.int64, "value": np.float64, "kind": np.int8}


def _layout(reader: PanelReader) -> dict[str, object]:
    """How the file is read: its full path, the columns and their types, text or typed."""
    layout = reader.layout
    return {"path": str(Path(reader.panel.path).resolve()), "kind": layout.kind,
            "columns": [layout.id, layout.date, layout.value, *layout.securities],
            "types": [reader.id_type, reader.date_type, reader.value_numeric],
            "text": reader.text, "as_text": list(reader.as_text)}


def index_folder(reader: PanelReader, root: str | os.PathLike[str]) -> Path:
    """The folder of the index of ``reader``'s panel under ``root``: the file's name and a hash
    of its full path and layout, so one root holds the indexes of many panels."""
    digest = hashlib.sha256(json.dumps(_layout(reader)).encode("utf-8", "surrogatepass"))
    return Path(root) / f"{Path(reader.panel.path).name[:60]}-{digest.hexdigest()[:16]}"


def _signature(reader: PanelReader) -> dict[str, object]:
    """What an index must match to stand for the panel file as it is now."""
    stat = os.stat(reader.panel.path)
    return {"format": INDEX_FORMAT, **_layout(reader), "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns}


@dataclass(frozen=True)
class PanelIndex:
    """The rows of a panel file, sorted by security and date (see the module's docstring).

    Attributes
    ----------
    folder
        Where the arrays are.
    ids
        The panel's ids as text (integer ids without leading zeros), code order.
    key, value, kind
        ``(R,)`` per row, memory-mapped (read only).
    troubled
        ``(S,)`` whether a security holds a row the scan refuses.
    """

    folder: Path
    ids: pd.Index
    key: np.ndarray
    value: np.ndarray
    kind: np.ndarray
    troubled: np.ndarray

    def codes(self, ids: list[str]) -> np.ndarray:
        """The code of each id (as the panel spells it; -1: not in the panel)."""
        return self.ids.get_indexer(pd.Index(ids, dtype=object)).astype(np.int64)

    def troubled_among(self, ids: list[str]) -> bool:
        """Whether a security among ``ids`` is troubled (a study naming it reads the file)."""
        code = self.codes(ids)
        return bool(self.troubled[code[code >= 0]].any())

    def rows(self, code: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(start, stop)``: the rows of security ``code`` dated ``lo .. hi`` (calendar day
        numbers; clipped to the days a key holds) are ``start .. stop - 1``."""
        code = np.asarray(code, dtype=np.int64) << KEY_SHIFT
        low = np.clip(np.asarray(lo, dtype=np.int64), -DAY_BIAS, DAY_BIAS - 1) + DAY_BIAS
        high = np.clip(np.asarray(hi, dtype=np.int64), -DAY_BIAS, DAY_BIAS - 1) + DAY_BIAS
        with ThreadPoolExecutor(2) as pool:  # the first touches of the mapped keys, side by side
            stop = pool.submit(np.searchsorted, self.key, code + high, side="right")
            return np.searchsorted(self.key, code + low, side="left"), stop.result()

    def security_rows(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(start, stop)``: all the rows of security ``code``."""
        every = np.zeros(len(code), dtype=np.int64)  # every day a key can hold
        return self.rows(code, every - DAY_BIAS, every + DAY_BIAS - 1)

    def security_values(self, name: str) -> tuple[np.ndarray, np.ndarray, int] | None:
        """The rows of security ``name`` (as the panel spells it): dates (datetime64[D]), values
        (a copy) and how many are letter codes; None when the panel lacks it or it is troubled
        (read from the file)."""
        code = self.codes([name])
        if code[0] < 0 or self.troubled[code[0]]:
            return None
        start, stop = self.security_rows(code)
        rows = slice(int(start[0]), int(stop[0]))
        day = (np.asarray(self.key[rows]) & ((1 << KEY_SHIFT) - 1)) - DAY_BIAS
        letters = int(np.count_nonzero(np.asarray(self.kind[rows]) == 1))
        return day.astype("datetime64[D]"), np.array(self.value[rows], dtype=float), letters

    def column_rows(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """An extra column read per date and kept here (:meth:`keep_column_rows`): its dates,
        lowest and highest value; None when not kept yet."""
        path = self.folder / _column_file(column)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as kept:
                return kept["date"], kept["lo"], kept["hi"]
        except (OSError, ValueError, KeyError):  # damaged: read the file again
            return None

    def keep_column_rows(self, column: str, date: np.ndarray, lo: np.ndarray,
                         hi: np.ndarray) -> None:
        """Keep an extra column's rows per date (written whole, then renamed into place)."""
        path = self.folder / _column_file(column)
        temp = self.folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            with open(temp, "wb") as out:
                np.savez(out, date=date, lo=lo, hi=hi)
            os.replace(temp, path)
        except OSError:  # a read-only index: the column is read from the file each time
            temp.unlink(missing_ok=True)


def _column_file(column: str) -> str:
    return f"column-{hashlib.sha256(column.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}.npz"


def open_index(reader: PanelReader, root: str | os.PathLike[str]) -> PanelIndex:
    """The index of ``reader``'s panel under ``root``, built (or rebuilt, when the file changed
    since) first.

    Raises
    ------
    ParameterError
        ``root`` is not a folder that can hold the index.
    DataError
        The panel cannot be read.
    """
    from filelock import FileLock, Timeout

    folder = index_folder(reader, check_index_folder(root))
    signature = _signature(reader)
    found = _open(folder, signature)
    if found is not None:
        return found
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder) + ".lock")
        lock.acquire(timeout=BUILD_WAIT)
    except Timeout:
        raise DataError(f"panel_index: another process has been building {folder} for "
                        f"{BUILD_WAIT:.0f} s; try again when it is done") from None
    except OSError as error:
        raise ParameterError("panel_index", str(root),
                             f"cannot hold the panel's index ({error.strerror or error})") from None
    try:
        found = _open(folder, signature)  # built by another process while this one waited
        if found is None:
            _build(reader, folder, signature)
            found = _open(folder, signature)
        if found is None:
            raise DataError(f"panel_index: the index written to {folder} cannot be read back")
        return found
    finally:
        lock.release()


def _open(folder: Path, signature: dict[str, object]) -> PanelIndex | None:
    """The index in ``folder`` when it is complete and matches ``signature``, else None."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("signature") != signature:
        return None
    try:
        rows = int(meta["rows"])
        arrays = {}
        for name, dtype in ARRAYS.items():
            path = folder / f"{name}.bin"
            if path.stat().st_size != rows * np.dtype(dtype).itemsize:
                return None
            arrays[name] = (np.memmap(path, dtype=dtype, mode="r", shape=(rows,)) if rows
                            else np.zeros(0, dtype=dtype))
        with np.load(folder / "ids.npz", allow_pickle=False) as kept:
            ids, troubled = kept["ids"], kept["troubled"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(ids) != len(troubled):
        return None
    return PanelIndex(folder, pd.Index(ids.astype(str), dtype=object), arrays["key"],
                      arrays["value"], arrays["kind"], troubled.astype(bool))


def _build(reader: PanelReader, folder: Path, signature: dict[str, object]) -> None:
    """Read every row of the panel into a new index and rename it into ``folder`` (the caller
    holds the lock). Leftovers of killed builds are removed first."""
    for leftover in folder.parent.iterdir():
        if leftover.name.startswith(f".{folder.name}."):
            shutil.rmtree(leftover, ignore_errors=True)
    temp = folder.parent / f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        temp.mkdir()
        ids, troubled, rows = _write_rows(reader, temp)
        np.savez(temp / "ids.npz", ids=np.asarray(ids, dtype=str), troubled=troubled)
        meta = {"signature": signature, "rows": rows, "ids": len(ids)}
        (temp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        for name in [*(f"{a}.bin" for a in ARRAYS), "ids.npz", "meta.json"]:
            _fsync(temp / name)  # on disk before the rename makes them the index
        old = folder.parent / f".{folder.name}.{os.getpid()}.old"
        if folder.exists():
            os.replace(folder, old)  # readers holding the old arrays keep them
        os.replace(temp, folder)
        fsync_folder(folder.parent)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as error:  # a full disk, a folder that refuses writes
        shutil.rmtree(temp, ignore_errors=True)
        raise DataError(f"panel_index: cannot write the index of {reader.panel.path} in "
                        f"{folder.parent} ({error.strerror or error})") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDWR)  # Windows flushes only files open for writing
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_rows(reader: PanelReader, temp: Path) -> tuple[list[str], np.ndarray, int]:
    """Stream every row of the panel into the arrays' files; sort them when the file was not
    sorted by security and date; mark the troubled securities. Returns the ids (code order),
    ``troubled`` and the number of rows."""
    import duckdb

    text_id = "src.id" if reader.integer_ids or reader.id_type == "VARCHAR" \
        else "CAST(src.id AS VARCHAR)"
    try:
        distinct = reader.con.execute(
            f"SELECT DISTINCT {text_id} AS id FROM ({reader.source}) src WHERE src.id IS NOT NULL "
            "ORDER BY 1").fetchnumpy()["id"]
        rows_sql = reader.rows_sql(text_id, f"FROM ({reader.source}) src WHERE src.id IS NOT NULL")
        # a row without a date (none written, or one that does not parse) is kept out of the
        # arrays; its security is troubled (the scan decides what such a row means)
        result = reader.con.execute(
            f"SELECT g, COALESCE(day, 0) AS day, value{'' if reader.value_numeric else ', kind'}, "
            f"day IS NULL AS dateless FROM ({rows_sql})")
        if reader.integer_ids:
            sorted_ids = np.asarray(distinct, dtype=np.int64)
            ids = [str(i) for i in sorted_ids]
        else:
            ids = [str(i) for i in distinct]
            lookup = pd.Index(ids, dtype=object)
        troubled = np.zeros(len(ids), dtype=bool)
        rows, last_key, in_order = 0, np.iinfo(np.int64).min, True
        total = None if reader._is_csv else reader.con.cursor().execute(
            f"SELECT count(*) FROM ({reader.source})").fetchone()
        with ExitStack() as stack:
            files = {name: stack.enter_context(open(temp / f"{name}.bin", "wb")) for name in ARRAYS}
            bar = stack.enter_context(progress_bar(None if total is None else int(total[0]),
                                                   desc="indexing the panel (once)", unit="rows"))
            while True:
                chunk = result.fetch_df_chunk(BLOCK_ROWS // 2048)
                if len(chunk) == 0:
                    break
                bar.update(len(chunk))
                if reader.integer_ids:
                    code = np.searchsorted(sorted_ids, chunk["g"].to_numpy(dtype=np.int64))
                else:
                    code = lookup.get_indexer(chunk["g"].astype(str)).astype(np.int64)
                value = chunk["value"].to_numpy(dtype=np.float64)
                kind = (chunk["kind"].to_numpy(dtype=np.int8) if "kind" in chunk
                        else np.zeros(len(chunk), dtype=np.int8))
                troubled[code[(kind == 2) | np.isinf(value)]] = True
                dateless = chunk["dateless"].to_numpy(dtype=bool)
                if dateless.any():
                    troubled[code[dateless]] = True
                    dated = ~dateless
                    code, value, kind = code[dated], value[dated], kind[dated]
                    chunk = chunk[dated]
                key = code << KEY_SHIFT
                key += chunk["day"].to_numpy(dtype=np.int64) + DAY_BIAS
                if len(key):
                    in_order = in_order and last_key <= key[0] and bool(np.all(key[1:] >= key[:-1]))
                    last_key = int(key[-1])
                for name, array in (("key", key), ("value", value), ("kind", kind)):
                    array.astype(ARRAYS[name], copy=False).tofile(files[name])
                rows += len(key)
    except duckdb.ConversionException:
        raise  # a CSV read as text again by the caller
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise DataError(f"{reader.label}: cannot read the panel: {first}") from None
    if rows and not in_order:
        _sort_rows(temp, rows)
    if rows:
        key = np.memmap(temp / "key.bin", dtype=np.int64, mode="r", shape=(rows,))
        for r0 in range(0, rows - 1, BLOCK_ROWS):  # a (security, date) pair repeated
            block = key[r0 : min(rows, r0 + BLOCK_ROWS + 1)]
            repeated = block[1:][block[1:] == block[:-1]]
            troubled[repeated >> KEY_SHIFT] = True
        del key
    return ids, troubled, rows


def _sort_rows(temp: Path, rows: int) -> None:
    """Put the arrays' rows in key order (a file not sorted by security and date)."""
    key = np.fromfile(temp / "key.bin", dtype=np.int64, count=rows)
    order = np.argsort(key, kind="stable")
    key[order].tofile(temp / "key.bin")
    del key
    for name in ("value", "kind"):
        array = np.fromfile(temp / f"{name}.bin", dtype=ARRAYS[name], count=rows)
        array[order].tofile(temp / f"{name}.bin")


def history_rows(index: PanelIndex, code: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 lookup: np.ndarray, day0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each security ``code`` (-1: not in the panel), its rows dated before ``lo`` or after
    ``hi`` (calendar day numbers): the first and last trading day (positions, ``lookup`` of the
    day number minus ``day0``) with a return there (-1: none; a return is a finite number other
    than CRSP's codes), and whether there is any such row (on any day)."""
    n = len(code)
    first = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    held = np.zeros(n, dtype=bool)
    inside = np.flatnonzero(code >= 0)
    if len(inside) == 0:
        return first, last, held
    s0, s1 = index.security_rows(code[inside])
    a, b = index.rows(code[inside], lo[inside], hi[inside])
    a, b = np.maximum(a, s0), np.minimum(np.maximum(b, a), s1)
    starts = np.concatenate([s0, b])  # the rows before lo, then those after hi
    stops = np.concatenate([a, s1])
    owner = np.concatenate([inside, inside])
    count = stops - starts
    held[owner[count > 0]] = True
    row = ranges(starts, count)
    if len(row) == 0:
        return first, last, held
    who = np.repeat(owner, count)
    day = (index.key[row] & ((1 << KEY_SHIFT) - 1)) - DAY_BIAS - day0
    on = (day >= 0) & (day < len(lookup))
    pos = np.full(len(row), -1, dtype=np.int64)
    pos[on] = lookup[day[on]]
    value = index.value[row]
    with np.errstate(invalid="ignore"):
        is_return = (pos >= 0) & np.isfinite(value) & ~np.isin(value, MISSING_CODES)
    who, pos = who[is_return], pos[is_return]
    if len(pos):
        np.maximum.at(last, who, pos)
        lowest = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(lowest, who, pos)
        found = lowest < np.iinfo(np.int64).max
        first[found] = lowest[found]
    return first, last, held


def ranges(starts: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The row numbers ``starts[i] .. starts[i] + count[i] - 1`` of every range, end to end
    (as :meth:`eventstudy.data.segments.Segments.cell_days` lays out segments)."""
    row = np.arange(int(count.sum()), dtype=np.int64)
    row += np.repeat(starts - (np.cumsum(count) - count), count)
    return row
