"""`--output DIR` holds one complete set of tables or nothing (issue 18, section 3): a full disk,
a kill between two tables or between the two renames, a folder holding other files."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import eventstudy.studies.output as output
from eventstudy.exceptions import ParameterError
from eventstudy.studies.multi import run_multi_event_study
from eventstudy.studies.output_folder import STAGE_PREFIX

TESTS = Path(__file__).resolve().parent
CHILD = TESTS / "output_fault_child.py"
TABLES = ["abnormal_returns.csv", "accounting.csv", "events.csv", "tests.csv"]


@pytest.fixture(scope="module")
def events_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.csv"
    path.write_text("ticker,event_date\nFB,2018-08-06\nJPM,2018-07-13\nWFC,2018-04-13\n")
    return path


@pytest.fixture(scope="module")
def result(events_file):
    return run_multi_event_study(events_file)


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith(STAGE_PREFIX))


def stamp(folder: Path) -> None:
    """Mark every table of a set, so a mix of two sets is visible."""
    for name in TABLES:
        (folder / name).write_text("old run\n")


def test_a_set_is_written_and_replaces_the_previous_one_whole(result, tmp_path):
    target = tmp_path / "out"
    written = result.write(target)
    assert sorted(Path(p).name for p in written) == TABLES
    assert sorted(os.listdir(target)) == TABLES
    stamp(target)
    (target / ".events.csv.999999.tmp").write_text("half a table of a former writer")
    result.write(target)
    assert sorted(os.listdir(target)) == TABLES  # the former writer's temporary went with the set
    assert all(b"old run" not in v for v in contents(target).values())
    assert leftovers(tmp_path) == []


def test_a_full_disk_on_the_third_table_leaves_the_previous_set(result, tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.mkdir()
    stamp(target)
    before = contents(target)
    copy, calls = output._copy, []

    def full_disk(con, table, path, format):
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        copy(con, table, path, format)

    monkeypatch.setattr(output, "_copy", full_disk)
    with pytest.raises(ParameterError, match="No space left on device.*left as it was"):
        result.write(target)
    assert contents(target) == before  # every table of the previous run, none of this one
    assert leftovers(tmp_path) == []


def _kill_at(point: str, events_file: Path, target: Path, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen([sys.executable, str(CHILD), str(events_file), str(target), point,
                                str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the writer never reached its kill point"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close(), process.stderr.close()


def test_a_kill_between_two_tables_leaves_the_previous_set_and_the_next_run_sweeps(
        events_file, result, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    stamp(target)
    before = contents(target)
    _kill_at("table", events_file, target, tmp_path)
    assert contents(target) == before
    assert leftovers(tmp_path)  # the dead writer's staging folder and lock file...
    result.write(target)
    assert leftovers(tmp_path) == []  # ...removed by the next run
    assert sorted(os.listdir(target)) == TABLES
    assert len(pd.read_csv(target / "events.csv")) == 3


def test_a_kill_between_the_two_renames_leaves_no_folder_never_a_mix(events_file, result, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    stamp(target)
    _kill_at("swap", events_file, target, tmp_path)
    assert not target.exists()
    result.write(target)
    assert leftovers(tmp_path) == []
    assert sorted(os.listdir(target)) == TABLES


@pytest.mark.parametrize("make,message", [
    (lambda d: (d / "notes.txt").write_text("mine"), "'notes.txt'"),
    (lambda d: (d / "tests.csv").mkdir(), "'tests.csv'"),
])
def test_a_folder_holding_what_output_did_not_write_is_refused_and_kept(result, tmp_path, make, message):
    target = tmp_path / "out"
    target.mkdir()
    make(target)
    before = sorted(os.listdir(target))
    with pytest.raises(ParameterError, match=f"--output did not write \\({message}\\)"):
        result.write(target)
    assert sorted(os.listdir(target)) == before


@pytest.mark.parametrize("name,message", [("", "give a folder"), ("x" * 300, "longer than the file system allows")])
def test_a_name_that_cannot_be_a_folder_is_one_line(result, tmp_path, name, message):
    directory = name if not name else tmp_path / name
    with pytest.raises(ParameterError, match=message) as caught:
        result.write(directory)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300
