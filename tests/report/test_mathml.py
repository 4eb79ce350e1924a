"""Formulas in the HTML reports: Markdown math becomes MathML, offline, and no '$' is left over."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from eventstudy.report.mathml import to_mathml

PROJECT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.ipynb"))


def test_inline_and_display_formulas_become_mathml():
    out = to_mathml(r"volume $v_t = \ln(1 + \text{Volume}_t)$ and $$F \sim F(T, L-k)$$.")
    assert "$" not in out
    inline, display = re.findall(r"<math[^>]*>.*?</math>", out)
    assert 'display="inline"' in inline and 'display="block"' in display
    # v_t is a subscript, ln an identifier, Volume text
    assert "<msub><mi>v</mi><mi>t</mi></msub>" in inline
    assert "<mi>ln</mi>" in inline and "<mtext>Volume</mtext>" in inline
    assert out.startswith("volume <math") and out.endswith("</math>.")


def test_money_code_and_escaped_dollars_stay_text():
    for text in ("costs $5 and $6 a day", "a `$HOME` path", "```\necho $PATH $HOME\n```",
                 r"a \$ sign", "$ 5 and 6 $"):
        assert to_mathml(text) == text, text
    mixed = to_mathml("`$x$` but $x^2$")
    assert mixed.startswith("`$x$` but <math") and "<msup><mi>x</mi><mn>2</mn></msup>" in mixed


def visible_text(html: str) -> str:
    """The report's text a reader sees: scripts, styles, code and MathML left out."""
    for tag in ("script", "style", "pre", "code", "math"):
        html = re.sub(rf"<{tag}\b.*?</{tag}>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def render(nb: nbformat.NotebookNode, exclude_input: bool) -> str:
    exporter = HTMLExporter(template_name="offline", exclude_input=exclude_input,
                            extra_template_basedirs=[str(PROJECT / "notebooks" / "templates")])
    return exporter.from_notebook_node(nb)[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_report_shows_its_formulas_as_mathml_without_stray_dollars(path):
    nb = nbformat.read(path, as_version=4)
    html = render(nb, exclude_input=True)
    assert "$" not in visible_text(html), path.name
    if path.name.startswith("06_"):  # log volume twice, e^0.5 and the variance ratio's F test
        assert html.count("<math ") == 4
        assert "<mtext>Volume</mtext>" in html and "<mi>ln</mi>" in html
        assert "<msup><mi>V</mi><mrow><mo>\u2212</mo><mn>1</mn></mrow></msup>" in html
