r"""Users' own panels: daily returns or prices of many securities from CSV or Parquet files.

A researcher's data come as files: CRSP daily stock files (``permno, date, ret``), vendor
exports, prices downloaded once; tens of millions of rows. :func:`load_panel` reads such a file
and returns the returns the study needs, as a dates x securities frame on the market's trading
days, reading only the securities and the dates the events need.

Layouts (recognised from the header)
------------------------------------
- long: one row per security and date, columns ``ticker,date,return`` (or ``ticker,date,price``
  for a price panel); other names are mapped with ``columns=(ID, DATE, VALUE)``, e.g.
  ``("permno", "date", "ret")``. Ids may be text or integers. The market is one more id of the
  panel, or one more column holding one value per date (CRSP's ``vwretd`` beside ``ret``), or
  its own file.
- wide: ``date`` then one column per security.

Files are CSV (also ``.csv.gz``) or Parquet, read by `DuckDB <https://duckdb.org>`_: one
engine for both formats, with the id and date filters applied inside the scan (a Parquet file's
columns are read row group by row group, and a million-event study of a 50-million-row file
never holds the file whole), and a parallel CSV reader.

Values
------
- Returns are decimals (0.0445 for 4.45%), or percent when declared (``returns_unit`` /
  ``market_unit``, ``--returns-unit percent`` / ``--market-unit percent``). A security's or the
  market's returns whose median absolute value exceeds 0.1, or a return below -100%, are an
  error naming the column (:mod:`eventstudy.data.units`), before anything is computed.
- CRSP's missing-return codes (-66, -77, -88, -99 and letter codes such as ``B`` or ``C``) are
  missing values, never numbers; how many were seen is reported.
- Prices give simple returns between consecutive trading days (a missing price leaves that
  day's and the next day's return missing, as for the snapshot); a negative price is CRSP's
  bid/ask average and counts by its absolute value (reported).
- Duplicated ``(id, date)`` rows and unparseable dates or values are errors that name the file,
  the column and examples of the rows. Unsorted rows are fine (the panel is sorted). Rows on
  dates without a market return are not used, and counted in a warning.

Dates are ``YYYY-MM-DD`` text, dates or timestamps, or ``YYYYMMDD`` integers (CRSP). A date is
the calendar date written, whatever the machine's time zone: ``2018-08-06T00:00:00+09:00`` in a
CSV is 6 August; a Parquet timestamp with a time zone is taken at midnight UTC only, and refused
at any other time (the day it stands for depends on a zone the file does not keep).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.panel_file import (
    _ZONED_REFUSED,
    MISSING_CODES,
    VALUE_NAMES,
    ZONED,
    PanelFile,
    PanelReader,
    PanelStats,
    _check_path,
    _connect,
    _date_expression,
    _describe,
    _numeric,
    _quote,
    _reader,
    _scatter,
    _zoned_text,
)
from eventstudy.data.units import check_returns_unit, check_unit_name, to_decimals
from eventstudy.exceptions import DataError, DataQualityWarning, ParameterError

#: Median absolute daily risk-free rate above which it looks like percent (0.25% a day, about
#: 87% a year: a daily rate is some 40 times smaller than a daily return's move).
RF_PERCENT_MEDIAN = 0.0025


def read_market_series(path: str | os.PathLike[str], *, parameter: str = "market_returns",
                       unit: str = "decimal") -> pd.Series:
    """A market (or any single) return series from its own file: a date column and one value
    column (``return`` or the file's only other column), CSV or Parquet, in decimals or
    percent (``unit``). CRSP's missing-return codes are missing values (counted in a warning);
    the unit rule of :mod:`eventstudy.data.units` applies."""
    check_unit_name(unit, "market_unit")
    file = _check_path(path, parameter)
    con = _connect()
    try:
        header = _describe(con, file, parameter)
        names = [n for n, _ in header]
        lower = {n.lower(): n for n in names}
        date = lower.get("date")
        others = [n for n in names if n != date]
        value = next((lower[n] for n in VALUE_NAMES["returns"] if n in lower), None)
        if value is None and len(others) == 1:
            value = others[0]
        if date is None or value is None:
            raise DataError(f"{parameter}: {file} has columns {names[:8]}; give a file with "
                            "columns date,return")
        types = dict(header)
        as_text = _zoned_text(file, header, date)
        date_type = "VARCHAR" if as_text else types[date]
        sql = (f"SELECT {_date_expression(date, date_type)} AS date, CAST({_quote(date)} AS "
               f"VARCHAR) AS date_text, "
               + (f"CAST({_quote(value)} AS DOUBLE)" if _numeric(types[value])
                  else f"TRY_CAST(TRIM(CAST({_quote(value)} AS VARCHAR)) AS DOUBLE)")
               + f" AS value, CAST({_quote(value)} AS VARCHAR) AS raw FROM {_reader(file, as_text=as_text)}")
        frame = con.execute(sql).fetchdf()
    finally:
        con.close()
    bad_date = frame[frame["date"].isna() & frame["date_text"].notna()]
    if len(bad_date):
        examples = ", ".join(map(str, bad_date["date_text"].head(3)))
        if date_type == ZONED:
            raise DataError(f"{parameter}: {file} column {date!r} {_ZONED_REFUSED} (e.g. {examples})")
        raise DataError(f"{parameter}: {file} column {date!r} has dates that do not parse "
                        f"(e.g. {examples})")
    raw_text = frame["raw"].astype(str).str.strip()
    letters = frame["raw"].notna() & raw_text.str.fullmatch("[A-Za-z]")
    bad_value = frame[frame["value"].isna() & frame["raw"].notna() & (raw_text != "") & ~letters
                      & ~raw_text.str.upper().isin(["NA", "NAN", "NULL", "."])]
    if len(bad_value):
        raise DataError(f"{parameter}: {file} column {value!r} has values that are not numbers "
                        f"(e.g. {', '.join(map(str, bad_value['raw'].head(3)))})")
    series = pd.Series(frame["value"].to_numpy(dtype=float),
                       index=pd.DatetimeIndex(frame["date"]).astype("datetime64[ns]"), name="market")
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][:3]
        raise DataError(f"{parameter}: {file} has repeated dates ({', '.join(f'{d:%Y-%m-%d}' for d in dup)})")
    if np.isinf(series.to_numpy()).any():
        raise DataError(f"{parameter}: {file} has infinite values")
    coded = series.isin(MISSING_CODES).to_numpy()
    n_codes = int(coded.sum() + letters.sum())
    if n_codes:
        series[coded] = np.nan
        warnings.warn(f"{parameter} {file}: {n_codes} value(s) are missing-return codes (CRSP's -66, "
                      "-77, -88, -99 or a letter): treated as missing", DataQualityWarning, stacklevel=3)
    series = pd.Series(to_decimals(series.to_numpy(), unit), index=series.index, name="market")
    series = series.sort_index()
    check_returns_unit(series.to_numpy(), [value], label=f"{parameter} {file}", column=None,
                       parameter="market_unit", unit=unit, dates=series.index)
    return series


def read_factors_file(
    path: str | os.PathLike[str], *, unit: str = "decimal", parameter: str = "factors"
) -> pd.DataFrame:
    """Daily factors from a file: ``date`` then factor columns named as French's (``Mkt-RF``,
    ``SMB``, ``HML``, ``RF``, ``Mom``, ``RMW``, ``CMA``), decimals or percent (``unit``); the
    unit rule of :mod:`eventstudy.data.units` applies to every factor (to ``RF`` times 40)."""
    if unit not in ("decimal", "percent"):
        raise ParameterError("factors_unit", unit, "choose 'decimal' or 'percent'")
    file = _check_path(path, parameter)
    con = _connect()
    try:
        header = _describe(con, file, parameter)
        lower = {n.lower(): n for n, _ in header}
        if "date" not in lower:
            raise DataError(f"{parameter}: {file} has no date column (columns {list(lower.values())[:8]})")
        date = lower["date"]
        as_text = _zoned_text(file, header, date)
        date_type = "VARCHAR" if as_text else dict(header)[date]
        reader = _reader(file, as_text=as_text)
        frame = con.execute(f"SELECT * REPLACE ({_date_expression(date, date_type)} AS {_quote(date)}), "
                            f"CAST({_quote(date)} AS VARCHAR) AS __date_text FROM {reader}").fetchdf()
    finally:
        con.close()
    raw = frame.pop("__date_text")
    index = pd.to_datetime(frame[date])
    if index.isna().any():
        bad = raw[index.isna()].head(3).tolist()
        if date_type == ZONED:
            raise DataError(f"{parameter}: {file} column {date!r} {_ZONED_REFUSED} (e.g. {bad})")
        raise DataError(f"{parameter}: {file} column {date!r} has dates that do not parse (e.g. {bad})")
    values = frame.drop(columns=[date]).apply(pd.to_numeric, errors="coerce")
    bad_cols = [c for c in values.columns if values[c].isna().any() and frame[c].notna().any()
                and values[c].isna().sum() > frame[c].isna().sum()]
    if bad_cols:
        raise DataError(f"{parameter}: {file} column {bad_cols[0]!r} has values that are not numbers")
    values.index = pd.DatetimeIndex(index, name="date")
    if values.index.has_duplicates:
        raise DataError(f"{parameter}: {file} has repeated dates")
    values = values.sort_index()
    if unit == "percent":
        values = values / 100.0
    returns = [c for c in values.columns if c != "RF"]
    label = f"{parameter} {file}"
    check_returns_unit(values[returns].to_numpy(dtype=float), returns, label=label, column=None,
                       parameter="factors_unit", unit=unit, dates=values.index)
    if "RF" in values.columns:
        check_returns_unit(values["RF"].to_numpy(dtype=float), ["RF"], label=label, column=None,
                           parameter="factors_unit", unit=unit, dates=values.index,
                           threshold=RF_PERCENT_MEDIAN)
    return values


@dataclass
class LoadedPanel:
    """Returns of the securities the events need, on the market's trading days."""

    returns: pd.DataFrame
    market: pd.Series
    ids: dict[str, str | None]
    stats: PanelStats

    @property
    def trading_days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.market.index)


def load_panel(
    panel: PanelFile | pd.DataFrame,
    ids: Sequence[str],
    *,
    market: str | None = None,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    day_range: Any = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
) -> LoadedPanel:
    """Returns of ``ids`` and the market from a user's panel, on the market's trading days.

    Parameters
    ----------
    panel
        A :class:`PanelFile` (a CSV or Parquet file), or a DataFrame of returns (dates x
        securities) already in memory.
    ids
        The securities the events name (text; integer ids are matched by value).
    market
        Id of the market series in the panel (e.g. CRSP's ``vwretd`` stored as one more id),
        when ``market_returns`` is not given.
    market_returns
        The market's returns: a Series, or a file with ``date,return``.
    day_range
        A function of the trading days returning ``(first, last)``: the dates the events need
        (reading stops there); default: every date.
    returns_unit, market_unit
        ``"decimal"`` (default) or ``"percent"``: the unit of the securities' returns and of the
        market's (default: ``returns_unit``). Either is checked by :mod:`eventstudy.data.units`.

    Raises
    ------
    DataError
        Besides unreadable files and values: returns that look like percent, or below -100%.

    Returns
    -------
    LoadedPanel
        ``returns`` (dates x ids, the ids as the events spell them; ids the panel does not hold
        are absent), the market series and what reading found (``stats``).
    """
    stats = PanelStats()
    check_unit_name(returns_unit, "returns_unit")
    # the option to name for the market of the panel: its own when given, else the panel's
    market_option = "returns_unit" if market_unit is None else "market_unit"
    market_unit = check_unit_name(returns_unit if market_unit is None else market_unit, "market_unit")
    if isinstance(panel, pd.DataFrame):
        return _from_frame(panel, ids, market, market_returns, stats, returns_unit, market_unit,
                           market_option)
    if panel.kind == "prices" and returns_unit != "decimal":
        raise ParameterError("returns_unit", returns_unit, "applies to a returns panel; a prices "
                             "panel gives its returns as decimals")
    reader = PanelReader(panel)
    try:
        canonical = reader.canonical_ids(list(dict.fromkeys(ids)))
        market_series, price_days = read_market(reader, market, market_returns, market_unit,
                                                market_option)
        days = pd.DatetimeIndex(market_series.index)
        first, last = (days[0], days[-1]) if day_range is None else day_range(days)
        matrix_days = days
        if panel.kind == "prices":  # prices from the trading day before the first return
            matrix_days = days if price_days is None else price_days
            first = matrix_days[max(0, int(matrix_days.searchsorted(first)) - 1)]
        present = [c for c in canonical.values() if c is not None]
        order_ids = list(dict.fromkeys(present))
        codes, dates, values = reader.read(order_ids, first, last)
        values = to_decimals(values, returns_unit)
        matrix = _scatter(codes, dates, values, order_ids, matrix_days, reader.stats, reader.label)
        if panel.kind == "returns":
            check_returns_unit(matrix, order_ids, label=reader.label, column=reader.layout.value,
                               parameter="returns_unit", unit=returns_unit, dates=matrix_days)
        frame = pd.DataFrame(matrix, index=matrix_days, columns=order_ids)
        if panel.kind == "prices":
            frame = frame.pct_change(fill_method=None).reindex(days)
        stats = reader.stats
        held = {order_ids[c] for c in np.unique(codes)}
        returns = frame[[c for c in order_ids if c in held]]
    finally:
        reader.close()
    _report(stats, panel)
    ids_map = {i: (c if c in held else None) for i, c in canonical.items()}
    # columns named as the events spell the ids
    rename: dict[str, str] = {}
    for original, c in ids_map.items():
        if c is not None and c != original:
            rename.setdefault(c, original)
    returns = returns.rename(columns=rename)
    returns.index = pd.DatetimeIndex(returns.index).astype("datetime64[ns]")
    return LoadedPanel(returns, market_series.astype(float), ids_map, stats)


def read_market(reader: PanelReader, market: str | None,
                market_returns: pd.Series | str | os.PathLike[str] | None, market_unit: str,
                market_option: str) -> tuple[pd.Series, pd.DatetimeIndex | None]:
    """The market's returns (their dates are the trading days): from ``market_returns``, or the
    panel's id or extra column ``market``, checked by the unit rule; for a prices panel also the
    days with a market price."""
    panel = reader.panel
    price_days = None
    if market_returns is not None:
        market_series = _market_returns(market_returns, market_unit)
    else:
        if market is None:
            raise ParameterError("market", None, "name the market series of the panel, or give "
                                 "--market-returns FILE")
        extra = [c for c in reader.layout.types
                 if reader.layout.kind == "long" and c not in
                 (reader.layout.id, reader.layout.date, reader.layout.value)]
        name = None if market in extra else reader.canonical_ids([market])[market]
        if market in extra:
            market_series = reader.column_series(market)
            market_series = _check_market(market_series, market_unit, reader.label, None,
                                          panel.kind, market_option)
        else:
            if name is None:
                raise _unknown_market(reader, market)
            codes, dates, values = reader.read_security(name)
            if len(codes) == 0:
                raise _unknown_market(reader, market)
            order = np.argsort(dates, kind="stable")
            market_series = pd.Series(values[order], index=pd.DatetimeIndex(
                dates[order].astype("datetime64[ns]")), name=market)
            if market_series.index.has_duplicates:
                repeated = market_series.index[market_series.index.duplicated()][:3]
                raise DataError(f"{reader.label}: the market {market!r} has more than one row "
                                f"on {', '.join(f'{d:%Y-%m-%d}' for d in repeated)}")
            market_series = _check_market(market_series, market_unit, reader.label,
                                          reader.layout.value, panel.kind, market_option)
        if panel.kind == "prices":
            market_series = market_series[market_series.notna()]
            price_days = pd.DatetimeIndex(market_series.index)
            market_series = market_series.pct_change(fill_method=None).iloc[1:]
    market_series = market_series[market_series.notna()]
    if len(market_series) == 0:
        raise DataError(f"market: {market!r} has no returns in {reader.label}")
    return market_series, price_days


def load_whole_panel(
    panel: PanelFile | pd.DataFrame, market: str,
    market_returns: pd.Series | str | os.PathLike[str] | None = None,
    ids: Sequence[str] | None = None,
    returns_unit: str = "decimal",
    market_unit: str | None = None,
) -> LoadedPanel:
    """Every security of a panel (or the ``ids`` given) over all its dates: for designs that
    draw securities at random (:func:`eventstudy.studies.simulate.simulate`)."""
    if ids is None and isinstance(panel, PanelFile):
        reader = PanelReader(panel)
        try:
            ids = [i for i in reader.distinct_ids() if i != market]
        finally:
            reader.close()
    elif ids is None and isinstance(panel, pd.DataFrame):
        ids = [str(c) for c in panel.columns if str(c) != market]
    return load_panel(panel, list(ids or []), market=market, market_returns=market_returns,
                      returns_unit=returns_unit, market_unit=market_unit)


def _market_returns(market_returns: pd.Series | str | os.PathLike[str], unit: str) -> pd.Series:
    """The market's returns given apart from the panel (a Series or a file), as decimals."""
    if not isinstance(market_returns, pd.Series):
        return read_market_series(market_returns, unit=unit)
    series = pd.Series(to_decimals(pd.to_numeric(market_returns, errors="coerce").to_numpy(dtype=float), unit),
                       index=market_returns.index, name=market_returns.name)
    check_returns_unit(series.to_numpy(), [str(series.name or "market")], label="market_returns",
                       column=None, parameter="market_unit", unit=unit, dates=series.index)
    return series


def _check_market(series: pd.Series, unit: str, label: str, column: str | None, kind: str,
                  option: str = "market_unit") -> pd.Series:
    """The market's series read from the panel, as decimals and checked (a returns panel's);
    ``option`` is the one a message names (``returns_unit`` when the market's was not given)."""
    if kind != "returns":
        if unit != "decimal":
            raise ParameterError("market_unit", unit, "applies to returns; the market of a prices "
                                 "panel gives its returns as decimals")
        return series
    series = pd.Series(to_decimals(series.to_numpy(dtype=float), unit), index=series.index, name=series.name)
    check_returns_unit(series.to_numpy(), [str(series.name)], label=label, column=column,
                       parameter=option, unit=unit, dates=series.index)
    return series


def _unknown_market(reader: PanelReader, market: str) -> DataError:
    sample = ", ".join(reader.ids_sample())
    layout = reader.layout
    # a long panel's other columns can hold the market (CRSP's vwretd beside ret): point at them
    extra = [c for c in layout.types if c not in (layout.id, layout.date, layout.value)
             ] if layout.kind == "long" else []
    same = [c for c in extra if c.lower() == str(market).lower()]
    hint = (f"; its column {same[0]!r} holds one value per date: --market {same[0]} (names are "
            "case-sensitive)" if same else
            f"; a column of it can be the market, e.g. --market {extra[0]} (its columns: "
            f"{', '.join(extra)})" if extra else "")
    return DataError(
        f"market: {market!r} is not an id of {reader.label} (ids there include {sample}){hint}; "
        "name the market series with --market, or give its returns with --market-returns FILE"
    )


def _from_frame(frame: pd.DataFrame, ids: Sequence[str], market: str | None, market_returns: Any,
                stats: PanelStats, returns_unit: str, market_unit: str,
                market_option: str = "market_unit") -> LoadedPanel:
    repeated = pd.Index([str(c) for c in frame.columns])
    repeated = repeated[repeated.duplicated()].unique()
    if len(repeated):
        raise DataError(f"returns: the frame names column(s) {', '.join(map(repr, repeated[:5]))} more "
                        "than once; give each security (each column) once")
    if market_returns is not None:
        market_series = _market_returns(market_returns, market_unit)
    elif market is not None and market in frame.columns:
        market_series = _check_market(frame[market].astype(float), market_unit, "returns (the frame)",
                                      None, "returns", market_option)
    else:
        raise ParameterError("market", market, "name a column of the returns frame or give market_returns")
    columns = {str(c): c for c in frame.columns}
    ids_map = {i: (i if i in columns else None) for i in dict.fromkeys(ids)}
    held = [i for i, c in ids_map.items() if c is not None]
    values = to_decimals(frame[[columns[i] for i in held]].to_numpy(dtype=float), returns_unit)
    check_returns_unit(values, held, label="returns (the frame)", column=None, parameter="returns_unit",
                       unit=returns_unit, dates=frame.index)
    returns = pd.DataFrame(values, index=frame.index, columns=held)
    market_series = market_series.dropna().astype(float)
    return LoadedPanel(returns, market_series, ids_map, stats)


def _report(stats: PanelStats, panel: PanelFile) -> None:
    label = f"{panel.parameter} {panel.path}"
    if stats.missing_codes:
        warnings.warn(f"{label}: {stats.missing_codes} value(s) are missing-return codes (CRSP's "
                      "-66, -77, -88, -99 or a letter): treated as missing", DataQualityWarning,
                      stacklevel=3)
    if stats.negative_prices:
        warnings.warn(f"{label}: {stats.negative_prices} negative price(s), CRSP's bid/ask "
                      "average: their absolute value is used", DataQualityWarning, stacklevel=3)
    if stats.off_calendar:
        warnings.warn(f"{label}: {stats.off_calendar} row(s) fall on dates without a market "
                      "return and are not used", DataQualityWarning, stacklevel=3)
