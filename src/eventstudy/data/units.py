"""The unit of return columns: one rule for the securities, the market and the factors.

Returns are decimals (0.0445 for 4.45%). A file in percent studied as decimals gives numbers a
hundred times too large (a CAR of +274%, a beta of 0.0128) and exits normally, so the unit is
checked before anything is computed, for every column of returns a study reads:

* a column (a security of a wide panel, an id of a long one, the market series, a factor)
  whose median absolute value exceeds :data:`PERCENT_MEDIAN` (0.1, a median daily move of 10%)
  over at least :data:`MIN_VALUES` values is refused as looking like percent;
* a daily return below -100% (:data:`LOWEST_RETURN`) is refused: no security can lose more than
  everything in a day;
* a value beyond :data:`TOO_LARGE` (1e100) is a bad price, never a return: ``run`` refuses it,
  ``batch`` skips the security's events with the same message (:func:`too_large_columns`).

Both are errors naming the file, the column and the option that declares the unit
(``--returns-unit percent``, ``--market-unit percent``, ``--factors-unit percent``); a column
declared in percent is divided by 100 first (:func:`to_decimals`) and then checked the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError, ParameterError

UNITS = ("decimal", "percent")
#: Median absolute daily value above which a column looks like percent.
PERCENT_MEDIAN = 0.1
#: Fewest values of a column for its median to be judged.
MIN_VALUES = 20
#: The lowest possible simple daily return (a loss of everything).
LOWEST_RETURN = -1.0
#: Largest absolute value taken as a daily return: beyond it (or infinite), squares overflow and
#: the value is a bad price, never a return. The single-event run and the batch share the rule.
TOO_LARGE = 1e100


def too_large_message(what: str, value: float, day: object) -> str:
    """The one message of a return beyond :data:`TOO_LARGE` (``what``: whose return it is)."""
    return (f"returns: {what} is {value:.3g} on {pd.Timestamp(day):%Y-%m-%d}, too large to be a daily "
            "return (check the prices around that day: a price near 0 or infinity?)")


def too_large_columns(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: message}`` for the columns of a returns frame holding a value beyond
    :data:`TOO_LARGE` (the first such day named)."""
    values = frame.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        huge = np.isinf(values) | (np.abs(values) > TOO_LARGE)
    out = {}
    for j in np.flatnonzero(huge.any(axis=0)):
        i = int(np.argmax(huge[:, j]))
        name = str(frame.columns[j])
        out[name] = too_large_message(f"{name!r} return", float(values[i, j]), frame.index[i])
    return out


def check_unit_name(unit: object, parameter: str) -> str:
    if unit not in UNITS:
        raise ParameterError(parameter, unit, "choose 'decimal' or 'percent'")
    return str(unit)


def to_decimals(values: np.ndarray, unit: str) -> np.ndarray:
    """``values`` as decimals: divided by 100 when ``unit`` is ``"percent"``."""
    return values / 100.0 if unit == "percent" else values


def _option(parameter: str) -> str:
    return "--" + parameter.replace("_", "-")


def check_returns_unit(
    matrix: np.ndarray, names: Sequence[str], *, label: str, column: str | None,
    parameter: str, unit: str = "decimal", dates: Sequence[object] | None = None,
    threshold: float = PERCENT_MEDIAN,
) -> None:
    """Refuse returns that look like percent or fall below -100% (see the module docstring).

    Parameters
    ----------
    matrix
        Values as decimals, days x series (a 1-D array is one series).
    names
        The series' names (ids of a long panel, columns of a wide one, ``"market"``, ...).
    label
        Where the values come from, first in the message (``"returns panel.csv"``).
    column
        The file's column holding the values of every series (a long panel's ``ret``), or
        ``None`` when each series is its own column (a wide panel, a factors file).
    parameter
        The option declaring the unit: ``returns_unit``, ``market_unit`` or ``factors_unit``.
    unit
        The unit the values were declared in (for the message).
    dates
        The days of the rows, to name the day of a return below -100%.
    threshold
        The median absolute value above which a series looks like percent (lower for a
        risk-free rate, whose daily values are far smaller than a return's).
    """
    values = np.asarray(matrix, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    option = _option(parameter)

    def where(shown: list[str], more: bool = False) -> str:
        listed = ", ".join(map(repr, shown)) + (", ..." if more else "")
        if column:
            return f"column {column!r} ({'ids' if len(shown) > 1 else 'id'} {listed})"
        return f"column{'s' if len(shown) > 1 else ''} {listed}"

    finite = np.isfinite(values)
    counts = finite.sum(axis=0)
    judged = counts >= MIN_VALUES
    medians = np.zeros(values.shape[1])
    if judged.any():
        medians[judged] = np.nanmedian(np.where(finite[:, judged], np.abs(values[:, judged]), np.nan), axis=0)
    flagged = np.flatnonzero(judged & (medians > threshold))
    if not len(flagged) and not judged.any() and finite.sum() >= MIN_VALUES:
        pooled = float(np.median(np.abs(values[finite])))
        if pooled > threshold:
            flagged, medians = np.arange(values.shape[1]), np.full(values.shape[1], pooled)
    if len(flagged):
        shown = [str(names[i]) for i in flagged[:3]]
        median = float(np.max(medians[flagged]))
        if unit == "decimal":
            advice = f"returns are decimals (0.0445 for 4.45%): if they are in percent, give {option} percent"
        else:
            advice = f"even after dividing by 100 ({option} percent); check the file"
        verb = "looks" if column or len(shown) == 1 else "look"
        raise DataError(f"{label}: {where(shown, len(flagged) > 3)} {verb} like percent (median "
                        f"|value| {median:.3g}, above {threshold:g}); {advice}")
    with np.errstate(invalid="ignore"):
        below = values < LOWEST_RETURN
    if below.any():
        day, col = (int(v[0]) for v in np.nonzero(below))
        when = f" on {pd.Timestamp(dates[day]):%Y-%m-%d}" if dates is not None else ""
        hint = (f"; if the file is in percent, give {option} percent" if unit == "decimal"
                else "; check the file")
        raise DataError(
            f"{label}: {where([str(names[col])])} has {int(below.sum())} daily return(s) below -100% "
            f"({values[day, col]:.4g}{when}); returns are decimals (0.0445 for 4.45%){hint}")
