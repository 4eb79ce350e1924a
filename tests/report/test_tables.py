"""Publication tables: every format written by ``--table`` reads back as the numbers of the JSON
(CSV and Excel exactly, the text formats to their printed decimals), the LaTeX compiles, names are
escaped, and several studies sit side by side."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.exceptions import ParameterError
from eventstudy.formatting import stars
from eventstudy.report import tables
from eventstudy.report.table import latex_escape
from eventstudy.studies.multi import run_multi_event_study

EVENTS = pd.DataFrame({
    "ticker": ["JPM", "WFC", "C", "USB", "JPM", "AAPL", "AMZN", "GOOGL", "FB", "TWTR", "SNAP"],
    "event_date": ["2018-08-06", "2018-08-06", "2018-10-12", "2019-01-15", "2017-04-13", "2018-07-26",
                   "2018-07-27", "2018-07-24", "2018-07-25", "2018-07-27", "2018-08-08"],
    "sector": ["bank"] * 5 + ["tech"] * 6,
})
STUDY = ["--window", "-3", "3", "--car-window", "-1", "1", "--car-window", "0", "0"]
TESTS = ["cross_sectional_t", "bmp", "generalized_sign"]  # the default tests of the table
LABEL = {"(-1,+1)": (-1, 1), "(0,0)": (0, 0)}


@pytest.fixture(scope="module")
def events_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tables") / "events.csv"
    EVENTS.to_csv(path, index=False)
    return path


def _cli(args, capsys):
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(args) == 0
    return capsys.readouterr()


@pytest.fixture(scope="module")
def reference(events_file):
    """The JSON of the study, the expected cells of the ``caar`` table computed from it."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["batch", str(events_file), *STUDY, "--json"]) == 0
    payload = json.loads(out.getvalue())
    rows = {}
    for caar in payload["caar"]:
        window = (caar["start"], caar["end"])
        first = window == (payload["caar"][0]["start"], payload["caar"][0]["end"])
        cars = [e["car"] if first else next(w["car"] for w in e["windows"] if (w["start"], w["end"]) == window)
                for e in payload["events"]]
        row = {"CAAR": caar["value"], "N": payload["n_events"], "positive": float(np.mean(np.array(cars) > 0))}
        for test in payload["tests"]:
            if test["window"] == list(window) and test["name"] in TESTS:
                row[test["name"]], row[f"{test['name']} p"] = test["stat"], test["p"]
        row["stars"] = stars(row["cross_sectional_t p"])
        rows[window] = row
    return payload, rows


# ---- reading the text formats back


def _number(text: str) -> tuple[float, str, bool]:
    """'-0.317***' -> (-0.317, '***', False); '<0.0001' -> (0.0001, '', True)."""
    text = text.replace("\\*", "*").replace("{", "").replace("}", "").strip()
    match = re.fullmatch(r"(<?)([+-]?\d+(?:\.\d+)?)(\**)", text)
    assert match, text
    return float(match.group(2)), match.group(3), match.group(1) == "<"


def _check_text_row(cells: dict[str, str], row: dict[str, float]) -> None:
    """Printed numbers equal the JSON's to their printed decimals."""
    value, marks, _ = _number(cells["CAAR"])
    assert abs(value / 100 - row["CAAR"]) <= 0.5e-5 + 1e-12  # 3 decimals of a percent
    assert marks == row["stars"]
    for name in TESTS:
        stat, _, _ = _number(cells[name])
        assert abs(stat - row[name]) <= 0.5e-3 + 1e-12
        p, _, below = _number(cells[f"{name} p"])
        assert (row[f"{name} p"] < 1e-4) if below else abs(p - row[f"{name} p"]) <= 0.5e-4 + 1e-12
    assert _number(cells["N"])[0] == row["N"]
    assert abs(_number(cells["positive"])[0] / 100 - row["positive"]) <= 0.5e-3 + 1e-12


KEYS = ["CAAR", "cross_sectional_t", "cross_sectional_t p", "bmp", "bmp p", "generalized_sign",
        "generalized_sign p", "N", "positive"]


def test_csv_holds_the_json_numbers_exactly(events_file, reference, tmp_path, capsys):
    path = tmp_path / "t.csv"
    err = _cli(["batch", str(events_file), *STUDY, "--table", str(path)], capsys).err
    assert f"tables written to {path}" in err
    frame = pd.read_csv(path)
    assert set(frame["table"]) == {"caar", "aar"}
    caar = frame[frame["table"] == "caar"].set_index("row")
    for label, window in LABEL.items():
        for key in KEYS:
            assert caar.at[label, key] == pytest.approx(reference[1][window][key], rel=1e-15, abs=0)
        marks = caar.at[label, "CAAR stars"] if "CAAR stars" in caar.columns else ""  # a column where any
        assert (marks if isinstance(marks, str) else "") == reference[1][window]["stars"]
    aar = frame[frame["table"] == "aar"].set_index("row")
    json_aar = {d["rel_day"]: d["value"] for d in reference[0]["aar"]}
    for label, value in zip(aar.index, aar["AAR"]):
        assert value == pytest.approx(json_aar[int(label)], rel=1e-15)


def test_xlsx_holds_numbers_with_number_formats(events_file, reference, tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    _cli(["batch", str(events_file), *STUDY, "--table", str(path)], capsys)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["caar", "aar"]
    sheet = book["caar"]
    assert sheet["A1"].value == "Cumulative average abnormal returns by window"
    header = [c.value for c in sheet[3]]
    for line in sheet.iter_rows(min_row=4, max_row=5):
        cells = dict(zip(header, line))
        row = reference[1][LABEL[cells["Window"].value]]
        for key in KEYS:
            assert isinstance(cells[key].value, (int, float))  # numbers, not text
            assert cells[key].value == pytest.approx(row[key], rel=1e-15, abs=0)
        assert ((cells["CAAR stars"].value or "") if "CAAR stars" in cells else "") == row["stars"]
        assert cells["CAAR"].number_format == "+0.000%;-0.000%;0.000%"
        assert cells["bmp p"].number_format == '[<0.0001]"<0.0001";0.0000'
        assert cells["positive"].number_format == "0.0%"
    notes = [sheet.cell(row=r, column=1).value for r in range(6, sheet.max_row + 1)]
    assert "* p < 0.10, ** p < 0.05, *** p < 0.01 (CAAR: t test)." in notes


def test_markdown_reads_back_to_the_json(events_file, reference, tmp_path, capsys):
    path = tmp_path / "t.md"
    _cli(["batch", str(events_file), *STUDY, "--table", str(path)], capsys)
    text = path.read_text()
    lines = [line for line in text.splitlines() if line.startswith("| (")]
    assert len(lines) == 2
    for line in lines:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        _check_text_row(dict(zip(["Window", *KEYS], cells)), reference[1][LABEL[cells[0]]])
    assert "\\* p < 0.10, \\*\\* p < 0.05, \\*\\*\\* p < 0.01" in text  # the legend, escaped


def test_html_reads_back_to_the_json(events_file, reference, tmp_path, capsys):
    path = tmp_path / "t.html"
    _cli(["batch", str(events_file), *STUDY, "--table", str(path)], capsys)
    page = path.read_text()
    assert "<script" not in page and "http" not in page
    caar = pd.read_html(path, index_col=0)[0]
    assert list(caar.index) == list(LABEL)
    for label, line in zip(caar.index, caar.astype(str).itertuples(index=False)):
        _check_text_row(dict(zip(KEYS, line)), reference[1][LABEL[label]])
    assert "* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01" in page


def _latex_rows(text: str) -> list[list[str]]:
    body = text.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    return [[c.strip() for c in line.rstrip(" \\").split(" & ")] for line in body.strip().splitlines()]


def _compile(tex_path, tmp_path):
    document = tmp_path / "document.tex"
    document.write_text("\\documentclass{article}\n\\usepackage[margin=1cm,landscape]{geometry}\n"
                        "\\usepackage{booktabs}\n\\usepackage{siunitx}\n\\begin{document}\n"
                        f"\\input{{{tex_path.name}}}\n\\end{{document}}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "document.pdf").stat().st_size > 0
    return run.stdout


def test_latex_reads_back_to_the_json_and_compiles(events_file, reference, tmp_path, capsys):
    path = tmp_path / "t.tex"
    _cli(["batch", str(events_file), *STUDY, "--table", str(path)], capsys)
    text = path.read_text()
    assert "\\toprule" in text and "\\caption{Cumulative average abnormal returns by window}" in text
    assert "\\label{tab:caar}" in text and "S[table-format=" in text
    assert "{CAAR (\\%)}" in text  # escaped in the header
    caar_table = text.split("\\begin{table}")[1]
    for cells in _latex_rows(caar_table):
        _check_text_row(dict(zip(["Window", *KEYS], cells)), reference[1][LABEL[cells[0]]])
    assert "* p \\textless{} 0.10, ** p \\textless{} 0.05, *** p \\textless{} 0.01" in caar_table
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: the .tex was checked, not compiled")
    log = _compile(path, tmp_path)
    assert "siunitx" not in log.lower() or "error" not in log.lower()


def test_names_are_escaped_and_studies_sit_side_by_side(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        banks = run_multi_event_study(EVENTS[EVENTS["sector"] == "bank"], window=(-2, 2))
        tech = run_multi_event_study(EVENTS[EVENTS["sector"] == "tech"], window=(-2, 2))
    labels = ["Banks & brokers_1", "Tech 100%"]
    compared = tables.compare([banks, tech], labels=labels, tests=["bmp"], pvalues="stars")
    caar = compared[0]
    assert list(caar.panels) == labels
    assert caar.to_frame()[("Tech 100%", "CAAR")].iloc[0] == pytest.approx(tech.caar, rel=1e-15)
    assert caar.to_frame()[("Banks & brokers_1", "N")].iloc[0] == banks.n_events
    tex = caar.to_latex()
    assert "\\multicolumn{4}{c}{Banks \\& brokers\\_1}" in tex and "Tech 100\\%" in tex
    assert "\\cmidrule(lr){2-5} \\cmidrule(lr){6-9}" in tex
    assert "Banks \\& brokers\\_1: 5 events" in tex  # each study's description, labelled
    assert latex_escape("a_b & 5% {x} ~ ^ < > \\ $ #") == (
        "a\\_b \\& 5\\% \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textless{} \\textgreater{} "
        "\\textbackslash{} \\$ \\#")
    assert "Banks & brokers\\_1: CAAR (%)" in caar.to_markdown()
    path = tables.write(compared, tmp_path / "compare.tex")
    if shutil.which("pdflatex"):
        _compile(path, tmp_path)


def test_grouped_tables_carry_every_group_and_the_differences(events_file, tmp_path, capsys):
    path = tmp_path / "groups.xlsx"
    out = _cli(["batch", str(events_file), *STUDY, "--group", "sector", "--json", "--table", str(path)], capsys).out
    payload = json.loads(out)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["caar", "aar", "differences"]
    header = [c.value for c in book["caar"][3]]
    first = dict(zip(header, (c.value for c in book["caar"][4])))
    for group in payload["groups"]:
        assert first[f"{group['group']}: CAAR"] == pytest.approx(group["caar"][0]["value"], rel=1e-15)
        assert first[f"{group['group']}: N"] == group["n_events"]
    assert first["All: CAAR"] == pytest.approx(payload["caar"][0]["value"], rel=1e-15)
    header = [c.value for c in book["differences"][3]]
    for line, expected in zip(book["differences"].iter_rows(min_row=4, max_row=5), payload["group_differences"]):
        cells = dict(zip(header, (c.value for c in line)))
        assert cells["bank - tech: difference"] == pytest.approx(expected["difference"], rel=1e-15)
        assert cells["bank - tech: welch_t p"] == pytest.approx(expected["welch_p"], rel=1e-15)
        assert cells["bank - tech: rank_sum_u p"] == pytest.approx(expected["rank_sum_p"], rel=1e-15)


def test_single_long_horizon_and_calendar_time_tables_hold_their_json(events_file, tmp_path, capsys):
    run = json.loads(_cli(["run", "FB", "2018-08-06", "--json", "--table", str(tmp_path / "run.csv")], capsys).out)
    table = pd.read_csv(tmp_path / "run.csv").set_index("row")
    assert list(table["AR"][:3]) == pytest.approx([d["abnormal"] for d in run["days"]], rel=1e-15)
    assert table.at["CAR(-1,+1)", "AR"] == pytest.approx(run["car"]["value"], rel=1e-15)
    assert table.at["CAR(-1,+1)", "p"] == pytest.approx(run["car"]["p"], rel=1e-15)
    assert table.at["0", "AR stars"] == "***"  # p 0.0033
    longrun = json.loads(_cli(["longrun", str(events_file), "--horizon", "0", "60", "--seed", "1", "--json",
                               "--table", str(tmp_path / "lr.csv")], capsys).out)
    row = pd.read_csv(tmp_path / "lr.csv").iloc[0]
    assert row["mean BHAR"] == pytest.approx(longrun["mean_bhar"], rel=1e-15)
    for test in longrun["tests"]:
        assert row[test["name"]] == pytest.approx(test["stat"], rel=1e-15)
        assert row[f"{test['name']} p"] == pytest.approx(test["p"], rel=1e-15)
    assert row["N"] == longrun["n_events"]
    assert row["positive"] == pytest.approx(np.mean([e["bhar"] > 0 for e in longrun["events"]]))
    calendar = json.loads(_cli(["calendar-time", str(events_file), "--horizon", "1", "20", "--json",
                                "--table", str(tmp_path / "ct.csv")], capsys).out)
    frame = pd.read_csv(tmp_path / "ct.csv")
    alpha = frame[frame["table"] == "alpha"].iloc[0]
    assert [alpha["alpha"], alpha["se"], alpha["t"], alpha["p"], alpha["r2"]] == pytest.approx(
        [calendar["alpha"], calendar["se"], calendar["t"], calendar["p"], calendar["r2"]], rel=1e-15)
    loadings = frame[frame["table"] == "loadings"].set_index("row")
    assert loadings.at["mkt_rf", "coef"] == pytest.approx(calendar["params"]["mkt_rf"]["coef"], rel=1e-15)


def test_bad_requests_are_one_line(events_file, tmp_path, capsys):
    for args, message in [
        (["--table", str(tmp_path / "t.docx")], "table: '"),
        (["--table", str(tmp_path / "missing" / "t.tex")], "does not exist"),
        (["--table", str(tmp_path / "t.tex"), "--stars", "0.1", "x"], "stars: '0.1 x'"),
        (["--group", "industry"], "group: 'industry'"),
    ]:
        capsys.readouterr()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["batch", str(events_file), *STUDY, *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bmp_only = run_multi_event_study(EVENTS.iloc[2:6], tests=["bmp"])
    with pytest.raises(ParameterError, match="^tests:"):
        tables.of(bmp_only, tests=["patell"])
    with pytest.raises(ParameterError, match="^pvalues:"):
        tables.of(bmp_only, pvalues="both")
    with pytest.raises(ParameterError, match="^stars:"):
        tables.of(bmp_only, stars=[(5, "*")])
    with pytest.raises(ParameterError, match="^labels:"):
        tables.compare([1, 2], labels=["a", "a"])


def test_abnormal_volume_tables_keep_log_volume_units():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_multi_event_study(EVENTS.iloc[4:], window=(-2, 2), measure="volume")
    caar = tables.of(result)[0]
    assert caar.to_frame()["CAAV"].iloc[0] == pytest.approx(result.caar, rel=1e-15)
    text = caar.to_markdown()
    assert "| Window | CAAV |" in text and "CAAV (%)" not in text
    value = re.search(r"\| \(-2,\+2\) \| ([+-]\d+\.\d{4})", text).group(1)  # 4 decimals, not percent
    assert float(value) == pytest.approx(result.caar, abs=0.5e-4)
