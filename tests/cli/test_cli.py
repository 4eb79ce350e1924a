"""The command line: JSON against an independent computation, the table, and every bad request."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from numpy.testing import assert_allclose

from eventstudy.cli import main
from independent import reference_study


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_flagship_json_matches_independent_computation_to_1e9(capsys, data_dir):
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--json")
    assert status == 0 and err == ""
    payload = json.loads(out)  # exactly one JSON object: json.loads rejects trailing text
    ref = reference_study(data_dir, "FB", dt.date(2018, 8, 6))
    assert payload["ticker"] == "FB" and payload["market"] == "^GSPC" and payload["model"] == "market"
    assert payload["event_date"] == payload["day0"] == "2018-08-06"
    est = payload["estimation"]
    assert (est["start"], est["end"]) == (str(ref.estimation_dates[0]), str(ref.estimation_dates[-1]))
    assert (est["n"], est["df"]) == (240, 238)
    assert abs(est["sigma"] - ref.sigma) < 1e-12
    assert set(est["params"]) == {"alpha", "beta"}
    assert abs(est["params"]["alpha"] - ref.params["alpha"]) < 1e-12
    assert abs(est["params"]["beta"] - ref.params["beta"]) < 1e-9
    assert [d["rel_day"] for d in payload["days"]] == [-1, 0, 1]
    assert [d["date"] for d in payload["days"]] == ["2018-08-03", "2018-08-06", "2018-08-07"]
    day0 = payload["days"][1]
    # The acceptance criterion of the foundation issue: day-0 AR, its t and the CAR to 1e-9.
    assert abs(day0["abnormal"] - ref.abnormal[1]) < 1e-9
    assert abs(day0["t"] - ref.t[1]) < 1e-9
    assert abs(payload["car"]["value"] - ref.car) < 1e-9
    for key, value in [("return", ref.returns), ("expected", ref.expected), ("se", ref.se), ("p", ref.p)]:
        assert_allclose([d[key] for d in payload["days"]], value, rtol=1e-9, atol=1e-12)
    car = payload["car"]
    assert (car["start"], car["end"]) == (-1, 1)
    assert_allclose(
        [car["se"], car["t"], car["p"], car["ci_low"], car["ci_high"]],
        [ref.car_se, ref.car_t, ref.car_p, *ref.car_ci], rtol=1e-9,
    )
    # Returns are decimals, not percent.
    assert 0.04 < day0["return"] < 0.05


def test_json_shape_for_other_models(capsys):
    _, out, _ = run_cli(capsys, "run", "FB", "2018-08-06", "--json", "--model", "market_adjusted")
    assert json.loads(out)["estimation"]["params"] == {}
    _, out, _ = run_cli(capsys, "run", "FB", "2018-08-06", "--json", "--model", "constant_mean",
                        "--window", "-2", "3", "--estimation", "-100", "-3", "--market", "SPY")
    payload = json.loads(out)
    assert list(payload["estimation"]["params"]) == ["mu"]
    assert [d["rel_day"] for d in payload["days"]] == [-2, -1, 0, 1, 2, 3]
    assert payload["estimation"]["n"] == 98 and payload["market"] == "SPY"
    assert (payload["car"]["start"], payload["car"]["end"]) == (-2, 3)


def test_table_output_and_plot(capsys, tmp_path):
    path = tmp_path / "fb.png"
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--plot", str(path))
    assert status == 0 and err == ""
    assert "Event study of FB around 2018-08-06 (Monday)" in out
    assert "CAR(-1, +1) = +2.740%" in out
    assert "2018-08-06  +4.449%" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "capm4"], "model: 'capm4' is not allowed; choose one of constant_mean, market_adjusted, market, capm, ff3, carhart, ff5, scholes_williams, dimson"),
        (["--window", "2", "1"], "window: (2, 1) is not allowed; the window must not end before it starts (start <= end)"),
        (["--estimation", "-11", "-250"], "estimation: (-11, -250) is not allowed; the window must not end before it starts"),
        (["--estimation", "-250", "0"], "estimation: (-250, 0) is not allowed; the estimation window must not overlap the event window (-1, +1)"),
        (["--market", "NOPE"], "market: 'NOPE' has no data in the committed snapshot; available: AAPL, AMZN"),
        (["--level", "0"], "level: 0.0 is not allowed; give a confidence level strictly between 0 and 1"),
        (["--min-estimation", "241"], "--min-estimation: 241 is not allowed; give a whole number of returns from 3"),
        (["--plot", "/nonexistent-dir/x.png"], "--plot: cannot write '/nonexistent-dir/x.png'"),
    ],
)
def test_bad_options_exit_with_one_line(capsys, args, message):
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", *args)
    assert status == 2 and out == ""
    assert err.startswith("eventstudy: error: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize(
    "ticker,date,message",
    [
        ("FB", "06/08/2018", "event_date: '06/08/2018' is not allowed; give a calendar date as YYYY-MM-DD"),
        ("FB", "2018-08-32", "event_date: '2018-08-32' is not allowed"),
        ("XYZ", "2018-08-06", "ticker: 'XYZ' has no data in the committed snapshot; available: AAPL, AMZN"),
        ("FB", "2016-02-01", "event_date: '2016-02-01' has too little history: the windows start on day -250"),
        ("SNAP", "2017-04-03", "event_date: too little history for 'SNAP': the estimation window starts on"),
        ("FB", "2019-12-31", "event_date: '2019-12-31' has too few trading days after it: the windows end on day +1"),
        ("FB", "2021-01-04", "event_date: '2021-01-04' is after the last trading day with data (2019-12-31)"),
    ],
)
def test_bad_positional_arguments_exit_with_one_line(capsys, ticker, date, message):
    status, out, err = run_cli(capsys, "run", ticker, date)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "FB", "2018-08-06", "--window", "1"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --window: expected 2 arguments" in err


def test_installed_command_prints_no_traceback():
    """The console script as a user runs it: a bad request gives status 2 and one stderr line."""
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy", "run", "FB", "2018-08-06", "--window", "1", "0"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "eventstudy: error: window: (1, 0) is not allowed; the window must not end before it starts (start <= end)\n"
    )


@pytest.mark.parametrize("market", ["^GSPC", "SPY"])
def test_run_works_offline_for_every_snapshot_ticker(capsys, market):
    from eventstudy import available_tickers

    for ticker in available_tickers():
        if ticker == market:
            continue
        status, out, err = run_cli(capsys, "run", ticker, "2018-08-06", "--market", market, "--json")
        assert status == 0 and err == "", (ticker, err)
        payload = json.loads(out)
        assert payload["ticker"] == ticker and payload["market"] == market
        assert payload["estimation"]["n"] == 240 and len(payload["days"]) == 3
