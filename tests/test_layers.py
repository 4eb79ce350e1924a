"""The package's layers hold: import-linter's contracts in pyproject.toml (a layer imports only the
layers below it, no import circle inside a layer, imports inside functions included) pass on the
code, and fail on a copy of it with one upward import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(config), "--no-cache"], capture_output=True,
                          text=True, env=env, cwd=config.parent, check=False)


def test_the_layers_contracts_are_kept():
    proc = _lint(PROJECT / "src", PROJECT / "pyproject.toml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


def test_an_upward_import_inside_a_function_breaks_the_build(tmp_path):
    shutil.copytree(PROJECT / "src" / "eventstudy", tmp_path / "src" / "eventstudy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    returns = tmp_path / "src" / "eventstudy" / "data" / "returns.py"
    returns.write_text(returns.read_text() + "\n\ndef _upward():\n    from eventstudy.studies import multi  # noqa\n")
    proc = _lint(tmp_path / "src", tmp_path / "pyproject.toml")
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout and "eventstudy.data.returns -> eventstudy.studies.multi" in proc.stdout


def test_the_package_never_imports_an_old_module_path():
    """The flat package's paths (eventstudy/_compat.py) are for users: an import of one inside the
    package would hide its real dependency from the layers contract."""
    import ast

    from eventstudy._compat import MOVED

    found = []
    for path in (PROJECT / "src" / "eventstudy").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found.extend(f"{path.name}:{node.lineno} {n}" for n in names if n in MOVED)
    assert found == []
