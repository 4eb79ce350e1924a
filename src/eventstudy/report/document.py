"""A report as a document: sections of blocks (text, facts, tables, charts, code), written as one
self-contained HTML file (style inline, charts as embedded PNG images: it opens offline and
fetches nothing), and as a PDF through Chromium (printing that HTML) or, without Chromium,
through pdflatex (the same blocks as LaTeX). :mod:`eventstudy.report.study_report` fills it."""

from __future__ import annotations

import base64
import html
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pandas as pd
from matplotlib.figure import Figure

from eventstudy.exceptions import ParameterError
from eventstudy.report.table import TABLE_CSS, Table, latex_escape

__all__ = ["Chart", "Code", "Facts", "Report", "Rows", "Section", "TableBlock", "Text", "find_chromium",
           "write_pdf"]


@dataclass(frozen=True)
class Text:
    """A paragraph."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Names and values (a definition list)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Rows:
    """A small table of text (accounting, skipped events), with a caption and a note under it."""

    frame: pd.DataFrame
    caption: str
    note: str = ""


@dataclass(frozen=True)
class TableBlock:
    """A publication table (:class:`~eventstudy.report.table.Table`)."""

    table: Table


@dataclass(frozen=True)
class Chart:
    """A matplotlib figure with its caption."""

    figure: Figure
    caption: str


@dataclass(frozen=True)
class Code:
    """Preformatted text (the command that reproduces the report)."""

    text: str


Block = Union[Text, Facts, Rows, TableBlock, Chart, Code]


@dataclass(frozen=True)
class Section:
    """A titled section; ``key`` is its HTML anchor."""

    key: str
    title: str
    blocks: tuple[Block, ...]


#: The report's look in HTML (the tables' own style is :data:`eventstudy.report.table.TABLE_CSS`).
REPORT_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; color: #111; margin: 0; line-height: 1.4; }
main { max-width: 64em; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #999; padding-bottom: .2em; margin-top: 2em; }
p.subtitle { color: #444; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15em 1.2em; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
table.es-rows td { text-align: left; white-space: normal; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9em; color: #333; }
pre { background: #f4f4f4; padding: .8em; white-space: pre-wrap; word-break: break-all; }
div.es-table-block { overflow-x: auto; }
nav ol { columns: 2; }
@media print { nav { display: none; } main { max-width: none; padding: 0; } figure, table { break-inside: avoid; }
  table.es-table { font-size: 6.5pt; } table.es-table th, table.es-table td { padding: .1em .3em; }
  div.es-table-block { overflow: visible; } }
"""


@dataclass(frozen=True)
class Report:
    """A title, a subtitle and sections."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]

    def to_html(self) -> str:
        """One self-contained HTML page: no script, no link, no external reference."""
        parts = [f"<h1>{html.escape(self.title)}</h1>",
                 f'<p class="subtitle">{html.escape(self.subtitle)}</p>',
                 "<nav><ol>" + "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>'
                                       for s in self.sections) + "</ol></nav>"]
        for section in self.sections:
            parts.append(f'<section id="{html.escape(section.key)}">\n<h2>{html.escape(section.title)}</h2>')
            parts += [_html(block) for block in section.blocks]
            parts.append("</section>")
        body = "\n".join(parts)
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{html.escape(self.title)}</title>\n<style>{TABLE_CSS}{REPORT_CSS}</style>\n"
                f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")

    def to_latex(self, folder: Path) -> str:
        """A LaTeX document (article class); the charts are written to ``folder`` as PDF."""
        figures: list[str] = []
        body = "".join(f"\\section{{{latex_escape(s.title)}}}\n"
                       + "".join(_latex(block, folder, figures) for block in s.blocks)
                       for s in self.sections)
        return ("\\documentclass[a4paper,10pt]{article}\n\\usepackage[margin=1.8cm]{geometry}\n"
                "\\usepackage{booktabs}\n\\usepackage{siunitx}\n\\usepackage{longtable}\n"
                "\\usepackage{float}\n\\usepackage{graphicx}\n\\usepackage[T1]{fontenc}\n"
                f"\\title{{{latex_escape(self.title)}}}\n\\author{{}}\n\\date{{{latex_escape(self.subtitle)}}}\n"
                "\\begin{document}\n\\maketitle\n" + body + "\\end{document}\n")


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _html(block: Block) -> str:
    if isinstance(block, Text):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Facts):
        return '<dl class="facts">' + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
                                              for k, v in block.items) + "</dl>"
    if isinstance(block, Rows):
        frame = block.frame.astype(str).map(html.escape)
        frame.columns = [html.escape(str(c)) for c in frame.columns]
        table = (frame.style.hide(axis="index").set_caption(html.escape(block.caption))
                 .set_table_attributes('class="es-table es-rows"').to_html())
        note = f'<p class="es-note">{html.escape(block.note)}</p>' if block.note else ""
        return f'<div class="es-table-block">{table}{note}</div>'
    if isinstance(block, TableBlock):
        return block.table.to_html()
    if isinstance(block, Chart):
        return (f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,'
                f'{_png(block.figure)}"><figcaption>{html.escape(block.caption)}</figcaption></figure>')
    return f"<pre>{html.escape(block.text)}</pre>"


def _latex(block: Block, folder: Path, figures: list[str]) -> str:
    if isinstance(block, Text):
        return latex_escape(block.text) + "\n\n"
    if isinstance(block, Facts):
        return ("\\begin{description}\n" + "".join(f"\\item[{latex_escape(k)}] {latex_escape(v)}\n"
                                                    for k, v in block.items) + "\\end{description}\n")
    if isinstance(block, Rows):
        frame = block.frame.astype(str)
        n = frame.shape[1]
        spec = "l" * (n - 1) + ("p{0.55\\linewidth}" if n > 2 else "l")
        head = " & ".join(latex_escape(c) for c in frame.columns) + " \\\\\n"
        body = "".join(" & ".join(latex_escape(v) for v in row) + " \\\\\n" for row in frame.itertuples(index=False))
        note = latex_escape(block.note) + "\n\n" if block.note else ""
        return (f"\\begin{{longtable}}{{{spec}}}\n\\multicolumn{{{n}}}{{l}}{{{latex_escape(block.caption)}}}\\\\\n"
                f"\\toprule\n{head}\\midrule\n\\endhead\n{body}\\bottomrule\n\\end{{longtable}}\n{note}")
    if isinstance(block, TableBlock):
        text = block.table.to_latex(position="H")
        if block.table.data.shape[1] > 9:  # a wide table (several studies side by side) fits the page
            text = text.replace("\\begin{tabular}", "\\resizebox{\\linewidth}{!}{\\begin{tabular}")
            text = text.replace("\\end{tabular}", "\\end{tabular}}")
        return "{\\small\n" + text + "}\n"
    if isinstance(block, Chart):
        name = f"figure{len(figures) + 1}.pdf"
        figures.append(name)
        block.figure.savefig(folder / name)
        return (f"\\begin{{figure}}[H]\n\\centering\n\\includegraphics[width=\\linewidth]{{{name}}}\n"
                f"\\caption{{{latex_escape(block.caption)}}}\n\\end{{figure}}\n")
    return "\\begin{verbatim}\n" + block.text + "\n\\end{verbatim}\n"


#: Names of Chromium and Chrome on PATH, tried in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """A Chromium or Chrome on PATH (``$EVENTSTUDY_CHROMIUM`` first), or None."""
    names: Sequence[str] = ((os.environ["EVENTSTUDY_CHROMIUM"],) if os.environ.get("EVENTSTUDY_CHROMIUM")
                            else CHROMIUM_NAMES)
    return next((found for name in names if (found := shutil.which(name))), None)


def write_pdf(report: Report, html_path: Path, pdf_path: Path) -> str:
    """Write ``report`` as a PDF: Chromium printing ``html_path`` (the report's HTML, written
    before), else pdflatex on :meth:`Report.to_latex`. Returns the tool used; a
    :class:`~eventstudy.exceptions.ParameterError` when neither is installed or it fails."""
    chromium = find_chromium()
    if chromium is not None:
        with tempfile.TemporaryDirectory() as profile:
            command = [chromium, "--headless", "--disable-gpu", "--no-pdf-header-footer",
                       f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path.resolve()}",
                       html_path.resolve().as_uri()]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.insert(1, "--no-sandbox")  # Chromium refuses to sandbox itself as root
            _run(command, "Chromium", pdf_path)
        return "chromium"
    pdflatex = shutil.which("pdflatex")
    if pdflatex is not None:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            (work / "report.tex").write_text(report.to_latex(work), encoding="utf-8")
            for _ in range(2):  # the second pass settles the longtables' widths
                _run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "report.tex"], "pdflatex",
                     work / "report.pdf", cwd=work)
            shutil.copyfile(work / "report.pdf", pdf_path)
        return "pdflatex"
    raise ParameterError("pdf", str(pdf_path), "needs Chromium (or Google Chrome) or pdflatex on PATH, and "
                         "neither was found; the HTML report is written: open it in a browser and print it "
                         "to PDF, or install chromium or a TeX distribution")


def _run(command: list[str], tool: str, product: Path, cwd: Path | None = None) -> Any:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ParameterError("pdf", str(product), f"{tool} failed ({error})") from None
    if done.returncode != 0 or not product.exists():
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise ParameterError("pdf", str(product), f"{tool} failed (status {done.returncode}: {last[0][:200]})")
    return done
