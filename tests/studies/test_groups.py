"""Studies by group: each group equals the study of its rows alone, and the difference tests equal
scipy's on the groups' CARs."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy.exceptions import ParameterError
from eventstudy.studies.groups import run_grouped_study
from eventstudy.studies.multi import run_multi_event_study

#: Banks and tech firms, one unknown ticker (skipped) and one row without a sector.
EVENTS = pd.DataFrame({
    "ticker": ["JPM", "WFC", "C", "USB", "JPM", "AAPL", "AMZN", "GOOGL", "FB", "TWTR", "SNAP", "XXX", "QQQ"],
    "event_date": ["2018-08-06", "2018-08-06", "2018-10-12", "2019-01-15", "2017-04-13", "2018-07-26",
                   "2018-07-27", "2018-07-24", "2018-07-25", "2018-07-27", "2018-08-08", "2018-03-01",
                   "2018-06-01"],
    "sector": ["bank"] * 5 + ["tech"] * 6 + ["tech", ""],
})
OPTIONS = {"window": (-3, 3), "car_windows": [(-1, 1), (0, 0)]}


@pytest.fixture(scope="module")
def grouped():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_grouped_study(EVENTS, "sector", **OPTIONS)


@pytest.mark.parametrize("label", ["bank", "tech"])
def test_a_group_is_the_study_of_its_rows_alone(grouped, label):
    group = grouped.groups[label]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = run_multi_event_study(EVENTS[EVENTS["sector"] == label].reset_index(drop=True), **OPTIONS)
    assert group.n_events == alone.n_events
    assert group.counts == alone.counts
    assert_allclose(group.aar.to_numpy(), alone.aar.to_numpy(), rtol=1e-12)
    for window in alone.car_windows:
        assert group.caar_over(window) == pytest.approx(alone.caar_over(window), rel=1e-12)
    mine, theirs = group.tests_frame(), alone.tests_frame()
    assert list(mine["name"]) == list(theirs["name"])
    assert_allclose(mine["stat"], theirs["stat"], rtol=1e-10)
    assert_allclose(mine["p"], theirs["p"], rtol=1e-10)
    assert_allclose(group.variance_ratio["ratio"], alone.variance_ratio["ratio"], rtol=1e-10)


def test_the_difference_tests_equal_scipy_on_the_cars(grouped):
    bank, tech = grouped.groups["bank"].events, grouped.groups["tech"].events
    assert len(grouped.differences) == 2  # one pair, two windows
    for difference, column in zip(grouped.differences, ["car", "car(0,0)"]):
        assert (difference.a, difference.b) == ("bank", "tech")
        x, y = bank[column].to_numpy(), tech[column].to_numpy()
        welch = stats.ttest_ind(x, y, equal_var=False)
        assert difference.welch.t == pytest.approx(welch.statistic, rel=1e-12)
        assert difference.welch.p == pytest.approx(welch.pvalue, rel=1e-10)
        assert difference.welch.difference == pytest.approx(x.mean() - y.mean(), rel=1e-12)
        ranks = stats.mannwhitneyu(x, y)
        assert difference.rank_sum.u == ranks.statistic
        assert difference.rank_sum.p == pytest.approx(ranks.pvalue, rel=1e-10)


def test_the_pooled_sample_holds_every_event_and_the_notes_say_what_is_left_out(grouped):
    assert grouped.pooled.n_events == 12  # XXX skipped
    assert sum(g.n_events for g in grouped.groups.values()) == 11  # QQQ has no sector
    assert any("1 row(s) without a value in 'sector'" in note for note in grouped.notes)
    assert grouped.groups["tech"].counts["skipped"] == 1


def test_json_carries_every_group(grouped):
    payload = grouped.to_dict()
    assert payload["group_column"] == "sector"
    assert [g["group"] for g in payload["groups"]] == ["bank", "tech"]
    tech = payload["groups"][1]
    assert tech["n_events"] == 6 and len(tech["events"]) == 6
    assert tech["caar"][0]["value"] == pytest.approx(grouped.groups["tech"].caar, rel=1e-15)
    assert len(payload["group_differences"]) == 2
    assert payload["group_differences"][0]["welch_p"] == grouped.differences[0].welch.p


def test_numeric_groups_sort_as_numbers_and_small_groups_are_noted():
    events = EVENTS.iloc[:11].assign(year=[2018, 2018, 2018, 2019, 2017, 2018, 2018, 2018, 2018, 2018, 2018])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = run_grouped_study(events, "year", **OPTIONS)
    assert list(grouped.groups) == ["2018"]
    assert any("group '2017': 1 event(s)" in note for note in grouped.notes)
    assert grouped.differences == ()


def test_an_unknown_column_is_named():
    with pytest.raises(ParameterError, match="^group: 'industry'.*sector"):
        run_grouped_study(EVENTS, "industry", **OPTIONS)
