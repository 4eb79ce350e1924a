"""What every chart of the package shares: colours, the axes to draw on, units of the measure,
and event-time axes (day 0 marked, one tick per relative day)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from eventstudy.engine.single_result import EventStudyResult

if TYPE_CHECKING:
    pass


_AR_COLOR = "#1f77b4"


_CAR_COLOR = "#d62728"


_DAY0_COLOR = "0.4"


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the current pyplot axes (pyplot is imported only then)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _units(result: EventStudyResult) -> tuple[float, str]:
    """Scale and noun of a result's measure (see :func:`_measure_units`)."""
    return _measure_units(result.measure)


def _measure_units(measure: str) -> tuple[float, str]:
    """Scale and noun of a measure: returns in percent (the ticks say so), log volume as is."""
    if measure == "volume":
        return 1.0, "log volume"
    return 100.0, "return"


def _event_time_axes(
    ax: Axes, days: list[int], xlabel: str, ylabel: str, title: str, percent: bool = True
) -> Axes:
    """Day 0 marked, one tick per relative day, percent y axis, labels, title and legend."""
    ax.axvline(0, color=_DAY0_COLOR, linestyle="--", linewidth=1, label="day 0", zorder=0)
    ax.axhline(0, color="black", linewidth=0.8, zorder=0)
    ax.set_xticks(days)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    # Below the axes, under the x label: inside, "best" could still cover a bar's confidence
    # whisker (the flagship's day 0); outside, the legend never covers the data.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize="small", frameon=False)
    return ax
