"""The multi-event text report: aligned columns, small p-values as '<0.0001', windows without
'+0', one table per event, and warnings left to stderr / Python's warnings (not repeated)."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.defaults import TEST_NAMES
from eventstudy.studies.multi import run_multi_event_study

EVENTS = pd.DataFrame({"ticker": ["JPM", "WFC", "C", "USB", "FB"],
                       "event_date": ["2018-08-06"] * 4 + ["2018-07-26"]})


@pytest.fixture(scope="module")
def study():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_multi_event_study(EVENTS, car_window=(0, 0))


def _block(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_windows_have_no_plus_zero_and_small_p_values_read_below_a_bound(study):
    text = study.summary()
    assert not re.search(r"[(, ]\+0[,)]|^\s+\+0\s", text, re.M)  # no '(+0, +0)' nor a '+0' row
    assert "CAAR(0, 0) = " in text and "Events, CAR(0, 0) (SQ p:" in text
    assert "event window (-1, +1)" in text
    frame = study.tests_frame()
    patell = frame[frame["rel_day"].isna() & (frame["name"] == "patell")].iloc[0]
    assert patell["p"] < 1e-4  # the window test, with a tiny p
    assert next(line for line in text.splitlines() if line.strip().startswith("patell ")).split()[2] == "<0.0001"
    assert "0.0000" not in text


def test_test_table_columns_line_up(study):
    rows = _block(study.summary(), "test ")
    assert len(rows) == 1 + len(TEST_NAMES)
    for column in ("stat", "p"):  # right-aligned: every row ends the column at the header's end
        end = rows[0].index(column) + len(column)
        assert all(row[end - 1] != " " and (len(row) == end or row[end] == " ") for row in rows), column
    start = rows[0].index("distribution")
    assert all(row[start - 1] == " " and row[start] != " " for row in rows)
    wilcoxon = next(row for row in rows if row.strip().startswith("wilcoxon"))
    assert wilcoxon[start:].startswith("Wilcoxon signed-rank")


def test_one_row_per_event_with_its_car(study):
    rows = _block(study.summary(), "ticker ")
    assert [row.split()[0] for row in rows[1:]] == ["JPM", "WFC", "C", "USB", "FB"]
    fb = rows[-1].split()
    assert fb[3] == f"{study.events['car'].iloc[-1]:+.3%}" and fb[-2] == "<0.0001"
    assert fb[-1] == f"<{2 / study.events['car_sq_n'].iloc[-1]:.4f}"  # beyond every residual


def test_warnings_are_printed_once_on_stderr_not_in_the_report(capsys, tmp_path, study):
    assert study.warnings and not any(w[:40] in study.summary() for w in study.warnings)
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    assert main(["batch", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "share a day-0 date" in err and "share a day-0 date" not in out


def test_summary_displays_itself(study):
    assert repr(study.summary()) == str(study.summary())
