"""Multi-event studies: per-event numbers, AAR/CAAR, skipped events, and the batch command."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import ClusteredEventsWarning, DataError, ParameterError
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.inference.multi_event import TEST_NAMES
from independent import reference_study

SPREAD = pd.DataFrame({
    "ticker": ["FB", "AAPL", "JPM", "GOOGL", "AMZN", "WFC"],
    "event_date": ["2018-08-06", "2018-05-02", "2018-10-12", "2019-04-30", "2019-02-01", "2017-10-13"],
})


@pytest.fixture(scope="module")
def spread():
    return run_multi_event_study(SPREAD, window=(-2, 2), car_window=(-1, 1))


def test_per_event_numbers_are_the_single_event_study(spread, data_dir):
    assert spread.n_events == 6 and spread.skipped.empty
    events = spread.events
    for row in events.itertuples():
        ref = reference_study(data_dir, row.ticker, dt.date.fromisoformat(row.event_date), window=(-2, 2))
        single = run_event_study(row.ticker, row.event_date, window=(-2, 2))
        car = single.cumulative(-1, 1)
        assert_allclose([row.car, row.car_se, row.car_t, row.car_p], [car.value, car.se, car.t, car.p], rtol=1e-12)
        assert_allclose(row.car, ref.abnormal[1:4].sum(), rtol=1e-10)


def test_aar_and_caar_by_hand(spread, data_dir):
    ars = np.array([
        reference_study(data_dir, t, dt.date.fromisoformat(d), window=(-2, 2)).abnormal
        for t, d in zip(SPREAD["ticker"], SPREAD["event_date"])
    ])
    assert_allclose(spread.aar.to_numpy(), ars.mean(axis=0), rtol=1e-10)
    assert_allclose(spread.caar_path.to_numpy(), np.cumsum(ars.mean(axis=0)), rtol=1e-10)
    assert_allclose(spread.caar, ars[:, 1:4].mean(axis=0).sum(), rtol=1e-10)


def test_every_test_for_every_day_and_the_window(spread):
    frame = spread.tests_frame()
    assert set(frame["name"]) == set(TEST_NAMES)
    per_day = frame[frame["rel_day"].notna()]
    assert sorted(set(per_day["rel_day"])) == [-2, -1, 0, 1, 2]
    assert len(per_day) == 5 * len(TEST_NAMES)
    window = frame[frame["rel_day"].isna()]
    assert len(window) == len(TEST_NAMES) and all(w == [-1, 1] for w in window["window"])
    # Independent check of the window's cross-sectional t: scipy's one-sample t on the CARs.
    scipy_t = stats.ttest_1samp(spread.events["car"], 0.0)
    row = window.set_index("name").loc["cross_sectional_t"]
    assert_allclose([row["stat"], row["p"]], [scipy_t.statistic, scipy_t.pvalue], rtol=1e-10)
    assert all(np.isfinite(frame["stat"])) and all((frame["p"] >= 0) & (frame["p"] <= 1))


def test_clustered_events_warn_and_skipped_events_keep_their_reason():
    events = pd.DataFrame({
        "ticker": ["JPM", "WFC", "C", "USB", "XYZ", "SNAP"],
        "event_date": ["2018-08-06"] * 5 + ["2017-04-03"],
    })
    with pytest.warns(ClusteredEventsWarning, match="share a day-0 date"):
        result = run_multi_event_study(events)
    assert result.n_events == 4
    assert list(result.skipped["ticker"]) == ["XYZ", "SNAP"]
    assert "ticker: 'XYZ' has no data in the committed snapshot" in result.skipped["reason"].iloc[0]
    assert "too little history for 'SNAP'" in result.skipped["reason"].iloc[1]
    assert "share a day-0 date" in result.warnings[0]


def test_per_event_market_column():
    events = pd.DataFrame({"ticker": ["FB", "AAPL"], "event_date": ["2018-08-06", "2018-05-02"],
                           "market": ["SPY", ""]})
    result = run_multi_event_study(events)
    assert list(result.events["market"]) == ["SPY", "^GSPC"]
    assert_allclose(result.events["car"].iloc[0], run_event_study("FB", "2018-08-06", market="SPY").car.value, rtol=1e-12)
    assert_allclose(result.events["car"].iloc[1], run_event_study("AAPL", "2018-05-02").car.value, rtol=1e-12)


def test_bad_tables_and_too_few_events():
    with pytest.raises(ParameterError, match=r"events: \['symbol', 'date'\] is not allowed; the events table needs a security column \(ticker or security\) and an event_date column"):
        run_multi_event_study(pd.DataFrame({"symbol": ["FB"], "date": ["2018-08-06"]}))
    with pytest.raises(DataError, match="events: 1 of 2 events could be studied; the multi-event tests need at least 2"):
        run_multi_event_study(pd.DataFrame({"ticker": ["FB", "NOPE"], "event_date": ["2018-08-06"] * 2}))
    with pytest.raises(ParameterError, match=r"car_window: \(-3, 1\) is not allowed; stay inside the event window"):
        run_multi_event_study(SPREAD, car_window=(-3, 1))
    with pytest.raises(ParameterError, match="events: '.*missing.csv' is not allowed; no such file"):
        run_multi_event_study("missing.csv")


def test_batch_json(tmp_path, capsys):
    path = tmp_path / "events.csv"
    SPREAD.to_csv(path, index=False)
    assert main(["batch", str(path), "--json", "--window", "-2", "2", "--car-window", "-1", "1"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["model"] == "market" and payload["n_events"] == 6
    assert set(payload) == {"model", "measure", "alternative", "adjust", "n_events", "events", "aar", "caar",
                            "variance_ratio", "tests", "skipped",
                            "accounting", "warnings"}
    assert set(payload["events"][0]) == {"ticker", "event_date", "day0", "car", "car_se", "car_t", "car_p",
                                         "car_sq_p", "exchange", "market", "market_default"}
    assert payload["events"][0]["exchange"] == "XNYS" and payload["events"][0]["market"] == "^GSPC"
    assert payload["events"][0]["market_default"] is True
    assert {row["exchange"] for row in payload["accounting"]["rows"]} == {"XNYS"}
    assert [a["rel_day"] for a in payload["aar"]] == [-2, -1, 0, 1, 2]
    assert len(payload["caar"]) == 1
    assert payload["caar"][0]["start"] == -1 and payload["caar"][0]["end"] == 1
    direct = run_multi_event_study(SPREAD, window=(-2, 2), car_window=(-1, 1))
    assert payload["caar"][0]["value"] == pytest.approx(direct.caar, rel=1e-14)
    assert payload["accounting"]["counts"] == {"rows": 6, "studied": 6, "studied_day0_moved": 0,
                                               "duplicate": 0, "skipped": 0}
    patell_window = [t for t in payload["tests"] if t["name"] == "patell" and t["window"] == [-1, 1]]
    assert len(patell_window) == 1 and patell_window[0]["rel_day"] is None
    assert payload["skipped"] == [] and err == ""


def test_batch_reports_skips_and_warnings_on_stderr(tmp_path, capsys):
    path = tmp_path / "banks.csv"
    path.write_text("ticker,event_date\nJPM,2018-08-06\nWFC,2018-08-06\nC,2018-08-06\nNOPE,2018-08-06\n")
    assert main(["batch", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "Multi-event study: 3 events" in out and "kolari_pynnonen_bmp" in out
    lines = err.splitlines()
    assert any(l.startswith("eventstudy: warning: 3 of 3 events share a day-0 date") for l in lines)
    assert any(l.startswith("eventstudy: skipped NOPE 2018-08-06: ticker: 'NOPE'") for l in lines)


def test_batch_bad_request_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("symbol,when\nFB,2018-08-06\n")
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventstudy: error: events: ['symbol', 'when'] is not allowed")


def test_event_timestamps_follow_the_exchange_calendar():
    """After-close and weekend timestamps place day 0 as in the single-event study."""
    events = pd.DataFrame({
        "ticker": ["FB", "FB", "AAPL"],
        "event_date": ["2018-07-25T16:05-04:00", "2018-03-17T12:00-04:00", "2018-05-01T16:30-04:00"],
    })
    result = run_multi_event_study(events)
    assert [f"{d:%Y-%m-%d}" for d in result.events["day0"]] == ["2018-07-26", "2018-03-19", "2018-05-02"]
    single = run_event_study("FB", "2018-07-25T16:05-04:00")
    assert result.events["car"].iloc[0] == pytest.approx(single.car.value, rel=1e-10)
    assert result.labels == ["FB 2018-07-26", "FB 2018-03-19", "AAPL"]
    with pytest.raises(DataError, match="2018-03-17 is not a NYSE session"):
        run_multi_event_study(events.iloc[1:2].assign(ticker="FB").pipe(lambda e: pd.concat([e, e])), non_session="raise")


def test_batch_plot_and_its_charts(tmp_path, capsys):
    import matplotlib.pyplot as plt

    from eventstudy.report.multi_charts import plot_aar, plot_car_distribution

    path = tmp_path / "events.csv"
    SPREAD.to_csv(path, index=False)
    png = tmp_path / "batch.png"
    assert main(["batch", str(path), "--plot", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and f"Charts written to {png}" in capsys.readouterr().out
    assert main(["batch", str(path), "--plot", str(tmp_path / "no" / "x.png")]) == 2
    assert "--plot: cannot write" in capsys.readouterr().err
    result = run_multi_event_study(SPREAD)
    fig, (left, right) = plt.subplots(1, 2)
    plot_aar(result, ax=left)
    assert_allclose([p.get_height() for p in left.patches], result.aar.to_numpy() * 100)
    plot_car_distribution(result, ax=right)
    assert sum(p.get_height() for p in right.patches) == result.n_events
    assert right.get_title() and right.get_xlabel() and right.get_ylabel()


def test_batch_from_yahoo_then_offline_from_the_cache(monkeypatch, tmp_path, data_dir, capsys):
    """source='yahoo' fetches (through yfinance, its network answer faked) what the windows need;
    the numbers equal the snapshot's; a ticker Yahoo has no data for is skipped with its reason;
    source='cache' then runs offline."""
    from fake_yahoo import FakeYahoo, snapshot_history

    fake = FakeYahoo().install(monkeypatch, tmp_path)
    for ticker, symbol in [("FB", "META"), ("^GSPC", "^GSPC"), ("JPM", "JPM"), ("WFC", "WFC")]:
        fake.histories[symbol] = snapshot_history(data_dir, ticker)
    events = pd.DataFrame({"ticker": ["FB", "JPM", "WFC", "NOPE"],
                           "event_date": ["2018-08-06", "2018-05-02", "2018-10-12", "2018-08-06"]})
    cache = tmp_path / "cache"
    live = run_multi_event_study(events, source="yahoo", cache_dir=cache)
    assert sorted(set(fake.symbols_requested())) == ["JPM", "META", "NOPE", "WFC", "^GSPC"]
    snapshot = run_multi_event_study(events.iloc[:3])
    assert_allclose(live.events["car"].to_numpy(), snapshot.events["car"].to_numpy(), rtol=1e-12)
    assert live.skipped["ticker"].tolist() == ["NOPE"]
    assert "ticker 'NOPE': Yahoo returned no data" in live.skipped["reason"].iloc[0]
    fake.requests.clear()
    path = tmp_path / "events.csv"
    events.iloc[:3].to_csv(path, index=False)
    assert main(["batch", str(path), "--source", "cache", "--cache-dir", str(cache), "--json"]) == 0
    assert fake.requests == []
    payload = json.loads(capsys.readouterr().out)
    assert_allclose([e["car"] for e in payload["events"]], snapshot.events["car"].to_numpy(), rtol=1e-12)
