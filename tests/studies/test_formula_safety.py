"""No code runs from a regression formula: the whitelist of eventstudy.formula, through
regress_cars, result.regress and `eventstudy batch --regress` (issue 18, section 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.exceptions import DataError, ParameterError
from eventstudy.studies.formula import check_formula, environment
from eventstudy.regression import regress_cars

COLUMNS = ["car", "car_se", "size", "industry", "blank"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    size = rng.lognormal(2.0, 0.5, size=n)
    industry = rng.choice(["a", "b", "c"], size=n)
    car = 0.01 + 0.004 * np.log(size) + 0.01 * (industry == "b") + rng.normal(0, 0.01, n)
    return pd.DataFrame({"car": car, "car_se": rng.uniform(0.01, 0.02, n), "size": size,
                         "industry": industry, "blank": [""] * n})


def _attacks(marker: str) -> list[str]:
    touch = f"__import__('os').system('touch {marker}')"
    return [
        f"car ~ size + I({touch})",
        f"car ~ C(open('{marker}', 'w').write('x'))",
        f"car ~ np.log(size + exec(\"open('{marker}', 'w')\") or 1)",
        "car ~ __import__",
        f"{touch} ~ size",
        f"car ~ {{open('{marker}', 'w')}}",
        "car ~ size.__class__.__mro__",
        "car ~ np.__dict__",
        f"car ~ np.save('{marker}', size)",
        "car ~ `size`",
        "car ~ size[0]",
        "car ~ (lambda: 1)()",
        "car ~ size; import os",
        "car ~ getattr(np, 'load')",
        "car ~ np.log(size) if size else size",
        "car ~ size\n+ 1",
        f"car ~ Q('{marker}')",
    ]


@pytest.mark.parametrize("index", range(len(_attacks("X"))))
def test_a_formula_that_would_run_code_is_refused_and_runs_nothing(frame, tmp_path, index):
    marker = tmp_path / "PWNED"
    formula = _attacks(str(marker))[index]
    with pytest.raises(ParameterError, match="^formula: ") as caught:
        regress_cars(frame, formula)
    assert not marker.exists()
    assert "\n" not in str(caught.value)


def test_the_refusal_names_the_first_token_not_allowed():
    with pytest.raises(ParameterError, match="'__import__' is neither a column"):
        check_formula("car ~ size + I(__import__('os'))", COLUMNS)
    with pytest.raises(ParameterError, match="'np.load' is not allowed"):
        check_formula("car ~ np.load(size)", COLUMNS)
    with pytest.raises(ParameterError, match="column 'size' cannot be followed by '.'"):
        check_formula("car ~ size.real", COLUMNS)
    with pytest.raises(ParameterError, match="'nosuch' is neither a column"):
        check_formula("car ~ nosuch", COLUMNS)
    with pytest.raises(ParameterError, match="one '~'"):
        check_formula("car size", COLUMNS)
    with pytest.raises(ParameterError, match="'0x10' is not a decimal number"):
        check_formula("car ~ size + 0x10", COLUMNS)


@pytest.mark.parametrize("formula", ["car ~ size", "car ~ np.log(size) + C(industry) - 1",
                                     "car ~ I(size ** 2) + size:size", "np.log(1 + car) ~ abs(size)",
                                     "car ~ center(size) + standardize(size) + np.exp(size / 10)",
                                     "car ~ np.sqrt(size) * C(industry)", "car ~ 1", "car~0+size"])
def test_the_documented_grammar_is_accepted(formula):
    assert check_formula(formula, COLUMNS) == formula


def test_the_evaluation_environment_has_no_python_builtins():
    env = environment()
    with pytest.raises(NameError):
        env.eval("__import__('os')")
    with pytest.raises(NameError):
        env.eval("open")
    assert env.eval("np.log(x)", inner_namespace={"x": np.e}) == pytest.approx(1.0)


def test_an_allowed_formula_gives_the_least_squares_fit_of_its_design(frame):
    """The accepted formula's coefficients against numpy's least squares on a design built here."""
    result = regress_cars(frame, "car ~ np.log(size) + C(industry)", cov="ols")
    x = np.column_stack([np.ones(len(frame)), frame["industry"] == "b", frame["industry"] == "c",
                         np.log(frame["size"])]).astype(float)
    beta, *_ = np.linalg.lstsq(x, frame["car"].to_numpy(), rcond=None)
    assert list(result.params.index) == ["Intercept", "C(industry)[T.b]", "C(industry)[T.c]",
                                         "np.log(size)"]
    np.testing.assert_allclose(result.params.to_numpy(), beta, rtol=1e-10)


def test_a_characteristic_missing_for_every_event_is_an_error_counting_the_events(frame):
    with pytest.raises(DataError, match=r"formula: 0 of 60 events have every variable of 'car ~ blank'"):
        regress_cars(frame, "car ~ blank")


def test_weights_of_text_name_the_weights_not_the_formula(frame):
    with pytest.raises(ParameterError, match="^weights: 'industry'"):
        regress_cars(frame, "car ~ size", weights="industry")


def test_clustering_on_a_constant_column_is_one_line(frame):
    data = frame.assign(one="x")
    with pytest.raises(DataError, match="^cov: 'cluster:one' clusters by a column with one value"):
        regress_cars(data, "car ~ size", cov="cluster:one")


def test_an_empty_formula_is_refused(frame):
    with pytest.raises(ParameterError, match="^formula: ''"):
        regress_cars(frame, "")
