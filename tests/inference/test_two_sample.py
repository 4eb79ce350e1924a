"""Welch's t and the Wilcoxon rank-sum test against scipy, brute-force enumeration and by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from eventstudy.exceptions import ParameterError
from eventstudy.inference.two_sample import _u_distribution, rank_sum, welch_t


@pytest.mark.parametrize("n_a, n_b, ties", [(2, 2, False), (5, 7, False), (8, 8, False), (9, 8, False),
                                            (9, 12, False), (30, 40, False), (4, 5, True), (10, 12, True),
                                            (3, 60, False), (200, 150, True)])
def test_both_tests_equal_scipy(n_a, n_b, ties):
    rng = np.random.default_rng(n_a * 100 + n_b)
    a, b = rng.normal(0.01, 0.02, n_a), rng.normal(0.0, 0.05, n_b)
    if ties:
        a, b = np.round(a, 2), np.round(b, 2)
    welch = welch_t(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False)  # scipy, called directly
    assert welch.t == pytest.approx(expected.statistic, rel=1e-12)
    assert welch.p == pytest.approx(expected.pvalue, rel=1e-10)
    assert welch.df == pytest.approx(expected.df, rel=1e-12)
    assert welch.difference == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    ranks = rank_sum(a, b)
    mann_whitney = stats.mannwhitneyu(a, b)  # default method="auto"
    assert ranks.u == mann_whitney.statistic
    assert ranks.p == pytest.approx(mann_whitney.pvalue, rel=1e-10)
    assert ranks.method == ("exact" if min(n_a, n_b) <= 8 and not ties else "normal")


def test_exact_distribution_equals_brute_force_enumeration():
    for n_a, n_b in [(1, 1), (2, 3), (3, 3), (4, 6), (5, 2)]:
        counts = np.zeros(n_a * n_b + 1)
        for chosen in itertools.combinations(range(n_a + n_b), n_a):  # ranks of a, 0-based
            counts[sum(chosen) - n_a * (n_a - 1) // 2] += 1
        np.testing.assert_allclose(_u_distribution(n_a, n_b), counts / math.comb(n_a + n_b, n_a), rtol=1e-14)


def test_exact_p_stays_accurate_for_a_small_group_against_a_large_one():
    rng = np.random.default_rng(7)
    a, b = rng.normal(2.0, 1, 5), rng.normal(0, 1, 3000)
    assert rank_sum(a, b).p == pytest.approx(stats.mannwhitneyu(a, b, method="exact").pvalue, rel=1e-12)


def test_hand_worked_case():
    # a entirely below b: U = 0; 1 arrangement in C(5, 2) = 10 is this extreme on each side
    result = rank_sum([1.0, 2.0], [3.0, 4.0, 5.0])
    assert (result.u, result.p, result.method) == (0.0, 0.2, "exact")
    # means 1.5 and 4, variances 0.5 and 1: t = -2.5 / sqrt(0.25 + 1/3)
    assert welch_t([1.0, 2.0], [3.0, 4.0, 5.0]).t == pytest.approx(-2.5 / math.sqrt(0.25 + 1 / 3))


def test_too_few_or_non_finite_values_name_the_group():
    with pytest.raises(ParameterError, match="^b:"):
        welch_t([1.0, 2.0], [1.0])
    with pytest.raises(ParameterError, match="^a:"):
        rank_sum([1.0, math.nan], [1.0, 2.0])
