r"""Synthetic daily prices on real exchange calendars: a panel to learn and test with offline.

The snapshot holds US prices only, and Yahoo is not always reachable. :func:`synthetic_prices`
draws prices for securities and indices of any exchanges on the exchanges' real sessions (from
exchange_calendars: holidays, typhoon closures, Golden Week), so that a study across markets can
be run, and checked, without the network. The numbers are made up; the calendars are not.

The model, per calendar day :math:`d` and security :math:`i` listed on exchange :math:`e(i)`:

.. math::

    w_d \sim N(0, \sigma_w^2) \quad\text{(world news, every calendar day)}

    R_{m,t} = \mu_m + \sum_{d \in (t-1, t]} w_d + u_{m,t}, \qquad u_{m,t} \sim N(0, \sigma_m^2)

    R_{i,t} = \alpha_i + \beta_i R_{m(i),t} + \varepsilon_{i,t} + A_{i,t}, \qquad
    \varepsilon_{i,t} \sim N(0, \sigma_i^2)

for the sessions :math:`t` of the exchange (the world news since the previous session reach
an index at its next session); :math:`R_{m(i),t}` is the return of the security's market index
over the same interval (compounded over the index's sessions since the security's previous
one, so a security and an index of different exchanges stay synchronous in this model, unlike
real closes), and :math:`A_{i,t}` the abnormal returns asked for (``abnormal``). Prices start at
100 and compound the returns; ``close`` is ``adj_close`` times 1.01 (an unadjusted price a
little above the adjusted one), ``open``, ``high`` and ``low`` bracket it, and ``volume`` is
drawn around a million shares (twice as large on a day with an abnormal return).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from eventstudy.calendar import exchange_calendar
from eventstudy.calendar.exchanges import check_exchange
from eventstudy.exceptions import ParameterError

#: Daily standard deviations of the world news, the indices' own news and the securities'
#: residuals; the indices' mean return; the securities' alpha and beta.
WORLD_SD, INDEX_SD, RESIDUAL_SD = 0.006, 0.008, 0.015
INDEX_MEAN, ALPHA, BETA = 0.0003, 0.0001, 1.0


def _sessions(exchange: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex(exchange_calendar(exchange).sessions)
    return days[(days >= start) & (days <= end)]


def synthetic_prices(
    indices: Mapping[str, str],
    securities: Mapping[str, tuple[str, str]],
    start: str,
    end: str,
    *,
    beta: Mapping[str, float] | None = None,
    abnormal: Mapping[tuple[str, str], float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Prices of ``indices`` and ``securities`` on their exchanges' sessions (module docstring).

    Parameters
    ----------
    indices
        ``{symbol: exchange}``: the market indices, e.g. ``{"^FTSE": "XLON"}``.
    securities
        ``{symbol: (exchange, index)}``: each security's exchange and market index (one of
        ``indices``), e.g. ``{"HSBA.L": ("XLON", "^FTSE")}``.
    start, end
        First and last calendar date, ``YYYY-MM-DD``; each series holds its exchange's sessions
        in between.
    beta
        ``{symbol: beta}`` of the securities (default 1.0 each).
    abnormal
        ``{(symbol, YYYY-MM-DD): return}`` added to a security's return on that session.
    seed
        Seed of ``numpy.random.default_rng``: the same arguments give the same prices.

    Returns
    -------
    pandas.DataFrame
        The tidy frame of :func:`eventstudy.data.snapshot.load_prices`: ``ticker``, ``date``,
        ``open``, ``high``, ``low``, ``close``, ``adj_close``, ``volume``, sorted by ticker and
        date.

    Raises
    ------
    ParameterError
        An unknown exchange, a security whose index is not in ``indices``, an abnormal return
        on a day that is not a session of the security's exchange.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if hi <= lo:
        raise ParameterError("end", end, f"give an end after start ({start})")
    rng = np.random.default_rng(seed)
    calendar = pd.date_range(lo, hi, freq="D")
    world = pd.Series(rng.normal(0.0, WORLD_SD, len(calendar)), index=calendar)
    cumulative_world = world.cumsum()
    index_returns: dict[str, pd.Series] = {}
    frames = []
    for symbol, exchange in indices.items():
        days = _sessions(check_exchange(exchange, f"indices[{symbol!r}]"), lo, hi)
        news = cumulative_world.reindex(days).diff().fillna(world.reindex(days).fillna(0.0))
        returns = INDEX_MEAN + news + rng.normal(0.0, INDEX_SD, len(days))
        index_returns[symbol] = pd.Series(returns.to_numpy(), index=days)
        frames.append(_frame(symbol, index_returns[symbol], rng, set()))
    extra = dict(abnormal or {})
    for symbol, (exchange, index) in securities.items():
        if index not in index_returns:
            raise ParameterError(f"securities[{symbol!r}]", index, f"name one of the indices: "
                                 f"{', '.join(index_returns)}")
        days = _sessions(check_exchange(exchange, f"securities[{symbol!r}]"), lo, hi)
        growth = (1.0 + index_returns[index]).cumprod()  # the index over the security's intervals
        level = growth.reindex(growth.index.union(days)).ffill().fillna(1.0).reindex(days)
        market = level / level.shift(1).fillna(1.0) - 1.0
        b = (beta or {}).get(symbol, BETA)
        returns = ALPHA + b * market + rng.normal(0.0, RESIDUAL_SD, len(days))
        shocked: set[pd.Timestamp] = set()
        for (name, day), value in extra.items():
            if name != symbol:
                continue
            when = pd.Timestamp(day)
            if when not in days:
                raise ParameterError("abnormal", (name, day),
                                     f"give a session of {exchange} between {start} and {end}")
            returns[when] += value
            shocked.add(when)
        frames.append(_frame(symbol, returns, rng, shocked))
    return pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)


def _frame(symbol: str, returns: pd.Series, rng: np.random.Generator,
           shocked: set[pd.Timestamp]) -> pd.DataFrame:
    """The tidy price rows of one series of returns (the first session's return is dropped:
    its price is the base 100)."""
    adj = 100.0 * np.cumprod(1.0 + returns.to_numpy())
    close = adj * 1.01
    opening = close * (1.0 + rng.normal(0.0, 0.002, len(adj)))
    spread = np.abs(rng.normal(0.0, 0.004, len(adj)))
    volume = rng.integers(800_000, 1_200_000, len(adj)) * np.where(returns.index.isin(shocked), 2, 1)
    return pd.DataFrame({
        "ticker": symbol, "date": pd.DatetimeIndex(returns.index).astype("datetime64[ns]"),
        "open": opening, "high": np.maximum(opening, close) * (1.0 + spread),
        "low": np.minimum(opening, close) * (1.0 - spread), "close": close, "adj_close": adj,
        "volume": volume.astype("int64"),
    })
