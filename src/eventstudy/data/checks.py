"""The checks every price series passes before it is used or cached, wherever it comes from
(the snapshot, the cache, Yahoo): errors for prices that cannot be right (duplicated dates,
missing, text, infinite or non-positive prices), and :class:`~eventstudy.exceptions.DataQualityWarning`
for what may be wrong (gaps on exchange sessions, huge returns, unapplied splits)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from eventstudy.calendar import sessions
from eventstudy.exceptions import DataError, DataQualityWarning, safe_text


#: Daily ``Adj Close`` moves with ``|log(1 + r)|`` above this (about +65% or -39%) are reported.
RETURN_BOUND = 0.5


def _dates_text(dates: pd.Series | pd.DatetimeIndex, limit: int = 5) -> str:
    dates = list(dates)
    text = ", ".join(pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates[:limit])
    return text + (f" and {len(dates) - limit} more" if len(dates) > limit else "")


def price_errors(frame: pd.DataFrame, ticker: str, *, source: str = "the snapshot") -> None:
    """Raise :class:`DataError` when one ticker's rows cannot be used as prices.

    The rows need distinct dates, and on every row positive finite numbers in ``open`` ..
    ``adj_close`` (text, missing values, zero, negative and infinite prices are refused) and a
    volume that is missing or a finite number >= 0. The message names the ticker, the source
    and the first dates concerned.
    """
    name = safe_text(ticker)
    duplicated = frame["date"][frame["date"].duplicated()]
    if len(duplicated):
        raise DataError(f"ticker {name}: duplicated dates in {source}: {_dates_text(duplicated)}")
    columns = ["open", "high", "low", "close", "adj_close"]
    for column in [*columns, "volume"]:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            values = frame[column]
            text = values[~values.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                                      and not isinstance(v, bool))]
            raise DataError(
                f"ticker {name}: {column} values in {source} that are not numbers (e.g. "
                f"{safe_text(text.iloc[0], 20) if len(text) else safe_text(values.iloc[0], 20)}) on "
                f"{_dates_text(frame['date'][text.index] if len(text) else frame['date'])}"
            )
    numbers = frame[columns].to_numpy(dtype=float)
    for kind, rows in (("missing", np.isnan(numbers).any(axis=1)),
                       ("infinite", np.isinf(numbers).any(axis=1)),
                       ("zero or negative", (numbers <= 0).any(axis=1))):
        if rows.any():
            raise DataError(
                f"ticker {name}: {kind} prices in {source} on {_dates_text(frame['date'][rows])}"
            )
    volume = frame["volume"].astype(float)
    odd = np.isinf(volume) | (volume < 0)
    if odd.any():
        raise DataError(
            f"ticker {name}: volumes in {source} that are not finite numbers >= 0 on "
            f"{_dates_text(frame['date'][odd])}"
        )


#: Split ratios looked for in the prices alone (new shares per old share; their inverses are
#: reverse splits). 5:4 and 4:3 are left out: a one-day move of 20-25% on heavy volume is common
#: on earnings days (FB on 2018-07-26 and TWTR on 2016-10-06 in the snapshot match 5:4 to 1%),
#: so those splits are reported only when the source says so (:func:`check_splits`).
SPLIT_RATIOS = (3 / 2, 2.0, 5 / 2, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 15.0, 20.0)


#: How close (in log) a day's price ratio must be to a split ratio to be reported.
SPLIT_TOLERANCE = 0.02


def _ratio_text(ratio: float) -> str:
    from fractions import Fraction

    fraction = Fraction(ratio).limit_denominator(20)
    return f"{fraction.numerator}:{fraction.denominator}"


def split_suspects(frame: pd.DataFrame) -> list[tuple[pd.Timestamp, float]]:
    """Days on which the prices look like an unapplied split: ``[(date, ratio), ...]``.

    A day is reported when its ``Open``, ``Close`` and ``Adj Close`` all stand below (or above)
    the previous ``Close`` and ``Adj Close`` by a factor within :data:`SPLIT_TOLERANCE` (in log)
    of one ratio of :data:`SPLIT_RATIOS` (or its inverse, a reverse split), and the volume moves
    the other way by at least half that factor in log: the signature of prices not adjusted for
    a split (a 2-for-1 split halves the price from the open on and about doubles the number of
    shares traded).
    """
    ordered = frame.sort_values("date")
    if len(ordered) < 2:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        close = np.log(ordered["close"].to_numpy(dtype=float))
        opening = np.log(ordered["open"].to_numpy(dtype=float))
        adjusted = np.log(ordered["adj_close"].to_numpy(dtype=float))
        volume_move = np.diff(np.log(ordered["volume"].to_numpy(dtype=float)))
    # log(old / new) of the close, the adjusted close and the opening gap
    moves = (close[:-1] - close[1:], adjusted[:-1] - adjusted[1:], close[:-1] - opening[1:])
    logs = np.log(np.array(SPLIT_RATIOS))
    logs = np.concatenate([logs, -logs])
    near = np.ones((len(volume_move), len(logs)), dtype=bool)
    for move in moves:
        near &= np.abs(move[:, None] - logs[None, :]) < SPLIT_TOLERANCE
    inverse = np.sign(volume_move[:, None]) == np.sign(logs[None, :])
    inverse &= np.abs(volume_move[:, None]) >= 0.5 * np.abs(logs[None, :])
    hits = near & inverse
    out = []
    for i in np.flatnonzero(hits.any(axis=1)):
        ratio = float(np.exp(logs[np.argmax(hits[i])]))
        out.append((pd.Timestamp(ordered["date"].iloc[i + 1]), ratio))
    return out


#: Common split ratios (new shares per old share) whose one-day price ratio, or its inverse (a
#: reverse split), is flagged in Yahoo's data when Yahoo reports no split that day.
COMMON_SPLITS = (2.0, 3 / 2, 4 / 3, 5 / 4)

#: How close (in log, about 1%) a day's Adj Close ratio must be to a common split ratio.
COMMON_SPLIT_TOLERANCE = 0.01


def split_ratio_days(frame: pd.DataFrame, reported: Iterable[str] = ()) -> list[tuple[pd.Timestamp, float]]:
    """Days whose ``Adj Close`` ratio to the previous day is within :data:`COMMON_SPLIT_TOLERANCE`
    (in log) of ``1 / r`` or ``r`` for a ratio ``r`` of :data:`COMMON_SPLITS` (a price of 1/2,
    2/3, 3/4 or 4/5 of the day before, or 2, 3/2, 4/3, 5/4 times it), the days of ``reported``
    splits (``YYYY-MM-DD``) left out: ``[(date, split ratio), ...]``, the ratio as new shares per
    old share (``1.5`` for 3:2, ``2/3`` for a 2:3 reverse split). Unlike :func:`split_suspects`
    the volume is not asked to move: a move of exactly -20% or -33.3% is rare enough, and an
    unapplied split costly enough, to be named."""
    ordered = frame.sort_values("date")
    if len(ordered) < 2:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        moves = np.diff(np.log(ordered["adj_close"].to_numpy(dtype=float)))  # log(new / old)
    logs = np.log(np.array(COMMON_SPLITS))
    logs = np.concatenate([-logs, logs])  # price falls by r: r-for-1 split; rises: reverse split
    distance = np.abs(moves[:, None] - logs[None, :])
    dates = pd.DatetimeIndex(ordered["date"]).strftime("%Y-%m-%d").to_numpy()[1:]
    skip = set(reported)
    out = []
    for i in np.flatnonzero(np.nanmin(distance, axis=1, initial=np.inf) < COMMON_SPLIT_TOLERANCE):
        if dates[i] not in skip:
            out.append((pd.Timestamp(dates[i]), float(np.exp(-logs[np.argmin(distance[i])]))))
    return out


def check_split_ratios(frame: pd.DataFrame, ticker: str, splits: dict[str, float] | None, *,
                       source: str = "Yahoo's answer") -> None:
    """Warn about the days of :func:`split_ratio_days` (Yahoo's data: the source reports splits,
    and a day it reports is checked by :func:`check_splits` instead)."""
    days = split_ratio_days(frame, (splits or {}).keys())
    if days:
        listed = ", ".join(f"{day:%Y-%m-%d} ({_ratio_text(ratio)})" for day, ratio in days[:5])
        warnings.warn(
            f"ticker {safe_text(ticker)}: Adj Close in {source} moves by a common split ratio (within "
            f"1%) on {listed}, a day the source reports no split: if a split the prices are not "
            "adjusted for, returns across it are wrong (check the source)",
            DataQualityWarning,
            stacklevel=3,
        )


def check_splits(frame: pd.DataFrame, ticker: str, splits: dict[str, float], *,
                 source: str = "Yahoo's answer") -> None:
    """Warn when the source reports a split whose day shows the unadjusted price jump.

    ``splits`` is ``{YYYY-MM-DD: ratio}`` as Yahoo reports them (``1.5`` for 3:2). A reported
    split on a day when ``Close`` and ``Adj Close`` move by that ratio (within
    :data:`SPLIT_TOLERANCE` in log) means the prices were not adjusted for it.
    """
    ordered = frame.sort_values("date").reset_index(drop=True)
    dates = pd.DatetimeIndex(ordered["date"])
    for day, ratio in sorted(splits.items()):
        position = dates.get_indexer([pd.Timestamp(day)])[0]
        if position <= 0 or not ratio > 0:
            continue
        before, after = ordered.iloc[position - 1], ordered.iloc[position]
        moves = [np.log(before[c] / after[c]) for c in ("close", "adj_close")]
        if all(abs(move - np.log(ratio)) < SPLIT_TOLERANCE for move in moves):
            warnings.warn(
                f"ticker {safe_text(ticker)}: the source reports a {_ratio_text(ratio)} split on "
                f"{day}, and Close and Adj Close in {source} fall by that ratio that day: the "
                "prices are not adjusted for the split; returns across it are wrong (refetch "
                "later with --refresh, or use another source)",
                DataQualityWarning,
                stacklevel=3,
            )


def check_prices(
    frame: pd.DataFrame,
    ticker: str,
    *,
    source: str = "the snapshot",
    exchange: str | None = "XNYS",
    return_bound: float = RETURN_BOUND,
) -> None:
    """The checks every price load goes through (one ticker, columns ``date`` and prices).

    Parameters
    ----------
    frame
        One ticker's rows: ``date`` and :data:`PRICE_COLUMNS`.
    ticker
        Name used in messages.
    source
        Where the rows came from, for messages (``"the snapshot"``, ``"the cache"``, ...).
    exchange
        exchange_calendars code whose sessions the dates are checked against; ``None`` skips
        the session checks.
    return_bound
        Bound on ``|log(1 + r)|`` of daily ``Adj Close`` returns beyond which a move is reported.

    Raises
    ------
    DataError
        See :func:`price_errors` (duplicated dates; text, missing, infinite or non-positive
        prices).

    Warns
    -----
    DataQualityWarning
        For sessions of the exchange without a row between the first and last date, rows on
        days the exchange was closed, ``Adj Close`` returns beyond the bound, and days that look
        like a split the prices miss (:func:`split_suspects`). Nothing is dropped.
    """
    price_errors(frame, ticker, source=source)
    if len(frame) == 0:
        return
    ordered = frame.sort_values("date")
    if exchange is not None:
        dates = pd.DatetimeIndex(ordered["date"])
        open_days = sessions(dates[0], dates[-1], exchange=exchange)
        gaps = open_days.difference(dates)
        if len(gaps):
            warnings.warn(
                f"ticker {safe_text(ticker)}: no row in {source} on {len(gaps)} day(s) the exchange "
                f"({exchange}) was open: {_dates_text(gaps)}",
                DataQualityWarning,
                stacklevel=3,
            )
        closed = dates.difference(open_days)
        closed = closed[closed >= open_days[0]] if len(open_days) else closed[:0]
        if len(closed):
            warnings.warn(
                f"ticker {safe_text(ticker)}: rows in {source} on {len(closed)} day(s) the exchange "
                f"({exchange}) was closed: {_dates_text(closed)}",
                DataQualityWarning,
                stacklevel=3,
            )
    log_returns = np.log(ordered["adj_close"].to_numpy(dtype=float))
    moves = np.diff(log_returns)
    extreme = np.flatnonzero(np.abs(moves) > return_bound)
    if len(extreme):
        listed = ", ".join(
            f"{ordered['date'].iloc[i + 1]:%Y-%m-%d} ({_move_text(moves[i])})" for i in extreme[:5]
        )
        warnings.warn(
            f"ticker {safe_text(ticker)}: {len(extreme)} daily Adj Close return(s) in {source} beyond the "
            f"sane bound (|log return| > {return_bound:g}), kept as they are: {listed}; check for "
            "an unadjusted split or a bad print",
            DataQualityWarning,
            stacklevel=3,
        )
    suspects = split_suspects(ordered)
    if suspects:
        listed = ", ".join(f"{day:%Y-%m-%d} ({_ratio_text(ratio)})" for day, ratio in suspects[:5])
        warnings.warn(
            f"ticker {safe_text(ticker)}: Close and Adj Close in {source} both jump by a split "
            f"ratio while the volume moves the other way on {listed}: this looks like a split "
            "the prices are not adjusted for; returns across it are wrong (check the source)",
            DataQualityWarning,
            stacklevel=3,
        )


def _move_text(log_move: float) -> str:
    """A day's move ``exp(log_move) - 1`` in percent, in scientific notation when huge (a price
    of 1e308 must not print 300 digits)."""
    if log_move > 700:  # exp overflows a double
        return f"+10^{log_move / np.log(10) + 2:.0f}%"
    move = float(np.expm1(log_move))
    return f"{move:+.1%}" if abs(move) < 1e4 else f"{move * 100:+.3g}%"
