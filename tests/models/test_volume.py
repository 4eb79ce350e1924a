"""The volume event study (Campbell & Wasley 1996) against a direct computation from the CSV
files with pandas and statsmodels, and its errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from eventstudy import EventStudy, load_prices, run_event_study
from eventstudy.cli import main
from eventstudy.exceptions import DataError, ParameterError
from eventstudy.models.volume import log_volume


def csv_log_volume(data_dir, ticker: str) -> pd.Series:
    frame = pd.read_csv(data_dir / "prices" / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"],
                        index_col="Date")
    return np.log(1.0 + frame["Volume"].astype(float))


@pytest.mark.parametrize("ticker, event, window", [("FB", "2018-08-06", (-1, 1)),
                                                   ("JPM", "2018-08-06", (-2, 3)),
                                                   ("WFC", "2018-08-04", (0, 0))])
def test_abnormal_volume_matches_statsmodels_on_the_csv_files(data_dir, ticker, event, window):
    result = run_event_study(ticker, event, measure="volume", window=window)
    v, vm = csv_log_volume(data_dir, ticker), csv_log_volume(data_dir, "^GSPC")
    day0 = vm.index.searchsorted(pd.Timestamp(event))  # a Saturday moves to Monday
    est = slice(day0 - 250, day0 - 10)
    evt = slice(day0 + window[0], day0 + window[1] + 1)
    ols = sm.OLS(v.iloc[est].to_numpy(), sm.add_constant(vm.iloc[est].to_numpy())).fit()
    x_evt = sm.add_constant(vm.iloc[evt].to_numpy(), has_constant="add")
    prediction = ols.get_prediction(x_evt)
    abnormal = v.iloc[evt].to_numpy() - prediction.predicted_mean
    se = prediction.se_obs
    assert_allclose(result.params.to_numpy(), ols.params, rtol=1e-10)
    assert_allclose(result.fit.sigma, np.sqrt(ols.scale), rtol=1e-10)
    assert_allclose(result.days["return"].to_numpy(), v.iloc[evt].to_numpy(), rtol=1e-12)
    assert_allclose(result.days["abnormal"].to_numpy(), abnormal, rtol=1e-10, atol=1e-10)
    assert_allclose(result.days["se"].to_numpy(), se, rtol=1e-10)
    t = abnormal / se
    assert_allclose(result.days["t"].to_numpy(), t, rtol=1e-10, atol=1e-10)
    assert_allclose(result.days["p"].to_numpy(), 2 * stats.t.sf(np.abs(t), ols.df_resid), rtol=1e-9)
    # CAV: 1'V1 = T s^2 + (sum of the event rows) Cov(b) (sum of the event rows)'
    row = x_evt.sum(axis=0)
    cav_var = len(abnormal) * ols.scale + row @ ols.cov_params() @ row
    assert_allclose(result.car.value, abnormal.sum(), rtol=1e-10, atol=1e-10)
    assert_allclose(result.car.se, np.sqrt(cav_var), rtol=1e-10)
    assert result.measure == "volume" and result.fit.df == 238


def test_volume_report_says_what_it_measures(capsys):
    result = run_event_study("FB", "2018-08-06", measure="volume")
    text = result.summary()
    assert "of log volume ln(1 + Volume)" in text and "CAV(-1, +1)" in text
    table = text.split("Abnormal log volume")[1].split("CAV")[0]
    assert "BHAR" not in text and "%" not in table
    assert f"{result.days.loc[0, 'abnormal']:+.4f}" in table
    assert main(["run", "FB", "2018-08-06", "--measure", "volume", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["measure"] == "volume" and "bhar" not in report
    assert_allclose(report["car"]["value"], result.car.value, rtol=1e-12)
    assert main(["run", "FB", "2018-08-06", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["measure"] == "return"


def test_bad_measures_and_models_are_named():
    with pytest.raises(ParameterError, match="measure: 'turnover' is not allowed; choose one of return, volume"):
        run_event_study("FB", "2018-08-06", measure="turnover")
    with pytest.raises(ParameterError, match="model: 'ff3' is not allowed; the volume study takes"):
        EventStudy("ff3", measure="volume")
    with pytest.raises(SystemExit) as usage:
        main(["run", "FB", "2018-08-06", "--measure", "shares"])
    assert usage.value.code == 2


def test_a_series_without_volume_is_an_error_naming_it(data_dir, tmp_path, capsys):
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    path = copy / "prices" / "IXIC.csv"
    frame = pd.read_csv(path)
    frame["Volume"] = 0
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"ticker: '\^IXIC' has no trading volume"):
        run_event_study("FB", "2018-08-06", market="^IXIC", measure="volume", data_dir=copy)
    run_event_study("FB", "2018-08-06", market="^IXIC", data_dir=copy)  # returns still work
    prices = load_prices(["FB", "JPM"])
    prices.loc[prices["ticker"] == "JPM", "volume"] = np.nan
    with pytest.raises(DataError, match="'JPM' has no trading volume"):
        log_volume(prices)


def test_the_volume_panel_is_log_one_plus_volume_on_the_calendar(data_dir):
    prices = load_prices(["FB", "SNAP", "^GSPC"])
    calendar = pd.DatetimeIndex(prices.loc[prices["ticker"] == "^GSPC", "date"])
    panel = log_volume(prices, calendar=calendar)
    assert list(panel.columns) == ["FB", "SNAP", "^GSPC"] and panel.index.equals(calendar)
    assert_allclose(panel["FB"].to_numpy(), csv_log_volume(data_dir, "FB").to_numpy(), rtol=1e-15)
    assert panel["SNAP"][:"2017-03-01"].isna().all()  # before its listing: missing, not zero
    assert_allclose(panel["SNAP"]["2017-03-02":].to_numpy(), csv_log_volume(data_dir, "SNAP").to_numpy(),
                    rtol=1e-15)


def test_charts_of_a_volume_study_are_in_log_volume_units():
    from eventstudy.report.single_charts import plot_event_study

    result = run_event_study("FB", "2018-08-06", measure="volume")
    fig = plot_event_study(result)
    ar_ax, car_ax, fit_ax = fig.axes
    heights = [bar.get_height() for bar in ar_ax.patches]
    assert_allclose(heights, result.days["abnormal"].to_numpy(), rtol=1e-12)
    labels = [ar_ax.get_ylabel(), car_ax.get_ylabel(), fit_ax.get_xlabel(), fit_ax.get_ylabel()]
    assert labels == ["Abnormal log volume", "CAV from day -1", "^GSPC daily log volume",
                      "FB daily log volume"]
    assert "CAV(-1, +1) = " + f"{result.car.value:+.3f}" in fig._suptitle.get_text()
