"""Size of the single-event tests when returns are fat-tailed: the t test against the
sample-quantile (SQ) test of Gelbach, Helland & Klick (2013).

Design
------
``reps`` securities, each with one event and no abnormal return. Daily returns follow the
market model ``R = 0.0005 + beta R_m + e`` with ``beta`` uniform on [0.5, 1.5], a normal market
(sd 1%) and idiosyncratic errors ``e`` either Student-t with 3 degrees of freedom (scaled to an
sd of 2%: fat tails, infinite fourth moment) or normal (the control). Each event is studied by
the batch engine with the market model (estimation window -250..-11, 240 returns; event window
-1..+1), and for day 0 and the CAR(-1, +1) the script counts how often each test rejects at 10%,
5% and 1% (two-sided): the t test from its Student-t p-value, the SQ test from its p-value
against the 240 residuals (238 sums of three for the CAR), computed by
:class:`eventstudy.engine.batch_quantiles.CarQuantiles` as the multi-event study computes every
event's. With one event, no central limit theorem makes the abnormal return normal, so the t
test's size follows the tails of ``e``; the SQ test's follows its own discreteness: for one day
(exchangeable residuals) it rejects with probability ``2 (floor(a n / 2) + 1) / (n + 1)`` (the
``SQ exact`` column); the CAR's null sums overlap, so no such formula holds for them, and their
tail quantiles rest on fewer independent values. ``--length`` sets the estimation window's
length, to see the SQ test approach its nominal size as it grows.

Usage::

    .venv/bin/python benchmarks/sim_sq_size.py             # 20,000 events per distribution
    .venv/bin/python benchmarks/sim_sq_size.py --reps 4000 # quicker
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def panel(reps: int, errors: str, seed: int, n_days: int):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-02", periods=n_days)
    market = rng.normal(0.0, 0.01, n_days)
    if errors == "t(3)":
        e = rng.standard_t(3, (n_days, reps)) * 0.02 / np.sqrt(3.0)  # var of t(3) is 3
    else:
        e = rng.normal(0.0, 0.02, (n_days, reps))
    beta = rng.uniform(0.5, 1.5, reps)
    returns = 0.0005 + market[:, None] * beta + e
    names = [f"S{i:06d}" for i in range(reps)]
    frame = pd.DataFrame(returns, index=dates, columns=names)
    return frame, pd.Series(market, index=dates, name="MARKET")


def rejection_rates(reps: int, errors: str, seed: int, length: int) -> list[dict]:
    from eventstudy.engine.batch import batch_event_study
    from eventstudy.engine.batch_quantiles import CarQuantiles

    returns, market = panel(reps, errors, seed, length + 60)
    day0 = returns.index[length + 40]
    events = pd.DataFrame({"security": returns.columns, "event_date": day0})
    batch = batch_event_study(returns, events, market, model="market", estimation=(-length - 10, -11),
                              window=(-1, 1), car_windows=[(0, 0), (-1, 1)], progress=False)
    rows = np.flatnonzero(batch.ok)
    quantiles = CarQuantiles(batch.window_car[rows], batch.car_windows, batch.rel_days,
                             "two-sided", equal_weights=True)
    quantiles.finish(lambda r: (batch.residuals(rows[r]), batch.null_weights(rows[r])))
    out = []
    for w, label in enumerate(("day 0", "CAR(-1,+1)")):
        t_p, sq_p = batch.window_car_p[rows, w], quantiles.p[:, w]
        n = int(quantiles.n[0, w])
        for level in (0.10, 0.05, 0.01):
            out.append({"errors": errors, "tested": label, "level": level,
                        "t test": float(np.mean(t_p <= level)),
                        "SQ test": float(np.mean(sq_p <= level)),
                        "SQ exact": (2 * (np.floor(level * n / 2) + 1) / (n + 1) if w == 0
                                     else float("nan"))})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=20_000, help="events per distribution")
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--length", type=int, default=240, help="estimation returns L (default 240)")
    args = parser.parse_args()
    rows = [r for errors in ("t(3)", "normal")
            for r in rejection_rates(args.reps, errors, args.seed, args.length)]
    table = pd.DataFrame(rows)
    se = np.sqrt(0.05 * 0.95 / args.reps)
    print(f"{args.reps:,} events per distribution, {args.length} estimation returns, no abnormal "
          f"return; two-sided rejection rates (Monte Carlo se about {se:.4f} at 5%)\n")
    print(table.to_string(index=False, na_rep="", formatters={
        "level": "{:.0%}".format, "t test": "{:.4f}".format, "SQ test": "{:.4f}".format,
        "SQ exact": "{:.4f}".format}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
