"""Charts of multi-event studies and simulations: AAR with the CAAR and its band, the CARs'
distribution, residual correlation, test comparison, power curves. Each function takes
``ax=None`` and returns the axes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from eventstudy.exceptions import ParameterError
from eventstudy.formatting import number, percent
from eventstudy.inference.ttest import critical_value
from eventstudy.report.chart_style import (
    _AR_COLOR,
    _axes,
    _event_time_axes,
    _level,
    _measure_units,
    finish,
    new_figure,
    save_figure,
    styled,
)
from eventstudy.studies.multi import MultiEventResult

if TYPE_CHECKING:
    from eventstudy.studies.simulation_result import SimulationResult


def plot_aar(result: MultiEventResult, ax: Axes | None = None, *, style: str = "default") -> Axes:
    """Average abnormal returns (bars, with their confidence intervals) and the CAAR (line, with
    its confidence band), at the study's level, from the cross-sectional t test:

    .. math:: AAR_t \\pm t_{N-1} \\frac{sd_i(AR_{it})}{\\sqrt N}, \\qquad
              CAAR_t \\pm t_{N-1} \\frac{sd_i(CAR_{it})}{\\sqrt N},

    :math:`CAR_{it}` being event :math:`i`'s cumulative AR from the window's first day (Brown &
    Warner 1985; the intervals ignore cross-correlation, see the Kolari-Pynnonen tests). The CAAR
    window (``result.car_window``, the window of the tests) is shaded when it is narrower than the
    event window.
    """
    ax = _axes(ax)
    scale, noun = _measure_units(result.study.measure)
    aar, caar = result.aar * scale, result.caar_path * scale
    n = result.n_events
    critical = critical_value(result.study.level, n - 1)
    aar_half = critical * (result.abnormal * scale).std(axis=0, ddof=1) / np.sqrt(n)
    half = critical * (result.abnormal.cumsum(axis=1) * scale).std(axis=0, ddof=1) / np.sqrt(n)
    level = _level(result.study.level)
    with styled(style) as colours:
        ax.bar(aar.index, aar, color=colours.bar, alpha=colours.bar_alpha, label="AAR")
        ax.errorbar(aar.index, aar, yerr=aar_half, fmt="none", color="0.25", ecolor="0.25", linewidth=0.8,
                    capsize=3 if style == "default" else None, label=f"AAR {level} interval")
        ax.fill_between(caar.index, caar - half, caar + half, color=colours.band, alpha=colours.band_alpha,
                        linewidth=0, label=f"CAAR {level} band (cross-sectional t)")
        ax.plot(caar.index, caar, color=colours.line, marker="o", label="CAAR")
        window = result.car_window
        if (window.start, window.end) != (int(aar.index[0]), int(aar.index[-1])):
            ax.axvspan(window.start - 0.5, window.end + 0.5, color="0.9", alpha=0.5, zorder=0,
                       label=f"CAAR window {window} (tests)")
        _event_time_axes(
            ax, list(aar.index), "Trading day relative to day 0", f"Average abnormal {noun}",
            f"{n} events: AAR and CAAR ({result.study.model.label})", percent=scale == 100.0,
            day0=colours.day0,
        )
    return finish(ax, style)


def plot_variance_ratio(result: MultiEventResult, ax: Axes | None = None, *, style: str = "default") -> Axes:
    """The cross-sectional variance ratio by day (:attr:`MultiEventResult.variance_ratio`) and
    the range it stays in, at the study's level, without an event effect: with normal
    standardised ARs, :math:`(N-1)\\, s_t^2 / E_0 \\sim \\chi^2_{N-1}`, so the ratio lies in
    :math:`[\\chi^2_{N-1,(1-level)/2},\\ \\chi^2_{N-1,(1+level)/2}] / (N-1)` (Student-t ARs make
    the true range a little wider). Above the range, the event raised the variance: read BMP or
    Kolari-Pynnonen rather than Patell or the t."""
    from scipy import stats

    ax = _axes(ax)
    table = result.variance_ratio
    level = result.study.level
    n = result.n_events
    low, high = stats.chi2.ppf([(1 - level) / 2, (1 + level) / 2], n - 1) / (n - 1)
    days = [int(d) for d in table.index]
    with styled(style) as colours:
        ax.axhspan(low, high, color=colours.band, alpha=colours.band_alpha, linewidth=0,
                   label=f"{_level(level)} range without an event effect (chi-square, {n - 1} df)")
        ax.plot(days, table["ratio"], color=colours.line, marker="o", label="variance ratio")
        ax.axhline(1, color="black", linewidth=0.8)
        ax.axvline(0, color=colours.day0, linestyle="--", linewidth=1, zorder=0)
        ax.set_xticks(days)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Trading day relative to day 0")
        ax.set_ylabel("Cross-sectional variance ratio")
        ax.set_title(f"{n} events: variance of the standardised ARs over its null value")
        ax.legend(loc="best", fontsize="small")
    return finish(ax, style)


def plot_residual_correlation(result: MultiEventResult, ax: Axes | None = None) -> Axes:
    """Heat map of the pairwise correlations of the events' estimation residuals (event time)."""
    ax = _axes(ax)
    corr = result.residuals.T.corr()
    image = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.figure.colorbar(image, ax=ax, label="correlation of estimation residuals")
    ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(corr)), corr.index)
    for i in range(len(corr)):
        for j in range(len(corr)):
            value = corr.iat[i, j]
            ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                    color="white" if abs(value) > 0.6 else "black", fontsize="small")
    ax.set_title(f"Residual correlation in event time (mean r = {result.residual_correlation:.2f})")
    return ax


def plot_test_comparison(
    result: MultiEventResult,
    pairs: tuple[tuple[str, str], ...] = (("patell", "kolari_pynnonen_patell"), ("bmp", "kolari_pynnonen_bmp")),
    rel_day: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Unadjusted against Kolari-Pynnonen-adjusted statistics, for one day or the CAAR window."""
    ax = _axes(ax)
    frame = result.tests_frame()
    chosen = frame[frame["rel_day"].isna()] if rel_day is None else frame[frame["rel_day"] == rel_day]
    table = chosen.set_index("name")
    x = np.arange(len(pairs))
    width = 0.38
    for offset, names, color, label in [
        (-width / 2, [a for a, _ in pairs], "0.6", "unadjusted"),
        (width / 2, [b for _, b in pairs], _AR_COLOR, "Kolari-Pynnonen adjusted"),
    ]:
        bars = ax.bar(x + offset, table.loc[names, "stat"], width, color=color, label=label)
        ax.bar_label(bars, labels=[f"p={p:.3f}" for p in table.loc[names, "p"]], fontsize="small", padding=2)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.margins(y=0.15)
    ax.set_xticks(x, [a for a, _ in pairs])
    where = (
        f"CAAR window {result.car_window}" if rel_day is None else f"day {rel_day:+d}" if rel_day else "day 0"
    )
    ax.set_ylabel("test statistic (two-sided p-value on each bar)")
    ax.set_xlabel("test")
    ax.set_title(f"Clustering adjustment, {where}")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_car_distribution(result: MultiEventResult, ax: Axes | None = None, *, style: str = "default") -> Axes:
    """Histogram of the events' CARs over the CAAR window, with the CAAR and its confidence
    interval at the study's level, :math:`CAAR \\pm t_{N-1}\\, sd(CAR_i)/\\sqrt N`."""
    ax = _axes(ax)
    scale, _ = _measure_units(result.study.measure)
    cars = result.events["car"] * scale
    n = result.n_events
    half = critical_value(result.study.level, n - 1) * float(cars.std(ddof=1)) / np.sqrt(n)
    centre = result.caar * scale
    caar = percent(result.caar) if scale == 100.0 else number(result.caar)
    with styled(style) as colours:
        ax.fill_betweenx([0, 1], centre - half, centre + half, transform=ax.get_xaxis_transform(),
                         color=colours.band, alpha=colours.band_alpha, linewidth=0, zorder=0,
                         label=f"CAAR {_level(result.study.level)} interval")
        ax.hist(cars, bins=min(50, max(10, n // 5)), color=colours.bar, alpha=colours.bar_alpha, label="events")
        ax.axvline(centre, color=colours.line, linewidth=2, label=f"CAAR {caar}")
        ax.axvline(0, color="black", linewidth=0.8)
        if scale == 100.0:
            ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of events
        ax.set_xlabel(f"CAR{result.car_window}")
        ax.set_ylabel("number of events")
        ax.set_title(f"{n} events: distribution of the CARs{result.car_window}")
        ax.legend(loc="best", fontsize="small")
    return finish(ax, style)


def plot_multi_event(result: MultiEventResult, fig: Figure | None = None, *, style: str = "default") -> Figure:
    """AAR/CAAR and the CAR distribution side by side, under a title with the CAAR (the paper
    style stacks them in one column, without titles).

    Draws into ``fig`` when given, else into a new pyplot-free figure (see :func:`plot_event_study`).
    """
    paper = style == "paper"
    fig = fig if fig is not None else new_figure(style, (13, 4.8), rows=2)
    with styled(style):
        aar_ax, car_ax = fig.subplots(2, 1) if paper else fig.subplots(1, 2)
    plot_aar(result, ax=aar_ax, style=style)
    plot_car_distribution(result, ax=car_ax, style=style)
    if not paper:
        fig.suptitle(
            f"{result.n_events} events ({result.study.model.label}): "
            f"CAAR{result.car_window} = "
            + (f"{result.caar:+.4f} (log volume)" if result.study.measure == "volume" else f"{result.caar:+.2%}"),
            fontsize="large",
        )
    return fig


def save_multi_event_plot(result: MultiEventResult, path: str | os.PathLike[str], *,
                          style: str = "default") -> None:
    """Write :func:`plot_multi_event` to ``path``: PNG, SVG or PDF by the extension."""
    save_figure(plot_multi_event(result, style=style), path, style)


#: Line styles of the test families in :func:`plot_power`.
_FAMILY_STYLE = {
    "cross_sectional_t": "-", "patell": "-", "bmp": "-",
    "kolari_pynnonen_patell": "--", "kolari_pynnonen_bmp": "--",
    "corrado_rank": "-.", "corrado_zivney": "-.", "generalized_rank": "-.",
    "sign": ":", "generalized_sign": ":", "wilcoxon": ":",
}


def plot_power(
    results: Sequence[SimulationResult],
    *,
    where: str = "day 0",
    tail: str = "two_sided",
    tests: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Power curves: each test's rejection rate against the abnormal return added (the shift),
    from simulations that differ only in the shift (:func:`eventstudy.studies.simulate.simulate`), with
    the nominal level marked.

    Parameters
    ----------
    results
        Simulations, one per shift.
    where
        ``"day 0"`` or ``"window"`` (the CAR window).
    tail
        ``two_sided``, ``lower`` or ``upper``.
    tests
        Tests drawn (default every test simulated).
    """
    from eventstudy.studies.simulation_result import power_table

    ax = _axes(ax)
    table = power_table(results, tail=tail, where=where)
    names = list(table.index) if tests is None else list(tests)
    unknown = [name for name in names if name not in table.index]
    if unknown:
        raise ParameterError("tests", unknown, f"choose among the tests simulated: {', '.join(table.index)}")
    shifts = np.asarray(table.columns, dtype=float) * 100
    order = np.argsort(shifts)
    colors = [f"C{j}" if j < 10 else "black" for j in range(len(names))]
    for name, color in zip(names, colors):
        ax.plot(shifts[order], table.loc[name].to_numpy()[order] * 100, marker="o", markersize=4,
                linestyle=_FAMILY_STYLE.get(name, "-"), color=color, label=name)
    design = results[0].design
    alpha = design["alpha"] * 100
    ax.axhline(alpha, color="black", linestyle="--", linewidth=1, label=f"nominal level {alpha:g}%")
    ax.set_ylim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    a, b = design["car_window"]
    place = "day 0" if where == "day 0" else f"CAR({a:+d}, {b:+d})"
    ax.set_xlabel(f"abnormal return added on days {design['shift_window'][0]:+d}..{design['shift_window'][1]:+d}")
    ax.set_ylabel(f"rejection rate ({tail.replace('_', '-')})")
    ax.set_title(f"Power of each test, {place}: {design['samples']} samples of {design['events']} events")
    ax.legend(loc="best", fontsize="x-small", ncols=2)
    return ax
