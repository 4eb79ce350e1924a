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


def peak_rss_mb() -> float:
    """This process's peak resident memory, MB.

    On Linux the high-water mark of its own memory (``VmHWM`` in ``/proc/self/status``):
    ``getrusage(RUSAGE_SELF).ru_maxrss`` of a process started by ``subprocess`` also counts the
    peak of the parent it was forked from (Linux keeps it across ``exec``), so a worker started
    by a large benchmark would report the benchmark's memory. Elsewhere ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
