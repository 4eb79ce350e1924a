"""Each event's sample-quantile p-value in a multi-event study: equal to the single-event path
and to a plain loop over the event's residuals, for every CAR window, the alternatives and the
GARCH model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.cli import main

EVENTS = pd.DataFrame({
    "ticker": ["FB", "JPM", "WFC", "AAPL", "GOOGL", "C"],
    "event_date": ["2018-08-06", "2018-03-14", "2017-10-13", "2018-05-02", "2019-02-05",
                   "2018-01-16"],
})


def loop_p(residuals, value, m, alternative):
    sums = [sum(residuals[j : j + m]) for j in range(len(residuals) - m + 1)
            if not np.isnan(residuals[j : j + m]).any()]
    greater = sum(s >= value for s in sums) / len(sums)
    less = sum(s <= value for s in sums) / len(sums)
    return {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater, "less": less}[
        alternative], len(sums)


@pytest.mark.parametrize("alternative, tests", [("two-sided", None), ("greater", ["bmp"])])
def test_per_event_sq_equals_the_single_path_and_a_loop(alternative, tests):
    """With every test the residuals come from the tests' pass; with BMP alone (which reads no
    residual) from a pass of their own."""
    result = run_multi_event_study(EVENTS.assign(car_sq_p=1.0), window=(-2, 3),
                                   car_windows=[(-1, 1), (0, 0)], alternative=alternative,
                                   tests=tests)
    assert "car_sq_p_input" in result.events.columns  # the user's column kept, renamed
    events = result.events
    residuals = result.residuals.to_numpy()
    for i, (row, event) in enumerate(events.iterrows()):
        single = run_event_study(event["ticker"], event["event_date"], window=(-2, 3),
                                 alternative=alternative)
        for suffix, (a, b) in (("", (-1, 1)), ("(0,0)", (0, 0))):
            sq = single.sample_quantile(a, b)
            assert event[f"car_sq_p{suffix}"] == pytest.approx(sq.p, abs=1e-12)
            assert event[f"car_sq_n{suffix}"] == sq.n
            car = result.abnormal.loc[row, a:b].sum()
            p, n = loop_p(residuals[i], car, b - a + 1, alternative)
            assert event[f"car_sq_p{suffix}"] == pytest.approx(p, abs=1e-12) and n == sq.n
    payload = result.to_dict()
    assert payload["events"][0]["car_sq_p"] == pytest.approx(events["car_sq_p"].iloc[0])
    assert [w["car_sq_p"] for w in payload["events"][0]["windows"]] == pytest.approx(
        events[["car_sq_p", "car_sq_p(0,0)"]].iloc[0].tolist())
    assert "SQ p" in str(result.summary())


def test_garch_batch_sq_equals_the_single_path():
    events = EVENTS.iloc[:3]
    result = run_multi_event_study(events, model="garch", window=(-1, 1))
    for _, event in result.events.iterrows():
        single = run_event_study(event["ticker"], event["event_date"], model="garch")
        assert event["car_sq_p"] == pytest.approx(single.car.sq.p, abs=1e-12)
        assert event["car_sq_n"] == single.car.sq.n


def test_batch_output_has_the_columns(tmp_path, capsys):
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["batch", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert all(0 <= e["car_sq_p"] <= 1 for e in payload["events"])
    assert main(["batch", str(path), "--output", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "events.csv")
    assert {"car_sq_p", "car_sq_n"} <= set(table.columns)


@pytest.mark.parametrize("equal_weights", [True, False])
def test_finish_tests_every_event_as_the_plain_loop_whatever_its_chunks(equal_weights):
    """CarQuantiles.finish in chunks of 2 (the next chunk's residuals computed in a second
    thread) against the plain loop, event by event, on residuals with missing days."""
    from eventstudy.calendar import Window
    from eventstudy.engine.batch_quantiles import CarQuantiles

    rng = np.random.default_rng(11)
    n, length, rel_days = 9, 30, list(range(-2, 4))
    residuals = rng.standard_normal((n, length)) * 0.01
    residuals[rng.random((n, length)) < 0.05] = np.nan
    windows = [Window(-2, 3), Window(0, 1)]
    values = rng.standard_normal((n, 2)) * 0.02
    calls = []

    def null_rows(rows):
        calls.append(len(rows))
        return residuals[rows], np.ones((len(rows), len(rel_days)))

    quantiles = CarQuantiles(values, windows, rel_days, "two-sided", equal_weights=equal_weights)
    quantiles.finish(null_rows, chunk=2)
    assert calls == [2, 2, 2, 2, 1]
    for i in range(n):
        for w, window in enumerate(windows):
            p, count = loop_p(residuals[i], values[i, w], len(window), "two-sided")
            assert quantiles.p[i, w] == pytest.approx(p, abs=1e-12) and quantiles.n[i, w] == count
