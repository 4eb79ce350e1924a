"""Kenneth French's library as the tests serve it: the zip files of the daily factors in the
library's own layout (preamble, header, YYYYMMDD rows, copyright), built from the snapshot for
the US and drawn at random for the regions (:func:`regional_zip`)."""

from __future__ import annotations

import io
import urllib.error
import zipfile
import zlib

import numpy as np
import pandas as pd

from eventstudy.data.snapshot import FACTOR_FILES

PREAMBLE = {
    "ff3": "This file was created by CMPT_ME_BEME_RETS_DAILY using the 202407 CRSP database.\r\n"
           "The 1-month TBill return is from Ibbotson and Associates, Inc.\r\n\r\n",
    "ff5": "This file was created by CMPT_ME_BEME_OP_INV_RETS_DAILY using the 202407 CRSP database.\r\n"
           "The 1-month TBill return is from Ibbotson and Associates, Inc.\r\n\r\n",
    "mom": "This file was created by CMPT_ME_PRIOR_RETS_DAILY using the 202407 CRSP database.  It\r\n"
           "contains a momentum factor, constructed from six value-weight portfolios formed\r\n"
           "using independent sorts on size and prior return of NYSE, AMEX, and NASDAQ stocks.\r\n\r\n"
           "Missing data are indicated by -99.99 or -999.\r\n\r\n",
}
HEADER = {"ff3": ",Mkt-RF,SMB,HML,RF", "ff5": ",Mkt-RF,SMB,HML,RMW,CMA,RF", "mom": ",Mom   "}
MEMBER = {"ff3": "F-F_Research_Data_Factors_daily.CSV", "ff5": "F-F_Research_Data_5_Factors_2x3_daily.CSV",
          "mom": "F-F_Momentum_Factor_daily.CSV"}


def french_zip(data_dir, name: str, *, missing_on: str | None = None) -> bytes:
    """The library's zip, in its layout (preamble, header, YYYYMMDD rows, copyright), from the snapshot."""
    rows = (data_dir / "factors" / FACTOR_FILES[name]).read_text().splitlines()[1:]
    lines = []
    for row in rows:
        date, *values = row.split(",")
        if missing_on == date:
            values = ["-99.99"] * len(values)
        lines.append(date.replace("-", "") + "," + ",".join(f"{v:>8}" for v in values))
    text = PREAMBLE[name] + HEADER[name] + "\r\n" + "\r\n".join(lines) + "\r\n\r\nCopyright 2024 Kenneth R. French\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(MEMBER[name], text)
    return buffer.getvalue()



#: What the regional files begin with (the library builds them from Bloomberg's data).
REGIONAL_PREAMBLE = ("This file was created using the 202410 Bloomberg database.\r\n"
                     "Missing data are indicated by -99.99 or -999.\r\n\r\n")
REGIONAL_HEADER = {"ff3": ",Mkt-RF,SMB,HML,RF", "ff5": ",Mkt-RF,SMB,HML,RMW,CMA,RF", "mom": ",WML"}


def regional_table(region: str, name: str) -> pd.DataFrame:
    """The percent values a regional file holds in the fake library: drawn once per region and
    set (seeded by their names), on the weekdays from July 1990 (November for momentum) to 2019,
    rounded to two decimals as French prints them."""
    first = "1990-11-01" if name == "mom" else "1990-07-02"
    days = pd.bdate_range(first, "2019-12-31")
    rng = np.random.default_rng(zlib.crc32(f"{region} {name}".encode()))
    columns = REGIONAL_HEADER[name].split(",")[1:]
    values = {c: rng.normal(0.02, 0.9 if c in ("Mkt-RF", "WML") else 0.4, len(days)) for c in columns}
    if "RF" in values:
        values["RF"] = np.full(len(days), 0.01)
    return pd.DataFrame(values, index=days).round(2)


def regional_zip(region: str, name: str) -> bytes:
    """The library's zip of a regional set (``region`` as the file prefix, e.g. ``Europe``):
    preamble, header, rows, copyright; Japan's dates padded with spaces, as the library writes
    them."""
    table = regional_table(region, name)
    pad = "  " if region == "Japan" else ""
    lines = [f"{day:%Y%m%d}{pad}," + ",".join(f"{v:>8.2f}" for v in row)
             for day, row in zip(table.index, table.to_numpy())]
    text = (REGIONAL_PREAMBLE + REGIONAL_HEADER[name] + "\r\n" + "\r\n".join(lines)
            + "\r\n\r\nCopyright 2024 Eugene F. Fama and Kenneth R. French\r\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{region}_{'Mom_Factor' if name == 'mom' else name[2] + '_Factors'}_Daily.csv", text)
    return buffer.getvalue()


def serve_library(monkeypatch, data_dir) -> list[str]:
    """Replace the one network call of :mod:`eventstudy.data.french` by the fake library (US files
    from the snapshot, regional ones from :func:`regional_zip`); returns the URLs asked for."""
    from eventstudy.data import french

    asked: list[str] = []

    files = {french.french_file(name, region): (name, region)
             for region in french.REGIONS for name in french.FRENCH_FILES}

    def fetch_zip(url, timeout):
        asked.append(url)
        name, region = files.get(url.removeprefix(french.FRENCH_URL), (None, None))
        if name is None:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)  # type: ignore[arg-type]
        return french_zip(data_dir, name) if region == "us" else regional_zip(french.REGIONS[region], name)

    monkeypatch.setattr(french, "_fetch_zip", fetch_zip)
    return asked
