r"""p-values adjusted for testing many days and windows at once.

A study that shows the tests of every day of a 21-day window and of a CAAR window makes 22 tests
per statistic: at the 5% level one of them rejects by chance more often than not. ``adjust``
adjusts each statistic's p-values over the days and windows shown (one family per test, and for
a single event one for the t test and one for the sample-quantile test):

- ``"holm"``: Holm (1979), the step-down Bonferroni procedure, which controls the family-wise
  error rate (the chance of any false rejection): with the :math:`m` p-values sorted,
  :math:`\tilde p_{(k)} = \max_{j \le k} \min(1, (m - j + 1)\, p_{(j)})`;
- ``"bh"``: Benjamini & Hochberg (1995), which controls the false discovery rate (the expected
  share of false rejections among the rejections):
  :math:`\tilde p_{(k)} = \min_{j \ge k} \min(1, m\, p_{(j)} / j)`.

A p-value that is not a number (a statistic that cannot be computed) stays ``NaN`` and is not
counted in :math:`m`.

Benjamini-Hochberg is statsmodels' ``fdrcorrection`` (what ``multipletests(method="fdr_bh")``
calls). Holm is the formula above in numpy: statsmodels' ``multipletests(method="holm")`` gives
the same numbers (tested) but runs a full garbage collection on every call, which costs a
quarter of a second and more per family inside a process holding a large study.

References
----------
- Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
  Journal of Statistics* 6(2), 65-70.
- Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
  powerful approach to multiple testing. *Journal of the Royal Statistical Society B* 57(1),
  289-300.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.statistic import TestStatistic

#: The adjustments by name, and statsmodels' ``multipletests`` name of each.
ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh"}
#: How the reports name them.
LABELS = {"holm": "Holm (1979)", "bh": "Benjamini-Hochberg (1995)"}


def check_adjust(adjust: str | None) -> str | None:
    """Validate ``adjust``: ``None`` (no adjustment), ``"holm"`` or ``"bh"``."""
    if adjust is not None and adjust not in ADJUSTMENTS:
        raise ParameterError("adjust", adjust, f"choose one of {', '.join(ADJUSTMENTS)} (or none)")
    return adjust


def adjust_pvalues(pvalues: Sequence[float] | np.ndarray, adjust: str) -> np.ndarray:
    """The adjusted p-values of one family (``NaN`` kept where the p-value is ``NaN``)."""
    if adjust not in ADJUSTMENTS:
        raise ParameterError("adjust", adjust, f"choose one of {', '.join(ADJUSTMENTS)}")
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if finite.any():
        out[finite] = _holm(p[finite]) if adjust == "holm" else _benjamini_hochberg(p[finite])
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down p-values: sorted, the j-th smallest times m - j + 1, running maximum,
    at most 1."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.maximum.accumulate(np.minimum(1.0, p[order] * np.arange(m, 0, -1)))
    out = np.empty(m)
    out[order] = stepped
    return out


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg's step-up p-values, by statsmodels' ``fdrcorrection``."""
    from statsmodels.stats.multitest import fdrcorrection

    return np.asarray(fdrcorrection(p, method="indep")[1], dtype=float)


def adjust_tests(tests: Sequence[TestStatistic], adjust: str | None) -> list[TestStatistic]:
    """Each test's ``p_adjusted`` over its days and windows (one family per test name)."""
    if adjust is None:
        return list(tests)
    names = [t.name for t in tests]
    adjusted = np.full(len(tests), np.nan)
    for name in dict.fromkeys(names):
        rows = [i for i, n in enumerate(names) if n == name]
        adjusted[rows] = adjust_pvalues([tests[i].pvalue for i in rows], adjust)
    return [dataclasses.replace(t, p_adjusted=float(p)) for t, p in zip(tests, adjusted)]
