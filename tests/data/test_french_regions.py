"""The French library's regional factors: file names, WML read as Mom, padded Japanese dates,
fetched once and cached like the US sets, and a European factor model of a London event."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import run_event_study
from eventstudy.cli import main
from eventstudy.data import french
from eventstudy.exceptions import DataError, EventStudyWarning, ParameterError
from fake_french import regional_table, serve_library
from fake_yahoo import FakeYahoo
from world import serve, sessions, world


@pytest.fixture
def library(monkeypatch, data_dir):
    return serve_library(monkeypatch, data_dir)


@pytest.mark.parametrize("region, prefix", [("europe", "Europe"), ("japan", "Japan"),
                                            ("developed_ex_us", "Developed_ex_US"),
                                            ("asia_pacific_ex_japan", "Asia_Pacific_ex_Japan")])
@pytest.mark.parametrize("name", ["ff3", "ff5", "mom"])
def test_a_regional_set_is_fetched_once_and_cached(library, tmp_path, region, prefix, name):
    online = french.get_factors(name, source="french", region=region, cache_dir=tmp_path)
    file = {"ff3": f"{prefix}_3_Factors_Daily_CSV.zip", "ff5": f"{prefix}_5_Factors_Daily_CSV.zip",
            "mom": f"{prefix}_Mom_Factor_Daily_CSV.zip"}[name]
    assert library == [french.FRENCH_URL + file]
    printed = regional_table(prefix, name)  # percent, as the file prints them; WML read as Mom
    expected = (printed / 100.0).rename(columns={"WML": "Mom"}).rename_axis("date")
    pd.testing.assert_frame_equal(online, expected, check_freq=False)
    library.clear()
    cached = french.get_factors(name, "2018-01-02", "2018-12-31", source="cache", region=region,
                                cache_dir=tmp_path)
    again = french.get_factors(name, "2018-01-02", "2018-12-31", source="auto", region=region,
                               cache_dir=tmp_path)
    assert library == [] and len(cached) == len(pd.bdate_range("2018-01-02", "2018-12-31"))
    pd.testing.assert_frame_equal(cached, again)
    assert (tmp_path / "factors" / f"{region}_{name}.csv").exists()


def test_regions_are_not_in_the_snapshot_and_names_are_checked(library, tmp_path):
    with pytest.raises(DataError, match="factors 'europe ff3': the snapshot keeps the US factors "
                                        "only; use source 'cache'"):
        french.get_factors("ff3", source="snapshot", region="europe")
    with pytest.raises(DataError, match="cache: factors 'japan mom' are not in the cache .* "
                                        "`eventstudy fetch --factors --factor-region japan`"):
        french.get_factors("mom", source="cache", region="japan", cache_dir=tmp_path)
    with pytest.raises(ParameterError, match="factor_region: 'mars' is not allowed; choose one of us, "
                                             "developed"):
        french.get_factors("ff3", source="french", region="mars", cache_dir=tmp_path)
    assert french.region_of("XLON") == "europe" and french.region_of("XTKS") == "japan"
    with pytest.raises(ParameterError, match="no region for XSHG"):
        french.region_of("XSHG")


def test_fetch_command_fills_the_cache_with_a_region(library, tmp_path, capsys):
    assert main(["fetch", "^FTSE", "--start", "2018-01-02", "--end", "2018-01-05", "--factors",
                 "--factor-region", "europe", "--cache-dir", str(tmp_path)]) == 1  # no Yahoo here
    out = capsys.readouterr().out
    assert "factors europe ff3: fetched from the French library" in out
    assert (tmp_path / "factors" / "europe_mom.csv").exists()


def test_a_london_event_on_european_factors(library, monkeypatch, tmp_path, capsys):
    """Fama-French three factors of Europe for HSBA.L: the regression of its excess returns on
    the regional factors by least squares, on London's sessions."""
    serve(FakeYahoo().install(monkeypatch, tmp_path))
    result = run_event_study("HSBA.L", "2018-05-08", model="ff3", factor_region="europe",
                             source="yahoo", cache_dir=tmp_path / "cache")
    factors = regional_table("Europe", "ff3") / 100.0
    prices = world().loc[lambda f: f["ticker"] == "HSBA.L"].set_index("date")["adj_close"]
    both = prices[prices.index.isin(sessions("XLON"))]
    returns = (both / both.shift(1) - 1).iloc[1:]
    p = returns.index.get_loc(pd.Timestamp("2018-05-08"))
    est = returns.iloc[p - 250 : p - 10]
    f = factors.loc[est.index]
    x = np.column_stack([np.ones(len(est)), f[["Mkt-RF", "SMB", "HML"]]])
    coef = np.linalg.lstsq(x, est.to_numpy() - f["RF"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(result.params.to_numpy(), coef, rtol=0, atol=1e-10)
    # the US factors for a London event: the command line says which region to use
    assert main(["run", "HSBA.L", "2018-05-08", "--model", "ff3", "--source", "auto",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    err = capsys.readouterr().err
    assert ("eventstudy: warning: factors: the Fama-French 3-factor model of events on XLON uses "
            "the US factors; --factor-region europe (or auto) gives the library's europe factors") in err
    with pytest.warns(EventStudyWarning, match="uses the US factors"):
        run_event_study("HSBA.L", "2018-05-08", model="ff3", source="auto",
                        cache_dir=tmp_path / "cache")


def test_auto_gives_each_exchange_its_region_in_a_batch(library, monkeypatch, tmp_path):
    from eventstudy.studies.multi import run_multi_event_study

    serve(FakeYahoo().install(monkeypatch, tmp_path))
    events = pd.DataFrame({"ticker": ["HSBA.L", "BARC.L", "8306.T", "7203.T"],
                           "event_date": ["2018-05-08", "2018-06-12", "2018-05-07", "2018-07-02"]})
    multi = run_multi_event_study(events, model="ff3", factor_region="auto", source="yahoo",
                                  cache_dir=tmp_path / "cache")
    for row, region, exchange in ((0, "europe", "XLON"), (2, "japan", "XTKS")):
        single = run_event_study(events.at[row, "ticker"], events.at[row, "event_date"], model="ff3",
                                 factor_region=region, source="cache", cache_dir=tmp_path / "cache")
        np.testing.assert_allclose(multi.abnormal.loc[row], single.days["abnormal"], rtol=0, atol=1e-10)
        assert multi.events.loc[row, "exchange"] == exchange
    asked = {url.removeprefix(french.FRENCH_URL) for url in library}
    assert asked == {"Europe_3_Factors_Daily_CSV.zip", "Japan_3_Factors_Daily_CSV.zip"}
