"""The package type-checks: mypy on src/eventstudy with the settings in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from mypy import api

PROJECT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors(tmp_path):
    out, err, status = api.run(
        ["--config-file", str(PROJECT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
         str(PROJECT / "src" / "eventstudy")]
    )
    assert status == 0, out + err
