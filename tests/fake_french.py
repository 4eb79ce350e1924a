"""Kenneth French's library as the tests serve it: the zip files of the daily factors in the
library's own layout (preamble, header, YYYYMMDD rows, copyright), built from the snapshot."""

from __future__ import annotations

import io
import zipfile

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

