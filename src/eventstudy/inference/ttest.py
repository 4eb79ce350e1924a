r"""Student-t inference for one event's abnormal returns.

For an abnormal return (or a sum of them) :math:`A` with estimated standard error
:math:`\widehat{se}` from an estimation window with :math:`\nu` residual degrees of freedom,

.. math:: t = A / \widehat{se}, \qquad p = 2\,P(T_\nu > |t|), \qquad
          CI_{1-a} = A \pm t_{\nu,\,1-a/2}\,\widehat{se}.

The p-value is two-sided unless a one-sided alternative is chosen (:func:`p_values`):
``"greater"`` (:math:`H_1: A > 0`) gives :math:`P(T_\nu > t)`, ``"less"`` gives
:math:`P(T_\nu < t)`; the confidence interval stays two-sided.

Under normal, independent disturbances :math:`t` follows Student's t with :math:`\nu` degrees
of freedom (Campbell, Lo & MacKinlay 1997, *The Econometrics of Financial Markets*, sec. 4.4.3).
The tail and the quantile come from ``scipy.special.stdtr`` / ``stdtrit``, the functions behind
``scipy.stats.t.sf`` / ``ppf``, without importing all of ``scipy.stats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from eventstudy.exceptions import ParameterError


@dataclass(frozen=True)
class TTest:
    """A Student-t test of ``value == 0`` with its confidence interval."""

    value: float
    se: float
    df: int
    level: float
    #: ``"two-sided"``, ``"greater"`` or ``"less"`` (see :func:`p_values`).
    alternative: str = field(default="two-sided", kw_only=True)

    @property
    def t(self) -> float:
        return self.value / self.se

    @property
    def p(self) -> float:
        """p-value for :attr:`alternative` (two-sided by default)."""
        return float(p_values(np.asarray(self.t), self.df, self.alternative))

    @property
    def tvalue(self) -> float:
        """The t statistic (statsmodels' name for :attr:`t`)."""
        return self.t

    @property
    def pvalue(self) -> float:
        """The two-sided p-value (statsmodels' name for :attr:`p`)."""
        return self.p

    @property
    def ci_low(self) -> float:
        return self.value - self._half_width

    @property
    def ci_high(self) -> float:
        return self.value + self._half_width

    def conf_int(self, *, level: float | None = None, alpha: float | None = None) -> tuple[float, float]:
        """``(lower, upper)`` at the confidence ``level`` or significance ``alpha`` (keywords;
        default: this test's level)."""
        half = critical_value(resolve_level(level, alpha, self.level), self.df) * self.se
        return self.value - half, self.value + half

    @property
    def _half_width(self) -> float:
        return critical_value(self.level, self.df) * self.se


def resolve_level(level: float | None, alpha: float | None, default: float) -> float:
    """The confidence level from ``level`` (linearmodels' convention) or ``alpha`` (statsmodels':
    ``level = 1 - alpha``); ``default`` when neither is given. Giving both is an error."""
    if level is not None and alpha is not None:
        raise ParameterError("level, alpha", (level, alpha), "give one of them, e.g. level=0.95 or alpha=0.05")
    if alpha is not None:
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < float(alpha) < 1.0:
            raise ParameterError("alpha", alpha, "give a significance level strictly between 0 and 1, e.g. 0.05")
        return 1.0 - float(alpha)
    return default if level is None else check_level(level)


def check_level(level: float) -> float:
    """Validate a confidence level (strictly between 0 and 1)."""
    if not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise ParameterError("level", level, "give a confidence level strictly between 0 and 1, e.g. 0.95")
    return float(level)


#: Alternatives of the t tests.
ALTERNATIVES = ("two-sided", "greater", "less")


def check_alternative(alternative: str) -> str:
    """Validate ``alternative`` (``"two-sided"``, ``"greater"`` or ``"less"``)."""
    if alternative not in ALTERNATIVES:
        raise ParameterError("alternative", alternative, f"choose one of {', '.join(ALTERNATIVES)}")
    return alternative


def p_values(t: np.ndarray, df: float, alternative: str = "two-sided") -> np.ndarray:
    r"""p-values of Student-t statistics for an alternative.

    ``"two-sided"``: :math:`2 P(T_\nu > |t|)`; ``"greater"``: :math:`P(T_\nu > t)`;
    ``"less"``: :math:`P(T_\nu < t)`. So ``greater + less = 1`` and
    ``two-sided = 2 min(greater, less)``.
    """
    if check_alternative(alternative) == "greater":
        return special.stdtr(df, -t)
    if alternative == "less":
        return special.stdtr(df, t)
    return 2.0 * special.stdtr(df, -np.abs(t))


def t_statistics(
    values: np.ndarray, se: np.ndarray, df: int, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise t statistics and their p-values (two-sided by default; see :func:`p_values`)."""
    t = values / se
    return t, p_values(t, df, alternative)


def critical_value(level: float, df: int) -> float:
    """:math:`t_{\\nu, 1-a/2}` for a two-sided interval of confidence ``level``."""
    return float(special.stdtrit(df, 0.5 + level / 2.0))
