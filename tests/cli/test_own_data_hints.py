"""Own-data slips: the messages point at --columns, at the market column, at the delimiter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.cli.app import main


def _panels(tmp_path):
    days = pd.bdate_range("2017-01-02", periods=400)
    rng = np.random.default_rng(3)
    market = rng.normal(0, 0.01, len(days))
    long = pd.DataFrame({
        "permno": np.repeat([10001, 10002], len(days)), "date": np.tile(days.strftime("%Y%m%d"), 2),
        "ret": np.concatenate([market + rng.normal(0, 0.01, len(days)) for _ in range(2)]),
        "vwretd": np.tile(market, 2),
    })
    long.to_csv(tmp_path / "dsf.csv", index=False)
    wide = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "AAA": market, "MKT": market})
    wide.to_csv(tmp_path / "wide.csv", index=False)
    (tmp_path / "ev.csv").write_text(f"permno,event_date\n10001,{days[300]:%Y-%m-%d}\n")
    return days


def test_events_id_column_and_market_column_hints(tmp_path, capsys):
    days = _panels(tmp_path)
    # an events file naming its ids 'permno', against a wide panel: rename it, or --columns
    assert main(["batch", str(tmp_path / "ev.csv"), "--returns", str(tmp_path / "wide.csv"),
                 "--market", "MKT"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "to use its column 'permno' as the security id, name it ticker, or " \
        "give a long panel's columns with --columns permno,DATE,VALUE" in err
    # the market named in another case than the panel's column
    assert main(["run", "10001", f"{days[300]:%Y-%m-%d}", "--returns", str(tmp_path / "dsf.csv"),
                 "--columns", "permno,date,ret", "--market", "VWRETD"]) == 2
    err = capsys.readouterr().err
    assert "its column 'vwretd' holds one value per date: --market vwretd (names are case-sensitive)" in err
    # no --market at all: the default ^GSPC is no id, the column is offered
    assert main(["run", "10001", f"{days[300]:%Y-%m-%d}", "--returns", str(tmp_path / "dsf.csv"),
                 "--columns", "permno,date,ret"]) == 2
    assert "a column of it can be the market, e.g. --market vwretd" in capsys.readouterr().err
    assert main(["run", "10001", f"{days[300]:%Y-%m-%d}", "--returns", str(tmp_path / "dsf.csv"),
                 "--columns", "permno,date,ret", "--market", "vwretd"]) == 0
    capsys.readouterr()


def test_semicolon_separated_events_file_says_so(tmp_path, capsys):
    (tmp_path / "ev.csv").write_text("ticker;event_date\nFB;2018-08-06\nJPM;2018-08-06\n")
    assert main(["batch", str(tmp_path / "ev.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its first line is separated by ';', not ','" in err
