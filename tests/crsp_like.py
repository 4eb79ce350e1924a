"""CRSP-shaped synthetic daily stock files, seeded: staggered lifetimes, missing days, CRSP codes.

The CRSP daily stock file (``permno, date, ret`` with ``vwretd`` beside ``ret``) is what many
researchers run event studies on. Its shape, not only its size, decides what an engine costs:
securities enter and leave (a median life of about seven years), a few thousand are alive on
any day, rows are missing on days a security did not trade, and ``ret`` holds CRSP's missing
codes. This module makes files of that shape, seeded, at any scale:

- sessions: the NYSE's (exchange_calendars ``XNYS``) between two dates;
- ``vwretd``: a GARCH(1,1) market with Student-t shocks (about 1% a day), six decimals;
- lifetimes: securities alive on the first session (their remaining lives drawn from the
  equilibrium of the lifetime law) and entries whose rate is solved from a target curve of the
  number alive (the renewal equation, :func:`lifetimes`); lives are lognormal;
- ``ret = a + b * vwretd + s * e`` with betas around 1, idiosyncratic sd around 2.5% and
  Student-t(4) shocks, six decimals, never below -0.99;
- missing days: runs of absent rows (halts, a few long ones) and isolated absent rows;
- CRSP codes: ``C`` on a security's first row (no previous price), ``-66`` on the first row
  after more than ten absent sessions, ``-99``, ``-77`` and ``B`` on scattered rows, ``-88``
  on the last row of some securities; the engine must treat them as missing values;
- optionally (tests) sessions whose ``vwretd`` is NULL: not trading days of the market.

``ret`` is text (as a CRSP export with letter codes is) or ``DOUBLE`` (numeric codes only,
letters become NULL). Files are Parquet sorted by permno and date, written chunk by chunk
through DuckDB so that memory stays flat whatever the number of rows. Nothing here is
committed data: the benchmark (``benchmarks/bench_crsp.py``) and the tests
(``tests/studies/test_crsp_panel.py``) write their files to temporary folders.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Code numbers of the rows' ``ret`` (0: a return) and their text in the file.
CODE_TEXT = {1: "C", 2: "B", 3: "-66", 4: "-77", 5: "-88", 6: "-99"}
LETTERS = {1, 2}


@dataclass(frozen=True)
class CrspShape:
    """The shape of a CRSP-like panel. Defaults: the CRSP daily stock file 1965-2024
    (32,000 PERMNOs, 3,200-8,300 alive a day, a median life of about 7 years, ~100M rows)."""

    first: str = "1965-01-01"
    last: str = "2024-12-31"
    n_permnos: int = 32_000
    #: target number of securities alive, (year, count) knots, linear between them
    alive: tuple[tuple[float, float], ...] = (
        (1965.0, 3300), (1972.95, 4200), (1972.96, 6800), (1983.0, 7800), (1997.5, 8000),
        (2002.0, 7600), (2009.0, 6000), (2025.0, 4800))
    median_years: float = 7.5
    sigma: float = 1.4
    #: absent runs per security-year, their mean length, share of long runs and their mean
    gap_rate: float = 0.08
    gap_mean: float = 3.0
    long_gap_share: float = 0.2
    long_gap_mean: float = 25.0
    isolated_missing: float = 3e-4
    #: probability per row of each scattered code, of ``C`` on the first row, ``-88`` on the last
    scattered: tuple[tuple[int, float], ...] = ((6, 2e-4), (2, 1e-4), (4, 5e-5))
    first_row_c: float = 0.95
    last_row_88: float = 0.3
    #: sessions whose ``vwretd`` is missing (not trading days of the market): tests only
    market_holes: int = 0

    def scaled(self, n_permnos: int) -> CrspShape:
        """The same shape with fewer (or more) securities: the alive curve scales with them."""
        ratio = n_permnos / self.n_permnos
        alive = tuple((year, count * ratio) for year, count in self.alive)
        return CrspShape(**{**self.__dict__, "n_permnos": n_permnos, "alive": alive})


def nyse_sessions(first: str, last: str) -> np.ndarray:
    """NYSE sessions (exchange_calendars ``XNYS``) from ``first`` to ``last``, datetime64[D]."""
    import exchange_calendars

    calendar = exchange_calendars.get_calendar("XNYS", start="1928-01-03")
    sessions = pd.DatetimeIndex(calendar.sessions)
    chosen = sessions[(sessions >= pd.Timestamp(first)) & (sessions <= pd.Timestamp(last))]
    return chosen.values.astype("datetime64[D]")


def market_returns(rng: np.random.Generator, n: int) -> np.ndarray:
    """GARCH(1,1) daily market returns with Student-t(5) shocks: mean 0.04%, long-run sd 1%."""
    omega, alpha, beta = 2e-6, 0.08, 0.90
    shocks = rng.standard_t(5, n) / math.sqrt(5 / 3)
    out = np.empty(n)
    var = omega / (1 - alpha - beta)
    for t in range(n):
        e = math.sqrt(var) * shocks[t]
        out[t] = 0.0004 + e
        var = omega + alpha * e * e + beta * var
    return np.round(out, 6)


def lifetimes(rng: np.random.Generator, shape: CrspShape, sessions: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """First and last session (positions) of every security, in no particular order.

    Lives are lognormal (median ``median_years``, log-sd ``sigma``; 252 sessions a year). The
    securities alive on the first session draw their remaining lives from the equilibrium law
    (survival :math:`\\int_x^\\infty S / \\int_0^\\infty S`); the entry rate :math:`b_t` solves
    the renewal equation :math:`A_t - A_{t-1} = b_t - D_t` for the target number alive
    :math:`A_t` (``alive``), :math:`D_t` the expected exits; the remaining securities enter on
    sessions drawn in proportion to :math:`b_t`.
    """
    from scipy.stats import lognorm

    n_sessions = len(sessions)
    years = pd.DatetimeIndex(sessions).year + (pd.DatetimeIndex(sessions).day_of_year - 1) / 365.25
    knots = np.array(shape.alive, dtype=float)
    target = np.interp(np.asarray(years), knots[:, 0], knots[:, 1])
    law = lognorm(s=shape.sigma, scale=shape.median_years * 252)
    survival = law.sf(np.arange(n_sessions + 1))
    exit_at = -np.diff(survival)
    residual = np.cumsum(survival[::-1])[::-1]
    residual /= residual[0]
    exits = target[0] * -np.diff(residual)[:n_sessions]
    entries = np.zeros(n_sessions)
    for t in range(1, n_sessions):
        entries[t] = max(0.0, target[t] - target[t - 1] + exits[t])
        exits[t + 1:] += entries[t] * exit_at[: n_sessions - t - 1]
    n_first = min(shape.n_permnos, int(round(target[0])))
    remaining = np.searchsorted(-residual, -rng.random(n_first))
    n_new = shape.n_permnos - n_first
    start = np.concatenate([np.zeros(n_first, dtype=np.int64),
                            rng.choice(n_sessions, size=n_new, p=entries / entries.sum())])
    life = np.concatenate([np.maximum(remaining, 1),
                           np.ceil(law.rvs(size=n_new, random_state=rng)).astype(np.int64)])
    end = np.clip(start + life - 1, start, n_sessions - 1)
    return start, end


@dataclass
class CrspPanel:
    """Everything a CRSP-like file is made from (small: one row per security or session)."""

    shape: CrspShape
    seed: int
    sessions: np.ndarray
    vwretd: np.ndarray  # NaN on the market's holes (NULL in the file)
    permno: np.ndarray  # sorted
    start: np.ndarray
    end: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    sd: np.ndarray
    chunk: int = 1000
    stats: dict[str, int] = field(default_factory=dict)


def make_panel(shape: CrspShape = CrspShape(), seed: int = 2024, chunk: int = 1000) -> CrspPanel:
    """Sessions, market, lifetimes and each security's parameters (not yet its rows)."""
    rng = np.random.default_rng([seed, 0])
    sessions = nyse_sessions(shape.first, shape.last)
    vwretd = market_returns(rng, len(sessions))
    if shape.market_holes:
        holes = rng.choice(np.arange(300, len(sessions) - 300), shape.market_holes, replace=False)
        vwretd[holes] = np.nan
    start, end = lifetimes(rng, shape, sessions)
    n = shape.n_permnos
    # PERMNOs are five-digit numbers, not in the order of entry
    permno = np.sort(rng.choice(np.arange(10000, 100000), n, replace=False)).astype(np.int32)
    order = rng.permutation(n)
    start, end = start[order], end[order]
    beta = np.clip(rng.normal(1.0, 0.45, n), -0.5, 3.0)
    alpha = rng.normal(0.0, 4e-4, n)
    sd = np.exp(rng.normal(math.log(0.022), 0.5, n))
    return CrspPanel(shape, seed, sessions, vwretd, permno, start, end, alpha, beta, sd, chunk)


def chunk_rows(panel: CrspPanel, index: int) -> pd.DataFrame:
    """Rows of the securities ``index * chunk ...`` (in permno order): permno, date, value,
    code (0: a return, else a key of :data:`CODE_TEXT`), vwretd."""
    shape = panel.shape
    rng = np.random.default_rng([panel.seed, 1 + index])
    lo, hi = index * panel.chunk, min((index + 1) * panel.chunk, len(panel.permno))
    start, end = panel.start[lo:hi], panel.end[lo:hi]
    life = end - start + 1
    n_rows = int(life.sum())
    sec = np.repeat(np.arange(hi - lo), life)
    first_row = np.concatenate([[0], np.cumsum(life)[:-1]])
    offset = np.arange(n_rows) - first_row[sec]
    day = start[sec] + offset
    # absent rows: runs (halts; some long) and isolated days, never the first or last row
    absent = np.zeros(n_rows + 1, dtype=np.int64)
    n_gaps = rng.poisson(shape.gap_rate * life / 252)
    gap_sec = np.repeat(np.arange(hi - lo), n_gaps)
    if len(gap_sec):
        long = rng.random(len(gap_sec)) < shape.long_gap_share
        length = np.where(long, rng.geometric(1 / shape.long_gap_mean, len(gap_sec)),
                          rng.geometric(1 / shape.gap_mean, len(gap_sec)))
        room = np.maximum(life[gap_sec] - 2, 0)
        at = 1 + np.floor(rng.random(len(gap_sec)) * room).astype(np.int64)
        stop = np.minimum(at + length, life[gap_sec] - 1)
        ok = stop > at
        np.add.at(absent, first_row[gap_sec[ok]] + at[ok], 1)
        np.add.at(absent, first_row[gap_sec[ok]] + stop[ok], -1)
    missing = np.cumsum(absent[:-1]) > 0
    missing |= rng.random(n_rows) < shape.isolated_missing
    missing[first_row] = False
    missing[first_row + life - 1] = False
    keep = ~missing
    sec, day = sec[keep], day[keep]
    n_kept = len(sec)
    first = np.ones(n_kept, dtype=bool)
    first[1:] = sec[1:] != sec[:-1]
    last = np.ones(n_kept, dtype=bool)
    last[:-1] = sec[1:] != sec[:-1]
    market = np.nan_to_num(panel.vwretd[day])
    g = lo + sec
    shocks = rng.standard_t(4, n_kept) / math.sqrt(2.0)
    value = np.round(np.maximum(panel.alpha[g] + panel.beta[g] * market + panel.sd[g] * shocks,
                                -0.99), 6)
    code = np.zeros(n_kept, dtype=np.int8)
    draw = rng.random(n_kept)
    edge = 0.0
    for c, p in shape.scattered:
        code[(draw >= edge) & (draw < edge + p)] = c
        edge += p
    skipped = np.zeros(n_kept, dtype=bool)
    skipped[1:] = (day[1:] - day[:-1] > 11) & ~first[1:]
    code[skipped] = 3
    code[first & (rng.random(n_kept) < shape.first_row_c)] = 1
    code[last & (rng.random(n_kept) < shape.last_row_88)] = 5
    return pd.DataFrame({
        "permno": panel.permno[g],
        "date": panel.sessions[day],
        "value": value,
        "code": code,
        "vwretd": panel.vwretd[day],
    })


def iter_chunks(panel: CrspPanel) -> Iterator[pd.DataFrame]:
    for index in range(math.ceil(len(panel.permno) / panel.chunk)):
        yield chunk_rows(panel, index)


def ret_sql(ret_type: str) -> str:
    """SQL of the file's ``ret`` from the rows' value and code."""
    if ret_type == "text":
        cases = " ".join(f"WHEN {c} THEN '{t}'" for c, t in CODE_TEXT.items())
        return f"CASE code WHEN 0 THEN printf('%.6f', value) {cases} END"
    if ret_type == "double":
        cases = " ".join(f"WHEN {c} THEN {t}.0" for c, t in CODE_TEXT.items() if c not in LETTERS)
        return f"CASE code WHEN 0 THEN value {cases} ELSE NULL END"
    raise ValueError(f"ret_type: {ret_type!r}; choose 'text' or 'double'")


def write_parquet(panel: CrspPanel, path: str | os.PathLike[str], *, ret_type: str = "text",
                  row_group_size: int = 122_880, threads: int | None = None) -> int:
    """Write the panel as Parquet sorted by permno and date; returns the number of rows.

    Chunks of securities (in permno order) go into a DuckDB table on disk, which keeps the
    order of insertion, and one COPY writes the file: memory stays at a chunk's rows."""
    import duckdb

    path = Path(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        con = duckdb.connect(str(Path(scratch) / "rows.duckdb"))
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TABLE rows (permno INTEGER, date DATE, value DOUBLE, code TINYINT, "
                    "vwretd DOUBLE)")
        n_rows = 0
        counts = np.zeros(len(CODE_TEXT) + 1, dtype=np.int64)
        for frame in iter_chunks(panel):
            con.register("chunk", frame)
            con.execute("INSERT INTO rows SELECT permno, CAST(date AS DATE), value, code, vwretd "
                        "FROM chunk")
            con.unregister("chunk")
            n_rows += len(frame)
            counts += np.bincount(frame["code"].to_numpy(), minlength=len(counts))
        con.execute(
            f"COPY (SELECT permno, date, {ret_sql(ret_type)} AS ret, vwretd FROM rows) TO "
            f"'{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(row_group_size)})")
        con.close()
    panel.stats = {"rows": n_rows, **{CODE_TEXT[c]: int(counts[c]) for c in CODE_TEXT}}
    return n_rows


def events(panel: CrspPanel, n: int, *, seed: int = 7, before: int = 250, after: int = 10,
           anywhere: float = 0.03, edges: float = 0.02, weekend: float = 0.03) -> pd.DataFrame:
    """``n`` distinct events (permno, event_date) on the securities' lives.

    Most events fall where the windows ``before`` sessions back and ``after`` ahead fit in the
    security's life (a few still lack returns there: absent rows, codes, too few estimation
    returns); a share ``anywhere`` falls anywhere in the life (too little history); a share
    ``edges`` puts the windows' first day on the security's first row or the one after (the
    first row is often ``C``), or their last day on its last row or the one before (``-88``);
    a share ``weekend`` is given as the calendar day before day 0 when that day is not a
    session (a Sunday for a Monday), so day 0 is the next session. No two events share
    (permno, day 0).
    """
    rng = np.random.default_rng([seed, n])
    n_draw = int(n * 1.2) + 100
    # securities in proportion to their lives: events fall on the days of the panel's rows
    life = panel.end - panel.start + 1
    sec = rng.choice(len(panel.permno), n_draw, p=life / life.sum())
    lo = panel.start[sec] + before
    hi = panel.end[sec] - after
    free = rng.random(n_draw) < anywhere
    lo = np.where(free, panel.start[sec], lo)
    hi = np.where(free, panel.end[sec], hi)
    fits = hi >= lo
    sec, lo, hi = sec[fits], lo[fits], hi[fits]
    day = lo + np.floor(rng.random(len(sec)) * (hi - lo + 1)).astype(np.int64)
    edge = (rng.random(len(sec)) < edges) & (hi > lo)
    step = rng.integers(0, 2, len(sec))
    day = np.where(edge, np.where(rng.random(len(sec)) < 0.5, lo + step, hi - step), day)
    on_market = np.isfinite(panel.vwretd[day])  # never on a session without a market return
    sec, day = sec[on_market], day[on_market]
    key = sec.astype(np.int64) * len(panel.sessions) + day
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)[:n]
    if len(first) < n:
        raise ValueError(f"only {len(first)} distinct events fit; ask for fewer")
    sec, day = sec[first], day[first]
    dates = panel.sessions[day]
    before_day = dates - np.timedelta64(1, "D")
    # the calendar day before day 0 is not a session (a Sunday before a Monday): some events
    # are given on it, ``weekend`` of all events
    eligible = (day > 0) & (panel.sessions[np.maximum(day - 1, 0)] < before_day)
    share = min(1.0, weekend * n / max(1, int(eligible.sum())))
    shift = eligible & (rng.random(n) < share)
    dates = np.where(shift, before_day, dates)
    return pd.DataFrame({"permno": panel.permno[sec],
                         "event_date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d")})


#: A small CRSP-like panel for the tests: 300 PERMNOs over the 1990s (about 270,000 rows),
#: short lives, frequent gaps and codes; ``-88`` on the last row of half the securities.
SMALL = CrspShape(
    first="1990-01-01", last="1999-12-31", n_permnos=300,
    alive=((1990.0, 90), (1995.0, 130), (2000.0, 110)), median_years=3.0, sigma=0.9,
    gap_rate=0.5, isolated_missing=2e-3, scattered=((6, 2e-3), (2, 1e-3), (4, 5e-4)),
    last_row_88=0.5,
)


def small_crsp_panel(folder: str | os.PathLike[str], *, n_events: int = 120, seed: int = 11,
                     ret_type: str = "text", market_holes: int = 0) -> tuple[Path, Path, CrspPanel]:
    """Write :data:`SMALL` (with ``market_holes`` sessions whose ``vwretd`` is empty) as
    Parquet and ``n_events`` events as ``events.csv`` in ``folder`` (a second or two);
    returns both paths and the panel's description."""
    folder = Path(folder)
    shape = CrspShape(**{**SMALL.__dict__, "market_holes": market_holes})
    panel = make_panel(shape, seed=seed, chunk=100)
    path = folder / f"crsp_{ret_type}_{market_holes}.parquet"
    write_parquet(panel, path, ret_type=ret_type)
    events_path = folder / "events.csv"
    events(panel, n_events, seed=seed, anywhere=0.1, edges=0.15, weekend=0.05).to_csv(
        events_path, index=False)
    return path, events_path, panel


def late_code_csv(path, row: int) -> str:
    """A long CSV of 25 tickers x 1,000 business days of returns written as text, with CRSP's
    letter code ``C`` in return row ``row`` (negative: from the end), far after the rows DuckDB
    samples to guess a column's type."""
    import numpy as np
    import pandas as pd

    days = pd.bdate_range("2010-01-04", periods=1000)
    rng = np.random.default_rng(2)
    frames = [pd.DataFrame({"ticker": f"S{i:02d}", "date": days.strftime("%Y-%m-%d"),
                            "return": rng.normal(0, 0.01, len(days)).round(6).astype(str)})
              for i in range(25)]
    long = pd.concat(frames, ignore_index=True)
    long.loc[row % len(long), "return"] = "C"
    long.to_csv(path, index=False)
    return str(path)
