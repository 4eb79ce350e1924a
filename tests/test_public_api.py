"""The public API: every name the README, docs/ and the notebooks show imports, `dir(eventstudy)` lists
the public names only, and the module paths of the flat package (``eventstudy.multi``,
``eventstudy.plotting``, ...) give the very objects of their new homes."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

import eventstudy
from eventstudy import _compat

PROJECT = Path(__file__).resolve().parents[1]


def _documents() -> str:
    texts = [(PROJECT / "README.md").read_text()]
    texts.extend(page.read_text() for page in sorted((PROJECT / "docs").glob("*.md")))
    for notebook in sorted((PROJECT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        texts.extend("".join(cell["source"]) for cell in cells)
    return "\n".join(texts)


def _shown_names() -> list[tuple[str, str]]:
    """(module, name) for every `from eventstudy... import a, b` and dotted `eventstudy.x.y` shown."""
    text = _documents()
    found: set[tuple[str, str]] = set()
    for module, names in re.findall(r"from (eventstudy(?:\.\w+)*) import ([\w, ]+)", text):
        found.update((module, n.strip()) for n in names.split(",") if n.strip())
    for dotted in re.findall(r"\beventstudy(?:\.\w+)+", text):
        module, name = dotted.rsplit(".", 1)
        found.add((module, name))
    return sorted(found)


SHOWN = _shown_names()


def test_the_documents_show_names_at_all():
    assert len(SHOWN) > 40
    assert ("eventstudy.plotting", "plot_car") in SHOWN and ("eventstudy.multi", "run_multi_event_study") in SHOWN


@pytest.mark.parametrize(("module", "name"), SHOWN, ids=[f"{m}.{n}" for m, n in SHOWN])
def test_every_name_the_documents_show_imports(module, name):
    imported = importlib.import_module(module)
    if not hasattr(imported, name):  # a submodule named in a path, e.g. eventstudy.data.sources
        importlib.import_module(f"{module}.{name}")


def test_dir_shows_the_public_api_only():
    names = dir(eventstudy)
    assert len(names) == len(set(names))
    assert set(names) == set(eventstudy.__all__) | {"__version__"}
    for private in ("Any", "TYPE_CHECKING", "annotations", "importlib", "_compat"):
        assert private not in names
    for name in eventstudy.__all__:
        assert getattr(eventstudy, name) is not None


@pytest.mark.parametrize("old", sorted(_compat.MOVED))
def test_old_module_paths_give_the_objects_of_their_new_homes(old):
    module = importlib.import_module(old)
    public = dir(module)
    assert public, old
    for name in public:
        value = getattr(module, name)
        homes = [importlib.import_module(h) for h in _compat.MOVED[old]]
        assert any(getattr(h, name, None) is value for h in homes), (old, name)


def test_an_old_path_without_the_name_says_where_it_looked():
    with pytest.raises(AttributeError, match="eventstudy.studies.longrun"):
        importlib.import_module("eventstudy.longrun").no_such_name  # noqa: B018
