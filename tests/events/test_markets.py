"""Each row's exchange and market (columns, options, suffixes, default indices), and the warning
about events sharing a calendar date across exchanges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.events.markets import (
    assign_markets,
    news_dates,
    shared_dates_across_exchanges,
)
from eventstudy.exceptions import ParameterError

TABLE = pd.DataFrame({
    "ticker": ["VOD.L", "FB", "7203.T", "VOD.L", "HSBC", "0005.HK", "BARC.L", "OTP.BD", "FB"],
    "event_date": ["2018-05-07"] * 9,
    "exchange": ["", "", "", "XTKS", "", "", "", "", "XQQQ"],
    "market": ["", "", "", "", "^FTSE", "", "^GSPC", "", ""],
})


def test_each_row_gets_its_exchange_and_market():
    assigned = assign_markets(TABLE)
    assert assigned.exchange.tolist() == ["XLON", "XNYS", "XTKS", "", "XNYS", "XHKG", "XLON", "", ""]
    assert assigned.market.tolist() == ["^FTSE", "^GSPC", "^N225", "", "^FTSE", "^HSI", "^GSPC", "", ""]
    assert assigned.market_default.tolist() == [True, True, True, False, False, True, False, False,
                                                False]
    failed = assigned.failed.tolist()
    assert failed[:3] == ["", "", ""] and failed[4:7] == ["", "", ""]
    assert failed[3] == ("exchange: 'XTKS' is not allowed; VOD.L is listed on XLON (Yahoo suffix .L); "
                         "give XLON or leave the exchange out")
    assert failed[7].startswith("market: XBUD has no default market index")
    assert failed[8].startswith("exchange: 'XQQQ' is not allowed; give an exchange_calendars code")
    # one line per (exchange, market) pair whose market is another exchange's index
    assert len(assigned.warnings) == 2
    assert assigned.warnings[0].startswith("market: ^FTSE is an index of XLON, but HSBC is placed on XNYS")
    assert assigned.warnings[1].startswith("market: ^GSPC is an index of XNYS, but BARC.L is placed on XLON")
    groups = [(rows.tolist(), mic, market) for rows, mic, market in assigned.groups]
    assert groups == [([0], "XLON", "^FTSE"), ([1], "XNYS", "^GSPC"), ([2], "XTKS", "^N225"),
                      ([4], "XNYS", "^FTSE"), ([5], "XHKG", "^HSI"), ([6], "XLON", "^GSPC")]


def test_options_fill_the_empty_cells_only():
    table = TABLE.iloc[[1, 4, 6]].reset_index(drop=True)
    assigned = assign_markets(table, exchange="XLON", market="^FTAS")
    # FB and HSBC have no suffix: the option places them in London; BARC.L names its market
    assert assigned.exchange.tolist() == ["XLON", "XLON", "XLON"]
    assert assigned.market.tolist() == ["^FTAS", "^FTSE", "^GSPC"]
    assert not assigned.market_default.any() and len(assigned.warnings) == 1
    with pytest.raises(ParameterError, match="exchange: 'NOPE' is not allowed"):
        assign_markets(table, exchange="NOPE")
    contradicted = assign_markets(pd.DataFrame({"ticker": ["VOD.L"], "event_date": ["2018-05-08"]}),
                                  exchange="XTKS")
    assert contradicted.failed[0].startswith("exchange: 'XTKS' is not allowed; VOD.L is listed on XLON")


def test_many_rows_cost_one_lookup_per_distinct_value():
    table = pd.DataFrame({"ticker": np.tile(["VOD.L", "7203.T", "AAPL"], 100_000),
                          "event_date": "2018-05-08"})
    assigned = assign_markets(table)
    assert (assigned.exchange[:3] == ["XLON", "XTKS", "XNYS"]).all()
    assert (assigned.market[::3] == "^FTSE").all() and assigned.market_default.all()


def test_news_dates_read_one_instant_as_one_date():
    values = np.array(["2018-05-02", "2018-05-03T14:00-04:00", "2018-05-03T19:00+01:00",
                       "2018-05-04T03:00+09:00", "2018-05-03T22:00-04:00", "nonsense"], dtype=object)
    dates = news_dates(values)
    # 14:00 in New York, 19:00 in London and 03:00 the next day in Tokyo are one instant: 18:00 UTC
    assert dates[:4].tolist() == [np.datetime64("2018-05-02")] + [np.datetime64("2018-05-03")] * 3
    assert dates[4] == np.datetime64("2018-05-04") and np.isnat(dates[5])  # 02:00 UTC


def test_shared_dates_across_exchanges():
    day = np.datetime64("2001-09-11")
    other = np.datetime64("2001-09-12")
    # one exchange sharing a date: that is the day-0 clustering warning's business, not this one
    assert shared_dates_across_exchanges(np.array([day, day]), np.array(["XNYS", "XNYS"])) is None
    note = shared_dates_across_exchanges(np.array([day, day, day, other]),
                                         np.array(["XNYS", "XLON", "XLON", "XTKS"]))
    assert note is not None and note.startswith(
        "3 events on 2 exchanges share a calendar date (2001-09-11 on XLON, XNYS)")
    assert "not independent" in note and "\n" not in note
