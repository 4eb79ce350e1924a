"""The exact Wilcoxon p-values computed once per sample size equal scipy's, every size and tail."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from eventstudy.inference import sign


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_p_values_equal_scipy_for_every_size_up_to_50(alternative):
    rng = np.random.default_rng(7)
    for n in (2, 3, 7, 13, 24, 37, 50):
        x = rng.standard_normal((n, 40)) + rng.uniform(-1, 1, 40)  # untied, some far off zero
        got = sign.wilcoxon(x, alternative=alternative)
        want = [sps.wilcoxon(x[:, j], zero_method="wilcox", method="exact",
                             alternative=alternative).pvalue for j in range(x.shape[1])]
        np.testing.assert_allclose(got.pvalue, want, rtol=1e-12, atol=0)
        assert got.dist == f"Wilcoxon signed-rank W+ (exact, n={n})"


def test_null_distribution_by_enumerating_sign_patterns():
    for n in (1, 4, 10):
        sums = np.array([sum(r for r, s in zip(range(1, n + 1), signs) if s)
                         for signs in itertools.product([0, 1], repeat=n)])
        lower, upper = sign._signed_rank_tails(n)
        for k in range(n * (n + 1) // 2 + 1):
            assert lower[k] == np.mean(sums <= k) and upper[k] == np.mean(sums >= k)
