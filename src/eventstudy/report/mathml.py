r"""Mathematics in the HTML reports, offline: LaTeX between ``$`` signs becomes MathML.

The notebooks write formulas as Markdown math (``$v_t = \ln(1 + \text{Volume}_t)$``). JupyterLab
typesets them with MathJax, which nbconvert's HTML loads from a CDN; the offline report template
(``notebooks/templates/offline``) loads no script, so the formulas are converted here, before
the Markdown is rendered, into MathML, which browsers display natively (Chromium 109+, Firefox,
Safari). The conversion is :func:`latex2mathml.converter.convert`; the template runs
:class:`MathMLPreprocessor` as an nbconvert preprocessor (its ``conf.json``).

Math is ``$$...$$`` (a display) or ``$...$`` whose opening ``$`` is followed, and whose closing
``$`` is preceded, by a non-space, the closing one not followed by a digit (so "$5 and $6" stays
text), as in Pandoc's ``tex_math_dollars``. Code spans and fenced code are left alone. A ``\$``
is a dollar sign.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MathMLPreprocessor", "render_math", "to_mathml"]

_MATH = re.compile(
    r"(?<![\\$])\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$])\$(?=\S)(?P<inline>[^$\n]+?)(?<=[^\s\\])\$(?!\d)",
    re.S,
)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)


def to_mathml(markdown: str) -> str:
    """``markdown`` with each ``$...$`` / ``$$...$$`` formula replaced by its MathML."""
    from latex2mathml.converter import convert

    def replace(match: re.Match[str]) -> str:
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        return str(convert(tex.strip(), display="block" if display else "inline"))

    parts = _CODE.split(markdown)
    # even parts lie outside code spans; odd parts are the code itself
    return "".join(part if i % 2 else _MATH.sub(replace, part) for i, part in enumerate(parts))


def render_math(nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor: the formulas of Markdown cells and Markdown outputs as MathML."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = to_mathml(data["text/markdown"])
    return nb, resources


class MathMLPreprocessor:
    """:func:`render_math` in the form nbconvert builds from a template's ``conf.json``
    (``type(**options)``, then called with the notebook and its resources)."""

    def __init__(self, enabled: bool = True, **_options: Any) -> None:
        self.enabled = enabled

    def __call__(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return render_math(nb, resources) if self.enabled else (nb, resources)
