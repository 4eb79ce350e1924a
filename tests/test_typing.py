"""The package type-checks: mypy on src/eventstudy with the settings in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from mypy import api

PROJECT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors():
    # mypy's own incremental cache in the checkout (.mypy_cache/, ignored by git, removed by
    # `make clean`): a fresh checkout checks everything (about 10 s of CPU), later runs only what
    # changed (well under a second). mypy keys the cache on each file's content and its version.
    out, err, status = api.run(
        ["--config-file", str(PROJECT / "pyproject.toml"), "--cache-dir", str(PROJECT / ".mypy_cache"),
         str(PROJECT / "src" / "eventstudy")]
    )
    assert status == 0, out + err
