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


def test_windows_accept_any_integral_number():
    import numpy as np

    window = as_window((np.int64(-1), np.int32(1)), "window")
    assert window == Window(-1, 1) and type(window.start) is int and type(window.end) is int
    assert as_window(np.array([-5, 5]), "window") == Window(-5, 5)
    with pytest.raises(ParameterError, match="start and end must be whole numbers"):
        as_window((np.float64(-1.0), 1), "window")


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


# -- the exchange calendar (exchange_calendars' XNYS) and day 0 ---------------------------------

from eventstudy.calendar import (  # noqa: E402
    last_closed_session,
    parse_event,
    resolve_event,
    sessions,
)
from eventstudy.exceptions import DataError  # noqa: E402


def test_nyse_sessions_come_from_the_exchange_calendar(data_dir):
    days = sessions("2016-01-04", "2019-12-31")
    assert pd.Timestamp("2018-12-05") not in days  # the national day of mourning
    snapshot = pd.read_csv(data_dir / "prices" / "GSPC.csv", parse_dates=["Date"])["Date"]
    assert days.equals(pd.DatetimeIndex(snapshot, name="date"))  # SOURCES.md: the 1,006 NYSE days


@pytest.mark.parametrize(
    "event,day0,reason",
    [
        ("2018-08-06", "2018-08-06", None),
        ("2018-08-04", "2018-08-06", "2018-08-04 is not a NYSE session: day 0 moved to the next session, 2018-08-06"),
        ("2018-12-05", "2018-12-06", "2018-12-05 is not a NYSE session: day 0 moved to the next session, 2018-12-06"),
        ("2018-08-06T15:59:59-04:00", "2018-08-06", None),
        ("2018-08-06T09:00-04:00", "2018-08-06", None),  # before the open: that session
        ("2018-08-06T16:00-04:00", "2018-08-07",
         "2018-08-06 16:00 America/New_York is at or after the 16:00 close: day 0 moved to the next session, 2018-08-07"),
        ("2018-08-06T21:05Z", "2018-08-07", None),  # 17:05 in New York
        ("2018-08-07T01:00+02:00", "2018-08-07", None),  # 2018-08-06 19:00 in New York: after the close
        ("2018-11-23T13:30-05:00", "2018-11-26", None),  # after the 13:00 early close (Black Friday)
        ("2018-08-04T10:00-04:00", "2018-08-06", None),  # Saturday morning
    ],
)
def test_day0_rules(event, day0, reason):
    day = resolve_event(event)
    assert day.event_date == pd.Timestamp(event[:10]) - pd.Timedelta(days=int(event.endswith("+02:00")))
    assert day.day0 == pd.Timestamp(day0)
    assert day.shifted == (day.day0 != day.event_date)
    if reason is not None:
        assert day.reason == reason
    if "T" in event:
        assert day.event_time == pd.Timestamp(event)  # the original is kept, with its time zone


def test_non_session_policy():
    assert resolve_event("2018-12-05", non_session="previous").day0 == pd.Timestamp("2018-12-04")
    assert resolve_event("2018-08-05", non_session="previous").day0 == pd.Timestamp("2018-08-03")
    with pytest.raises(ParameterError, match=r"event_date: '2018-12-05' is not allowed; 2018-12-05 is not a "
                       r"NYSE session \(the nearest are 2018-12-04 and 2018-12-06\)"):
        resolve_event("2018-12-05", non_session="raise")
    assert resolve_event("2018-12-06", non_session="raise").day0 == pd.Timestamp("2018-12-06")
    with pytest.raises(ParameterError, match="non_session: 'skip' is not allowed; choose one of next, previous, raise"):
        resolve_event("2018-12-05", non_session="skip")


def test_event_parsing():
    assert parse_event("2018-08-06") == pd.Timestamp("2018-08-06")
    aware = parse_event(dt.datetime(2018, 8, 6, 16, 30, tzinfo=dt.timezone.utc))
    assert aware == pd.Timestamp("2018-08-06 16:30", tz="UTC")
    with pytest.raises(ParameterError, match="event_date: '2018-08-06 17:00' is not allowed; a time of day "
                       "needs a time zone"):
        parse_event("2018-08-06 17:00")
    with pytest.raises(ParameterError, match="give a date as YYYY-MM-DD or a timestamp with a time zone"):
        parse_event("next tuesday at noon")
    with pytest.raises(ParameterError, match="give a date on or after 1928-01-03, the first session of the NYSE"):
        resolve_event("1900-01-02")


def test_last_closed_session():
    assert last_closed_session(pd.Timestamp("2018-08-06 21:30", tz="UTC")) == pd.Timestamp("2018-08-06")
    assert last_closed_session(pd.Timestamp("2018-08-06 19:30", tz="UTC")) == pd.Timestamp("2018-08-03")


def test_market_dates_without_an_exchange_keep_the_old_rule():
    day = resolve_event("2024-01-15", exchange=None, trading_days=DAYS)  # DAYS lacks the holiday
    assert day.day0 == pd.Timestamp("2024-01-16")
    timing = locate_event(DAYS, day.event_date, Window(-5, -2), Window(-1, 1), event=day)
    assert timing.day0 == pd.Timestamp("2024-01-16") and timing.reason == day.reason


def test_a_session_missing_from_the_market_data_is_an_error():
    days = DAYS.drop(pd.Timestamp("2024-02-07"))
    day = resolve_event("2024-02-07")
    with pytest.raises(DataError, match="event_date: day 0 is 2024-02-07, a session of the exchange calendar, "
                       "but the market series has no data that day"):
        locate_event(days, day.event_date, Window(-20, -3), Window(-1, 1), event=day)


def test_event_studies_take_timestamps_and_record_both_dates():
    from eventstudy import run_event_study

    after_close = run_event_study("FB", "2018-07-25T16:05-04:00")  # the 2018 Q2 earnings release
    assert after_close.timing.event_date == pd.Timestamp("2018-07-25")
    assert after_close.day0 == pd.Timestamp("2018-07-26") and after_close.day0_shifted
    assert after_close.timing.event_time == pd.Timestamp("2018-07-25T16:05-04:00")
    assert "after the 16:00 close" in after_close.timing.reason
    assert after_close.to_dict()["event_date"] == "2018-07-25" and after_close.to_dict()["day0"] == "2018-07-26"
    assert after_close.days.loc[0, "return"] < -0.18  # FB fell 19% on 2018-07-26
    weekend = run_event_study("FB", "2018-08-04", non_session="previous")
    assert weekend.day0 == pd.Timestamp("2018-08-03")
    with pytest.raises(ParameterError, match="2018-12-05 is not a NYSE session"):
        run_event_study("FB", "2018-12-05", non_session="raise")
