"""Run one benchmark configuration in a fresh interpreter, so its peak memory is its own.

A benchmark script calls ``measure_in_fresh_process(__file__, config)``; the script, started
again as ``SCRIPT --worker CONFIG_JSON``, measures and prints its result as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def measure_in_fresh_process(script: str, config: dict) -> dict:
    """The JSON result ``script --worker CONFIG`` prints on its last line."""
    done = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(config)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark of {config} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
