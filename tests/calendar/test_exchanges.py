"""Which exchange places an event: Yahoo suffixes, codes, default indices, and day 0 on the
exchange's own clock (London, Tokyo and Hong Kong closes, bank holidays, Golden Week, a typhoon)."""

from __future__ import annotations

import exchange_calendars
import pandas as pd
import pytest

from eventstudy.calendar import exchange_calendar, resolve_event
from eventstudy.calendar.exchanges import (
    DEFAULT_INDEX,
    INDEX_EXCHANGE,
    YAHOO_SUFFIXES,
    canonical,
    check_exchange,
    default_market,
    exchange_of,
    listing_of,
    market_mismatch,
)
from eventstudy.exceptions import DataError, ParameterError


@pytest.mark.parametrize("ticker, exchange", [
    ("VOD.L", "XLON"), ("SAP.DE", "XETR"), ("MC.PA", "XPAR"), ("ASML.AS", "XAMS"),
    ("7203.T", "XTKS"), ("0005.HK", "XHKG"), ("600519.SS", "XSHG"), ("000001.SZ", "XSHG"),
    ("RELIANCE.NS", "XBOM"), ("BHP.AX", "XASX"), ("RY.TO", "XTSE"), ("PETR4.SA", "BVMF"),
    ("005930.KS", "XKRX"), ("vod.l", "XLON"),
    ("AAPL", "XNYS"), ("BRK.B", "XNYS"), ("^GSPC", "XNYS"), ("^N225", "XTKS"), ("^FTSE", "XLON"),
])
def test_yahoo_suffixes_and_indices_name_the_exchange(ticker, exchange):
    assert exchange_of(ticker) == exchange


def test_every_table_entry_is_an_exchange_calendars_code():
    names = set(exchange_calendars.get_calendar_names(include_aliases=True))
    assert set(YAHOO_SUFFIXES.values()) <= names
    assert set(DEFAULT_INDEX) <= names and set(INDEX_EXCHANGE.values()) <= names
    # each default index is read back as an index of its own exchange (XFRA shares Xetra's DAX)
    for mic, index in DEFAULT_INDEX.items():
        listing = listing_of(index)
        assert listing is not None and canonical(listing.exchange) in {canonical(mic), "XETR"}


def test_codes_are_checked_and_aliases_are_one_calendar():
    assert check_exchange("xlon") == "XLON" and check_exchange(" XTKS ") == "XTKS"
    assert canonical("XNAS") == "XNYS" and canonical("LSE") == "XLON"
    assert exchange_of("VOD.L", "LSE") == "LSE"  # an alias of London: no conflict
    assert exchange_of("FB", "XNAS") == "XNAS" and default_market("XNAS") == "^IXIC"
    with pytest.raises(ParameterError) as caught:
        check_exchange("XQQQ")
    message = str(caught.value)
    assert message.startswith("exchange: 'XQQQ' is not allowed; give an exchange_calendars code")
    assert "XLON (London)" in message and "\n" not in message


def test_a_suffix_that_contradicts_the_exchange_is_an_error():
    with pytest.raises(ParameterError) as caught:
        exchange_of("VOD.L", "XTKS")
    assert str(caught.value) == ("exchange: 'XTKS' is not allowed; VOD.L is listed on XLON (Yahoo "
                                 "suffix .L); give XLON or leave the exchange out")
    assert exchange_of("VOD.L", "XLON") == "XLON"
    assert exchange_of("FB", "XLON") == "XLON"  # no suffix: the exchange given is taken


def test_default_markets_and_exchanges_without_one():
    assert [default_market(m) for m in ("XNYS", "XLON", "XTKS", "XHKG", "XSHG")] == [
        "^GSPC", "^FTSE", "^N225", "^HSI", "000001.SS"]
    with pytest.raises(DataError, match="market: XBUD has no default market index"):
        default_market("XBUD")


def test_a_market_of_another_exchange_is_named_in_one_line():
    note = market_mismatch("VOD.L", "XLON", "^GSPC")
    assert note is not None and note.startswith("market: ^GSPC is an index of XNYS, but VOD.L is "
                                                "placed on XLON") and "\n" not in note
    assert "default is ^FTSE" in note
    assert market_mismatch("FB", "XNYS", "^IXIC") is None  # Nasdaq and NYSE: one calendar
    assert market_mismatch("FB", "XNYS", "SPY") is None  # a symbol without a suffix: a US listing
    assert market_mismatch("HSBA.L", "XLON", "URTH").startswith(
        "market: URTH is listed on XNYS, but HSBA.L is placed on XLON")


def test_calendars_start_where_their_holidays_are_recorded():
    # exchange_calendars records Tokyo's holidays from 1997 and Hong Kong's from 1960; the first
    # Tokyo session of 1997 is Monday 6 January (1-3 January are holidays, 4-5 a weekend)
    assert exchange_calendar("XTKS").first_session == pd.Timestamp("1997-01-06")
    assert exchange_calendar("XHKG").first_session.year == 1960
    assert exchange_calendar("XNYS").first_session == pd.Timestamp("1928-01-03")
    with pytest.raises(ParameterError) as caught:
        resolve_event("1990-05-01", exchange="XTKS")
    assert str(caught.value) == ("event_date: '1990-05-01' is not allowed; give a date on or after "
                                 "1997-01-06, the first session of the XTKS calendar")


@pytest.mark.parametrize("event, exchange, day0, moved", [
    # London: the Early May bank holiday 2018, the 16:30 close, the 12:30 close on Christmas Eve
    ("2018-05-07", "XLON", "2018-05-08", True),
    ("2018-08-06T16:29+01:00", "XLON", "2018-08-06", False),
    ("2018-08-06T16:30+01:00", "XLON", "2018-08-07", True),
    ("2018-12-24T12:45Z", "XLON", "2018-12-27", True),   # 25 and 26 December closed
    # Tokyo: Golden Week (3 and 4 May 2018), the 15:00 close, a UTC time that is the next day there
    ("2018-05-03", "XTKS", "2018-05-07", True),
    ("2018-05-02T14:59+09:00", "XTKS", "2018-05-02", False),
    ("2018-05-02T15:30+09:00", "XTKS", "2018-05-07", True),
    ("2018-05-01T23:30Z", "XTKS", "2018-05-02", False),    # 08:30 on 2 May in Tokyo
    ("2024-11-05T15:15+09:00", "XTKS", "2024-11-05", False),  # the close moved to 15:30
    # Hong Kong: typhoon Hato closed the exchange on 23 August 2017; the 16:00 close
    ("2017-08-23", "XHKG", "2017-08-24", True),
    ("2018-09-14T16:30+08:00", "XHKG", "2018-09-17", True),
    # New York: the 13:00 close after Thanksgiving, the national day of mourning of 2018-12-05
    ("2018-11-23T13:30-05:00", "XNYS", "2018-11-26", True),
    ("2018-12-05", "XNYS", "2018-12-06", True),
])
def test_day0_on_each_exchange_clock(event, exchange, day0, moved):
    day = resolve_event(event, exchange=exchange)
    assert day.day0 == pd.Timestamp(day0) and day.shifted == moved
    if moved:
        assert exchange_calendar(exchange).tz.key in day.reason or "not a" in day.reason
