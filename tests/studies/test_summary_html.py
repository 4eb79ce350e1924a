"""Summaries in a notebook: every study's summary() shows its tables as HTML tables whose cells are
the printed text's (parsed back with the standard library's html.parser and matched to the text's
lines and to the results' own numbers), user text escaped, the printed text unchanged."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from eventstudy.formatting import ShowsSummary, Summary, SummaryBuilder, aligned_columns
from eventstudy.studies.calendar_time import run_calendar_time
from eventstudy.studies.groups import run_grouped_study
from eventstudy.studies.longrun import run_long_horizon
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.studies.simulate import power_summary, simulate

#: Names a user may give that are markup: they must show as text, never as tags.
NAMES = ["A&B", "<b>Z</b>", "C"]
NUMBER = re.compile(r"[<+-]?\d+(?:\.\d+)?%?")


class Page(HTMLParser):
    """The tables (rows of cell texts: header rows and body rows apart) and the <pre> blocks."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, list[list[str]]]] = []
        self.pre: list[str] = []
        self._section = self._cell = None
        self._in_pre = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"thead": [], "tbody": []})
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            self.tables[-1][self._section].append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "pre":
            self._in_pre = True
            self.pre.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][self._section][-1].append(self._cell.strip())
            self._cell = None
        elif tag == "pre":
            self._in_pre = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_pre:
            self.pre[-1] += data


def check_html_matches_text(summary: Summary) -> Page:
    """The HTML is the text: its <pre> blocks are lines of the text, each body row of each table
    is a line of the text holding the row's cells in order (spaces aside), the rows on
    successive lines, and every number of the text is somewhere in the HTML."""
    assert isinstance(summary, Summary)
    html_text = summary._repr_html_()
    page = Page(html_text)
    text = str(summary)
    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert page.tables, "no HTML table"
    for block in page.pre:
        assert block in text
    for table in page.tables:
        at = 0
        for row in table["tbody"]:
            pattern = ".*".join(re.escape(cell.replace(" ", "")) for cell in row if cell)
            at = next((i for i in range(at, len(lines)) if re.search(pattern, lines[i])), None)
            assert at is not None, (row, text)
            at += 1
    shown = " ".join([*page.pre, *(cell for table in page.tables for section in table.values()
                                   for row in section for cell in row)])
    assert set(NUMBER.findall(text)) <= set(NUMBER.findall(shown))
    return page


def check_displays_its_summary(result, summary: Summary) -> None:
    """``print(result)`` and a notebook show the summary (``formatting.ShowsSummary``)."""
    assert isinstance(result, ShowsSummary)
    assert str(result) == str(summary) and type(str(result)) is str
    assert result._repr_html_() == summary._repr_html_()


def column(table: dict[str, list[list[str]]], header: str) -> list[str]:
    """The body cells under ``header`` (the last header row; a row label shifts nothing: pandas
    gives its corner a header cell too)."""
    position = table["thead"][-1].index(header)
    return [row[position] for row in table["tbody"]]


def close(cells: list[str], values, decimals: int, percent: bool = False) -> None:
    """Each cell is its value rounded to ``decimals`` (in percent: ``+1.234%``)."""
    scale = 100.0 if percent else 1.0
    got = np.array([float(c.rstrip("%").lstrip("<")) for c in cells])
    np.testing.assert_allclose(got, np.asarray(values, dtype=float) * scale, rtol=0,
                               atol=0.5 * 10.0 ** -decimals)


@pytest.fixture(scope="module")
def panel():
    """80 trading days: three securities named like markup, and a market."""
    dates = pd.bdate_range("2020-01-01", periods=80)
    rng = np.random.default_rng(1)
    market = pd.Series(rng.normal(0, 0.01, 80), index=dates, name="M")
    returns = pd.DataFrame({n: 0.0002 + 0.9 * market.to_numpy() + rng.normal(0, 0.01, 80) for n in NAMES},
                           index=dates)
    events = pd.DataFrame({"ticker": NAMES, "event_date": [dates[60], dates[65], dates[70]],
                           "size": [1.0, 2.0, 3.5], "group": ["<i>g</i>", "<i>g</i>", "h"]})
    return returns, market, events


@pytest.fixture(scope="module")
def multi(panel):
    returns, market, events = panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_multi_event_study(events, returns=returns, market_returns=market, estimation=(-50, -6),
                                     window=(-1, 1), car_windows=[(-1, 1), (0, 0)], adjust="holm")


def test_the_builder_gives_the_text_and_its_tables_apart():
    report = SummaryBuilder()
    report.text("Title", "")
    report.columns({"test": ["a<b"], "p": ["0.0100"]}, left=("test",))
    report.text("", "note & more", "")
    summary = report.build()
    assert str(summary) == "Title\n\n  test       p\n  a<b   0.0100\n\nnote & more\n"
    assert aligned_columns({"x": ["1", "22"]}, indent="") == [" x", " 1", "22"]
    title, table, note = summary.parts
    assert (title, note) == ("Title", "note & more")
    assert table.to_dict("list") == {"test": ["a<b"], "p": ["0.0100"]}
    html_text = summary._repr_html_()
    assert "<td>a&lt;b</td>" in html_text and "note &amp; more" in html_text and "a<b" not in html_text
    assert "<th>0</th>" not in html_text  # a plain 0..n index is not shown


def test_multi_event_tables_hold_the_printed_numbers_and_escape_the_tickers(multi):
    summary = multi.summary()
    check_displays_its_summary(multi, summary)
    page = check_html_matches_text(summary)
    html_text = summary._repr_html_()
    assert "<b>Z</b>" not in html_text and "&lt;b&gt;Z&lt;/b&gt;" in html_text and "A&amp;B" in html_text
    days, events, *tests = page.tables
    assert column(days, "rel_day") == ["-1", "0", "+1"]
    close(column(days, "AAR"), multi.aar, 3, percent=True)
    close(column(days, "CAAR"), multi.caar_path, 3, percent=True)
    assert column(events, "ticker") == NAMES
    close(column(events, "CAR"), multi.events["car"], 3, percent=True)
    close(column(events, "t"), multi.events["car_t"], 2)
    assert len(tests) == 2  # one per CAR window
    frame = multi.tests_frame()
    window = frame[frame["window"].apply(lambda w: w == [0, 0])]
    assert column(tests[1], "test") == window["name"].tolist()
    close(column(tests[1], "stat"), window["stat"], 3)
    close(column(tests[1], "p adj"), window["p_adjusted"], 4)


def test_regression_coefficients_are_a_table_of_the_fit(multi):
    fit = multi.regress("car ~ size")
    summary = fit.summary()
    check_displays_its_summary(fit, summary)
    assert fit._repr_html_() == summary._repr_html_() and str(fit) == str(summary)
    (table,) = check_html_matches_text(summary).tables
    assert [row[0] for row in table["tbody"]] == ["Intercept", "size"]
    close(column(table, "coef"), fit.fit.params, 5)  # statsmodels' own numbers
    close(column(table, "se"), fit.fit.bse, 5)
    close(column(table, "t"), fit.fit.tvalues, 2)
    close(column(table, "p"), fit.fit.pvalues, 4)


def test_groups_show_the_pooled_tables_then_the_groups_and_their_differences(panel):
    returns, market, events = panel
    events = pd.concat([events, events.iloc[[2]].assign(event_date=returns.index[75])], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = run_grouped_study(events, "group", returns=returns, market_returns=market,
                                    estimation=(-50, -6), window=(-1, 1))
    summary = grouped.summary()
    check_displays_its_summary(grouped, summary)
    assert summary.startswith(str(grouped.pooled.summary()))
    page = check_html_matches_text(summary)
    assert "<i>g</i>" not in summary._repr_html_()
    groups, differences = page.tables[-2:]
    assert column(groups, "group") == ["<i>g</i>", "h"] and column(groups, "events") == ["2", "2"]
    close(column(groups, "CAAR(-1,+1)"), [grouped.groups[g].caar for g in ("<i>g</i>", "h")], 3, percent=True)
    (difference,) = grouped.differences
    assert column(differences, "groups") == ["<i>g</i> - h"]
    close(column(differences, "Welch p"), [difference.welch.p], 4)
    close(column(differences, "rank-sum p"), [difference.rank_sum.p], 4)


def test_long_horizon_events_and_tests_are_tables(panel):
    returns, market, events = panel
    result = run_long_horizon(events, (0, 5), returns=returns, market=market)
    summary = result.summary()
    check_displays_its_summary(result, summary)
    held, tests = check_html_matches_text(summary).tables
    assert column(held, "ticker") == NAMES and "&lt;b&gt;" in summary._repr_html_()
    close(column(held, "bhar"), result.events["bhar"], 2, percent=True)
    assert column(tests, "test") == [test.name for test in result.tests]
    close(column(tests, "stat"), [test.stat for test in result.tests], 3)


def test_calendar_time_coefficients_are_a_table(panel):
    returns, market, events = panel
    factors = pd.DataFrame({"RF": 0.0, "Mkt-RF": market}, index=market.index)
    result = run_calendar_time(events, (0, 10), "capm", market="M", returns=returns.assign(M=market),
                               factors=factors, cov="ols")
    summary = result.summary()
    check_displays_its_summary(result, summary)
    (table,) = check_html_matches_text(summary).tables
    assert [row[0] for row in table["tbody"]] == list(result.params.index)
    close(column(table, "coef"), result.params, 5)
    close(column(table, "t"), result.tvalues, 2)


def simulation_panel(seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Four stocks on a market over 120 business days, seeded."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=120)
    market = pd.Series(rng.normal(0, 0.01, 120), index=dates, name="M")
    returns = pd.DataFrame({f"S{j}": market.to_numpy() + rng.normal(0, 0.02, 120) for j in range(4)},
                           index=dates)
    return returns, market


def test_simulation_rates_are_a_table():
    returns, market = simulation_panel(2)
    result = simulate(returns, market, events=5, samples=20, estimation=(-50, -6), window=(-1, 1),
                      tests=("patell", "bmp"), seed=1)
    summary = result.summary()
    check_displays_its_summary(result, summary)
    (table,) = check_html_matches_text(summary).tables
    assert table["thead"][0][1:] == ["day 0", "CAR(-1, +1)"]
    assert [row[0] for row in table["tbody"]] == ["patell", "bmp"]
    rates = result.rejections.set_index(["name", "where", "tail"])["rate"]
    close([row[1] for row in table["tbody"]], [rates[(t, "day 0", "two_sided")] for t in ("patell", "bmp")],
          1, percent=True)


def test_power_summary_is_a_table_of_the_rates_by_shift():
    returns, market = simulation_panel(3)
    runs = [simulate(returns, market, events=5, samples=20, estimation=(-50, -6), window=(-1, 1),
                     tests=("patell",), seed=1, shift=shift) for shift in (0.0, 0.05)]
    summary = power_summary(runs)
    (table,) = check_html_matches_text(summary).tables
    assert table["thead"][0][1:] == ["day 0", "CAR(-1, +1)"]
    assert table["thead"][-1] == ["shift", "0.0%", "5.0%", "0.0%", "5.0%"]  # the shifts under each
    rates = [run.rejections.set_index(["name", "where", "tail"])["rate"] for run in runs]
    expected = [r[("patell", where, "two_sided")] for where in ("day 0", "CAR(-1, +1)") for r in rates]
    close(table["tbody"][0][1:], expected, 1, percent=True)
