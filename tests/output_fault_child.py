"""A separate process for tests/test_output_set.py: ``eventstudy batch --output`` killed midway.

Run as ``python output_fault_child.py EVENTS DIR POINT READY``: runs the batch study of EVENTS
and writes its tables into DIR; at ``POINT`` it creates the file READY and sleeps, so the test
can kill it there with SIGKILL. Points: ``table`` (after the first table is written into the
staging folder), ``swap`` (DIR renamed aside, the staging folder not yet renamed to DIR).
Only the pause is patched; the writer runs as shipped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import network_guard  # noqa: E402

network_guard.install()


def pause(ready: str) -> None:
    Path(ready).write_text(str(os.getpid()))
    time.sleep(120)  # killed here


def main(events: str, directory: str, point: str, ready: str) -> None:
    import eventstudy.studies.output as output
    import eventstudy.studies.output_folder as output_folder
    from eventstudy.studies.multi import run_multi_event_study

    result = run_multi_event_study(events)
    if point == "table":
        copy = output._copy

        def copy_then_pause(con, table, path, format):
            copy(con, table, path, format)
            pause(ready)

        output._copy = copy_then_pause
    elif point == "swap":
        rename = os.rename

        def rename_then_pause(source, destination):
            rename(source, destination)
            if str(destination).endswith(".old"):
                pause(ready)

        output_folder.os.rename = rename_then_pause
    result.write(directory)


if __name__ == "__main__":
    main(*sys.argv[1:5])
