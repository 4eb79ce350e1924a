"""Charts of single-event studies: daily ARs with their intervals, the CAR path with its band, the
estimation fit, window and model comparisons. Each function takes ``ax=None`` and returns the axes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from eventstudy.engine.single_result import EventStudyResult
from eventstudy.exceptions import ParameterError
from eventstudy.inference.ttest import check_level, critical_value
from eventstudy.report.chart_style import (
    _AR_COLOR,
    _CAR_COLOR,
    _DAY0_COLOR,
    _axes,
    _event_time_axes,
    _level,
    _units,
    finish,
    new_figure,
    save_figure,
    styled,
)

if TYPE_CHECKING:
    pass


def plot_abnormal_returns(
    result: EventStudyResult, ax: Axes | None = None, level: float | None = None, *,
    style: str = "default",
) -> Axes:
    """Bars of the daily abnormal returns with their confidence intervals,
    :math:`AR_t \\pm t_{df,(1+level)/2}\\, se_t` (``level``: the study's by default)."""
    ax = _axes(ax)
    level = result.level if level is None else check_level(level)
    days = result.days
    scale, noun = _units(result)
    half = critical_value(level, result.fit.df) * days["se"] * scale
    with styled(style) as colours:
        ax.bar(days.index, days["abnormal"] * scale, color=colours.bar, alpha=colours.bar_alpha,
               label=f"abnormal {noun}")
        ax.errorbar(
            days.index, days["abnormal"] * scale, yerr=half, fmt="none", color="black", ecolor="black",
            capsize=4 if style == "default" else None, linewidth=1,
            label=f"{_level(level)} confidence interval",
        )
        _event_time_axes(
            ax, list(days.index), f"Trading day relative to day 0 ({result.day0:%Y-%m-%d})",
            f"Abnormal {noun}", f"{result.ticker}: daily abnormal {noun}s ({result.model.label})",
            percent=scale == 100.0, day0=colours.day0,
        )
    return finish(ax, style)


def plot_car(result: EventStudyResult, ax: Axes | None = None, *, style: str = "default") -> Axes:
    """The cumulative abnormal return through the event window with its confidence band (the
    study's level; the CAR's standard error from the full covariance of the ARs)."""
    ax = _axes(ax)
    scale, noun = _units(result)
    path = result.car_path * scale
    with styled(style) as colours:
        ax.fill_between(
            path.index, path["ci_low"], path["ci_high"], color=colours.band, alpha=colours.band_alpha,
            linewidth=0, label=f"{_level(result.level)} confidence band",
        )
        ax.plot(path.index, path["car"], color=colours.line, marker="o",
                label="CAV" if result.measure == "volume" else "CAR")
        _event_time_axes(
            ax, list(path.index), f"Trading day relative to day 0 ({result.day0:%Y-%m-%d})",
            f"{'CAV' if result.measure == 'volume' else 'CAR'} from day {result.event_window.start:+d}",
            f"{result.ticker}: cumulative abnormal {noun}", percent=scale == 100.0, day0=colours.day0,
        )
    return finish(ax, style)


def plot_estimation_fit(result: EventStudyResult, ax: Axes | None = None, *, style: str = "default") -> Axes:
    """Stock against market returns in the estimation window, the fitted model, and event days."""
    ax = _axes(ax)
    with styled(style) as colours:
        _estimation_fit(result, ax, colours.points, colours.bar if style == "default" else "0.3",
                        colours.line, columns=2 if style == "default" else 1)
    return finish(ax, style)


def _estimation_fit(result: EventStudyResult, ax: Axes, points: str, fitted_color: str, event: str,
                    columns: int) -> None:
    scale, noun = _units(result)
    est = result.estimation_data * scale
    ax.scatter(
        est["market"], est["return"], s=10, color=points, alpha=0.7,
        label=f"estimation window {result.estimation_window} ({result.fit.nobs} days)",
    )
    label = f"expected {noun} ({result.model.label})"
    if set(result.model.columns) == {"market"}:  # expected return is a line in the market return
        grid = np.linspace(est["market"].min(), est["market"].max(), 50)
        fitted = result.fit.expected(pd.DataFrame({"market": grid / scale})) * scale
        ax.plot(grid, fitted, color=fitted_color, linewidth=1.5, label=label)
    else:  # it depends on other inputs too (factors, lagged market): show the fitted points
        ax.scatter(est["market"], est["expected"], s=8, color=fitted_color, marker="x", label=label)
    days = result.days
    ax.scatter(
        days["market"] * scale, days["return"] * scale, s=45, color=event, zorder=3,
        label=f"event window {result.event_window}",
    )
    # Label every event day in a short window, only day 0 in a long one (labels would collide).
    labelled = days if len(days) <= 5 else days.loc[[0]] if 0 in days.index else days.iloc[:0]
    for rel_day, row in labelled.iterrows():
        ax.annotate(
            f"day {rel_day:+d}" if rel_day else "day 0", (row["market"] * scale, row["return"] * scale),
            textcoords="offset points", xytext=(6, 5), fontsize="small", color=event,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
    if scale == 100.0:
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    ax.set_xlabel(f"{result.market} daily {noun}")
    ax.set_ylabel(f"{result.ticker} daily {noun}")
    ax.set_title(f"{result.ticker} vs {result.market}: estimation window and event days")
    # Below the axes, so no legend box can cover an event day or its label.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=columns, fontsize="small", frameon=False)


def plot_event_study(result: EventStudyResult, fig: Figure | None = None, *, style: str = "default") -> Figure:
    """A three-panel figure: abnormal returns, CAR, and the estimation-window fit.

    Draws into ``fig`` when given (e.g. ``plt.figure(figsize=(15, 4.8), layout="constrained")`` in
    a notebook), else into a new pyplot-free :class:`~matplotlib.figure.Figure`, for saving. The
    paper style stacks the panels in one column, without titles.
    """
    paper = style == "paper"
    fig = fig if fig is not None else new_figure(style, (15, 4.8), rows=3)
    with styled(style):
        ar_ax, car_ax, fit_ax = fig.subplots(3, 1) if paper else fig.subplots(1, 3)
    plot_abnormal_returns(result, ax=ar_ax, style=style)
    plot_car(result, ax=car_ax, style=style)
    plot_estimation_fit(result, ax=fit_ax, style=style)
    if not paper:
        volume = result.measure == "volume"
        value = f"{result.car.value:+.3f}" if volume else f"{result.car.value:+.2%}"
        fig.suptitle(
            f"{result.ticker} around {result.event_date:%Y-%m-%d}: "
            f"{'CAV' if volume else 'CAR'}{result.event_window} = {value} (t = {result.car.t:.2f}, "
            f"p = {result.car.p:.3f})",
            fontsize="large",
        )
    return fig


def save_event_study_plot(result: EventStudyResult, path: str | os.PathLike[str], *,
                          style: str = "default") -> None:
    """Write :func:`plot_event_study` to ``path``: PNG, SVG or PDF by the extension."""
    save_figure(plot_event_study(result, style=style), path, style)


def plot_car_grid(result: EventStudyResult, value: str = "t", ax: Axes | None = None) -> Axes:
    """Heat map of the CAR (``value="car"``, in %) or its t statistic over every sub-window.

    Rows are the window's first day, columns its last; cells with a two-sided p-value below
    ``1 - result.level`` are dotted. Built from :meth:`EventStudyResult.car_grid`.
    """
    if value not in ("t", "car"):
        raise ParameterError("value", value, "choose 't' or 'car'")
    ax = _axes(ax)
    grid = result.car_grid()
    table = grid[value].unstack("end") * (100 if value == "car" else 1)
    values = np.abs(table.to_numpy())
    # A robust scale: three times the median |value|, so one extreme day (a crash inside the range,
    # present in a third of the windows) does not wash out every other cell; cells beyond the scale
    # take its end colours (arrows on the colour bar).
    limit = min(3.0 * float(np.nanmedian(values)), float(np.nanmax(values))) or float(np.nanmax(values)) or 1.0
    clipped = bool(np.nanmax(values) > limit)
    image = ax.imshow(table.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, origin="lower",
                      extent=(table.columns[0] - 0.5, table.columns[-1] + 0.5,
                              table.index[0] - 0.5, table.index[-1] + 0.5))
    label = "t statistic of the CAR" if value == "t" else "CAR"
    bar = ax.figure.colorbar(image, ax=ax, label=label, extend="both" if clipped else "neither")
    if value == "car":
        bar.ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
    significant = grid[grid["p"] < 1 - result.level].index
    # White-edged dots stay visible on the darkest cells of either colour.
    ax.scatter([b for _, b in significant], [a for a, _ in significant], s=14, color="black",
               edgecolors="white", linewidths=0.7, label=f"p < {1 - result.level:.2f}")
    ax.axvline(0, color=_DAY0_COLOR, linestyle="--", linewidth=1)
    ax.axhline(0, color=_DAY0_COLOR, linestyle="--", linewidth=1)
    step = max(1, len(table.columns) // 10)
    ax.set_xticks(list(table.columns[::step]))
    ax.set_yticks(list(table.index[::step]))
    ax.set_xlabel("last day of the window (relative to day 0)")
    ax.set_ylabel("first day of the window (relative to day 0)")
    ax.set_title(f"{result.ticker} around {result.day0:%Y-%m-%d}: {label} by event window")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_price_timeline(
    prices: pd.Series, events: dict[str, pd.Timestamp], ax: Axes | None = None
) -> Axes:
    """A price series with each event's day 0 marked and labelled.

    Parameters
    ----------
    prices
        Prices indexed by date (e.g. ``Adj Close`` of one ticker).
    events
        Label -> day 0.
    """
    ax = _axes(ax)
    ax.plot(prices.index, prices.to_numpy(), color=_AR_COLOR, linewidth=1.2, label=str(prices.name))
    top = float(prices.max())
    for i, (label, day) in enumerate(events.items()):
        ax.axvline(day, color=_CAR_COLOR, linestyle="--", linewidth=1)
        ax.annotate(
            f"{label}\n{day:%Y-%m-%d}", (day, top), xytext=(3, -12 - 24 * (i % 2)),
            textcoords="offset points", fontsize="small", color=_CAR_COLOR, va="top",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    ax.set_xlabel("date")
    ax.set_ylabel("price (USD)")
    ax.set_title(f"{prices.name}: daily price with the events' day 0")
    return ax


def plot_model_comparison(results: dict[str, EventStudyResult], ax: Axes | None = None, *,
                          style: str = "default") -> Axes:
    """The CAR over the event window and its confidence interval under each model."""
    ax = _axes(ax)
    names = list(results)
    cars = [results[n].car for n in names]
    y = np.arange(len(names))
    values = np.array([c.value for c in cars]) * 100
    low = values - np.array([c.ci_low for c in cars]) * 100
    high = np.array([c.ci_high for c in cars]) * 100 - values
    first = results[names[0]]
    with styled(style) as colours:
        ax.errorbar(values, y, xerr=[low, high], fmt="o", color=colours.line, ecolor="black",
                    capsize=4 if style == "default" else None)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=None))
        ax.set_xlabel(f"CAR{first.event_window} with its {_level(first.level)} confidence interval")
        ax.set_title(f"{first.ticker} around {first.day0:%Y-%m-%d}: the CAR under each model")
    return finish(ax, style)
