"""The calendar-time portfolio of events on London, Tokyo and Hong Kong: each held over its own
exchange's sessions, on calendar days or months shared by the three, rebuilt by loops over the
raw prices and regressed by statsmodels."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.data.snapshot import load_factors
from eventstudy.exceptions import ParameterError, SmallSampleWarning
from eventstudy.studies.calendar_time import run_calendar_time
from fake_yahoo import FakeYahoo
from world import SECURITIES, serve, sessions, world

EVENTS = pd.DataFrame({
    "ticker": ["HSBA.L", "BARC.L", "8306.T", "7203.T", "0005.HK", "0700.HK", "HSBA.L", "8306.T"],
    "event_date": ["2018-05-07", "2018-06-12", "2018-05-03", "2018-07-02", "2017-08-23",
                   "2018-09-14T16:30+08:00", "2018-10-01", "2018-11-20"],
})
HORIZON = (1, 30)


@pytest.fixture
def yahoo(monkeypatch, tmp_path):
    return serve(FakeYahoo().install(monkeypatch, tmp_path))


def holdings_by_hand() -> list[tuple[str, str, pd.Timestamp, pd.Timestamp]]:
    """(ticker, exchange, first day held, last day held): days 1 and 30 after day 0 on the
    security's own exchange (day 0: the first session on or after the local event date)."""
    out = []
    for ticker, given in EVENTS.itertuples(index=False):
        exchange = SECURITIES[ticker][0]
        days = sessions(exchange)
        stamp = pd.Timestamp(given)
        if stamp.tzinfo is not None:  # 16:30 in Hong Kong is after its 16:00 close
            local = stamp.tz_convert("Asia/Hong_Kong")
            p = days.searchsorted(pd.Timestamp(local.date())) + 1
        else:
            p = days.searchsorted(stamp)
        out.append((ticker, exchange, days[p + HORIZON[0]], days[p + HORIZON[1]]))
    return out


@functools.cache
def own_returns(ticker: str) -> pd.Series:
    """Returns between the security's own sessions (its index trades on the same ones)."""
    prices = world().loc[lambda f: f["ticker"] == ticker].set_index("date")["adj_close"]
    return (prices / prices.shift(1) - 1).iloc[1:]


def test_daily_portfolio_on_the_days_of_three_exchanges(yahoo, tmp_path):
    factors = load_factors("ff3")
    result = run_calendar_time(EVENTS, HORIZON, "ff3", source="yahoo", cache_dir=tmp_path / "cache",
                               factors=factors)
    held = holdings_by_hand()
    days = sorted(set().union(*(set(sessions(SECURITIES[t][0])) for t in EVENTS["ticker"])))
    rows = []
    for day in days:
        members = {}
        for ticker, _, first, last in held:
            r = own_returns(ticker)
            if first <= day <= last and day in r.index:
                members[ticker] = r[day]  # a security is held once however many events are active
        if members and day in factors.index:
            f = factors.loc[day]
            rows.append((day, np.mean(list(members.values())) - f["RF"], f["Mkt-RF"], f["SMB"],
                         f["HML"], len(members)))
    frame = pd.DataFrame(rows, columns=["date", "excess", "mkt", "smb", "hml", "size"]).set_index("date")
    fit = sm.OLS(frame["excess"], sm.add_constant(frame[["mkt", "smb", "hml"]])).fit()
    assert len(result.portfolio) == len(frame)
    assert list(result.portfolio.index) == list(frame.index)
    np.testing.assert_allclose(result.portfolio["excess"], frame["excess"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(result.portfolio["size"], frame["size"])
    assert result.alpha == pytest.approx(fit.params["const"], abs=1e-12)
    # Tokyo and Hong Kong sessions on US holidays have no factors: dropped and counted
    assert result.dropped["no_factors"] > 0 and result.n_events == len(EVENTS)


def test_monthly_portfolio_compounds_each_security_over_its_own_sessions(yahoo, tmp_path):
    factors = load_factors("ff3")
    with pytest.warns(SmallSampleWarning, match="12 monthly periods"):  # a short sample, said so
        result = run_calendar_time(EVENTS, (0, 2), "ff3", frequency="monthly", source="yahoo",
                                   cache_dir=tmp_path / "cache", factors=factors)
    months = {}
    for ticker, exchange, first_held, _ in holdings_by_hand():
        day0 = sessions(exchange)[sessions(exchange).get_loc(first_held) - HORIZON[0]]
        first = day0.to_period("M")
        for k in range(3):
            months.setdefault(first + k, set()).add(ticker)
    rows = []
    for month in sorted(months):
        rets = []
        for ticker in sorted(months[month]):
            r = own_returns(ticker)
            inside = r[r.index.to_period("M") == month]
            rets.append(np.prod(1 + inside.to_numpy()) - 1)
        f = factors[factors.index.to_period("M") == month]
        rf = np.prod(1 + f["RF"]) - 1
        mkt = np.prod(1 + f["Mkt-RF"] + f["RF"]) - 1 - rf
        rows.append((month.to_timestamp(), np.mean(rets) - rf, mkt, np.prod(1 + f["SMB"]) - 1,
                     np.prod(1 + f["HML"]) - 1))
    frame = pd.DataFrame(rows, columns=["month", "excess", "mkt", "smb", "hml"]).set_index("month")
    assert list(result.portfolio.index) == list(frame.index)
    np.testing.assert_allclose(result.portfolio["excess"], frame["excess"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.portfolio["Mkt-RF"], frame["mkt"], rtol=0, atol=1e-12)


def test_one_capm_market_for_events_of_several_markets(yahoo, tmp_path):
    with pytest.raises(ParameterError, match=r"the CAPM's market factor is one market, and the events "
                                             r"have 3 \(\^FTSE, \^N225, \^HSI\)"):
        run_calendar_time(EVENTS, HORIZON, "capm", source="yahoo", cache_dir=tmp_path / "cache")
