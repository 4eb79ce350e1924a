r"""The days the events need, as runs: each security's event windows merged into segments.

A batch of events reads and computes on the cells of its windows only, never on securities x
the whole date span. Every event needs the days :math:`[p + e, p + l]` of its security (day 0
at trading day :math:`p`, :math:`e` the first and :math:`l` the last relative day of its
estimation and event windows). The intervals of one security are merged where they overlap or
touch, into :class:`Segments`: runs of consecutive trading days, one security each, sorted by
security then day. The cells of segment :math:`g` are laid end to end: day :math:`d` of segment
:math:`g` is cell ``base[g] + d``, so an event's window is a contiguous slice of cells and every
look-up is one addition. The cells number at most :math:`N (l - e + 1)` and at most the
securities' days, whichever is smaller: a million events on a panel whose securities each live a
few years cost the days those securities lived around their events, not the decades of the
panel times every security.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segments:
    """Runs of consecutive trading days, one security each, sorted by security then day.

    Attributes
    ----------
    column
        ``(G,)`` the security (column) of each segment.
    first
        ``(G,)`` its first trading day (position on the trading days).
    length
        ``(G,)`` its number of days (at least 1).
    offset
        ``(G+1,)`` the first cell of each segment, then the number of cells.
    """

    column: np.ndarray
    first: np.ndarray
    length: np.ndarray
    offset: np.ndarray

    @classmethod
    def empty(cls) -> Segments:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, np.zeros(1, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.column)

    @property
    def n_cells(self) -> int:
        return int(self.offset[-1])

    @property
    def last(self) -> np.ndarray:
        """``(G,)`` the last trading day of each segment."""
        return self.first + self.length - 1

    @property
    def base(self) -> np.ndarray:
        """``(G,)`` the cell of day ``d`` of segment ``g`` is ``base[g] + d``."""
        return self.offset[:-1] - self.first

    def cell_days(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Trading day of every cell of the segments ``start .. stop-1``."""
        stop = len(self) if stop is None else stop
        day = np.arange(self.offset[start], self.offset[stop], dtype=np.int64)
        day -= np.repeat(self.base[start:stop], self.length[start:stop])
        return day

    def blocks(self, cells: int, start: int = 0, stop: int | None = None):
        """Consecutive ranges ``(g0, g1)`` of the segments ``start .. stop-1``, each of at most
        ``cells`` cells (or one segment, when a segment alone is longer)."""
        stop = len(self) if stop is None else stop
        g = start
        while g < stop:
            h = int(np.searchsorted(self.offset, self.offset[g] + cells, side="right")) - 1
            h = min(max(h, g + 1), stop)
            yield g, h
            g = h

    def locate(self, column: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """The segment holding the days ``start .. stop`` (inclusive) of security ``column``,
        for each row; -1 where no segment holds them all."""
        column = np.asarray(column, dtype=np.int64)
        if len(self) == 0:
            return np.full(len(column), -1, dtype=np.int64)
        span = int(max(self.last.max(), np.max(stop, initial=0))) + 2
        keys = self.column * span + self.first
        g = np.searchsorted(keys, column * span + start, side="right") - 1
        g_safe = np.maximum(g, 0)
        held = ((g >= 0) & (self.column[g_safe] == column) & (self.first[g_safe] <= start)
                & (self.last[g_safe] >= stop))
        return np.where(held, g, -1)


def build_segments(column: np.ndarray, start: np.ndarray,
                   stop: np.ndarray) -> tuple[Segments, np.ndarray]:
    """Merge the day intervals ``start .. stop`` (inclusive) of each security into disjoint
    runs where they overlap or touch.

    Returns the segments and, for each interval, the segment that holds it. Sorting the ``n``
    intervals costs :math:`O(n \\log n)`; the merge is one pass (a running maximum of the ends).
    """
    column = np.asarray(column, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    stop = np.asarray(stop, dtype=np.int64)
    n = len(column)
    if n == 0:
        return Segments.empty(), np.zeros(0, dtype=np.int64)
    span = int(max(stop.max(), 0)) + 2
    order = np.lexsort((start, column))
    key_start = column[order] * span + start[order]
    key_stop = column[order] * span + stop[order]
    reach = np.maximum.accumulate(key_stop)  # furthest day covered so far (same security first)
    new = np.ones(n, dtype=bool)
    new[1:] = key_start[1:] > reach[:-1] + 1
    heads = np.flatnonzero(new)
    first = start[order][heads]
    last = np.maximum.reduceat(stop[order], heads)
    length = last - first + 1
    offset = np.zeros(len(heads) + 1, dtype=np.int64)
    np.cumsum(length, out=offset[1:])
    segment = np.empty(n, dtype=np.int64)
    segment[order] = np.cumsum(new) - 1
    return Segments(column[order][heads], first, length, offset), segment
