"""The result of a single-event study: raw numbers as pandas objects, formatting in display methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar import EventTiming, Window, as_window, exchange_calendar
from eventstudy.exceptions import ParameterError
from eventstudy import formatting
from eventstudy.formatting import ShowsSummary, Summary
from eventstudy.inference.adjust import LABELS, adjust_pvalues, check_adjust
from eventstudy.inference.sample_quantile import (
    SampleQuantileTest,
    sample_quantile_pvalues,
    sample_quantile_test,
)
from eventstudy.inference.ttest import TTest, check_level, critical_value, resolve_level, t_statistics
from eventstudy.models.linear import ExpectedReturnModel, FittedModel
from eventstudy.inference.variance import VarianceRatio, variance_ratio


@dataclass(frozen=True)
class CumulativeAbnormalReturn(TTest):
    r"""CAR over relative days ``start .. end`` with its Student-t test.

    .. math:: CAR = \mathbf{1}'AR, \qquad \widehat{se}^2 = \mathbf{1}' V \mathbf{1}

    where :math:`V` is the full covariance of the ARs in the window, prediction error included
    (Campbell, Lo & MacKinlay 1997, eq. 4.4.13 with :math:`\gamma = \mathbf{1}`).
    """

    start: int
    end: int
    #: The sample-quantile test of the same CAR (:mod:`eventstudy.inference.sample_quantile`).
    sq: SampleQuantileTest | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "se": self.se,
            "t": self.t,
            "p": self.p,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }
        if self.sq is not None:
            out["sq"] = self.sq.to_dict()
        return out


@dataclass(frozen=True)
class EventStudyResult(ShowsSummary):
    """Everything a single-event study computed.

    Attributes
    ----------
    ticker, market
        The stock and the market series studied.
    model
        The expected-return model.
    timing
        Event date, day 0 and the dates of both windows.
    level
        Confidence level of the intervals.
    fit
        The model fitted on the estimation window (parameters, ``sigma``, ``df``, ``nobs``).
    estimation_data
        Per estimation day: ``return``, ``market``, ``expected`` and ``residual``.
    days
        Per event-window day (index ``rel_day``): ``date``, ``return``, ``market``, ``expected``,
        ``abnormal``, ``se``, ``t`` and ``p`` (Student's t), ``sq_p`` and ``sq_n`` (the
        sample-quantile test's p-value and its number of null values, see :meth:`sample_quantile`).
    covariance
        Covariance :math:`V` of the event-window ARs (``rel_day`` x ``rel_day``).
    measure
        ``"return"`` (simple returns) or ``"volume"`` (``return`` and ``market`` hold
        :math:`\\ln(1 + \\text{volume})` and ``abnormal`` the abnormal log volume; see
        :mod:`eventstudy.models.volume`).
    alternative
        Alternative of the p-values: ``"two-sided"``, ``"greater"`` or ``"less"``
        (:func:`eventstudy.inference.ttest.p_values`).
    adjust
        ``None``, ``"holm"`` or ``"bh"``: the p-values are also reported adjusted over the days
        and the CAR, per test (:meth:`adjusted_pvalues`).
    null_residuals, null_weights
        What the sample-quantile test compares with: the estimation residuals by trading day of
        the estimation window (``NaN`` where missing; standardised for GARCH) and each event
        day's weight (1; GARCH: the forecast sd), from the fit's ``null_residuals`` and
        ``null_weights``.
    exchange
        The exchange_calendars code whose sessions placed day 0 (``"XNYS"``, ``"XLON"``...), or
        ``None`` when the market series' dates did (:meth:`EventStudy.run` without one).
    market_default
        True when no market was named and :attr:`market` is the exchange's default index
        (:data:`eventstudy.calendar.exchanges.DEFAULT_INDEX`).
    currency
        The currency the prices were converted to (``"USD"``...), or ``None`` when they are in
        their exchange's own.
    """

    ticker: str
    market: str
    model: ExpectedReturnModel
    timing: EventTiming
    level: float
    fit: FittedModel
    estimation_data: pd.DataFrame
    days: pd.DataFrame
    covariance: pd.DataFrame
    measure: str = "return"
    alternative: str = "two-sided"
    adjust: str | None = None
    null_residuals: np.ndarray | None = field(default=None, repr=False)
    null_weights: pd.Series | None = field(default=None, repr=False)
    exchange: str | None = None
    market_default: bool = False
    currency: str | None = None

    @property
    def event_date(self) -> pd.Timestamp:
        return self.timing.event_date

    @property
    def day0(self) -> pd.Timestamp:
        return self.timing.day0

    @property
    def day0_shifted(self) -> bool:
        """True when day 0 is not the event date (a closed day, or news after the close)."""
        return self.timing.shifted

    @property
    def params(self) -> pd.Series:
        return self.fit.params

    @property
    def car(self) -> CumulativeAbnormalReturn:
        """CAR over the whole event window."""
        return self.cumulative()

    def cumulative(
        self, start: int | None = None, end: int | None = None, level: float | None = None
    ) -> CumulativeAbnormalReturn:
        """CAR over ``start .. end`` (default: the event window), any sub-window of it."""
        sub = self._sub_window(start, end)
        days = list(sub.days)
        return CumulativeAbnormalReturn(
            value=float(self.days.loc[days, "abnormal"].sum()),
            se=float(np.sqrt(self.covariance.loc[days, days].to_numpy().sum())),
            df=self.fit.df,
            level=self.level if level is None else check_level(level),
            start=sub.start,
            end=sub.end,
            alternative=self.alternative,
            sq=self.sample_quantile(sub.start, sub.end),
        )

    def sample_quantile(self, start: int | None = None, end: int | None = None) -> SampleQuantileTest:
        """The sample-quantile test (Gelbach, Helland & Klick 2013) of the CAR over
        ``start .. end`` (default: the event window; one day: ``start == end``): the CAR against
        the sums of as many consecutive estimation residuals (each weighted by the day's
        :attr:`null_weights`), for the study's :attr:`alternative`. See
        :mod:`eventstudy.inference.sample_quantile` for the formula and what ``n`` limits."""
        if self.null_residuals is None or self.null_weights is None:
            raise ParameterError("null_residuals", None, "this result was built without them")
        days = list(self._sub_window(start, end).days)
        return sample_quantile_test(self.null_residuals, float(self.days.loc[days, "abnormal"].sum()),
                                    self.null_weights.loc[days].to_numpy(), self.alternative)

    def _sub_window(self, start: int | None, end: int | None) -> Window:
        window = self.timing.window
        sub = as_window(
            (window.start if start is None else start, window.end if end is None else end),
            "start, end",
        )
        if sub.start < window.start or sub.end > window.end:
            raise ParameterError(
                "start, end", (sub.start, sub.end), f"stay inside the event window {window}"
            )
        return sub

    def buy_and_hold(self, start: int | None = None, end: int | None = None) -> float:
        r"""Buy-and-hold abnormal return over ``start .. end`` (default: the event window).

        .. math:: BHAR = \prod_t (1 + R_t) - \prod_t (1 + E[R_t])

        the compounded return less the compounded expected return (Barber & Lyon 1997,
        *J. Financ. Econ.* 43(3), eq. 3). Unlike the CAR it compounds, so it differs from the
        CAR by cross-products of daily returns; the two agree to first order over short windows.
        """
        days = list(self._sub_window(start, end).days)
        realised = float(np.prod(1.0 + self.days.loc[days, "return"].to_numpy()))
        expected = float(np.prod(1.0 + self.days.loc[days, "expected"].to_numpy()))
        return realised - expected

    @property
    def bhar(self) -> float:
        """Buy-and-hold abnormal return over the whole event window (see :meth:`buy_and_hold`)."""
        return self.buy_and_hold()

    @property
    def n_missing(self) -> int:
        """Estimation-window days left out of the fit for want of a return or model input."""
        return len(self.timing.estimation_dates) - self.fit.nobs

    @property
    def car_path(self) -> pd.DataFrame:
        """CAR from the window's first day to each day, with ``se`` and confidence bounds."""
        window = self.timing.window
        rows = [self.cumulative(window.start, day) for day in window.days]
        return pd.DataFrame(
            {
                "car": [c.value for c in rows],
                "se": [c.se for c in rows],
                "ci_low": [c.ci_low for c in rows],
                "ci_high": [c.ci_high for c in rows],
            },
            index=self.days.index,
        )

    def car_grid(self) -> pd.DataFrame:
        """CAR, its standard error, t and p, and the sample-quantile ``sq_p``, for every
        sub-window ``(start, end)`` of the event window.

        Every sub-window shares this study's estimation window, so each row equals the study run
        with that event window (same fit, same :math:`V`), and equals :meth:`cumulative` of the
        sub-window (tested): the CAR :math:`1'AR`, :math:`se = \\sqrt{1'V1}` over its days, the
        t test for :attr:`alternative`, and the SQ test against the sums of as many consecutive
        estimation residuals (computed once per window length for all windows of that length;
        ``NaN`` where no run of that many days has a residual on every day). Rows are indexed by
        ``start`` and ``end``.
        """
        window = self.timing.window
        days = list(window.days)
        abnormal = self.days.loc[days, "abnormal"].to_numpy(dtype=float)
        covariance = self.covariance.loc[days, days].to_numpy(dtype=float)
        first, last = np.triu_indices(len(days))  # (start, end) pairs, by start then end
        value = np.array([abnormal[i : j + 1].sum() for i, j in zip(first, last)])
        se = np.sqrt([covariance[i : j + 1, i : j + 1].sum() for i, j in zip(first, last)])
        t, p = t_statistics(value, se, self.fit.df, self.alternative)
        sq_p: np.ndarray | list[None] = [None] * len(value)
        if self.null_residuals is not None and self.null_weights is not None:
            sq_p = self._grid_quantiles(first, last, value)
        return pd.DataFrame({"start": np.asarray(days)[first], "end": np.asarray(days)[last],
                             "car": value, "se": se, "t": t, "p": p, "sq_p": sq_p}
                            ).set_index(["start", "end"])

    def _grid_quantiles(self, first: np.ndarray, last: np.ndarray, value: np.ndarray) -> np.ndarray:
        """SQ p-values of the windows ``first[k] .. last[k]`` (positions in the event window),
        one call per window length: equal weights share one set of null sums."""
        assert self.null_residuals is not None and self.null_weights is not None
        weights = self.null_weights.loc[list(self.timing.window.days)].to_numpy(dtype=float)
        residuals = np.asarray(self.null_residuals, dtype=float)
        out = np.full(len(value), np.nan)
        length = last - first + 1
        for m in np.unique(length):
            rows = np.flatnonzero(length == m)
            w = np.stack([weights[first[k] : first[k] + m] for k in rows])
            common = np.all(w == 1.0)
            p, _, _, n = sample_quantile_pvalues(
                np.broadcast_to(residuals, (1 if common else len(rows), len(residuals))),
                value[rows], np.ones(m) if common else w, self.alternative)
            out[rows] = np.where(n > 0, p, np.nan)
        return out

    def conf_int(self, *given: object, level: float | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Confidence intervals of the daily ARs, columns ``lower`` and ``upper``.

        Give the confidence ``level`` (``level=0.95``, linearmodels' convention) or the
        significance ``alpha`` (``alpha=0.05``, statsmodels'), by keyword; default: the study's
        level. The interval is :math:`AR \\pm t_{df, 1-a/2}\\,se`.
        """
        if given:  # a bare number could mean either; say how to give it
            raise ParameterError("conf_int", given[0] if len(given) == 1 else given,
                                 "give the level by keyword: level=0.90 (confidence) or alpha=0.10 "
                                 "(significance)")
        level = resolve_level(level, alpha, self.level)
        half = critical_value(level, self.fit.df) * self.days["se"]
        return pd.DataFrame(
            {"lower": self.days["abnormal"] - half, "upper": self.days["abnormal"] + half}
        )

    @property
    def variance_ratio(self) -> VarianceRatio:
        """Event-window over estimation-window variance with its F test
        (:func:`eventstudy.inference.variance.variance_ratio`)."""
        return variance_ratio(self.days["abnormal"].to_numpy(), self.covariance.to_numpy(),
                              self.fit.sigma, self.fit.df)

    @property
    def abnormal_returns(self) -> pd.Series:
        """The daily abnormal returns, indexed by ``rel_day``."""
        return self.days["abnormal"]

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the daily ARs (prediction error included), by ``rel_day``."""
        return self.days["se"]

    @property
    def tvalues(self) -> pd.Series:
        """t statistics of the daily ARs, by ``rel_day``."""
        return self.days["t"]

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the daily ARs, by ``rel_day``."""
        return self.days["p"]

    @property
    def nobs(self) -> int:
        """Estimation returns the model was fitted on (``fit.nobs``)."""
        return self.fit.nobs

    def to_frame(self) -> pd.DataFrame:
        """One row per event-window day: :attr:`days` with the confidence bounds ``ci_low``,
        ``ci_high`` at the study's level (and ``p_adjusted``, ``sq_p_adjusted`` with ``adjust``);
        raw decimals, ready for ``to_csv`` or ``to_excel``."""
        interval = self.conf_int()
        frame = self.days.assign(ci_low=interval["lower"], ci_high=interval["upper"])
        if self.adjust is not None:
            adjusted = self.adjusted_pvalues().drop(index="car")
            for column in ("p_adjusted", "sq_p_adjusted"):
                if column in adjusted:
                    frame[column] = adjusted[column].to_numpy()
        return frame

    def adjusted_pvalues(self, adjust: str | None = None) -> pd.DataFrame:
        """The p-values of the t test (``p``) and of the sample-quantile test (``sq_p``) adjusted
        over the days and the CAR over the event window, each test a family (``adjust``:
        ``"holm"`` or ``"bh"``, default the study's; :mod:`eventstudy.inference.adjust`). One
        row per day, then one indexed ``"car"``."""
        adjust = check_adjust(adjust or self.adjust)
        if adjust is None:
            raise ParameterError("adjust", None, "give holm or bh (or run the study with adjust=)")
        car = self.car
        frame = pd.DataFrame({"p": [*self.days["p"], car.p]},
                             index=pd.Index([*self.days.index, "car"], dtype=object, name="rel_day"))
        frame["p_adjusted"] = adjust_pvalues(frame["p"].to_numpy(), adjust)
        if car.sq is not None:
            frame["sq_p"] = [*self.days["sq_p"], car.sq.p]
            frame["sq_p_adjusted"] = adjust_pvalues(frame["sq_p"].to_numpy(), adjust)
        return frame

    def _daily_sq(self) -> list[SampleQuantileTest | None]:
        """Each day's sample-quantile test (``None`` each when the result has no null residuals)."""
        if self.null_residuals is None:
            return [None] * len(self.days)
        return [self.sample_quantile(day, day) for day in self.days.index]

    @property
    def estimation_window(self) -> Window:
        return self.timing.estimation

    @property
    def event_window(self) -> Window:
        return self.timing.window

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready values (returns as decimals, dates as ``YYYY-MM-DD``)."""
        est = self.timing.estimation_dates
        out: dict[str, Any] = {
            "ticker": self.ticker,
            "market": self.market,
            "market_default": self.market_default,
            "exchange": self.exchange,
            "currency": self.currency,
            "model": self.model.name,
            "model_uses_market": self.model.uses_market,
            "level": self.level,
            "event_date": f"{self.event_date:%Y-%m-%d}",
            "event_time": None if self.timing.event_time is None else self.timing.event_time.isoformat(),
            "day0": f"{self.day0:%Y-%m-%d}",
            "reason": self.timing.reason,
            "estimation": {
                "start": f"{est[0]:%Y-%m-%d}",
                "end": f"{est[-1]:%Y-%m-%d}",
                "n": self.fit.nobs,
                "missing": self.n_missing,
                "df": self.fit.df,
                "sigma": self.fit.sigma,
                "params": {k: float(v) for k, v in self.fit.params.items()},
                **self.fit.estimation_details(),
            },
            "days": [
                {
                    "rel_day": int(rel_day),
                    "date": f"{row['date']:%Y-%m-%d}",
                    "return": float(row["return"]),
                    "market_return": float(row["market"]),
                    "expected": float(row["expected"]),
                    "abnormal": float(row["abnormal"]),
                    "se": float(row["se"]),
                    "t": float(row["t"]),
                    "p": float(row["p"]),
                    **({} if sq is None else {"sq": sq.to_dict()}),
                }
                for (rel_day, row), sq in zip(self.days.iterrows(), self._daily_sq())
            ],
            "car": self.car.to_dict(),
            "bhar": {"start": self.event_window.start, "end": self.event_window.end, "value": self.bhar},
            "variance_ratio": self.variance_ratio.to_dict(),
            "measure": self.measure,
            "alternative": self.alternative,
            "adjust": self.adjust,
        }
        if self.adjust is not None:  # beside each raw p-value
            adjusted = self.adjusted_pvalues()
            for record, (_, row) in zip([*out["days"], out["car"]], adjusted.iterrows()):
                record["p_adjusted"] = float(row["p_adjusted"])
                if "sq" in record:
                    record["sq"]["p_adjusted"] = float(row["sq_p_adjusted"])
        if self.measure == "volume":
            del out["bhar"]  # compounding log volumes means nothing
        return out

    def summary(self) -> Summary:
        """A plain-text report: set-up, fitted model, daily ARs and the CAR.

        A string: ``print(result.summary())`` prints it, and a notebook shows it as a table.
        """
        est = self.timing.estimation_dates
        lines = [
            f"Event study of {self.ticker} around {self.event_date:%Y-%m-%d (%A)}",
        ]
        if self.day0_shifted:
            lines.append(
                f"  {self.timing.reason}"
                if self.timing.reason
                else f"  {self.event_date:%Y-%m-%d} is not a trading day: day 0 moved to "
                f"{self.day0:%Y-%m-%d (%A)}"
            )
        else:
            lines.append(f"  day 0 = {self.day0:%Y-%m-%d (%A)}")
        abroad = self.exchange is not None and self.exchange != "XNYS"
        if abroad:  # the NYSE is the default; any other exchange is named with its clock
            lines.append(f"  sessions of {self.exchange} ({exchange_calendar(self.exchange).tz})")
        if self.currency is not None:
            lines.append(f"  prices in {self.currency}, converted at Yahoo's daily exchange rates")
        params = ", ".join(f"{k} = {v:.6g}" for k, v in self.fit.params.items()) or "none estimated"
        volume = self.measure == "volume"
        # returns in percent; log volumes as plain numbers (0.5 = volume e^0.5 = 1.65 times expected)
        def signed(v: float) -> str:
            return formatting.number(v) if volume else formatting.percent(v)

        def size(v: float) -> str:
            return formatting.number(v, sign=False) if volume else formatting.percent(v, sign=False)

        def t_value(v: float) -> str:
            return formatting.statistic(v, formatting.T_DECIMALS)

        value, abnormal, cumulative = ("log_volume", "AV", "CAV") if volume else ("return", "AR", "CAR")
        lines += [
            f"Model: {self.model.label}" + (" of log volume ln(1 + Volume)" if volume else "")
            + f", market {self.market}"
            + (f" (the default index of {self.exchange})" if abroad and self.market_default else "")
            + ("" if self.model.uses_market else " (trading days only: the model does not use its returns)"),
            f"  estimation window {self.timing.estimation}: {est[0]:%Y-%m-%d} .. {est[-1]:%Y-%m-%d}, "
            f"{self.fit.nobs} {'days' if volume else 'returns'}"
            + (f" ({self.n_missing} days missing, left out)" if self.n_missing else "")
            + f", df {self.fit.df}",
            f"  parameters: {params}; residual sd "
            + (f"{self.fit.sigma:.4f}" if volume else f"{self.fit.sigma:.4%}"),
            *self.fit.summary_lines(),
            "",
            f"Abnormal {'log volume' if volume else 'returns'}, event window {self.timing.window}:",
        ]
        if self.alternative != "two-sided":
            lines.insert(-1, f"p-values one-sided: H1 {'>' if self.alternative == 'greater' else '<'} 0 "
                             "(confidence intervals two-sided)")
        table = pd.DataFrame(
            {
                "date": self.days["date"].dt.strftime("%Y-%m-%d"),
                value: self.days["return"].map(signed),
                "expected": self.days["expected"].map(signed),
                abnormal: self.days["abnormal"].map(signed),
                "se": self.days["se"].map(size),
                "t": self.days["t"].map(t_value),
                "p": self.days["p"].map(formatting.pvalue),
            }
        )
        daily_sq = self._daily_sq()
        adjusted = None if self.adjust is None else self.adjusted_pvalues()
        if adjusted is not None:
            table["p adj"] = adjusted["p_adjusted"].iloc[:-1].map(formatting.pvalue).to_numpy()
        if daily_sq[0] is not None:
            table["SQ p"] = [_sq_text(test) for test in daily_sq]
            if adjusted is not None:
                table["SQ p adj"] = adjusted["sq_p_adjusted"].iloc[:-1].map(formatting.pvalue).to_numpy()
        before = len(lines)
        lines += ["  " + line for line in table.to_string().splitlines()]
        after = len(lines)
        car = self.car
        lines += [
            "",
            f"{cumulative}{self.timing.window} = {signed(car.value)}  se {size(car.se)}  "
            f"t {t_value(car.t)}  p {formatting.pvalue(car.p)}"
            + ("" if adjusted is None else f" (adj {formatting.pvalue(adjusted['p_adjusted'].iloc[-1])})")
            + f"  {self.level * 100:g}% CI [{signed(car.ci_low)}, {signed(car.ci_high)}]"
            + ("" if car.sq is None else f"  SQ p {_sq_text(car.sq)}")
            + ("" if adjusted is None or car.sq is None
               else f" (adj {formatting.pvalue(adjusted['sq_p_adjusted'].iloc[-1])})"),
        ]
        if not volume:
            lines.append(f"BHAR{self.timing.window} = {formatting.percent(self.bhar)}")
        ratio = self.variance_ratio
        lines.append(
            f"Variance ratio (event / estimation window) {ratio.value:.2f}: "
            f"F({ratio.df_num}, {ratio.df_den}) = {ratio.F:.2f}, p {formatting.pvalue(ratio.p)}"
        )
        if car.sq is not None and daily_sq[0] is not None:
            weighted = ("\n  (residuals standardised by their conditional sd, times each day's forecast sd)"
                        if self._garch_null() else "")
            lines += [
                "SQ p: sample-quantile test (Gelbach, Helland & Klick 2013), no normality assumed: "
                f"each {abnormal}",
                f"  against the {daily_sq[0].n} estimation residuals, the {cumulative} against "
                f"the {car.sq.n} sums of {len(self.timing.window)} consecutive ones{weighted}",
            ]
            if any(test is not None and test.p == 0.0 for test in [*daily_sq, car.sq]):
                lines.append("  '<' marks a value beyond all of them: its p is below the smallest "
                             "p above 0 that n values allow (2/n, one-sided 1/n)")
        if self.adjust is not None:
            lines.append(f"adj: p-values adjusted by {LABELS[self.adjust]} over the "
                         f"{len(self.days)} days and the {cumulative}, each test apart")
        # in a notebook: the text around an HTML table of the days
        parts = ["\n".join(lines[:before]), table, "\n".join(lines[after:]).strip("\n")]
        return Summary("\n".join(lines), parts)

    def _garch_null(self) -> bool:
        return self.null_weights is not None and not np.all(self.null_weights.to_numpy() == 1.0)

    def __repr__(self) -> str:
        car = self.car
        return (
            f"<EventStudyResult {self.ticker} day 0 {self.day0:%Y-%m-%d}, {self.model.name} model: "
            f"CAR{self.event_window} = {formatting.percent(car.value)}, t {car.t:+.2f}, "
            f"p {formatting.pvalue(car.p)}>"
        )




def _sq_text(test: SampleQuantileTest | None) -> str:
    """A sample-quantile p-value for the report: ``<0.0083`` (below the smallest p above 0 that
    its ``n`` null values allow) when the value lies beyond all of them."""
    if test is None:
        return "n/a"
    return f"<{test.smallest_p:.4f}" if test.p == 0.0 else f"{test.p:.4f}"
