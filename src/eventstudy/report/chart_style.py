"""What every chart of the package shares: colours, the axes to draw on, units of the measure,
event-time axes (day 0 marked, one tick per relative day), the two styles and saving by extension.

Styles (``style=`` of every chart function):

- ``"default"``: colour, sans-serif, titles, sized for a screen;
- ``"paper"``: grey scale, serif, no titles, 8-point text, sized for one column of a journal page
  (:data:`COLUMN_WIDTH` inches wide), saved at 300 dpi.

Figures are saved as PNG, SVG or PDF, chosen by the file's extension (:func:`save_figure`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from eventstudy.engine.single_result import EventStudyResult
from eventstudy.exceptions import ParameterError

_AR_COLOR = "#1f77b4"


_CAR_COLOR = "#d62728"


_DAY0_COLOR = "0.4"

#: The chart styles.
STYLES = ("default", "paper")
#: Formats a figure is saved in, by the file's extension.
FIGURE_FORMATS = (".png", ".svg", ".pdf")
#: Width of one column of a two-column journal page, in inches.
COLUMN_WIDTH = 3.5

#: matplotlib settings of the paper style.
PAPER_RC: dict[str, Any] = {
    "font.family": "serif",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "lines.markersize": 3,
    "errorbar.capsize": 2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "pdf.fonttype": 42,
    "svg.fonttype": "path",
}


@dataclass(frozen=True)
class Palette:
    """Colours of a style: bars of daily values, lines of cumulative ones, their bands, day 0."""

    bar: str
    line: str
    band: str
    day0: str
    points: str
    bar_alpha: float
    band_alpha: float


PALETTES = {
    "default": Palette(_AR_COLOR, _CAR_COLOR, _CAR_COLOR, _DAY0_COLOR, "0.55", 0.8, 0.15),
    "paper": Palette("0.6", "0.0", "0.0", "0.35", "0.7", 1.0, 0.15),
}


def palette(style: str) -> Palette:
    """The colours of ``style`` (:data:`STYLES`)."""
    if style not in PALETTES:
        raise ParameterError("style", style, f"choose {' or '.join(STYLES)}")
    return PALETTES[style]


def _settings(style: str) -> Any:
    return PAPER_RC if style == "paper" else {}


@contextlib.contextmanager
def styled(style: str) -> Iterator[Palette]:
    """Draw in ``style``: its matplotlib settings while the artists are made, and its colours."""
    colours = palette(style)
    with matplotlib.rc_context(_settings(style)):
        yield colours


def finish(ax: Axes, style: str) -> Axes:
    """The last touch of ``style``: the paper style has no title and serif labels and ticks (the
    axes may have been made before, under other settings)."""
    if style == "paper":
        ax.set_title("")
        for label in (ax.xaxis.label, ax.yaxis.label):
            label.set_fontfamily("serif")
            label.set_fontsize(8)
        ax.tick_params(labelfontfamily="serif", labelsize=7)
        legend = ax.get_legend()
        if legend is not None:  # small and frameless: a column is narrow
            legend.set_frame_on(False)
            for text in legend.get_texts():
                text.set_fontfamily("serif")
                text.set_fontsize(6)
    return ax


def new_figure(style: str, size: tuple[float, float], rows: int = 1) -> Figure:
    """A pyplot-free figure: ``size`` (inches) in the default style; one column wide and
    2.4 inches per row of panels in the paper style."""
    palette(style)
    if style == "paper":
        return Figure(figsize=(COLUMN_WIDTH, 2.4 * rows), layout="constrained")
    return Figure(figsize=size, layout="constrained")


def save_figure(fig: Figure, path: str | os.PathLike[str], style: str = "default") -> Path:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF, by its extension (300 dpi in the paper style,
    120 otherwise)."""
    target = Path(path)
    if target.suffix.lower() not in FIGURE_FORMATS:
        raise ParameterError("plot", str(path), f"give a file ending in {', '.join(FIGURE_FORMATS)}")
    with matplotlib.rc_context(_settings(style)):
        fig.savefig(target, dpi=300 if style == "paper" else 120)
    return target


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


def _level(level: float) -> str:
    """A confidence level as the charts state it: ``95%``."""
    return f"{level * 100:g}%"


def _event_time_axes(
    ax: Axes, days: list[int], xlabel: str, ylabel: str, title: str, percent: bool = True,
    day0: str = _DAY0_COLOR,
) -> Axes:
    """Day 0 marked, one tick per relative day, percent y axis, labels, title and legend."""
    ax.axvline(0, color=day0, linestyle="--", linewidth=1, label="day 0", zorder=0)
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
