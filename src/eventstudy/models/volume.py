r"""Trading volume as the measure of an event study (Campbell & Wasley 1996).

News shows in trading volume as well as in prices. The volume event study replaces the return
by the log volume

.. math:: v_t = \ln(1 + \text{Volume}_t)

for the stock and for the market series, fits the market model :math:`v_t = a + b\, v_{m,t} +
\varepsilon_t` by OLS over the estimation window, and reports the abnormal volume
:math:`AV_t = v_t - (\hat a + \hat b\, v_{m,t})` per event-window day with the market model's
prediction-error standard errors, t and p, and the cumulative abnormal volume
:math:`CAV = \mathbf 1' AV` with variance :math:`\mathbf 1' V \mathbf 1` (Campbell, Lo &
MacKinlay 1997, eq. 4.4.13). The study is the return study run on :math:`v` (the same
:class:`~eventstudy.engine.single.EventStudy` machinery, models ``market``, ``constant_mean`` and
``market_adjusted``); only the measure differs. The logarithm makes the skewed volume
distribution close to normal, and the 1 keeps days without trades finite (Ajinkya & Jain 1989;
Campbell & Wasley 1996). Volume is Yahoo's daily share volume.

An abnormal log volume of 0.5 means a volume :math:`e^{0.5} \approx 1.65` times what the model
expected.

References
----------
- Campbell, C. J. & Wasley, C. E. (1996). Measuring abnormal daily trading volume for samples of
  NYSE/ASE and NASDAQ securities using parametric and nonparametric test statistics. *Review of
  Quantitative Finance and Accounting* 6(3), 309-326.
- Ajinkya, B. B. & Jain, P. C. (1989). The behavior of daily stock market trading volume.
  *Journal of Accounting and Economics* 11(4), 331-359.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, ParameterError

#: What an event study can measure.
MEASURES = ("return", "volume")
#: Models that make sense for log volume (no factor files, no GARCH).
VOLUME_MODELS = ("market", "constant_mean", "market_adjusted")


def check_measure(measure: str) -> str:
    """Validate ``measure`` (``"return"`` or ``"volume"``)."""
    if measure not in MEASURES:
        raise ParameterError("measure", measure, f"choose one of {', '.join(MEASURES)}")
    return measure


def log_volume(prices: pd.DataFrame, *, calendar: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    r"""The volume panel: :math:`\ln(1 + \text{Volume})`, dates x securities.

    Parameters
    ----------
    prices
        Tidy frame as returned by :func:`eventstudy.data.snapshot.load_prices` (``ticker``, ``date``,
        ``volume``).
    calendar
        Trading days to put the panel on (default: every date present); days a security has no
        row are ``NaN``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``, one column per ticker; run
        :func:`eventstudy.engine.batch.batch_event_study` on it like on a returns panel.

    Raises
    ------
    DataError
        When a security has no volume: no positive value in ``prices`` (an index quoted
        without volume, zero or missing throughout). The error names the securities.
    """
    if "volume" not in prices.columns:
        raise ParameterError("prices", list(prices.columns), "give prices with a volume column")
    wide = prices.pivot(index="date", columns="ticker", values="volume").astype(float)
    wide.columns.name = None
    traded = (wide > 0).any(axis=0)
    if not traded.all():
        missing = ", ".join(repr(str(t)) for t in traded.index[~traded.to_numpy()])
        raise DataError(
            f"ticker: {missing} has no trading volume in the prices (zero or missing on every "
            "day), so no volume event study can be run on it; choose a security or market "
            "series with volume (e.g. SPY rather than an index)"
        )
    if calendar is not None:
        wide = wide.reindex(pd.DatetimeIndex(calendar, name="date"))
    negative = (wide < 0).any(axis=0)
    if negative.any():
        raise DataError(
            f"ticker: {', '.join(repr(str(t)) for t in negative.index[negative.to_numpy()])} "
            "has negative volume in the prices"
        )
    return np.log1p(wide)
