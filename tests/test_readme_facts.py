"""Facts the README states that the code or the data can check: the snapshot's dates, the CLI
synopsis, the citation metadata."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import pandas as pd
import yaml

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text()


def test_snapshot_dates_in_the_readme_are_those_of_the_data():
    from eventstudy import available_tickers, load_prices

    prices = load_prices(available_tickers())
    first = prices.groupby("ticker")["date"].min()
    last = prices["date"].max()
    common = first.mode().iloc[0]
    late = {t: d for t, d in first.items() if d != common}
    assert late == {"SNAP": pd.Timestamp("2017-03-02")}
    assert (f"daily from {common:%Y-%m-%d} to {last:%Y-%m-%d} (SNAP from its listing: "
            f"{late['SNAP']:%Y-%m-%d})") in README


def test_the_cli_synopsis_names_every_option_of_run_and_batch():
    from eventstudy.cli.app import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    synopsis = README.split("## Command line", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    documented = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    for command in ("run", "batch"):
        for action in commands[command]._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in synopsis or option in documented, (command, option)
    models = re.search(r"`--model`: (.*?)\n- ", documented, re.S).group(1)
    from eventstudy import MODELS

    assert all(f"`{name}`" in models for name in MODELS)


def test_citation_file_matches_the_package():
    citation = yaml.safe_load((PROJECT / "CITATION.cff").read_text())
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["version"] == project["version"] and citation["license"] == project["license"]
    assert citation["title"].startswith(project["name"]) and citation["authors"]
    assert "CITATION.cff" in README and "## Getting help" in README and "## Limitations" in README


def test_the_notebooks_table_lists_every_notebook():
    table = README.split("## Notebooks", 1)[1].split("\n\n", 2)[1]
    for path in sorted((PROJECT / "notebooks").glob("*.ipynb")):
        assert f"[`{path.stem}`](notebooks/{path.name})" in table, path.name
