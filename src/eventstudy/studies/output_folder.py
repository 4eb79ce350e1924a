"""An output folder that holds one complete set of tables, or nothing.

``eventstudy batch --output DIR`` writes several tables. Written one by one into ``DIR``, a full
disk, a kill or a refused file between two of them would leave tables of two runs side by side
with nothing to tell them apart. Here the tables are written into a staging folder beside
``DIR`` (same file system), and only when every table is complete is the staging folder renamed
to ``DIR`` (the previous ``DIR`` renamed aside first, then removed). A failure before that leaves
``DIR`` as it was; a kill between the two renames leaves no ``DIR`` at all, never a mix.

Each staging folder has a lock file beside it, held (:mod:`filelock`, released by the system when
a process dies) while it is written. Every run first removes the staging folders (and the old
folders renamed aside) whose lock it can take: those of dead writers.

Because the whole folder is replaced, ``DIR`` may only hold what a previous run wrote (the
tables' file names, given by the caller): a folder holding other files is refused before any
work, so that nothing of the user's is ever removed.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from eventstudy.exceptions import ParameterError, safe_text

#: Prefix of staging folders, old folders renamed aside and their lock files.
STAGE_PREFIX = ".eventstudy-output."
_STAGE = re.compile(re.escape(STAGE_PREFIX) + r"(\d+\.[0-9a-f]+)(\.old|\.lock)?$")
#: Temporary files the former writer (one table at a time) could leave in the folder.
_FORMER_TEMPORARY = re.compile(r"\.[^/]+\.\d+\.tmp$")


def _shown(directory: object) -> str:
    """The folder's name for a message: printable, and cut when long."""
    text = str(directory)
    if text.isprintable() and len(text) <= 80:
        return text
    return safe_text(text[:60], limit=60)[1:-1] + f"... ({len(text)} characters)"


def _refused(directory: object, why: str) -> ParameterError:
    return ParameterError("output", _shown(directory), why)


def check_output_folder(directory: str | os.PathLike[str], is_ours: Callable[[str], bool]) -> Path:
    """``directory`` as a Path when it can receive a set of tables: not empty text, not a file,
    a name the file system can hold, and holding only files ``is_ours`` recognises (tables of a
    previous run). Checked before any work."""
    if not isinstance(directory, (str, os.PathLike)) or str(directory).strip() == "":
        raise ParameterError("output", str(directory), "give a folder to write the tables into")
    path = Path(directory)
    name_max = 255
    for part in path.parts:
        if len(os.fsencode(part)) > name_max:
            raise _refused(path, f"a name in it is longer than the file system allows ({name_max} bytes)")
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise _refused(path, "is a file (or a link); give a folder")
    if path.is_dir():
        try:
            entries = list(os.scandir(path))
        except OSError as error:
            raise _refused(path, f"cannot be read ({error.strerror or error})") from None
        foreign = [e.name for e in entries
                   if not (e.is_file(follow_symlinks=False)
                           and (is_ours(e.name) or _FORMER_TEMPORARY.match(e.name)))]
        if foreign:
            shown = ", ".join(safe_text(n) for n in sorted(foreign)[:3])
            raise _refused(path, f"it holds {len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} "
                           f"--output did not write ({shown}); the folder is replaced as a whole: "
                           "give a new folder, an empty one or one --output wrote")
    return path


def sweep(parent: Path) -> int:
    """Remove the staging and old folders of dead writers in ``parent``; how many were removed."""
    from filelock import FileLock, Timeout

    try:
        names = os.listdir(parent)
    except OSError:
        return 0
    tokens = {m.group(1) for m in map(_STAGE.match, names) if m}
    removed = 0
    for token in tokens:
        lock = FileLock(str(parent / f"{STAGE_PREFIX}{token}.lock"))
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            continue  # a live writer's
        try:
            for suffix in ("", ".old"):
                folder = parent / f"{STAGE_PREFIX}{token}{suffix}"
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            Path(lock.lock_file).unlink(missing_ok=True)
        finally:
            lock.release()
    return removed


@contextmanager
def one_set(directory: Path) -> Iterator[Path]:
    """Yield a staging folder to write the tables into; on a normal exit, swap it in as
    ``directory``; on an error, remove it and leave ``directory`` as it was."""
    from filelock import FileLock

    target = Path(os.path.abspath(directory))
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _refused(directory, f"cannot create its parent folder ({error.strerror or error})") from None
    sweep(parent)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    stage = parent / f"{STAGE_PREFIX}{token}"
    old = parent / f"{STAGE_PREFIX}{token}.old"
    lock = FileLock(str(parent / f"{STAGE_PREFIX}{token}.lock"))
    try:
        lock.acquire(timeout=0)
        stage.mkdir()
    except OSError as error:
        raise _refused(directory, f"cannot write beside it ({error.strerror or error})") from None
    try:
        try:
            yield stage
            _swap(stage, target, old)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        Path(lock.lock_file).unlink(missing_ok=True)
        lock.release()


def _swap(stage: Path, target: Path, old: Path) -> None:
    """Rename ``target`` aside to ``old`` and ``stage`` to ``target`` (retried when another
    run's folder took the name in between)."""
    for _ in range(10):
        if target.exists():
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            try:
                os.rename(target, old)
            except FileNotFoundError:
                pass
            except OSError as error:
                raise _refused(target, f"cannot replace it ({error.strerror or error})") from None
        try:
            os.rename(stage, target)
            return
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise _refused(target, f"cannot write it ({error.strerror or error})") from None
    raise _refused(target, "other runs kept replacing it; write to another folder")
