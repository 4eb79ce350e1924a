"""What a size-and-power simulation found (:func:`eventstudy.studies.simulate.simulate`): the
rejection rates of every test with their Clopper-Pearson intervals, and the tables and text that
compare simulations (e.g. one per abnormal return added, a power curve)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.exceptions import ParameterError
from eventstudy.formatting import ShowsSummary, Summary, SummaryBuilder

__all__ = ["DAY0", "TAILS", "SimulationResult", "power_summary", "power_table"]

#: Tails reported for every test, in this order.
TAILS: tuple[str, ...] = ("two_sided", "lower", "upper")

#: The label of day 0 in the rejection table's ``where`` column.
DAY0 = "day 0"


@dataclass(frozen=True, eq=False)
class SimulationResult(ShowsSummary):
    """Rejection rates of every test over simulated samples (see
    :func:`eventstudy.studies.simulate.simulate`).

    Attributes
    ----------
    design
        The simulation's settings, JSON-ready.
    rejections
        One row per test, place (day 0, then the CAR window) and tail: ``name``, ``rel_day``
        (0, or ``None`` for the window), ``window`` (``(a, b)`` or ``None``), ``tail``
        (``two_sided``, ``lower``, ``upper``), ``rejections`` (count), ``n`` (samples where the
        statistic is defined), ``rate``, ``ci_low``, ``ci_high`` (Clopper-Pearson 95%).
    stat, pvalue
        ``(samples, tests, 2)`` statistics and two-sided p-values: test ``tests[j]``, day 0
        (``[..., 0]``) and the CAR window (``[..., 1]``).
    tests
        The test names, in the order of :data:`eventstudy.inference.multi_event.TEST_NAMES`.
    events
        The pseudo-events: ``sample``, ``security``, ``day0``.
    abnormal
        ``(samples, events, T)`` abnormal returns after the shift and the variance scaling,
        column ``j`` relative day ``rel_days[j]``.
    rel_days
        Relative days of the event window.
    """

    design: dict[str, Any]
    rejections: pd.DataFrame
    stat: np.ndarray = field(repr=False)
    pvalue: np.ndarray = field(repr=False)
    tests: tuple[str, ...]
    events: pd.DataFrame = field(repr=False)
    abnormal: np.ndarray = field(repr=False)
    rel_days: tuple[int, ...]

    @property
    def n_samples(self) -> int:
        return int(self.design["samples"])

    @property
    def events_per_sample(self) -> int:
        return int(self.design["events"])

    def to_frame(self) -> pd.DataFrame:
        """The rejection table (a copy of :attr:`rejections`)."""
        return self.rejections.copy()

    def table(self, tail: str = "two_sided") -> pd.DataFrame:
        """Rejection rates of one tail, one row per test, columns ``day 0`` and ``CAR(a, b)``."""
        if tail not in TAILS:
            raise ParameterError("tail", tail, f"choose one of {', '.join(TAILS)}")
        rows = self.rejections[self.rejections["tail"] == tail]
        wide = rows.pivot(index="name", columns="where", values="rate")
        return wide.loc[list(self.tests), [DAY0, self._window_label]]

    @property
    def _window_label(self) -> str:
        a, b = self.design["car_window"]
        return f"CAR({a:+d}, {b:+d})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``design``, ``n_samples``, ``events_per_sample`` and ``rejections``
        (``name``, ``rel_day``, ``window``, ``tail``, ``rate``, ``ci_low``, ``ci_high``,
        ``rejections``, ``n``); a rate with no defined statistic (``n`` 0) is ``None``."""
        records = []
        for row in self.rejections.itertuples(index=False):
            records.append({
                "name": row.name,
                "rel_day": None if row.rel_day is None else int(row.rel_day),
                "window": None if row.window is None else [int(row.window[0]), int(row.window[1])],
                "tail": row.tail,
                "rate": _finite_or_none(row.rate),
                "ci_low": _finite_or_none(row.ci_low),
                "ci_high": _finite_or_none(row.ci_high),
                "rejections": int(row.rejections),
                "n": int(row.n),
            })
        return {
            "design": dict(self.design),
            "n_samples": self.n_samples,
            "events_per_sample": self.events_per_sample,
            "rejections": records,
        }

    def summary(self) -> Summary:
        """Plain text: the design, then per test the rejection rates (two-sided with its 95%
        interval, lower and upper tail) on day 0 and over the CAR window (in a notebook, an HTML
        table of the same rates)."""
        d = self.design
        shift_days = d["shift_window"]
        lines = [
            f"Simulated {d['samples']} samples of {d['events']} pseudo-events "
            f"({'one day 0 per sample' if d['same_date'] else 'random securities and days'}) "
            f"on {d['returns']}",
            f"  model {d['model']}, market {d['market']}, estimation {tuple(d['estimation'])}, "
            f"event window {tuple(d['window'])}, seed {d['seed']}",
            f"  shift {d['shift']:+.3%} over days {shift_days[0]:+d}..{shift_days[1]:+d}, "
            f"event-window variance x {d['variance_multiplier']:g}",
            f"Rejection rates at alpha = {d['alpha']:g} "
            f"(two-sided with its Clopper-Pearson 95% interval; one-sided lower and upper):",
        ]
        places = [(DAY0, "day 0"), (self._window_label, self._window_label)]
        rows = [f"  {'test':<24}" + "".join(f"{label:>38}" for _, label in places)]
        frame = self.rejections.set_index(["name", "where", "tail"])
        shown: dict[tuple[str, str], list[str]] = {}  # (place, rate): the cells of the HTML table
        for name in self.tests:
            cells = []
            for where, label in places:
                two = frame.loc[(name, where, "two_sided")]
                low = frame.loc[(name, where, "lower")]
                up = frame.loc[(name, where, "upper")]
                cells.append(
                    f"{_pct(two.rate)} [{_pct(two.ci_low)}, {_pct(two.ci_high)}]"
                    f"  lo {_pct(low.rate)}  up {_pct(up.rate)}"
                )
                for kind, text in (("two-sided", _pct(two.rate)),
                                   ("95% CI", f"[{_pct(two.ci_low).strip()}, {_pct(two.ci_high).strip()}]"),
                                   ("lower", _pct(low.rate)), ("upper", _pct(up.rate))):
                    shown.setdefault((label, kind), []).append(text.strip())
            rows.append(f"  {name:<24}" + "".join(f"{c:>38}" for c in cells))
        report = SummaryBuilder()  # the text, and in a notebook the rates as an HTML table
        report.text(*lines)
        report.table(pd.DataFrame(shown, index=list(self.tests)), rows)
        return report.build()


def _pct(value: float) -> str:
    return "   n/a" if not np.isfinite(value) else f"{value:6.1%}"


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def power_table(results: Sequence[SimulationResult], *, tail: str = "two_sided",
                where: str = "day 0") -> pd.DataFrame:
    """Rejection rates of several simulations (e.g. one per shift), one row per test, one column
    per simulation labelled by its shift.

    Parameters
    ----------
    results
        Simulations of the same tests.
    tail
        ``two_sided``, ``lower`` or ``upper``.
    where
        ``"day 0"`` or ``"window"`` (the CAR window).
    """
    if tail not in TAILS:
        raise ParameterError("tail", tail, f"choose one of {', '.join(TAILS)}")
    if where not in ("day 0", "window"):
        raise ParameterError("where", where, "choose 'day 0' or 'window'")
    if not results:
        raise ParameterError("results", results, "give at least one simulation")
    columns = {}
    for result in results:
        rows = result.rejections[result.rejections["tail"] == tail]
        rows = rows[rows["rel_day"].notna()] if where == "day 0" else rows[rows["rel_day"].isna()]
        columns[result.design["shift"]] = rows.set_index("name")["rate"]
    frame = pd.DataFrame(columns)
    frame.columns.name = "shift"
    return frame


def power_summary(results: Sequence[SimulationResult], *, tail: str = "two_sided") -> Summary:
    """Plain text: the rejection rate of every test for each simulation (e.g. one per shift),
    on day 0 and over the CAR window, one column per shift (in a notebook, an HTML table).

    The simulations should share everything but the shift (with one seed they then share
    their pseudo-events).
    """
    day0 = power_table(results, tail=tail, where="day 0")
    window = power_table(results, tail=tail, where="window")
    first = results[0].design
    a, b = first["car_window"]
    shifts = [f"{shift:.1%}" for shift in day0.columns]
    width = 7 * len(shifts)
    tail_text = {"two_sided": "two-sided", "lower": "lower tail", "upper": "upper tail"}[tail]
    lines = [
        f"Rejection rates ({tail_text}, alpha = {first['alpha']:g}) of {first['samples']} samples "
        f"of {first['events']} pseudo-events on {first['returns']}",
        f"({first['model']} model, market {first['market']}, estimation "
        f"{tuple(first['estimation'])}, seed {first['seed']}), by abnormal return added on days "
        f"{first['shift_window'][0]:+d}..{first['shift_window'][1]:+d}:",
        "",
    ]
    rows = [
        f"{'':<24}{'day 0':>{width}}   {f'CAR({a:+d}, {b:+d})':>{width}}",
        f"{'shift':<24}" + "".join(f"{s:>7}" for s in shifts) + "   "
        + "".join(f"{s:>7}" for s in shifts),
    ]
    for name in day0.index:
        rows.append(
            f"{name:<24}" + "".join(f"{_pct(v):>7}" for v in day0.loc[name]) + "   "
            + "".join(f"{_pct(v):>7}" for v in window.loc[name])
        )
    table = pd.DataFrame(  # the same rates for a notebook: columns (where, shift)
        [[_pct(v).strip() for v in [*day0.loc[name], *window.loc[name]]] for name in day0.index],
        index=[str(name) for name in day0.index],
        columns=pd.MultiIndex.from_product([["day 0", f"CAR({a:+d}, {b:+d})"], shifts], names=["", "shift"]))
    report = SummaryBuilder()
    report.text(*lines)
    report.table(table, rows)
    return report.build()
