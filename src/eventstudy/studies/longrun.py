r"""Long-horizon buy-and-hold abnormal returns (BHAR) and the tests of their mean.

For event :math:`i` with day 0 on trading day :math:`\tau_i` and a horizon of relative trading
days :math:`a..b` (both inclusive),

.. math:: BHAR_i = \prod_{t=\tau_i+a}^{\tau_i+b} (1 + R_{it}) - \prod_{t=\tau_i+a}^{\tau_i+b} (1 + R_{bt}),

where :math:`R_b` is the benchmark: the market series, or per event a security named in a column
of the events table (a matched control firm, an industry or size portfolio held in the panel)
(Barber & Lyon 1997, *J. Financ. Econ.* 43(3), eq. 3). The products are computed for all events
at once from cumulative sums of :math:`\log(1 + R)` on the panel.

Tests of :math:`H_0: E[BHAR] = 0` on the :math:`n` events, with :math:`\bar x` the mean,
:math:`s` the sample standard deviation (:math:`n-1` divisor), :math:`S = \bar x / s` and
:math:`\hat\gamma = \sum_i (x_i - \bar x)^3 / (n s^3)` the sample skewness coefficient:

* ``t``: the conventional :math:`t = \sqrt n\, S`, Student's t with :math:`n-1` df;
* ``skewness_adjusted_t``: Johnson's (1978) statistic as used by Lyon, Barber & Tsai (1999,
  *J. Finance* 54(1), eq. 5), :math:`t_{sa} = \sqrt n\,(S + \hat\gamma S^2/3 + \hat\gamma/(6n))`,
  p from Student's t with :math:`n-1` df;
* ``bootstrap_skewness_adjusted_t``: the same :math:`t_{sa}`, with its null distribution from
  LBT's bootstrap: ``n_bootstrap`` resamples (1,000 by default) of :math:`m = \lfloor n/4 \rfloor`
  events drawn with replacement, each giving
  :math:`t^b = \sqrt m\,(S^b + \hat\gamma^b (S^b)^2/3 + \hat\gamma^b/(6m))` with
  :math:`S^b = (\bar x^b - \bar x)/s^b` (centred on the sample mean) and :math:`\hat\gamma^b` the
  resample's skewness; the two-sided p is
  :math:`\min(1, 2\min(P^*(t^b \le t_{sa}), P^*(t^b \ge t_{sa})))`. Resamples whose draws are all
  equal (:math:`s^b = 0`) have no statistic; they are left out and counted.

Horizons past the data: an event's horizon is *covered* when the security and its benchmark have
a return on every day of it. When it is not (the data end, or a return is missing), ``past_data``
decides: ``"skip"`` (default) leaves the event out with the reason; ``"truncate"`` ends its
horizon on the last day before the first day without a return, and the event's ``n_days`` and
``note`` say so. Nothing is shortened silently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window, as_window
from eventstudy.studies.event_panel import (
    EventGroup,
    build_panel,
    day0_positions,
    event_groups,
    skipped_frame,
)
from eventstudy.events import id_column_of, read_events
from eventstudy.exceptions import DataError, ParameterError
from eventstudy import formatting
from eventstudy.formatting import ShowsSummary, Summary, SummaryBuilder

if TYPE_CHECKING:

    from eventstudy.studies.regression import RegressionResult

#: What to do with an event whose horizon is not covered by the data.
PAST_DATA_RULES = ("skip", "truncate")

#: The tests of the mean BHAR, in the order reported.
LONGRUN_TESTS = ("t", "skewness_adjusted_t", "bootstrap_skewness_adjusted_t")

#: Fewest events the tests need (a skewness needs three values).
MIN_EVENTS = 3

#: Fewest events in a bootstrap resample.
MIN_RESAMPLE = 3

#: Largest number of resampled values drawn at once (memory bound of the bootstrap).
_BOOTSTRAP_CHUNK = 4_000_000

#: Most bootstrap resamples (``n_bootstrap``, ``--bootstrap``): p-values to 1e-5.
MAX_BOOTSTRAP = 100_000

#: Most values drawn by one bootstrap (resamples x resample size), some seconds of work.
MAX_BOOTSTRAP_DRAWS = 500_000_000


@dataclass(frozen=True)
class MeanTest:
    """A test of a mean being zero: the statistic, its two-sided p-value and null distribution."""

    __test__ = False  # not a pytest test class

    name: str
    stat: float
    p: float
    dist: str

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "stat", "p", "dist"}``."""
        return {"name": self.name, "stat": float(self.stat), "p": float(self.p), "dist": self.dist}


@dataclass(frozen=True)
class BootstrapDistribution:
    """The bootstrap statistics :math:`t^b` behind ``bootstrap_skewness_adjusted_t``.

    Attributes
    ----------
    stats
        The statistic of every resample that has one.
    resample_size
        Events per resample, :math:`m`.
    n_degenerate
        Resamples left out because all their draws were equal.
    seed
        Seed of the generator (``None``: fresh entropy).
    """

    stats: np.ndarray
    resample_size: int
    n_degenerate: int
    seed: int | None


def skewness_adjusted_t(values: np.ndarray) -> float:
    r"""LBT (1999, eq. 5): :math:`\sqrt n (S + \hat\gamma S^2/3 + \hat\gamma/(6n))` (module docstring)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean, sd = x.mean(), x.std(ddof=1)
    s = mean / sd
    gamma = np.sum((x - mean) ** 3) / (n * sd**3)
    return float(np.sqrt(n) * (s + gamma * s**2 / 3.0 + gamma / (6.0 * n)))


def bootstrap_skewness_adjusted(
    values: np.ndarray, n_bootstrap: int = 1000, resample_size: int | None = None,
    seed: int | None = None,
) -> BootstrapDistribution:
    r"""LBT's bootstrap of :math:`t_{sa}` (module docstring), vectorised over resamples.

    The indices of all resamples are drawn from ``numpy.random.default_rng(seed)`` as one
    ``integers(0, n, size=(n_bootstrap, m))`` matrix (in row blocks when it would exceed
    four million values), row ``j`` being resample ``j``.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    m = n // 4 if resample_size is None else resample_size
    if m < MIN_RESAMPLE:
        raise ParameterError("resample_size", resample_size if resample_size is not None else f"n/4 = {m}",
                             f"give a whole number of events of at least {MIN_RESAMPLE}")
    _check_bootstrap(n_bootstrap, resample_size)
    if m > n:
        raise ParameterError("resample_size", m, f"give at most the number of events ({n})")
    if n_bootstrap * m > MAX_BOOTSTRAP_DRAWS:
        raise ParameterError("n_bootstrap", n_bootstrap, f"{n_bootstrap:,} resamples of {m:,} events "
                             f"exceed the {MAX_BOOTSTRAP_DRAWS:,} draws a bootstrap may make; give at most "
                             f"{MAX_BOOTSTRAP_DRAWS // m:,} resamples")
    rng = np.random.default_rng(seed)
    mean = x.mean()
    rows = max(1, _BOOTSTRAP_CHUNK // m)
    parts = []
    for start in range(0, n_bootstrap, rows):  # blocks of resamples, not events
        draws = x[rng.integers(0, n, size=(min(rows, n_bootstrap - start), m))]
        mean_b = draws.mean(axis=1)
        centred = draws - mean_b[:, None]
        sd_b = np.sqrt(np.sum(centred**2, axis=1) / (m - 1))
        ok = draws.max(axis=1) > draws.min(axis=1)  # not sd_b > 0: rounding leaves equal draws a tiny sd
        s_b = (mean_b[ok] - mean) / sd_b[ok]
        gamma_b = np.sum(centred[ok] ** 3, axis=1) / (m * sd_b[ok] ** 3)
        parts.append(np.sqrt(m) * (s_b + gamma_b * s_b**2 / 3.0 + gamma_b / (6.0 * m)))
    stats = np.concatenate(parts)
    return BootstrapDistribution(stats, int(m), int(n_bootstrap - len(stats)), seed)


def _check_bootstrap(n_bootstrap: int, resample_size: int | None) -> None:
    def whole(value: object) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if not whole(n_bootstrap) or not 1 <= n_bootstrap <= MAX_BOOTSTRAP:
        raise ParameterError("n_bootstrap", n_bootstrap,
                             f"give a whole number of resamples from 1 to {MAX_BOOTSTRAP:,}")
    if resample_size is not None and (not whole(resample_size) or resample_size < MIN_RESAMPLE):
        raise ParameterError("resample_size", resample_size,
                             f"give a whole number of events of at least {MIN_RESAMPLE}, or None for n/4")


def bootstrap_p(stat: float, distribution: np.ndarray) -> float:
    r"""Two-sided p of ``stat`` under a bootstrap distribution:
    :math:`\min(1, 2\min(P^*(t^b \le t), P^*(t^b \ge t)))`."""
    below = float(np.mean(distribution <= stat))
    above = float(np.mean(distribution >= stat))
    return min(1.0, 2.0 * min(below, above))


def mean_tests(
    values: np.ndarray, *, n_bootstrap: int = 1000, resample_size: int | None = None,
    seed: int | None = None,
) -> tuple[list[MeanTest], BootstrapDistribution | None, list[str]]:
    """The three tests of :data:`LONGRUN_TESTS` on ``values`` (module docstring).

    Returns
    -------
    (tests, bootstrap, notes)
        The tests that could be run, the bootstrap distribution (``None`` when it was not run)
        and one sentence for every test left out and why.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < MIN_EVENTS:
        return [], None, [f"the tests need at least {MIN_EVENTS} events; {n} studied"]
    sd = x.std(ddof=1)
    if not x.max() > x.min():
        return [], None, ["the tests need BHARs that differ; all are equal"]
    dist = f"t({n - 1})"
    t = float(np.sqrt(n) * x.mean() / sd)
    t_sa = skewness_adjusted_t(x)
    tests = [
        MeanTest("t", t, float(2 * stats.t.sf(abs(t), n - 1)), dist),
        MeanTest("skewness_adjusted_t", t_sa, float(2 * stats.t.sf(abs(t_sa), n - 1)), dist),
    ]
    m = n // 4 if resample_size is None else resample_size
    if resample_size is None and m < MIN_RESAMPLE:
        return tests, None, [
            f"bootstrap_skewness_adjusted_t left out: resamples of n/4 = {n} // 4 = {m} events are too "
            f"small (at least {MIN_RESAMPLE}); give a resample size to run it (resample_size=, "
            "--resample-size)"
        ]
    boot = bootstrap_skewness_adjusted(x, n_bootstrap, resample_size, seed)
    notes = []
    if boot.n_degenerate:
        notes.append(f"bootstrap: {boot.n_degenerate} of {n_bootstrap} resamples had all draws equal "
                     "and were left out")
    if len(boot.stats) == 0:
        return tests, None, [*notes, "bootstrap_skewness_adjusted_t left out: no resample had a statistic"]
    tests.append(MeanTest("bootstrap_skewness_adjusted_t", t_sa, bootstrap_p(t_sa, boot.stats),
                          f"bootstrap({len(boot.stats)} x {boot.resample_size})"))
    return tests, boot, notes


@dataclass(frozen=True)
class LongHorizonResult(ShowsSummary):
    """What :func:`run_long_horizon` computed.

    Attributes
    ----------
    horizon
        Relative trading days ``a..b`` of the buy-and-hold period.
    benchmark
        ``"market"`` or the events-table column that names each event's benchmark security.
    past_data
        The rule for horizons not covered by the data (``"skip"`` or ``"truncate"``).
    events
        One row per studied event (indexed by its row in the events table): the table's columns,
        ``day0``, ``benchmark_ticker``, ``end`` (last day held), ``n_days``, ``truncated``,
        ``return`` and ``benchmark_return`` (buy-and-hold, over the days held) and ``bhar``.
    skipped
        Events not studied: ``ticker``, ``event_date``, ``reason``.
    tests
        The tests of the mean BHAR that could be run (see the module docstring).
    notes
        Why a test was left out, resamples left out of the bootstrap.
    bootstrap
        The bootstrap distribution (``None`` when the bootstrap was not run).
    """

    horizon: Window
    benchmark: str
    past_data: str
    events: pd.DataFrame
    skipped: pd.DataFrame
    tests: tuple[MeanTest, ...]
    notes: tuple[str, ...]
    bootstrap: BootstrapDistribution | None
    _cumulative: np.ndarray = field(repr=False)
    _columns: np.ndarray = field(repr=False)

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def mean_bhar(self) -> float:
        return float(self.events["bhar"].mean())

    def test(self, name: str) -> MeanTest:
        """The test called ``name`` (one of :data:`LONGRUN_TESTS`)."""
        for test in self.tests:
            if test.name == name:
                return test
        raise ParameterError("name", name, f"choose a test that was run: {[t.name for t in self.tests]}")

    def paths(self) -> pd.DataFrame:
        r"""BHAR from the horizon's first day to each day of it, one row per event (as
        :attr:`events`), one column per relative day; NaN after a truncated horizon's end.

        Computed on request (an events x days array): :math:`\exp(\sum \log(1+R_i)) -
        \exp(\sum \log(1+R_b))` over days :math:`a..k`.
        """
        offsets = np.arange(len(self.horizon))
        start = self.events["_start"].to_numpy()[:, None]
        rows = start + offsets + 1
        held = offsets[None, :] < self.events["n_days"].to_numpy()[:, None]
        rows = np.where(held, rows, start + 1)
        security, bench = self._columns[:, 0][:, None], self._columns[:, 1][:, None]
        cum = self._cumulative
        own = np.exp(cum[rows, security] - cum[start, security])
        other = np.exp(cum[rows, bench] - cum[start, bench])
        return pd.DataFrame(np.where(held, own - other, np.nan), index=self.events.index,
                            columns=pd.Index(list(self.horizon.days), name="rel_day"))

    def to_frame(self) -> pd.DataFrame:
        """The studied events, one row each (:attr:`events` without internal columns)."""
        return self.events.drop(columns=["_start"])

    def regress(self, formula: str, cov: str = "hc3", weights: str | None = None) -> RegressionResult:
        """Cross-sectional regression of the BHARs (``"bhar ~ x + ..."``) on columns of the events
        table, by :func:`eventstudy.studies.regression.regress_cars`."""
        from eventstudy.studies.regression import regress_cars

        return regress_cars(self.to_frame(), formula, cov=cov, weights=weights)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: horizon, benchmark, past_data, n_events, events, mean_bhar, tests,
        notes, skipped."""
        events = self.events
        return {
            "horizon": [self.horizon.start, self.horizon.end],
            "benchmark": self.benchmark,
            "past_data": self.past_data,
            "n_events": self.n_events,
            "events": [
                {"ticker": str(t), "event_date": str(d), "day0": f"{z:%Y-%m-%d}", "exchange": str(x),
                 "bhar": float(v), "n_days": int(k), "benchmark_ticker": str(b), "truncated": bool(c)}
                for t, d, z, x, v, k, b, c in zip(
                    events["ticker"], events["event_date"], events["day0"], events["exchange"],
                    events["bhar"], events["n_days"], events["benchmark_ticker"], events["truncated"])
            ],
            "mean_bhar": self.mean_bhar if self.n_events else None,
            "tests": [t.to_dict() for t in self.tests],
            "notes": list(self.notes),
            "skipped": [
                {"ticker": str(t), "event_date": str(d), "reason": str(r)}
                for t, d, r in zip(self.skipped["ticker"], self.skipped["event_date"], self.skipped["reason"])
            ],
        }

    def summary(self) -> Summary:
        """A plain-text report: the set-up, the events' BHARs and the tests of their mean (in a
        notebook, the events and the tests as HTML tables)."""
        bench = "the market" if self.benchmark == "market" else f"the securities in column {self.benchmark!r}"
        lines = [
            f"Long-horizon buy-and-hold abnormal returns: {self.n_events} events, horizon "
            f"{self.horizon} trading days, benchmark {bench}; horizons past the data: {self.past_data}",
        ]
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} event(s) skipped (see .skipped)")
        truncated = int(self.events["truncated"].sum())
        if truncated:
            lines.append(f"  {truncated} event(s) truncated (see .events['note'])")
        table = self.events[["ticker", "day0", "benchmark_ticker", "n_days", "bhar"]].copy()
        table["day0"] = table["day0"].dt.strftime("%Y-%m-%d")
        table["bhar"] = table["bhar"].map("{:+.2%}".format)
        report = SummaryBuilder()  # the text, and in a notebook its tables as HTML tables
        report.text(*lines, "")
        report.table(table, ["  " + line for line in table.to_string(index=False).splitlines()])
        report.text("")
        if self.n_events:
            report.text(f"Mean BHAR = {formatting.percent(self.mean_bhar)}")
        tests = pd.DataFrame({"test": [test.name for test in self.tests],
                              "stat": [formatting.statistic(test.stat) for test in self.tests],
                              "p": [formatting.pvalue(test.p) for test in self.tests],
                              "distribution": [test.dist for test in self.tests]})
        if len(tests):
            report.table(tests, [f"  {name:<30} {stat:>8}  p {p}  {dist}"
                                 for name, stat, p, dist in tests.itertuples(index=False)])
        report.text(*(f"  note: {note}" for note in self.notes))
        return report.build()


def run_long_horizon(
    events: pd.DataFrame | str | os.PathLike[str],
    horizon: tuple[int, int] = (0, 250),
    benchmark: str = "market",
    *,
    market: str | pd.Series | None = None,
    exchange: str | None = None,
    returns: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | None = None,
    columns: Sequence[str] | str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
    source: str = "snapshot",
    cache_dir: str | os.PathLike[str] | None = None,
    past_data: str = "skip",
    n_bootstrap: int = 1000,
    resample_size: int | None = None,
    seed: int | None = None,
    non_session: str = "next",
    data_dir: str | os.PathLike[str] | None = None,
) -> LongHorizonResult:
    """Buy-and-hold abnormal returns of many events over a long horizon, and tests of their mean.

    Parameters
    ----------
    events
        A table (or CSV path) with columns ``ticker`` and ``event_date`` (a date, or a timestamp
        with a time zone), and any others (e.g. the benchmark column, characteristics).
    horizon
        Relative trading days ``(a, b)`` held, both inclusive; ``(0, 250)``: about a year from
        day 0.
    benchmark
        ``"market"`` (each event's market: its ``market`` column where the table has one and it
        is not empty, as in ``eventstudy batch``; else ``market``, else the default index of the
        event's exchange) or the name of a column of ``events`` naming, per event, the benchmark
        security (a column of the panel).
    market
        The market where the events table names none: a ticker (default: the index of each
        event's exchange, ``^GSPC`` for the NYSE), a column of ``returns``, or a Series of its
        simple returns (then ``returns`` is required). Its dates are the trading days.
    exchange
        The exchange of the events whose ``exchange`` column is empty (default: the ticker's
        Yahoo suffix, else ``XNYS``): its sessions, closes and time zone place day 0, and the
        horizon counts its sessions on which the market traded (see
        :mod:`eventstudy.events.markets`).
    returns
        A panel of simple returns (dates x securities, NaN where missing) to use instead of the
        committed snapshot.
    prices, columns, market_returns, returns_unit, market_unit
        The user's panel instead of the snapshot: ``returns`` or ``prices`` as a CSV/Parquet file
        (or a frame), read for the tickers needed only (:mod:`eventstudy.data.panel`).
    source, cache_dir
        ``"snapshot"`` (default), ``"cache"``, ``"yahoo"`` or ``"auto"``, as for ``batch``: the
        prices of the sessions the events need (:func:`eventstudy.data.sources.get_prices`).
    past_data
        ``"skip"`` (default) or ``"truncate"``: see the module docstring.
    n_bootstrap, resample_size, seed
        The bootstrap: number of resamples (default 1,000), events per resample (default
        ``n // 4``; when that is below 3 the bootstrap test is left out with a note) and the
        seed of ``numpy.random.default_rng``.
    non_session
        Day 0 of an event on a day without trading: ``"next"`` (default), ``"previous"`` or
        ``"raise"`` (then the event is skipped with the reason).
    data_dir
        Snapshot folder (see :func:`eventstudy.data.snapshot.snapshot_dir`).

    Returns
    -------
    LongHorizonResult

    Raises
    ------
    ParameterError
        On a malformed horizon, an unknown rule or benchmark column.
    DataError
        When no event can be studied.
    """
    window = as_window(horizon, "horizon")
    if past_data not in PAST_DATA_RULES:
        raise ParameterError("past_data", past_data, f"choose one of {', '.join(PAST_DATA_RULES)}")
    table = read_events(events, id_column=id_column_of(columns))
    if benchmark != "market" and benchmark not in table.columns:
        raise ParameterError("benchmark", benchmark,
                             f"give 'market' or a column of the events table: {list(table.columns)}")
    _check_bootstrap(n_bootstrap, resample_size)
    groups, reasons = event_groups(table, exchange, market,
                                   panel=returns is not None or prices is not None)
    parts = [
        _horizons(table, group, window, benchmark, past_data, non_session, reasons, returns=returns,
                  prices=prices, columns=columns, market_returns=market_returns,
                  returns_unit=returns_unit, market_unit=market_unit, source=source,
                  cache_dir=cache_dir, data_dir=data_dir)
        for group in groups
    ]
    if not any(len(part.frame) for part in parts):
        examples = "; ".join(f"{table['ticker'].iat[i]} {table['event_date'].iat[i]}: {r}"
                             for i, r in list(sorted(reasons.items()))[:3])
        raise DataError(f"events: none of {len(table)} events could be studied (skipped: {examples})")
    frame, cumulative, held = _joined(parts)
    tests, boot, notes = mean_tests(frame["bhar"].to_numpy(), n_bootstrap=n_bootstrap,
                                    resample_size=resample_size, seed=seed)
    return LongHorizonResult(
        horizon=window, benchmark=benchmark, past_data=past_data, events=frame,
        skipped=skipped_frame(table, reasons), tests=tuple(tests), notes=tuple(notes), bootstrap=boot,
        _cumulative=cumulative, _columns=held,
    )


@dataclass
class _Horizons:
    """The BHARs of one group of events (one exchange and market): the studied events' rows,
    the panel's cumulative log returns and each event's (security, benchmark) columns in it."""

    frame: pd.DataFrame
    cumulative: np.ndarray
    columns: np.ndarray


def _horizons(
    table: pd.DataFrame, group: EventGroup, window: Window, benchmark: str, past_data: str,
    non_session: str, reasons: dict[int, str], **data: Any,
) -> _Horizons:
    """BHARs of the events of ``group`` on their exchange's trading days; the reasons of the
    events not studied are added to ``reasons`` (keyed by row of ``table``)."""
    rows = group.rows
    part = table.iloc[rows]
    given = (None if benchmark == "market"
             else part[benchmark].fillna("").astype(str).str.strip().to_numpy(dtype=object))
    panel, unknown = build_panel(
        [*part["ticker"], *([] if given is None else [b for b in given if b])], group.market,
        data["returns"], data["data_dir"], prices=data["prices"], columns=data["columns"],
        market_returns=data["market_returns"], returns_unit=data["returns_unit"],
        market_unit=data["market_unit"], source=data["source"], cache_dir=data["cache_dir"],
        span=(part["event_date"].tolist(), max(0, -window.start) + 1, max(window.end, 0) + 1),
        exchange=group.exchange,
    )
    dates, values = panel.dates, panel.returns.to_numpy(dtype=float)
    n_dates = len(dates)
    column_of = {name: j for j, name in enumerate(panel.returns.columns)}
    bench_names = np.full(len(part), panel.market, dtype=object) if given is None else given
    local: dict[int, str] = {}
    position, day0_reasons = day0_positions(part["event_date"], dates, non_session, group.exchange)
    local.update(day0_reasons)
    for i in np.flatnonzero(~part["ticker"].isin(column_of).to_numpy()):
        local.setdefault(int(i), unknown.get(part["ticker"].iat[i], "ticker: no data"))
    no_bench = np.flatnonzero(~pd.Series(bench_names).isin(column_of).to_numpy())
    for i in no_bench:
        name = bench_names[i]
        local.setdefault(int(i), unknown.get(name, f"{benchmark}: {name!r} names no security") if name
                         else f"{benchmark}: empty, no benchmark security for this event")
    security = part["ticker"].map(column_of).fillna(0).to_numpy(dtype=np.int64)
    bench = pd.Series(bench_names).map(column_of).fillna(0).to_numpy(dtype=np.int64)

    start = position + window.start
    end = position + window.end
    placed = np.ones(len(part), dtype=bool)
    placed[list(local)] = False
    for i in np.flatnonzero(placed & (start < 0)):
        local[int(i)] = (f"horizon: day {window.start:+d} of an event on {dates[position[i]]:%Y-%m-%d} is "
                         f"before the first day of the data, {dates[0]:%Y-%m-%d}")
    placed &= start >= 0
    # first day without a return, at or after each day, for each column (n_dates: none)
    invalid_at = np.where(np.isfinite(values), n_dates, np.arange(n_dates)[:, None])
    next_invalid = np.vstack([np.minimum.accumulate(invalid_at[::-1], axis=0)[::-1],
                              np.full((1, values.shape[1]), n_dates)])
    first_start = np.clip(start, 0, n_dates)
    first_gap = np.minimum(next_invalid[first_start, security], next_invalid[first_start, bench])
    covered = first_gap > end
    last = np.where(covered, end, first_gap - 1)
    truncated = placed & ~covered
    gap_reasons = {  # one sentence per event not covered, never per event studied
        int(i): _gap_reason(int(first_gap[i]), n_dates, dates, values, security[i], bench[i],
                            part["ticker"].iat[i], bench_names[i], window)
        for i in np.flatnonzero(truncated)
    }
    for row, why in gap_reasons.items():
        if past_data == "skip" or last[row] < start[row]:
            local[row] = why + ("" if past_data == "skip" else "; no day left to hold")
    reasons.update({int(rows[i]): why for i, why in local.items()})
    studied = np.setdiff1d(np.arange(len(part)), np.fromiter(local, dtype=np.int64, count=len(local)))
    cumulative = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(np.log1p(np.nan_to_num(values)), axis=0)])
    s, e = start[studied], last[studied]
    sec, ben = security[studied], bench[studied]
    own = np.expm1(cumulative[e + 1, sec] - cumulative[s, sec])
    other = np.expm1(cumulative[e + 1, ben] - cumulative[s, ben])

    frame = part.iloc[studied].copy()
    frame["day0"] = dates[position[studied]]
    frame["exchange"] = group.exchange
    frame["benchmark_ticker"] = np.asarray(bench_names, dtype=object)[studied]
    frame["end"] = dates[e]
    frame["n_days"] = e - s + 1
    frame["truncated"] = truncated[studied]
    notes_column = np.full(len(studied), "", dtype=object)
    for j in np.flatnonzero(truncated[studied]):
        row = int(studied[j])
        notes_column[j] = gap_reasons[row] + f"; held {last[row] - start[row] + 1} of {len(window)} days"
    frame["note"] = notes_column
    frame["return"] = own
    frame["benchmark_return"] = other
    frame["bhar"] = own - other
    frame["_start"] = s
    return _Horizons(frame, cumulative, np.column_stack([sec, ben]))


def _joined(parts: list[_Horizons]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The groups' events in the order of the events table, with one array of cumulative log
    returns: the groups' side by side (rows past a shorter panel's end are NaN, never read),
    each event's columns shifted to its group's."""
    height = max(len(part.cumulative) for part in parts)
    blocks, held, width = [], [], 0
    for part in parts:
        block = np.full((height, part.cumulative.shape[1]), np.nan)
        block[: len(part.cumulative)] = part.cumulative
        blocks.append(block)
        held.append(part.columns + width)
        width += part.cumulative.shape[1]
    frame = pd.concat([part.frame for part in parts])
    order = np.argsort(frame.index.to_numpy(), kind="stable")
    return frame.iloc[order], np.hstack(blocks), np.vstack(held)[order]


def _gap_reason(
    gap: int, n_dates: int, dates: pd.DatetimeIndex, values: np.ndarray, security: int,
    bench: int, ticker: str, bench_name: str, window: Window,
) -> str:
    """Why a horizon is not covered: the data end, or a missing return on day ``gap``."""
    if gap >= n_dates:
        return (f"horizon: day {window.end:+d} is past the last day of the data, {dates[-1]:%Y-%m-%d}")
    who = ticker if not np.isfinite(values[gap, security]) else bench_name
    return f"horizon: no return of {who} on {dates[gap]:%Y-%m-%d}"


