r"""Size and power of every multi-event test, simulated on a returns panel (Brown & Warner 1985).

Which of the twelve statistics of :mod:`eventstudy.inference.multi_event` should a study trust? Their
rejection rates when nothing happened (size) and when something did (power) answer it, and
:func:`simulate` measures them on any returns panel, the committed snapshot by default.

Design
------
Brown & Warner (1985, *J. Financ. Econ.* 14(1), 3-31) on daily returns:

1. **Pseudo-events.** Each of ``samples`` samples holds ``events`` pseudo-events. For each, a
   security is drawn uniformly (with replacement) among the securities with at least one
   admissible day, then day 0 uniformly among that security's admissible days. A day is
   admissible when the whole event window has the security's return and every model input,
   the estimation window has at least ``min_estimation`` of them, and both windows lie within
   the security's first and last return (the rules of :func:`~eventstudy.engine.batch.batch_event_study`,
   so no drawn event is skipped). A (security, day 0) pair drawn twice in one sample is drawn
   again, so a sample never holds the same study twice (frequent on a small panel). With ``same_date=True`` each sample draws one day 0 uniformly
   among the days admissible for at least ``events`` securities, and ``events`` distinct
   securities uniformly among those admissible that day (clustered events).
2. **Studies.** All ``samples x events`` pseudo-events go through ONE call of the vectorised
   engine, on the returns as they are.
3. **Abnormal performance, applied to the engine's outputs.** With :math:`E_{it}` the expected
   return of the model fitted on the event's estimation window (for the market model
   :math:`\hat\alpha_i + \hat\beta_i R_{mt}`), event-window returns are replaced by

   .. math:: R'_{it} = E_{it} + \sqrt c\,(R_{it} - E_{it}) + \delta_t,

   with :math:`c` = ``variance_multiplier`` (event-induced variance: every event-window
   residual's variance times :math:`c`) and :math:`\delta_t = \text{shift}/m` on each of the
   :math:`m` days of ``shift_window`` (default day 0 alone), 0 elsewhere, so the CAR over any
   window containing ``shift_window`` moves by exactly ``shift``. Because :math:`E_{it}`,
   the standard errors :math:`\sqrt{V_{i,tt}}`, :math:`\sqrt{\mathbf 1'V_i\mathbf 1}` and the
   estimation residuals depend only on the estimation window and the model's inputs, never on
   the stock's event-window returns, this is **exactly**

   .. math:: AR'_{it} = \sqrt c\,AR_{it} + \delta_t,\qquad
             CAR'_i = \sqrt c\,CAR_i + \textstyle\sum_{t \in W}\delta_t,

   with every other input of the tests unchanged: the same numbers as re-running the engine on
   a panel whose event-window returns were modified for that event alone
   (``tests/studies/test_simulate.py`` checks this against such a re-run). Each pseudo-event is its
   own study: its modification never enters another pseudo-event's estimation window, as in
   Brown & Warner.
4. **Tests.** :func:`~eventstudy.inference.multi_event.multi_event_tests` runs on each sample (a loop over
   samples; within a sample everything is vectorised over events). For day 0 and the CAR
   window, a test rejects two-sided when :math:`p < \alpha`, in the upper tail when
   :math:`\text{stat} > 0` and :math:`p < 2\alpha` and in the lower tail when
   :math:`\text{stat} < 0` and :math:`p < 2\alpha`: every null distribution here (normal,
   Student t, and Wilcoxon's :math:`W^+` about its centre :math:`n(n+1)/4`, :math:`n` the
   non-zero values, which replaces 0 for that test) is symmetric, so these are the one-sided
   tests at level :math:`\alpha`.
5. **Rates.** The rejection rate over the samples where the statistic is defined (``n``;
   the Kolari-Pynnonen factor is undefined when the estimated correlation is at or below
   :math:`-1/(N-1)`), with its exact Clopper-Pearson (1934) 95% interval
   :math:`[B(0.025; k, n-k+1),\ B(0.975; k+1, n-k)]` (beta quantiles; 0 and 1 at
   :math:`k = 0` and :math:`k = n`).

The same ``seed`` draws the same pseudo-events whatever ``shift`` and ``variance_multiplier``
are, so power curves over several shifts use common random numbers.

References
----------
- Brown, S. J. & Warner, J. B. (1985). Using daily stock returns: the case of event studies.
  *Journal of Financial Economics* 14(1), 3-31.
- Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
  in the case of the binomial. *Biometrika* 26(4), 404-413.
- Kolari, J. W. & Pynnonen, S. (2010). Event study testing with cross-sectional correlation of
  abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.engine.batch import batch_event_study
from eventstudy.calendar import Window, as_window
from eventstudy.exceptions import DataError, ParameterError, closest_hint
from eventstudy.progress import progress_bar
from eventstudy.inference.multi_event import TEST_NAMES, multi_event_tests
from eventstudy.defaults import DEFAULT_ESTIMATION, DEFAULT_MARKET, DEFAULT_WINDOW
from eventstudy.engine.single import EventStudy, model_data
from eventstudy.studies.inputs import load_factor_sets
from eventstudy.studies.simulation_result import (
    DAY0,
    TAILS,
    SimulationResult,
    power_summary,
    power_table,
)

__all__ = ["SimulationResult", "clopper_pearson", "power_summary", "power_table", "simulate",
           "snapshot_panel"]

#: Snapshot tickers that are not stocks (indices and ETFs), and GOOG, the second share class of
#: GOOGL (their returns correlate at about 0.99, so clustered samples would hold one firm twice).
NOT_SIMULATED: tuple[str, ...] = ("^GSPC", "^IXIC", "SPY", "QQQ", "GOOG")

#: Coverage of the binomial interval of every rejection rate.
INTERVAL_COVERAGE = 0.95


def snapshot_panel(
    market: str = DEFAULT_MARKET, tickers: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """The committed snapshot's stocks as a returns panel, and the market's returns.

    Parameters
    ----------
    market
        The market's ticker.
    tickers
        The stocks; default every snapshot ticker except :data:`NOT_SIMULATED`.

    Returns
    -------
    returns, market
        Simple returns (:func:`eventstudy.data.returns.simple_returns` of the adjusted closes) on the
        market's trading days, one column per stock, and the market's returns.
    """
    from eventstudy.data.snapshot import available_tickers, load_prices, unknown_ticker
    from eventstudy.data.returns import simple_returns

    known = available_tickers()
    if market not in known:
        raise ParameterError("market", market, f"choose a snapshot ticker: {', '.join(known)}")
    if tickers is None:
        stocks = [t for t in known if t not in NOT_SIMULATED and t != market]
    else:
        stocks = list(dict.fromkeys(tickers))
        for ticker in stocks:
            if ticker not in known:
                raise unknown_ticker(ticker, known, parameter="tickers")
        if not stocks or market in stocks:
            raise ParameterError("tickers", list(tickers), "give one or more stocks other than the market")
    prices = load_prices([*stocks, market])
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == market, "date"])
    returns = simple_returns(prices, calendar=calendar)
    return returns[stocks], returns[market].rename(market)


#: Most pseudo-events per sample (``events``).
MAX_EVENTS = 100_000
#: Most samples (``samples``): rejection rates to a standard error below 0.0016.
MAX_SAMPLES = 100_000
#: Most pseudo-events of one simulation (samples x events), hours of work at most.
MAX_PSEUDO_EVENTS = 20_000_000
#: Largest absolute abnormal return added (``shift``, a decimal: 100%).
MAX_SHIFT = 1.0
#: Most shifts of one ``eventstudy simulate`` (a simulation each).
MAX_SHIFTS = 20
#: Largest variance multiplier of the event window's residuals.
MAX_VARIANCE_MULTIPLIER = 100.0


def simulate(
    returns: pd.DataFrame | None = None,
    market: pd.Series | str | None = None,
    *,
    events: int = 50,
    samples: int = 1000,
    shift: float = 0.0,
    shift_window: tuple[int, int] | None = None,
    variance_multiplier: float = 1.0,
    same_date: bool = False,
    model: str = "market",
    estimation: tuple[int, int] = DEFAULT_ESTIMATION,
    window: tuple[int, int] = DEFAULT_WINDOW,
    car_window: tuple[int, int] | None = None,
    alpha: float = 0.05,
    min_estimation: int | None = None,
    factors: pd.DataFrame | None = None,
    tests: Sequence[str] | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
) -> SimulationResult:
    r"""Size and power of the multi-event tests by Brown & Warner's (1985) simulation.

    See the module docstring for the design and the exact way the abnormal performance is
    added.

    Parameters
    ----------
    returns
        Simple returns, dates x securities (``NaN`` where missing). Default: the snapshot's
        stocks (:func:`snapshot_panel`).
    market
        The market's returns (a Series indexed by date) or the name of a column of ``returns``
        (then left out of the securities drawn). Default with the snapshot: ``"^GSPC"``;
        required with ``returns``. Its dates are the trading days.
    events
        Pseudo-events per sample, from 2 to :data:`MAX_EVENTS`.
    samples
        Number of samples, from 1 to :data:`MAX_SAMPLES`, and at most :data:`MAX_PSEUDO_EVENTS`
        pseudo-events in all.
    shift
        Abnormal return added (a decimal: 0.01 is one percent, at most :data:`MAX_SHIFT` either
        way), spread equally over the days of ``shift_window``.
    shift_window
        ``(a, b)`` relative days receiving the shift, inside the event window; default
        ``(0, 0)``.
    variance_multiplier
        :math:`0 < c \le 100`: event-window residuals are scaled by :math:`\sqrt c` around the
        model's expected return.
    same_date
        Put all events of a sample on one day 0 (distinct securities).
    model, estimation, window, min_estimation, factors
        As for :func:`~eventstudy.engine.batch.batch_event_study`; the event window must contain day 0.
        ``factors`` default to the snapshot's when ``returns`` is the snapshot.
    car_window
        The CAR window tested (default: the event window).
    alpha
        Level of the tests, strictly between 0 and 0.5 (each tail is tested at ``alpha``).
    tests
        Test names among :data:`eventstudy.inference.multi_event.TEST_NAMES` (default: all twelve).
    seed
        Seed of the random draws, a whole number from 0 (``None``: fresh entropy).
    progress
        Progress bar over samples on stderr; ``None``: only when stderr is a terminal.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ParameterError
        A parameter outside its range, or a panel where no sample can be drawn.
    DataError
        A drawn pseudo-event that the engine could not study (e.g. a security whose returns are
        fitted exactly).
    """
    events = _positive_int("events", events, minimum=2, maximum=MAX_EVENTS)
    samples = _positive_int("samples", samples, minimum=1, maximum=MAX_SAMPLES)
    if events * samples > MAX_PSEUDO_EVENTS:
        raise ParameterError("samples", samples, f"{samples:,} samples of {events:,} events are more than the "
                             f"{MAX_PSEUDO_EVENTS:,} pseudo-events a simulation may study; give at most "
                             f"{MAX_PSEUDO_EVENTS // events:,} samples")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        raise ParameterError("alpha", alpha, "give a test level strictly between 0 and 0.5, e.g. 0.05")
    check_shift(shift)
    if (isinstance(variance_multiplier, bool) or not isinstance(variance_multiplier, (int, float))
            or not (np.isfinite(variance_multiplier) and 0 < variance_multiplier <= MAX_VARIANCE_MULTIPLIER)):
        raise ParameterError("variance_multiplier", variance_multiplier,
                             f"give a number above 0 and at most {MAX_VARIANCE_MULTIPLIER:g}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < 2**63):
        raise ParameterError("seed", seed, "give a whole number from 0 to 2**63 - 1, or None")
    if not isinstance(same_date, bool):
        raise ParameterError("same_date", same_date, "give True or False")
    names = TEST_NAMES if tests is None else tuple(tests)
    unknown = [n for n in names if n not in TEST_NAMES]
    if unknown or not names:
        raise ParameterError("tests", unknown or list(names),
                             f"choose among {', '.join(TEST_NAMES)}{closest_hint(unknown, TEST_NAMES)}")
    names = tuple(n for n in TEST_NAMES if n in names)

    study = EventStudy(model=model, estimation=estimation, window=window,
                       min_estimation=min_estimation)
    win, est = study.window, study.estimation
    if not win.start <= 0 <= win.end:
        raise ParameterError("window", (win.start, win.end), "the simulation tests day 0: include it")
    caar = as_window(car_window if car_window is not None else (win.start, win.end), "car_window")
    shifted = as_window(shift_window if shift_window is not None else (0, 0), "shift_window")
    for name, sub in (("car_window", caar), ("shift_window", shifted)):
        if sub.start < win.start or sub.end > win.end:
            raise ParameterError(name, (sub.start, sub.end), f"stay inside the event window {win}")

    if returns is None:
        if factors is not None:
            raise ParameterError("factors", "a frame", "give factors only with your own returns")
        returns, market_series = snapshot_panel(DEFAULT_MARKET if market is None else _name(market))
        source = "the snapshot's stocks"
        factors = load_factor_sets(study.model.factor_sets, None)
    else:
        returns, market_series = _user_panel(returns, market)
        source = f"a panel of {returns.shape[1]} securities"

    rng = np.random.default_rng(seed)
    dates, eligible = _admissible(returns, market_series, factors, study)
    day0, column = _draw(eligible, events, samples, same_date, rng)
    securities = np.asarray(returns.columns)[column]
    table = pd.DataFrame({"security": securities, "event_date": dates[day0]})
    batch = batch_event_study(
        returns, table, market_series, model=study.model, estimation=(est.start, est.end),
        window=(win.start, win.end), car_window=(caar.start, caar.end),
        min_estimation=study.min_estimation, factors=factors, progress=False,
    )
    if not batch.ok.all():
        first = int(np.flatnonzero(~batch.ok)[0])
        raise DataError(
            f"simulate: pseudo-event {securities[first]} on {dates[day0[first]]:%Y-%m-%d} could not "
            f"be studied ({batch.skipped.loc[first, 'reason']}); drop that security from the panel"
        )

    rel_days = list(win.days)
    delta = np.where((np.array(rel_days) >= shifted.start) & (np.array(rel_days) <= shifted.end),
                     float(shift) / len(shifted), 0.0)
    abnormal = np.sqrt(float(variance_multiplier)) * batch.abnormal + delta[None, :]

    inputs = batch.test_inputs(residuals=False)
    df, se, car_se = inputs["df"], inputs["abnormal_sd"], inputs["car_sd"]
    day0_col = rel_days.index(0)
    car_cols = slice(rel_days.index(caar.start), rel_days.index(caar.end) + 1)
    stat = np.full((samples, len(names), 2), np.nan)
    pvalue = np.full((samples, len(names), 2), np.nan)
    centre = np.zeros((samples, len(names), 2))  # the statistic's null centre (tails)
    wilcoxon = names.index("wilcoxon") if "wilcoxon" in names else None
    with progress_bar(samples, desc="simulated samples", enabled=progress, unit="sample") as bar:
        for s in range(samples):
            rows = np.arange(s * events, (s + 1) * events)
            found = multi_event_tests(
                abnormal[rows], se[rows], car_se[rows], batch.residuals(rows), df[rows],
                rel_days, (caar.start, caar.end), tests=names,
            )
            # each test gives its T days, then the window
            per_test = len(rel_days) + 1
            for j in range(len(names)):
                for place, k in enumerate((j * per_test + day0_col, j * per_test + len(rel_days))):
                    stat[s, j, place] = found[k].stat
                    pvalue[s, j, place] = found[k].pvalue
            if wilcoxon is not None:
                tested = (abnormal[rows, day0_col], abnormal[rows, car_cols].sum(axis=1))
                for place, values in enumerate(tested):
                    nonzero = np.count_nonzero(values)
                    centre[s, wilcoxon, place] = nonzero * (nonzero + 1) / 4.0
            bar.update(1)

    design = {
        "returns": source,
        "securities": int(eligible.any(axis=0).sum()),
        "market": str(market_series.name),
        "model": study.model.name,
        "estimation": [est.start, est.end],
        "window": [win.start, win.end],
        "car_window": [caar.start, caar.end],
        "min_estimation": int(study.min_estimation),
        "events": events,
        "samples": samples,
        "shift": float(shift),
        "shift_window": [shifted.start, shifted.end],
        "variance_multiplier": float(variance_multiplier),
        "same_date": same_date,
        "alpha": float(alpha),
        "seed": seed,
        "tests": list(names),
    }
    return SimulationResult(
        design=design,
        rejections=_rejections(stat - centre, pvalue, names, float(alpha), caar),
        stat=stat,
        pvalue=pvalue,
        tests=names,
        events=pd.DataFrame({"sample": np.repeat(np.arange(samples), events),
                             "security": securities, "day0": dates[day0]}),
        abnormal=abnormal.reshape(samples, events, len(rel_days)),
        rel_days=tuple(rel_days),
    )


def _positive_int(name: str, value: Any, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= maximum:
        raise ParameterError(name, value, f"give a whole number from {minimum} to {maximum:,}")
    return int(value)


def check_shift(shift: Any) -> float:
    """``shift`` when it is an abnormal return the simulation can add: a number in
    [-:data:`MAX_SHIFT`, :data:`MAX_SHIFT`] (a decimal)."""
    allowed = f"give an abnormal return as a decimal from -{MAX_SHIFT:g} to {MAX_SHIFT:g}, e.g. 0.01"
    if isinstance(shift, bool) or not isinstance(shift, (int, float, np.floating)):
        raise ParameterError("shift", shift, allowed)
    value = float(shift)
    if not (np.isfinite(value) and abs(value) <= MAX_SHIFT):
        raise ParameterError("shift", shift, allowed)
    return value


def _name(market: Any) -> str:
    if not isinstance(market, str):
        raise ParameterError("market", type(market).__name__,
                             "with the snapshot, name the market ticker (e.g. '^GSPC')")
    return market


def _user_panel(returns: Any, market: Any) -> tuple[pd.DataFrame, pd.Series]:
    """The securities of ``returns`` (without the market column) and the market's returns."""
    if not isinstance(returns, pd.DataFrame):
        raise ParameterError("returns", type(returns).__name__, "give a DataFrame, dates x securities")
    if isinstance(market, str):
        if market not in returns.columns:
            raise ParameterError("market", market, "name a column of returns or pass a Series")
        return returns.drop(columns=[market]), returns[market].rename(market)
    if not isinstance(market, pd.Series):
        raise ParameterError("market", type(market).__name__,
                             "with your own returns, give the market's returns (Series) or a column name")
    name = market.name if market.name is not None else "market"
    return returns, market.rename(name)


def _admissible(returns: pd.DataFrame, market: pd.Series, factors: pd.DataFrame | None,
                study: EventStudy) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The trading days and a ``(D, S)`` mask of the days that can be day 0 of a study of each
    security with no event skipped (see the module docstring)."""
    market = market.dropna().astype(float)
    dates = pd.DatetimeIndex(market.index)
    data = model_data(market, factors, study.model)
    inputs = data[list(study.model.columns)].notna().all(axis=1).to_numpy()
    values = returns.reindex(dates).to_numpy(dtype=float)
    has = np.isfinite(values)
    usable = has & inputs[:, None]
    n_dates = len(dates)
    est, win = study.estimation, study.window
    earliest, latest = min(est.start, win.start), max(est.end, win.end)
    eligible = np.zeros(values.shape, dtype=bool)
    lo, hi = -earliest, n_dates - 1 - latest  # day-0 rows whose windows fit the calendar
    if hi < lo:
        return dates, eligible
    count = np.zeros((n_dates + 1, values.shape[1]), dtype=np.int64)
    np.cumsum(usable, axis=0, out=count[1:])
    p = np.arange(lo, hi + 1)
    in_window = (count[p + win.end + 1] - count[p + win.start]) == len(win)
    in_estimation = (count[p + est.end + 1] - count[p + est.start]) >= study.min_estimation
    any_return = has.any(axis=0)
    first = np.where(any_return, has.argmax(axis=0), n_dates)
    last = np.where(any_return, n_dates - 1 - has[::-1].argmax(axis=0), -1)
    inside = (first[None, :] <= (p + earliest)[:, None]) & (last[None, :] >= (p + latest)[:, None])
    eligible[lo : hi + 1] = in_window & in_estimation & inside
    return dates, eligible


def _draw(eligible: np.ndarray, events: int, samples: int, same_date: bool,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Day-0 rows and security columns of ``samples * events`` pseudo-events (sample-major)."""
    n_dates, n_sec = eligible.shape
    total = samples * events
    if same_date:
        per_day = eligible.sum(axis=1)
        days = np.flatnonzero(per_day >= events)
        if len(days) == 0:
            raise ParameterError(
                "events", events,
                f"with same_date, at most {int(per_day.max(initial=0))} securities of this panel "
                "can share a day 0 with full windows; ask for fewer events",
            )
        day = days[rng.integers(len(days), size=samples)]
        keys = rng.random((samples, n_sec))
        keys[~eligible[day]] = np.inf  # only securities admissible that day
        chosen = np.argsort(keys, axis=1)[:, :events]
        return np.repeat(day, events), chosen.ravel()
    cells = np.flatnonzero(eligible.T)  # security * D + day, by security then day
    counts = eligible.sum(axis=0)
    usable = np.flatnonzero(counts)
    if len(usable) == 0:
        raise ParameterError(
            "returns", "this panel",
            "no security has a day with full estimation and event windows; shorten the windows",
        )
    if len(cells) < events:
        raise ParameterError(
            "events", events, f"this panel has only {len(cells)} admissible (security, day 0) pairs"
        )
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    sample = np.repeat(np.arange(samples), events)
    cell = np.empty(total, dtype=np.int64)
    redraw = np.arange(total)
    while len(redraw):  # draw, then draw again the repeats of a pair within a sample
        security = usable[rng.integers(len(usable), size=len(redraw))]
        offset = np.floor(rng.random(len(redraw)) * counts[security]).astype(np.int64)
        cell[redraw] = cells[starts[security] + offset]
        pair_keys = sample * eligible.size + cell
        order = np.argsort(pair_keys, kind="stable")
        repeated = np.zeros(total, dtype=bool)
        repeated[order[1:]] = pair_keys[order[1:]] == pair_keys[order[:-1]]
        redraw = np.flatnonzero(repeated)
    return cell % n_dates, cell // n_dates


def _rejections(departure: np.ndarray, pvalue: np.ndarray, names: tuple[str, ...], alpha: float,
                caar: Window) -> pd.DataFrame:
    """The rejection table from the per-sample statistics less their null centres (0, or
    :math:`n(n+1)/4` for Wilcoxon's :math:`W^+`; see :class:`SimulationResult`)."""
    defined = np.isfinite(departure) & np.isfinite(pvalue)
    with np.errstate(invalid="ignore"):
        rejected = {
            "two_sided": pvalue < alpha,
            "lower": (departure < 0) & (pvalue < 2 * alpha),
            "upper": (departure > 0) & (pvalue < 2 * alpha),
        }
    n = defined.sum(axis=0)
    window_label = f"CAR({caar.start:+d}, {caar.end:+d})"
    rows = []
    for j, name in enumerate(names):
        for place in (0, 1):
            for tail in TAILS:
                k = int((rejected[tail] & defined)[:, j, place].sum())
                low, high = clopper_pearson(k, int(n[j, place]))
                rows.append({
                    "name": name,
                    "where": DAY0 if place == 0 else window_label,
                    "rel_day": 0 if place == 0 else None,
                    "window": None if place == 0 else (caar.start, caar.end),
                    "tail": tail,
                    "rejections": k,
                    "n": int(n[j, place]),
                    "rate": k / n[j, place] if n[j, place] else float("nan"),
                    "ci_low": low,
                    "ci_high": high,
                })
    frame = pd.DataFrame(rows)
    frame["rel_day"] = pd.Series([row["rel_day"] for row in rows], dtype=object)
    return frame


def clopper_pearson(k: int, n: int, coverage: float = INTERVAL_COVERAGE) -> tuple[float, float]:
    r"""Exact (Clopper & Pearson 1934) interval of a binomial proportion, ``k`` successes in ``n``.

    .. math:: \left[B\!\left(\tfrac{1-\gamma}{2}; k, n-k+1\right),\;
              B\!\left(\tfrac{1+\gamma}{2}; k+1, n-k\right)\right],

    :math:`B(q; a, b)` the beta quantile, the lower end 0 at :math:`k = 0` and the upper 1 at
    :math:`k = n`; ``(nan, nan)`` when ``n`` is 0.
    """
    from scipy import stats

    if n == 0:
        return float("nan"), float("nan")
    tail = (1.0 - coverage) / 2.0
    low = 0.0 if k == 0 else float(stats.beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1.0 - tail, k + 1, n - k))
    return low, high
