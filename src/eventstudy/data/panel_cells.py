r"""The returns a batch of events needs, cell by cell: a security's event windows, not its decades.

:func:`eventstudy.engine.batch.batch_event_study` asks a panel for the cells of its events'
windows (:mod:`eventstudy.data.segments`) and for each security's first and last return (an
event whose windows reach beyond them is skipped, as in the single path). Two panels answer:

- :class:`FrameCells`: returns already in memory, dates x securities on the trading days (the
  snapshot, the cache, a user's DataFrame); the cells are gathered from it.
- :class:`FileCells`: a user's CSV or Parquet file (:func:`load_panel_cells`), read once for the
  cells of every event the study places: one DuckDB scan whose join keeps only the rows of
  each security inside its segments (the filter runs inside the scan), streamed into the cells
  a chunk of rows at a time, so no frame of the whole selection is ever built and the memory is
  that of the cells (8 bytes each) and one chunk. With a panel index (``PanelFile.index``,
  :mod:`eventstudy.data.panel_index`) the rows come from the index instead of a scan: each
  segment's rows found by two binary searches, placed into the cells by the same code.

The first and last return of a security are known from its cells wherever an event's cells hold
a return on or before its first day and on or after its last. For the others (an event at the
edge of a security's history, a security with no row in its windows) the file is read again for
those securities alone, every date, so the skip rules are exactly the single path's.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from eventstudy.data.panel import _report, read_market
from eventstudy.data.panel_file import (
    MISSING_CODES,
    PanelFile,
    PanelReader,
    PanelStats,
    _examples,
)
from eventstudy.data.panel_index import (
    DAY_BIAS,
    KEY_SHIFT,
    PanelIndex,
    history_rows,
    open_index,
    ranges,
)
from eventstudy.data.segments import Segments, build_segments
from eventstudy.data.units import (
    LOWEST_RETURN,
    MIN_VALUES,
    PERCENT_MEDIAN,
    TOO_LARGE,
    check_returns_unit,
    check_unit_name,
    to_decimals,
    too_large_columns,
    too_large_message,
)
from eventstudy.exceptions import DataError, ParameterError

#: Rows converted at once when streaming a scan (DuckDB vectors of 2,048 rows).
CHUNK_VECTORS = 256
#: Cells handled at once where a pass over the cells needs temporaries.
BLOCK_CELLS = 1 << 22
#: Cells of a panel's index read and placed at once (by each of two threads).
INDEX_BLOCK_CELLS = 1 << 20
#: Days of a bucket of dates, a key of the cells scan's join besides the security.
BUCKET_DAYS = 512
#: The cells scan joins on the date's bucket when the events' cells are at least this share of
#: a Parquet file's rows (:meth:`_CellScan._wants_much`).
BUCKETS_FROM_SHARE = 0.1
#: Days from 0001-01-01 to 1970-01-01: day numbers counted from year 1 are never negative, so
#: their integer division (DuckDB's truncates) is the floor NumPy's gives.
DAYS_BEFORE_1970 = 719_162
#: Securities shown to the unit rule's message when many look like percent.
SHOWN = 50

T = TypeVar("T")

#: ``event_days(trading_days)``: the securities (as the events spell them) and day-0 positions
#: of the events a study places on those trading days.
EventDays = Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]]


class PanelCells(ABC):
    """Returns of securities (``names``) on trading days, read cell by cell."""

    names: pd.Index

    @abstractmethod
    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per security: first and last trading day with a return (as far as the events read
        ask: exact wherever it decides whether an event's windows fit), and whether it has any."""

    @abstractmethod
    def window_cells(self, column: np.ndarray, start: np.ndarray,
                     stop: np.ndarray) -> tuple[Segments, np.ndarray, np.ndarray]:
        """The cells holding the days ``start .. stop`` of security ``column`` of each event:
        the segments, the segment of each event and the cells (NaN: no return)."""

    @abstractmethod
    def too_large(self, days: pd.DatetimeIndex) -> dict[str, str]:
        """``{security: message}`` for the securities holding a value beyond
        :data:`~eventstudy.data.units.TOO_LARGE` (a bad price, never a return)."""


class FrameCells(PanelCells):
    """Returns in memory, ``(D, S)`` dates (the trading days) x securities."""

    def __init__(self, values: np.ndarray, names: pd.Index) -> None:
        self.values = np.ascontiguousarray(values, dtype=float)
        self.names = pd.Index(names)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        has = np.isfinite(self.values)
        n_dates = has.shape[0]
        held = has.any(axis=0)
        first = np.where(held, has.argmax(axis=0), n_dates)
        last = np.where(held, n_dates - 1 - has[::-1].argmax(axis=0), -1)
        return first, last, held

    def window_cells(self, column: np.ndarray, start: np.ndarray,
                     stop: np.ndarray) -> tuple[Segments, np.ndarray, np.ndarray]:
        segs, segment = build_segments(column, start, stop)
        cells = np.empty(segs.n_cells)
        width = self.values.shape[1]
        flat = self.values.reshape(-1)
        for g0, g1 in segs.blocks(BLOCK_CELLS):
            index = segs.cell_days(g0, g1)
            index *= width
            index += np.repeat(segs.column[g0:g1], segs.length[g0:g1])
            np.take(flat, index, out=cells[segs.offset[g0] : segs.offset[g1]])
        return segs, segment, cells

    def too_large(self, days: pd.DatetimeIndex) -> dict[str, str]:
        return too_large_columns(pd.DataFrame(self.values, index=days, columns=self.names))


class FileCells(PanelCells):
    """The cells of a panel file's events, read by :func:`load_panel_cells`."""

    def __init__(self, names: pd.Index, segs: Segments, cells: np.ndarray, first: np.ndarray,
                 last: np.ndarray, held: np.ndarray) -> None:
        self.names, self.segs, self.cells = pd.Index(names), segs, cells
        self._history = (first, last, held)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._history

    def window_cells(self, column: np.ndarray, start: np.ndarray,
                     stop: np.ndarray) -> tuple[Segments, np.ndarray, np.ndarray]:
        segment = self.segs.locate(column, start, stop)
        if (segment < 0).any():
            i = int(np.flatnonzero(segment < 0)[0])
            raise ParameterError("returns", f"{self.names[column[i]]} days {start[i]}..{stop[i]}",
                                 "these cells were read for other events; read the panel for "
                                 "these events (load_panel_cells)")
        return self.segs, segment, self.cells

    def too_large(self, days: pd.DatetimeIndex) -> dict[str, str]:
        """``{security: message}`` for the securities whose cells hold a value beyond
        :data:`~eventstudy.data.units.TOO_LARGE` (a bad price, never a return; the first day
        named), as :func:`eventstudy.data.units.too_large_columns` says of a frame."""
        with np.errstate(invalid="ignore"):  # a block at a time: temporaries stay small
            huge = np.concatenate([
                np.flatnonzero(np.abs(self.cells[c0 : c0 + BLOCK_CELLS]) > TOO_LARGE) + c0
                for c0 in range(0, len(self.cells), BLOCK_CELLS)] or [np.zeros(0, dtype=np.int64)])
        if len(huge) == 0:
            return {}
        segment = np.searchsorted(self.segs.offset, huge, side="right") - 1
        column = self.segs.column[segment]
        day = huge - self.segs.base[segment]
        order = np.lexsort((day, column))
        first = order[np.r_[True, column[order][1:] != column[order][:-1]]]
        return {str(self.names[column[i]]): too_large_message(
                    f"{str(self.names[column[i]])!r} return", float(self.cells[huge[i]]),
                    days[day[i]]) for i in first}


@dataclass
class LoadedCells:
    """The events' cells of a panel file, the market's returns and what reading found."""

    cells: FileCells
    market: pd.Series
    ids: dict[str, str | None]
    stats: PanelStats


def load_panel_cells(
    panel: PanelFile,
    ids: Sequence[str],
    *,
    event_days: EventDays,
    reach: tuple[int, int],
    market: str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
) -> LoadedCells:
    """Read the cells of the events' windows from a returns panel file.

    Parameters
    ----------
    panel
        A returns panel file (:class:`~eventstudy.data.panel_file.PanelFile`, long or wide).
    ids
        The securities the events name (text; integer ids are matched by value).
    event_days
        A function of the trading days giving the events' securities and day-0 positions.
    reach
        ``(first, last)`` relative days the study reads around day 0 (the estimation and
        event windows together).
    market, market_returns
        Where the market's returns come from, as for :func:`eventstudy.data.panel.load_panel`.
    returns_unit, market_unit
        ``"decimal"`` (default) or ``"percent"``, as for :func:`eventstudy.data.panel.load_panel`;
        the unit rule of :mod:`eventstudy.data.units` applies to each security's cells read.

    Returns
    -------
    LoadedCells
        The cells (securities named as the events spell them; ids the panel does not hold
        map to None in ``ids``), the market series and the reading's statistics.
    """
    if panel.kind != "returns":
        raise ParameterError("panel", panel.kind, "cells are read from a returns panel; a prices "
                             "panel is read whole by load_panel")
    check_unit_name(returns_unit, "returns_unit")
    market_option = "returns_unit" if market_unit is None else "market_unit"
    market_unit = check_unit_name(returns_unit if market_unit is None else market_unit,
                                  "market_unit")
    reader = PanelReader(panel)
    try:
        index = None if panel.index is None else _open_index(reader, panel.index)
        reader.index = index
        canonical = reader.canonical_ids(list(dict.fromkeys(ids)))
        market_series, _ = read_market(reader, market, market_returns, market_unit, market_option)
        days = pd.DatetimeIndex(market_series.index)
        present = list(dict.fromkeys(c for c in canonical.values() if c is not None))
        code_of = {c: j for j, c in enumerate(present)}
        names, positions = event_days(days)
        spelled = pd.Index(list(canonical))  # the ids as the events spell them
        code = np.array([-1 if c is None else code_of[c] for c in canonical.values()] + [-1],
                        dtype=np.int64)
        column = code[spelled.get_indexer(pd.Index(np.asarray(names, dtype=object)))]
        start = np.asarray(positions, dtype=np.int64) + reach[0]
        stop = np.asarray(positions, dtype=np.int64) + reach[1]
        inside = (column >= 0) & (start >= 0) & (stop < len(days))
        segs, segment = build_segments(column[inside], start[inside], stop[inside])
        scan = (_CellScan(reader, present, days, returns_unit)
                if index is None or index.troubled_among(present)
                else _IndexScan(reader, present, days, returns_unit, index))
        cells = scan.read(segs)
        _check_unit(cells, segs, present, reader, returns_unit, days)
        first, last, settled, lo, hi = _settled_history(segs, segment, cells, start[inside],
                                                        stop[inside], len(present),
                                                        scan.day_numbers)
        has_returns = first >= 0
        has_rows = has_returns | (np.bincount(segs.column, scan.rows_per_segment,
                                              minlength=len(present)) > 0)
        # securities the cells do not settle: their rows that can decide an event's fate (all
        # of them for a security without a return in its cells), summed up in a scan
        unsettled = np.flatnonzero(~settled)
        if len(unsettled):
            f, la, rows = scan.history([present[c] for c in unsettled], lo[unsettled],
                                       hi[unsettled])
            inner_first, inner_last = first[unsettled], last[unsettled]
            first[unsettled] = np.where((f >= 0) & ((inner_first < 0) | (f < inner_first)),
                                        f, inner_first)
            last[unsettled] = np.maximum(la, inner_last)
            has_returns[unsettled] = first[unsettled] >= 0
            has_rows[unsettled] |= rows
        first[~has_returns] = len(days)
        stats = reader.stats
    finally:
        reader.close()
    _report(stats, panel)
    # names as the events spell them (the first spelling of each id the panel holds)
    spelling: dict[str, str] = {}
    for original, c in canonical.items():
        if c is not None:
            spelling.setdefault(c, original)
    names_out = pd.Index([spelling[c] for c in present])
    ids_map = {i: (c if c is not None and has_rows[code_of[c]] else None)
               for i, c in canonical.items()}
    return LoadedCells(
        FileCells(names_out, segs, cells, first, last, has_returns),
        market_series.astype(float), ids_map, stats,
    )


def _open_index(reader: PanelReader, root: Path) -> PanelIndex:
    """The panel's index (:func:`eventstudy.data.panel_index.open_index`); a CSV whose column
    changes type after the rows DuckDB sampled is read as text, as the scan does."""
    import duckdb

    try:
        return open_index(reader, root)
    except duckdb.ConversionException:
        if reader.text or not reader._is_csv:
            raise
        reader._open(text=True)
        return open_index(reader, root)


def _settled_history(segs: Segments, segment: np.ndarray, cells: np.ndarray, start: np.ndarray,
                     stop: np.ndarray, n_columns: int, day_numbers: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First and last return of each security in its cells (-1: none), whether the cells
    settle its history, and for the others the rows that can: calendar day numbers
    ``(lo, hi)``, its rows dated before ``lo`` or after ``hi``.

    An event's windows fit when its security's first return is on or before the event's first
    day (``start``) and its last on or after its last day (``stop``). A return in the cells of
    any of the security's segments on or before ``start`` (on or after ``stop``) settles that
    side: the true first (last) return is no later (no earlier). An event left open on the
    first side is decided by the security's rows before ``start`` (its cells from ``start`` on
    hold no return up to its first return in the cells, which is later than any open
    ``start``), so its rows before the latest open ``start`` are all that must be read;
    likewise after the earliest open ``stop``. A security whose cells hold no return, or with no event inside the trading
    days, is read whole."""
    first = np.full(n_columns, -1, dtype=np.int64)
    last = np.full(n_columns, -1, dtype=np.int64)
    settled = np.zeros(n_columns, dtype=bool)
    lo = np.full(n_columns, np.iinfo(np.int32).max, dtype=np.int64)  # default: every row
    hi = np.full(n_columns, np.iinfo(np.int32).min, dtype=np.int64)
    if len(segs) == 0:
        return first, last, settled, lo, hi
    seg_first, seg_last = _finite_ends(segs, cells)
    has = seg_first >= 0
    earliest = np.full(n_columns, np.iinfo(np.int64).max)
    np.minimum.at(earliest, segs.column[has], seg_first[has])
    np.maximum.at(last, segs.column[has], seg_last[has])
    found = earliest < np.iinfo(np.int64).max
    first[found] = earliest[found]
    column = segs.column[segment]
    returns = found[column]
    open_first = returns & (first[column] > start)
    open_last = returns & (last[column] < stop)
    settled[column[returns]] = True
    settled[column[open_first | open_last]] = False
    partial = np.unique(column[open_first | open_last])
    lo[partial], hi[partial] = np.iinfo(np.int32).min, np.iinfo(np.int32).max  # no row yet
    latest_start = np.full(n_columns, -1, dtype=np.int64)
    np.maximum.at(latest_start, column[open_first], start[open_first])
    earliest_stop = np.full(n_columns, len(day_numbers), dtype=np.int64)
    np.minimum.at(earliest_stop, column[open_last], stop[open_last])
    left = latest_start >= 0
    lo[left] = day_numbers[latest_start[left]]
    right = earliest_stop < len(day_numbers)
    hi[right] = day_numbers[earliest_stop[right]]
    return first, last, settled, lo, hi


def _check_unit(cells: np.ndarray, segs: Segments, ids: list[str], reader: PanelReader,
                unit: str, days: pd.DatetimeIndex) -> None:
    """The unit rule of :mod:`eventstudy.data.units` on each security's cells: a security whose
    median absolute return exceeds :data:`~eventstudy.data.units.PERCENT_MEDIAN` (over at least
    :data:`~eventstudy.data.units.MIN_VALUES` returns) or with a return below -100% is refused,
    with the message :func:`~eventstudy.data.units.check_returns_unit` gives.

    The medians are decided by counts, one pass over the cells: of ``n`` returns, ``c`` above
    the threshold in absolute value, the median is above it exactly when ``2c > n``, below when
    ``2c < n``; only a security with ``2c = n`` (even ``n``) needs its median computed."""
    if len(segs) == 0:
        return
    starts = segs.offset[:-1]
    finite = np.empty(len(segs), dtype=np.int64)
    above = np.empty(len(segs), dtype=np.int64)
    lowest = np.empty(len(segs))

    def count(g0: int, g1: int) -> None:  # a block at a time: temporaries stay small
        c0 = int(segs.offset[g0])
        block, local = cells[c0 : segs.offset[g1]], starts[g0:g1] - c0
        with np.errstate(invalid="ignore"):
            finite[g0:g1] = np.add.reduceat(np.isfinite(block), local)
            above[g0:g1] = np.add.reduceat(np.abs(block) > PERCENT_MEDIAN, local)
            lowest[g0:g1] = np.fmin.reduceat(block, local)

    _in_two_threads(segs, count)
    n = np.bincount(segs.column, finite, minlength=len(ids))
    c = np.bincount(segs.column, above, minlength=len(ids))
    low = np.zeros(len(ids), dtype=bool)
    low[segs.column[lowest < LOWEST_RETURN]] = True
    judged = n >= MIN_VALUES
    flagged = judged & (2 * c > n)
    tied = np.flatnonzero(judged & (2 * c == n))
    if len(tied):
        medians = _median_abs(cells, segs, tied)
        flagged[tied[medians > PERCENT_MEDIAN]] = True
    if not judged.any() and n.sum() >= MIN_VALUES:  # too few returns each: judged together
        pooled = float(np.median(np.abs(cells[np.isfinite(cells)])))
        flagged[:] = pooled > PERCENT_MEDIAN
    for culprits in (np.flatnonzero(flagged)[:SHOWN], np.flatnonzero(low)[:SHOWN]):
        if len(culprits):
            check_returns_unit(_matrix(cells, segs, culprits, len(days)),
                               [ids[j] for j in culprits], label=reader.label,
                               column=reader.layout.value, parameter="returns_unit", unit=unit,
                               dates=days)


def _median_abs(cells: np.ndarray, segs: Segments, columns: np.ndarray) -> np.ndarray:
    """Median absolute return of each security ``columns`` over its cells."""
    mine = np.isin(segs.column, columns)
    pieces = [np.abs(cells[segs.offset[g] : segs.offset[g + 1]]) for g in np.flatnonzero(mine)]
    owner = np.repeat(segs.column[mine], segs.length[mine])
    values = np.concatenate(pieces) if pieces else np.zeros(0)
    keep = np.isfinite(values)
    frame = pd.Series(values[keep]).groupby(owner[keep]).median()
    return frame.reindex(columns).to_numpy()


def _matrix(cells: np.ndarray, segs: Segments, columns: np.ndarray, n_days: int) -> np.ndarray:
    """Days x securities ``columns`` from their cells (NaN elsewhere): the unit rule's input for
    the few securities it refuses."""
    out = np.full((n_days, len(columns)), np.nan)
    where = {int(c): j for j, c in enumerate(columns)}
    for g in np.flatnonzero(np.isin(segs.column, columns)):
        out[segs.first[g] : segs.last[g] + 1, where[int(segs.column[g])]] = \
            cells[segs.offset[g] : segs.offset[g + 1]]
    return out


def _finite_ends(segs: Segments, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last day with a return in each segment (-1: none), a block of cells at a time."""
    first = np.full(len(segs), -1, dtype=np.int64)
    last = np.full(len(segs), -1, dtype=np.int64)

    def ends(g0: int, g1: int) -> None:
        c0 = int(segs.offset[g0])
        where = np.flatnonzero(np.isfinite(cells[c0 : segs.offset[g1]])) + c0
        lo = np.searchsorted(where, segs.offset[g0:g1])
        hi = np.searchsorted(where, segs.offset[g0 + 1 : g1 + 1]) - 1
        some = np.flatnonzero(hi >= lo)
        base = segs.base[g0:g1][some]
        first[g0 + some] = where[lo[some]] - base
        last[g0 + some] = where[hi[some]] - base

    _in_two_threads(segs, ends)
    return first, last


def _in_two_threads(segs: Segments, work: Callable[[int, int], T],
                    cells: int = BLOCK_CELLS) -> list[T]:
    """``work(g0, g1)`` on each block of segments of at most ``cells`` cells, two blocks at a
    time (NumPy releases the GIL; each block writes only its own segments' slots); the results
    in the blocks' order."""
    blocks = list(segs.blocks(cells))
    if len(blocks) < 2:
        return [work(g0, g1) for g0, g1 in blocks]
    with ThreadPoolExecutor(2) as pool:
        return [done.result() for done in [pool.submit(work, g0, g1) for g0, g1 in blocks]]


def _bucketed(table: pd.DataFrame) -> pd.DataFrame:
    """The segments ``(id, g, lo, hi)`` (calendar day numbers from 1970), each repeated for every
    bucket of :data:`BUCKET_DAYS` days (counted from year 1) it spans, with that ``bucket``."""
    first = (table["lo"].to_numpy(dtype=np.int64) + DAYS_BEFORE_1970) // BUCKET_DAYS
    last = (table["hi"].to_numpy(dtype=np.int64) + DAYS_BEFORE_1970) // BUCKET_DAYS
    spans = last - first + 1
    out = table.iloc[np.repeat(np.arange(len(table)), spans)].reset_index(drop=True)
    step = np.arange(len(out)) - np.repeat(np.cumsum(spans) - spans, spans)
    out["bucket"] = np.repeat(first, spans) + step
    return out


class _CellScan:
    """One panel file's rows of given securities, scattered into cells on the trading days."""

    def __init__(self, reader: PanelReader, ids: list[str], days: pd.DatetimeIndex,
                 unit: str) -> None:
        self.reader, self.ids, self.unit = reader, ids, unit
        day_numbers = days.values.astype("datetime64[D]").astype(np.int64)
        self.day_numbers = day_numbers
        self.day0 = int(day_numbers[0])
        # trading day of each calendar day from the first trading day on (-1: not one)
        self.lookup = np.full(int(day_numbers[-1]) - self.day0 + 2, -1, dtype=np.int64)
        self.lookup[day_numbers - self.day0] = np.arange(len(days))
        self.join = ""
        self.rows_per_segment = np.zeros(0, dtype=np.int64)

    def _ids_frame(self, ids: Sequence[str]) -> pd.DataFrame:
        frame = pd.DataFrame({"id": list(ids)})
        if self.reader.integer_ids:
            frame["id"] = frame["id"].astype(np.int64)
        return frame

    def _id_sql(self) -> str:
        reader = self.reader
        return ("src.id" if reader.integer_ids or reader.id_type == "VARCHAR"
                else "CAST(src.id AS VARCHAR)")

    def read(self, segs: Segments) -> np.ndarray:
        """The cells of the segments (NaN where the security has no return that day): one
        scan, the rows of each security inside its segments, streamed a chunk at a time."""
        import duckdb

        reader = self.reader
        if len(segs) == 0:
            self.rows_per_segment = np.zeros(0, dtype=np.int64)
            return np.zeros(0)
        table = self._ids_frame(np.asarray(self.ids, dtype=object)[segs.column])
        table["g"] = np.arange(len(segs), dtype=np.int64)
        table["lo"] = self.day_numbers[segs.first]
        table["hi"] = self.day_numbers[segs.last]
        cells = np.full(segs.n_cells, np.nan)
        seen = np.zeros(segs.n_cells, dtype=bool)
        self.rows_per_segment = np.zeros(len(segs), dtype=np.int64)
        day = f"CAST(({reader.date_sql}) - DATE '1970-01-01' AS INTEGER)"
        flags = self._flags()
        segments = "wanted_segments"
        if reader.date_type == "DATE":  # compared as dates: no conversion of every row read
            segments = ("(SELECT *, DATE '1970-01-01' + CAST(lo AS INTEGER) AS lo_date, "
                        "DATE '1970-01-01' + CAST(hi AS INTEGER) AS hi_date FROM wanted_segments)")
            inside = "(src.date_raw BETWEEN s.lo_date AND s.hi_date)"
            if self._wants_much(segs):
                # joined on the BUCKET_DAYS-day bucket of the date too: each segment is a row
                # per bucket it spans, so the hash join meets about one segment per row read,
                # not all of the security's
                table = _bucketed(table)
                inside = (f"((src.date_raw - DATE '0001-01-01') // {BUCKET_DAYS} = s.bucket AND "
                          f"{inside})")
        else:
            inside = f"({day} BETWEEN s.lo AND s.hi)"
        if "bad_date" in flags:
            inside = f"({inside} OR {flags['bad_date']})"
        self.join = (f"FROM ({reader.source}) src JOIN {segments} s ON "
                     f"{self._id_sql()} = s.id AND {inside}")
        sql = reader.rows_sql("s.g", self.join)
        reader.con.register("wanted_segments", table)
        rows = written = 0
        try:
            result = reader.con.execute(sql)
            while True:
                chunk = result.fetch_df_chunk(CHUNK_VECTORS)
                if len(chunk) == 0:
                    break
                rows += len(chunk)
                segment = chunk["g"].to_numpy(dtype=np.int64)
                self.rows_per_segment += np.bincount(segment, minlength=len(segs))
                placed, codes, off = self._scatter(
                    segment,
                    chunk["day"].to_numpy(dtype=np.int64, copy=True),
                    chunk["value"].to_numpy(dtype=float, copy=True),
                    chunk["kind"].to_numpy() if "kind" in chunk else None,
                    chunk["bad_date"].to_numpy() if "bad_date" in chunk else None,
                    segs, cells, seen)
                written += placed
                reader.stats.missing_codes += codes
                reader.stats.off_calendar += off
            if int(np.count_nonzero(seen)) < written:
                raise self._repeated()
        except duckdb.ConversionException:
            if reader.text or not reader._is_csv:
                raise
            retry = True
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0]
            raise DataError(f"{reader.label}: cannot read the panel: {first}") from None
        else:
            retry = False
        finally:
            reader.con.unregister("wanted_segments")
        if retry:
            # a CSV column whose values change type after the rows DuckDB sampled to guess its
            # type (CRSP's letter codes far down a return column): read every column as text
            self.ids = [str(i) for i in self.ids]
            reader._open(text=True)
            reader.stats.missing_codes = reader.stats.off_calendar = 0
            return self.read(segs)
        reader.stats.rows_read += rows
        return cells

    def _wants_much(self, segs: Segments) -> bool:
        """Whether the segments' cells are at least :data:`BUCKETS_FROM_SHARE` of the rows of a
        Parquet file (counted from its metadata). Below that, the join on the security alone is
        faster: DuckDB pushes a filter of the wanted securities into the scan, which then skips
        the other securities' rows undecoded, and does so for a join on one key only."""
        reader = self.reader
        if reader._is_csv:
            return False
        rows = reader.con.cursor().execute(f"SELECT count(*) FROM ({reader.source})").fetchone()
        return rows is not None and segs.n_cells >= BUCKETS_FROM_SHARE * int(rows[0])

    def _flags(self) -> dict[str, str]:
        return self.reader.scan_flags()

    def _scatter(self, segment: np.ndarray, calendar: np.ndarray, value: np.ndarray,
                 kind: np.ndarray | None, bad_date: np.ndarray | None, segs: Segments,
                 cells: np.ndarray, seen: np.ndarray) -> tuple[int, int, int]:
        """Put rows into their cells: each row's segment, calendar day number, value and flags
        (:meth:`~eventstudy.data.panel_file.PanelReader.rows_sql`; ``calendar`` and ``value``
        are the caller's to give away: changed here). Returns the rows on trading days, the
        missing-value codes and the rows off the trading days (for :class:`PanelStats`; no
        state is changed here but the cells of these rows, so blocks of rows can be placed
        by threads side by side)."""
        reader = self.reader
        if bad_date is not None and bad_date.any():
            bad = self._examples("bad_date", ["s.id", "CAST(src.date_raw AS VARCHAR)"])
            raise DataError(f"{reader.label}: column {reader.layout.date!r} has dates that do not "
                            f"parse (id, date: {_examples(bad)}); give YYYY-MM-DD or YYYYMMDD")
        if kind is not None and (kind == 2).any():
            bad = self._examples("bad_value", ["s.id", "CAST(src.date_raw AS VARCHAR)",
                                               "CAST(src.value_raw AS VARCHAR)"])
            raise DataError(
                f"{reader.label}: column {reader._value_column!r} has values that are not numbers "
                f"(id, date, value: {_examples(bad)}); give decimals, leave missing values empty")
        codes = 0 if kind is None else int(np.count_nonzero(kind == 1))
        low = np.flatnonzero(value <= max(MISSING_CODES))  # the codes, or a wrong value
        coded = low[np.isin(value[low], MISSING_CODES)]
        codes += len(coded)
        value[coded] = np.nan
        infinite = np.isinf(value)
        if infinite.any():
            i = np.flatnonzero(infinite)[:3]
            examples = "; ".join(f"{self.ids[segs.column[segment[k]]]}, "
                                 f"{np.datetime64(int(calendar[k]), 'D')}, {value[k]}" for k in i)
            raise DataError(f"{reader.label}: column {reader._value_column!r} has "
                            f"{int(infinite.sum())} value(s) that are not finite returns "
                            f"(id, date, value: {examples})")
        calendar -= self.day0
        if bad_date is not None:  # rows kept for the check may lie outside the trading days
            np.clip(calendar, 0, len(self.lookup) - 1, out=calendar)
        day = self.lookup[calendar]
        on_day = day >= 0
        off = len(day) - int(np.count_nonzero(on_day))
        if off:
            day, segment, value = day[on_day], segment[on_day], value[on_day]
        cell = segs.base[segment]
        cell += day
        seen[cell] = True
        cells[cell] = to_decimals(value, self.unit)
        return len(cell), codes, off

    def _examples(self, flag: str, columns: list[str]) -> list[tuple[object, ...]]:
        return self.reader.con.execute(
            f"SELECT {', '.join(columns)} {self.join} AND {self._flags()[flag]} LIMIT 3").fetchall()

    def _repeated(self) -> DataError:
        day = f"CAST(({self.reader.date_sql}) AS VARCHAR)"
        rows = self.reader.con.execute(
            f"SELECT CAST(s.id AS VARCHAR), {day}, count(*) {self.join} GROUP BY ALL "
            "HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 3").fetchall()
        return DataError(f"{self.reader.label}: (id, date) pair(s) appear more than once (id, "
                         f"date, rows: {_examples(rows)}); keep one row per security and date")

    def history(self, ids: list[str], lo: np.ndarray,
                hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows of ``ids`` dated before ``lo`` or after ``hi`` (calendar day numbers),
        summed up inside the scan: first and last trading day with a return there (-1: none; a
        return is a finite number other than CRSP's codes, on a day with a market return), and
        whether there is any such row.

        Two scans: the rows' dates alone first (no value is read: which ids have such rows, and
        which on trading days), then the values of the ids with rows on trading days only."""
        import duckdb

        reader = self.reader
        wanted = self._ids_frame(ids).assign(code=np.arange(len(ids), dtype=np.int64),
                                             lo=np.asarray(lo, dtype=np.int64),
                                             hi=np.asarray(hi, dtype=np.int64))
        trading = pd.DataFrame({"day": self.day_numbers, "pos": np.arange(len(self.day_numbers))})
        day = f"CAST(({reader.date_sql}) - DATE '1970-01-01' AS INTEGER)"
        codes = ", ".join(str(c) for c in MISSING_CODES)
        rows_of = (f"FROM ({reader.source}) src JOIN {{ids}} w ON {self._id_sql()} = w.id AND "
                   f"({day} < w.lo OR {day} > w.hi) {{join}} trading_days t ON {day} = t.day")
        first = np.full(len(ids), -1, dtype=np.int64)
        last = np.full(len(ids), -1, dtype=np.int64)
        held = np.zeros(len(ids), dtype=bool)
        reader.con.register("history_ids", wanted)
        reader.con.register("trading_days", trading)
        try:
            found = reader.con.execute(
                f"SELECT w.code, count(t.pos) AS on_days "
                f"{rows_of.format(ids='history_ids', join='LEFT JOIN')} GROUP BY w.code"
            ).fetchnumpy()
            code = np.asarray(found["code"], dtype=np.int64)
            held[code] = True
            valued = code[np.asarray(found["on_days"]) > 0]
            if len(valued):
                reader.con.register("history_values", wanted.iloc[np.sort(valued)])
                rows = reader.con.execute(
                    f"SELECT code, min(pos) FILTER (WHERE is_return) AS first, "
                    f"max(pos) FILTER (WHERE is_return) AS last FROM (SELECT code, pos, "
                    f"v IS NOT NULL AND isfinite(v) AND v NOT IN ({codes}) AS is_return FROM "
                    f"(SELECT w.code, t.pos, {reader._value_sql()} AS v "
                    f"{rows_of.format(ids='history_values', join='JOIN')})) GROUP BY code"
                ).fetchnumpy()
                code = np.asarray(rows["code"], dtype=np.int64)
                found_first = np.ma.filled(np.ma.asarray(rows["first"]).astype(float), np.nan)
                found_last = np.ma.filled(np.ma.asarray(rows["last"]).astype(float), np.nan)
                known = np.isfinite(found_first)
                first[code[known]] = found_first[known].astype(np.int64)
                last[code[known]] = found_last[known].astype(np.int64)
        except duckdb.Error as error:
            first_line = str(error).strip().splitlines()[0]
            raise DataError(f"{reader.label}: cannot read the panel: {first_line}") from None
        finally:
            for name in ("history_ids", "trading_days", "history_values"):
                reader.con.unregister(name)  # a name never registered: nothing to do
        return first, last, held


class _IndexScan(_CellScan):
    """The rows of the events' segments read from the panel's index
    (:mod:`eventstudy.data.panel_index`) instead of a scan of the file, put into the cells as
    the scan's rows are (:meth:`_CellScan._scatter`). Used only when no security of the study
    is troubled: the index then holds exactly the rows the scan would keep."""

    def __init__(self, reader: PanelReader, ids: list[str], days: pd.DatetimeIndex, unit: str,
                 index: PanelIndex) -> None:
        super().__init__(reader, ids, days, unit)
        self.index = index
        self.code = index.codes(ids)

    def read(self, segs: Segments) -> np.ndarray:
        """The cells of the segments: each segment's rows found by two binary searches of the
        index's keys, read a block of rows at a time."""
        if len(segs) == 0:
            self.rows_per_segment = np.zeros(0, dtype=np.int64)
            return np.zeros(0)
        cells = np.full(segs.n_cells, np.nan)
        seen = np.zeros(segs.n_cells, dtype=bool)
        code = self.code[segs.column]
        start, stop = self.index.rows(code, self.day_numbers[segs.first],
                                      self.day_numbers[segs.last])
        count = np.where(code >= 0, stop - start, 0)
        self.rows_per_segment = count

        def place(g0: int, g1: int) -> tuple[int, int, int]:
            row = ranges(start[g0:g1], count[g0:g1])
            calendar = self.index.key[row]
            calendar &= (1 << KEY_SHIFT) - 1
            calendar -= DAY_BIAS
            return self._scatter(np.repeat(np.arange(g0, g1, dtype=np.int64), count[g0:g1]),
                                 calendar, self.index.value[row], self.index.kind[row], None,
                                 segs, cells, seen)

        placed = _in_two_threads(segs, place, INDEX_BLOCK_CELLS)
        written, codes, off = (sum(p[k] for p in placed) for k in range(3))
        if int(np.count_nonzero(seen)) < written:
            raise DataError(f"{self.reader.label}: the panel's index repeats a (security, date) "
                            f"pair; remove the folder {self.index.folder} to rebuild it")
        self.reader.stats.rows_read += int(count.sum())
        self.reader.stats.missing_codes += codes
        self.reader.stats.off_calendar += off
        return cells

    def history(self, ids: list[str], lo: np.ndarray,
                hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return history_rows(self.index, self.index.codes(ids), np.asarray(lo, dtype=np.int64),
                            np.asarray(hi, dtype=np.int64), self.lookup, self.day0)
