"""yfinance's typed exceptions classify a failure by type, not by the words of its message."""

from __future__ import annotations

import pandas as pd
from yfinance.exceptions import YFRateLimitError

from eventstudy.data import yahoo
from eventstudy.exceptions import RateLimitError


class QuotaExceeded(YFRateLimitError):
    """A rate limit whose name and message share no word with the text patterns."""

    def __init__(self) -> None:
        Exception.__init__(self, "quota exhausted")


def test_a_raised_rate_limit_is_recognised_by_its_type(monkeypatch):
    import yfinance as yf

    calls, waits = [], []

    def download(*args, **kwargs):
        calls.append(args)
        raise QuotaExceeded()

    monkeypatch.setattr(yf, "download", download)
    assert not yahoo._RATE.search(f"{QuotaExceeded.__name__}({QuotaExceeded()})")  # text alone would miss it
    result = yahoo.download_prices(["META"], pd.Timestamp("2018-01-02"), pd.Timestamp("2018-01-31"),
                                   retries=2, backoff=1.0, sleep=waits.append)
    assert isinstance(result.errors["META"], RateLimitError)
    assert len(calls) == 3 and waits == [1.0, 2.0]
