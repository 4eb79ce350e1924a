"""The rank machinery the rank tests share: every row of a block of events sorted once (ties
averaged, missing values last), rank sums per day, and the rank statistics built from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from eventstudy.inference.statistic import _normal


class _SortedRows(NamedTuple):
    """Every row of a matrix sorted, ``NaN`` last, with its runs of ties (:func:`_sort_rows`).

    All ``(n, m)`` arrays are in sorted order: position ``p`` of row ``i`` holds its ``p``-th
    smallest value; positions ``p >= lengths[i]`` hold its ``NaN`` values.
    """

    order: np.ndarray  # the column of that value
    start: np.ndarray  # the first position of the values equal to it
    end: np.ndarray  # the last position of the values equal to it
    lengths: np.ndarray  # (n,): the values of each row that are not NaN
    ties: bool  # whether any row has two equal values (else start = end = the position)

    def average_ranks(self) -> np.ndarray:
        """Ranks from 1, ties given the mean of their ranks (``scipy.stats.rankdata``'s average)."""
        if not self.ties:  # the position + 1, the same in every row
            return np.broadcast_to(np.arange(1.0, self.order.shape[1] + 1.0), self.order.shape)
        return (self.start + self.end) / 2.0 + 1.0

    def average_ranks_without(self, column: int) -> np.ndarray:
        """:meth:`average_ranks` of the other values when each row's value in ``column`` is left
        out (its own entry is meaningless): one less above it, half of one less among its ties."""
        at = np.argmax(self.order == column, axis=1)[:, None]
        first = np.take_along_axis(self.start, at, axis=1)
        ranks = self.average_ranks() - (self.start > first)
        if self.ties:
            ranks -= 0.5 * (self.start == first)
        return ranks

    def present(self) -> np.ndarray:
        """``True`` at the positions of values that are not NaN."""
        return np.arange(self.order.shape[1]) < self.lengths[:, None]

    def column_sums(self, values: np.ndarray, *, own: bool = False) -> np.ndarray:
        """Sums over the rows of ``values`` (in sorted order) by original column, NaN skipped;
        ``own``: ``values`` is a float64 array of the caller's, which may be overwritten."""
        m = self.order.shape[1]
        partial = np.flatnonzero(self.lengths < m)  # the rows with NaN (at their ends)
        weights = values
        if partial.size:
            weights = values if own else np.array(values, dtype=float)
            kept = np.arange(m) < self.lengths[partial, None]
            weights[partial] = np.where(kept, weights[partial], 0.0)
        return np.bincount(
            self.order.ravel(), weights=weights.ravel(), minlength=self.order.shape[1]
        )

    def unsort(self, values: np.ndarray) -> np.ndarray:
        """``values`` given in sorted order, put back in the original columns."""
        n, m = self.order.shape
        out = np.empty((n, m), dtype=values.dtype)
        out.ravel()[(self.order + (np.arange(n) * m)[:, None]).ravel()] = values.ravel()
        return out


def _count_true(mask: np.ndarray, axis: int) -> np.ndarray:
    """``numpy.count_nonzero(mask, axis=axis)`` of a boolean array, summed as bytes into small
    integers (about three times faster)."""
    small = np.uint16 if mask.shape[axis] < 2**16 else np.int64
    return np.add.reduce(mask.view(np.uint8), axis=axis, dtype=small).astype(np.intp)


_PACKED_COLUMNS = 4096  # up to this many columns, the column index rides in the sort key
#: numpy sorts rows of up to this many 64-bit keys several times faster per value than longer
#: ones (one sorting network on processors with AVX-512), so longer rows are sorted in pieces
#: of this size and the sorted pieces then merged by a stable sort, which finds them as runs
_SORTED_PIECE = 256


def _sort_keys(values: np.ndarray, missing: np.ndarray, bits: int,
               partial: np.ndarray | None = None, *, own: bool = False) -> np.ndarray:
    """int64 keys that, read as unsigned, are ordered like ``values``; NaN the largest.

    A float's bits read as an integer are ordered like the float when it is positive and in
    reverse when negative; flipping the other bits of negatives and the sign bit of positives
    gives one increasing order. Adding ``0.0`` first makes ``-0.0`` equal to ``0.0``. Each NaN
    gets a key of its own above every number, distinct in the bits above the lowest ``bits``.
    ``partial``, if given, holds every row with a NaN. ``own``: ``values`` is a float64 array
    of the caller's with ``0.0`` already added, turned into the keys in place.
    """
    key = (values if own else values + 0.0).view(np.int64)
    flip = key >> 63  # all ones for negatives
    flip |= np.int64(-(2**63))
    key ^= flip
    nan_keys = ~(np.arange(values.shape[1], dtype=np.int64) << bits)
    if partial is None:
        np.putmask(key, missing, nan_keys)
    elif partial.size:
        key[partial] = np.where(missing[partial], nan_keys, key[partial])
    return key


def _sort_rows(values: np.ndarray | Sequence[np.ndarray]) -> _SortedRows:
    """Sort each row of ``values`` (``NaN`` last) and find its runs of equal values, exactly;
    ``values`` may be given as arrays of the same rows, to be joined side by side.

    Up to :data:`_PACKED_COLUMNS` columns, the low bits of each value's sort key are replaced by
    its column, so one ``numpy.sort`` of integers gives the order (several times faster than
    ``argsort``; rows longer than :data:`_SORTED_PIECE` sorted in pieces, then merged). Values
    that agree in all but those low bits are checked for equality; rows where two distinct
    values were that close (relative difference below about 1e-13) are sorted again with
    ``argsort``. Wider rows are ordered by ``argsort`` of the keys.
    """
    parts = (values,) if isinstance(values, np.ndarray) else tuple(values)
    n, m = parts[0].shape[0], sum(part.shape[1] for part in parts)
    joined = np.empty((n, m))  # the values with 0.0 added (-0.0 made 0.0), turned into keys
    first = 0
    for part in parts:
        np.add(part, 0.0, out=joined[:, first : first + part.shape[1]])
        first += part.shape[1]
    missing = np.isnan(joined)
    lengths = m - _count_true(missing, axis=1)
    if m <= _PACKED_COLUMNS:
        bits = max(1, (m - 1).bit_length())
        low = np.int64((1 << bits) - 1)
        key = _sort_keys(joined, missing, bits, np.flatnonzero(lengths < m), own=True)
        key &= ~low
        key |= np.arange(m, dtype=np.int64)
        packed = key.view(np.uint64)
        if m > _SORTED_PIECE:  # the keys are distinct: any sort gives the one order
            for first in range(0, m, _SORTED_PIECE):
                packed[:, first : first + _SORTED_PIECE].sort(axis=1)
            packed.sort(axis=1, kind="stable")
        else:
            packed.sort(axis=1)
        high = packed >> np.uint64(bits)
        same = high[:, 1:] == high[:, :-1]
        order = key  # the sorted keys, reduced in place to their columns
        order &= low
    else:
        key = _sort_keys(joined, missing, 0, own=True)
        order = np.argsort(key.view(np.uint64), axis=1)
        ordered = np.take_along_axis(key, order, axis=1)
        same = ordered[:, 1:] == ordered[:, :-1]
    if m <= _PACKED_COLUMNS and same.any():
        values = np.concatenate(parts, axis=1)  # (the keys took the joined values' place)
        rows, pos = np.nonzero(same)
        distinct = values[rows, order[rows, pos]] != values[rows, order[rows, pos + 1]]
        close = np.unique(rows[distinct])
        if close.size:
            exact = np.argsort(values[close], axis=1, kind="stable")
            order[close] = exact
            ordered = np.take_along_axis(values[close], exact, axis=1)
            same[close] = ordered[:, 1:] == ordered[:, :-1]  # NaN equals nothing
    positions = np.arange(m)
    ties = bool(same.any())
    if not ties:
        start = end = np.broadcast_to(positions, (n, m))
    else:
        edge = np.ones((n, 1), dtype=bool)
        start = np.where(np.concatenate([edge, ~same], axis=1), positions, 0)
        np.maximum.accumulate(start, axis=1, out=start)
        end = np.where(np.concatenate([~same, edge], axis=1), positions, m - 1)
        end = np.minimum.accumulate(end[:, ::-1], axis=1)[:, ::-1]
    return _SortedRows(order, start, end, lengths, ties)


def _weighted_rank_sd(total: np.ndarray, count: np.ndarray, n: int) -> tuple[float, np.ndarray, int]:
    r"""Cross-sectional means :math:`\bar D_t` and :math:`S^2 = \frac1D\sum_t (N_t/N)\bar D_t^2`
    from the column sums ``total`` and counts ``count`` (:math:`N_t`) of the deviations.

    Returns :math:`S`, the means and :math:`D` (the number of days observed by some event).
    """
    used = count > 0
    mean_t = np.full(total.shape, np.nan)
    mean_t[used] = total[used] / count[used]
    days = int(used.sum())
    s2 = np.sum(count[used] / n * mean_t[used] ** 2) / days
    return float(np.sqrt(s2)), mean_t, days


def _rank_statistic(
    mean_t: np.ndarray, s: float, event_cols: np.ndarray, window: np.ndarray | None
):
    """Per-day statistics for ``event_cols``, or the window statistic over ``window``."""
    if window is None:
        return _normal(mean_t[event_cols] / s)
    return _normal(np.sum(mean_t[event_cols][window]) / (np.sqrt(len(window)) * s))


def _cross_sectional_restandardize(sar: np.ndarray) -> np.ndarray:
    """Divide each column by its cross-sectional standard deviation (ddof 1); NaN if it is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return sar / np.std(sar, axis=0, ddof=1)


_KERNEL_ROWS = 2048  # events compared at once by _generalized_rank_sums (keeps counts < 2**16)


_BYTE_ROWS = 255  # events whose comparisons one byte per day and test counts


def _parts(rows: slice | np.ndarray, size: int):
    """``rows`` (a slice with a stop, or an index array) ``size`` at a time, in order."""
    if isinstance(rows, slice):
        for first in range(rows.start or 0, rows.stop, size):
            yield slice(first, min(rows.stop, first + size))
        return
    for first in range(0, len(rows), size):
        yield rows[first : first + size]


def _groups_of_equal(counts: np.ndarray):
    """``(count, rows)`` for each distinct value of ``counts``, in increasing order, the rows
    with it in their order, at most :data:`_KERNEL_ROWS` at a time: slices when ``counts`` is
    non-increasing (as :class:`~eventstudy.inference.residual_pass._ResidualPass` orders the
    events), index arrays otherwise."""
    n = len(counts)
    if n and np.all(counts[1:] <= counts[:-1]):
        edges = [0, *(np.flatnonzero(counts[1:] != counts[:-1]) + 1).tolist(), n]
        for start, stop in reversed(list(zip(edges[:-1], edges[1:]))):
            for first in range(start, stop, _KERNEL_ROWS):
                yield counts[start], slice(first, min(stop, first + _KERNEL_ROWS))
        return
    groups, group = np.unique(counts, return_inverse=True)
    by_group = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[by_group], np.arange(len(groups) + 1))
    for g, count in enumerate(groups):
        members = by_group[bounds[g] : bounds[g + 1]]
        for first in range(0, len(members), _KERNEL_ROWS):
            yield count, members[first : first + _KERNEL_ROWS]


def _generalized_rank_sums(
    est: np.ndarray, x: np.ndarray, ranked: _SortedRows | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sums over events of the GRANK :math:`U`, each column of ``x`` in turn the tested value.

    Parameters
    ----------
    est
        ``(n, L)`` standardised estimation residuals, ``NaN`` where missing (:math:`L_i` present).
    x
        ``(n, J)`` tested values, one column per test (``NaN``: ranked 1, above nothing).
    ranked
        ``_sort_rows(np.concatenate([est, x], axis=1))`` if already at hand.

    Returns
    -------
    totals, zero
        ``(J, L)``: for test :math:`j` and day :math:`\tau`,
        :math:`\sum_i (K_{ij\tau}/(L_i+2) - 1/2)` over the events with a residual that day, where
        :math:`K_{ij\tau}` is the rank of :math:`e_{i\tau}` among the event's :math:`L_i` values
        and :math:`x_{ij}` (ties averaged); ``(J,)``: the same sum of the ranks of :math:`x_{ij}`.

    Notes
    -----
    One sort of each row of ``[est, x]`` gives every rank. Among the :math:`L_i + 1` values,
    :math:`K_{ij\tau} = R_{i\tau} + [e_{i\tau} > x_{ij}] + \tfrac12[e_{i\tau} = x_{ij}]`, with
    :math:`R_{i\tau}` the rank among the estimation values alone. With :math:`B(v)` the number
    of the event's estimation values below :math:`v` and :math:`Q(v)` the number equal to it,
    the bracket is :math:`\tfrac12([B(e_{i\tau}) \ge B(x_{ij})] + [B(e_{i\tau}) \ge B(x_{ij}) +
    Q(x_{ij})])`: :math:`nJL` comparisons of small integers, counted per group of events with the
    same :math:`L_i` (the same weight :math:`1/(L_i+2)`), so that the sums are integer counts
    until the last division.
    """
    n, length = est.shape
    if ranked is None:
        ranked = _sort_rows((est, x))
    is_x = ranked.order >= length
    x_before = np.cumsum(is_x, axis=1)
    x_before -= is_x  # tested values before each position
    if ranked.ties:  # ... before the value's group of equal values, and in it
        x_in = np.take_along_axis(x_before + is_x, ranked.end, axis=1)
        x_before = np.take_along_axis(x_before, ranked.start, axis=1)
        x_in -= x_before
    # K: estimation values strictly below each value (its rank among them, less one, if untied)
    below = ranked.unsort(ranked.start - x_before)
    x_missing = np.isnan(x)
    est_count = ranked.lengths - (x.shape[1] - np.count_nonzero(x_missing, axis=1))
    partial = np.flatnonzero(est_count < length)  # the events with a missing day
    partial_missing = np.isnan(est[partial])
    weight = 1.0 / (est_count + 2.0)
    shifted = below[:, :length] + 1  # K + 1; 0 on a missing day
    shifted[partial] = np.where(partial_missing, 0, shifted[partial])
    rank = shifted  # R, the rank among the estimation values: K + 1 if untied
    x_tied = np.zeros(x.shape, dtype=np.intp)  # estimation values equal to x
    if ranked.ties:
        est_missing = np.isnan(est)
        equal = ranked.unsort(ranked.end - ranked.start + 1 - x_in)
        rank = rank + np.where(est_missing, 0.0, (equal[:, :length] - 1) / 2.0)  # tied: mean
        x_tied = np.where(x_missing, 0, equal[:, length:])
    base = weight @ rank
    x_below = below[:, length:]
    x_rank = np.where(x_missing, 1.0, x_below + 1.0 + 0.5 * x_tied)
    zero = np.sum(x_rank * weight[:, None] - 0.5, axis=0)

    # [e > x] + [e >= x] = [K >= below(x)] + [K >= below(x) + equal(x)], shifted by one so that
    # 0 marks a missing day and the largest integer a missing x
    small = next(t for t in (np.uint8, np.int16, np.int32) if length + 1 < np.iinfo(t).max)
    never = np.iinfo(small).max
    shifted = shifted.astype(small)
    low = np.where(x_missing, never, x_below + 1).astype(small)
    high = np.where(x_missing, never, x_below + x_tied + 1).astype(small)
    tied = bool(np.any(x_tied))
    above = np.zeros((x.shape[1], length))
    for count, rows in _groups_of_equal(est_count):  # events with the same L_i share a weight
        hits = np.zeros(above.shape, dtype=np.uint16)
        for part in _parts(rows, _BYTE_ROWS):  # counted in bytes (faster), added in uint16
            k = shifted[part][:, None, :]
            hits += np.add.reduce(
                (k >= low[part][:, :, None]).view(np.uint8), axis=0, dtype=np.uint8
            )
            if tied:
                hits += np.add.reduce(
                    (k >= high[part][:, :, None]).view(np.uint8), axis=0, dtype=np.uint8
                )
        above += hits * ((0.5 if tied else 1.0) / (count + 2.0))
    days = n - np.count_nonzero(partial_missing, axis=0)
    return base[None, :] + above - 0.5 * days[None, :], zero
