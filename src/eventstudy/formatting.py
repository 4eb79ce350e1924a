"""How results are shown: text reports that display as themselves in a terminal and a notebook.
Part of the foundation: it imports nothing of the package."""

from __future__ import annotations

import html
import math

__all__ = ["Summary", "format_p", "preformatted_html"]


def format_p(p: float) -> str:
    """A p-value for a report: four decimals, ``<0.0001`` below that (never ``0.0000``), and
    ``n/a`` when it could not be computed. The single and the multi-event reports share it."""
    return "n/a" if not math.isfinite(p) else "<0.0001" if p < 0.0001 else f"{p:.4f}"


class Summary(str):
    """A text report that displays as itself: ``print`` it, or leave it last in a notebook cell
    (shown as monospaced HTML, not as a quoted string with ``\\n``)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return preformatted_html(self)


def preformatted_html(text: str) -> str:
    """``text`` as monospaced HTML, so tables keep their columns in notebooks and reports."""
    return f'<pre style="font-family: monospace; white-space: pre">{html.escape(text, quote=False)}</pre>'
