"""Formulas of cross-sectional regressions, checked before any of their text is evaluated.

A formula such as ``"car ~ surprise + np.log(size)"`` is Python code to the formula engine
(patsy evaluates each term with :func:`eval`), so a formula typed into a notebook parameter, a
shared script or a web form could run anything. Here a formula is read token by token (Python's
own :mod:`tokenize`) and refused, naming the first token not allowed, unless it holds only

* the names of the frame's columns (never called, never followed by ``.``),
* numbers (decimal, e.g. ``1``, ``0.5``, ``1e-3``),
* the operators ``~ + - * / ** :`` and parentheses,
* the functions :data:`FUNCTIONS`: ``C(column)`` (a categorical), ``I(arithmetic)``,
  ``np.log``, ``np.exp``, ``np.sqrt``, ``abs``, ``center`` and ``standardize``.

An accepted formula is then built by patsy in an environment that holds those functions only,
and whose evaluation has no Python builtins (:class:`SafeEnvironment`): the check is the rule,
the environment a second wall behind it.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import numpy as np

from eventstudy.exceptions import ParameterError

#: numpy functions a formula may call as ``np.NAME(...)``.
NUMPY_FUNCTIONS = ("log", "exp", "sqrt")
#: Other functions a formula may call: patsy's categorical, identity and stateful transforms.
OTHER_FUNCTIONS = ("C", "I", "abs", "center", "standardize")
#: Every function a formula may call, as written in it.
FUNCTIONS = tuple(f"np.{name}" for name in NUMPY_FUNCTIONS) + OTHER_FUNCTIONS
#: Operators a formula may use (besides parentheses).
OPERATORS = ("~", "+", "-", "*", "/", "**", ":")
#: Longest formula accepted, in characters.
MAX_LENGTH = 2000

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ALLOWED = ("the frame's columns, numbers, the operators " + " ".join(OPERATORS)
            + " ( ) and the functions " + ", ".join(FUNCTIONS))


def _refuse(formula: str, why: str) -> ParameterError:
    return ParameterError("formula", formula, f"{why}; a formula may hold {_ALLOWED}")


def check_formula(formula: object, columns: Iterable[object]) -> str:
    """``formula`` when it uses only what the module docstring allows, else a ParameterError
    naming the first token that is not allowed (nothing of the formula is evaluated).

    >>> check_formula("car ~ size + np.log(size)", ["car", "size"])
    'car ~ size + np.log(size)'
    """
    if not isinstance(formula, str) or not formula.strip():
        raise ParameterError("formula", formula, "give a formula 'outcome ~ term + term', "
                             "e.g. 'car ~ surprise'")
    if len(formula) > MAX_LENGTH:
        raise ParameterError("formula", f"{formula[:40]}... ({len(formula)} characters)",
                             f"give a formula of at most {MAX_LENGTH} characters")
    if "\n" in formula or "\r" in formula:
        raise _refuse(formula, "a formula is one line")
    names = {str(c) for c in columns}
    tokens = _tokens(formula)
    tildes = sum(1 for kind, text in tokens if kind == tokenize.OP and text == "~")
    if tildes != 1:
        raise ParameterError("formula", formula, "give one '~' between the outcome and the terms, "
                             "e.g. 'car ~ surprise'")
    depth = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        after = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == tokenize.NAME:
            if text == "np" and after == ".":
                function = tokens[i + 2][1] if i + 2 < len(tokens) else ""
                call = tokens[i + 3][1] if i + 3 < len(tokens) else ""
                if function not in NUMPY_FUNCTIONS or call != "(":
                    raise _refuse(formula, f"'np.{function}' is not allowed")
                i += 3
                continue
            if text in OTHER_FUNCTIONS and after == "(":
                i += 1
                continue
            if text not in names or keyword.iskeyword(text) or text.startswith("__"):
                raise _refuse(formula, f"{text!r} is neither a column of the frame nor an allowed "
                                       "function")
            if after in ("(", "."):
                raise _refuse(formula, f"column {text!r} cannot be followed by {after!r}")
        elif kind == tokenize.NUMBER:
            if not _NUMBER.fullmatch(text):
                raise _refuse(formula, f"{text!r} is not a decimal number")
        elif kind == tokenize.OP:
            if text == "(":
                depth += 1
            elif text == ")":
                depth -= 1
                if depth < 0:
                    raise _refuse(formula, "a ')' closes nothing")
            elif text not in OPERATORS:
                raise _refuse(formula, f"{text!r} is not allowed")
        else:
            raise _refuse(formula, f"{text!r} is not allowed")
        i += 1
    if depth:
        raise _refuse(formula, "a '(' is not closed")
    return formula


def _tokens(formula: str) -> list[tuple[int, str]]:
    """``(type, text)`` of the formula's tokens, without the end markers."""
    skip = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
    out = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(formula).readline):
            if token.type in skip:
                continue
            if token.type == tokenize.ERRORTOKEN and not token.string.strip():
                continue
            out.append((token.type, token.string))
    except (tokenize.TokenError, SyntaxError) as error:
        reason = error.args[0] if error.args else str(error)
        raise _refuse(formula, f"it cannot be read ({reason})") from None
    return out


def namespace() -> dict[str, Any]:
    """The names a checked formula may use besides the columns and patsy's ``C``, ``I``,
    ``center`` and ``standardize``."""
    return {"np": SimpleNamespace(**{name: getattr(np, name) for name in NUMPY_FUNCTIONS}),
            "abs": np.abs}


def environment() -> Any:
    """A patsy evaluation environment holding :func:`namespace` only, whose evaluations have no
    Python builtins (patsy's own evaluates with them)."""
    import patsy
    from patsy.eval import VarLookupDict

    class SafeEnvironment(patsy.EvalEnvironment):
        def eval(self, expr: str, source_name: str = "<string>", inner_namespace: Any = None) -> Any:
            code = compile(expr, source_name, "eval", self.flags, False)
            lookup = VarLookupDict([inner_namespace or {}] + self._namespaces)
            return eval(code, {"__builtins__": {}}, lookup)

        def subset(self, names: Iterable[str]) -> Any:
            lookup = VarLookupDict(self._namespaces)
            return SafeEnvironment([{name: lookup[name] for name in names}], self.flags)

    return SafeEnvironment([namespace()])


def design(formula: str, data: Any) -> tuple[Any, Any]:
    """Outcome and design matrix (DataFrames indexed as ``data``, rows with a missing value
    dropped) of a formula already checked by :func:`check_formula`."""
    import patsy

    return patsy.dmatrices(formula, data, eval_env=environment(), NA_action="drop",
                           return_type="dataframe")
