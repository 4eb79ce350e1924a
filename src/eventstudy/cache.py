"""The on-disk cache of fetched data: plain CSV files a person can read, each with a JSON manifest.

Where it lives, in this order:

1. the ``cache_dir`` argument;
2. the environment variable ``EVENTSTUDY_CACHE_DIR``;
3. the user's cache folder: ``$XDG_CACHE_HOME/eventstudy`` or ``~/.cache/eventstudy``
   (``%LOCALAPPDATA%\\eventstudy\\cache`` on Windows).

Layout::

    <cache>/prices/META.csv     Date,Open,High,Low,Close,Adj Close,Volume (Yahoo's columns)
    <cache>/prices/META.json    the manifest: symbol, date ranges covered, rows, sha256, ...
    <cache>/factors/ff3.csv     Date,Mkt-RF,SMB,HML,RF in percent, as Kenneth French prints them
    <cache>/factors/ff3.json

File names are the Yahoo symbol, percent-encoded where needed (``^GSPC`` -> ``%5EGSPC.csv``).

Every write goes to a temporary file in the same folder, is flushed to disk, then renamed over
the old file (:func:`os.replace`, atomic), data first and manifest last: an interrupted run
leaves the previous files intact. On every read the manifest's sha256, size and row count are
checked against the data file; a file that fails (truncated, edited, manifest missing or
unreadable) is reported with :class:`~eventstudy.exceptions.CacheCorruptWarning` and treated as
absent, so it is fetched again rather than used. There is no pickle anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from eventstudy.exceptions import CacheCorruptWarning, CacheError

CACHE_DIR_ENV = "EVENTSTUDY_CACHE_DIR"

#: Written into every manifest; a manifest of another format is treated as corrupt.
FORMAT = "eventstudy-cache-1"


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
    """
    if path is not None:
        return Path(path)
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    return default_cache_dir()


def file_stem(symbol: str) -> str:
    """A file name for a symbol that is safe on every platform (``^GSPC`` -> ``%5EGSPC``)."""
    return urllib.parse.quote(symbol, safe="-_.")


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


def _range_text(ranges: list[Range]) -> str:
    return ", ".join(f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in ranges) or "nothing"


# ----------------------------------------------------------------------------------------------
# Atomic files with a manifest


class _Corrupt(Exception):
    """Internal: a cache entry failed its integrity check (the message says why)."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


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
        Other manifest fields (``symbol``, ``source``, ``updated``, ...).
    """

    frame: pd.DataFrame
    covered: list[Range]
    meta: dict = field(default_factory=dict)


class TableCache:
    """CSV files with JSON manifests in one folder of the cache (``prices`` or ``factors``)."""

    def __init__(self, root: str | os.PathLike[str] | None, kind: str) -> None:
        self.root = cache_dir(root)
        self.kind = kind
        self.folder = self.root / kind

    def paths(self, key: str) -> tuple[Path, Path]:
        """The data file and the manifest of ``key``."""
        stem = file_stem(key)
        return self.folder / f"{stem}.csv", self.folder / f"{stem}.json"

    def read(self, key: str, *, strict: bool = False) -> CacheEntry | None:
        """Read ``key``; ``None`` when absent or corrupt.

        A corrupt entry is reported with :class:`CacheCorruptWarning` (or raised as
        :class:`CacheError` when ``strict``, for offline use where nothing can be refetched).
        """
        data_path, manifest_path = self.paths(key)
        if not data_path.exists() and not manifest_path.exists():
            return None
        try:
            return self._read(key, data_path, manifest_path)
        except _Corrupt as problem:
            message = (
                f"cache: {str(data_path)!r} is corrupt ({problem}); "
                + ("fetch it again (source 'auto' or 'yahoo', or `eventstudy fetch`)" if strict
                   else "it is ignored and fetched again")
            )
            if strict:
                raise CacheError(message) from None
            warnings.warn(message, CacheCorruptWarning, stacklevel=3)
            return None

    def _read(self, key: str, data_path: Path, manifest_path: Path) -> CacheEntry:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _Corrupt("its manifest is missing") from None
        except (OSError, ValueError) as error:
            raise _Corrupt(f"its manifest is unreadable: {error}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _Corrupt(f"its manifest is not a {FORMAT} manifest")
        try:
            data = data_path.read_bytes()
        except FileNotFoundError:
            raise _Corrupt("the data file is missing") from None
        if len(data) != manifest.get("bytes"):
            raise _Corrupt(
                f"the data file has {len(data)} bytes, the manifest says {manifest.get('bytes')} "
                "(truncated or changed)"
            )
        if _sha256(data) != manifest.get("sha256"):
            raise _Corrupt("its sha256 does not match the manifest (changed or damaged)")
        try:
            # pandas >= 3.1 parses floats exactly (round trip), so a cached value is the value fetched.
            frame = pd.read_csv(io.BytesIO(data), index_col=0, parse_dates=[0])
            covered = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in manifest["covered"]]
        except (ValueError, KeyError, TypeError) as error:
            raise _Corrupt(f"it cannot be parsed: {error}") from None
        if len(frame) != manifest.get("rows"):
            raise _Corrupt(f"it has {len(frame)} rows, the manifest says {manifest.get('rows')}")
        frame.index.name = "Date"
        meta = {k: v for k, v in manifest.items() if k not in {"covered"}}
        return CacheEntry(frame=frame, covered=merge_ranges(covered), meta=meta)

    def write(self, key: str, entry: CacheEntry) -> None:
        """Write ``entry`` atomically (data file first, then its manifest)."""
        frame = entry.frame.sort_index()
        frame.index = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%d")
        frame.index.name = "Date"
        data = frame.to_csv(lineterminator="\n").encode("utf-8")
        covered = merge_ranges(entry.covered)
        manifest = {
            "format": FORMAT,
            "kind": self.kind,
            "key": key,
            **{k: v for k, v in entry.meta.items() if k not in {"format", "kind", "key"}},
            "covered": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for a, b in covered],
            "rows": len(frame),
            "first": frame.index[0] if len(frame) else None,
            "last": frame.index[-1] if len(frame) else None,
            "bytes": len(data),
            "sha256": _sha256(data),
            "updated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        data_path, manifest_path = self.paths(key)
        atomic_write(data_path, data)
        atomic_write(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))

    def keys(self) -> list[str]:
        """Keys with a data file in the folder, decoded (``%5EGSPC`` -> ``^GSPC``), sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(urllib.parse.unquote(p.stem) for p in self.folder.glob("*.csv"))


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
