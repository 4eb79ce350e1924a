"""Events on four exchanges in one batch: each day 0 on its own exchange's sessions and clock, each
event modelled on its own market index, and the batch equal to one ``run`` per event.

The prices are synthetic (:func:`eventstudy.data.synthetic.synthetic_prices`) on the real
calendars of New York, London, Tokyo and Hong Kong, served by the Yahoo fake in the shape yfinance
returns for ``.L``, ``.T`` and ``.HK`` symbols (midnights in each exchange's time zone). The days
0 expected are typed from the exchanges' published holidays and closing hours, and one event per
exchange is recomputed by least squares on the raw prices."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import ClusteredEventsWarning, DataQualityWarning
from eventstudy.studies.multi import run_multi_event_study
from fake_yahoo import FakeYahoo
from world import SECURITIES, serve, sessions, world

#: (ticker, event as given, day 0 by the exchange's published calendar, why)
EVENTS = [
    ("JPM", "2018-11-23T13:30-05:00", "2018-11-26", "after the 13:00 close of Thanksgiving Friday"),
    ("JPM", "2018-12-05", "2018-12-06", "national day of mourning, NYSE closed"),
    ("HSBA.L", "2018-05-07", "2018-05-08", "Early May bank holiday"),
    ("BARC.L", "2018-08-06T17:00+01:00", "2018-08-07", "after the 16:30 London close"),
    ("BARC.L", "2018-12-24T12:45Z", "2018-12-27", "after the 12:30 Christmas Eve close; 25-26 shut"),
    ("8306.T", "2018-05-03", "2018-05-07", "Golden Week: Constitution Day, then 4 May and a weekend"),
    ("7203.T", "2018-05-02T15:30+09:00", "2018-05-07", "after the 15:00 Tokyo close, before Golden Week"),
    ("0005.HK", "2017-08-23", "2017-08-24", "typhoon Hato: no trading in Hong Kong"),
    ("0700.HK", "2018-09-14T16:30+08:00", "2018-09-17", "after the 16:00 Hong Kong close, a Friday"),
]
EVENTS_TABLE = pd.DataFrame([e[:2] for e in EVENTS], columns=["ticker", "event_date"])
MARKET = {"XNYS": "^GSPC", "XLON": "^FTSE", "XTKS": "^N225", "XHKG": "^HSI"}


@pytest.fixture
def yahoo(monkeypatch, tmp_path):
    """The Yahoo fake serving the synthetic prices, each symbol in its exchange's time zone."""
    return serve(FakeYahoo().install(monkeypatch, tmp_path))


def ols_event(ticker: str, market: str, exchange: str, day0: str) -> dict[str, np.ndarray]:
    """The market model of one event by least squares on the raw prices: returns between the
    exchange's sessions on which both the security and the market have a price."""
    wide = world().pivot(index="date", columns="ticker", values="adj_close")[[ticker, market]]
    both = wide.dropna().loc[lambda f: f.index.isin(sessions(exchange))]
    returns = (both / both.shift(1) - 1).iloc[1:]
    p = returns.index.get_loc(pd.Timestamp(day0))
    est, evt = returns.iloc[p - 250 : p - 10], returns.iloc[p - 1 : p + 2]
    x = np.column_stack([np.ones(len(est)), est[market]])
    coef, *_ = np.linalg.lstsq(x, est[ticker].to_numpy(), rcond=None)
    resid = est[ticker].to_numpy() - x @ coef
    s2 = resid @ resid / (len(est) - 2)
    x0 = np.column_stack([np.ones(3), evt[market]])
    se = np.sqrt(s2 * (1 + np.einsum("ij,jk,ik->i", x0, np.linalg.inv(x.T @ x), x0)))
    return {"coef": coef, "abnormal": evt[ticker].to_numpy() - x0 @ coef, "se": se,
            "dates": evt.index.to_numpy()}


def test_a_batch_across_four_exchanges_equals_one_run_per_event(yahoo, tmp_path):
    cache = tmp_path / "cache"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        multi = run_multi_event_study(EVENTS_TABLE, source="yahoo", cache_dir=cache)
    ours = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert ours == []  # every symbol is checked on its own exchange's sessions: no false gaps
    events = multi.events
    assert [f"{d:%Y-%m-%d}" for d in events["day0"]] == [e[2] for e in EVENTS]
    assert events["exchange"].tolist() == ["XNYS", "XNYS", "XLON", "XLON", "XLON", "XTKS", "XTKS",
                                           "XHKG", "XHKG"]
    assert events["market"].tolist() == [MARKET[m] for m in events["exchange"]]
    assert events["market_default"].all()
    assert multi.counts == {"rows": 9, "studied": 0, "studied_day0_moved": 9, "duplicate": 0,
                            "skipped": 0}
    assert multi.accounting["exchange"].tolist() == events["exchange"].tolist()
    for row, event in events.iterrows():
        single = run_event_study(event["ticker"], event["event_date"], source="cache", cache_dir=cache)
        assert (single.exchange, single.market, single.market_default) == (
            event["exchange"], event["market"], True)
        assert single.day0 == event["day0"]
        np.testing.assert_allclose(single.days["abnormal"], multi.abnormal.loc[row], rtol=0, atol=1e-10)
        np.testing.assert_allclose(single.days["se"], multi.abnormal_se.loc[row], rtol=0, atol=1e-10)
        np.testing.assert_allclose(single.params.to_numpy(), events.loc[row, ["alpha", "beta"]].to_numpy(
            dtype=float), rtol=0, atol=1e-10)
        assert single.car.value == pytest.approx(event["car"], abs=1e-10)
        assert single.car.se == pytest.approx(event["car_se"], abs=1e-10)
    # one event per exchange, recomputed from the raw prices by least squares
    for row in (0, 2, 5, 7):
        ticker, exchange = events.loc[row, "ticker"], events.loc[row, "exchange"]
        direct = ols_event(ticker, MARKET[exchange], exchange, f"{events.loc[row, 'day0']:%Y-%m-%d}")
        np.testing.assert_allclose(events.loc[row, ["alpha", "beta"]].to_numpy(dtype=float),
                                   direct["coef"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(multi.abnormal.loc[row], direct["abnormal"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(multi.abnormal_se.loc[row], direct["se"], rtol=0, atol=1e-10)
    # the abnormal returns put into the prices show on day 0 of their events
    assert multi.abnormal.loc[2, 0] > 0.03 and multi.abnormal.loc[5, 0] < -0.02
    summary = multi.summary()
    assert "exchange" in summary and "^N225*" in summary and "default index" in summary


def test_a_security_on_another_exchange_than_its_index(yahoo, tmp_path):
    """HSBC in New York on the FTSE: warned about, and its returns run between the New York
    sessions on which London also traded (a holiday of either side is spanned by both)."""
    with pytest.warns(DataQualityWarning, match=r"market: \^FTSE is an index of XLON, but HSBC is "
                                                r"placed on XNYS"):
        single = run_event_study("HSBC", "2018-05-08", market="^FTSE", source="yahoo",
                                 cache_dir=tmp_path / "cache")
    assert single.exchange == "XNYS" and not single.market_default
    direct = ols_event("HSBC", "^FTSE", "XNYS", "2018-05-08")
    np.testing.assert_allclose(single.days["abnormal"], direct["abnormal"], rtol=0, atol=1e-10)
    # 2018-05-07 (a London holiday) is not a trading day; 2018-05-08's returns span it
    assert pd.Timestamp("2018-05-07") not in set(single.estimation_data.index) | set(single.days["date"])
    assert list(single.days["date"]) == list(direct["dates"])
    assert single.days["date"].iloc[0] == pd.Timestamp("2018-05-04")


@pytest.mark.filterwarnings("ignore::eventstudy.exceptions.ClusteredEventsWarning")  # two Tokyo
def test_the_same_batch_from_a_prices_panel(yahoo, tmp_path, capsys):                # events on 05-07
    """The user's own panel (a long prices file with the four markets) with exchange and market
    columns gives the numbers of the Yahoo route; the JSON says where each event was placed."""
    panel = tmp_path / "panel.csv"
    world()[["ticker", "date", "adj_close"]].rename(columns={"adj_close": "price"}).to_csv(
        panel, index=False, date_format="%Y-%m-%d")
    table = EVENTS_TABLE.assign(exchange=[e[0] for e in (SECURITIES[t] for t in EVENTS_TABLE["ticker"])],
                                market=[SECURITIES[t][1] for t in EVENTS_TABLE["ticker"]])
    events_file = tmp_path / "events.csv"
    table.to_csv(events_file, index=False)
    from_panel = run_multi_event_study(events_file, prices=panel)
    from_yahoo = run_multi_event_study(EVENTS_TABLE, source="yahoo", cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(from_panel.abnormal, from_yahoo.abnormal, rtol=0, atol=1e-10)
    assert from_panel.events["exchange"].tolist() == from_yahoo.events["exchange"].tolist()
    assert not from_panel.events["market_default"].any()
    assert main(["batch", str(events_file), "--prices", str(panel), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(e["exchange"], e["market"], e["day0"]) for e in payload["events"]] == [
        (SECURITIES[t][0], SECURITIES[t][1], d) for t, _, d, _ in EVENTS]


def test_rows_that_cannot_be_placed_and_news_shared_across_markets(yahoo, tmp_path):
    table = pd.DataFrame({
        "ticker": ["JPM", "HSBA.L", "8306.T", "0005.HK", "HSBA.L", "JPM"],
        "event_date": ["2018-03-22", "2018-03-22", "2018-03-22", "2018-03-22", "2018-03-23",
                       "2018-03-26"],
        "exchange": ["", "", "", "", "XTKS", "XNOPE"],
    })
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        multi = run_multi_event_study(table, source="yahoo", cache_dir=tmp_path / "cache")
    accounting = multi.accounting
    assert accounting["status"].tolist()[:4] == ["studied"] * 4
    assert accounting.loc[4, "reason"] == ("exchange: 'XTKS' is not allowed; HSBA.L is listed on XLON "
                                           "(Yahoo suffix .L); give XLON or leave the exchange out")
    assert accounting.loc[5, "reason"].startswith("exchange: 'XNOPE' is not allowed; give an "
                                                  "exchange_calendars code")
    shared = [str(w.message) for w in caught if issubclass(w.category, ClusteredEventsWarning)
              and "calendar date" in str(w.message)]
    assert shared == [multi.warnings[[i for i, w in enumerate(multi.warnings)
                                      if "calendar date" in w][0]]]
    assert shared[0].startswith("4 events on 4 exchanges share a calendar date (2018-03-22 on XHKG, "
                                "XLON, XNYS, XTKS)")


def test_command_line_messages(yahoo, tmp_path, capsys):
    cache = ["--source", "yahoo", "--cache-dir", str(tmp_path / "cache")]
    cases = [
        (["run", "VOD.L", "2018-05-08", "--exchange", "XTKS"],
         "eventstudy: error: exchange: 'XTKS' is not allowed; VOD.L is listed on XLON (Yahoo suffix "
         ".L); give XLON or leave the exchange out"),
        (["run", "JPM", "2018-05-08", "--exchange", "XNOPE"],
         "eventstudy: error: exchange: 'XNOPE' is not allowed; give an exchange_calendars code"),
        (["run", "7203.T", "1990-05-01", *cache],
         "eventstudy: error: event_date: '1990-05-01' is not allowed; give a date on or after "
         "1997-01-06, the first session of the XTKS calendar"),
    ]
    for argv, start in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(start) and err.count("\n") == 1, err
    assert main(["run", "HSBC", "2018-05-08", "--market", "^FTSE", *cache]) == 0
    captured = capsys.readouterr()
    warning = [line for line in captured.err.splitlines() if "index of XLON" in line]
    assert warning == [line for line in captured.err.splitlines() if line.startswith(
        "eventstudy: warning: market: ^FTSE is an index of XLON, but HSBC is placed on XNYS")]
    assert len(warning) == 1
    assert main(["run", "7203.T", "2018-05-02T15:30+09:00", *cache]) == 0
    out = capsys.readouterr().out
    assert "2018-05-02 15:30 Asia/Tokyo is at or after the 15:00 close: day 0 moved to the next " \
           "session, 2018-05-07" in out
    assert "sessions of XTKS (Asia/Tokyo)" in out and "market ^N225 (the default index of XTKS)" in out


def test_long_horizons_on_each_exchange(yahoo, tmp_path, capsys):
    """BHARs over 20 sessions of each event's own exchange against its own index, from the raw
    prices: P(day b) / P(day -1) for the security less the same for the market."""
    from eventstudy.studies.longrun import run_long_horizon

    table = EVENTS_TABLE.iloc[[1, 2, 5, 7]].reset_index(drop=True)
    result = run_long_horizon(table, (0, 20), source="yahoo", cache_dir=tmp_path / "cache",
                              n_bootstrap=10, seed=0)
    prices = world().pivot(index="date", columns="ticker", values="adj_close")
    expected = []
    for _, event in result.events.iterrows():
        exchange = SECURITIES[event["ticker"]][0]
        days = sessions(exchange)
        p = days.get_loc(event["day0"])
        before, last = days[p - 1], days[p + 20]
        growth = prices.loc[last] / prices.loc[before] - 1
        expected.append(growth[event["ticker"]] - growth[MARKET[exchange]])
    assert result.events["exchange"].tolist() == ["XNYS", "XLON", "XTKS", "XHKG"]
    assert result.events["benchmark_ticker"].tolist() == ["^GSPC", "^FTSE", "^N225", "^HSI"]
    np.testing.assert_allclose(result.events["bhar"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.paths()[20], expected, rtol=0, atol=1e-12)
    events_file = tmp_path / "events.csv"
    table.to_csv(events_file, index=False)
    assert main(["longrun", str(events_file), "--horizon", "0", "20", "--bootstrap", "10", "--source",
                 "yahoo", "--cache-dir", str(tmp_path / "cache"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [e["exchange"] for e in payload["events"]] == ["XNYS", "XLON", "XTKS", "XHKG"]
