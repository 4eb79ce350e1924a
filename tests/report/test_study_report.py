"""``eventstudy report``: one self-contained HTML file with every section, nothing fetched from a
network, the tables and charts of the study itself, and a PDF where Chromium or pdflatex exists."""

from __future__ import annotations

import html
import re
import shlex
import shutil
import warnings

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.report import tables
from eventstudy.report.document import find_chromium
from eventstudy.report.study_report import SECTIONS
from eventstudy.studies.multi import run_multi_event_study

#: The banks of the flagship story on 6 August 2018, two more bank events, a ticker the snapshot
#: does not hold and a duplicate row.
BANKS = pd.DataFrame({
    "ticker": ["JPM", "WFC", "C", "USB", "JPM", "WFC", "GS", "C"],
    "event_date": ["2018-08-06", "2018-08-06", "2018-08-06", "2018-08-06", "2018-10-12", "2018-10-12",
                   "2018-08-06", "2018-08-06"],
    "kind": ["story", "story", "story", "story", "earnings", "earnings", "story", "story"],
})
STUDY = ["--window", "-5", "5", "--car-window", "-1", "1"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    events = folder / "banks & co.csv"
    BANKS.to_csv(events, index=False)
    output = folder / "report.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(events), *STUDY, "-o", str(output)]) == 0
    return events, output, output.read_text(encoding="utf-8")


def test_one_file_with_every_section(written):
    events, output, page = written
    assert list(output.parent.glob("*.html")) == [output]  # one file, nothing beside it
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    for title in ("Inputs and accounting", "Results", "Charts", "Skipped events", "Warnings and notes",
                  "Reproduce"):
        assert f"<h2>{title}</h2>" in page
    assert 'id="T_caar"' in page and 'id="T_aar"' in page
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page)) == 3
    for caption in ("AAR by day with 95% intervals", "The events&#x27; CARs(-1,+1)", "Cross-sectional variance"):
        assert caption in page
    from eventstudy import __version__

    assert f"<dt>eventstudy</dt><dd>{__version__}</dd>" in page
    assert "banks &amp; co.csv" in page  # the exact command, shell-quoted and escaped
    command = ["eventstudy", "report", str(events), *STUDY, "-o", str(output)]
    assert f"<pre>{html.escape(shlex.join(command))}</pre>" in page


def test_nothing_is_fetched_from_a_network(written):
    page = written[2]
    assert not re.search(r"(?i)https?:|ftp:|<script|<link|<iframe|<object|@import|url\(", page)
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))


def test_accounting_skipped_rows_and_tables_are_the_study_s(written):
    events, _, page = written
    assert "GS" in page and "has no data in the committed snapshot" in page  # skipped, with its reason
    assert "Duplicate rows: 1 rows" in page and "duplicate of row 2" in page
    assert "studied + studied with day 0 moved + duplicates + skipped = 8 of 8 rows read" in page
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_multi_event_study(events, window=(-5, 5), car_window=(-1, 1))
    for table in tables.of(result):
        assert table.to_html() in page  # the same function a notebook calls


def test_groups_appear_with_their_differences(written, tmp_path):
    events = written[0]
    output = tmp_path / "groups.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(events), *STUDY, "--group", "kind", "-o", str(output)]) == 0
    page = output.read_text()
    assert 'id="T_differences"' in page and "earnings - story" in page
    assert "by &#x27;kind&#x27;: earnings (2 events), story (4 events)" in page


def test_pdf_with_chromium_or_pdflatex(written, tmp_path, monkeypatch, capsys):
    events = written[0]
    output = tmp_path / "r.html"
    if find_chromium() is None and shutil.which("pdflatex") is None:
        pytest.skip("neither Chromium nor pdflatex is installed")
    tools = ["chromium"] if find_chromium() else []
    tools += ["pdflatex"] if shutil.which("pdflatex") else []
    for tool in tools:
        if tool == "pdflatex":
            monkeypatch.setenv("EVENTSTUDY_CHROMIUM", "no-such-browser")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["report", str(events), *STUDY, "-o", str(output), "--pdf"]) == 0
        assert f"PDF written to {output.with_suffix('.pdf')} (by {tool})" in capsys.readouterr().out
        assert output.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
        output.with_suffix(".pdf").unlink()


def test_without_a_pdf_tool_the_message_is_clear(written, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, no pdflatex
    monkeypatch.delenv("EVENTSTUDY_CHROMIUM", raising=False)
    output = tmp_path / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(written[0]), *STUDY, "-o", str(output), "--pdf"]) == 1
    captured = capsys.readouterr()
    assert output.exists() and not output.with_suffix(".pdf").exists()
    line = [l for l in captured.err.splitlines() if "pdf" in l]
    assert len(line) == 1 and "needs Chromium (or Google Chrome) or pdflatex on PATH" in line[0]
    assert "the HTML report is written" in line[0]


def test_a_bad_output_is_one_line(written, tmp_path, capsys):
    for output, message in [(tmp_path / "report.txt", "output: "), (tmp_path / "no" / "r.html", "does not exist")]:
        assert main(["report", str(written[0]), "-o", str(output)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
