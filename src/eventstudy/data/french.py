"""Fama-French daily factors from Kenneth R. French's data library, cached like prices.

Three daily sets, each one zipped CSV in the library:

=====  =================================================  ===================================
name   file in the library                                columns (percent per day)
=====  =================================================  ===================================
ff3    ``F-F_Research_Data_Factors_daily_CSV.zip``         Mkt-RF, SMB, HML, RF
ff5    ``F-F_Research_Data_5_Factors_2x3_daily_CSV.zip``   Mkt-RF, SMB, HML, RMW, CMA, RF
mom    ``F-F_Momentum_Factor_daily_CSV.zip``               Mom
=====  =================================================  ===================================

Regional sets (``region=``, ``--factor-region``): the library's daily factors of developed
markets, built by Fama and French (2012, *J. Financ. Econ.* 105(3)) from returns **in US
dollars** (the market is the region's value-weighted portfolio less the US one-month T-bill),
one zip per set and region:

=========================  ==========================================================
region                     files (``<Prefix>`` below)
=========================  ==========================================================
``developed``              ``Developed_3_Factors_Daily_CSV.zip``,
                           ``Developed_5_Factors_Daily_CSV.zip``,
                           ``Developed_Mom_Factor_Daily_CSV.zip``
``developed_ex_us``        ``Developed_ex_US_...`` (the same three)
``europe``                 ``Europe_...``
``japan``                  ``Japan_...``
``asia_pacific_ex_japan``  ``Asia_Pacific_ex_Japan_...``
``north_america``          ``North_America_...``
=========================  ==========================================================

Their columns are the US files' (``Mkt-RF, SMB, HML, RF``; ``+ RMW, CMA`` for five factors),
and the momentum file's ``WML`` is read as ``Mom``. The snapshot keeps the US factors only: a
region comes from the cache (``factors/europe_ff3.csv``...) or the library, fetched once.
:data:`EXCHANGE_REGIONS` gives the region of an exchange (``--factor-region auto``: each
event's). Returns in a local currency regressed on dollar factors mix the currency's moves into
the residual; ``--currency USD`` puts both in dollars (see :mod:`eventstudy.data.currency`).

:func:`get_factors` returns decimals (``0.46`` percent -> ``0.0046``), indexed by ``date``, from
the committed snapshot (default, offline), the cache (offline), the library (``"french"``), or
``"auto"`` (snapshot, then cache, then the library when neither covers the dates). A download
is stored in the cache folder (see :mod:`eventstudy.data.cache`) as ``factors/ff3.csv`` with its
manifest, in percent as French prints them; a file that fails its check is refetched.
Missing values (French writes -99.99 or -999) become NaN.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable

import pandas as pd

from eventstudy.data import snapshot as _data
from eventstudy.data.cache import CacheEntry, TableCache
from eventstudy.exceptions import (
    CacheWriteError,
    CacheWriteWarning,
    FetchError,
    NetworkError,
    ParameterError,
    RateLimitError,
)

#: Where the library's files are.
FRENCH_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"

#: Zip file of each set.
FRENCH_FILES = {
    "ff3": "F-F_Research_Data_Factors_daily_CSV.zip",
    "ff5": "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip",
    "mom": "F-F_Momentum_Factor_daily_CSV.zip",
}

#: Columns of each set, as the files name them.
FACTOR_COLUMNS = {
    "ff3": ["Mkt-RF", "SMB", "HML", "RF"],
    "ff5": ["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"],
    "mom": ["Mom"],
}

FACTOR_SOURCES = ("snapshot", "cache", "french", "auto")

#: The regions of the library's developed-market factors and the prefix of their files; ``us``
#: is the US research factors of :data:`FRENCH_FILES`.
REGIONS = {
    "us": "", "developed": "Developed", "developed_ex_us": "Developed_ex_US", "europe": "Europe",
    "japan": "Japan", "asia_pacific_ex_japan": "Asia_Pacific_ex_Japan",
    "north_america": "North_America",
}

#: Zip file of each set of a region, ``{prefix}`` its prefix in :data:`REGIONS`.
REGIONAL_FILES = {
    "ff3": "{}_3_Factors_Daily_CSV.zip",
    "ff5": "{}_5_Factors_Daily_CSV.zip",
    "mom": "{}_Mom_Factor_Daily_CSV.zip",
}

#: Exchange (exchange_calendars code) -> the region of its shares in the library.
EXCHANGE_REGIONS = {
    **dict.fromkeys(("XNYS", "XNAS"), "us"), "XTSE": "north_america",
    **dict.fromkeys(("XLON", "XETR", "XFRA", "XDUS", "XHAM", "XSTU", "XPAR", "XAMS", "XBRU",
                     "XLIS", "XDUB", "XMAD", "XMIL", "XSWX", "XWBO", "XSTO", "XCSE", "XHEL",
                     "XOSL", "XICE", "ASEX"), "europe"),
    "XTKS": "japan",
    **dict.fromkeys(("XHKG", "XSES", "XASX", "XNZE"), "asia_pacific_ex_japan"),
}

_ROW = re.compile(r"^\s*(\d{8})\s*,")


def _check_name(name: str) -> str:
    if name not in FRENCH_FILES:
        raise ParameterError("name", name, f"choose one of {', '.join(FRENCH_FILES)}")
    return name


def check_region(region: str, parameter: str = "factor_region") -> str:
    """A region of :data:`REGIONS`, or a one-line :class:`ParameterError`."""
    if region not in REGIONS:
        raise ParameterError(parameter, region, f"choose one of {', '.join(REGIONS)}")
    return region


def region_of(exchange: str) -> str:
    """The library's region of an exchange's shares (:data:`EXCHANGE_REGIONS`).

    Raises
    ------
    ParameterError
        An exchange outside the developed markets the library covers.
    """
    if exchange not in EXCHANGE_REGIONS:
        raise ParameterError("factor_region", "auto", f"the French library has no region for "
                             f"{exchange}; name one of {', '.join(REGIONS)}")
    return EXCHANGE_REGIONS[exchange]


def french_file(name: str, region: str = "us") -> str:
    """The library's zip file of set ``name`` of ``region``."""
    if region == "us":
        return FRENCH_FILES[name]
    return REGIONAL_FILES[name].format(REGIONS[region])


def cache_key(name: str, region: str = "us") -> str:
    """The cache's name of a set: ``ff3`` for the US, ``europe_ff3`` for a region."""
    return name if region == "us" else f"{region}_{name}"


def _label(name: str, region: str) -> str:
    return repr(name) if region == "us" else repr(f"{region} {name}")


def parse_french_csv(text: str, name: str, region: str = "us") -> pd.DataFrame:
    """Parse the daily table of a French CSV (preamble, header line, rows, copyright line).

    Parameters
    ----------
    text
        The CSV as found in the zip.
    name
        ``"ff3"``, ``"ff5"`` or ``"mom"``: the columns expected.
    region
        ``"us"`` or a region of :data:`REGIONS`, whose momentum column is ``WML``.

    Returns
    -------
    pandas.DataFrame
        Percent values as printed, indexed by ``date``; -99.99 and -999 become NaN; a regional
        ``WML`` column is named ``Mom``. Dates padded with spaces (the Japanese files) are read.

    Raises
    ------
    FetchError
        If no daily table with the expected columns is found.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at = None
    for i, line in enumerate(lines):
        if line.startswith(",") and i + 1 < len(lines) and _ROW.match(lines[i + 1]):
            header_at = i
            break
    if header_at is None:
        raise FetchError(f"factors {_label(name, region)}: the file from the French library has no "
                         "daily table")
    columns = [c.strip() for c in lines[header_at].split(",")[1:]]
    expected = ["WML"] if name == "mom" and region != "us" else FACTOR_COLUMNS[name]
    if columns != expected:
        raise FetchError(
            f"factors {_label(name, region)}: the French file has columns {columns}, expected {expected}"
        )
    rows = []
    for line in lines[header_at + 1 :]:
        if not _ROW.match(line):
            break
        rows.append(line)
    frame = pd.read_csv(
        io.StringIO("\n".join(rows)), header=None, names=["date", *FACTOR_COLUMNS[name]],
        dtype={"date": str}, skipinitialspace=True,
    )
    frame["date"] = pd.to_datetime(frame["date"].str.strip(), format="%Y%m%d")
    frame = frame.set_index("date")
    return frame.mask(frame.isin([-99.99, -999.0]))


def _fetch_zip(url: str, timeout: float) -> bytes:
    """The body at ``url`` (the only network call of this module; tests replace it)."""
    request = urllib.request.Request(url, headers={"User-Agent": "eventstudy"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.read()


def download_factors(
    name: str = "ff3",
    *,
    region: str = "us",
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    """Download and parse one daily set from the French library (percent, as printed).

    Raises
    ------
    NetworkError
        If the library cannot be reached.
    RateLimitError
        If it keeps answering 429 or 503 after ``retries`` retries with backoff.
    FetchError
        If the answer is not the expected zip and table.
    """
    _check_name(name)
    check_region(region)
    url = FRENCH_URL + french_file(name, region)
    what = _label(name, region)
    attempt = 0
    while True:
        attempt += 1
        try:
            body = _fetch_zip(url, timeout)
            break
        except urllib.error.HTTPError as error:
            if error.code in (429, 503) and attempt <= retries:
                sleep(backoff * 2 ** (attempt - 1))
                continue
            if error.code in (429, 503):
                raise RateLimitError(
                    f"factors {what}: the French library refused {attempt} request(s) "
                    f"(HTTP {error.code}); wait a few minutes and try again"
                ) from None
            raise FetchError(f"factors {what}: the French library answered HTTP {error.code} for {url}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NetworkError(
                f"factors {what}: cannot reach the French library ({reason}); work offline with "
                "source 'snapshot' or 'cache'"
            ) from None
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            member = next(n for n in archive.namelist() if n.lower().endswith(".csv"))
            text = archive.read(member).decode("latin-1")
    except (zipfile.BadZipFile, StopIteration, KeyError) as error:
        raise FetchError(f"factors {what}: {url} is not a zip with a CSV ({error})") from None
    return parse_french_csv(text, name, region)


def _date(value: object, parameter: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value).strip()))
    except ValueError:
        raise ParameterError(parameter, value, "give a date as YYYY-MM-DD") from None


def _cover(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> bool:
    if frame.empty:
        return False
    first, last = frame.index[0], frame.index[-1]
    return (start is None or first <= start <= last) and (end is None or first <= end <= last)


def fetch_factors(
    name: str = "ff3",
    *,
    region: str = "us",
    cache_dir: str | os.PathLike[str] | None = None,
    **download: object,
) -> tuple[pd.DataFrame, str]:
    """Download one set (of ``region``) into the cache; returns it (percent) and the cache file
    written.

    Raises
    ------
    CacheWriteError
        When the cache folder refuses the write (the previous version is kept).
    """
    frame = download_factors(name, region=region, **download)  # type: ignore[arg-type]
    return frame, _store(name, frame, cache_dir, region)


def _store(name: str, frame: pd.DataFrame, cache_dir: str | os.PathLike[str] | None,
           region: str = "us") -> str:
    """Write a downloaded set to the cache (replacing the previous one); the file written."""
    cache = TableCache(cache_dir, "factors")
    stored = frame.copy()
    stored.index.name = "Date"
    key = cache_key(name, region)
    cache.write(key, CacheEntry(
        stored, [(frame.index[0], frame.index[-1])],
        {"source": "Kenneth R. French data library", "url": FRENCH_URL + french_file(name, region),
         "units": "percent per day" + ("" if region == "us" else ", returns in US dollars")},
    ), merge=False)
    return str(cache.path(key))


def get_factors(
    name: str = "ff3",
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    *,
    source: str = "snapshot",
    region: str = "us",
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    **download: object,
) -> pd.DataFrame:
    """Daily factors of set ``name`` from ``source``, in decimals, indexed by ``date``.

    Parameters
    ----------
    name
        ``"ff3"``, ``"ff5"`` or ``"mom"``.
    region
        ``"us"`` (default) or a region of :data:`REGIONS` (``"europe"``, ``"japan"``...): the
        library's regional set, which the snapshot does not hold (``"auto"`` then goes to the
        cache, then the library).
    start, end
        Dates wanted, inclusive (default: all there is).
    source
        ``"snapshot"`` (default, offline), ``"cache"`` (offline), ``"french"`` (download now)
        or ``"auto"``.
    cache_dir, data_dir
        Cache and snapshot folders (defaults as for prices).
    **download
        ``timeout``, ``retries``, ``backoff``, ``sleep`` for :func:`download_factors`.

    Raises
    ------
    DataError
        If the source does not hold the dates (the message names what it holds), or
        :class:`~eventstudy.exceptions.FetchError` and its kinds when the download fails.
    """
    _check_name(name)
    check_region(region)
    if source not in FACTOR_SOURCES:
        raise ParameterError("source", source, f"choose one of {', '.join(FACTOR_SOURCES)}")
    lo, hi = _date(start, "start"), _date(end, "end")
    what, key = _label(name, region), cache_key(name, region)
    if region != "us" and source == "snapshot":
        raise _data.DataError(
            f"factors {what}: the snapshot keeps the US factors only; use source 'cache' (after "
            "`eventstudy fetch --factors --factor-region " + region + "`), 'french' or 'auto'"
        )
    frame = None
    if source in ("snapshot", "auto") and region == "us":
        snap = _data.load_factors(name, data_dir=data_dir) * 100.0
        if source == "snapshot" or _cover(snap, lo, hi):
            frame, where = snap, "the snapshot"
    if frame is None and source in ("cache", "auto"):
        cache = TableCache(cache_dir, "factors")
        entry = cache.read(key, strict=source == "cache")
        if entry is not None and (source == "cache" or _cover(entry.frame, lo, hi)):
            frame, where = entry.frame, "the cache"
        elif source == "cache":
            fill = "" if region == "us" else f" --factor-region {region}"
            raise _data.DataError(
                f"cache: factors {what} are not in the cache at {str(cache.folder)!r}; "
                f"fill it with `eventstudy fetch --factors{fill}` or use source 'auto'"
            )
    if frame is None:
        frame = download_factors(name, region=region, **download)  # type: ignore[arg-type]
        where = "the French library"
        try:
            _store(name, frame, cache_dir, region)
        except CacheWriteError as error:  # the data are used all the same
            warnings.warn(
                f"factors {what}: downloaded and used, but not cached: {error}",
                CacheWriteWarning, stacklevel=2,
            )
    frame = frame.copy()
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    if not _cover(frame, lo, hi):
        raise _data.DataError(
            f"factors {what}: {where} holds {frame.index[0]:%Y-%m-%d}..{frame.index[-1]:%Y-%m-%d}, "
            f"not {'' if lo is None else f'{lo:%Y-%m-%d}'}..{'' if hi is None else f'{hi:%Y-%m-%d}'}"
            + ("; use source 'auto' or 'french'" if where != "the French library" else "")
        )
    if lo is not None:
        frame = frame[frame.index >= lo]
    if hi is not None:
        frame = frame[frame.index <= hi]
    return frame[FACTOR_COLUMNS[name]] / 100.0
