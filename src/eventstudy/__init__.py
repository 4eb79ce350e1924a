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
do not pay for the batch engine, the statistics or scipy until they are needed. The package's
layers and what each may import are in the README's module map; the module paths of the flat
package it replaced (``eventstudy.multi``, ``eventstudy.plotting``, ...) still work
(:mod:`eventstudy._compat`).
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from eventstudy import _compat

_compat.install()

#: Where each public name lives.
_EXPORTS = {
    "MODELS": "eventstudy.models.registry",
    "BatchResult": "eventstudy.engine.batch",
    "batch_event_study": "eventstudy.engine.batch",
    "available_tickers": "eventstudy.data.snapshot",
    "load_factors": "eventstudy.data.snapshot",
    "load_prices": "eventstudy.data.snapshot",
    "MultiEventResult": "eventstudy.studies.multi_result",
    "run_multi_event_study": "eventstudy.studies.multi",
    "CumulativeAbnormalReturn": "eventstudy.engine.single_result",
    "EventStudyResult": "eventstudy.engine.single_result",
    "simple_returns": "eventstudy.data.returns",
    "get_prices": "eventstudy.data.sources",
    "EventStudy": "eventstudy.engine.single",
    "run_event_study": "eventstudy.studies.single",
    "LongHorizonResult": "eventstudy.studies.longrun",
    "run_long_horizon": "eventstudy.studies.longrun",
    "CalendarTimeResult": "eventstudy.studies.calendar_time",
    "run_calendar_time": "eventstudy.studies.calendar_time",
    "RegressionResult": "eventstudy.studies.regression",
    "regress_cars": "eventstudy.studies.regression",
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

if _TYPE_CHECKING:
    from eventstudy.data.returns import simple_returns
    from eventstudy.data.snapshot import available_tickers, load_factors, load_prices
    from eventstudy.data.sources import get_prices
    from eventstudy.engine.batch import BatchResult, batch_event_study
    from eventstudy.engine.single import EventStudy
    from eventstudy.engine.single_result import CumulativeAbnormalReturn, EventStudyResult
    from eventstudy.models.registry import MODELS
    from eventstudy.studies.calendar_time import CalendarTimeResult, run_calendar_time
    from eventstudy.studies.longrun import LongHorizonResult, run_long_horizon
    from eventstudy.studies.multi import run_multi_event_study
    from eventstudy.studies.multi_result import MultiEventResult
    from eventstudy.studies.regression import RegressionResult, regress_cars
    from eventstudy.studies.single import run_event_study


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API: the names of ``__all__`` and ``__version__``."""
    return [*__all__, "__version__"]
