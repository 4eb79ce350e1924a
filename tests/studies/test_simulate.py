"""The simulation of size and power (eventstudy.studies.simulate) against answers theory gives.

Rejection rates are binomial counts: each check accepts the central interval of
Binomial(n, p0) that holds with probability 1 - 0.001 / (checks in the test) (a Bonferroni
family-wise 0.1%), where p0 is the rate theory predicts. The seeds are fixed, so the tests are
deterministic; the bands say how far a correct implementation can be from theory.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.cli import main
from eventstudy.exceptions import ParameterError
from eventstudy.studies.simulate import clopper_pearson, power_summary, power_table, simulate
from eventstudy.inference.multi_event import TEST_NAMES
from eventstudy.engine.single import EventStudy

Z95 = stats.norm.ppf(0.975)


def synthetic_panel(n_dates: int = 700, n_securities: int = 30, rho: float = 0.0, seed: int = 1):
    """Market-model returns with i.i.d. normal residuals; ``rho`` the residuals' correlation
    through a common factor the market does not carry."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=n_dates)
    market = pd.Series(rng.normal(0.0003, 0.01, n_dates), index=dates, name="market")
    beta = rng.uniform(0.5, 1.5, n_securities)
    common = rng.standard_normal(n_dates)[:, None]
    own = rng.standard_normal((n_dates, n_securities))
    residual = 0.02 * (np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own)
    values = 0.0002 + market.to_numpy()[:, None] * beta[None, :] + residual
    returns = pd.DataFrame(values, index=dates, columns=[f"S{j:02d}" for j in range(n_securities)])
    return returns, market


def band(n: int, p0: float, checks: int) -> tuple[float, float]:
    """Central binomial interval of the rate k/n with probability 1 - 0.001/checks."""
    tail = 0.001 / checks / 2.0
    return stats.binom.ppf(tail, n, p0) / n, stats.binom.isf(tail, n, p0) / n


def rates(result, where: str) -> pd.DataFrame:
    rows = result.rejections
    rows = rows[rows["rel_day"].notna()] if where == "day 0" else rows[rows["rel_day"].isna()]
    return rows.set_index(["name", "tail"])


def sign_test_size(n_events: int, p: float, alpha: float, tail: str) -> float:
    """Exact rejection rate of the normal-approximation sign rule z = (w - N p)/sqrt(N p (1-p))
    when w ~ Binomial(N, 1/2)."""
    w = np.arange(n_events + 1)
    z = (w - n_events * p) / np.sqrt(n_events * p * (1 - p))
    pmf = stats.binom.pmf(w, n_events, 0.5)
    crit_two, crit_one = stats.norm.isf(alpha / 2), stats.norm.isf(alpha)
    reject = {"two_sided": np.abs(z) > crit_two, "lower": z < -crit_one, "upper": z > crit_one}[tail]
    return float(pmf[reject].sum())


# ----------------------------------------------------------------------------------------------
# size on i.i.d. normal residuals


@pytest.fixture(scope="module")
def null_run():
    returns, market = synthetic_panel()
    return simulate(returns, market, events=30, samples=600, seed=11)


@pytest.mark.simulation
def test_every_test_rejects_at_its_level_on_iid_normal_residuals(null_run):
    n_events, n = 30, 600
    checks = len(TEST_NAMES) * 2 * 3
    for where in ("day 0", "window"):
        table = rates(null_run, where)
        for name in TEST_NAMES:
            for tail in ("two_sided", "lower", "upper"):
                row = table.loc[(name, tail)]
                assert row["n"] == n
                if name in ("sign", "generalized_sign"):
                    # discrete: the exact size of the rule at N = 30, over the estimated share of
                    # positive residuals p (1/2 for symmetric residuals, within 0.49..0.51)
                    sizes = [sign_test_size(n_events, p, 0.05, tail) for p in (0.49, 0.5, 0.51)]
                    low, high = band(n, min(sizes), checks)[0], band(n, max(sizes), checks)[1]
                else:
                    low, high = band(n, 0.05, checks)
                assert low <= row["rate"] <= high, (where, name, tail, row["rate"], low, high)


@pytest.mark.simulation
def test_rates_count_the_rejections_of_the_statistics(null_run):
    """The table is the per-sample statistics counted again, directly."""
    j = null_run.tests.index("patell")
    z, p = null_run.stat[:, j, 0], null_run.pvalue[:, j, 0]
    assert np.allclose(p, 2 * stats.norm.sf(np.abs(z)))
    table = rates(null_run, "day 0")
    assert table.loc[("patell", "two_sided"), "rejections"] == np.sum(np.abs(z) > Z95)
    assert table.loc[("patell", "upper"), "rejections"] == np.sum(z > stats.norm.isf(0.05))
    assert table.loc[("patell", "lower"), "rejections"] == np.sum(z < -stats.norm.isf(0.05))
    k = int(table.loc[("patell", "two_sided"), "rejections"])
    assert table.loc[("patell", "two_sided"), "rate"] == k / 600


# ----------------------------------------------------------------------------------------------
# event-induced variance


@pytest.mark.simulation
def test_event_induced_variance_makes_patell_over_reject_but_not_bmp():
    returns, market = synthetic_panel(seed=2)
    c, n = 2.0, 1500
    result = simulate(returns, market, events=50, samples=n, variance_multiplier=c, seed=5,
                      tests=("cross_sectional_t", "patell", "bmp"))
    patell_rate = 2 * (1 - stats.norm.cdf(Z95 / np.sqrt(c)))  # 16.6% at c = 2
    assert abs(patell_rate - 0.166) < 0.001
    checks = 6
    for where in ("day 0", "window"):
        table = rates(result, where)
        low, high = band(n, patell_rate, checks)
        assert low <= table.loc[("patell", "two_sided"), "rate"] <= high
        for name in ("bmp", "cross_sectional_t"):
            low, high = band(n, 0.05, checks)
            assert low <= table.loc[(name, "two_sided"), "rate"] <= high, name


# ----------------------------------------------------------------------------------------------
# cross-correlation of same-date events


@pytest.mark.simulation
def test_cross_correlation_inflates_the_unadjusted_tests_not_kolari_pynnonen():
    rho, n_events, n = 0.1, 20, 1200
    returns, market = synthetic_panel(n_securities=40, rho=rho, seed=3)
    result = simulate(returns, market, events=n_events, samples=n, same_date=True, seed=7,
                      tests=("cross_sectional_t", "patell", "bmp", "kolari_pynnonen_patell",
                             "kolari_pynnonen_bmp"))
    assert (result.events.groupby("sample")["day0"].nunique() == 1).all()
    assert (result.events.groupby("sample")["security"].nunique() == n_events).all()
    inflation = 1 + (n_events - 1) * rho
    # Patell divides by the time-series sd: Z ~ N(0, 1 + (N-1) rho) (the formula)
    patell = 2 * (1 - stats.norm.cdf(Z95 / np.sqrt(inflation)))
    # t and BMP divide by the cross-sectional sd, whose square has mean (1 - rho) times the
    # variance: the statistic is sqrt((1 + (N-1) rho) / (1 - rho)) times a t(N-1)
    t_crit = stats.t.isf(0.025, n_events - 1)
    cross = 2 * stats.t.sf(t_crit * np.sqrt((1 - rho) / inflation), n_events - 1)
    # Kolari-Pynnonen multiply by sqrt((1 - r) / (1 + (N-1) r)): BMP back to t(N-1); Patell's
    # N(0, 1 + (N-1) rho) to N(0, 1 - rho), slightly below the level
    kp_patell = 2 * (1 - stats.norm.cdf(Z95 / np.sqrt(1 - rho)))
    expected = {"patell": patell, "cross_sectional_t": cross, "bmp": cross,
                "kolari_pynnonen_bmp": 0.05, "kolari_pynnonen_patell": kp_patell}
    assert 0.24 < patell < 0.26 and 0.03 < kp_patell < 0.05
    for where in ("day 0", "window"):
        table = rates(result, where)
        for name, p0 in expected.items():
            low, high = band(n, p0, 2 * len(expected))
            rate = table.loc[(name, "two_sided"), "rate"]
            assert low <= rate <= high, (where, name, rate, p0)


# ----------------------------------------------------------------------------------------------
# the abnormal performance is applied exactly


@pytest.fixture(scope="module")
def small_panel():
    return synthetic_panel(n_dates=400, n_securities=8, seed=4)


def test_shift_moves_the_day0_abnormal_return_by_exactly_the_shift(small_panel):
    returns, market = small_panel
    kwargs = dict(events=10, samples=20, seed=3, tests=("patell",))
    base = simulate(returns, market, **kwargs)
    moved = simulate(returns, market, shift=0.0123, **kwargs)
    pd.testing.assert_frame_equal(base.events, moved.events)
    day0 = base.rel_days.index(0)
    assert np.allclose(moved.abnormal[:, :, day0] - base.abnormal[:, :, day0], 0.0123,
                       rtol=0, atol=1e-15)
    others = [j for j in range(len(base.rel_days)) if j != day0]
    assert np.array_equal(moved.abnormal[:, :, others], base.abnormal[:, :, others])
    spread = simulate(returns, market, shift=0.03, shift_window=(-1, 1), **kwargs)
    assert np.allclose(spread.abnormal - base.abnormal, 0.01, rtol=0, atol=1e-15)
    scaled = simulate(returns, market, shift=0.01, variance_multiplier=4.0, **kwargs)
    expected = 2.0 * base.abnormal
    expected[:, :, day0] += 0.01
    assert np.allclose(scaled.abnormal, expected, rtol=0, atol=1e-15)


def test_modified_outputs_equal_a_study_of_modified_returns(small_panel):
    """The analytic AR' = sqrt(c) AR + shift against the single-event path run on returns whose
    event window was modified: R' = E + sqrt(c) (R - E) + shift on day 0, E its expected return."""
    returns, market = small_panel
    c, shift = 3.0, 0.02
    result = simulate(returns, market, events=5, samples=2, shift=shift, variance_multiplier=c,
                      seed=9, tests=("patell",))
    study = EventStudy("market", estimation=(-250, -11), window=(-1, 1))
    for k, row in enumerate(result.events.itertuples()):
        stock = returns[row.security]
        plain = study.run(stock, market, row.day0)
        dates = plain.days["date"]
        modified = stock.copy()
        expected = plain.days["expected"].to_numpy()
        modified.loc[dates] = expected + np.sqrt(c) * (stock.loc[dates].to_numpy() - expected)
        modified.loc[row.day0] += shift
        rerun = study.run(modified, market, row.day0)
        got = result.abnormal[row.sample, k % 5]
        assert np.allclose(got, rerun.days["abnormal"].to_numpy(), rtol=0, atol=1e-12)
        assert np.allclose(plain.days["se"], rerun.days["se"], rtol=0, atol=1e-15)


def test_tails_follow_the_direction_of_the_shift(small_panel):
    returns, market = small_panel
    for shift, rejecting, silent in ((0.2, "upper", "lower"), (-0.2, "lower", "upper")):
        result = simulate(returns, market, events=10, samples=5, shift=shift, seed=2)
        day0 = rates(result, "day 0")
        for name in TEST_NAMES:
            assert day0.loc[(name, rejecting), "rate"] == 1.0, (name, shift)
            assert day0.loc[(name, silent), "rate"] == 0.0, (name, shift)


# ----------------------------------------------------------------------------------------------
# draws, intervals, output


def test_pseudo_events_have_full_windows_and_use_the_admissible_days(small_panel):
    returns, market = small_panel
    returns = returns.copy()
    returns.iloc[:300, 0] = np.nan  # S00 starts late: only days 300+250.. could be day 0
    result = simulate(returns, market, events=10, samples=30, seed=1, tests=("patell",))
    positions = market.index.get_indexer(result.events["day0"])
    assert positions.min() >= 250 and positions.max() <= len(market) - 2
    late = result.events["security"] == "S00"
    assert (positions[late.to_numpy()] >= 300 + 250).all()


def test_a_sample_never_holds_the_same_study_twice():
    """2 securities x 11 admissible days: 10 random pairs would repeat in most samples."""
    returns, market = synthetic_panel(n_dates=262, n_securities=2, seed=6)
    result = simulate(returns, market, events=10, samples=50, seed=1, tests=("patell",))
    assert not result.events.duplicated(["sample", "security", "day0"]).any()
    assert result.events["day0"].nunique() == 11 and result.events["security"].nunique() == 2
    with pytest.raises(ParameterError, match="only 22 admissible"):
        simulate(returns, market, events=23, samples=1)


def test_same_date_needs_enough_securities(small_panel):
    returns, market = small_panel
    with pytest.raises(ParameterError, match="at most 8 securities"):
        simulate(returns, market, events=9, samples=2, same_date=True)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [({"alpha": 0.5}, "alpha"), ({"events": 1}, "events"), ({"samples": 0}, "samples"),
     ({"variance_multiplier": 0.0}, "variance_multiplier"), ({"shift": float("nan")}, "shift"),
     ({"shift_window": (0, 2)}, "shift_window"), ({"window": (1, 3)}, "window"),
     ({"tests": ["t"]}, "tests")],
)
def test_bad_parameters_are_named(small_panel, kwargs, parameter):
    returns, market = small_panel
    with pytest.raises(ParameterError) as info:
        simulate(returns, market, **{"samples": 2, "events": 5, **kwargs})
    assert info.value.parameter == parameter


def test_clopper_pearson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(0, 50), (3, 50), (50, 50), (166, 1000), (1, 1)]:
        low, high = proportion_confint(k, n, alpha=0.05, method="beta")
        assert clopper_pearson(k, n) == pytest.approx((low, high), abs=1e-12)


def test_json_and_tables(small_panel):
    returns, market = small_panel
    results = [simulate(returns, market, events=10, samples=10, shift=s, seed=1,
                        tests=("patell", "wilcoxon")) for s in (0.0, 0.01)]
    payload = json.loads(json.dumps(results[1].to_dict(), allow_nan=False))
    assert payload["n_samples"] == 10 and payload["events_per_sample"] == 10
    assert payload["design"]["shift"] == 0.01
    first = payload["rejections"][0]
    assert set(first) >= {"name", "rel_day", "window", "rate", "ci_low", "ci_high", "tail"}
    assert first["rel_day"] == 0 and first["window"] is None
    assert payload["rejections"][3]["window"] == [-1, 1] and payload["rejections"][3]["rel_day"] is None
    table = power_table(results)
    assert list(table.columns) == [0.0, 0.01] and list(table.index) == ["patell", "wilcoxon"]
    assert table.loc["patell", 0.01] == rates(results[1], "day 0").loc[("patell", "two_sided"), "rate"]
    assert "patell" in power_summary(results) and "CAR(-1, +1)" in results[0].summary()
    assert results[0].table().shape == (2, 2)


def test_plot_power_marks_the_nominal_level(small_panel):
    from eventstudy.report.multi_charts import plot_power
    import matplotlib.pyplot as plt

    returns, market = small_panel
    results = [simulate(returns, market, events=10, samples=5, shift=s, seed=1,
                        tests=("patell", "bmp")) for s in (0.0, 0.01)]
    _, ax = plt.subplots()
    assert plot_power(results, ax=ax) is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["patell", "bmp", "nominal level 5%"]
    assert list(ax.get_lines()[2].get_ydata()) == [5.0, 5.0]
    assert list(ax.get_lines()[0].get_xdata()) == [0.0, 1.0]


# ----------------------------------------------------------------------------------------------
# command line (the snapshot)


def test_cli_prints_json_and_power_tables(capsys):
    assert main(["simulate", "--samples", "5", "--events", "10", "--seed", "2", "--json",
                 "--tests", "patell", "bmp"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["design"]["returns"] == "the snapshot's stocks"
    assert payload["design"]["market"] == "^GSPC" and len(payload["rejections"]) == 2 * 2 * 3
    assert main(["simulate", "--samples", "5", "--events", "4", "--shift", "0", "0.01",
                 "--tickers", "JPM", "WFC", "C", "USB", "--same-date", "--tests", "patell"]) == 0
    out = capsys.readouterr().out
    assert "0.0%" in out and "1.0%" in out and "patell" in out


def test_cli_errors_are_one_line(capsys):
    assert main(["simulate", "--samples", "2", "--events", "30", "--same-date"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: error: --events: 30 is not allowed; with --same-date,") and err.count("\n") == 1
