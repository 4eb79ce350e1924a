"""JSON text of many records built from table columns, without a Python dict per record.

:meth:`eventstudy.studies.multi_result.MultiEventResult.write_json` writes a million events and
as many accounting rows. A record is a fixed sequence of fields, each a constant text (the key,
and any brace or bracket before it) followed by the record's value, so the text of ``n`` records
is built column by column:

- a column of numbers (``float64``, ``int64`` or ``bool`` array) is formatted by one
  ``orjson.dumps`` of the whole array; its separators are then replaced by the field's constant
  text, and the text is cut into one piece per record;
- any other column (texts, dates, nullable integers; ``None`` is ``null``) is factorised once
  for all the records: each distinct value is formatted once (by orjson) and each record takes
  its value's piece; neighbour columns of this kind with few pairs of distinct values share one
  piece (each pair's text made once).

The pieces of a chunk of records are joined once. The text equals ``orjson.dumps`` of the
records as dicts, byte for byte (orjson formats the numbers either way; ``NaN`` and infinities
are ``null``; tested against it). Raw newlines never occur in orjson's output (it escapes
control characters in strings), so a newline can mark the cuts between records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson
import pandas as pd

__all__ = ["JsonRecords"]

_CUT = "\n"

#: Neighbour factorised columns share one piece per record when their pairs of distinct values
#: are at most this many (each pair's text is made once).
_COMBINED = 65536


class _Numbers(NamedTuple):
    """A column of numbers, formatted record by record between ``prefix`` and ``suffix``."""

    prefix: str
    values: np.ndarray
    suffix: str


class _Codes(NamedTuple):
    """A factorised column: each record's code, and per code its text between the prefix and
    the suffix."""

    codes: np.ndarray
    texts: np.ndarray


class JsonRecords:
    """The JSON text of records given by columns, chunk by chunk (:meth:`text`).

    Parameters
    ----------
    fields
        ``(prefix, values, numbers)`` per field, in order: ``prefix`` the JSON text before the
        value (``'{"ticker":'`` for the first field, ``',"car":'``...), ``values`` one value per
        record, ``numbers`` True for a numpy array of numbers or booleans formatted record by
        record, False for values to factorise (a numpy or pandas array of str, bool, int, with
        ``None`` or ``NA`` for ``null``; or a :class:`pandas.Categorical`).
    close
        The text after the last field (``"}"``).
    """

    def __init__(self, fields: Sequence[tuple[str, Any, bool]], close: str) -> None:
        self.n = len(fields[0][1])
        self.parts: list[_Numbers | _Codes] = []
        for i, (prefix, values, numbers) in enumerate(fields):
            if i == 0:
                prefix = "," + prefix  # every record starts with a comma; the first one's is cut
            suffix = close if i == len(fields) - 1 else ""
            last = self.parts[-1] if self.parts else None
            if numbers:
                self.parts.append(_Numbers(prefix, np.asarray(values), suffix))
                continue
            column = _factorised(prefix, values, suffix)
            if isinstance(last, _Codes) and len(last.texts) * len(column.texts) <= _COMBINED:
                size = len(column.texts)  # one piece per record for both, one text per pair
                self.parts[-1] = _Codes(last.codes * size + column.codes,
                                        np.add.outer(last.texts, column.texts).ravel())
            else:
                self.parts.append(column)

    def __len__(self) -> int:
        return self.n

    def text(self, rows: slice) -> bytes:
        """The records ``rows`` (a slice), separated by commas, without enclosing brackets."""
        if len(range(*rows.indices(self.n))) == 0:
            return b""
        pieces = [_number_pieces(part, rows) if isinstance(part, _Numbers)
                  else part.texts[part.codes[rows]].tolist() for part in self.parts]
        n, k = len(pieces[0]), len(pieces)
        out = [""] * (n * k)
        for j, column in enumerate(pieces):
            out[j::k] = column  # record by record, field by field
        out[0] = out[0][1:]
        return "".join(out).encode()


def _number_pieces(part: _Numbers, rows: slice) -> list[str]:
    """Each record's text of ``part``, the values formatted by one ``orjson.dumps``."""
    body = orjson.dumps(np.ascontiguousarray(part.values[rows]),
                        option=orjson.OPT_SERIALIZE_NUMPY)
    text = body.decode()[1:-1]  # numbers, true/false and null: no comma but the separators
    cut = part.suffix + _CUT + part.prefix
    return (part.prefix + text.replace(",", cut) + part.suffix).split(_CUT)


def _factorised(prefix: str, values: Any, suffix: str) -> _Codes:
    """Each record's code and, per code, ``prefix + value + suffix`` (an object array); missing
    values (``None``, ``NaN``, ``pd.NA``) are ``null``."""
    if isinstance(values, pd.Categorical):
        codes, distinct = values.codes, values.categories
    else:
        codes, distinct = pd.factorize(values)
    texts = _json_texts(np.asarray(distinct, dtype=object).tolist())
    texts.append("null")
    codes = np.where(codes < 0, len(texts) - 1, codes).astype(np.intp)
    return _Codes(codes, prefix + np.array(texts, dtype=object) + suffix)


def _json_texts(values: list[Any]) -> list[str]:
    """The JSON text of each value: one ``orjson.dumps`` of the list cut at its separators when
    they are unambiguous (no string in it, or only strings without a quote), else one each."""
    if not values:
        return []
    body = orjson.dumps(values).decode()[1:-1]
    if '"' not in body:  # numbers, true/false, null
        return body.split(",")
    if '\\"' not in body and pd.api.types.infer_dtype(values, skipna=False) == "string":
        # every quote delimits a string, so '","' is exactly the separator
        return ('"' + body[1:-1].replace('","', '"' + _CUT + '"') + '"').split(_CUT)
    return [orjson.dumps(v).decode() for v in values]
