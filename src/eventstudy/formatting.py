"""How results are shown: text reports that display as themselves in a terminal and a notebook,
and the one place where numbers become text (decimals, percent, p-values, significance stars),
so the text summaries, the tables, the report and the notebooks agree. Part of the foundation:
it imports nothing of the package."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "MISSING",
    "NUMBER_DECIMALS",
    "P_DECIMALS",
    "PERCENT_DECIMALS",
    "RATIO_DECIMALS",
    "STARS",
    "STAT_DECIMALS",
    "T_DECIMALS",
    "SHARE_DECIMALS",
    "Summary",
    "SummaryBuilder",
    "aligned_columns",
    "count",
    "number",
    "percent",
    "preformatted_html",
    "pvalue",
    "share",
    "star_legend",
    "stars",
    "statistic",
]

#: Returns, ARs, CARs, CAARs, BHARs and alphas in percent: ``+0.122%``.
PERCENT_DECIMALS = 3
#: Plain numbers: abnormal log volume, coefficients: ``+0.0123``.
NUMBER_DECIMALS = 4
#: Test statistics: ``+2.345``.
STAT_DECIMALS = 3
#: t statistics of one event's AR or CAR: ``+2.97``.
T_DECIMALS = 2
#: Ratios (variance ratios, R^2): ``3.33``.
RATIO_DECIMALS = 2
#: p-values: ``0.0123``; below :math:`10^{-4}`: ``<0.0001``.
P_DECIMALS = 4
#: Shares in percent (events with a positive CAR): ``62.5``.
SHARE_DECIMALS = 1
#: What a number that cannot be computed shows.
MISSING = "n/a"
#: Significance stars: ``(threshold, stars)`` from the loosest to the strictest; a p-value below
#: a threshold earns its stars (``*`` 10%, ``**`` 5%, ``***`` 1%).
STARS: tuple[tuple[float, str], ...] = ((0.10, "*"), (0.05, "**"), (0.01, "***"))


def _finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def percent(value: float, decimals: int = PERCENT_DECIMALS, *, sign: bool = True,
            symbol: bool = True) -> str:
    """``0.00122`` -> ``+0.122%`` (``symbol=False``: ``+0.122``; ``sign=False``: ``0.122%``)."""
    if not _finite(value):
        return MISSING
    text = f"{float(value):{'+' if sign else ''}.{decimals}%}"
    return text if symbol else text[:-1]


def number(value: float, decimals: int = NUMBER_DECIMALS, *, sign: bool = True) -> str:
    """``0.0123`` -> ``+0.0123``."""
    if not _finite(value):
        return MISSING
    return f"{float(value):{'+' if sign else ''}.{decimals}f}"


def statistic(value: float, decimals: int = STAT_DECIMALS) -> str:
    """A test statistic, signed: ``+2.345``."""
    return number(value, decimals)


def pvalue(value: float, decimals: int = P_DECIMALS) -> str:
    """``0.0123``; a p-value that rounds below the last decimal is ``<0.0001``, never ``0.0000``."""
    if not _finite(value):
        return MISSING
    floor = 10.0 ** -decimals
    return f"<{floor:.{decimals}f}" if float(value) < floor else f"{float(value):.{decimals}f}"


def count(value: float) -> str:
    """A whole number: ``120``."""
    return f"{int(value):d}" if _finite(value) else MISSING


def share(value: float, decimals: int = SHARE_DECIMALS) -> str:
    """A fraction as a percentage without the sign: ``0.625`` -> ``62.5``."""
    return percent(value, decimals, sign=False, symbol=False)


def stars(p: float, levels: Sequence[tuple[float, str]] = STARS) -> str:
    """The stars ``p`` earns: the mark of the strictest threshold it is below (``""``: none)."""
    if not _finite(p):
        return ""
    earned = ""
    for threshold, mark in sorted(levels, reverse=True):
        if float(p) < threshold:
            earned = mark
    return earned


def star_legend(levels: Sequence[tuple[float, str]] = STARS) -> str:
    """``* p < 0.10, ** p < 0.05, *** p < 0.01``."""
    def level(threshold: float) -> str:
        return f"{threshold:.2f}" if round(threshold, 2) == threshold else f"{threshold:g}"

    return ", ".join(f"{mark} p < {level(threshold)}" for threshold, mark in sorted(levels, reverse=True))


class Summary(str):
    """A text report that displays as itself: ``print`` it, or leave it last in a notebook cell.

    In a notebook it is HTML: its text as monospaced lines, and its tables, when the report
    gives them (``parts``: text blocks and tables, in order; a table is anything with a pandas-like
    ``to_html``), as HTML tables, as statsmodels' ``Summary`` shows its tables."""

    parts: tuple[Any, ...] = ()

    def __new__(cls, text: str, parts: Sequence[Any] = ()) -> Summary:
        summary = super().__new__(cls, text)
        summary.parts = tuple(parts)
        return summary

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if not self.parts:
            return preformatted_html(self)
        return "".join(
            part.to_html(escape=True, border=0, classes="eventstudy-summary", index=_labelled(part.index))
            if hasattr(part, "to_html") else preformatted_html(str(part)) if str(part) else ""
            for part in self.parts
        )


class ShowsSummary:
    """A result that displays as its :meth:`summary`: ``print(result)`` shows the text, a notebook
    the HTML tables."""

    def summary(self) -> Summary:
        raise NotImplementedError

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _labelled(index: Any) -> bool:
    """Whether a table's rows carry labels worth showing: not the 0, 1, 2, ... of a plain frame."""
    return index.name is not None or type(index).__name__ != "RangeIndex"


class SummaryBuilder:
    """Writes a :class:`Summary`: lines of text, and tables given twice, as the lines the text
    shows (unchanged for the terminal) and as a frame of the same cell texts (shown in a notebook
    as an HTML table). The rows of a frame with a plain ``0, 1, ...`` index are shown without it.

    >>> report = SummaryBuilder()
    >>> report.text("Title")
    >>> report.columns({"test": ["t"], "p": ["0.0100"]}, left=("test",))
    >>> print(report.build())
    Title
      test       p
      t     0.0100
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._parts: list[Any] = []
        self._text_start = 0  # the first line not yet in a part

    def text(self, *lines: str) -> None:
        """Lines of text (an empty string: an empty line)."""
        self.lines.extend(lines)

    def table(self, frame: Any, lines: Sequence[str]) -> None:
        """A table: ``lines`` in the text, ``frame`` (pandas, cells as text) in a notebook."""
        self._close_text()
        self._parts.append(frame)
        self.lines.extend(lines)
        self._text_start = len(self.lines)

    def columns(self, columns: dict[str, list[str]], left: Sequence[str] = (), indent: str = "  ") -> None:
        """A table of text ``columns`` (name: cells), aligned in the text (see
        :func:`aligned_columns`), the same cells in a notebook."""
        import pandas as pd

        self.table(pd.DataFrame(columns, columns=list(columns)), aligned_columns(columns, left, indent))

    def coefficients(self, params: Any, bse: Any, tvalues: Any, pvalues: Any) -> None:
        """A regression's coefficient table (pandas Series by coefficient name): ``coef``
        (5 decimals, signed), ``se``, ``t`` (2 decimals) and ``p`` (:func:`pvalue`), one row per
        coefficient, the names flush left."""
        import pandas as pd

        table = pd.DataFrame({"coef": [f"{v:+.5f}" for v in params], "se": [f"{v:.5f}" for v in bse],
                              "t": [f"{v:+.2f}" for v in tvalues], "p": [pvalue(v) for v in pvalues]},
                             index=[str(name) for name in params.index])
        width = max(8, *(len(name) for name in table.index))
        self.table(table, [f"  {'':<{width}} {'coef':>11} {'se':>10} {'t':>8} {'p':>8}", *(
            f"  {name:<{width}} {coef:>11} {se:>10} {t:>8} {p:>8}"
            for name, (coef, se, t, p) in table.iterrows())])

    def summary(self, other: Summary) -> None:
        """Another report, its tables included."""
        self._close_text()
        self._parts.extend(other.parts or [str(other)])
        self.lines.extend(str(other).split("\n"))
        self._text_start = len(self.lines)

    def _close_text(self) -> None:
        block = "\n".join(self.lines[self._text_start:]).strip("\n")
        if block:
            self._parts.append(block)
        self._text_start = len(self.lines)

    def build(self) -> Summary:
        """The report: its text, and its parts for a notebook."""
        tail = "\n".join(self.lines[self._text_start:]).strip("\n")
        return Summary("\n".join(self.lines), [*self._parts, *([tail] if tail else [])])


def aligned_columns(columns: dict[str, list[str]], left: Sequence[str] = (), indent: str = "  ") -> list[str]:
    """Text ``columns`` (name: cells) as lines, the names as headers: each column as wide as its
    widest cell, ``left`` columns flush left, the others right, two spaces between."""
    widths = {k: max([len(k), *(len(v) for v in vs)]) for k, vs in columns.items()}
    cells = [list(columns)] + [list(row) for row in zip(*columns.values())]
    return [indent + "  ".join(
        c.ljust(widths[k]) if k in left else c.rjust(widths[k]) for k, c in zip(columns, row)
    ).rstrip() for row in cells]


def preformatted_html(text: str) -> str:
    """``text`` as monospaced HTML, so tables keep their columns in notebooks and reports."""
    return f'<pre style="font-family: monospace; white-space: pre">{html.escape(text, quote=False)}</pre>'
