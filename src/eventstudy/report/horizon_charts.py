"""Charts of long-horizon and calendar-time studies: the mean BHAR path with its band, and the
calendar-time portfolio's cumulative alpha. Each function takes ``ax=None`` and returns the axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from eventstudy.formatting import percent
from eventstudy.inference.ttest import check_level
from eventstudy.report.chart_style import _level, finish, styled
from eventstudy.studies.calendar_time import CalendarTimeResult
from eventstudy.studies.longrun import LongHorizonResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_bhar_paths", "plot_cumulative_alpha"]


def plot_bhar_paths(
    result: LongHorizonResult, ax: Axes | None = None, *, level: float = 0.95,
    show_events: bool = True, label: str | None = None, style: str = "default",
) -> Axes:
    r"""The mean BHAR path over the horizon with its confidence band, and each event's path.

    The band is :math:`\bar x_k \pm t_{n_k-1,(1+level)/2}\, s_k / \sqrt{n_k}` on each day
    :math:`k`, over the :math:`n_k` events held that day (the conventional t; the skewness
    adjustment is reported for the final horizon by the tests).
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    check_level(level)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    paths = result.paths()
    count = paths.notna().sum(axis=0)
    mean = paths.mean(axis=0)
    half = stats.t.ppf(0.5 + level / 2, np.maximum(count - 1, 1)) * paths.std(axis=0, ddof=1) / np.sqrt(count)
    days = paths.columns.to_numpy()
    with styled(style) as colours:
        if show_events:
            for row in paths.to_numpy():
                ax.plot(days, row, color="0.8" if style == "paper" else "0.75", linewidth=0.6)
        line = ax.plot(days, mean, linewidth=2, color=None if style == "default" else colours.line,
                       label=label or f"mean BHAR ({result.n_events} events)")[0]
        ax.fill_between(days, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0,
                        label=f"{_level(level)} band")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
        ax.set_xlabel("trading days after day 0")
        ax.set_ylabel("buy-and-hold abnormal return")
        ax.legend(loc="best")
    return finish(ax, style)


def plot_cumulative_alpha(
    result: CalendarTimeResult, ax: Axes | None = None, *, level: float = 0.95, style: str = "default",
) -> Axes:
    r"""The portfolio's cumulative abnormal return :math:`\sum_{s \le k} (\hat\alpha + \hat\varepsilon_s)`,
    the straight line :math:`k\,\hat\alpha` of its mean, and that line's confidence band
    :math:`k\,(\hat\alpha \pm t_{T-K,(1+level)/2}\, se(\hat\alpha))` (the regression's
    covariance: HAC, White or OLS; :math:`T` periods, :math:`K` coefficients)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from scipy import stats

    check_level(level)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    path = result.cumulative_alpha()
    periods = np.arange(1, len(path) + 1)
    half = stats.t.ppf(0.5 + level / 2, result.n_periods - len(result.params)) * result.se
    with styled(style) as colours:
        ax.plot(path.index, path.to_numpy(), linewidth=1.5, color="0.6" if style == "paper" else None,
                label="cumulative alpha + residual")
        line = ax.plot(path.index, result.alpha * periods, linestyle="--",
                       color=colours.line if style == "paper" else None,
                       label=f"alpha x periods (alpha {percent(result.alpha)} per period, t {result.t:.2f})")[0]
        ax.fill_between(path.index, (result.alpha - half) * periods, (result.alpha + half) * periods,
                        color=line.get_color(), alpha=0.15, linewidth=0,
                        label=f"{_level(level)} band of alpha x periods")
        ax.axhline(0, color="black", linewidth=0.8)
        locator = mdates.AutoDateLocator(maxticks=5 if style == "paper" else 8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
        ax.set_ylabel("cumulative abnormal return")
        ax.legend(loc="best")
    return finish(ax, style)
