"""Charts of long-horizon and calendar-time studies: the mean BHAR path with its band, and the
calendar-time portfolio's cumulative alpha. Each function takes ``ax=None`` and returns the axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from eventstudy.studies.calendar_time import CalendarTimeResult
from eventstudy.studies.longrun import LongHorizonResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_bhar_paths", "plot_cumulative_alpha"]


def plot_bhar_paths(
    result: LongHorizonResult, ax: Axes | None = None, *, level: float = 0.95,
    show_events: bool = True, label: str | None = None,
) -> Axes:
    r"""The mean BHAR path over the horizon with its confidence band, and each event's path.

    The band is :math:`\bar x_k \pm t_{n_k-1,(1+level)/2}\, s_k / \sqrt{n_k}` on each day
    :math:`k`, over the :math:`n_k` events held that day (the conventional t; the skewness
    adjustment is reported for the final horizon by the tests).
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    paths = result.paths()
    count = paths.notna().sum(axis=0)
    mean = paths.mean(axis=0)
    half = stats.t.ppf(0.5 + level / 2, np.maximum(count - 1, 1)) * paths.std(axis=0, ddof=1) / np.sqrt(count)
    days = paths.columns.to_numpy()
    if show_events:
        for row in paths.to_numpy():
            ax.plot(days, row, color="0.75", linewidth=0.8)
    line = ax.plot(days, mean, linewidth=2, label=label or f"mean BHAR ({result.n_events} events)")[0]
    ax.fill_between(days, mean - half, mean + half, color=line.get_color(), alpha=0.2,
                    label=f"{level:.0%} band")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
    ax.set_xlabel("trading days after day 0")
    ax.set_ylabel("buy-and-hold abnormal return")
    ax.legend(loc="best")
    return ax


def plot_cumulative_alpha(result: CalendarTimeResult, ax: Axes | None = None) -> Axes:
    r"""The portfolio's cumulative abnormal return :math:`\sum (\hat\alpha + \hat\varepsilon_t)`
    and the straight line :math:`t\,\hat\alpha` of its mean."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    path = result.cumulative_alpha()
    ax.plot(path.index, path.to_numpy(), linewidth=1.5, label="cumulative alpha + residual")
    ax.plot(path.index, result.alpha * np.arange(1, len(path) + 1), linestyle="--",
            label=f"alpha x periods (alpha = {result.alpha:+.3%} per period, t = {result.t:.2f})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
    ax.set_ylabel("cumulative abnormal return")
    ax.legend(loc="best")
    return ax
