"""The JSON text built column by column (:mod:`eventstudy.studies.json_records`) is, byte for
byte, orjson's text of the same records as Python dicts, whatever the values: texts with
quotes, commas, backslashes, newlines and non-ASCII letters, missing values, numbers that are
not finite, chunks of any size."""

from __future__ import annotations

import io

import numpy as np
import orjson
import pandas as pd
import pytest

from eventstudy.calendar import Window
from eventstudy.engine.single import EventStudy
from eventstudy.events import accounting_frame
from eventstudy.studies.json_records import JsonRecords
from eventstudy.studies.multi_result import MultiEventResult, window_label

#: Texts whose JSON has quotes, commas and '","' inside strings, escapes, non-ASCII letters.
NASTY = ['a","b', 'x",', '"', '\\', 'back\\"slash', 'new\nline', 'tab\t', "é ü", "", ",", "\x00",
         '","', "plain"]


@pytest.mark.parametrize("texts", [NASTY, ["AAPL", "FB", "JPM"]], ids=["nasty", "plain"])
def test_records_equal_orjson_of_the_dicts_byte_for_byte(texts):
    rng = np.random.default_rng(7)
    n = 40
    text = [texts[i] for i in rng.integers(0, len(texts), n)]
    floats = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 20, n)
    floats[[1, 5, 9]] = [np.nan, np.inf, -0.0]
    nullable = pd.array([None if i % 3 == 0 else int(i * 7) for i in range(n)], dtype="Int64")
    day = pd.Categorical.from_codes(rng.integers(-1, 2, n), ["2018-08-06", "2018-08-07"])
    flags = rng.random(n) < 0.5
    table = JsonRecords([
        ('{"row":', np.arange(n, dtype=np.int64), True),
        (',"text":', pd.array(text, dtype="str"), False),
        (',"x":', floats, True),
        (',"day0":', day, False),
        (',"flag":', flags, False),
        (',"bools":', flags, True),
        (',"dup":', nullable, False),
        (',"windows":[{"start":-1,"end":1,"car":', floats[::-1], True),
    ], "}]}")
    reversed_floats = floats[::-1].tolist()
    expected = [  # the records as dicts, for orjson
        {"row": i, "text": text[i], "x": float(floats[i]),
         "day0": None if pd.isna(day[i]) else day[i], "flag": bool(flags[i]), "bools": bool(flags[i]),
         "dup": None if pd.isna(nullable[i]) else int(nullable[i]),
         "windows": [{"start": -1, "end": 1, "car": reversed_floats[i]}]}
        for i in range(n)
    ]
    for size in (n, 3, 7, 1):
        for lo in range(0, n, size):
            assert table.text(slice(lo, lo + size)) == orjson.dumps(expected[lo : lo + size])[1:-1]
    assert table.text(slice(n, n + 5)) == b""


def small_result(windows: tuple[Window, ...]) -> MultiEventResult:
    """A result made by hand (no data): nasty tickers, dates, reasons, lost days, two exchanges."""
    rng = np.random.default_rng(3)
    n_rows, studied = 30, np.arange(0, 30, 2)
    table = pd.DataFrame({"ticker": [NASTY[i % len(NASTY)] for i in range(n_rows)],
                          "event_date": [f"2018-08-{1 + i % 28:02d}" for i in range(n_rows)]})
    status = np.full(n_rows, "skipped", dtype=object)
    status[studied] = "studied"
    status[1] = "duplicate"
    reason = np.array([f'why "{i}", \\ é' if s == "skipped" else "" for i, s in enumerate(status)],
                      dtype=object)
    day0 = pd.to_datetime(table["event_date"]).to_numpy().copy()
    day0[status == "skipped"] = np.datetime64("NaT")
    duplicate_of = np.where(status == "duplicate", 0, -1)
    lost = np.where(status == "studied", rng.integers(0, 5, n_rows), -1)
    accounting = accounting_frame(table, status, reason, day0, duplicate_of, lost)
    accounting.insert(2, "exchange", np.where(np.arange(n_rows) % 3, "XNYS", "XLON").astype(object))
    study = EventStudy(estimation=(-100, -11), window=(-2, 2))
    days = list(study.window.days)
    events = pd.DataFrame({
        "ticker": table["ticker"].to_numpy(dtype=object)[studied],
        "market": "^GSPC", "exchange": accounting["exchange"].to_numpy()[studied],
        "market_default": rng.random(len(studied)) < 0.5,
        "event_date": table["event_date"].to_numpy(dtype=object)[studied],
        "day0": day0[studied], "df": 88.0,
    }, index=pd.Index(studied, name="row"))
    for w, window in enumerate(windows):
        suffix = "" if w == 0 else window_label(window)
        for name in ("car", "car_se", "car_t", "car_p", "car_sq_p"):
            events[name + suffix] = rng.standard_normal(len(studied))
        events.loc[events.index[2], "car_sq_p" + suffix] = np.nan
    abnormal = pd.DataFrame(rng.standard_normal((len(studied), len(days))) / 100,
                            index=events.index, columns=pd.Index(days, name="rel_day"))
    return MultiEventResult(study=study, car_windows=windows, events=events, abnormal=abnormal,
                            abnormal_se=abnormal.abs() + 0.01, accounting=accounting, tests=())


@pytest.mark.parametrize("windows", [(Window(-1, 1),),
                                     (Window(-1, 1), Window(0, 0), Window(-2, 2))],
                         ids=["one window", "three windows"])
def test_write_json_is_orjson_of_the_result_dict_byte_for_byte(windows):
    result = small_result(windows)
    stream = io.BytesIO()
    result.write_json(stream, chunk=4)
    payload = result.to_dict()  # the records as Python dicts
    ordered = {}
    for key, value in payload.items():  # write_json puts the events after n_events
        if key != "events":
            ordered[key] = value
        if key == "n_events":
            ordered["events"] = payload["events"]
    assert stream.getvalue() == orjson.dumps(ordered, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
    rows = orjson.loads(stream.getvalue())["accounting"]["rows"]
    assert [r["estimation_days_lost"] for r in rows] == [
        None if pd.isna(v) else int(v) for v in result.accounting["estimation_days_lost"]]
    assert [r["ticker"] for r in rows] == result.accounting["ticker"].tolist()
