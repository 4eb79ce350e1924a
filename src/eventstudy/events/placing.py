"""Placing each event's day 0 on the trading days of the data (one vectorised search for plain
dates, :func:`eventstudy.calendar.resolve_event` once per distinct timestamp), and finding
duplicates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.calendar import resolve_event
from eventstudy.exceptions import EventStudyError, ParameterError


@dataclass(frozen=True)
class PlacedEvents:
    """Day 0 of every event on the trading days.

    Attributes
    ----------
    position
        ``(N,)`` row of day 0 in ``trading_days`` (-1 where the event could not be placed).
    moved
        ``(N,)`` why day 0 is not the event date (empty where it is, or where not placed).
    failed
        ``(N,)`` why the event could not be placed (empty where it was).
    """

    position: np.ndarray
    moved: np.ndarray
    failed: np.ndarray

    @property
    def placed(self) -> np.ndarray:
        return self.position >= 0


def _range_text(days: pd.DatetimeIndex) -> str:
    return f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}"


def place_events(
    event_dates: pd.Series | np.ndarray, trading_days: pd.DatetimeIndex, *, non_session: str = "next",
    exchange: str | None = None,
) -> PlacedEvents:
    """Place day 0 of every event on ``trading_days``.

    Parameters
    ----------
    event_dates
        Dates (``YYYY-MM-DD`` text, or datetime64) or timestamps with a time zone.
    trading_days
        The data's trading days, increasing.
    non_session
        Day 0 for a date that is not a trading day: ``"next"``, ``"previous"`` or ``"raise"``
        (the event is then skipped with the reason).
    exchange
        Exchange calendar for the close of timestamps (see
        :func:`eventstudy.calendar.resolve_event`); ``None``: 16:00 New York.

    Notes
    -----
    A date before the first or after the last trading day is never placed (the reason says
    the range of the data): no event is studied on other dates than its own. Each distinct
    value is resolved once, so the cost grows with the number of distinct dates, not events.
    """
    if non_session not in ("next", "previous", "raise"):
        raise ParameterError("non_session", non_session, "choose 'next', 'previous' or 'raise'")
    days = pd.DatetimeIndex(trading_days)
    values = np.asarray(event_dates)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    n_unique = len(uniques)
    unique_pos = np.full(n_unique, -1, dtype=np.int64)
    unique_moved = np.full(n_unique, "", dtype=object)
    unique_failed = np.full(n_unique, "", dtype=object)
    # plain dates, vectorised: YYYY-MM-DD text or midnight datetime64
    if uniques.dtype.kind == "M":
        stamps = pd.DatetimeIndex(uniques)
        plain = np.asarray(~stamps.isna() & (stamps == stamps.normalize()))
    else:
        text = pd.Series(uniques, dtype=object).astype(str)
        plain = text.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}").to_numpy()  # 2018-8-6 too
        stamps = pd.to_datetime(text.where(plain), format="%Y-%m-%d", errors="coerce")
        plain = plain & ~stamps.isna().to_numpy()
        stamps = pd.DatetimeIndex(stamps)
    day_values = days.values
    if plain.any() and len(days):
        wanted = stamps[plain].values.astype(day_values.dtype)
        pos = day_values.searchsorted(wanted, side="left")
        inside = (wanted >= day_values[0]) & (wanted <= day_values[-1])
        exact = np.zeros(len(pos), dtype=bool)
        exact[inside] = day_values[np.minimum(pos[inside], len(days) - 1)] == wanted[inside]
        result = np.where(exact, pos, -1)
        moved = inside & ~exact
        if non_session == "next":
            result = np.where(moved, pos, result)
        elif non_session == "previous":
            result = np.where(moved, pos - 1, result)
        idx = np.flatnonzero(plain)
        unique_pos[idx] = result
        for j, p, w, m, ins in zip(idx, result, wanted, moved, inside):
            when = pd.Timestamp(w)
            if not ins:
                unique_failed[j] = (f"event_date: {when:%Y-%m-%d} is outside the data's trading "
                                    f"days {_range_text(days)}")
            elif m and non_session == "raise":
                unique_failed[j] = (f"event_date: {when:%Y-%m-%d} is not a trading day of the "
                                    "data (--non-session raise)")
            elif m:
                unique_moved[j] = (f"{when:%Y-%m-%d} is not a trading day: day 0 moved to the "
                                   f"{non_session} trading day, {days[p]:%Y-%m-%d}")
    elif plain.any():
        unique_failed[plain] = "event_date: the data have no trading days"
    # everything else (timestamps, malformed text): the single path's rules, once per value
    for j in np.flatnonzero(~plain):
        value = uniques[j]
        try:
            day = resolve_event(value, non_session=non_session, exchange=exchange, trading_days=days)
        except EventStudyError as error:
            unique_failed[j] = str(error)
            continue
        if not days[0] <= day.day0 <= days[-1] or day.day0 not in days:
            unique_failed[j] = (f"event_date: {value} is outside the data's trading days "
                                f"{_range_text(days)}")
            continue
        unique_pos[j] = int(days.get_loc(day.day0))
        unique_moved[j] = day.reason or ""
    return PlacedEvents(unique_pos[codes], unique_moved[codes], unique_failed[codes])


def find_duplicates(keys: pd.DataFrame, placed: np.ndarray) -> np.ndarray:
    """Row of the first event with the same key for every later repeat, -1 elsewhere.

    ``keys`` holds one row per event (e.g. security, day-0 position, market); only the rows
    where ``placed`` is true take part (missing values are one key). Vectorised (hash
    factorisations of the columns, then of the combined codes; no sort), linear in the events.
    """
    first = np.full(len(keys), -1, dtype=np.int64)
    rows = np.flatnonzero(placed)
    if len(rows) == 0:
        return first
    group = np.zeros(len(rows), dtype=np.int64)  # one code per distinct key
    for name in keys.columns:
        codes, values = pd.factorize(keys[name].to_numpy()[rows])  # missing: -1
        group, _ = pd.factorize(group * (len(values) + 1) + codes + 1)
    owner_of_group = np.empty(int(group.max()) + 1, dtype=np.int64)
    owner_of_group[group[::-1]] = rows[::-1]  # the last write is the first row of the key
    owner = owner_of_group[group]
    repeat = owner != rows
    first[rows[repeat]] = owner[repeat]
    return first
