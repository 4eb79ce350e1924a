"""The event-time charts' legends never cover the data: they sit outside the axes, inside the figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from eventstudy import run_event_study  # noqa: E402
from eventstudy.report.single_charts import plot_abnormal_returns, plot_car  # noqa: E402


def test_flagship_legends_leave_the_day0_whisker_and_the_band_uncovered(tmp_path):
    result = run_event_study("FB", "2018-08-06")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    plot_abnormal_returns(result, ax=axes[0])
    plot_car(result, ax=axes[1])
    fig.savefig(tmp_path / "flagship.png")  # lays the figure out
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    for ax in axes:
        legend = ax.get_legend().get_window_extent(renderer)
        plot_area = ax.get_window_extent(renderer)
        assert not legend.overlaps(plot_area), ax.get_title()
        assert figure_box.contains(legend.x0, legend.y0) and figure_box.contains(legend.x1, legend.y1)
        # and so no data point, bar or whisker is under it: they are all inside the plot area
        for artist in [*ax.lines, *ax.patches, *ax.collections]:
            box = artist.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                assert not legend.overlaps(box), (ax.get_title(), artist)
    plt.close(fig)
