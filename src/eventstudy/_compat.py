"""The module paths of the flat package (``eventstudy.plotting``, ``eventstudy.multi``, ...) and
their homes in the layered one, so that code written for either keeps working.

Importing an old path gives a module whose names are looked up, in order, in its new homes:
``from eventstudy.multi import run_multi_event_study`` is
``eventstudy.studies.multi.run_multi_event_study`` itself. Nothing of the package is imported
until such a name is used.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

#: Old module path -> the modules that now hold its names, searched in order.
MOVED: dict[str, tuple[str, ...]] = {
    "eventstudy.batch": ("eventstudy.engine.batch",),
    "eventstudy.calendar_time": ("eventstudy.studies.calendar_time", "eventstudy.report.horizon_charts"),
    "eventstudy.cache": ("eventstudy.data.cache",),
    "eventstudy.french": ("eventstudy.data.french",),
    "eventstudy.garch": ("eventstudy.models.garch", "eventstudy.engine.garch", "eventstudy.inference.savickas"),
    "eventstudy.garch_batch": ("eventstudy.engine.garch",),
    "eventstudy.longrun": ("eventstudy.studies.longrun", "eventstudy.report.horizon_charts"),
    "eventstudy.multi": ("eventstudy.studies.multi", "eventstudy.studies.multi_result"),
    "eventstudy.output": ("eventstudy.studies.output",),
    "eventstudy.panel": ("eventstudy.data.panel", "eventstudy.data.panel_file"),
    "eventstudy.plotting": ("eventstudy.report.single_charts", "eventstudy.report.multi_charts"),
    "eventstudy.pvalues": ("eventstudy.inference.pvalues",),
    "eventstudy.regression": ("eventstudy.studies.regression",),
    "eventstudy.results": ("eventstudy.engine.single_result", "eventstudy.formatting"),
    "eventstudy.returns": ("eventstudy.data.returns",),
    "eventstudy.simulate": ("eventstudy.studies.simulate",),
    "eventstudy.sources": ("eventstudy.data.sources",),
    "eventstudy.statistics": ("eventstudy.inference.multi_event", "eventstudy.inference.parametric",
                              "eventstudy.inference.rank", "eventstudy.inference.sign",
                              "eventstudy.inference.statistic"),
    "eventstudy.tables": ("eventstudy.report.tables",),
    "eventstudy.study": ("eventstudy.studies.single", "eventstudy.engine.single"),
    "eventstudy.variance": ("eventstudy.inference.variance",),
    "eventstudy.volume": ("eventstudy.models.volume",),
    "eventstudy.yahoo": ("eventstudy.data.yahoo", "eventstudy.data.aliases"),
}


class _Moved(types.ModuleType):
    """An old module path: each name is taken from the first new home that has it."""

    def __init__(self, name: str, homes: tuple[str, ...]) -> None:
        super().__init__(name, f"Moved: the names of {name} now live in {', '.join(homes)}.")
        self._homes = homes

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        for home in self._homes:
            module = importlib.import_module(home)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (now {', '.join(self._homes)}) has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for home in self._homes:
            module = importlib.import_module(home)
            names.update(getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]))
        return sorted(names)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths (after every real module has been looked for)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Moved(spec.name, MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the names are looked up on use."""


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
