"""Number formats in one place (eventstudy.formatting): hand-worked cases."""

from __future__ import annotations

import math

import pytest

from eventstudy import formatting as fmt


def test_percent_number_and_share_by_hand():
    assert fmt.percent(0.00122) == "+0.122%"
    assert fmt.percent(-0.0314, symbol=False) == "-3.140"
    assert fmt.percent(0.05, sign=False) == "5.000%"
    assert fmt.number(0.01234) == "+0.0123"
    assert fmt.number(3.3333, 2, sign=False) == "3.33"
    assert fmt.share(0.625) == "62.5"
    assert fmt.count(12.0) == "12"
    assert fmt.statistic(-8.6313) == "-8.631"
    assert fmt.statistic(2.966, fmt.T_DECIMALS) == "+2.97"


@pytest.mark.parametrize("p, text", [(0.5, "0.5000"), (0.00333, "0.0033"), (0.0001, "0.0001"),
                                     (0.0000999, "<0.0001"), (0.0, "<0.0001"), (1.0, "1.0000")])
def test_pvalue_never_prints_zero(p, text):
    assert fmt.pvalue(p) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, None, "x"])
def test_what_cannot_be_computed_is_n_a(value):
    for show in (fmt.percent, fmt.number, fmt.statistic, fmt.pvalue, fmt.count, fmt.share):
        assert show(value) == fmt.MISSING
    assert fmt.stars(value) == ""


@pytest.mark.parametrize("p, marks", [(0.2, ""), (0.10, ""), (0.0999, "*"), (0.05, "*"), (0.049, "**"),
                                      (0.01, "**"), (0.0099, "***"), (0.0, "***")])
def test_stars_at_the_thresholds(p, marks):
    assert fmt.stars(p) == marks


def test_stars_and_legend_follow_the_levels_given_in_any_order():
    levels = ((0.001, "***"), (0.05, "*"), (0.01, "**"))
    assert fmt.stars(0.02, levels) == "*" and fmt.stars(0.0005, levels) == "***"
    assert fmt.star_legend(levels) == "* p < 0.05, ** p < 0.01, *** p < 0.001"
    assert fmt.star_legend() == "* p < 0.10, ** p < 0.05, *** p < 0.01"
