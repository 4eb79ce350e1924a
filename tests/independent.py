"""An independent computation of the single-event study, for the tests to compare against.

It shares no code with ``eventstudy``: prices come straight from the CSV files through the
:mod:`csv` module, returns are formed in plain Python, the market model and the constant-mean
model are fitted by statsmodels OLS, and every standard error comes from statsmodels'
``get_prediction`` (``se_obs`` is the standard error of a new observation, i.e. the prediction
error of Campbell, Lo & MacKinlay 1997, eq. 4.4.8). The CAR variance is the variance of a sum of
prediction errors: ``m s^2`` for the m new disturbances plus ``se_mean^2`` of the prediction at
the summed regressor row (the shared estimation error), which equals ``1' V 1``.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy import stats


def french(data_dir: Path, name: str) -> dict[dt.date, dict[str, float]]:
    """A French factor file, percent -> decimals, by date."""
    path = data_dir / "factors" / f"{name}_daily.csv"
    with path.open(newline="") as handle:
        return {
            dt.date.fromisoformat(row.pop("Date")): {k: float(v) / 100 for k, v in row.items()}
            for row in csv.DictReader(handle)
        }


FACTOR_MODELS = {  # model -> (French file(s), factor columns)
    "ff3": (["ff3"], ["Mkt-RF", "SMB", "HML"]),
    "carhart": (["ff3", "mom"], ["Mkt-RF", "SMB", "HML", "Mom"]),
    "ff5": (["ff5"], ["Mkt-RF", "SMB", "HML", "RMW", "CMA"]),
}


def adj_close(data_dir: Path, ticker: str) -> dict[dt.date, float]:
    path = data_dir / "prices" / (ticker.lstrip("^") + ".csv")
    with path.open(newline="") as handle:
        return {dt.date.fromisoformat(row["Date"]): float(row["Adj Close"]) for row in csv.DictReader(handle)}


@dataclass
class Reference:
    dates: list[dt.date]          # event-window dates
    estimation_dates: list[dt.date]
    params: dict[str, float]
    sigma: float
    df: int
    returns: np.ndarray
    expected: np.ndarray
    abnormal: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    car: float
    car_se: float
    car_t: float
    car_p: float
    car_ci: tuple[float, float]
    residuals: np.ndarray  # estimation-window residuals, in date order


def reference_study(
    data_dir: Path,
    ticker: str,
    event: dt.date,
    market: str = "^GSPC",
    model: str = "market",
    estimation: tuple[int, int] = (-250, -11),
    window: tuple[int, int] = (-1, 1),
    level: float = 0.95,
) -> Reference:
    stock_px, market_px = adj_close(data_dir, ticker), adj_close(data_dir, market)
    days = sorted(market_px)
    r_m = {days[i]: market_px[days[i]] / market_px[days[i - 1]] - 1 for i in range(1, len(days))}
    r_s = {
        days[i]: stock_px[days[i]] / stock_px[days[i - 1]] - 1
        for i in range(1, len(days))
        if days[i] in stock_px and days[i - 1] in stock_px
    }
    ret_days = days[1:]
    pos = next(i for i, d in enumerate(ret_days) if d >= event)
    est = ret_days[pos + estimation[0] : pos + estimation[1] + 1]
    evt = ret_days[pos + window[0] : pos + window[1] + 1]
    y = np.array([r_s[d] for d in est])
    y_star = np.array([r_s[d] for d in evt])
    m = len(evt)
    offset, offset_star = np.zeros(len(est)), np.zeros(m)
    if model in ("capm", *FACTOR_MODELS):
        files, columns = FACTOR_MODELS.get(model, (["ff3"], []))
        factors: dict[dt.date, dict[str, float]] = {}
        for name in files:
            for day, row in french(data_dir, name).items():
                factors.setdefault(day, {}).update(row)
        offset = np.array([factors[d]["RF"] for d in est])
        offset_star = np.array([factors[d]["RF"] for d in evt])
        y, y_star = y - offset, y_star - offset_star
    if model == "scholes_williams":
        from scipy.stats import linregress

        pos_of = {d: i for i, d in enumerate(ret_days)}
        rm = lambda d, k: r_m[ret_days[pos_of[d] + k]]  # noqa: E731
        slopes = [linregress([rm(d, k) for d in est], y).slope for k in (-1, 0, 1)]
        rho = linregress([rm(d, -1) for d in est], [rm(d, 0) for d in est]).slope
        beta = sum(slopes) / (1 + 2 * rho)
        x_m = np.array([r_m[d] for d in est])
        alpha = y.mean() - beta * x_m.mean()
        resid = y - alpha - beta * x_m
        residuals = resid
        df = len(est) - 2
        scale = resid @ resid / df
        sigma = float(np.sqrt(scale))
        x = sm.add_constant(x_m)
        x_star = sm.add_constant(np.array([r_m[d] for d in evt]), has_constant="add")
        cov = np.linalg.inv(x.T @ x)
        expected = x_star @ np.array([alpha, beta])
        se = np.sqrt(scale * (1 + np.einsum("ij,jk,ik->i", x_star, cov, x_star)))
        total = x_star.sum(axis=0)
        car_se = float(np.sqrt(scale * (m + total @ cov @ total)))
        params = {"alpha": alpha, "beta": beta}
    elif model == "market_adjusted":
        diff = y - np.array([r_m[d] for d in est])
        residuals = diff
        sigma = float(np.std(diff, ddof=1))
        df = len(est) - 1
        expected = np.array([r_m[d] for d in evt])
        se = np.full(m, sigma)
        car_se = sigma * np.sqrt(m)
        params: dict[str, float] = {}
    else:
        if model == "market":
            x = sm.add_constant(np.array([r_m[d] for d in est]))
            x_star = sm.add_constant(np.array([r_m[d] for d in evt]), has_constant="add")
            names = ["alpha", "beta"]
        elif model == "capm":
            x = sm.add_constant(np.array([r_m[d] for d in est]) - offset)
            x_star = sm.add_constant(np.array([r_m[d] for d in evt]) - offset_star, has_constant="add")
            names = ["alpha", "beta"]
        elif model in FACTOR_MODELS:
            x = sm.add_constant(np.array([[factors[d][c] for c in columns] for d in est]))
            x_star = sm.add_constant(np.array([[factors[d][c] for c in columns] for d in evt]), has_constant="add")
            names = ["alpha", *(c.lower().replace("-", "_") for c in columns)]
        elif model == "dimson":
            pos_of = {d: i for i, d in enumerate(ret_days)}
            leads_lags = lambda days: np.array(  # noqa: E731
                [[r_m[ret_days[pos_of[d] + k]] for k in (-1, 0, 1)] for d in days]
            )
            x = sm.add_constant(leads_lags(est))
            x_star = sm.add_constant(leads_lags(evt), has_constant="add")
            names = ["alpha", "beta_lag1", "beta_0", "beta_lead1"]
        else:  # constant_mean
            x = np.ones((len(est), 1))
            x_star = np.ones((m, 1))
            names = ["mu"]
        fit = sm.OLS(y, x).fit()
        residuals = np.asarray(fit.resid)
        pred = fit.get_prediction(x_star)
        expected = pred.predicted_mean
        se = pred.se_obs
        sigma = float(np.sqrt(fit.scale))
        df = int(fit.df_resid)
        summed = fit.get_prediction(x_star.sum(axis=0, keepdims=True))
        car_se = float(np.sqrt(m * fit.scale + summed.se_mean[0] ** 2))
        params = dict(zip(names, fit.params))
    abnormal = y_star - expected
    expected = expected + offset_star  # the expected raw return
    y_star = y_star + offset_star
    t = abnormal / se
    car = float(abnormal.sum())
    car_t = car / car_se
    crit = stats.t.ppf(0.5 + level / 2, df)
    return Reference(
        dates=evt,
        estimation_dates=est,
        params=params,
        sigma=sigma,
        df=df,
        returns=y_star,
        expected=np.asarray(expected),
        abnormal=abnormal,
        se=np.asarray(se),
        t=t,
        p=2 * stats.t.sf(np.abs(t), df),
        car=car,
        car_se=car_se,
        car_t=car_t,
        car_p=float(2 * stats.t.sf(abs(car_t), df)),
        car_ci=(car - crit * car_se, car + crit * car_se),
        residuals=np.asarray(residuals),
    )
