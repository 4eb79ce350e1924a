"""eventstudy: abnormal returns, CARs and their significance around news events.

The main entry points:

- :func:`run_event_study` -- a single-event study from the committed data snapshot;
- :class:`EventStudy` -- the same on any return series you bring;
- :func:`run_multi_event_study` -- many events from the snapshot (or a cache, or Yahoo): AAR,
  CAAR and every multi-event test statistic;
- :func:`batch_event_study` -- many events on a returns panel you bring, vectorised, with the
  numbers of the single-event path;
- :mod:`eventstudy.plotting` -- charts of a result.
"""

from eventstudy.batch import BatchResult, batch_event_study
from eventstudy.data import available_tickers, load_factors, load_prices
from eventstudy.models import MODELS
from eventstudy.multi import MultiEventResult, run_multi_event_study
from eventstudy.results import CumulativeAbnormalReturn, EventStudyResult
from eventstudy.returns import simple_returns
from eventstudy.sources import get_prices
from eventstudy.study import EventStudy, run_event_study

__all__ = [
    "MODELS",
    "BatchResult",
    "CumulativeAbnormalReturn",
    "EventStudy",
    "EventStudyResult",
    "MultiEventResult",
    "available_tickers",
    "batch_event_study",
    "get_prices",
    "load_factors",
    "load_prices",
    "run_event_study",
    "run_multi_event_study",
    "simple_returns",
]
__version__ = "0.1.0"
