"""Command-line habits: --version, bare command, python -m, quiet broken pipes, --plot paths,
messages in command-line terms, the tickers listing, and the --market warning."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eventstudy import __version__
from eventstudy.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"eventstudy {__version__}\n"


def test_bare_command_prints_usage_and_the_commands(capsys):
    status, out, err = run_cli(capsys)
    assert status == 2 and out == ""
    assert err.startswith("usage: eventstudy")
    for command in ("run", "batch", "fetch", "tickers"):
        assert f"\n    {command} " in err


def test_python_dash_m_eventstudy_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "eventstudy", "--version"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout == f"eventstudy {__version__}\n"


def test_a_reader_that_stops_early_gets_no_traceback():
    """`eventstudy run ... | head -3`: the pipe closes before the output is written."""
    proc = subprocess.Popen([sys.executable, "-m", "eventstudy", "run", "FB", "2018-08-06"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the program prints
    err = proc.stderr.read().decode()
    status = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err and err == ""
    assert status == 0  # a closed pipe is the reader's choice, not a failure


def test_plot_to_a_name_without_extension_writes_png_and_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--plot", "fb")
    assert status == 0 and err == ""
    assert (tmp_path / "fb.png").read_bytes()[:4] == b"\x89PNG"
    assert out.endswith("\nCharts written to fb.png\n")


def test_plot_to_a_folder_writes_inside_it(capsys, tmp_path):
    status, out, _ = run_cli(capsys, "run", "FB", "2018-08-06", "--plot", str(tmp_path))
    written = tmp_path / "FB_2018-08-06.png"
    assert status == 0 and written.read_bytes()[:4] == b"\x89PNG"
    assert out.endswith(f"Charts written to {written}\n")
    assert list(tmp_path.parent.glob(f"{tmp_path.name}.png")) == []


def test_plot_with_json_says_where_on_stderr(capsys, tmp_path):
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--json", "--plot", str(tmp_path / "a.png"))
    assert status == 0 and json.loads(out)["ticker"] == "FB"
    assert err == f"eventstudy: charts written to {tmp_path / 'a.png'}\n"


def test_empty_plot_path_is_rejected(capsys):
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--plot", "")
    assert status == 2 and out == ""
    assert err == "eventstudy: error: --plot: '' is not allowed; give a file such as fb.png or a folder\n"


def test_non_session_error_suggests_the_command_line_option(capsys):
    status, _, err = run_cli(capsys, "run", "FB", "2018-08-04", "--non-session", "raise")
    assert status == 2 and err.count("\n") == 1
    assert "choose --non-session next or previous" in err and "non_session=" not in err


@pytest.mark.parametrize(
    "ticker,hint",
    [("fb", "did you mean 'FB'?"), ("jpm", "did you mean 'JPM'?"),
     ("META", "the snapshot has it as 'FB' (FB traded until 2022-06-08")],
)
def test_unknown_ticker_suggests_the_snapshot_name(capsys, ticker, hint):
    status, _, err = run_cli(capsys, "run", ticker, "2018-08-06")
    assert status == 2 and err.count("\n") == 1 and hint in err


def test_tickers_lists_the_snapshot_and_the_cache(capsys, tmp_path):
    status, out, _ = run_cli(capsys, "tickers", "--cache-dir", str(tmp_path))
    lines = out.splitlines()
    from eventstudy import available_tickers

    snapshot = [line.split()[1] for line in lines if line.startswith("snapshot")]
    assert status == 0 and snapshot == available_tickers()
    assert "snapshot  FB       2016-01-04..2019-12-31  1006 rows" in lines
    assert lines[-1] == f"cache     (empty: {tmp_path})"


def test_tickers_shows_what_the_cache_holds(capsys, tmp_path):
    import pandas as pd

    from eventstudy.data.cache import CacheEntry, TableCache

    frame = pd.DataFrame({"Adj Close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2022-01-03", "2022-01-04"]))
    covered = [(pd.Timestamp("2022-01-03"), pd.Timestamp("2022-01-04"))]
    TableCache(tmp_path, "prices").write("META", CacheEntry(frame=frame, covered=covered))
    status, out, _ = run_cli(capsys, "tickers", "--cache-dir", str(tmp_path))
    assert status == 0 and "cache     META     2022-01-03..2022-01-04  2 rows" in out.splitlines()


@pytest.mark.parametrize("model", ["ff3", "carhart", "ff5", "constant_mean"])
def test_market_given_to_a_model_that_ignores_it_warns(capsys, model):
    status, out, err = run_cli(capsys, "run", "FB", "2018-08-06", "--model", model, "--market", "SPY")
    assert status == 0
    assert err.startswith("eventstudy: warning: --market SPY: the ") and "does not use the market's returns" in err
    assert "(trading days only: the model does not use its returns)" in out
    status, _, err = run_cli(capsys, "run", "FB", "2018-08-06", "--model", model)
    assert status == 0 and err == ""  # the default market is not the user's choice: no warning


def test_market_given_to_the_market_model_does_not_warn(capsys):
    status, _, err = run_cli(capsys, "run", "FB", "2018-08-06", "--market", "SPY")
    assert status == 0 and err == ""


def test_batch_plot_to_a_folder_is_named_after_the_events_file(capsys, tmp_path):
    events = tmp_path / "banks.csv"
    events.write_text("ticker,event_date\nJPM,2018-05-02\nWFC,2018-10-12\n")
    charts = tmp_path / "charts"
    charts.mkdir()
    status, out, _ = run_cli(capsys, "batch", str(events), "--plot", str(charts))
    assert status == 0 and (charts / "banks.png").read_bytes()[:4] == b"\x89PNG"
    assert out.endswith(f"Charts written to {charts / 'banks.png'}\n")


def test_messages_name_the_command_line_options(capsys, tmp_path):
    """Library parameter names (resample_size, same_date, events) reach the terminal as options."""
    events = tmp_path / "ev.csv"
    events.write_text("ticker,event_date\nJPM,2018-08-06\nWFC,2018-08-06\nC,2018-08-06\n")
    status, out, _ = run_cli(capsys, "longrun", str(events), "--horizon", "0", "10", "--bootstrap", "100")
    assert status == 0 and "--resample-size" in out and "give resample_size" not in out
    status, _, err = run_cli(capsys, "simulate", "--same-date", "--events", "20", "--samples", "5")
    assert status == 2 and err.startswith("eventstudy: error: --events: 20 is not allowed; with --same-date,")


def test_simulate_help_reads_as_text():
    proc = subprocess.run([sys.executable, "-m", "eventstudy", "simulate", "--help"], capture_output=True,
                          text=True, check=True)
    text = " ".join(proc.stdout.split())
    assert "95% interval" in text and "%%" not in text
    assert "or your own panel with --returns / --prices" in text
    assert "the one-sided rates are those of the same test at level ALPHA in each tail" in text


def test_human_slips_get_the_form_wanted(capsys, tmp_path):
    status, _, err = run_cli(capsys, "run", "FB", "2018-08-06", "--window", "-1,1")
    assert status == 2 and err == ("eventstudy: error: --window: '-1,1' is not allowed; give two "
                                   "numbers: --window -1 1\n")
    status, _, err = run_cli(capsys, "run", "FB", "2018-08-06", "--windw", "-1", "1")
    assert status == 2 and err == ("eventstudy: error: unrecognized option '--windw' for eventstudy run; "
                                   "did you mean '--window'?\n")
    events = tmp_path / "ev.csv"
    events.write_text("ticker,event_date\nJPM,2018-8-6\nWFC,2018-08-06\nC,2018-8-06\n")
    status, _, err = run_cli(capsys, "batch", str(events), "--tests", "patel")
    assert status == 2 and err.rstrip().endswith("; did you mean 'patell'?")
    # dates without leading zeros are dates: the same day 0 as the padded spelling
    status, out, _ = run_cli(capsys, "batch", str(events), "--json")
    assert status == 0
    rows = json.loads(out)["accounting"]["rows"]
    assert [r["day0"] for r in rows] == ["2018-08-06"] * 3 and json.loads(out)["n_events"] == 3
    status, out, _ = run_cli(capsys, "run", "FB", "2018-8-6", "--json")
    assert status == 0 and json.loads(out)["day0"] == "2018-08-06"
