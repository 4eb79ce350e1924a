"""The events' cells of a panel file equal the panel's returns, cell by cell.

The truth is the frame a CRSP-shaped file was written from (tests/staggered_panel.py: staggered
lifetimes, missing returns as CRSP codes or NULL, rows left out, rows on a Saturday). Every cell
read must be that frame's value on that trading day, every security's first and last return
must decide the events' fates as the whole series would, and the reader's accounting (codes,
rows off the trading days, ids the file lacks) must count what the file holds. Each holds
whether the cells come from a scan of the file or from the panel's index
(:mod:`eventstudy.data.panel_index`, ``reading="index"``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from crsp_like import late_code_csv

from eventstudy.data import panel_cells
from eventstudy.data.panel import load_panel
from eventstudy.data.panel_cells import BUCKET_DAYS, FrameCells, _bucketed, load_panel_cells
from eventstudy.data.panel_file import PanelFile
from eventstudy.exceptions import DataError, DataQualityWarning
from staggered_panel import staggered_events, staggered_panel, write

REACH = (-250, 10)


@pytest.fixture(scope="module")
def panel():
    return staggered_panel()


@pytest.fixture(scope="module", params=["parquet", "csv"])
def panel_file(request, panel, tmp_path_factory):
    return write(panel, tmp_path_factory.mktemp("cells") / f"dsf.{request.param}")


def event_days(panel, events):
    """The events' permnos and day-0 positions on the trading days (events on trading days)."""
    def place(days: pd.DatetimeIndex):
        pos = days.get_indexer(pd.to_datetime(events["event_date"]))
        keep = pos >= 0
        return events["permno"].to_numpy(dtype=object)[keep], pos[keep]
    return place


@pytest.fixture(params=["scan", "index"])
def reading(request, tmp_path):
    """Where the cells come from: None (a scan of the file) or the folder of a panel index."""
    return None if request.param == "scan" else tmp_path / "index"


def read(panel, events, path, index=None, **kwargs):
    with pytest.warns(DataQualityWarning):  # the codes and the Saturday rows are reported
        return load_panel_cells(PanelFile.of(path, columns=["permno", "date", "ret"], index=index),
                                list(dict.fromkeys(events["permno"])), reach=REACH,
                                event_days=event_days(panel, events), market="vwretd", **kwargs)


def test_cells_are_the_panels_returns_and_histories_decide_as_the_whole_series(panel, panel_file,
                                                                              reading):
    events = staggered_events(panel, 150)
    loaded = read(panel, events, panel_file, reading)
    cells = loaded.cells
    days = pd.DatetimeIndex(loaded.market.index)
    truth = panel.returns.reindex(days)
    np.testing.assert_array_equal(loaded.market.to_numpy(), panel.market.reindex(days).to_numpy())
    # every cell is the truth's value on its day (NaN where the file has a code, NULL or no row)
    segs = cells.segs
    column = truth.columns.get_indexer(cells.names[np.repeat(segs.column, segs.length)])
    expected = np.where(column >= 0, truth.to_numpy()[segs.cell_days(), column], np.nan)
    np.testing.assert_array_equal(cells.cells, expected)
    assert "99999" not in truth.columns and (column >= 0).mean() > 0.9
    # the segments hold every event's windows
    names, pos = event_days(panel, events)(days)
    col = cells.names.get_indexer(names)
    inside = (col >= 0) & (pos + REACH[0] >= 0) & (pos + REACH[1] < len(days))
    assert (segs.locate(col[inside], pos[inside] + REACH[0], pos[inside] + REACH[1]) >= 0).all()
    # first/last returns decide each event's fate as the whole series does
    first, last, held = cells.history()
    f_all, l_all, h_all = FrameCells(truth.reindex(columns=cells.names).to_numpy(),
                                     cells.names).history()
    c, p = col[inside], pos[inside]
    assert (held[c] == h_all[c]).all()
    assert ((first[c] > p + REACH[0]) == (f_all[c] > p + REACH[0])).all()
    assert ((last[c] < p + REACH[1]) == (l_all[c] < p + REACH[1])).all()
    # and some events needed the whole history to be decided (before listing, after delisting)
    assert ((f_all[c] > p + REACH[0]) | (l_all[c] < p + REACH[1])).sum() >= 3
    # the id the panel lacks is not held; the others are
    assert loaded.ids["99999"] is None
    assert all(loaded.ids[i] is not None for i in events["permno"] if i != "99999")


def test_segments_are_bucketed_so_every_day_of_a_segment_is_in_one_of_its_buckets():
    """_bucketed, against day numbers counted from year 1 by the standard library."""
    rng = np.random.default_rng(4)
    lo = rng.integers(-3000, 20000, 200)  # days from 1970: some before it, some across buckets
    hi = lo + rng.integers(0, 1500, 200)
    table = pd.DataFrame({"id": np.arange(200), "g": np.arange(200), "lo": lo, "hi": hi})
    out = _bucketed(table)
    epoch = dt.date(1970, 1, 1).toordinal()
    for g in range(200):
        rows = out[out["g"] == g]
        assert (rows[["id", "lo", "hi"]].to_numpy() == [g, lo[g], hi[g]]).all()
        wanted = {(dt.date.fromordinal(epoch + d).toordinal() - 1) // BUCKET_DAYS
                  for d in range(lo[g], hi[g] + 1)}
        assert sorted(rows["bucket"]) == sorted(wanted)


@pytest.mark.parametrize("share", [0.0, float("inf")], ids=["buckets", "security-only"])
def test_cells_before_1970_and_across_date_buckets_are_the_panels(tmp_path, monkeypatch, share):
    """A Parquet panel with DATE dates from 1967 (negative day numbers): whether the scan joins
    on the date's bucket too or on the security alone, every cell is the truth's."""
    monkeypatch.setattr(panel_cells, "BUCKETS_FROM_SHARE", share)
    early = staggered_panel(n_sec=12, n_days=900, start="1967-01-03")
    events = staggered_events(early, 40)
    loaded = read(early, events, write(early, tmp_path / "early.parquet"))
    segs = loaded.cells.segs
    truth = early.returns.reindex(pd.DatetimeIndex(loaded.market.index))
    column = truth.columns.get_indexer(loaded.cells.names[np.repeat(segs.column, segs.length)])
    expected = np.where(column >= 0, truth.to_numpy()[segs.cell_days(), column], np.nan)
    np.testing.assert_array_equal(loaded.cells.cells, expected)
    assert truth.index[segs.cell_days()].min() < pd.Timestamp("1970-01-01")
    assert segs.n_cells > 5 * BUCKET_DAYS


def test_events_at_every_edge_are_decided_as_the_whole_series_decides(panel, panel_file, reading):
    """Events whose windows start or end a few days around a security's first and last return,
    or on its missing days: some are settled by the cells of another of the security's windows,
    the others by the rows the reader reads outside the cells; each fate is the whole series'
    (a loop over the events, on the truth frame)."""
    first_ret, last_ret = panel.lifetimes()
    returns = panel.returns.to_numpy()
    n_days = returns.shape[0]
    sec, day = [], []
    for s in range(returns.shape[1]):
        gaps = np.flatnonzero(np.isnan(returns[first_ret[s] : last_ret[s] + 1, s])) + first_ret[s]
        if s % 3 == 0:  # at the listing and the delisting
            starts = [first_ret[s] + k for k in (-3, -1, 0, 1, 2)]
            stops = [last_ret[s] + k for k in (-2, -1, 0, 1, 3)]
        else:  # starting or ending on a missing day: only rows outside the cells can tell
            starts, stops = ([g for g in gaps[::7]], []) if s % 3 == 1 else ([], list(gaps[::7]))
        sec += [s] * (len(starts) + len(stops))
        day += [a - REACH[0] for a in starts] + [b - REACH[1] for b in stops]
    day = np.array(day)
    keep = (day + REACH[0] >= 0) & (day + REACH[1] < n_days)
    events = pd.DataFrame({"permno": np.array(panel.ids, dtype=object)[np.array(sec)[keep]],
                           "event_date": panel.returns.index[day[keep]].strftime("%Y-%m-%d")})
    loaded = read(panel, events, panel_file, reading)
    cells, days = loaded.cells, pd.DatetimeIndex(loaded.market.index)
    truth = panel.returns.reindex(days)
    names, pos = event_days(panel, events)(days)
    col = cells.names.get_indexer(names)
    first, last, held = cells.history()
    fits_first = [bool(np.isfinite(truth[n].to_numpy()[: p + REACH[0] + 1]).any())
                  for n, p in zip(names, pos)]
    fits_last = [bool(np.isfinite(truth[n].to_numpy()[p + REACH[1]:]).any())
                 for n, p in zip(names, pos)]
    np.testing.assert_array_equal(first[col] <= pos + REACH[0], fits_first)
    np.testing.assert_array_equal(last[col] >= pos + REACH[1], fits_last)
    assert held[col].all()
    assert 0 < np.mean(fits_first) < 1 and 0 < np.mean(fits_last) < 1


def test_the_reader_counts_codes_and_rows_off_the_trading_days(panel, tmp_path, reading):
    events = staggered_events(panel, 60)
    path = write(panel, tmp_path / "dsf.parquet")
    with pytest.warns(DataQualityWarning) as caught:
        load_panel_cells(PanelFile.of(path, columns=["permno", "date", "ret"], index=reading),
                         list(dict.fromkeys(events["permno"])), reach=REACH,
                         event_days=event_days(panel, events), market="vwretd")
    messages = " ".join(str(w.message) for w in caught)
    assert "missing-return codes" in messages and "dates without a market return" in messages


def test_a_late_letter_code_reads_the_csv_again_as_text(tmp_path, reading):
    """DuckDB guesses a CSV's types from its first rows; a CRSP letter code far down the return
    column is a missing value, as for load_panel."""
    path = late_code_csv(tmp_path / "late_code.csv", -2)  # row 24,999: after the rows sampled
    with pytest.warns(DataQualityWarning, match="1 value.*missing-return codes"):
        loaded = load_panel_cells(PanelFile.of(path, index=reading), ["S24"], reach=(-300, 10),
                                  market="S00",
                                  event_days=lambda d: (np.array(["S24"], dtype=object),
                                                        np.array([len(d) - 12])))
    cells = loaded.cells.cells  # days len-312 .. len-2 of S24: the code is the last
    long = pd.read_csv(path, dtype=str)  # the file as written, by pandas
    expected = long[long["ticker"] == "S24"]["return"].to_numpy()[-312:-1]
    assert len(cells) == 311 and np.isnan(cells).sum() == 1 and np.isnan(cells[-1])
    np.testing.assert_array_equal(cells[:-1], expected[:-1].astype(float))


def test_repeated_rows_and_bad_values_are_errors_naming_the_rows(tmp_path, reading):
    """(With an index, the securities holding such rows are read from the file: the same
    errors.)"""
    days = pd.bdate_range("2018-01-01", periods=60).strftime("%Y-%m-%d")
    rows = "ticker,date,return\n" + "".join(f"M,{d},0.001\nA,{d},0.01\n" for d in days)
    place = lambda d: (np.array(["A"], dtype=object), np.array([30]))  # noqa: E731
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(rows + f"A,{days[25]},0.02\n")
    with pytest.raises(DataError, match=r"more than once \(id, date, rows: A, 2018-02-05, 2\)"):
        load_panel_cells(PanelFile.of(repeated, index=reading), ["A"], reach=(-20, 5), market="M",
                         event_days=place)
    bad = tmp_path / "bad.csv"
    bad.write_text(rows.replace(f"A,{days[20]},0.01", f"A,{days[20]},1,5"))
    with pytest.raises(DataError):
        load_panel_cells(PanelFile.of(bad, index=reading), ["A"], reach=(-20, 5), market="M", event_days=place)
    text = tmp_path / "text.csv"
    text.write_text(rows.replace(f"A,{days[20]},0.01", f"A,{days[20]},1..5"))
    with pytest.raises(DataError, match=r"values that are not numbers \(id, date, value: A, "):
        load_panel_cells(PanelFile.of(text, index=reading), ["A"], reach=(-20, 5), market="M", event_days=place)
    infinite = tmp_path / "infinite.csv"
    infinite.write_text(rows.replace(f"A,{days[20]},0.01", f"A,{days[20]},inf"))
    with pytest.raises(DataError, match="not finite returns"):
        load_panel_cells(PanelFile.of(infinite, index=reading), ["A"], reach=(-20, 5), market="M",
                         event_days=place)


def test_the_unit_rule_and_values_too_large_as_load_panel_says_them(tmp_path):
    """Returns in percent, below -100% or beyond 1e100 inside the events' windows: the messages
    of the dense reader (one rule, :mod:`eventstudy.data.units`), decided on the cells read."""
    days = pd.bdate_range("2018-01-01", periods=120)
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"M": rng.normal(0, 0.01, 120), "A": rng.normal(0, 0.02, 120),
                          "B": rng.normal(0, 0.02, 120)}, index=days)

    def long(values: pd.DataFrame, name: str):
        path = tmp_path / name
        values.rename_axis("date").reset_index().melt("date", var_name="ticker",
                                                      value_name="return").to_csv(path, index=False)
        return PanelFile.of(path)

    place = lambda d: (np.array(["A", "B"], dtype=object), np.array([100, 100]))  # noqa: E731
    reach = (-60, 5)

    def both(panel, **units):
        outcomes = []
        for load in (lambda: load_panel_cells(panel, ["A", "B"], reach=reach, market="M",
                                              event_days=place, **units),
                     lambda: load_panel(panel, ["A", "B"], market="M", **units)):
            with pytest.raises(DataError) as error:
                load()
            outcomes.append(str(error.value))
        return outcomes

    percent = frame.assign(A=frame["A"] * 100, B=frame["B"] * 100)
    from_cells, from_frame = both(long(percent, "pct.csv"))
    assert from_cells.split(" (median")[0] == from_frame.split(" (median")[0]
    assert "column 'return' (ids 'A', 'B') looks like percent" in from_cells
    declared = load_panel_cells(long(percent, "pct.csv"), ["A", "B"], reach=reach, market="M",
                                event_days=place, returns_unit="percent", market_unit="decimal")
    decimal = load_panel_cells(long(frame, "dec.csv"), ["A", "B"], reach=reach, market="M",
                               event_days=place)
    np.testing.assert_allclose(declared.cells.cells, decimal.cells.cells, rtol=1e-15)
    below = frame.copy()
    below.iloc[70, 2] = -1.5  # B, inside the windows
    from_cells, from_frame = both(long(below, "below.csv"))
    assert from_cells == from_frame and "(id 'B') has 1 daily return(s) below -100%" in from_cells
    huge = frame.copy()
    huge.iloc[80, 1] = 1e300  # A, inside the windows
    loaded = load_panel_cells(long(huge, "huge.csv"), ["A", "B"], reach=reach, market="M",
                              event_days=place)
    message = loaded.cells.too_large(pd.DatetimeIndex(loaded.market.index))
    assert list(message) == ["A"]
    assert message["A"].startswith(f"returns: 'A' return is 1e+300 on {days[80]:%Y-%m-%d}, too "
                                   "large to be a daily return")
