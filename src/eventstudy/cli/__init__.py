"""The command line: ``app`` builds the parser, dispatches and runs ``run``, ``batch`` and
``fetch``; ``horizons`` (``longrun``, ``calendar-time``), ``simulate`` and ``tickers`` register
and run their own commands; ``options`` holds the data options they share. May import every layer."""

from eventstudy.cli.app import main

__all__ = ["main"]
