"""How often does a GARCH(1,1) fit stop short of the maximum likelihood, and do the four
starting points of :mod:`eventstudy.models.garch_starts` reach it?

On the committed snapshot (every ticker but ^GSPC, the market model, estimation window -250..-11)
it fits the GARCH market model at event dates every 30 sessions from the 300th (24 dates per
ticker, 2017-2019), with normal and Student-t errors, and compares three log-likelihoods:

- ``arch``: ``arch``'s own fit (``arch_model(...).fit()``), what the package did before;
- ``best of 36``: the highest of ``arch``'s fits from its own start and from a 7 x 5 grid of
  ``(a, a + b)`` (a in 0.02 .. 0.7, a + b in 0.5 .. 0.99, the OLS mean and the residuals'
  variance), the reference;
- ``four starts``: the package's fit (:func:`eventstudy.models.garch_starts.fit_from_starts`).

It prints how many fits of each kind fall short of the best of 36 by more than 0.001, and the
largest shortfall. It takes some minutes (36 fits per window).

Usage::

    .venv/bin/python benchmarks/garch_starts.py
    .venv/bin/python benchmarks/garch_starts.py --every 120    # a quarter of the dates
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

GRID_A = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
GRID_PERSISTENCE = (0.5, 0.8, 0.9, 0.95, 0.99)


def estimation_windows(every: int):
    """``(ticker, date, y, x)`` in percent for every ticker and date of the study."""
    from eventstudy import load_prices, simple_returns
    from eventstudy.data.snapshot import available_tickers

    tickers = [t for t in available_tickers() if t != "^GSPC"]
    returns = simple_returns(load_prices([*tickers, "^GSPC"]))
    market = returns["^GSPC"]
    for ticker in tickers:
        for pos in range(300, len(returns) - 5, every):
            y = returns[ticker].iloc[pos - 250 : pos - 10].to_numpy()
            x = market.iloc[pos - 250 : pos - 10].to_numpy()
            keep = np.isfinite(y)
            if keep.sum() >= 200:
                yield ticker, returns.index[pos], 100 * y[keep], 100 * x[keep]


def arch_fits(y: np.ndarray, x: np.ndarray, dist: str) -> tuple[float, float]:
    """``arch``'s own fit and the best of its 36 fits (log-likelihoods)."""
    from arch import arch_model

    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = model.fit(disp="off", show_warning=False)
        design = np.column_stack([np.ones(len(x)), x])
        mean = np.linalg.lstsq(design, y, rcond=None)[0]
        variance = float(np.mean((y - design @ mean) ** 2))
        nu = [own.params["nu"]] if dist == "t" else []
        best = own.loglikelihood if own.convergence_flag == 0 else -np.inf
        for a in GRID_A:
            for s in GRID_PERSISTENCE:
                if a >= s:
                    continue
                start = np.hstack([mean, [(1 - s) * variance, a, s - a], nu])
                fit = model.fit(disp="off", show_warning=False, starting_values=start)
                if fit.convergence_flag == 0:
                    best = max(best, fit.loglikelihood)
    return float(own.loglikelihood), float(best)


def main() -> int:
    from eventstudy.models.garch_starts import fit_from_starts

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=30, help="sessions between event dates")
    args = parser.parse_args()
    rows = []
    for dist in ("normal", "t"):
        for ticker, date, y, x in estimation_windows(args.every):
            own, best = arch_fits(y, x, dist)
            ours = fit_from_starts(y, x, dist).loglikelihood
            rows.append({"dist": dist, "ticker": ticker, "date": date, "arch": own,
                         "best_of_36": best, "four_starts": ours})
    table = pd.DataFrame(rows)
    summary = []
    for dist, group in table.groupby("dist", sort=False):
        reference = np.maximum(group["best_of_36"], group["four_starts"])
        for column in ("arch", "four_starts"):
            gap = reference - group[column]
            summary.append({"errors": dist, "fit": column, "fits": len(group),
                            "short by > 0.001": int((gap > 1e-3).sum()),
                            "largest shortfall": float(gap.max())})
    print(pd.DataFrame(summary).to_string(index=False, float_format="{:.3f}".format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
