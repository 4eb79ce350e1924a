"""The on-disk cache of fetched data: one plain CSV file per entry, its manifest on the first line.

Where it lives, in this order:

1. the ``cache_dir`` argument;
2. the environment variable ``EVENTSTUDY_CACHE_DIR``;
3. the user's cache folder from platformdirs (:func:`default_cache_dir`):
   ``$XDG_CACHE_HOME/eventstudy`` or ``~/.cache/eventstudy`` on Linux,
   ``~/Library/Caches/eventstudy`` on macOS, ``%LOCALAPPDATA%\\eventstudy\\Cache`` on Windows.

Layout::

    <cache>/prices/META.csv     # eventstudy-cache-2 {"key": "META", "symbol": "META", ...}
                                Date,Open,High,Low,Close,Adj Close,Volume (Yahoo's columns)
    <cache>/factors/ff3.csv     # eventstudy-cache-2 {...}
                                Date,Mkt-RF,SMB,HML,RF in percent, as Kenneth French prints them

File names are the Yahoo symbol, percent-encoded where needed (``^GSPC`` -> ``%5EGSPC.csv``);
a name too long for the file system is shortened and completed with a hash of the key (the
manifest keeps the key itself).

Guarantees
----------
* **One version is one file.** The manifest (key, symbol, the tickers it was asked for as, date
  ranges covered, rows, size and sha256 of the CSV below it) and the data are written together
  to a temporary file in the folder's ``.tmp/`` (same file system), flushed to disk (``fsync``),
  then renamed over the old
  file (:func:`os.replace`, atomic) and the folder flushed. A reader, which takes no lock, sees
  the old version or the new one, never a mix; a process killed at any point leaves the old
  version or the new one, and at worst a temporary file that the next writer removes.
* **Writers lock and merge.** Each entry has its own lock file (``.<name>.lock``, held with the
  `filelock <https://py-filelock.readthedocs.io>`_ package, released by the system if the
  process dies). Under the lock a writer re-reads the entry and merges: the rows and the date
  ranges covered are the union of both, so concurrent fetches of different ranges all count.
  When the two disagree on a common day (Yahoo's adjustment changed), the newer rows replace
  the older ones.
* **What is read is checked.** The manifest's size, sha256, row count, key and symbol must
  match; a file that fails (truncated, edited, another ticker's data under this name, a
  directory or a link in its place) is reported with
  :class:`~eventstudy.exceptions.CacheCorruptWarning` and treated as absent, so it is fetched
  again rather than used. There is no pickle anywhere.
* **Writes fail cleanly.** A full disk, a read-only folder or a name the file system refuses
  raise :class:`~eventstudy.exceptions.CacheWriteError` naming the folder and the cause; the old
  entry is intact and no temporary file is left.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import io
import json
import os
import stat
import sys
import tempfile
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.exceptions import (
    CacheCorruptWarning,
    CacheError,
    CacheWriteError,
    ParameterError,
    safe_name,
    safe_text,
)

CACHE_DIR_ENV = "EVENTSTUDY_CACHE_DIR"

#: The first word of every cache file's first line; a file of another format is treated as corrupt.
FORMAT = "eventstudy-cache-2"

#: Longest file stem written (bytes); longer keys are shortened and completed with a hash.
MAX_STEM = 120

#: Seconds a writer waits for another writer of the same entry before giving up.
LOCK_TIMEOUT = 60.0


def default_cache_dir() -> Path:
    """The platform's per-user cache folder for eventstudy (used when nothing else is set).

    From platformdirs: ``$XDG_CACHE_HOME/eventstudy`` (``~/.cache/eventstudy``) on Linux,
    ``~/Library/Caches/eventstudy`` on macOS, ``%LOCALAPPDATA%\\eventstudy\\Cache`` on Windows.
    """
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("eventstudy", appauthor=False))


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the cache folder: ``path``, else ``$EVENTSTUDY_CACHE_DIR``, else the default.

    The folder is not created here; writes create it.

    Raises
    ------
    ParameterError
        If ``path`` is empty or names something that exists but is not a folder.
    """
    if path is not None:
        if not str(path).strip():
            raise ParameterError("cache_dir", str(path),
                                 "give a folder path (an empty path is not one)")
        folder, parameter = Path(path), "cache_dir"
    elif os.environ.get(CACHE_DIR_ENV):
        folder, parameter = Path(os.environ[CACHE_DIR_ENV]), CACHE_DIR_ENV
    else:
        return default_cache_dir()
    if folder.exists() and not folder.is_dir():
        raise ParameterError(parameter, str(folder), "give a folder; this path is a file")
    return folder


def file_stem(key: str) -> str:
    """A file name for a key that is safe on every platform (``^GSPC`` -> ``%5EGSPC``).

    Keys whose encoded name is longer than :data:`MAX_STEM` bytes keep a prefix and end with
    ``~`` and 16 hex digits of their sha256, so every key has a name the file system accepts.
    """
    stem = urllib.parse.quote(key, safe="-_.")
    if stem in {"", ".", ".."}:
        stem = urllib.parse.quote(key, safe="")
    if len(stem) > MAX_STEM:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        stem = f"{stem[: MAX_STEM - 17]}~{digest}"
    return stem


# ----------------------------------------------------------------------------------------------
# Date ranges covered


Range = tuple[pd.Timestamp, pd.Timestamp]


def merge_ranges(ranges: list[Range]) -> list[Range]:
    """Union of inclusive date ranges; ranges that touch (end + 1 day = start) are joined."""
    out: list[Range] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + pd.Timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def missing_ranges(covered: list[Range], start: pd.Timestamp, end: pd.Timestamp) -> list[Range]:
    """Parts of ``start .. end`` (inclusive) outside the ``covered`` ranges."""
    out: list[Range] = []
    cursor = start
    for lo, hi in merge_ranges(covered):
        if hi < cursor:
            continue
        if lo > end:
            break
        if lo > cursor:
            out.append((cursor, min(end, lo - pd.Timedelta(days=1))))
        cursor = max(cursor, hi + pd.Timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        out.append((cursor, end))
    return out


def held_ranges(entry: CacheEntry, exchange: str = "XNYS") -> list[Range]:
    """The covered ranges of ``entry`` cut to what its rows hold.

    A range whose rows do not reach its first (last) exchange session is cut at its first
    (last) row, and a range without rows is dropped: a manifest that claims more than its file
    holds is then fetched again (source ``auto``) or reported (source ``cache``).
    """
    from eventstudy.calendar import sessions

    out: list[Range] = []
    index = pd.DatetimeIndex(entry.frame.index)
    for lo, hi in entry.covered:
        inside = index[(index >= lo) & (index <= hi)]
        if len(inside) == 0:
            continue
        open_days = sessions(lo, hi, exchange=exchange)
        start = lo if len(open_days) == 0 or inside[0] <= open_days[0] else inside[0]
        end = hi if len(open_days) == 0 or inside[-1] >= open_days[-1] else inside[-1]
        out.append((start, end))
    return merge_ranges(out)


def _range_text(ranges: list[Range]) -> str:
    return ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in ranges) or "nothing"


# ----------------------------------------------------------------------------------------------
# One file per version, written atomically under a per-entry lock


class _Corrupt(Exception):
    """Internal: a cache entry failed its integrity check (the message says why)."""


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk where the platform allows it."""
    if sys.platform.startswith("win"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError:  # some file systems cannot flush a folder; the rename itself is done
        pass


def atomic_write(path: Path, data: bytes, temp_dir: Path | None = None) -> None:
    """Write ``data`` to ``path`` through a flushed temporary file and an atomic rename.

    The temporary file is made in ``temp_dir`` (default: ``path``'s folder), which must be on
    the same file system. On any failure (or interruption) the temporary file is removed and
    ``path`` is unchanged.
    """
    folder = path.parent if temp_dir is None else temp_dir
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CacheEntry:
    """One cached table: its rows, the date ranges it answers for, and its manifest fields.

    Attributes
    ----------
    frame
        The rows, indexed by ``Date`` (timezone-naive), columns as stored.
    covered
        Inclusive date ranges that were requested and answered; dates inside them without a
        row had no data at the source.
    meta
        Other manifest fields (``symbol``, ``tickers``, ``source``, ``updated``, ...).
    """

    frame: pd.DataFrame
    covered: list[Range]
    meta: dict = field(default_factory=dict)


def rows_agree(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """True when the rows both frames hold carry the same values (to 1e-6, relative).

    Prices compare ``Close`` and ``Adj Close`` (the volume of the latest day may still move);
    other tables compare every common column.
    """
    common = old.index.intersection(new.index)
    columns = [c for c in new.columns if c in old.columns]
    if {"Close", "Adj Close"} <= set(columns):
        columns = ["Close", "Adj Close"]
    if len(common) == 0 or not columns:
        return True
    a = old.loc[common, columns].to_numpy(dtype=float)
    b = new.loc[common, columns].to_numpy(dtype=float)
    return bool(np.allclose(a, b, rtol=1e-6, atol=0.0, equal_nan=True))


def merge_entries(old: CacheEntry | None, new: CacheEntry) -> CacheEntry:
    """What a writer stores when the cache already holds ``old``: the union of both.

    Rows and covered ranges are united (``new``'s rows win on common dates), and the tickers
    recorded too. When the two disagree on a common date (the source's adjustment changed since
    ``old`` was written), ``old`` is dropped and ``new`` is stored alone.
    """
    if old is None or len(old.frame) == 0 or not rows_agree(old.frame, new.frame):
        return new
    kept = old.frame.loc[~old.frame.index.isin(new.frame.index)]
    frame = pd.concat([kept, new.frame]).sort_index() if len(kept) else new.frame.sort_index()
    meta = {**old.meta, **new.meta}
    tickers = list(dict.fromkeys([*old.meta.get("tickers", []), *new.meta.get("tickers", [])]))
    if tickers:
        meta["tickers"] = tickers
    return CacheEntry(frame, merge_ranges(old.covered + new.covered), meta)


def _cause(error: BaseException) -> str:
    """The reason an OS call failed, in words (``No space left on device``, ...)."""
    if isinstance(error, OSError) and error.errno is not None:
        return os.strerror(error.errno)
    return str(error) or type(error).__name__


class TableCache:
    """Entries of one folder of the cache (``prices`` or ``factors``): read, locked, written."""

    def __init__(self, root: str | os.PathLike[str] | None, kind: str,
                 columns: tuple[str, ...] = ()) -> None:
        self.root = cache_dir(root)
        self.kind = kind
        self.folder = self.root / kind
        #: Columns every entry must have (an entry without one is corrupt).
        self.columns = columns
        #: Where writers make their temporary files (small: only writes in progress, or dead).
        self.temp_folder = self.folder / ".tmp"

    def path(self, key: str) -> Path:
        """The file of ``key``."""
        return self.folder / f"{file_stem(key)}.csv"

    # Reading ----------------------------------------------------------------------------------

    def read(self, key: str, *, strict: bool = False) -> CacheEntry | None:
        """Read ``key``; ``None`` when absent or corrupt.

        A corrupt entry is reported with :class:`CacheCorruptWarning` (or raised as
        :class:`CacheError` when ``strict``, for offline use where nothing can be refetched).
        """
        path = self.path(key)
        try:
            return self._read(key, path)
        except FileNotFoundError:
            return None
        except _Corrupt as problem:
            message = (
                f"cache: {str(path)!r} is corrupt ({problem}); "
                + ("fetch it again (source 'auto' or 'yahoo', or `eventstudy fetch`)" if strict
                   else "it is ignored and fetched again")
            )
            if strict:
                raise CacheError(message) from None
            warnings.warn(message, CacheCorruptWarning, stacklevel=3)
            return None

    def _read(self, key: str, path: Path) -> CacheEntry:
        if self.folder.exists() and not self.folder.is_dir():
            raise _Corrupt(f"{str(self.folder)!r} is a file, not a folder")
        if path.is_symlink():
            raise _Corrupt("it is a symbolic link, not a file the cache wrote")
        _require_regular(path)  # never open a pipe (it would block) or a device
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise
        except IsADirectoryError:
            raise _Corrupt("it is a directory, not a file") from None
        except OSError as error:
            raise _Corrupt(f"it cannot be read: {_cause(error)}") from None
        head, newline, data = raw.partition(b"\n")
        prefix = f"# {FORMAT} ".encode()
        if not newline or not head.startswith(prefix):
            raise _Corrupt(f"it is not an {FORMAT} file (no manifest on its first line)")
        try:
            manifest = json.loads(head[len(prefix):].decode("utf-8"))
        except ValueError as error:
            raise _Corrupt(f"its manifest is unreadable: {error}") from None
        if not isinstance(manifest, dict):
            raise _Corrupt("its manifest is not a JSON object")
        if manifest.get("kind") != self.kind or manifest.get("key") != key:
            raise _Corrupt(
                f"it holds {safe_name(manifest.get('kind'))} {safe_text(manifest.get('key'))}, "
                f"not {self.kind} {safe_text(key)}"
            )
        if "symbol" in manifest and manifest["symbol"] != key:
            raise _Corrupt(
                f"its data were fetched as {safe_text(manifest['symbol'])}, not {safe_text(key)}"
            )
        if len(data) != manifest.get("bytes"):
            raise _Corrupt(
                f"its data have {len(data)} bytes, the manifest says {manifest.get('bytes')} "
                "(truncated or changed)"
            )
        if _sha256(data) != manifest.get("sha256"):
            raise _Corrupt("its sha256 does not match the manifest (changed or damaged)")
        try:
            # pandas >= 3.1 parses floats exactly (round trip), so a cached value is the value fetched.
            frame = pd.read_csv(io.BytesIO(data), index_col=0, parse_dates=[0])
            covered = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in manifest["covered"]]
        except (ValueError, KeyError, TypeError, pd.errors.ParserError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise _Corrupt(f"it cannot be parsed: {first}") from None
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise _Corrupt("its Date column holds values that are not dates")
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise _Corrupt(f"it has no {', '.join(repr(c) for c in missing)} column(s)")
        if len(frame) != manifest.get("rows"):
            raise _Corrupt(f"it has {len(frame)} rows, the manifest says {manifest.get('rows')}")
        frame.index.name = "Date"
        meta = {k: v for k, v in manifest.items() if k != "covered"}
        return CacheEntry(frame=frame, covered=merge_ranges(covered), meta=meta)

    # Writing ----------------------------------------------------------------------------------

    def _checked_folder(self) -> Path:
        """Create the folder; refuse a folder that is a link leading outside the cache."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if self.folder.is_symlink():
                target = self.folder.resolve()
                root = self.root.resolve()
                if not target.is_relative_to(root):
                    raise CacheWriteError(
                        f"cache_dir: {str(self.folder)!r} is a link to {str(target)!r}, outside the "
                        f"cache folder {str(root)!r}; nothing was written (remove the link)",
                        folder=str(self.folder),
                    )
            self.folder.mkdir(exist_ok=True)
            if self.temp_folder.is_symlink():
                raise CacheWriteError(
                    f"cache_dir: {str(self.temp_folder)!r} is a link; nothing was written (remove it)",
                    folder=str(self.folder),
                )
            self.temp_folder.mkdir(exist_ok=True)
        except FileExistsError:
            raise CacheWriteError(
                f"cache_dir: {str(self.folder)!r} is a file, not a folder; nothing was written "
                "(move it away)", folder=str(self.folder),
            ) from None
        except OSError as error:
            raise self._write_error(error) from None
        return self.folder

    def _write_error(self, error: BaseException) -> CacheWriteError:
        return CacheWriteError(
            f"cache_dir: cannot write to {str(self.folder)!r} ({_cause(error)}); the entry was not "
            "cached and the previous version, if any, is kept",
            folder=str(self.folder),
        )

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key`` (other writers of the same entry wait; readers never do)."""
        from filelock import FileLock, Timeout

        folder = self._checked_folder()
        lock = FileLock(folder / f".{file_stem(key)}.lock", timeout=LOCK_TIMEOUT)
        try:
            lock.acquire()
        except Timeout:
            raise CacheWriteError(
                f"cache_dir: another process has held the lock of {str(self.path(key))!r} for "
                f"{LOCK_TIMEOUT:g} s; try again when it is done", folder=str(self.folder),
            ) from None
        except OSError as error:
            raise self._write_error(error) from None
        try:
            yield
        finally:
            lock.release()

    def write(self, key: str, entry: CacheEntry, *, merge: bool = True) -> CacheEntry:
        """Store ``entry`` under ``key`` atomically, and return what was stored.

        Under the entry's lock the current version is re-read and, with ``merge`` (the default),
        united with ``entry`` (see :func:`merge_entries`); ``merge=False`` replaces it (a refresh).

        Raises
        ------
        CacheWriteError
            When the file system refuses the write (full, read-only, name too long...); the
            previous version is kept and no temporary file is left.
        """
        with self.locked(key):
            self._remove_stale_temporaries(key)
            self.remove_stale_temporaries()
            stored = entry
            if merge:
                with warnings.catch_warnings():  # a corrupt old version is simply replaced
                    warnings.simplefilter("ignore", CacheCorruptWarning)
                    stored = merge_entries(self.read(key), entry)
            self._clear_odd_entry(key)
            try:
                atomic_write(self.path(key), self._encode(key, stored), self.temp_folder)
            except OSError as error:
                raise self._write_error(error) from None
            # the manifest of the former two-file layout (eventstudy-cache-1), now stale
            with contextlib.suppress(OSError):
                self.path(key).with_suffix(".json").unlink(missing_ok=True)
        return stored

    def _clear_odd_entry(self, key: str) -> None:
        """Repair an entry's name taken by something the cache did not write: a pipe, a device or
        an empty folder is removed (the entry is then written); a folder with files in it is left
        alone and named, with how to fix it."""
        path = self.path(key)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return
        except OSError as error:
            raise self._write_error(error) from None
        if stat.S_ISREG(mode):
            return
        try:
            if stat.S_ISDIR(mode):
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            raise CacheWriteError(
                f"cache_dir: {str(path)!r} is a folder with files in it, where the cache keeps the "
                "entry's file; nothing was written (move it away to let the cache store the entry)",
                folder=str(self.folder),
            ) from None

    def _encode(self, key: str, entry: CacheEntry) -> bytes:
        frame = entry.frame.sort_index()
        frame.index = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%d")
        frame.index.name = "Date"
        data = frame.to_csv(lineterminator="\n").encode("utf-8")
        covered = merge_ranges(entry.covered)
        manifest = {
            "kind": self.kind,
            "key": key,
            **{k: v for k, v in entry.meta.items() if k not in {"format", "kind", "key", "covered"}},
            "covered": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for a, b in covered],
            "rows": len(frame),
            "first": frame.index[0] if len(frame) else None,
            "last": frame.index[-1] if len(frame) else None,
            "bytes": len(data),
            "sha256": _sha256(data),
            "updated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        header = f"# {FORMAT} " + json.dumps(manifest, ensure_ascii=True, allow_nan=False) + "\n"
        return header.encode("ascii") + data

    def _remove_stale_temporaries(self, key: str) -> None:
        """Remove temporary files of ``key`` left by a writer that died (its lock is held now)."""
        for temp in self.temp_folder.glob(f"{glob.escape(self.path(key).name)}.*.tmp"):
            with contextlib.suppress(OSError):
                temp.unlink()

    def remove_stale_temporaries(self) -> int:
        """Remove every temporary file whose entry no writer holds now; return how many.

        A temporary file exists only while its writer holds the entry's lock, so one whose lock
        can be taken at once belongs to a writer that died. Only ``.tmp/`` is listed, which
        holds nothing but writes in progress or interrupted: the cost does not grow with the
        number of entries.
        """
        from filelock import FileLock, Timeout

        removed = 0
        if not self.temp_folder.is_dir():
            return 0
        for temp in self.temp_folder.glob("*.tmp"):
            name = temp.name.rsplit(".", 2)[0]  # "<stem>.csv.<random>.tmp" -> "<stem>.csv"
            lock = FileLock(self.folder / f".{name.removesuffix('.csv')}.lock", timeout=0)
            try:
                with lock:
                    temp.unlink(missing_ok=True)
                    removed += 1
            except (Timeout, OSError):
                continue
        return removed

    def keys(self) -> list[str]:
        """Keys with an entry in the folder (as their manifests name them), sorted."""
        if not self.folder.is_dir():
            return []
        out = []
        prefix = f"# {FORMAT} ".encode()
        for path in self.folder.glob("*.csv"):
            with contextlib.suppress(OSError, ValueError, _Corrupt):
                _require_regular(path)
                with path.open("rb") as handle:
                    head = handle.readline()
                if head.startswith(prefix):
                    out.append(str(json.loads(head[len(prefix):])["key"]))
        return sorted(out)


def _require_regular(path: Path) -> None:
    """``path`` is a regular file (FileNotFoundError when absent), else :class:`_Corrupt`."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise _Corrupt("it is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise _Corrupt("it is not a regular file (a pipe, a socket or a device)")


def require_covered(entry: CacheEntry | None, key: str, start: pd.Timestamp, end: pd.Timestamp,
                    sessions: pd.DatetimeIndex, folder: Path, hint: str) -> None:
    """Raise :class:`CacheError` unless ``entry`` covers every session of ``start .. end``."""
    if entry is None:
        raise CacheError(f"cache: {key!r} is not in the cache at {str(folder)!r}; {hint}")
    gaps = [
        (a, b) for a, b in missing_ranges(entry.covered, start, end)
        if ((sessions >= a) & (sessions <= b)).any()
    ]
    if gaps:
        raise CacheError(
            f"cache: {key!r} in {str(folder)!r} covers {_range_text(entry.covered)}, "
            f"not {_range_text(gaps)}; {hint}"
        )
