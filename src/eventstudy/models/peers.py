r"""Peers as the benchmark: an equally weighted peer portfolio, and a synthetic peer.

Courts and analysts ask whether a stock moved relative to its peers, not only to the index
(Baker & Gelbach 2020). Two models take the peers' returns as the benchmark; their columns in
the model data are ``peer:TICKER`` (:func:`peer_column`).

Equally weighted peers (``peers``)
----------------------------------
:math:`E[R_t] = \bar R_{P,t} = \frac1K \sum_{k=1}^K R_{k,t}`, the mean return of the :math:`K`
peers (an industry portfolio), nothing estimated: the market-adjusted model with the peer
portfolio for the market. :math:`s^2` is the sample variance (ddof 1) of :math:`R - \bar R_P`
over the estimation window, :math:`V = s^2 I`, :math:`L - 1` degrees of freedom (Brown & Warner
1985, "market adjusted returns"; Campbell, Lo & MacKinlay 1997, sec. 4.3).

Synthetic peer (``synthetic``)
------------------------------
Non-negative weights summing to one that track the stock best over the estimation window
(the synthetic control of Abadie & Gardeazabal 2003 and Abadie, Diamond & Hainmueller 2010 with
the estimation returns as the pre-treatment outcomes):

.. math:: \hat w = \arg\min_w \lVert R - P w \rVert^2 \quad \text{s.t.}\quad w \ge 0,\;
          \mathbf 1'w = 1,

:math:`P` the :math:`L \times K` returns of the candidates, and :math:`E[R_t] = P_t \hat w`.
The problem is solved exactly, as Lawson & Hanson (1974, *Solving Least Squares Problems*,
ch. 20 and 23) reduce a least-squares problem with linear constraints to non-negative least
squares: the equality constraint is eliminated with an orthonormal basis :math:`Z` of
:math:`\{w : \mathbf 1'w = 0\}`, :math:`w = \mathbf 1/K + Z v`; the remaining problem
:math:`\min \lVert E v - f \rVert` subject to :math:`Z v \ge -\mathbf 1/K` (a least-squares
problem with inequality constraints, LSI) becomes, through the QR factorisation of
:math:`E = PZ`, a least-distance problem (LDP), which ``scipy.optimize.nnls`` (Lawson and
Hanson's algorithm) solves. ``tests/models/test_peers.py`` checks the weights against
``scipy.optimize.minimize`` on the same problem and against the problem's optimality
conditions.

Inference. The constrained weights have no closed-form sampling distribution, so the study's
sample-quantile test (:mod:`eventstudy.inference.sample_quantile`), which needs none, is the
test to read. The t test beside it treats the set :math:`A` of candidates with positive weight
as given: on :math:`A` the weights are the ordinary least-squares solution of
:math:`R - P_a = \sum_{k \in A \setminus a} w_k (P_k - P_a) + e` (:math:`a` the last of
:math:`A`, its weight :math:`1 - \sum_k w_k`), which equals :math:`\hat w` because the solution
lies inside the constraints on :math:`A`. That linear model gives
:math:`V = s^2 (I + X^* (X'X)^{-1} X^{*\prime})` with :math:`X = P_{A \setminus a} - P_a`,
:math:`s^2 = SSR / (L - |A| + 1)` and :math:`L - |A| + 1` degrees of freedom; it ignores that
:math:`A` was chosen from the data.

References
----------
- Abadie, A. & Gardeazabal, J. (2003). The economic costs of conflict: a case study of the
  Basque Country. *American Economic Review* 93(1), 113-132.
- Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods for comparative
  case studies. *Journal of the American Statistical Association* 105(490), 493-505.
- Baker, A. & Gelbach, J. B. (2020). Machine learning and predicted returns for event studies
  in securities litigation. *Journal of Law, Finance, and Accounting* 5(2), 231-272.
- Lawson, C. L. & Hanson, R. J. (1974). *Solving Least Squares Problems*. Prentice-Hall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

from eventstudy.exceptions import DataError, ParameterError
from eventstudy.models.linear import ExpectedReturnModel, FittedModel, OffsetOnlyModel

#: Names of the peer models (they need the peers' tickers, so they are not in the registry's
#: table of ready-made models).
PEER_MODELS = ("peers", "synthetic")
#: A weight at most this is zero (the solver's rounding); the rest are renormalised to sum to 1.
ZERO_WEIGHT = 1e-12


def peer_column(ticker: str) -> str:
    """The model-data column of a peer's returns."""
    return f"peer:{ticker}"


def check_peers(peers: Sequence[str] | str | None, model: str) -> tuple[str, ...]:
    """The peers as a tuple of distinct tickers (a string is split at commas and semicolons)."""
    if peers is None:
        raise ParameterError("peers", None, f"the {model} model needs its peers, e.g. "
                             "peers=['GOOGL', 'AAPL'] (--peers GOOGL,AAPL)")
    items = peers.replace(";", ",").split(",") if isinstance(peers, str) else list(peers)
    names = tuple(dict.fromkeys(str(p).strip() for p in items if str(p).strip()))
    if not names:
        raise ParameterError("peers", peers, "give at least one peer ticker")
    return names


def peer_model(model: str | ExpectedReturnModel, peers: Sequence[str] | str | None,
               ) -> str | ExpectedReturnModel:
    """``model`` with its peers: a :class:`PeersModel` or :class:`SyntheticModel` for the names
    ``"peers"`` and ``"synthetic"``, any other model unchanged (which takes no peers)."""
    if model == "peers":
        return PeersModel(check_peers(peers, "peers"))
    if model == "synthetic":
        return SyntheticModel(check_peers(peers, "synthetic"))
    if peers is not None and not isinstance(model, _PeerModel):
        raise ParameterError("peers", peers, "only the models peers and synthetic take peers")
    return model


class _PeerModel(ExpectedReturnModel):
    """What both peer models share: the peers' return columns, and no market returns."""

    uses_market = False
    param_names = ()

    def __init__(self, peers: Sequence[str] | str) -> None:
        self.peers = check_peers(peers, self.name)
        # the other models' columns are fixed by their class; a peer model's are its peers'
        setattr(self, "columns", tuple(peer_column(p) for p in self.peers))  # noqa: B010

    def peer_returns(self, data: pd.DataFrame) -> np.ndarray:
        """``(rows, K)`` the peers' returns on the rows of ``data``."""
        return data[list(self.columns)].to_numpy(dtype=float)

    def regressors(self, data: pd.DataFrame) -> np.ndarray:
        return np.empty((len(data), 0))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.peers)!r})"


@dataclass(frozen=True)
class PeersFit(FittedModel):
    """:class:`PeersModel` fitted: nothing estimated; the peers are in the report and the JSON."""

    def estimation_details(self) -> dict[str, Any]:
        """``peers``: the tickers of the portfolio."""
        return {"peers": list(getattr(self.model, "peers", ()))}

    def summary_lines(self) -> list[str]:
        peers = list(getattr(self.model, "peers", ()))
        return [f"  peers, equally weighted: {', '.join(peers)}"]


class PeersModel(_PeerModel, OffsetOnlyModel):
    """The equally weighted peer portfolio as the expected return (see the module docstring)."""

    name = "peers"
    label = "equally weighted peers model"
    fit_class = PeersFit

    def offset(self, data: pd.DataFrame) -> np.ndarray:
        """:math:`\\bar R_{P,t}`, the peers' mean return."""
        return self.peer_returns(data).mean(axis=1)


class SyntheticModel(_PeerModel):
    """A synthetic peer: non-negative weights summing to one (see the module docstring)."""

    name = "synthetic"
    label = "synthetic peer model"

    @property
    def min_observations(self) -> int:
        return len(self.peers) + 1

    def design(self, data: pd.DataFrame) -> np.ndarray:
        return self.peer_returns(data)

    def fit(self, returns: pd.Series, data: pd.DataFrame) -> FittedModel:
        """Fit the weights (:func:`simplex_weights`) and the linear model on their support."""
        self._check_inputs(returns, data)
        candidates = self.peer_returns(data)
        y = returns.to_numpy(dtype=float)
        weights = simplex_weights(candidates, y, self.peers)
        support = np.flatnonzero(weights > 0)
        last = support[-1]
        design = candidates[:, support[:-1]] - candidates[:, [last]]
        residuals = y - candidates @ weights
        df = len(y) - (len(support) - 1)
        if design.shape[1]:
            q, r = np.linalg.qr(design, mode="reduced")
            r_inv = solve_triangular(r, np.eye(r.shape[0]))
            xtx_inv = r_inv @ r_inv.T
        else:
            xtx_inv = np.empty((0, 0))
        return SyntheticFit(
            model=self,
            params=pd.Series(weights, index=list(self.peers), dtype=float),
            sigma=float(np.sqrt(residuals @ residuals / df)),
            df=df,
            nobs=len(y),
            residuals=pd.Series(residuals, index=returns.index, name="residual"),
            xtx_inv=xtx_inv,
            tss=float(((y - y.mean()) ** 2).sum()),
            support=tuple(int(k) for k in support),
        )


@dataclass(frozen=True)
class SyntheticFit(FittedModel):
    """:class:`SyntheticModel` fitted: ``params`` are the weights by peer, ``support`` the
    positions of the positive ones; ``xtx_inv`` is :math:`(X'X)^{-1}` of the linear model on the
    support (module docstring)."""

    support: tuple[int, ...] = ()

    def expected(self, data: pd.DataFrame) -> np.ndarray:
        """:math:`P_t \\hat w`."""
        return self.model.design(data) @ self.params.to_numpy()

    def abnormal_covariance(self, data: pd.DataFrame) -> np.ndarray:
        """:math:`V = s^2 (I + X^*(X'X)^{-1}X^{*\\prime})`, :math:`X^* = P^*_{A \\setminus a} - P^*_a`."""
        candidates = self.model.design(data)
        support = list(self.support)
        design = candidates[:, support[:-1]] - candidates[:, [support[-1]]]
        error = design @ self.xtx_inv @ design.T if design.shape[1] else np.zeros((len(data),) * 2)
        return self.sigma**2 * (np.eye(len(data)) + (error + error.T) / 2.0)

    @property
    def weights(self) -> pd.Series:
        """The weights by peer (zeros included)."""
        return self.params

    def estimation_details(self) -> dict[str, Any]:
        """``peers`` (the candidates) and ``weights`` (by peer, zeros included)."""
        return {"peers": list(self.params.index),
                "weights": {k: float(v) for k, v in self.params.items()}}

    def summary_lines(self) -> list[str]:
        positive = self.params[self.params > 0].sort_values(ascending=False)
        zero = [k for k, v in self.params.items() if v == 0]
        return [f"  weights: {', '.join(f'{k} {v:.4f}' for k, v in positive.items())}"
                + (f"; 0 for {', '.join(zero)}" if zero else ""),
                "  (the t test takes the peers with a positive weight as given; the SQ test "
                "needs no such assumption)"]


def simplex_weights(candidates: np.ndarray, target: np.ndarray,
                    names: Sequence[str] | None = None) -> np.ndarray:
    r"""The weights :math:`w \ge 0`, :math:`\mathbf 1'w = 1` minimising
    :math:`\lVert P w - r \rVert`, exactly (module docstring: null-space elimination, then LSI
    to LDP to ``scipy.optimize.nnls``).

    Parameters
    ----------
    candidates
        ``(L, K)`` the candidates' returns :math:`P`.
    target
        ``(L,)`` the stock's returns :math:`r`.
    names
        The candidates' names, for the error message.

    Raises
    ------
    DataError
        When the candidates' returns are collinear once the weights sum to one (a candidate is
        another one, or a mix of the others: the weights are not identified), or there are more
        candidates than estimation returns.
    """
    from scipy.linalg import null_space
    from scipy.optimize import nnls

    p = np.asarray(candidates, dtype=float)
    r = np.asarray(target, dtype=float)
    length, k = p.shape
    if k == 1:
        return np.ones(1)
    labels = list(names) if names is not None else [str(i) for i in range(k)]
    if k > length:
        raise DataError(f"peers: {k} candidates for {length} estimation returns: the weights are "
                        "not identified; give fewer peers")
    start = np.full(k, 1.0 / k)
    basis = null_space(np.ones((1, k)))  # K x (K - 1), orthonormal: the directions with 1'w = 0
    q, rr = np.linalg.qr(p @ basis)
    pivots = np.abs(np.diag(rr))
    if not pivots.min() > 1e-10 * pivots.max():
        raise DataError(f"peers: the returns of {_dependent(p @ basis, basis, labels)} are collinear "
                        "over the estimation window, so the synthetic weights are not identified; "
                        "leave one out")
    g = q.T @ (r - p @ start)
    # LSI: min ||R v - g|| s.t. basis v >= -start; with y = R v - g: min ||y|| s.t. A y >= b
    a = solve_triangular(rr, basis.T, trans="T").T  # basis R^-1
    b = -start - a @ g
    # LDP by NNLS (Lawson & Hanson 1974, algorithm 23.27): min ||[A'; b'] u - e|| s.t. u >= 0
    system = np.vstack([a.T, b[None, :]])
    unit = np.zeros(system.shape[0])
    unit[-1] = 1.0
    u, _ = nnls(system, unit, maxiter=50 * system.shape[1])
    residual = system @ u - unit
    if not abs(residual[-1]) > 1e-14:  # the constraints would be infeasible: cannot happen here
        raise DataError("peers: the synthetic weights could not be found")
    y = -residual[:-1] / residual[-1]
    w = start + basis @ solve_triangular(rr, y + g)
    w[w <= ZERO_WEIGHT] = 0.0
    return w / w.sum()


def _dependent(reduced: np.ndarray, basis: np.ndarray, names: list[str]) -> str:
    r"""Name the candidates in the combination :math:`d = Zv` (:math:`\mathbf 1'd = 0`) whose
    returns :math:`Pd` vanish: the reduced design's smallest right singular vector."""
    direction = basis @ np.linalg.svd(reduced, full_matrices=False)[2][-1]
    size = np.abs(direction)
    return ", ".join(names[i] for i in np.flatnonzero(size > 0.1 * size.max()))
