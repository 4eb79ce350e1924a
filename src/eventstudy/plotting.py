"""Charts of a single-event study. Each function takes ``ax=None`` and returns the axes."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from eventstudy.inference import check_level, critical_value
from eventstudy.results import EventStudyResult

_AR_COLOR = "#1f77b4"
_CAR_COLOR = "#d62728"
_DAY0_COLOR = "0.4"


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the current pyplot axes (pyplot is imported only then)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _day_axis_label(result: EventStudyResult) -> str:
    return f"Trading day relative to day 0 ({result.day0:%Y-%m-%d})"


def _mark_day0(ax: Axes) -> None:
    ax.axvline(0, color=_DAY0_COLOR, linestyle="--", linewidth=1, label="day 0", zorder=0)
    ax.axhline(0, color="black", linewidth=0.8, zorder=0)


def plot_abnormal_returns(
    result: EventStudyResult, ax: Axes | None = None, level: float | None = None
) -> Axes:
    """Bars of the daily abnormal returns with their confidence intervals."""
    ax = _axes(ax)
    level = result.level if level is None else check_level(level)
    days = result.days
    half = critical_value(level, result.fit.df) * days["se"] * 100
    ax.bar(days.index, days["abnormal"] * 100, color=_AR_COLOR, alpha=0.8, label="abnormal return")
    ax.errorbar(
        days.index, days["abnormal"] * 100, yerr=half, fmt="none", ecolor="black",
        capsize=4, linewidth=1, label=f"{level * 100:g}% confidence interval",
    )
    _mark_day0(ax)
    ax.set_xticks(list(days.index))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    ax.set_xlabel(_day_axis_label(result))
    ax.set_ylabel("Abnormal return (%)")
    ax.set_title(f"{result.ticker}: daily abnormal returns ({result.model.label})")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_car(result: EventStudyResult, ax: Axes | None = None) -> Axes:
    """The cumulative abnormal return through the event window with its confidence band."""
    ax = _axes(ax)
    path = result.car_path * 100
    ax.fill_between(
        path.index, path["ci_low"], path["ci_high"], color=_CAR_COLOR, alpha=0.15,
        label=f"{result.level * 100:g}% confidence band",
    )
    ax.plot(path.index, path["car"], color=_CAR_COLOR, marker="o", label="CAR")
    _mark_day0(ax)
    ax.set_xticks(list(path.index))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    ax.set_xlabel(_day_axis_label(result))
    ax.set_ylabel(f"CAR from day {result.event_window.start:+d} (%)")
    ax.set_title(f"{result.ticker}: cumulative abnormal return")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_estimation_fit(result: EventStudyResult, ax: Axes | None = None) -> Axes:
    """Stock against market returns in the estimation window, the fitted model, and event days."""
    ax = _axes(ax)
    est = result.estimation_data * 100
    ax.scatter(
        est["market"], est["return"], s=10, color="0.55", alpha=0.7,
        label=f"estimation window {result.estimation_window} ({result.fit.nobs} days)",
    )
    label = f"expected return ({result.model.label})"
    if set(result.model.columns) == {"market"}:  # expected return is a line in the market return
        grid = np.linspace(est["market"].min(), est["market"].max(), 50)
        fitted = result.fit.expected(pd.DataFrame({"market": grid / 100})) * 100
        ax.plot(grid, fitted, color=_AR_COLOR, linewidth=1.5, label=label)
    else:  # it depends on other inputs too (factors, lagged market): show the fitted points
        ax.scatter(est["market"], est["expected"], s=8, color=_AR_COLOR, marker="x", label=label)
    days = result.days
    ax.scatter(
        days["market"] * 100, days["return"] * 100, s=45, color=_CAR_COLOR, zorder=3,
        label=f"event window {result.event_window}",
    )
    # Label every event day in a short window, only day 0 in a long one (labels would collide).
    labelled = days if len(days) <= 5 else days.loc[[0]] if 0 in days.index else days.iloc[:0]
    for rel_day, row in labelled.iterrows():
        ax.annotate(
            f"day {rel_day:+d}" if rel_day else "day 0", (row["market"] * 100, row["return"] * 100),
            textcoords="offset points", xytext=(6, 5), fontsize="small", color=_CAR_COLOR,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=1))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    ax.set_xlabel(f"{result.market} daily return (%)")
    ax.set_ylabel(f"{result.ticker} daily return (%)")
    ax.set_title(f"{result.ticker} vs {result.market}: estimation window and event days")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_event_study(result: EventStudyResult) -> Figure:
    """A three-panel figure: abnormal returns, CAR, and the estimation-window fit."""
    fig = Figure(figsize=(15, 4.8), layout="constrained")
    ar_ax, car_ax, fit_ax = fig.subplots(1, 3)
    plot_abnormal_returns(result, ax=ar_ax)
    plot_car(result, ax=car_ax)
    plot_estimation_fit(result, ax=fit_ax)
    fig.suptitle(
        f"{result.ticker} around {result.event_date:%Y-%m-%d}: "
        f"CAR{result.event_window} = {result.car.value:+.2%} (t = {result.car.t:.2f}, "
        f"p = {result.car.p:.3f})",
        fontsize="large",
    )
    return fig


def save_event_study_plot(result: EventStudyResult, path: str | os.PathLike[str]) -> None:
    """Write :func:`plot_event_study` to ``path`` (format from the extension, e.g. ``.png``)."""
    plot_event_study(result).savefig(path, dpi=120)
