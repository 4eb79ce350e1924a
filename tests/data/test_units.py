"""Numbers that must not change silently (issue 18, section 2; issue 23, major 1): the machine's
time zone, returns in percent (securities, market, --market-returns, factors), CRSP codes in the
market's file, a security's column given twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError
from eventstudy.data.panel import load_panel, read_factors_file, read_market_series
from eventstudy.data.panel_file import PanelFile
from eventstudy.studies.single import run_event_study
from eventstudy.data.units import check_returns_unit

TICKERS = {"FB": "FB", "^GSPC": "GSPC", "JPM": "JPM"}


@pytest.fixture(scope="module")
def wide(data_dir) -> pd.DataFrame:
    """Daily returns (decimals) of FB, JPM and ^GSPC from the snapshot, 2017-06 to 2018-12."""
    columns = {}
    for ticker, name in TICKERS.items():
        prices = pd.read_csv(data_dir / "prices" / f"{name}.csv", parse_dates=["Date"], index_col="Date")
        columns[ticker] = prices["Adj Close"].pct_change()
    frame = pd.DataFrame(columns).loc["2017-06-01":"2018-12-31"].iloc[1:]
    frame.index.name = "date"
    return frame


def long_csv(wide: pd.DataFrame, path, *, scale: dict[str, float] | None = None, dates=None) -> str:
    frame = wide.copy()
    for ticker, factor in (scale or {}).items():
        frame[ticker] *= factor
    long = frame.stack().rename("return").reset_index().rename(columns={"level_1": "ticker"})
    if dates is not None:
        long["date"] = dates(long["date"])
    long.to_csv(path, index=False)
    return str(path)


def car(args: list[str], capsys) -> float:
    assert main(["run", "FB", "2018-08-06", "--json", *args]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)["car"]["value"]


@pytest.fixture(scope="module")
def expected_car() -> float:
    """The flagship CAR from the snapshot (itself checked against statsmodels elsewhere)."""
    return run_event_study("FB", "2018-08-06").car.value


# -- the time zone --------------------------------------------------------------------------------

#: Run in a fresh process under a given TZ: the CAR of each file, or the error's text.
_UNDER_ZONE = """
import json, sys
from eventstudy import run_event_study
out = {}
for path in sys.argv[1:]:
    try:
        out[path] = run_event_study("FB", "2018-08-06", returns=path, market="^GSPC").car.value
    except ValueError as error:
        out[path] = str(error)
print(json.dumps(out))
"""


def _cars_under(zone: str, paths: list[str]) -> dict[str, object]:
    env = {**os.environ, "TZ": zone, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", _UNDER_ZONE, *paths], check=False, capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def zoned_files(wide, tmp_path_factory):
    import duckdb

    folder = tmp_path_factory.mktemp("zoned")
    tokyo = long_csv(wide, folder / "tokyo.csv",
                     dates=lambda d: d.dt.strftime("%Y-%m-%dT00:00:00+09:00"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    plain = long_csv(wide, folder / "plain.csv")
    utc = folder / "utc.parquet"
    con.execute(f"COPY (SELECT CAST(CAST(date AS DATE) AS TIMESTAMPTZ) AS date, ticker, return "
                f"FROM read_csv('{plain}')) TO '{utc}' (FORMAT parquet)")
    evening = folder / "evening.parquet"  # midnight in Tokyo: 15:00 UTC the day before
    con.execute(f"COPY (SELECT CAST(date AS TIMESTAMPTZ) AS date, ticker, return "
                f"FROM read_csv('{tokyo}')) TO '{evening}' (FORMAT parquet)")
    con.close()
    return {"tokyo.csv": tokyo, "utc.parquet": str(utc), "evening.parquet": str(evening)}


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_dates_with_a_time_zone_give_the_same_numbers_under_every_machine_zone(
        zoned_files, expected_car, zone):
    cars = _cars_under(zone, [zoned_files[n] for n in ("tokyo.csv", "utc.parquet", "evening.parquet")])
    assert cars[zoned_files["tokyo.csv"]] == pytest.approx(expected_car, rel=1e-9)
    assert cars[zoned_files["utc.parquet"]] == pytest.approx(expected_car, rel=1e-9)
    refused = cars[zoned_files["evening.parquet"]]
    assert "timestamps with a time zone that are not at midnight UTC" in refused and "\n" not in refused


def test_a_market_file_and_a_factors_file_take_the_date_written(tmp_path, wide):
    market = tmp_path / "market.csv"
    pd.DataFrame({"date": wide.index.strftime("%Y-%m-%dT00:00:00-05:00"),
                  "return": wide["^GSPC"].to_numpy()}).to_csv(market, index=False)
    series = read_market_series(market)
    assert series.index[0] == wide.index[0] and series.index[-1] == wide.index[-1]
    factors = tmp_path / "factors.csv"
    pd.DataFrame({"date": wide.index.strftime("%Y-%m-%d 00:00:00+09:00"), "Mkt-RF": wide["^GSPC"].to_numpy(),
                  "RF": 0.0001}).to_csv(factors, index=False)
    frame = read_factors_file(factors)
    assert frame.index[0] == wide.index[0]


# -- the unit of returns ---------------------------------------------------------------------------

def test_a_panel_in_percent_is_refused_before_any_output_and_declared_it_gives_the_decimal_numbers(
        wide, tmp_path, capsys, expected_car):
    path = long_csv(wide, tmp_path / "pct.csv", scale={t: 100.0 for t in TICKERS})
    assert main(["run", "FB", "2018-08-06", "--returns", path, "--market", "^GSPC"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "column 'return'" in captured.err and "--returns-unit percent" in captured.err
    declared = car(["--returns", path, "--market", "^GSPC", "--returns-unit", "percent"], capsys)
    assert declared == pytest.approx(expected_car, rel=1e-9)


def test_a_market_in_percent_inside_the_panel_is_refused_naming_market_unit(wide, tmp_path, capsys, expected_car):
    path = long_csv(wide, tmp_path / "market_pct.csv", scale={"^GSPC": 100.0})
    assert main(["run", "FB", "2018-08-06", "--returns", path, "--market", "^GSPC"]) == 2
    err = capsys.readouterr().err
    assert "(id '^GSPC') looks like percent" in err
    declared = car(["--returns", path, "--market", "^GSPC", "--market-unit", "percent"], capsys)
    assert declared == pytest.approx(expected_car, rel=1e-9)


def test_market_returns_in_percent_are_refused_naming_the_column(wide, tmp_path, capsys, expected_car):
    panel = long_csv(wide, tmp_path / "panel.csv")
    market = tmp_path / "market.csv"
    pd.DataFrame({"date": wide.index, "vwretd": wide["^GSPC"].to_numpy() * 100}).to_csv(market, index=False)
    assert main(["run", "FB", "2018-08-06", "--returns", panel, "--market-returns", str(market)]) == 2
    err = capsys.readouterr().err
    assert "column 'vwretd' looks like percent" in err and "--market-unit percent" in err
    declared = car(["--returns", panel, "--market-returns", str(market), "--market-unit", "percent"], capsys)
    assert declared == pytest.approx(expected_car, rel=1e-9)


def test_a_wide_panel_in_percent_names_its_columns(wide, tmp_path):
    path = tmp_path / "wide.csv"
    (wide * 100).reset_index().to_csv(path, index=False)
    with pytest.raises(DataError, match=r"wide.csv: column '\^GSPC' looks like percent"):
        load_panel(PanelFile.of(path), ["FB", "JPM"], market="^GSPC")
    with pytest.raises(DataError, match=r"columns 'FB', 'JPM' look like percent"):
        load_panel(PanelFile.of(path), ["FB", "JPM"], market="^GSPC", market_unit="percent")


def test_a_return_below_minus_100_percent_is_refused_naming_id_and_day(wide, tmp_path):
    frame = wide.copy()
    frame.loc["2018-03-01", "JPM"] = -1.2
    path = long_csv(frame, tmp_path / "below.csv")
    with pytest.raises(DataError, match=r"id 'JPM'\) has 1 daily return\(s\) below -100% \(-1.2 on 2018-03-01\)"):
        load_panel(PanelFile.of(path), ["FB", "JPM"], market="^GSPC")


def test_factors_in_percent_are_refused_and_the_rule_is_the_same_for_a_frame(wide, tmp_path):
    factors = tmp_path / "factors.csv"
    pd.DataFrame({"date": wide.index, "Mkt-RF": wide["^GSPC"] * 100, "SMB": wide["JPM"] * 100,
                  "RF": 0.01}).to_csv(factors, index=False)
    with pytest.raises(DataError, match="columns 'Mkt-RF', 'SMB' look like percent.*--factors-unit percent"):
        read_factors_file(factors)
    assert read_factors_file(factors, unit="percent")["Mkt-RF"].abs().median() < 0.1
    with pytest.raises(DataError, match=r"returns \(the frame\): column 'FB' looks like percent"):
        load_panel(wide * 100, ["FB"], market="^GSPC", market_unit="percent")


def test_the_rule_by_hand():
    """Median |value| above 0.1 over at least 20 values; a column of fewer values is not judged."""
    rng = np.random.default_rng(3)
    decimals = rng.normal(0, 0.02, size=(100, 2))
    check_returns_unit(decimals, ["a", "b"], label="x", column=None, parameter="returns_unit")
    edge = np.full((100, 1), 0.1)  # exactly 0.1: allowed
    check_returns_unit(edge, ["a"], label="x", column=None, parameter="returns_unit")
    with pytest.raises(DataError, match="median \\|value\\| 0.101"):
        check_returns_unit(edge + 0.001, ["a"], label="x", column=None, parameter="returns_unit")
    few = np.full((19, 1), 5.0)
    check_returns_unit(few, ["a"], label="x", column=None, parameter="returns_unit")


def test_unit_options_without_a_panel_are_refused(capsys):
    assert main(["run", "FB", "2018-08-06", "--returns-unit", "percent"]) == 2
    assert "--returns-unit" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="returns_unit"):
        load_panel(pd.DataFrame({"M": [0.01]}), ["M"], market="M", returns_unit="pct")


# -- CRSP codes in the market's file, a column twice --------------------------------------------------

def test_crsp_codes_in_market_returns_are_missing_never_a_return(wide, tmp_path):
    market = tmp_path / "market.csv"
    values = wide["^GSPC"].map(lambda v: f"{v:.6f}").to_numpy(dtype=object)
    values[10], values[20] = "-99", "C"
    pd.DataFrame({"date": wide.index, "return": values}).to_csv(market, index=False)
    with pytest.warns(DataQualityWarning, match="2 value.*missing-return codes"):
        series = read_market_series(market)
    assert series.iloc[[10, 20]].isna().all() and series.min() > -0.1


def test_a_security_column_given_twice_is_an_error_naming_it(wide, tmp_path, capsys):
    path = tmp_path / "dup.csv"
    frame = wide.reset_index()[["date", "FB", "JPM", "^GSPC"]]
    frame.insert(3, "FB ", frame["JPM"])
    frame.to_csv(path, index=False)
    text = path.read_text().replace("FB ,", "FB,", 1)
    path.write_text(text)
    assert main(["run", "FB", "2018-08-06", "--returns", str(path), "--market", "^GSPC"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "names column(s) 'FB' more than once" in err
    with pytest.raises(DataError, match="names column\\(s\\) 'FB' more than once"):
        load_panel(pd.concat([wide, wide[["FB"]]], axis=1), ["FB"], market="^GSPC")


def test_frames_given_to_longrun_follow_the_same_rule():
    """A returns frame and a market Series in percent: refused, and declared they give the
    decimal numbers (build_panel's frame path)."""
    from eventstudy.studies.longrun import run_long_horizon

    rng = np.random.default_rng(0)
    days = pd.bdate_range("2017-01-02", periods=300)
    returns = pd.DataFrame(rng.normal(0.0005, 0.02, (300, 4)), index=days, columns=list("ABCD"))
    market = pd.Series(rng.normal(0.0003, 0.01, 300), index=days, name="M")
    events = pd.DataFrame({"ticker": list("ABCD"), "event_date": ["2017-06-01"] * 4})
    decimal = run_long_horizon(events, (0, 20), returns=returns, market=market, n_bootstrap=10, seed=1)
    percent = run_long_horizon(events, (0, 20), returns=returns * 100, market=market * 100,
                               returns_unit="percent", n_bootstrap=10, seed=1)
    np.testing.assert_allclose(percent.to_frame()["bhar"], decimal.to_frame()["bhar"], rtol=1e-12)
    with pytest.raises(DataError, match="column 'M' looks like percent.*--market-unit percent"):
        run_long_horizon(events, (0, 20), returns=returns, market=market * 100, n_bootstrap=10)
