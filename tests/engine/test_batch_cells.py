"""The batch engine on a CRSP-shaped panel equals the single path, from memory and from a file.

The panel (tests/staggered_panel.py) has staggered lifetimes, missing returns and bursts of
missing days, so the events' segments have every length, several blocks are formed, and some
events reach before a listing or after a delisting. References: ``EventStudy.run`` event by
event on the security's whole series (to 1e-10; skipped events are the ones it refuses); for
``exclude_events``, the same on a series with the other events' windows blanked; for the file,
the same study run on the frame it was written from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.engine.batch import batch_event_study
from eventstudy.engine.single import EventStudy
from eventstudy.exceptions import EventStudyError
from eventstudy.models.registry import MODELS
from eventstudy.studies.multi import run_multi_event_study
from staggered_panel import staggered_events, staggered_panel, write

TOL = 1e-10
LINEAR_MODELS = sorted(m for m in MODELS if not m.startswith("garch"))


@pytest.fixture(scope="module")
def panel():
    return staggered_panel()


@pytest.fixture(scope="module")
def events(panel):
    table = staggered_events(panel, 90)
    return pd.DataFrame({"security": table["permno"], "event_date": table["event_date"]})


def assert_single(result, i, single) -> None:
    days = single.days
    for got, want in ((result.abnormal[i], days["abnormal"]), (result.se[i], days["se"]),
                      (result.params[i], single.fit.params.to_numpy())):
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    car = single.cumulative(result.car_window.start, result.car_window.end)
    assert abs(result.car[i] - car.value) <= TOL and abs(result.car_se[i] - car.se) <= TOL
    assert abs(result.car_p[i] - car.p) <= TOL
    assert result.nobs[i] == single.fit.nobs and result.df[i] == single.fit.df


def compare(result, returns, market, events, study, factors, every: int = 1) -> int:
    """Event by event against the single path: every event the batch skipped (the same refusal)
    and every ``every``-th of the others (the same numbers); returns the number compared."""
    studied = 0
    for i, (sec, date) in enumerate(zip(events["security"], events["event_date"])):
        if result.ok[i] and i % every:
            continue
        if sec not in returns.columns:
            assert not result.ok[i]
            continue
        try:
            single = study.run(returns[sec], market, date, factors=factors)
        except EventStudyError as error:
            assert not result.ok[i], f"event {i} ({sec} {date}): the single path raised {error}"
            continue
        assert result.ok[i], f"event {i} ({sec} {date}): {result.skipped.loc[i, 'reason']}"
        assert_single(result, i, single)
        studied += 1
    return studied


@pytest.mark.parametrize("model", LINEAR_MODELS)
def test_every_model_matches_the_single_path_on_a_staggered_panel(panel, events, model):
    study = EventStudy(model, window=(-5, 5))
    result = batch_event_study(panel.returns, events, panel.market, model=model,
                               window=(-5, 5), factors=panel.factors, prefix_budget_mb=0.05)
    # the market model event by event; the other designs on every third event (about 25 each)
    every = 1 if model == "market" else 3
    studied = compare(result, panel.returns, panel.market, events, study, panel.factors, every)
    assert studied >= 60 // every
    reasons = set(result.reason_code[~result.ok].tolist())
    assert {1, 7} <= reasons  # an id the panel lacks; windows before a listing


def test_blocks_chunks_and_threads_do_not_change_the_numbers(panel, events):
    kwargs = dict(model="carhart", factors=panel.factors, window=(-5, 5),
                  car_windows=[(-1, 1), (0, 5)])
    base = batch_event_study(panel.returns, events, panel.market, workers=1, **kwargs)
    for extra in ({"prefix_budget_mb": 0.01, "chunk_size": 3},
                  {"prefix_budget_mb": 0.2, "workers": 3}, {"chunk_size": 7, "workers": 2}):
        other = batch_event_study(panel.returns, events, panel.market, **kwargs, **extra)
        np.testing.assert_array_equal(other.reason_code, base.reason_code)
        for name in ("abnormal", "se", "window_car", "window_car_se", "params", "nobs", "sigma"):
            np.testing.assert_allclose(getattr(other, name), getattr(base, name), rtol=0,
                                       atol=1e-14, equal_nan=True)


def test_exclude_events_is_the_single_path_on_the_other_windows_blanked(panel, events):
    study = EventStudy("market", window=(-3, 3), min_estimation=100)
    result = batch_event_study(panel.returns, events, panel.market, window=(-3, 3),
                               min_estimation=100, exclude_events=True, prefix_budget_mb=0.05)
    days = pd.DatetimeIndex(panel.market.index)
    day0 = days.get_indexer(pd.to_datetime(events["event_date"]))
    blanked = 0
    for i, (sec, date) in enumerate(zip(events["security"], events["event_date"])):
        if not result.ok[i]:
            continue
        series = panel.returns[sec].copy()
        others = [j for j in np.flatnonzero(result.ok | (result.reason_code >= 9))
                  if events["security"][j] == sec and j != i]
        for j in others:
            series.iloc[max(0, day0[j] - 3) : day0[j] + 4] = np.nan
        own = slice(day0[i] - 3, day0[i] + 4)  # its own window keeps its returns (a repeat)
        series.iloc[own] = panel.returns[sec].iloc[own]
        single = study.run(series, panel.market, date)
        assert_single(result, i, single)
        lost = int(panel.returns[sec].notna().sum() - series.notna().sum())
        blanked += lost > 0
    assert blanked >= 5  # overlapping events of one security did lose estimation days


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_a_panel_file_gives_the_numbers_of_its_frame(panel, events, tmp_path, suffix):
    path = write(panel, tmp_path / f"dsf.{suffix}")
    table = events.rename(columns={"security": "ticker"})
    frame = panel.returns.join(panel.market)
    common = dict(window=(-5, 5), factors=panel.factors, exclude_events=True, model="ff3")
    with pytest.warns(Warning) as caught:  # codes, Saturday rows, events sharing a day 0
        from_file = run_multi_event_study(table, returns=path, columns="permno,date,ret",
                                          market="vwretd", **common)
        from_frame = run_multi_event_study(table, returns=frame, market="vwretd", **common)
    assert "missing-return codes" in " ".join(str(w.message) for w in caught)
    assert from_file.accounting["reason"].tolist() == from_frame.accounting["reason"].tolist()
    assert from_file.accounting["status"].tolist() == from_frame.accounting["status"].tolist()
    numbers = from_frame.events.select_dtypes("number").columns
    np.testing.assert_allclose(from_file.events[numbers].to_numpy(dtype=float),
                               from_frame.events[numbers].to_numpy(dtype=float), rtol=0, atol=1e-12)
    assert from_file.n_events >= 60
    for a, b in zip(from_file.tests, from_frame.tests):
        assert a.name == b.name and abs(a.stat - b.stat) <= 1e-9
