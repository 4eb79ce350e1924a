"""The accounting of every row of an events table: its status and reason, and the counts."""

from __future__ import annotations


import numpy as np
import pandas as pd



#: The statuses of the accounting, in the order they are counted.
STATUSES = ("studied", "studied_day0_moved", "duplicate", "skipped")


def accounting_frame(
    table: pd.DataFrame, status: np.ndarray, reason: np.ndarray, day0: np.ndarray,
    duplicate_of: np.ndarray, estimation_days_lost: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per input row: ticker, event_date, status, day0, reason, duplicate_of and (with
    ``exclude_events``) the estimation days lost to other events' windows."""
    frame = pd.DataFrame({
        "ticker": table["ticker"].to_numpy(),
        "event_date": table["event_date"].to_numpy(),
        "status": pd.Categorical(status, categories=STATUSES),
        "day0": pd.DatetimeIndex(day0),
        "reason": reason,
        "duplicate_of": pd.array(np.where(duplicate_of >= 0, duplicate_of, -1)).astype("Int64"),
    }, index=pd.RangeIndex(len(table), name="row"))
    frame.loc[frame["duplicate_of"] < 0, "duplicate_of"] = pd.NA
    if estimation_days_lost is not None:
        frame["estimation_days_lost"] = pd.array(estimation_days_lost).astype("Int64")
        frame.loc[frame["estimation_days_lost"] < 0, "estimation_days_lost"] = pd.NA
    return frame


def accounting_counts(accounting: pd.DataFrame) -> dict[str, int]:
    """``rows`` and the number of rows of each status (they add up to ``rows``)."""
    counts = accounting["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    return {"rows": len(accounting), **{k: int(v) for k, v in counts.items()}}
