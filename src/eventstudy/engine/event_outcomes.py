"""What a per-event batch result says about each event's outcome: studied, or skipped and why.

The GARCH and peer batches (:mod:`eventstudy.engine.garch`, :mod:`eventstudy.engine.peers_batch`)
keep one reason per event (``""``: studied); this mixin derives the rest from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class EventOutcomes:
    """``ok``, ``n_events`` and ``skipped`` from the arrays ``securities``, ``event_dates`` and
    ``reason`` (``""`` for an event studied) of the dataclass it is mixed into."""

    securities: np.ndarray
    event_dates: np.ndarray
    reason: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """``(N,)`` True for the events studied."""
        return self.reason == ""

    @property
    def n_events(self) -> int:
        return int(self.ok.sum())

    @property
    def skipped(self) -> pd.DataFrame:
        """Events not studied: ``security``, ``event_date``, ``reason``."""
        rows = np.flatnonzero(~self.ok)
        return pd.DataFrame({"security": self.securities[rows], "event_date": self.event_dates[rows],
                             "reason": self.reason[rows]}, index=pd.Index(rows, name="event"))
