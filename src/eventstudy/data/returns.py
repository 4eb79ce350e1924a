"""Daily returns from a tidy price frame."""

from __future__ import annotations

import pandas as pd

from eventstudy.exceptions import ParameterError


def simple_returns(
    prices: pd.DataFrame,
    *,
    column: str = "adj_close",
    calendar: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    r"""Simple returns between consecutive trading days, one column per ticker.

    .. math:: R_t = P_t / P_{t-1} - 1

    where :math:`t-1` is the previous trading day of ``calendar``. A ticker with no price on
    a trading day gets a missing return that day and the next (no multi-day return is formed
    silently), so gaps stay visible.

    Parameters
    ----------
    prices
        Tidy frame as returned by :func:`eventstudy.data.snapshot.load_prices`.
    column
        Price column to use; ``adj_close`` (split- and dividend-adjusted) gives total returns.
    calendar
        Trading days on which to form returns; default: every date present in ``prices``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date`` (the first trading day, which has no return, is dropped), one
        column per ticker.
    """
    if column not in prices.columns:
        raise ParameterError("column", column, f"choose a column of prices: {list(prices.columns)}")
    wide = prices.pivot(index="date", columns="ticker", values=column)
    wide.columns.name = None
    if calendar is not None:
        wide = wide.reindex(pd.DatetimeIndex(calendar, name="date"))
    returns = wide.pct_change(fill_method=None)
    return returns.iloc[1:]
