"""Common slips on the command line, answered before argparse's generic messages.

- two numbers written with a comma (``--window -1,1``): argparse reads ``-1,1`` as an option and
  says "expected 2 arguments"; the answer shows the form wanted, ``--window -1 1``;
- a misspelt option (``--windw``): argparse says "unrecognized arguments"; the answer names the
  closest option of the command.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from eventstudy.exceptions import closest_hint

_PAIR = re.compile(r"(-?\d+),\s*(-?\d+)")


def slip(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The one-line message for a slip in ``argv`` (without ``eventstudy: error:``), or None."""
    command = _command_parser(parser, argv)
    if command is None:
        return None
    pairs = {option for action in command._actions if action.nargs == 2
             for option in action.option_strings}
    options = [option for action in command._actions for option in action.option_strings
               if option.startswith("--")]
    for given, following in zip(argv, [*argv[1:], ""]):
        name = given.split("=", 1)[0]
        if name in pairs:
            value = given.split("=", 1)[1] if "=" in given else following
            match = _PAIR.fullmatch(value)
            if match:
                return (f"{name}: {value!r} is not allowed; give two numbers: "
                        f"{name} {match.group(1)} {match.group(2)}")
        elif given.startswith("--") and name not in options and not any(
                o.startswith(name) for o in options):  # argparse accepts unique prefixes
            hint = closest_hint([name], options)
            if hint:
                return f"unrecognized option {name!r} for {command.prog}{hint}"
    return None


def _command_parser(parser: argparse.ArgumentParser,
                    argv: Sequence[str]) -> argparse.ArgumentParser | None:
    commands = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if commands is None or not argv or argv[0] not in commands.choices:
        return None
    chosen = commands.choices[argv[0]]
    return chosen if isinstance(chosen, argparse.ArgumentParser) else None
