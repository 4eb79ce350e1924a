"""The command runs without NumPy's huge-page advice unless NUMPY_MADVISE_HUGEPAGE says."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import numpy._core.multiarray as m
import eventstudy.cli.app as app
try:
    app.main(["--version"])
except SystemExit:
    pass
print(m._set_madvise_hugepage(True))  # the advice as main left it
"""


def _advice_after_main(env_value: str | None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_command_turns_the_advice_off_and_respects_the_users_choice():
    assert _advice_after_main(None) == "False"  # on at NumPy's import, off after main
    assert _advice_after_main("1") == "True"  # the user asked for it: left on
    assert _advice_after_main("0") == "False"
