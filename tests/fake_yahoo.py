"""A stand-in for Yahoo Finance behind yfinance, for tests that must not touch the network.

Only the network answer is replaced: ``yfinance.base.TickerBase.history`` (what
``yf.download`` calls once per ticker) and ``get_history_metadata``. Everything else is
yfinance's own code, run for real: the batching, the ``(Price, Ticker)`` MultiIndex columns
(also for one ticker), the timezone-naive ``Date`` index, the reindexing of a batch to the union
of dates, the empty frame and the logged error when a ticker fails, the exclusive ``end``.

The per-ticker answer mimics yfinance 1.7's ``PriceHistory.history`` for daily bars: an index of
midnights in the exchange's time zone named ``Date`` (America/New_York for US symbols,
Europe/London for ``.L``, Asia/Tokyo for ``.T``...: the time zone of the frame in
:attr:`FakeYahoo.histories`, in which ``start`` and ``end`` are read, as Yahoo does); columns ``Open, High, Low, Close, Adj Close,
Volume`` with ``auto_adjust=False`` or ``Open, High, Low, Close, Volume`` (adjusted) with
``auto_adjust=True``, plus ``Dividends, Stock Splits`` with ``actions=True``; and, since
``download`` turns yfinance's ``hide_exceptions`` off, the exceptions yfinance raises:
``YFTzMissingError`` for an unknown symbol, ``YFPricesMissingError`` for a range without bars
(with Yahoo's "Data doesn't exist" reason), ``YFRateLimitError``, curl_cffi's ``DNSError``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

DNS_MESSAGE = (
    "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)


def snapshot_history(data_dir: Path, ticker: str) -> pd.DataFrame:
    """A snapshot file in the shape of Yahoo's answer (tz-aware Date index, Yahoo columns)."""
    frame = pd.read_csv(data_dir / "prices" / (ticker.lstrip("^") + ".csv"), parse_dates=["Date"])
    frame = frame.set_index("Date")
    frame.index = frame.index.tz_localize("America/New_York")
    return frame


def yahoo_history(rows: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Tidy price rows of one symbol (``date``, ``open`` .. ``volume``, e.g. from
    :func:`eventstudy.data.synthetic.synthetic_prices`) in the shape of Yahoo's answer: midnights
    of the exchange's time zone ``zone`` (``"Asia/Tokyo"`` for a ``.T`` symbol), Yahoo's columns."""
    names = {"open": "Open", "high": "High", "low": "Low", "close": "Close",
             "adj_close": "Adj Close", "volume": "Volume"}
    frame = rows.set_index("date")[list(names)].rename(columns=names)
    frame.index = pd.DatetimeIndex(frame.index).tz_localize(zone)
    frame.index.name = "Date"
    return frame


class FakeYahoo:
    """Install with :meth:`install`; fill :attr:`histories`; read :attr:`requests` afterwards.

    Attributes
    ----------
    histories
        ``{symbol: frame}`` of everything "Yahoo" knows (Yahoo columns, tz-aware index).
    first_trade
        ``{symbol: date}`` returned as ``firstTradeDate`` by the metadata call.
    failures
        ``{symbol: [exception, ...]}``: raised in order by the next requests of that symbol
        (a symbol whose list is empty answers normally again).
    splits
        ``{symbol: {date: ratio}}``: split actions reported in the ``Stock Splits`` column
        (``1.5`` for 3:2) with ``actions=True``; 0.0 on other days, as Yahoo answers.
    down
        When true, every request fails as with no network (curl error 6).
    requests
        ``(symbol, start, end)`` of every per-ticker request, ``end`` exclusive as yfinance sends it.
    downloads
        The keyword arguments of every ``yf.download`` call.
    """

    def __init__(self) -> None:
        self.histories: dict[str, pd.DataFrame] = {}
        self.first_trade: dict[str, str] = {}
        self.failures: dict[str, list[BaseException]] = {}
        self.splits: dict[str, dict[str, float]] = {}
        self.down = False
        self.requests: list[tuple[str, str, str]] = []
        self.downloads: list[dict] = []
        self.metadata_requests: list[str] = []
        self._lock = threading.Lock()

    def install(self, monkeypatch, tmp_path: Path) -> FakeYahoo:
        import yfinance as yf
        from yfinance.base import TickerBase

        yf.set_tz_cache_location(str(tmp_path / "yfinance-tz"))
        fake = self

        def history(ticker_self, *args, **kwargs):
            return fake._history(ticker_self.ticker, **kwargs)

        def get_history_metadata(ticker_self, *args, **kwargs):
            return fake._metadata(ticker_self.ticker)

        real_download = yf.download

        def download(*args, **kwargs):
            fake.downloads.append({"tickers": args[0] if args else kwargs.get("tickers"), **kwargs})
            return real_download(*args, **kwargs)

        monkeypatch.setattr(TickerBase, "history", history)
        monkeypatch.setattr(TickerBase, "get_history_metadata", get_history_metadata)
        monkeypatch.setattr(yf, "download", download)
        return self

    # What Yahoo answers ------------------------------------------------------------------------

    def _history(self, symbol: str, *, start=None, end=None, auto_adjust=True, actions=True,
                 interval="1d", **_ignored) -> pd.DataFrame:
        from curl_cffi.requests.exceptions import DNSError
        from yfinance.exceptions import YFPricesMissingError, YFTzMissingError

        assert interval == "1d"
        with self._lock:
            self.requests.append((symbol, str(start), str(end)))
            queue = self.failures.get(symbol)
            failure = queue.pop(0) if queue else None
        if self.down:
            raise DNSError(DNS_MESSAGE)
        if failure is not None:
            raise failure
        if symbol not in self.histories:
            raise YFTzMissingError(symbol)
        full = self.histories[symbol]
        zone = full.index.tz or "America/New_York"  # the exchange's time zone
        lo = pd.Timestamp(start, tz=zone)
        hi = pd.Timestamp(end, tz=zone)  # exclusive, as Yahoo's period2
        rows = full[(full.index >= lo) & (full.index < hi)].copy()
        if rows.empty:
            debug = f" (1d {start} -> {end})"
            reason = (
                f"Data doesn't exist for startDate = {int(lo.timestamp())}, "
                f"endDate = {int(hi.timestamp())}"
            )
            raise YFPricesMissingError(symbol, debug, yahoo_reason=reason)
        if auto_adjust:
            ratio = rows["Adj Close"] / rows["Close"]
            for column in ("Open", "High", "Low", "Close"):
                rows[column] = rows[column] * ratio
            rows = rows.drop(columns="Adj Close")
        if actions:
            rows["Dividends"] = 0.0
            rows["Stock Splits"] = 0.0
            for day, ratio in self.splits.get(symbol, {}).items():
                stamp = pd.Timestamp(day, tz=zone)
                if stamp in rows.index:
                    rows.loc[stamp, "Stock Splits"] = ratio
        rows.index.name = "Date"
        return rows

    def _metadata(self, symbol: str) -> dict:
        with self._lock:
            self.metadata_requests.append(symbol)
        if self.down:
            from curl_cffi.requests.exceptions import DNSError

            raise DNSError(DNS_MESSAGE)
        if symbol not in self.histories:
            return {}
        zone = str(self.histories[symbol].index.tz or "America/New_York")
        first = self.first_trade.get(symbol) or self.histories[symbol].index[0]
        return {
            "exchangeTimezoneName": zone,
            "firstTradeDate": pd.Timestamp(first).tz_localize(None).tz_localize(zone)
            if pd.Timestamp(first).tzinfo is None else pd.Timestamp(first),
        }

    def symbols_requested(self) -> list[str]:
        return [r[0] for r in self.requests]
