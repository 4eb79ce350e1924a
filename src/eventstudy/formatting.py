"""How results are shown: text reports that display as themselves in a terminal and a notebook.
Part of the foundation: it imports nothing of the package."""

from __future__ import annotations

import html

__all__ = ["Summary", "preformatted_html"]


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
