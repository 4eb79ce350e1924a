"""Market-model CARs in one DuckDB SQL query: what a user who knows SQL writes instead.

An independent computation of the batch engine's CARs on a long panel file (``id, date, ret``
with the market's return in a column beside ``ret``, as CRSP's ``vwretd``), with the
project's rules written out in SQL:

- trading days are the dates with a market return, numbered 1, 2, ... in date order; windows
  count these days (a session without a market return is not a day, and rows on it are unused);
- day 0 is the first trading day on or after the event date (``ASOF JOIN``);
- ``ret`` values that are not numbers (CRSP's letter codes) and CRSP's numeric missing codes
  (-66, -77, -88, -99) are missing;
- the events are expanded to their relative days (estimation and event window), joined to the
  panel on (id, trading-day number); the market model's slope and intercept are DuckDB's
  ``regr_slope`` / ``regr_intercept`` over the estimation days with a return (missing days are
  left out); the CAR is :math:`\\sum_{t \\in W} (R_t - \\hat\\alpha - \\hat\\beta R_{m,t})`
  (MacKinlay 1997, *Event Studies in Economics and Finance*, JEL 35, eqs. 7-8 and 12);
- an event is kept when every event-window day has a return, the estimation window holds at
  least ``min_estimation`` returns, both windows lie inside the trading days, and they lie
  between the security's first and last return (the single path's rule).
"""

from __future__ import annotations

import math

MISSING_CODES = (-66, -77, -88, -99)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def car_sql(panel: str, events: str, *, id_column: str = "permno", date_column: str = "date",
            ret_column: str = "ret", market_column: str = "vwretd",
            estimation: tuple[int, int] = (-250, -11), window: tuple[int, int] = (-10, 10),
            min_estimation: int | None = None) -> str:
    """The SQL: one row per studied event, ``(id, event_date, day0, n, alpha, beta, car)``.

    ``panel`` is a DuckDB relation (e.g. ``read_parquet('crsp.parquet')``) and ``events`` a
    relation with columns ``id`` (of the panel's id type) and ``event_date`` (DATE)."""
    (e0, e1), (w0, w1) = estimation, window
    if min_estimation is None:
        min_estimation = max(3, math.ceil(0.8 * (e1 - e0 + 1)))
    lo, hi = min(e0, w0), max(e1, w1)
    codes = ", ".join(str(c) for c in MISSING_CODES)
    i, d, r, m = _q(id_column), _q(date_column), _q(ret_column), _q(market_column)
    return f"""
WITH days AS (   -- the market's trading days, numbered
    SELECT date, mkt, row_number() OVER (ORDER BY date) AS day
    FROM (SELECT {d} AS date, any_value({m}) AS mkt FROM {panel}
          WHERE {m} IS NOT NULL GROUP BY 1)
),
placed AS (      -- day 0: the first trading day on or after the event date
    SELECT e.id, e.event_date, days.day AS day0
    FROM {events} e ASOF JOIN days ON days.date >= e.event_date
),
panel AS (       -- the events' securities, on trading days, codes as missing
    SELECT p.id, days.day, days.mkt,
           CASE WHEN p.r IN ({codes}) THEN NULL ELSE p.r END AS ret
    FROM (SELECT {i} AS id, {d} AS date, TRY_CAST({r} AS DOUBLE) AS r FROM {panel}
          WHERE {i} IN (SELECT id FROM placed)) p
    JOIN days USING (date)
),
history AS (     -- each security's first and last return
    SELECT id, min(day) AS first_day, max(day) AS last_day FROM panel
    WHERE ret IS NOT NULL GROUP BY id
),
expanded AS (    -- every event's estimation and event-window days
    SELECT placed.*, rel.range AS rel, placed.day0 + rel.range AS day
    FROM placed, range({lo}, {hi + 1}) rel
    WHERE rel.range BETWEEN {e0} AND {e1} OR rel.range BETWEEN {w0} AND {w1}
),
fits AS (
    SELECT x.id, x.event_date, x.day0,
        count(panel.ret) FILTER (WHERE x.rel BETWEEN {e0} AND {e1}) AS n,
        regr_intercept(panel.ret, panel.mkt) FILTER (WHERE x.rel BETWEEN {e0} AND {e1}) AS alpha,
        regr_slope(panel.ret, panel.mkt) FILTER (WHERE x.rel BETWEEN {e0} AND {e1}) AS beta,
        count(panel.ret) FILTER (WHERE x.rel BETWEEN {w0} AND {w1}) AS n_window,
        sum(panel.ret) FILTER (WHERE x.rel BETWEEN {w0} AND {w1}) AS sum_ret,
        sum(panel.mkt) FILTER (WHERE x.rel BETWEEN {w0} AND {w1}) AS sum_mkt
    FROM expanded x JOIN panel ON panel.id = x.id AND panel.day = x.day
    GROUP BY ALL
)
SELECT f.id, f.event_date, f.day0, f.n, f.alpha, f.beta,
       f.sum_ret - f.n_window * f.alpha - f.beta * f.sum_mkt AS car
FROM fits f JOIN history h USING (id)
WHERE f.n_window = {w1 - w0 + 1} AND f.n >= {min_estimation}
  AND f.day0 + {lo} >= 1 AND f.day0 + {hi} <= (SELECT max(day) FROM days)
  AND h.first_day <= f.day0 + {lo} AND h.last_day >= f.day0 + {hi}
"""
