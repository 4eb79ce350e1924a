"""Every event accounted for: statuses and counts, duplicates, exclude_events, several CAR
windows, --output tables, and no non-finite number anywhere."""

from __future__ import annotations

import datetime as dt
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.cli import main
from eventstudy.defaults import TEST_NAMES
from eventstudy.data.snapshot import load_prices
from eventstudy.data.returns import simple_returns
from independent import reference_study

ROWS = pd.DataFrame({
    "ticker": ["FB", " AAPL ", "JPM", "FB", "NOPE", "JPM", "WFC", "FB", "GOOGL"],
    "event_date": [
        "2018-08-06",              # 0 studied
        "2018-05-02",              # 1 studied (ticker with spaces)
        "2018-10-13",              # 2 a Saturday: day 0 moved to Monday 2018-10-15
        "2018-08-06T10:00-04:00",  # 3 FB, same day 0 as row 0 spelled otherwise: duplicate
        "2018-08-06",              # 4 unknown ticker: skipped
        "2018-10-15",              # 5 same day 0 as row 2: duplicate
        "1990-01-02",              # 6 before the data: skipped, never moved to 2016
        "2018-08-03T16:30-04:00",  # 7 after the close on Friday: day 0 Monday 2018-08-06: duplicate
        "2016-01-20",              # 8 too little history: skipped
    ],
})


@pytest.fixture(scope="module")
def accounted():
    return run_multi_event_study(ROWS, estimation=(-200, -11), window=(-5, 5),
                                 car_windows=[(-1, 1), (0, 0), (-5, 5)])


def test_every_row_has_one_status_and_the_counts_add_up(accounted):
    acc = accounted.accounting
    assert list(acc.index) == list(range(len(ROWS)))
    assert list(acc["status"]) == ["studied", "studied", "studied_day0_moved", "duplicate", "skipped",
                                   "duplicate", "skipped", "duplicate", "skipped"]
    counts = accounted.counts
    assert counts == {"rows": 9, "studied": 2, "studied_day0_moved": 1, "duplicate": 3, "skipped": 3}
    assert sum(v for k, v in counts.items() if k != "rows") == counts["rows"]
    assert accounted.n_events == counts["studied"] + counts["studied_day0_moved"]
    assert acc.loc[3, "duplicate_of"] == 0 and acc.loc[5, "duplicate_of"] == 2 and acc.loc[7, "duplicate_of"] == 0
    assert "day 0 moved to the next trading day, 2018-10-15" in acc.loc[2, "reason"]
    assert "outside the data's trading days 2016-01-05..2019-12-31" in acc.loc[6, "reason"]
    assert pd.isna(acc.loc[6, "day0"])
    assert "'NOPE'" in acc.loc[4, "reason"] and "too little history" in acc.loc[8, "reason"]
    assert list(accounted.events["ticker"]) == ["FB", "AAPL", "JPM"]


def test_an_event_before_the_data_is_never_moved(capsys, tmp_path):
    path = tmp_path / "early.csv"
    path.write_text("ticker,event_date\nJPM,2012-06-01\nFB,2018-08-06\nAAPL,2018-05-02\n")
    assert main(["batch", str(path), "--estimation", "2", "200", "--window", "0", "1", "--json"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert [e["ticker"] for e in payload["events"]] == ["FB", "AAPL"]
    assert payload["accounting"]["rows"][0]["status"] == "skipped"
    assert payload["accounting"]["rows"][0]["day0"] is None
    assert "eventstudy: skipped JPM 2012-06-01: event_date: 2012-06-01 is outside" in captured.err


def test_several_car_windows_have_their_caar_and_tests(accounted, data_dir):
    frame = accounted.tests_frame()
    for window in ([-1, 1], [0, 0], [-5, 5]):
        rows = frame[frame["window"].apply(lambda w, window=window: w == window)]
        assert len(rows) == len(TEST_NAMES)
    aar = accounted.aar
    assert accounted.caar_over(accounted.car_windows[2]) == pytest.approx(aar.sum(), rel=1e-12)
    jpm = accounted.events.loc[2]
    single = run_event_study("JPM", "2018-10-13", estimation=(-200, -11), window=(-5, 5))
    car = single.cumulative(-5, 5)
    assert_allclose([jpm["car(-5,+5)"], jpm["car_se(-5,+5)"], jpm["car_p(-5,+5)"]],
                    [car.value, car.se, car.p], rtol=1e-10)
    day0 = single.cumulative(0, 0)
    assert_allclose([jpm["car(0,0)"], jpm["car_t(0,0)"]], [day0.value, day0.t], rtol=1e-10)
    ref = reference_study(data_dir, "JPM", dt.date(2018, 10, 15), estimation=(-200, -11), window=(-1, 1))
    assert_allclose([jpm["car"], jpm["car_se"]], [ref.car, ref.car_se], rtol=1e-9)
    # the window's cross-sectional t, by hand
    cars = accounted.events["car(-5,+5)"].to_numpy()
    t = cars.mean() / (cars.std(ddof=1) / math.sqrt(len(cars)))
    row = frame[(frame["name"] == "cross_sectional_t") & frame["window"].apply(lambda w: w == [-5, 5])]
    assert row["stat"].iloc[0] == pytest.approx(t, rel=1e-12)


def test_repeated_events_give_finite_json(tmp_path, capsys):
    path = tmp_path / "twice.csv"
    path.write_text("ticker,event_date\nFB,2018-08-06\nFB,2018-08-06\nAAPL,2018-05-02\nAAPL,2018-05-02\n")
    assert main(["batch", str(path), "--json"]) == 0
    text = capsys.readouterr().out
    payload = json.loads(text)  # parses: no NaN or Infinity
    assert payload["n_events"] == 2
    assert payload["accounting"]["counts"]["duplicate"] == 2
    assert "Infinity" not in text and "NaN" not in text
    assert all(t["stat"] is None or math.isfinite(t["stat"]) for t in payload["tests"])


def _independent_fit(returns: pd.Series, market: pd.Series, est_days, event_days):
    """statsmodels OLS on the estimation days given, prediction-error CAR variance."""
    y, x = returns[est_days].to_numpy(), sm.add_constant(market[est_days].to_numpy())
    keep = np.isfinite(y)
    fit = sm.OLS(y[keep], x[keep]).fit()
    x_star = sm.add_constant(market[event_days].to_numpy(), has_constant="add")
    abnormal = returns[event_days].to_numpy() - fit.predict(x_star)
    summed = fit.get_prediction(x_star.sum(axis=0, keepdims=True))
    car_se = math.sqrt(len(event_days) * fit.scale + summed.se_mean[0] ** 2)
    return abnormal.sum(), car_se, int(keep.sum())


def test_exclude_events_drops_the_other_windows_from_the_estimation():
    prices = load_prices(["FB", "^GSPC"])
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == "^GSPC", "date"])
    returns = simple_returns(prices, calendar=calendar)
    days = returns.index
    events = pd.DataFrame({"ticker": ["FB", "FB", "FB", "FB"],
                           "event_date": ["2018-03-19", "2018-06-29", "2018-07-26", "2018-08-06"]})
    result = run_multi_event_study(events, window=(-2, 2), exclude_events=True)
    plain = run_multi_event_study(events, window=(-2, 2))
    lost = result.accounting["estimation_days_lost"].tolist()
    # each later estimation window (-250, -11) holds the 5-day event windows of the earlier
    # events, except 07-26's, which ends after 08-06's estimation window (day -11: 2018-07-20)
    assert lost == [0, 5, 10, 10]
    assert (plain.events["nobs"] - result.events["nobs"]).tolist() == lost
    for row, event in result.events.iterrows():
        pos = days.get_loc(pd.Timestamp(event["day0"]))
        est = days[pos - 250 : pos - 10]
        blocked = set()
        for other, other_event in result.events.iterrows():
            if other != row:
                p = days.get_loc(pd.Timestamp(other_event["day0"]))
                blocked |= set(days[p - 2 : p + 3])
        stock = returns["FB"].copy()
        stock[stock.index.isin(list(blocked))] = np.nan
        car, car_se, nobs = _independent_fit(stock, returns["^GSPC"], est, days[pos - 2 : pos + 3])
        assert_allclose([event["car"], event["car_se"]], [car, car_se], rtol=1e-9)
        assert event["nobs"] == nobs


def test_output_tables_in_csv_and_parquet(tmp_path, capsys):
    path = tmp_path / "events.csv"
    # NOPE is unknown; SNAP 2017-03-10 is skipped by the engine (too little history): the long
    # table's dates must still belong to the studied events
    pd.DataFrame({"ticker": ["SNAP", "FB", "AAPL", "JPM", "NOPE"],
                  "event_date": ["2017-03-10", "2018-08-06", "2018-05-02", "2018-10-12", "2018-01-02"],
                  "surprise": [0.3, 0.5, -0.1, 0.2, 0.0]}).to_csv(path, index=False)
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"out_{fmt}"
        assert main(["batch", str(path), "--window", "-2", "2", "--output", str(out),
                     "--format", fmt, "--car-window", "-1", "1", "--car-window", "0", "2"]) == 0
        capsys.readouterr()
        con = duckdb.connect()
        read = (lambda name: con.execute(
            f"SELECT * FROM read_{'parquet' if fmt == 'parquet' else 'csv'}('{out}/{name}.{fmt}')").fetchdf())
        events, long, tests, accounting = (read(n) for n in ("events", "abnormal_returns", "tests", "accounting"))
        assert len(events) == 3 and "surprise" in events.columns and "car(0,+2)" in events.columns
        assert len(long) == 3 * 5 and list(long.columns) == ["row", "ticker", "rel_day", "date", "abnormal", "se", "t", "p"]
        assert len(accounting) == 5 and accounting["status"].tolist() == ["skipped"] + ["studied"] * 3 + ["skipped"]
        assert len(tests) == len(TEST_NAMES) * (5 + 2)
        fb = long[long["ticker"] == "FB"].sort_values("rel_day")
        single = run_event_study("FB", "2018-08-06", window=(-2, 2))
        assert_allclose(fb["abnormal"], single.days["abnormal"], rtol=1e-10)
        assert_allclose(fb["p"], single.days["p"], rtol=1e-8)
        assert [f"{pd.Timestamp(d):%Y-%m-%d}" for d in fb["date"]] == [f"{d:%Y-%m-%d}" for d in single.days["date"]]
        jpm = long[long["ticker"] == "JPM"].sort_values("rel_day")
        assert [f"{pd.Timestamp(d):%Y-%m-%d}" for d in jpm["date"]] == [
            f"{d:%Y-%m-%d}" for d in run_event_study("JPM", "2018-10-12", window=(-2, 2)).days["date"]]


def test_batch_regress_equals_statsmodels_on_the_events_table(tmp_path, capsys):
    import statsmodels.formula.api as smf

    events = pd.DataFrame({
        "ticker": ["FB", "AAPL", "JPM", "GOOGL", "AMZN", "WFC", "C", "USB"],
        "event_date": ["2018-08-06", "2018-05-02", "2018-10-12", "2019-04-30", "2019-02-01",
                       "2017-10-13", "2018-07-13", "2018-07-18"],
        "surprise": [0.4, 1.2, -0.3, 0.8, -1.1, 0.1, 0.5, -0.6],
    })
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert main(["batch", str(path), "--regress", "car ~ surprise", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    direct = run_multi_event_study(events)
    frame = pd.DataFrame({"car": [e["car"] for e in payload["events"]], "surprise": events["surprise"]})
    fit = smf.ols("car ~ surprise", data=frame).fit(cov_type="HC3", use_t=True)  # p from t(n - k)
    terms = {t["name"]: t for t in payload["regression"]["terms"]}
    assert payload["regression"]["n"] == 8 and payload["regression"]["cov"] == "hc3"
    assert_allclose([terms["surprise"]["coef"], terms["surprise"]["se"], terms["surprise"]["p"]],
                    [fit.params["surprise"], fit.bse["surprise"], fit.pvalues["surprise"]], rtol=1e-10)
    scar = direct.regress("scar ~ surprise", cov="ols")
    by_hand = smf.ols("scar ~ surprise", data=frame.assign(
        scar=direct.events["car"].to_numpy() / direct.events["car_se"].to_numpy())).fit()
    assert_allclose(scar.params["surprise"], by_hand.params["surprise"], rtol=1e-10)


def test_batch_volume_and_garch_equal_the_single_path(tmp_path, capsys):
    events = pd.DataFrame({"ticker": ["FB", "AAPL", "JPM", "WFC"],
                           "event_date": ["2018-08-06", "2018-05-02", "2018-10-12", "2017-10-13"]})
    volume = run_multi_event_study(events, measure="volume")
    for row in volume.events.itertuples():
        single = run_event_study(row.ticker, row.event_date, measure="volume")
        assert_allclose([row.car, row.car_se], [single.car.value, single.car.se], rtol=1e-10)
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert main(["batch", str(path), "--model", "garch", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    for event in payload["events"]:
        single = run_event_study(event["ticker"], event["event_date"], model="garch")
        assert_allclose([event["car"], event["car_se"]], [single.car.value, single.car.se], rtol=1e-8)
    assert {t["name"] for t in payload["tests"]} >= {"savickas", "patell"}


def test_streamed_json_is_the_result_as_a_dict(accounted):
    import io

    stream = io.BytesIO()
    accounted.write_json(stream, chunk=2)  # several chunks on purpose
    streamed = json.loads(stream.getvalue())
    assert streamed == json.loads(json.dumps(accounted.to_dict()))
    assert list(streamed)[:5] == ["model", "measure", "alternative", "n_events", "events"]
    assert streamed["accounting"]["rows"][6]["day0"] is None
    assert streamed["accounting"]["rows"][3]["duplicate_of"] == 0


def test_one_sided_car_p_values_follow_the_alternative():
    from scipy import stats

    events = pd.DataFrame({"ticker": ["FB", "AAPL", "JPM"], "event_date": ["2018-08-06", "2018-05-02", "2018-10-12"]})
    greater = run_multi_event_study(events, alternative="greater")
    less = run_multi_event_study(events, alternative="less")
    rows = greater.events
    assert_allclose(rows["car_p"], stats.t.sf(rows["car_t"], rows["df"]), rtol=1e-10)
    assert_allclose(less.events["car_p"], stats.t.cdf(rows["car_t"], rows["df"]), rtol=1e-10)
    assert greater.to_dict()["alternative"] == "greater"


def test_batch_variance_ratio_per_day_by_hand(accounted):
    sar = accounted.abnormal.to_numpy() / accounted.abnormal_se.to_numpy()
    df = accounted.events["df"].to_numpy(dtype=float)
    expected = sar.var(axis=0, ddof=1) / np.mean(df / (df - 2))
    assert_allclose(accounted.variance_ratio["ratio"].to_numpy(), expected, rtol=1e-12)
    payload = accounted.to_dict()["variance_ratio"]
    assert [row["rel_day"] for row in payload] == list(range(-5, 6))
    assert "var ratio" in accounted.summary()
