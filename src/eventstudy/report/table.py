"""A publication table and its writers: LaTeX (booktabs, siunitx), GitHub Markdown, HTML, Excel
(numbers as numbers with number formats, through openpyxl) and CSV (raw numbers).

A :class:`Table` keeps raw numbers (decimals, as in the JSON) and how each column is shown (its
*kind*); the text of every number comes from :mod:`eventstudy.formatting`, so the tables say what
the summaries and the report say. LaTeX, HTML and Excel go through pandas' ``Styler``
(``to_latex``, ``to_html``, ``to_excel``); Markdown, which ``Styler`` does not write, is built
here. The tables of each kind of study are made by :mod:`eventstudy.report.tables`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy import formatting as fmt
from eventstudy.exceptions import ParameterError

__all__ = ["Column", "KINDS", "TABLE_CSS", "TABLE_FORMATS", "Table", "check_table_path", "html_document",
           "latex_escape", "write_tables"]


@dataclass(frozen=True)
class Kind:
    """How a kind of number is shown: ``text`` (from :mod:`eventstudy.formatting`, without units,
    which the header carries) and ``excel`` (an Excel number format for the raw value)."""

    text: Callable[[float], str]
    excel: str


#: The kinds of numbers in tables. ``percent`` values are decimals shown in percent.
KINDS: dict[str, Kind] = {
    "percent": Kind(lambda v: fmt.percent(v, symbol=False), "+0.000%;-0.000%;0.000%"),
    "percent_se": Kind(lambda v: fmt.percent(v, sign=False, symbol=False), "0.000%"),
    "number": Kind(fmt.number, "+0.0000;-0.0000;0.0000"),
    "number_se": Kind(lambda v: fmt.number(v, sign=False), "0.0000"),
    "stat": Kind(fmt.statistic, "+0.000;-0.000;0.000"),
    "t": Kind(lambda v: fmt.statistic(v, fmt.T_DECIMALS), "+0.00;-0.00;0.00"),
    "p": Kind(fmt.pvalue, '[<0.0001]"<0.0001";0.0000'),
    "count": Kind(fmt.count, "0"),
    "share": Kind(fmt.share, "0.0%"),
    "u": Kind(lambda v: fmt.number(v, 1, sign=False), "0.0"),
    "ratio": Kind(lambda v: fmt.number(v, fmt.RATIO_DECIMALS, sign=False), "0.00"),
}

#: File extensions :func:`write_tables` writes.
TABLE_FORMATS = (".tex", ".md", ".html", ".xlsx", ".csv")


@dataclass(frozen=True)
class Column:
    """A column: ``key`` (its name in :attr:`Table.data`, CSV and Excel), ``header`` (shown in
    LaTeX, Markdown and HTML, units included) and ``kind`` (one of :data:`KINDS`)."""

    key: str
    header: str
    kind: str


@dataclass(frozen=True)
class Table:
    """One table of one or several studies side by side.

    Attributes
    ----------
    name
        Short name: the Excel sheet, the CSV ``table`` column, the LaTeX label ``tab:<name>``.
    caption
        Shown above the table.
    row_header
        Header of the row labels (``Window``, ``Day``, ...).
    columns
        Every column key that appears, with its header and kind.
    data
        Raw numbers: rows labelled by text, columns ``(panel, key)``; ``panel`` is ``""`` for a
        single study, else the study's label (:func:`eventstudy.report.tables.compare`).
    stars
        Same shape as ``data``: the significance stars of each cell (``""``: none).
    description
        Per panel, lines describing that study (sample, model, units).
    notes
        Lines shared by every panel: the tests' names, the stars' legend.
    """

    name: str
    caption: str
    row_header: str
    columns: tuple[Column, ...]
    data: pd.DataFrame
    stars: pd.DataFrame
    description: dict[str, tuple[str, ...]]
    notes: tuple[str, ...] = ()

    @property
    def panels(self) -> list[str]:
        return list(dict.fromkeys(self.data.columns.get_level_values(0)))

    @property
    def single(self) -> bool:
        return self.panels == [""]

    def _column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def lines_below(self) -> list[str]:
        """The description of each panel (prefixed by its label when there are several), then
        the notes."""
        lines = []
        for panel in self.panels:
            lines += [line if self.single else f"{panel}: {line}" for line in self.description.get(panel, ())]
        return lines + list(self.notes)

    def to_frame(self) -> pd.DataFrame:
        """The raw numbers; columns by key for one study, ``(panel, key)`` for several."""
        return self.data.droplevel(0, axis=1) if self.single else self.data.copy()

    def flat_frame(self) -> pd.DataFrame:
        """The raw numbers with one header row (``panel: key`` for several studies) and each
        column's stars, where it has any, in a text column ``<key> stars`` after it; the row
        labels in the first column. What the Excel and CSV files hold."""
        out: dict[str, Any] = {self.row_header: list(self.data.index)}
        for column in self.data.columns:
            name = column[1] if self.single else f"{column[0]}: {column[1]}"
            out[name] = self.data[column].to_numpy()
            if self.stars[column].ne("").any():
                out[f"{name} stars"] = self.stars[column].to_numpy()
        return pd.DataFrame(out)

    def _text(self, cell: Callable[[str, str, bool], str]) -> pd.DataFrame:
        """Each number as text: ``cell(text, stars, starred)`` joins the two (``starred``: some
        cell of the column has stars)."""
        out = {}
        for column in self.data.columns:
            show = KINDS[self._column(column[1]).kind].text
            starred = bool(self.stars[column].ne("").any())
            out[column] = [cell(show(v), mark, starred) for v, mark in zip(self.data[column], self.stars[column])]
        return pd.DataFrame(out, index=self.data.index, columns=self.data.columns)

    def _headers(self, escape: Callable[[str], str]) -> pd.Index:
        headers = [escape(self._column(key).header) for key in self.data.columns.get_level_values(1)]
        if self.single:
            return pd.Index(headers, name=escape(self.row_header))
        return pd.MultiIndex.from_arrays(
            [[escape(p) for p in self.data.columns.get_level_values(0)], headers],
            names=["", escape(self.row_header)])

    def to_latex(self, *, siunitx: bool = True, position: str | None = None) -> str:
        """A ``table`` float: booktabs rules, a caption and ``\\label{tab:<name>}``, the notes under
        the rules. With ``siunitx`` (default) the numeric columns are ``S`` columns whose
        ``table-format`` fits their numbers (signs, ``<`` of small p-values and stars included);
        the document needs ``\\usepackage{booktabs}`` and ``\\usepackage{siunitx}``."""

        def cell(text: str, mark: str, starred: bool) -> str:
            if text == fmt.MISSING:
                return "{" + text + "}" if siunitx else text
            return text + ("{" + mark + "}" if siunitx and mark else mark)

        cells = self._text(cell)
        cells.columns = self._headers(latex_escape)
        cells.index = [latex_escape(str(label)) for label in cells.index]
        if siunitx:
            plain = self._text(lambda text, mark, starred: text)
            spec = "l" + "".join(_siunitx_column(plain[c], self.stars[c])
                                 for c in self.data.columns)
        else:
            spec = "l" + "r" * len(self.data.columns)
        text = cells.style.to_latex(
            column_format=spec, hrules=True, siunitx=siunitx, multicol_align="c",
            caption=latex_escape(self.caption), label=f"tab:{self.name}", position=position,
            position_float="centering",
        )
        if not self.single:  # a rule under each study's label
            rules, start = [], 2
            for panel in self.panels:
                width = int((self.data.columns.get_level_values(0) == panel).sum())
                rules.append(f"\\cmidrule(lr){{{start}-{start + width - 1}}}")
                start += width
            first_header = text.index("\\multicolumn")
            end_of_row = text.index("\\\\\n", first_header) + 3
            text = text[:end_of_row] + " ".join(rules) + "\n" + text[end_of_row:]
        below = self.lines_below()
        if below:
            notes = "".join(f"{latex_escape(line)}\\par\n" for line in below)
            text = text.replace("\\end{table}",
                                "\\par\\smallskip{\\raggedright\\footnotesize\n" + notes + "}\n\\end{table}")
        return text

    def to_markdown(self) -> str:
        """A GitHub Markdown table: the caption in bold above, one header row (``study: column``
        for several studies), the notes below; ``|``, ``*``, ``_`` and backslashes escaped."""

        def escape(text: Any) -> str:
            return re.sub(r"([|*_\\`])", r"\\\1", str(text))

        cells = self._text(lambda text, mark, starred: text + mark)
        headers = [self._column(k).header if self.single else f"{p}: {self._column(k).header}"
                   for p, k in self.data.columns]
        lines = [f"**{escape(self.caption)}**", "",
                 "| " + " | ".join(escape(h) for h in [self.row_header, *headers]) + " |",
                 "|:---|" + "---:|" * len(headers)]
        lines += ["| " + " | ".join(escape(v) for v in [label, *row]) + " |"
                  for label, row in zip(cells.index, cells.itertuples(index=False))]
        below = self.lines_below()
        if below:
            lines += ["", *(escape(line) + "  " for line in below)]
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        """An HTML ``<table class="es-table">`` with its caption and the notes under it (style:
        :data:`TABLE_CSS`); stars in a ``<span class="es-stars">`` so the numbers stay aligned."""
        cells = self._text(lambda text, mark, starred: html.escape(text) + (
            f'<span class="es-stars">{mark}</span>' if starred else ""))
        cells.columns = self._headers(html.escape)
        cells.index = [html.escape(str(label)) for label in cells.index]
        body = (cells.style.set_uuid(re.sub(r"\W", "_", self.name))  # the table's id: T_<name>
                .set_caption(html.escape(self.caption)).set_table_attributes('class="es-table"').to_html())
        notes = "".join(f'<p class="es-note">{html.escape(line)}</p>' for line in self.lines_below())
        return f'<div class="es-table-block">\n{body}{notes}\n</div>'

    def to_excel(self, writer: Any, sheet_name: str | None = None) -> None:
        """One sheet (``sheet_name``, default :attr:`name`) of an ``openpyxl`` ``ExcelWriter``: the
        caption in A1, the table from row 3 with every number a number and each column's Excel
        number format (percent columns hold decimals shown in percent), the notes below."""
        sheet = (sheet_name or self.name)[:31]
        frame = self.flat_frame()
        formats = {}
        for column in self.data.columns:
            name = column[1] if self.single else f"{column[0]}: {column[1]}"
            formats[name] = KINDS[self._column(column[1]).kind].excel

        def number_format(series: pd.Series) -> list[str]:
            excel = formats.get(str(series.name))
            # pandas' CSS reader splits declarations at ';': the sections of a format are given with '§'
            return [f"number-format: {excel.replace(';', '§')}" if excel else ""] * len(series)

        frame.style.apply(number_format, axis=0).to_excel(writer, sheet_name=sheet, startrow=2, index=False)
        worksheet = writer.sheets[sheet]
        worksheet.cell(row=1, column=1, value=self.caption)
        below = worksheet.max_row + 2
        for i, line in enumerate(self.lines_below()):
            worksheet.cell(row=below + i, column=1, value=line)

    def csv_frame(self) -> pd.DataFrame:
        """:meth:`flat_frame` after a ``table`` column holding :attr:`name` (raw numbers)."""
        frame = self.flat_frame().rename(columns={self.row_header: "row"})
        frame.insert(0, "table", self.name)
        return frame

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write this table alone (see :func:`write_tables`)."""
        return write_tables([self], path)

    def _repr_html_(self) -> str:
        return f"<style>{TABLE_CSS}</style>{self.to_html()}"


def _siunitx_column(texts: pd.Series, stars: pd.Series) -> str:
    """An ``S`` column whose ``table-format`` fits ``texts``: a ``<`` comparator when a p-value is
    shown as ``<0.0001``, a sign when any number has one, the widest integer and decimal parts,
    and room for the stars after the numbers."""
    numbers = [t for t in texts if t != fmt.MISSING]
    if not numbers:
        return "c"
    comparator = "<" if any(t.startswith("<") for t in numbers) else ""
    sign = "+" if any(t[:1] in "+-" for t in numbers) else ""
    body = [t.lstrip("<+-") for t in numbers]
    whole = max(len(b.split(".")[0]) for b in body)
    decimals = max(len(b.split(".")[1]) if "." in b else 0 for b in body)
    form = f"{comparator}{sign}{whole}" + (f".{decimals}" if decimals else "")
    marks = max((len(s) for s in stars), default=0)
    return f"S[table-format={form}" + (f", table-space-text-post={{{'*' * marks}}}]" if marks else "]")


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def latex_escape(text: str) -> str:
    """``text`` for LaTeX's text mode: ``\\ & % $ # _ { } ~ ^ < >`` escaped."""
    return re.sub(r"[\\&%$#_{}~^<>]", lambda m: _LATEX_SPECIAL[m.group()], str(text))


#: The look of the tables in HTML (booktabs-like rules, numbers right-aligned).
TABLE_CSS = """
table.es-table { border-collapse: collapse; margin: 1em 0 .3em; font-variant-numeric: tabular-nums; }
table.es-table caption { caption-side: top; font-weight: bold; text-align: left; padding-bottom: .4em; }
table.es-table thead tr:first-child th { border-top: 2px solid #000; }
table.es-table thead tr:last-child th { border-bottom: 1px solid #000; }
table.es-table tbody tr:last-child td, table.es-table tbody tr:last-child th { border-bottom: 2px solid #000; }
table.es-table th, table.es-table td { padding: .2em .6em; }
table.es-table td { text-align: right; white-space: nowrap; }
table.es-table thead th { text-align: center; white-space: nowrap; }
table.es-table thead th.level0[colspan] { border-bottom: 1px solid #000; }
table.es-table tbody th { text-align: left; font-weight: normal; }
table.es-table span.es-stars { display: inline-block; width: 1.7em; text-align: left; }
p.es-note { font-size: .85em; margin: .1em 0; }
"""


def html_document(body: str, title: str) -> str:
    """A complete offline HTML page (no script, no link: the style is inline)."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{TABLE_CSS}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def check_table_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a table file: an extension of :data:`TABLE_FORMATS`, in a folder that exists."""
    target = Path(path)
    if target.suffix.lower() not in TABLE_FORMATS or target.is_dir():
        raise ParameterError("table", str(path), f"give a file ending in {', '.join(TABLE_FORMATS)}")
    if not target.parent.is_dir():
        raise ParameterError("table", str(path), f"the folder {str(target.parent)!r} does not exist")
    return target


def write_tables(tables: Sequence[Table], path: str | os.PathLike[str]) -> Path:
    """Write ``tables`` to ``path`` in the format of its extension: ``.tex`` (one table float
    each), ``.md``, ``.html`` (a page), ``.xlsx`` (one sheet each, needs openpyxl) or ``.csv``
    (one file, a ``table`` column naming each row's table). Written to a temporary file renamed
    into place."""
    target = check_table_path(path)
    extension = target.suffix.lower()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if extension == ".xlsx":
            try:
                import openpyxl  # noqa: F401
            except ImportError:
                raise ParameterError("table", str(path), "writing .xlsx needs openpyxl: pip install "
                                     "'eventstudy-toolkit[excel]' (or choose .csv)") from None
            with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
                for table in tables:
                    table.to_excel(writer)
        elif extension == ".csv":
            pd.concat([t.csv_frame() for t in tables], ignore_index=True).to_csv(temporary, index=False)
        else:
            text = {
                ".tex": lambda: "% needs \\usepackage{booktabs} and \\usepackage{siunitx}\n"
                + "\n".join(t.to_latex() for t in tables),
                ".md": lambda: "\n".join(t.to_markdown() for t in tables),
                ".html": lambda: html_document("\n".join(t.to_html() for t in tables),
                                               tables[0].caption if tables else "Tables"),
            }[extension]()
            temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as error:
        raise ParameterError("table", str(path), f"cannot write it ({error.strerror or error})") from None
    finally:
        temporary.unlink(missing_ok=True)
    return target
