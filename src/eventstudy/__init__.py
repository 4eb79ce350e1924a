"""eventstudy: abnormal returns, CARs and their significance around news events.

The main entry points:

- :func:`run_event_study` -- a single-event study from the committed data snapshot, or from
  your own panel file (``returns=`` / ``prices=``);
- :class:`EventStudy` -- the same on any return series you bring;
- :func:`run_multi_event_study` -- many events from the snapshot, a cache, Yahoo or your own
  panel file: AAR, CAAR, every multi-event test statistic and the accounting of every event;
- :func:`batch_event_study` -- many events on a returns panel in memory, vectorised, with the
  numbers of the single-event path;
- :mod:`eventstudy.plotting` -- charts of a result.

Names are imported on first use (PEP 562), so ``import eventstudy`` and ``eventstudy --help``
do not pay for the batch engine, the statistics or scipy until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives.
_EXPORTS = {
    "MODELS": "eventstudy.models",
    "BatchResult": "eventstudy.batch",
    "batch_event_study": "eventstudy.batch",
    "available_tickers": "eventstudy.data",
    "load_factors": "eventstudy.data",
    "load_prices": "eventstudy.data",
    "MultiEventResult": "eventstudy.multi",
    "run_multi_event_study": "eventstudy.multi",
    "CumulativeAbnormalReturn": "eventstudy.results",
    "EventStudyResult": "eventstudy.results",
    "simple_returns": "eventstudy.returns",
    "get_prices": "eventstudy.sources",
    "EventStudy": "eventstudy.study",
    "run_event_study": "eventstudy.study",
    "LongHorizonResult": "eventstudy.longrun",
    "run_long_horizon": "eventstudy.longrun",
    "CalendarTimeResult": "eventstudy.calendar_time",
    "run_calendar_time": "eventstudy.calendar_time",
    "RegressionResult": "eventstudy.regression",
    "regress_cars": "eventstudy.regression",
}

__all__ = [
    "BatchResult",
    "CalendarTimeResult",
    "CumulativeAbnormalReturn",
    "EventStudy",
    "EventStudyResult",
    "LongHorizonResult",
    "MODELS",
    "MultiEventResult",
    "RegressionResult",
    "available_tickers",
    "batch_event_study",
    "get_prices",
    "load_factors",
    "load_prices",
    "regress_cars",
    "run_calendar_time",
    "run_event_study",
    "run_long_horizon",
    "run_multi_event_study",
    "simple_returns",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from eventstudy.batch import BatchResult, batch_event_study
    from eventstudy.calendar_time import CalendarTimeResult, run_calendar_time
    from eventstudy.data import available_tickers, load_factors, load_prices
    from eventstudy.longrun import LongHorizonResult, run_long_horizon
    from eventstudy.models import MODELS
    from eventstudy.multi import MultiEventResult, run_multi_event_study
    from eventstudy.regression import RegressionResult, regress_cars
    from eventstudy.results import CumulativeAbnormalReturn, EventStudyResult
    from eventstudy.returns import simple_returns
    from eventstudy.sources import get_prices
    from eventstudy.study import EventStudy, run_event_study


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
