"""Segments: the events' windows merged per security, checked against a day-by-day loop."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.data.segments import Segments, build_segments


def covered_days(column, start, stop):
    """The (security, day) pairs the intervals cover, one by one."""
    return {(int(c), d) for c, a, b in zip(column, start, stop) for d in range(int(a), int(b) + 1)}


@pytest.mark.parametrize("seed", range(6))
def test_segments_cover_exactly_the_intervals_and_hold_each_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    column = rng.integers(0, 7, n)
    start = rng.integers(0, 400, n)
    stop = start + rng.integers(0, 40, n)
    segs, segment = build_segments(column, start, stop)
    # the cells are the covered days, each once, in order of security then day
    days = [(int(c), int(d)) for g in range(len(segs)) for c, d in
            zip(np.full(segs.length[g], segs.column[g]), range(segs.first[g], segs.last[g] + 1))]
    assert days == sorted(covered_days(column, start, stop))
    assert segs.n_cells == len(days)
    # runs are maximal: two segments of a security never overlap nor touch
    for g in range(1, len(segs)):
        if segs.column[g] == segs.column[g - 1]:
            assert segs.first[g] > segs.last[g - 1] + 1
    # each interval lies in its segment, and locate finds that segment
    assert (segs.column[segment] == column).all()
    assert ((segs.first[segment] <= start) & (segs.last[segment] >= stop)).all()
    assert (segs.locate(column, start, stop) == segment).all()
    # day d of segment g is cell base[g] + d
    cell_days = segs.cell_days()
    for g in range(len(segs)):
        cells = np.arange(segs.offset[g], segs.offset[g + 1])
        assert (cell_days[cells] == cells - segs.base[g]).all()


def test_locate_refuses_days_no_segment_holds():
    segs, _ = build_segments(np.array([0, 0, 2]), np.array([10, 30, 5]), np.array([20, 40, 8]))
    assert segs.column.tolist() == [0, 0, 2] and segs.first.tolist() == [10, 30, 5]
    found = segs.locate(np.array([0, 0, 0, 1, 2, 2]), np.array([12, 19, 25, 12, 5, 4]),
                        np.array([15, 31, 28, 15, 8, 6]))
    assert found.tolist() == [0, -1, -1, -1, 2, -1]
    assert Segments.empty().locate(np.array([0]), np.array([1]), np.array([2])).tolist() == [-1]


def test_touching_intervals_merge_and_blocks_split_by_cells():
    segs, segment = build_segments(np.array([3, 3, 3]), np.array([0, 5, 11]), np.array([4, 9, 12]))
    assert len(segs) == 2 and segment.tolist() == [0, 0, 1]  # 0..4 and 5..9 touch; 11 does not
    segs, _ = build_segments(np.arange(5), np.zeros(5, dtype=int), np.array([9, 2, 30, 4, 4]))
    blocks = list(segs.blocks(12))
    assert blocks == [(0, 1), (1, 2), (2, 3), (3, 5)]  # 10 (+3 > 12); 3; 31 alone; 5 + 5
    assert list(segs.blocks(12, 3)) == [(3, 5)]
