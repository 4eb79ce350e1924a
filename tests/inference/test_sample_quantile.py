"""The sample-quantile test (Gelbach, Helland & Klick 2013) against a plain loop over the
overlapping sums, a hand-worked case, and its identities."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from eventstudy.exceptions import ParameterError
from eventstudy.inference.sample_quantile import (
    null_sums,
    sample_quantile_pvalues,
    sample_quantile_test,
)


def loop_sq(residuals, value, weights):
    """The test as the paper states it, one window at a time (windows with a gap left out)."""
    m = len(weights)
    sums = []
    for j in range(len(residuals) - m + 1):
        days = residuals[j : j + m]
        if any(np.isnan(d) for d in days):
            continue
        sums.append(sum(w * d for w, d in zip(weights, days)))
    greater = sum(1 for s in sums if s >= value) / len(sums)
    less = sum(1 for s in sums if s <= value) / len(sums)
    return min(1.0, 2 * min(greater, less)), greater, less, len(sums)


def test_hand_worked_case():
    e = np.array([-2.0, 1.0, 0.5, np.nan, 3.0, -1.0])
    # sums of two days: -1.0, 1.5, (gap), (gap), 2.0 -> n = 3
    test = sample_quantile_test(e, 1.5, np.ones(2))
    assert test.n == 3
    assert test.p_greater == pytest.approx(2 / 3)  # 1.5 and 2.0
    assert test.p_less == pytest.approx(2 / 3)  # -1.0 and 1.5
    assert test.p == 1.0
    assert not test.beyond
    one = sample_quantile_test(e, 2.5)  # one day: five residuals, 3.0 above
    assert (one.n, one.p_greater, one.p_less, one.p) == (5, 0.2, 0.8, 0.4)


@pytest.mark.parametrize("m", [1, 2, 3, 7])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_matches_a_plain_loop(m, alternative):
    rng = np.random.default_rng(m)
    e = rng.standard_t(3, 240) * 0.01
    e[rng.choice(240, 9, replace=False)] = np.nan
    weights = rng.uniform(0.5, 2.0, m)
    for value in (-0.05, -0.004, 0.0, 0.01, 0.2):
        two, greater, less, n = loop_sq(e, value, weights)
        test = sample_quantile_test(e, value, weights, alternative)
        assert test.n == n
        assert test.p_greater == pytest.approx(greater, abs=1e-15)
        assert test.p_less == pytest.approx(less, abs=1e-15)
        expected = {"two-sided": two, "greater": greater, "less": less}[alternative]
        assert test.p == pytest.approx(expected, abs=1e-15)


def test_many_events_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(7)
    e = rng.normal(size=(50, 120))
    e[rng.random(e.shape) < 0.05] = np.nan
    values = rng.normal(scale=2.0, size=50)
    weights = rng.uniform(0.5, 1.5, size=(50, 3))  # a GARCH-like weight per event and day
    p, greater, less, n = sample_quantile_pvalues(e, values, weights, "less")
    for i in range(50):
        two, g, l_, count = loop_sq(e[i], values[i], weights[i])
        assert (n[i], greater[i], less[i], p[i]) == (count, pytest.approx(g), pytest.approx(l_),
                                                     pytest.approx(l_))


def test_beyond_every_sum_and_the_smallest_p():
    e = np.linspace(-1, 1, 240)
    high = sample_quantile_test(e, 5.0)
    assert high.beyond and high.p == 0.0 and high.p_less == 1.0
    assert high.smallest_p == pytest.approx(2 / 240)
    at_max = sample_quantile_test(e, 1.0)  # equal to the largest residual: counted, p = 2/240
    assert not at_max.beyond and at_max.p == pytest.approx(2 / 240)
    assert high.to_dict() == {"p": 0.0, "n": 240, "beyond": True}


def test_one_sided_identities():
    rng = np.random.default_rng(3)
    e = rng.normal(size=240)
    for value in rng.normal(size=20):
        t = sample_quantile_test(e, value)
        # no ties: the two one-sided p-values add to 1 (+1/n when c is one of the sums)
        assert t.p_greater + t.p_less == pytest.approx(1.0)
        assert t.p == pytest.approx(min(1.0, 2 * min(t.p_greater, t.p_less)))


def test_null_sums_are_the_windowed_sums():
    e = np.arange(10.0)
    assert_allclose(null_sums(e, np.ones(3)), [3, 6, 9, 12, 15, 18, 21, 24])
    assert_allclose(null_sums(e, np.array([1.0, -1.0])), -np.ones(9))


def test_size_by_simulation_matches_its_discrete_law():
    """Exchangeable draws: P(p_greater <= a) = (floor(a n) + 1) / (n + 1) exactly."""
    rng = np.random.default_rng(11)
    reps, n = 20_000, 99
    draws = rng.standard_t(3, size=(reps, n + 1))
    _, greater, _, _ = sample_quantile_pvalues(draws[:, :n], draws[:, n], np.ones(1), "greater")
    for a in (0.05, 0.10):
        expected = (np.floor(a * n) + 1) / (n + 1)
        se = np.sqrt(expected * (1 - expected) / reps)
        assert abs(np.mean(greater <= a) - expected) < 4 * se


def test_bad_input():
    with pytest.raises(ParameterError, match="residuals"):
        sample_quantile_test(np.array([1.0, np.nan, 2.0]), 0.5, np.ones(2))
    with pytest.raises(ParameterError, match="weights"):
        sample_quantile_test(np.ones(3), 0.5, np.ones(4))
    with pytest.raises(ParameterError, match="value"):
        sample_quantile_test(np.ones(3), float("nan"))
    with pytest.raises(ParameterError, match="alternative"):
        sample_quantile_test(np.ones(3), 0.5, alternative="both")
