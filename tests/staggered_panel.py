"""A small panel shaped like CRSP's daily file, for the tests of the batch engine and its reader.

Securities live staggered lifetimes (listed and delisted at random inside the panel), miss a few
returns at random and a burst of days here and there, and one is an index tracker (R^2 near 1);
the market is CRSP-like ``vwretd`` (a GARCH-ish series with fat tails). ``write`` puts it in a
file as CRSP ships it: ``permno, date, ret, vwretd`` with missing-return codes where returns are
missing (-99 in a Parquet file, ``C`` or ``B`` in a CSV), some rows left out, and a few rows on
a date that is not a trading day. The truth is the frame the file was written from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


@dataclass
class StaggeredPanel:
    returns: pd.DataFrame  # trading days x permno (text), NaN where missing
    market: pd.Series  # vwretd by trading day
    factors: pd.DataFrame  # French-like factors in decimals, by trading day

    @property
    def ids(self) -> list[str]:
        return list(self.returns.columns)

    def lifetimes(self) -> tuple[np.ndarray, np.ndarray]:
        has = np.isfinite(self.returns.to_numpy())
        first = has.argmax(axis=0)
        last = len(has) - 1 - has[::-1].argmax(axis=0)
        return first, last


def staggered_panel(n_sec: int = 40, n_days: int = 1400, seed: int = 19,
                    start: str = "2001-01-02") -> StaggeredPanel:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    vol = 0.01 * np.exp(np.cumsum(rng.normal(0, 0.05, n_days)) * 0.2)
    market = 3e-4 + vol * rng.standard_t(5, n_days) / np.sqrt(5 / 3)
    factors = pd.DataFrame({
        "Mkt-RF": market - 8e-5, "SMB": 0.005 * rng.standard_normal(n_days),
        "HML": 0.005 * rng.standard_normal(n_days), "Mom": 0.007 * rng.standard_normal(n_days),
        "RMW": 0.004 * rng.standard_normal(n_days), "CMA": 0.004 * rng.standard_normal(n_days),
        "RF": np.full(n_days, 8e-5)}, index=dates)
    beta = rng.uniform(0.3, 1.8, n_sec)
    idio = rng.uniform(0.006, 0.035, n_sec) * rng.standard_t(4, (n_days, n_sec)) / np.sqrt(2)
    r = 2e-4 + market[:, None] * beta + 0.4 * factors["SMB"].to_numpy()[:, None] + idio
    r[:, 0] = 1e-5 + market + 4e-5 * rng.standard_normal(n_days)  # an index tracker
    start = rng.integers(-n_days // 2, n_days - 300, n_sec)
    life = rng.integers(300, n_days, n_sec)
    day = np.arange(n_days)[:, None]
    r[(day < start) | (day >= start + life)] = np.nan
    r[rng.random(r.shape) < 0.004] = np.nan
    for s in rng.choice(n_sec, 6, replace=False):  # bursts of missing days
        a = int(rng.integers(0, n_days - 60))
        r[a : a + int(rng.integers(5, 60)), s] = np.nan
    ids = [str(10000 + 37 * i) for i in range(n_sec)]
    returns = pd.DataFrame(r, index=dates, columns=ids)
    return StaggeredPanel(returns, pd.Series(market, index=dates, name="vwretd"), factors)


def staggered_events(panel: StaggeredPanel, n: int, seed: int = 3) -> pd.DataFrame:
    """Events inside the securities' lives, some at their edges (too little history, too few
    days after), some overlapping on one security, a repeat, and an id the panel lacks."""
    rng = np.random.default_rng(seed)
    first, last = panel.lifetimes()
    n_days, n_sec = panel.returns.shape
    sec = rng.integers(0, n_sec, n)
    lo, hi = first[sec] + 200, last[sec] + 20
    day = np.clip(lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(int), 0, n_days - 1)
    k = n // 8  # overlapping events of one security
    sec[-k:], day[-k:] = sec[:k], np.clip(day[:k] + rng.integers(-120, 120, k), 0, n_days - 1)
    ids = np.array(panel.ids, dtype=object)
    dates = panel.returns.index
    frame = pd.DataFrame({"permno": ids[sec], "event_date": dates[day].strftime("%Y-%m-%d")})
    extra = pd.DataFrame({"permno": [ids[sec[0]], "99999"],
                          "event_date": [frame["event_date"].iloc[0],
                                         dates[n_days // 2].strftime("%Y-%m-%d")]})
    return pd.concat([frame, extra], ignore_index=True)


def write(panel: StaggeredPanel, path: Path, seed: int = 5) -> Path:
    """The panel as a CRSP-like long file (Parquet or CSV by the suffix), rows in file order of
    permno then date; missing returns as codes or NULL, some rows missing, a few rows on a
    Saturday (not a trading day), ``vwretd`` beside ``ret``."""
    rng = np.random.default_rng(seed)
    long = panel.returns.stack(future_stack=True).rename("ret").reset_index()
    long.columns = ["date", "permno", "ret"]
    long = long.sort_values(["permno", "date"], kind="stable")
    alive = long.groupby("permno")["ret"].transform(
        lambda s: (s.notna().cumsum() > 0) & (s[::-1].notna().cumsum()[::-1] > 0))
    long = long[alive.to_numpy()].copy()  # rows only while listed (CRSP's lifetimes)
    long["vwretd"] = long["date"].map(panel.market)
    missing = long["ret"].isna().to_numpy()
    parquet = str(path).endswith(".parquet")
    text = long["ret"].map(repr).astype(object)
    codes = rng.choice(["C", "B", ""] if not parquet else ["-99", ""], missing.sum())
    text[missing] = codes
    long = long[~(missing & (text == "").to_numpy()) | (rng.random(len(long)) < 0.5)]
    text = text[long.index]
    saturday = long.iloc[::997].copy()  # rows on a Saturday: no market return that day
    saturday["date"] = saturday["date"] + pd.offsets.Week(weekday=5)
    saturday["vwretd"] = np.nan
    out = pd.concat([long.assign(ret=text), saturday.assign(ret="0.001")]).sort_values(
        ["permno", "date"], kind="stable")
    out["permno"] = out["permno"].astype(int)
    con = duckdb.connect()
    con.register("out", out[["permno", "date", "ret", "vwretd"]])
    if parquet:
        value = "CASE WHEN ret = '' THEN NULL ELSE CAST(ret AS DOUBLE) END"
        con.execute(f"COPY (SELECT permno, CAST(date AS DATE) AS date, {value} AS ret, vwretd "
                    f"FROM out) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 4096)")
    else:
        con.execute(f"COPY (SELECT permno, strftime(date, '%Y%m%d') AS date, ret, vwretd "
                    f"FROM out) TO '{path}' (HEADER)")
    con.close()
    return path
