"""How results show themselves: short reprs, p-values never printed as 0.0000, whole relative days,
and a helpful message for a bare confidence level."""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy import run_event_study
from eventstudy.exceptions import ParameterError
from eventstudy.formatting import pvalue
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.studies.regression import regress_cars


def test_pvalue_format():
    assert [pvalue(p) for p in (0.5, 0.00012, 0.0000999, 0.0, float("nan"))] == [
        "0.5000", "0.0001", "<0.0001", "<0.0001", "n/a"]


def test_single_report_prints_small_p_values_as_below_0_0001():
    """The crash day of 26 July 2018: a day-0 p below 0.0001, printed as batch prints it."""
    result = run_event_study("FB", "2018-07-26", window=(0, 0))
    assert result.days.loc[0, "p"] < 1e-4
    text = str(result.summary())
    assert "<0.0001" in text and "0.0000" not in text
    assert "p <0.0001>" in repr(result)


def test_conf_int_with_a_bare_number_says_to_name_it():
    result = run_event_study("FB", "2018-08-06")
    with pytest.raises(ParameterError, match=r"conf_int: 0.1 is not allowed; give the level by keyword: "
                                             r"level=0.90 \(confidence\) or alpha=0.10"):
        result.conf_int(0.1)
    pd.testing.assert_frame_equal(result.conf_int(alpha=0.1), result.conf_int(level=0.9))


def test_tests_frame_has_whole_relative_days_and_regression_repr_is_one_line():
    events = pd.DataFrame({"ticker": ["JPM", "AAPL", "AMZN"],
                           "event_date": ["2018-08-06", "2018-05-02", "2018-04-27"], "size": [1.0, 2.0, 4.0]})
    study = run_multi_event_study(events, window=(-1, 1))
    frame = study.tests_frame()
    assert str(frame["rel_day"].dtype) == "Int64"
    assert sorted(frame["rel_day"].dropna().unique().tolist()) == [-1, 0, 1]
    assert frame["rel_day"].isna().sum() == len(frame[frame["window"].notna()])
    fit = regress_cars(study.events, "car ~ size", cov="hc1")
    text = repr(fit)
    assert "\n" not in text and text.startswith("<RegressionResult car ~ size, 3 events, cov hc1: Intercept ")
    assert f"size {fit.params['size']:+.4g} (t {fit.tvalues['size']:+.2f})" in text


def test_several_car_windows_label_every_car_column_and_the_regression_names_its_window(tmp_path):
    events = pd.DataFrame({"ticker": ["JPM", "AAPL", "AMZN"],
                           "event_date": ["2018-08-06", "2018-05-02", "2018-04-27"], "size": [1.0, 2.0, 4.0]})
    study = run_multi_event_study(events, window=(-2, 2), car_windows=[(-1, 1), (0, 0)])
    study.write(tmp_path, "csv")
    written = pd.read_csv(tmp_path / "events.csv")
    assert "car" not in written.columns and "bhar" not in written.columns
    assert {"car(-1,+1)", "car_se(-1,+1)", "scar(-1,+1)", "car(0,0)", "car_p(0,0)"} <= set(written.columns)
    assert written["car(-1,+1)"].tolist() == pytest.approx(study.events["car"].tolist(), rel=1e-12)
    fit = study.regress("car ~ size")
    assert fit.summary().splitlines()[1] == ("  car is over the first CAR window (-1, +1); the others are "
                                             "columns such as car(0,0)")
    one = run_multi_event_study(events, window=(-2, 2), car_windows=[(-1, 1)])
    one.write(tmp_path / "one", "csv")
    assert "car" in pd.read_csv(tmp_path / "one" / "events.csv").columns  # one window: no label needed
    assert one.regress("car ~ size").outcome is None


def test_summary_renders_its_days_as_an_html_table_in_notebooks():
    result = run_event_study("FB", "2018-08-06")
    summary = result.summary()
    html_text = summary._repr_html_()
    assert result._repr_html_() == html_text
    assert html_text.count("<table") == 1 and html_text.count("<tr>") >= 4  # header + three days
    header = html_text.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert all(f"<th>{name}</th>" in header for name in ("date", "return", "AR", "se", "t", "p"))
    assert "<th>-1</th>" in html_text and "<td>2018-08-07</td>" in html_text
    assert "+3.967%" in html_text and "0.0033" in html_text and "CAR(-1, +1) = +2.740%" in html_text
    assert str(summary).startswith("Event study of FB") and "<" not in str(summary)  # text unchanged
