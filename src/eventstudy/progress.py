"""Progress bars for long batches and long fetches: tqdm on stderr, only when it is a terminal."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(total: int | None, *, desc: str, enabled: bool | None = None,
                 unit: str = "it") -> Any:
    """A tqdm progress bar on stderr, shown only when stderr is a terminal (``enabled=None``).

    ``enabled=True`` forces it on, ``False`` off (then tqdm is not even imported). Use it as a
    context manager and call ``update(n)``; ``total=None``: a count without an end.
    """
    show = _isatty(sys.stderr) if enabled is None else bool(enabled)
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)


class _NoBar:
    """The progress bar's interface, doing nothing."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
