"""How results are shown: text reports that display as themselves in a terminal and a notebook.
Part of the foundation: it imports nothing of the package."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["Summary", "format_p", "preformatted_html"]


def format_p(p: float) -> str:
    """A p-value for a report: four decimals, ``<0.0001`` below that (never ``0.0000``), and
    ``n/a`` when it could not be computed. The single and the multi-event reports share it."""
    return "n/a" if not math.isfinite(p) else "<0.0001" if p < 0.0001 else f"{p:.4f}"


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
            part.to_html(escape=True, border=0, classes="eventstudy-summary") if hasattr(part, "to_html")
            else preformatted_html(str(part)) if str(part) else ""
            for part in self.parts
        )


def preformatted_html(text: str) -> str:
    """``text`` as monospaced HTML, so tables keep their columns in notebooks and reports."""
    return f'<pre style="font-family: monospace; white-space: pre">{html.escape(text, quote=False)}</pre>'
