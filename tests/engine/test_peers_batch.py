"""Peers and synthetic peers over many events: each event's numbers equal the single-event path
with the same peers, every event with its own peers (the events file's peers column, else
--peers), and the events that cannot be studied skipped with their reason."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.cli import main
from eventstudy.exceptions import ParameterError
from eventstudy.models.peers import PeersModel

EVENTS = pd.DataFrame({
    "ticker": ["FB", "JPM", "WFC", "AAPL", "GOOGL", "USB"],
    "event_date": ["2018-08-06", "2018-07-13", "2018-03-14", "2018-05-02", "2019-02-05",
                   "2018-01-16"],
    "peers": ["GOOGL;AAPL;AMZN", "WFC;C;USB", "", "GOOGL;AMZN", "FB;AAPL;AMZN;TWTR", "JPM;WFC"],
})
DEFAULT = ["JPM", "C", "USB"]


@pytest.mark.parametrize("model", ["peers", "synthetic"])
def test_every_event_equals_the_single_path(model):
    result = run_multi_event_study(EVENTS, model=model, peers=DEFAULT, window=(-2, 3),
                                   car_windows=[(-1, 1), (0, 0)], alternative="greater")
    events = result.events
    assert len(events) == 6
    for row, event in events.iterrows():
        peers = EVENTS.at[row, "peers"].split(";") if EVENTS.at[row, "peers"] else DEFAULT
        assert event["peers"] == ";".join(peers)
        single = run_event_study(event["ticker"], event["event_date"], model=model, peers=peers,
                                 window=(-2, 3), alternative="greater")
        np.testing.assert_allclose(result.abnormal.loc[row], single.days["abnormal"], atol=1e-14)
        np.testing.assert_allclose(result.abnormal_se.loc[row], single.days["se"], rtol=1e-9)
        for suffix, (a, b) in (("", (-1, 1)), ("(0,0)", (0, 0))):
            car = single.cumulative(a, b)
            assert event[f"car{suffix}"] == pytest.approx(car.value, abs=1e-14)
            assert event[f"car_se{suffix}"] == pytest.approx(car.se, rel=1e-9)
            assert event[f"car_p{suffix}"] == pytest.approx(car.p, rel=1e-7, abs=1e-12)
            assert event[f"car_sq_p{suffix}"] == pytest.approx(car.sq.p, abs=1e-12)
            assert event[f"bhar{suffix}"] == pytest.approx(single.buy_and_hold(a, b), abs=1e-14)
        assert event["nobs"] == single.fit.nobs and event["df"] == single.fit.df
        assert event["sigma"] == pytest.approx(single.fit.sigma, rel=1e-10)
        if model == "synthetic":
            weights = dict(item.split(":") for item in event["weights"].split(";"))
            positive = single.fit.params[single.fit.params > 0]
            assert list(weights) == list(positive.index)
            assert [float(v) for v in weights.values()] == pytest.approx(positive.to_numpy(), rel=1e-5)
        residuals = result.residuals.loc[result.labels[events.index.get_loc(row)]].dropna()
        np.testing.assert_allclose(residuals.to_numpy(), single.fit.residuals.to_numpy(), atol=1e-14)


def test_events_that_cannot_be_studied_say_why():
    events = pd.DataFrame({
        "ticker": ["FB", "JPM", "WFC", "C", "USB"],
        "event_date": ["2018-08-06", "2018-07-13", "2018-03-14", "2017-03-20", "2018-01-16"],
        "peers": ["GOOGL;NOPE", "JPM;C", "JPM;C", "SNAP;JPM", "JPM;WFC"],
    })
    result = run_multi_event_study(events, model="peers")
    reasons = result.skipped.set_index("ticker")["reason"]
    assert "'NOPE'" in reasons["FB"] and "not in the returns data" in reasons["FB"]
    assert "own security is among its peers" in reasons["JPM"]
    assert "min_estimation" in reasons["C"]  # SNAP's returns start on 2017-03-02
    assert list(result.events["ticker"]) == ["WFC", "USB"]
    assert result.counts["skipped"] == 3


def test_peers_are_needed_and_only_for_the_peer_models(tmp_path, capsys):
    with pytest.raises(ParameterError, match="needs every event's peers"):
        run_multi_event_study(EVENTS.drop(columns="peers"), model="peers")
    with pytest.raises(ParameterError, match="only the models peers and synthetic take peers"):
        run_multi_event_study(EVENTS, peers=DEFAULT)
    given = run_multi_event_study(EVENTS.drop(columns="peers"), model=PeersModel(DEFAULT))
    assert set(given.events["peers"]) == {"JPM;C;USB"} and given.n_events == 4  # JPM, USB: own
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["batch", str(path), "--model", "synthetic", "--peers", "JPM,C,USB", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["model"] == "synthetic" and payload["n_events"] == 6
    assert main(["batch", str(path), "--model", "peers", "--peers", "JPM,C", "--output",
                 str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "events.csv")
    assert {"peers", "peers_input", "car_sq_p"} <= set(table.columns)
