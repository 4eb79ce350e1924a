"""p-values adjusted for the many days and windows shown (--adjust holm|bh): statsmodels'
multipletests against the procedures written out (Holm 1979, Benjamini & Hochberg 1995), and
in the single-event and multi-event results, the JSON and the reports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study, run_multi_event_study
from eventstudy.cli import main
from eventstudy.exceptions import ParameterError
from eventstudy.inference.adjust import adjust_pvalues


def holm(p):
    """Step-down Bonferroni: sort, multiply the k-th smallest by m - k + 1, running maximum."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    out = np.empty(m)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out


def benjamini_hochberg(p):
    """Step-up: the k-th smallest times m / k, running minimum from the largest."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    out = np.empty(m)
    running = 1.0
    for k in range(m - 1, -1, -1):
        i = order[k]
        running = min(running, m * p[i] / (k + 1))
        out[i] = running
    return out


def test_the_procedures_written_out():
    rng = np.random.default_rng(4)
    for _ in range(20):
        p = rng.uniform(0, 0.2, rng.integers(1, 30))
        assert adjust_pvalues(p, "holm") == pytest.approx(holm(p), rel=1e-12)
        assert adjust_pvalues(p, "bh") == pytest.approx(benjamini_hochberg(p), rel=1e-12)
    # a hand-worked case: p = 0.01, 0.04, 0.03 (m = 3)
    assert adjust_pvalues([0.01, 0.04, 0.03], "holm") == pytest.approx([0.03, 0.06, 0.06])
    assert adjust_pvalues([0.01, 0.04, 0.03], "bh") == pytest.approx([0.03, 0.04, 0.04])
    # a p-value that is not a number stays so and is not counted
    with_nan = adjust_pvalues([0.01, np.nan, 0.03], "holm")
    assert np.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.02, 0.03])
    with pytest.raises(ParameterError, match="adjust"):
        adjust_pvalues([0.1], "bonferroni")


def test_statsmodels_multipletests_gives_the_same_numbers():
    """Holm is written out in numpy (statsmodels' holm runs gc.collect() on every call) and BH
    is statsmodels' fdrcorrection: both equal multipletests, ties and ones included."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    cases = [rng.uniform(0, 1, n) for n in (1, 2, 5, 40)]
    cases += [np.array([0.01, 0.01, 0.2, 0.2, 0.9]), np.array([0.5, 0.6, 0.7])]
    for p in cases:
        assert adjust_pvalues(p, "holm") == pytest.approx(multipletests(p, method="holm")[1],
                                                          rel=1e-14, abs=0)
        assert adjust_pvalues(p, "bh") == pytest.approx(multipletests(p, method="fdr_bh")[1],
                                                        rel=1e-14, abs=0)


@pytest.mark.parametrize("adjust, procedure", [("holm", holm), ("bh", benjamini_hochberg)])
def test_single_event(capsys, adjust, procedure):
    result = run_event_study("FB", "2018-08-06", window=(-2, 2), adjust=adjust)
    car = result.car
    expected_t = procedure([*result.days["p"], car.p])
    expected_sq = procedure([*result.days["sq_p"], car.sq.p])
    frame = result.adjusted_pvalues()
    assert frame["p_adjusted"].to_numpy() == pytest.approx(expected_t, rel=1e-12)
    assert frame["sq_p_adjusted"].to_numpy() == pytest.approx(expected_sq, rel=1e-12)
    assert result.to_frame()["p_adjusted"].to_numpy() == pytest.approx(expected_t[:-1])
    assert main(["run", "FB", "2018-08-06", "--window", "-2", "2", "--adjust", adjust, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["adjust"] == adjust
    assert [d["p_adjusted"] for d in payload["days"]] == pytest.approx(expected_t[:-1], rel=1e-12)
    assert [d["sq"]["p_adjusted"] for d in payload["days"]] == pytest.approx(expected_sq[:-1])
    assert payload["car"]["p_adjusted"] == pytest.approx(expected_t[-1])
    assert payload["car"]["sq"]["p_adjusted"] == pytest.approx(expected_sq[-1])
    text = str(result.summary())
    assert "p adj" in text and "SQ p adj" in text and "over the 5 days and the CAR" in text
    plain = run_event_study("FB", "2018-08-06")
    assert "p_adjusted" not in plain.to_frame() and plain.to_dict()["adjust"] is None


def test_multi_event_per_test_over_its_days_and_windows(tmp_path, capsys):
    events = pd.DataFrame({"ticker": ["FB", "JPM", "WFC", "AAPL"],
                           "event_date": ["2018-08-06", "2018-03-14", "2017-10-13", "2018-05-02"]})
    result = run_multi_event_study(events, car_windows=[(-1, 1), (0, 0)], adjust="holm")
    frame = result.tests_frame()
    for _, rows in frame.groupby("name", sort=False):
        assert len(rows) == 3 + 2
        assert rows["p_adjusted"].to_numpy() == pytest.approx(holm(rows["p"].to_numpy()), rel=1e-12)
    assert "p adj" in str(result.summary())
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert main(["batch", str(path), "--adjust", "bh", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["adjust"] == "bh"
    cda = [t for t in payload["tests"] if t["name"] == "cda"]
    assert [t["p_adjusted"] for t in cda] == pytest.approx(benjamini_hochberg([t["p"] for t in cda]))
    assert main(["batch", str(path), "--adjust", "holm", "--output", str(tmp_path / "out")]) == 0
    assert "p_adjusted" in pd.read_csv(tmp_path / "out" / "tests.csv").columns
