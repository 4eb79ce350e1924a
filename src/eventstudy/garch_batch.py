"""The GARCH market model in a multi-event study: :func:`eventstudy.garch.garch_events` behind
the interface :mod:`eventstudy.multi` reads from the batch engine (one CAR window; the
residuals are the GARCH fits' own).

The GARCH model fits one likelihood per event (:mod:`eventstudy.garch`), so it does not run in
the prefix-sum engine; this adapter gives its per-event arrays the names of
:class:`eventstudy.batch.BatchResult`, so the accounting, the per-event table, the tests and the
outputs are the same code for every model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import Window
from eventstudy.exceptions import ParameterError
from eventstudy.garch import GarchEvents, garch_events
from eventstudy.pvalues import critical_values
from eventstudy.study import EventStudy

GARCH_MODELS = {"garch": "normal", "garch_t": "t"}


@dataclass(frozen=True, eq=False)
class GarchBatch:
    """:class:`~eventstudy.garch.GarchEvents` read as a :class:`~eventstudy.batch.BatchResult`."""

    events: GarchEvents
    study: EventStudy

    @property
    def ok(self) -> np.ndarray:
        return self.events.ok

    @property
    def n_events(self) -> int:
        return self.events.n_events

    @property
    def abnormal(self) -> np.ndarray:
        return self.events.abnormal

    @property
    def se(self) -> np.ndarray:
        return self.events.se

    @property
    def car_windows(self) -> tuple[Window, ...]:
        return (self.events.car_window,)

    @property
    def window_car(self) -> np.ndarray:
        return self.events.car[:, None]

    @property
    def window_car_se(self) -> np.ndarray:
        return self.events.car_se[:, None]

    @property
    def estimation_days_lost(self) -> np.ndarray:
        return np.zeros(len(self.events.ok), dtype=np.int64)

    @property
    def skipped(self) -> pd.DataFrame:
        return self.events.skipped

    def residuals(self, rows: np.ndarray) -> np.ndarray:
        return self.events.residuals[rows]

    def frame(self) -> pd.DataFrame:
        """The per-event table with the columns of ``BatchResult.frame``: the CAR's interval
        and the buy-and-hold abnormal return over the CAR window."""
        events = self.events
        frame = events.frame()
        rows = frame.index.to_numpy()
        half = critical_values(self.study.level, events.df[rows]) * events.car_se[rows]
        window = events.car_window
        first = window.start - self.study.window.start
        stop = window.end - self.study.window.start + 1
        realised = events.realised[rows, first:stop]
        abnormal = events.abnormal[rows, first:stop]
        frame["car_ci_low"] = frame["car"] - half
        frame["car_ci_high"] = frame["car"] + half
        frame["bhar"] = np.prod(1.0 + realised, axis=1) - np.prod(1.0 + realised - abnormal, axis=1)
        return frame

    def savickas(self) -> list[Any]:
        return self.events.savickas()


def garch_batch(
    returns: pd.DataFrame, events: pd.DataFrame, market: pd.Series, study: EventStudy,
    windows: tuple[Window, ...], *, exclude_events: bool, non_session: str,
    progress: bool | None,
) -> GarchBatch:
    """Run :func:`~eventstudy.garch.garch_events` for a multi-event study."""
    if len(windows) > 1:
        raise ParameterError("car_window", [(w.start, w.end) for w in windows],
                             "the GARCH model takes one CAR window")
    if exclude_events:
        raise ParameterError("exclude_events", True, "not available with the GARCH model")
    result = garch_events(
        returns, events, market, estimation=study.estimation, window=study.window,
        car_window=windows[0], level=study.level, min_estimation=study.min_estimation,
        dist=GARCH_MODELS[study.model.name], non_session=non_session, progress=progress,
    )
    return GarchBatch(result, study)
