"""The crude dependence adjustment test (Brown & Warner 1980, 1985) against its direct formula
(numpy nan-functions and scipy.stats.t), read in one pass or chunk by chunk, and its size under
cross-sectional correlation by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference.cda import crude_dependence_adjustment
from eventstudy.inference.multi_event import multi_event_tests


def direct(abnormal, residuals, windows):
    """The formula as Brown & Warner write it, on the whole arrays."""
    days = ~np.isnan(residuals).all(axis=0)  # days without any residual dropped
    mean_residual = np.nanmean(residuals[:, days], axis=0)
    s = np.sqrt(np.sum((mean_residual - mean_residual.mean()) ** 2) / (len(mean_residual) - 1))
    df = len(mean_residual) - 1
    aar = abnormal.mean(axis=0)
    t_days = aar / s
    t_windows = [aar[a:b + 1].sum() / (np.sqrt(b - a + 1) * s) for a, b in windows]
    return t_days, t_windows, df


def inputs(seed=1, n=40, length=120, t=5):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.01, length + t)  # a market-wide shock: correlated events
    residuals = common[:length] + rng.normal(0, 0.02, (n, length))
    residuals[rng.random(residuals.shape) < 0.1] = np.nan
    residuals[:, 7] = np.nan  # a day without any residual
    abnormal = common[length:] + rng.normal(0, 0.02, (n, t)) + 0.004
    return abnormal, residuals


@pytest.mark.parametrize("chunk_size", [4096, 7])
def test_matches_the_direct_formula(chunk_size):
    abnormal, residuals = inputs()
    n, t = abnormal.shape
    sd = np.full((n, t), 0.02)
    got = multi_event_tests(abnormal, sd, np.full(n, 0.05), residuals, np.full(n, 100),
                            rel_days=[-2, -1, 0, 1, 2], window=(-1, 1), tests=["cda"],
                            more_windows=[((0, 0), np.full(n, 0.02))], chunk_size=chunk_size)
    t_days, t_windows, df = direct(abnormal, residuals, [(1, 3), (2, 2)])
    assert df == 120 - 1 - 1  # one day has no residual at all
    assert [s.stat for s in got] == pytest.approx([*t_days, *t_windows], rel=1e-12)
    p = 2 * stats.t.sf(np.abs([*t_days, *t_windows]), df)
    assert [s.pvalue for s in got] == pytest.approx(p, rel=1e-10)
    assert {s.dist for s in got} == {f"t({df})"}
    greater = multi_event_tests(abnormal, sd, np.full(n, 0.05), residuals, np.full(n, 100),
                                rel_days=[-2, -1, 0, 1, 2], window=(-1, 1), tests=["cda"],
                                alternative="greater")
    assert [s.pvalue for s in greater] == pytest.approx(
        stats.t.sf([*t_days, t_windows[0]], df), rel=1e-10)


def test_hand_worked_case():
    residuals = np.array([[0.01, -0.01, 0.02], [0.03, 0.01, np.nan]])
    # mean residual per day: 0.02, 0.0, 0.02 -> mean 0.04/3, sd = sqrt(((0.02-m)^2*2 + m^2)/2)
    m = 0.04 / 3
    s = np.sqrt(((0.02 - m) ** 2 * 2 + m**2) / 2)
    abnormal = np.array([[0.05], [0.01]])
    daily, (window,) = crude_dependence_adjustment(abnormal, np.nansum(residuals, axis=0),
                                                   np.sum(~np.isnan(residuals), axis=0),
                                                   [np.array([0])])
    assert daily.stat[0] == pytest.approx(0.03 / s) and daily.dist == "t(2)"
    assert float(window.stat) == pytest.approx(0.03 / s)


def test_holds_its_size_when_events_are_correlated_and_the_t_test_does_not():
    """20 events on one date sharing a market-wide shock (a third of their variance): the
    cross-sectional t rejects far too often, the CDA test about 5% of the time."""
    rng = np.random.default_rng(7)
    reps, n, length = 2000, 20, 240
    cda_rejects = t_rejects = 0
    for _ in range(reps):
        common = rng.normal(0, np.sqrt(1 / 3), length + 1)
        e = common[None, :] + rng.normal(0, np.sqrt(2 / 3), (n, length + 1))
        residuals, abnormal = e[:, :length], e[:, length:]
        daily, _ = crude_dependence_adjustment(abnormal, residuals.sum(axis=0),
                                               np.full(length, n), [])
        cda_rejects += daily.pvalue[0] < 0.05
        t_rejects += stats.ttest_1samp(abnormal[:, 0], 0).pvalue < 0.05
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(cda_rejects / reps - 0.05) < 4 * se
    assert t_rejects / reps > 0.3
