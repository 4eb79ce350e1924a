r"""Test statistics of a multi-event study, for every relative day and for the CAAR window.

All functions are array based: the :math:`N` events are the rows, so a study of any size is a
handful of numpy operations per relative day (no Python loop over events).

Inputs and conventions
----------------------
For event :math:`i = 1..N` with an expected-return model of :math:`k_i` parameters fitted by OLS on
:math:`L_i` estimation returns (OLS residuals :math:`e_{i\tau}`):

- residual variance :math:`s_i^2 = SSR_i / (L_i - k_i)`, :math:`SSR_i = \sum_\tau e_{i\tau}^2`;
  ``df`` :math:`= L_i - k_i`;
- event-window abnormal returns :math:`AR_{it}` with covariance :math:`V_i` including the
  prediction error, :math:`V_i = s_i^2 (I + X_i^*(X_i'X_i)^{-1}X_i^{*\prime})` (Campbell, Lo &
  MacKinlay 1997, eq. 4.4.8); ``abnormal_sd`` :math:`= \sqrt{\operatorname{diag} V_i}`;
- standardised abnormal return :math:`SAR_{it} = AR_{it} / \sqrt{V_{i,tt}}` (prediction-error
  corrected, Patell 1976);
- over the CAAR window :math:`[a, b]`: :math:`CAR_i = \mathbf 1'AR_i`, standardised with the full
  covariance, :math:`SCAR_i = CAR_i / \sqrt{\mathbf 1' V_i \mathbf 1}` (``car_sd``);
- ``residuals`` is an :math:`N \times L` matrix of the estimation-window residuals aligned in event
  time (column :math:`\tau` is the same relative day for every event), ``NaN`` where event
  :math:`i` has no return; :math:`L_i` is the number of non-``NaN`` entries of row :math:`i`.
- Estimation-window standardised residuals (rank tests) are :math:`e_{i\tau}/s_i`.

Every p-value is two-sided. All tests but four assume cross-sectionally independent events:
the Kolari & Pynnonen (2010) versions of Patell and BMP correct for the mean correlation, and
Corrado's (1989) rank test and Brown & Warner's (1980) crude dependence adjustment
(:mod:`eventstudy.inference.cda`) take their variance from the time series of a cross-sectional
mean (rank, residual), which absorbs cross-correlation. On real returns with 8-11 events
clustered on each date (2016-2019, market model), at the 5% level the unadjusted t, Patell and
BMP tests reject 12-18% of the time, sign, generalised sign and Wilcoxon 13-18%, their
Kolari-Pynnonen versions of Patell and BMP 4.5-7.3% and the Corrado rank test 4.7-5.0%; the
generalised rank and Corrado-Zivney tests, whose event-day cross-sectional re-standardisation
does not remove a common shock, 8-11%. :func:`multi_event_tests` warns
(:class:`ClusteredEventsWarning`) when events share a date and any test of
:data:`UNADJUSTED_TESTS` is shown.

Validation
----------
``tests/inference/test_statistics.py`` reproduces the outputs of the R package estudy2 0.10.0 (cross-sectional
t, Patell, BMP, Corrado rank, sign, generalised sign and the Wilcoxon W) to 1e-8, the
differences in convention being recomputed inside the tests; every statistic is also checked
against a direct formula and its null distribution on real returns with pseudo-events.

References
----------
- Brown, S. J. & Warner, J. B. (1980). Measuring security price performance. *Journal of
  Financial Economics* 8(3), 205-258.
- Boehmer, E., Musumeci, J. & Poulsen, A. B. (1991). Event-study methodology under conditions of
  event-induced variance. *Journal of Financial Economics* 30(2), 253-272.
- Campbell, J. Y., Lo, A. W. & MacKinlay, A. C. (1997). *The Econometrics of Financial Markets*,
  ch. 4.
- Campbell, C. J. & Wasley, C. E. (1993). Measuring security price performance using daily NASDAQ
  returns. *Journal of Financial Economics* 33(1), 73-92.
- Corrado, C. J. (1989). A nonparametric test for abnormal security-price performance in event
  studies. *Journal of Financial Economics* 23(2), 385-395.
- Corrado, C. J. & Zivney, T. L. (1992). The specification and power of the sign test in event
  study hypothesis tests using daily stock returns. *Journal of Financial and Quantitative
  Analysis* 27(3), 465-478.
- Cowan, A. R. (1992). Nonparametric event study tests. *Review of Quantitative Finance and
  Accounting* 2(4), 343-358.
- Kolari, J. W. & Pynnonen, S. (2010). Event study testing with cross-sectional correlation of
  abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
- Kolari, J. W. & Pynnonen, S. (2011). Nonparametric rank tests for event studies. *Journal of
  Empirical Finance* 18(5), 953-971.
- Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price behavior:
  empirical tests. *Journal of Accounting Research* 14(2), 246-276.
- Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin* 1(6),
  80-83.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

import numpy as np
import pandas as pd

from eventstudy.defaults import TEST_NAMES  # the order multi_event_tests reports them in
from eventstudy.exceptions import ClusteredEventsWarning, ParameterError, closest_hint
from eventstudy.inference.cda import crude_dependence_adjustment
from eventstudy.inference.parametric import (
    bmp,
    cross_sectional_t,
    kolari_pynnonen_bmp,
    kolari_pynnonen_patell,
    patell,
)
from eventstudy.inference.residual_pass import _residual_chunks, _ResidualPass
from eventstudy.inference.sign import (
    _generalized_sign,
    sign_test,
    wilcoxon,
)
from eventstudy.inference.statistic import StatResult, TestStatistic, one_sided

#: Tests that assume cross-sectional independence and are not adjusted for it (the clustering
#: warning names these).
UNADJUSTED_TESTS: frozenset[str] = frozenset(
    {
        "cross_sectional_t",
        "patell",
        "bmp",
        "corrado_zivney",
        "generalized_rank",
        "sign",
        "generalized_sign",
        "wilcoxon",
    }
)


# --------------------------------------------------------------------------------------------
# helpers


# --------------------------------------------------------------------------------------------
# parametric tests


# --------------------------------------------------------------------------------------------
# rank tests


# --------------------------------------------------------------------------------------------
# sign and signed-rank tests


# --------------------------------------------------------------------------------------------
# all tests at once


def _check_inputs(abnormal, abnormal_sd, car_sd, residuals, df, rel_days, window, tests):
    abnormal = np.asarray(abnormal, dtype=float)
    if abnormal.ndim != 2:
        raise ParameterError("abnormal", f"array of shape {abnormal.shape}", "give an (N, T) array")
    n, t = abnormal.shape
    if n < 2:
        raise ParameterError("abnormal", f"{n} event(s)", "give at least 2 events")
    if not np.all(np.isfinite(abnormal)):
        raise ParameterError("abnormal", "non-finite values", "give finite abnormal returns")
    abnormal_sd = np.asarray(abnormal_sd, dtype=float)
    if abnormal_sd.shape != (n, t):
        raise ParameterError(
            "abnormal_sd", f"shape {abnormal_sd.shape}", f"give the shape of abnormal, {(n, t)}"
        )
    if not np.all(abnormal_sd > 0) or not np.all(np.isfinite(abnormal_sd)):
        raise ParameterError(
            "abnormal_sd", "non-positive or non-finite values", "give positive finite SDs"
        )
    car_sd = np.asarray(car_sd, dtype=float)
    if car_sd.shape != (n,):
        raise ParameterError(
            "car_sd", f"shape {car_sd.shape}", f"give one SD per event, shape {(n,)}"
        )
    if not np.all(car_sd > 0) or not np.all(np.isfinite(car_sd)):
        raise ParameterError(
            "car_sd", "non-positive or non-finite values", "give positive finite SDs"
        )
    if not callable(residuals):
        residuals = np.asarray(residuals, dtype=float)
        if residuals.ndim != 2 or residuals.shape[0] != n:
            raise ParameterError(
                "residuals", f"shape {residuals.shape}", f"give an (N, L) array with N = {n}"
            )
    df = np.asarray(df, dtype=float)
    if df.shape != (n,):
        raise ParameterError("df", f"shape {df.shape}", f"give L_i - k_i per event, shape {(n,)}")
    if not np.all(df >= 1):
        raise ParameterError(
            "df", df.tolist()[:5], "each L_i - k_i must be at least 1 and at most L_i"
        )
    rel = [int(d) for d in rel_days]
    if len(rel) != t or any(b <= a for a, b in itertools.pairwise(rel)):
        raise ParameterError(
            "rel_days",
            list(rel_days),
            f"give {t} strictly increasing relative days, one per column",
        )
    try:
        a, b = (int(w) for w in window)
    except (TypeError, ValueError):
        raise ParameterError("window", window, "give (a, b) relative days") from None
    if a > b or a not in rel or b not in rel:
        raise ParameterError(
            "window", window, f"give a <= b, both among rel_days {rel[0]}..{rel[-1]}"
        )
    names = TEST_NAMES if tests is None else tuple(tests)
    unknown = [name for name in names if name not in TEST_NAMES]
    if unknown or not names:
        raise ParameterError(
            "tests", unknown or list(names),
            f"choose among {', '.join(TEST_NAMES)}{closest_hint(unknown, TEST_NAMES)}"
        )
    if any(name in ("patell", "kolari_pynnonen_patell") for name in names) and not np.all(df > 2):
        raise ParameterError(
            "df", df[~(df > 2)].tolist()[:5], "Patell's test needs L_i - k_i > 2 for every event"
        )
    return abnormal, abnormal_sd, car_sd, residuals, df, rel, (a, b), names


def _warn_if_clustered(event_dates, n: int, names: Sequence[str]) -> None:
    if event_dates is None:
        return
    values = np.asarray(event_dates)
    dates = pd.DatetimeIndex(values if values.dtype.kind == "M" else pd.to_datetime(list(values)))
    if len(dates) != n:
        raise ParameterError(
            "event_dates", f"{len(dates)} dates", f"give one day-0 date per event ({n})"
        )
    shown = [name for name in names if name in UNADJUSTED_TESTS]
    distinct, where, counts = np.unique(dates.values, return_inverse=True, return_counts=True)
    clustered = counts > 1  # one pass over the dates: linear (with the sort) in the events
    if clustered.any() and shown:
        shared = pd.DatetimeIndex(distinct[clustered])
        examples = ", ".join(f"{d:%Y-%m-%d}" for d in shared[:3])
        warnings.warn(
            f"{int(clustered[where.ravel()].sum())} of {n} events share a day-0 date with another event "
            f"({examples}{', ...' if len(shared) > 3 else ''}); {', '.join(shown)} assume "
            "cross-sectionally independent abnormal returns and are not adjusted for clustering "
            "(kolari_pynnonen_patell, kolari_pynnonen_bmp, cda and corrado_rank allow for it)",
            ClusteredEventsWarning,
            stacklevel=3,
        )


def multi_event_tests(
    abnormal: np.ndarray,
    abnormal_sd: np.ndarray,
    car_sd: np.ndarray,
    residuals: np.ndarray,
    df: np.ndarray,
    rel_days: Sequence[int],
    window: tuple[int, int],
    event_dates: Sequence[Any] | None = None,
    tests: Sequence[str] | None = None,
    chunk_size: int = 4096,
    more_windows: Sequence[tuple[tuple[int, int], np.ndarray]] = (),
    alternative: str = "two-sided",
) -> list[TestStatistic]:
    r"""Every requested test for every relative day and for the CAAR window.

    Parameters
    ----------
    abnormal
        ``(N, T)`` event-window abnormal returns of :math:`N \ge 2` events; column :math:`j` is
        relative day ``rel_days[j]``. Finite.
    abnormal_sd
        ``(N, T)`` their prediction-error-corrected SDs, :math:`\sqrt{\operatorname{diag} V_i}`.
    car_sd
        ``(N,)`` :math:`\sqrt{\mathbf 1' V_i \mathbf 1}` over the CAAR window (full covariance).
    residuals
        ``(N, L)`` estimation-window residuals aligned by relative day, ``NaN`` where missing;
        or a function of an array of rows returning their residuals (e.g.
        :meth:`eventstudy.engine.batch.BatchResult.residuals`), read ``chunk_size`` events at a time.
    df
        ``(N,)`` :math:`L_i - k_i`, :math:`L_i` the number of non-``NaN`` residuals of event
        :math:`i`.
    rel_days
        ``(T,)`` strictly increasing relative days of the columns of ``abnormal``.
    window
        ``(a, b)``: the CAAR window, both ends among ``rel_days``.
    event_dates
        Day-0 dates of the events (anything :func:`pandas.to_datetime` reads). When two events
        share a date, a :class:`~eventstudy.exceptions.ClusteredEventsWarning` names the
        unadjusted statistics requested.
    tests
        Names among :data:`TEST_NAMES`; default all.
    chunk_size
        Events whose residuals are read at once (ranked :data:`_BLOCK_ROWS` at a time). The
        residual-based statistics keep only column sums between chunks, so memory is bounded by
        the chunk, not by :math:`N`. A million events, :math:`L = 240`, :math:`T = 21`: every
        test in about 18 s of CPU, peak about 1.1 GB with the inputs
        (``benchmarks/bench_statistics.py``).
    more_windows
        Further CAAR windows, as ``((a, b), car_sd)`` pairs (``car_sd``: ``(N,)``
        :math:`\sqrt{\mathbf 1'V\mathbf 1}` over that window). They share the one pass over the
        residuals; each gets its row per test after the first window's.
    alternative
        ``"two-sided"`` (default), ``"greater"`` (a positive abnormal return) or ``"less"``:
        every p-value is for that alternative (:func:`one_sided`; Wilcoxon's from its own exact
        or approximate distribution).

    Returns
    -------
    list of TestStatistic
        For each test in the order of :data:`TEST_NAMES`: one row per relative day, then the
        window row.

    Raises
    ------
    ParameterError
        Shapes disagree, the window is not within ``rel_days``, a test name is unknown, fewer
        than two events, or :math:`L_i - k_i \le 2` with a Patell test requested.

    Notes
    -----
    Per day the parametric tests use :math:`AR_{it}` and :math:`SAR_{it}`; for the window they
    use :math:`CAR_i` and :math:`SCAR_i = CAR_i/\sqrt{\mathbf 1'V_i\mathbf 1}`. The rank tests
    rank each event's estimation residuals together with its event-window values
    (:func:`corrado_rank`, :func:`corrado_zivney`: :math:`L_i + T` values;
    :func:`generalized_rank`: :math:`L_i + 1`, the tested day or window being one
    observation). Sign, generalised sign and Wilcoxon use the sign of :math:`AR_{it}` per day
    and of :math:`CAR_i` for the window.
    """
    abnormal, abnormal_sd, car_sd, residuals, df, rel, (a, b), names = _check_inputs(
        abnormal, abnormal_sd, car_sd, residuals, df, rel_days, window, tests
    )
    n = abnormal.shape[0]
    _warn_if_clustered(event_dates, n, names)
    all_windows = [((a, b), car_sd)]
    for extra_window, extra_sd in more_windows:
        try:
            wa, wb = (int(w) for w in extra_window)
        except (TypeError, ValueError):
            raise ParameterError("more_windows", extra_window, "give (a, b) relative days") from None
        extra_sd = np.asarray(extra_sd, dtype=float)
        if wa > wb or wa not in rel or wb not in rel:
            raise ParameterError("more_windows", extra_window,
                                 f"give a <= b, both among rel_days {rel[0]}..{rel[-1]}")
        if extra_sd.shape != (n,) or not (np.all(extra_sd > 0) and np.all(np.isfinite(extra_sd))):
            raise ParameterError("more_windows", f"car_sd of shape {extra_sd.shape}",
                                 f"give positive finite SDs, one per event, shape {(n,)}")
        all_windows.append(((wa, wb), extra_sd))
    cols_of = [np.arange(rel.index(wa), rel.index(wb) + 1) for (wa, wb), _ in all_windows]
    cars = [abnormal[:, cols].sum(axis=1) for cols in cols_of]
    sar = abnormal / abnormal_sd
    scars = [car / sd for car, (_, sd) in zip(cars, all_windows)]
    t = abnormal.shape[1]
    uses = set(names)
    kolari = bool(uses & {"kolari_pynnonen_patell", "kolari_pynnonen_bmp"})

    def signed_ranks() -> tuple[StatResult, list[StatResult]]:
        return wilcoxon(abnormal, alternative), [wilcoxon(car, alternative) for car in cars]

    # Wilcoxon's sorts read no residuals: a thread does them while the pass is set up (the event
    # values re-standardised) and reads the residuals
    with ThreadPoolExecutor(1) as pool:
        signed = pool.submit(signed_ranks) if "wilcoxon" in uses else None
        rank_pass = _ResidualPass(
            n, 0, kolari=kolari, sign="generalized_sign" in uses, cda="cda" in uses,
            abnormal=abnormal if "corrado_rank" in uses else None, df=df,
            zivney=sar if "corrado_zivney" in uses else None,
            grank=np.column_stack([sar, *scars]) if "generalized_rank" in uses else None,
        )
        if kolari or uses & {"corrado_rank", "corrado_zivney", "generalized_rank",
                             "generalized_sign", "cda"}:
            rank_pass.add_chunks(_residual_chunks(residuals, df, chunk_size))
    r = rank_pass.correlation() if kolari else float("nan")

    def grank() -> tuple[StatResult, list[StatResult]]:
        every = rank_pass.generalized_rank()
        return (StatResult(every.stat[:t], every.pvalue[:t], every.dist),
                [StatResult(every.stat[t + w], every.pvalue[t + w], every.dist)
                 for w in range(len(all_windows))])

    def per_window(function: Any, values: list[np.ndarray]) -> list[StatResult]:
        return [function(v) for v in values]

    compute = {
        "cross_sectional_t": lambda: (cross_sectional_t(abnormal), per_window(cross_sectional_t, cars)),
        "patell": lambda: (patell(sar, df), [patell(x, df) for x in scars]),
        "bmp": lambda: (bmp(sar), per_window(bmp, scars)),
        "kolari_pynnonen_patell": lambda: (
            kolari_pynnonen_patell(sar, df, r), [kolari_pynnonen_patell(x, df, r) for x in scars],
        ),
        "kolari_pynnonen_bmp": lambda: (
            kolari_pynnonen_bmp(sar, r), [kolari_pynnonen_bmp(x, r) for x in scars],
        ),
        "cda": lambda: crude_dependence_adjustment(abnormal, rank_pass.e_sum, rank_pass.e_count,
                                                   cols_of),
        "corrado_rank": lambda: (rank_pass.corrado_rank(None),
                                 [rank_pass.corrado_rank(cols) for cols in cols_of]),
        "corrado_zivney": lambda: (rank_pass.corrado_zivney(None),
                                   [rank_pass.corrado_zivney(cols) for cols in cols_of]),
        "generalized_rank": grank,
        "sign": lambda: (sign_test(abnormal), per_window(sign_test, cars)),
        "generalized_sign": lambda: (
            _generalized_sign(abnormal, rank_pass.positive_share()),
            [_generalized_sign(car, rank_pass.positive_share()) for car in cars],
        ),
        "wilcoxon": lambda: cast(Future, signed).result(),  # submitted when asked for
    }
    out: list[TestStatistic] = []
    for name in TEST_NAMES:
        if name not in names:
            continue
        daily, cumulative = compute[name]()
        if name != "wilcoxon":
            daily = one_sided(daily, alternative)
            cumulative = [one_sided(result, alternative) for result in cumulative]
        for j, day in enumerate(rel):
            out.append(
                TestStatistic(
                    name, day, None, float(daily.stat[j]), float(daily.pvalue[j]), daily.dist
                )
            )
        for ((wa, wb), _), result in zip(all_windows, cumulative):
            out.append(TestStatistic(name, None, (wa, wb), float(result.stat),
                                     float(result.pvalue), result.dist))
    return out
