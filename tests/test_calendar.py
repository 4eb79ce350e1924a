"""Day 0 and window placement on a trading calendar."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from eventstudy.calendar import Window, as_window, locate_event, parse_event_date
from eventstudy.exceptions import ParameterError, WindowError

DAYS = pd.bdate_range("2024-01-01", "2024-03-29").drop(pd.Timestamp("2024-01-15"))  # a holiday


def test_day0_on_a_trading_day_and_window_dates():
    timing = locate_event(DAYS, pd.Timestamp("2024-02-07"), Window(-20, -3), Window(-2, 2))
    assert timing.day0 == pd.Timestamp("2024-02-07") and not timing.shifted
    assert list(timing.event_dates) == list(pd.bdate_range("2024-02-05", "2024-02-09"))
    assert len(timing.estimation_dates) == 18
    assert timing.estimation_dates[-1] == pd.Timestamp("2024-02-02")
    # 20 trading days back skips the 2024-01-15 holiday.
    assert timing.estimation_dates[0] == pd.Timestamp("2024-01-09")


@pytest.mark.parametrize(
    "event,day0",
    [("2024-01-13", "2024-01-16"),  # Saturday, then the Monday holiday
     ("2024-01-15", "2024-01-16"),  # the holiday itself
     ("2024-02-11", "2024-02-12")],  # Sunday
)
def test_non_trading_days_move_to_the_next_trading_day(event, day0):
    timing = locate_event(DAYS, pd.Timestamp(event), Window(-5, -2), Window(-1, 1))
    assert timing.day0 == pd.Timestamp(day0) and timing.shifted
    assert timing.event_dates[0] < pd.Timestamp(event)  # day -1 is before the event date


def test_window_validation():
    assert len(Window(-1, 1)) == 3 and str(Window(-1, 1)) == "(-1, +1)"
    assert as_window([-5, 5], "window") == Window(-5, 5)
    with pytest.raises(ParameterError, match=r"window: \(True, 2\) is not allowed; start and end must be whole numbers"):
        as_window((True, 2), "window")
    with pytest.raises(ParameterError, match=r"estimation: \(3, 1\) is not allowed; the window must not end before it starts"):
        as_window((3, 1), "estimation")


def test_windows_must_not_overlap_in_either_direction():
    with pytest.raises(ParameterError, match=r"estimation: \(0, 10\) is not allowed; the estimation window must not overlap"):
        locate_event(DAYS, pd.Timestamp("2024-02-07"), Window(0, 10), Window(-1, 1))
    post = locate_event(DAYS, pd.Timestamp("2024-02-07"), Window(2, 10), Window(-1, 1))
    assert post.estimation_dates[0] == pd.Timestamp("2024-02-09")


def test_history_and_future_limits_are_exact():
    last_ok = locate_event(DAYS, DAYS[5], Window(-5, -2), Window(0, 0))
    assert last_ok.estimation_dates[0] == DAYS[0]
    with pytest.raises(WindowError, match="needs 6 trading day\\(s\\) before day 0 .* but the data have 5"):
        locate_event(DAYS, DAYS[5], Window(-6, -2), Window(0, 0))
    with pytest.raises(WindowError, match="needs 2 trading day\\(s\\) after day 0 .* but the data have 1"):
        locate_event(DAYS, DAYS[-2], Window(-6, -2), Window(0, 2))
    with pytest.raises(WindowError, match="is after the last trading day with data"):
        locate_event(DAYS, pd.Timestamp("2024-04-01"), Window(-6, -2), Window(0, 2))


def test_event_date_parsing():
    assert parse_event_date("2018-08-06") == pd.Timestamp("2018-08-06")
    assert parse_event_date(dt.date(2018, 8, 6)) == pd.Timestamp("2018-08-06")
    for bad in ["2018/08/06", "yesterday", "2018-8-6x", 20180806]:
        with pytest.raises(ParameterError, match="event_date: .* is not allowed; give a calendar date"):
            parse_event_date(bad)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="without a time of day"):
        parse_event_date(pd.Timestamp("2018-08-06 17:00"))
