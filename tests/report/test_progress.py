"""Progress bars: on for a terminal, off otherwise, and never an import of tqdm when off."""

from __future__ import annotations

import io
import sys

from eventstudy.progress import _NoBar, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with progress_bar(10, desc="x") as bar:
        bar.update(3)
    assert isinstance(bar, _NoBar)


def test_on_for_a_terminal_and_forced(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar(4, desc="events", unit="event") as bar:
        bar.update(4)
    assert not isinstance(bar, _NoBar)
    assert "events" in terminal.getvalue()
    assert isinstance(progress_bar(4, desc="x", enabled=False), _NoBar)
