"""Packaging promises: environment.yml agrees with pyproject.toml, the README's commands are real."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

PROJECT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((PROJECT / "pyproject.toml").read_text())


def _pyproject_requirements() -> dict[str, Requirement]:
    project = _pyproject()["project"]
    listed = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        listed += extra
    requirements = [Requirement(r) for r in listed]
    return {r.name.lower(): r for r in requirements}


def _conda_requirements() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    conda, pip = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip = item["pip"]
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", item)
        assert match, item
        conda[match.group(1).lower()] = match.group(2).strip()
    return conda, pip


def test_environment_yml_lists_the_pyproject_dependencies_with_the_same_minimums():
    conda, pip = _conda_requirements()
    pyproject = _pyproject_requirements()
    listed = {name: spec for name, spec in conda.items() if name not in {"python", "pip"}}
    assert set(listed) == set(pyproject), "environment.yml and pyproject.toml list different packages"
    for name, requirement in pyproject.items():
        assert listed[name] == str(requirement.specifier), f"{name}: {listed[name]!r} vs {requirement.specifier}"
    assert pip == ["-e ."]


def test_environment_yml_pins_the_supported_python():
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python=3.11"
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_design_card_packages_are_declared():
    names = set(_pyproject_requirements())
    runtime = {Requirement(r).name.lower() for r in _pyproject()["project"]["dependencies"]}
    assert {"pandas", "numpy", "scipy", "yfinance", "matplotlib", "platformdirs"} <= runtime
    assert {"jupyterlab", "papermill", "pytest", "statsmodels", "jinja2", "nbstripout"} <= names


def test_runtime_dependencies_are_the_ones_src_imports():
    """Every runtime dependency is imported by the package (statsmodels fits the calendar-time
    portfolios and the cross-sectional regressions, with their robust covariances)."""
    runtime = {Requirement(r).name.lower() for r in _pyproject()["project"]["dependencies"]}
    source = "\n".join(p.read_text() for p in (PROJECT / "src" / "eventstudy").rglob("*.py"))
    assert "statsmodels" in runtime
    for name in ("numpy", "pandas", "scipy", "matplotlib", "yfinance", "platformdirs", "statsmodels",
                 "duckdb", "orjson", "arch", "exchange_calendars", "tqdm"):
        assert re.search(rf"^\s*(import|from) {name}\b", source, re.M), f"{name} is declared but never imported"


def test_distribution_name_is_our_own_and_the_license_ships():
    project = _pyproject()["project"]
    # 'eventstudy' on PyPI is an unrelated GPL package with the same import name.
    assert project["name"] == "eventstudy-toolkit"
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    license_text = (PROJECT / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "eventstudy developers" in license_text
    readme = (PROJECT / "README.md").read_text()
    assert "pip install ." in readme and "eventstudy-toolkit" in readme


def test_constraints_pin_versions_that_satisfy_pyproject():
    pins = {}
    for line in (PROJECT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = Version(version)
    for name, requirement in _pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert pins[name] in requirement.specifier, f"{name}=={pins[name]} violates {requirement}"


def _quick_start() -> list[str]:
    readme = (PROJECT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
    assert block, "the quick start has no code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_quick_start_is_two_make_targets_that_exist():
    commands = _quick_start()
    assert commands == ["make flagship", "make test"]
    makefile = (PROJECT / "Makefile").read_text()
    for command in commands:
        assert re.search(rf"^{command.split()[1]}:", makefile, re.M), command


def test_ci_runs_the_readme_test_command():
    script = (PROJECT / ".ci" / "run").read_text()
    assert _quick_start()[1] in script.splitlines()
    assert "set -euo pipefail" in script


@pytest.mark.parametrize("folder", ["notebooks", "src/eventstudy", "data", "tests"])
def test_design_card_layout(folder):
    assert (PROJECT / folder).is_dir()


def test_readme_shows_the_real_flagship_output(capsys):
    """The README's sample output is what `make flagship` prints today, not a typed-in copy."""
    from eventstudy.cli import main

    assert main(["run", "FB", "2018-08-06", "--market", "^GSPC", "--model", "market"]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    readme = (PROJECT / "README.md").read_text()
    block = readme.split("<!-- flagship-output:start -->\n```text\n", 1)[1].split("\n```\n<!-- flagship-output:end -->", 1)[0]
    assert block == printed, "refresh the README block with the output of `make flagship`"


def test_every_public_name_is_exported_and_lazy():
    import subprocess
    import sys

    import eventstudy

    assert sorted(eventstudy.__all__) == sorted(eventstudy._EXPORTS)
    for name in eventstudy.__all__:
        assert getattr(eventstudy, name) is not None
    code = ("import sys, eventstudy, eventstudy.cli.app; "
            "print(sorted(m for m in ('pandas', 'scipy', 'duckdb', 'eventstudy.engine.batch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # 'eventstudy --help' pays for none of them


def _make_recipe(target: str) -> str:
    """The recipe lines of a Makefile target, continuation lines joined."""
    makefile = (PROJECT / "Makefile").read_text().replace("\\\n", " ")
    recipe = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n?)*)", makefile, re.M)
    assert recipe, target
    return recipe.group(1)


def test_make_strip_removes_outputs_and_leaves_a_clean_notebook_unchanged(tmp_path):
    """`make strip` (and the pre-commit hook: same tool, same options) turns a notebook saved
    with outputs back into the committed file, byte for byte."""
    import shlex
    import subprocess
    import sys

    import nbformat

    recipe = _make_recipe("strip").strip()
    assert recipe.startswith("$(BIN)/nbstripout ") and recipe.endswith(" $(NOTEBOOKS)")
    options = shlex.split(recipe)[1:-1]
    hooks = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert hooks["repo"] == "https://github.com/kynan/nbstripout" and hooks["hooks"][0]["args"] == options
    committed = sorted((PROJECT / "notebooks").glob("*.ipynb"))
    for path in committed:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.execution_count = 3
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="saved from JupyterLab\n")]
        nbformat.write(nb, tmp_path / path.name)
    nbstripout = str(Path(sys.executable).parent / "nbstripout")
    subprocess.run([nbstripout, *options, *(str(tmp_path / p.name) for p in committed)], check=True)
    for path in committed:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_make_clean_removes_what_the_runs_leave():
    assert set(_make_recipe("clean").split()[2:]) >= {"$(VENV)", "$(REPORTS)", ".hypothesis", ".pytest_cache"}


def test_make_reports_renders_offline_with_a_no_code_version_and_leaves_no_executed_copies():
    makefile = (PROJECT / "Makefile").read_text().replace("\\\n", " ")
    nbconvert = re.search(r"^NBCONVERT := (.*)", makefile, re.M).group(1)
    assert "--template offline" in nbconvert and "extra_template_basedirs=notebooks/templates" in nbconvert
    reports = _make_recipe("reports")
    assert "--no-input --output $$name.no-code" in reports
    assert "mktemp -d" in reports and "rm -rf $$tmp" in reports and "executed" not in reports
    flagship = _make_recipe("flagship")
    assert flagship.count("$(NBCONVERT)") == 1 and "rm -rf $$tmp" in flagship
    assert "--log-level WARNING" in re.search(r"^PAPERMILL := (.*)", makefile, re.M).group(1)
    # The kernel's notices are silenced by the kernel configuration installed with the environment
    # (tests/test_notebook_kernel.py checks what it holds).
    assert "notebooks/kernel/ipython_kernel_config.py" in _make_recipe("$(STAMP)")


def test_offline_template_loads_nothing_from_the_network():
    """The HTML reports open without a network: no <script src=...>, no CDN URL, with or without code."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(PROJECT / "notebooks" / "04_window_explorer.ipynb", as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for exclude_input in (False, True):
        exporter = HTMLExporter(template_name="offline", exclude_input=exclude_input,
                                extra_template_basedirs=[str(PROJECT / "notebooks" / "templates")])
        html, _ = exporter.from_notebook_node(nb)
        assert "<script src" not in html and not re.search(r"(cdn|unpkg|jsdelivr|cdnjs)\.", html)
        assert "Window explorer" in html
        assert ('<span class="n">interact</span>' in html) is not exclude_input  # the code


def test_make_test_fast_leaves_out_the_notebooks_and_the_simulations():
    """`make test-fast` selects by the two markers pyproject.toml declares; `make test` runs all."""
    assert "-m \"not notebook and not simulation\"" in _make_recipe("test-fast")
    assert _make_recipe("test").strip().endswith("-m pytest")
    markers = _pyproject()["tool"]["pytest"]["ini_options"]["markers"]
    assert {m.split(":")[0] for m in markers} >= {"notebook", "simulation"}
