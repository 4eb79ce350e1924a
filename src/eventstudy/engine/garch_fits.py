"""Many GARCH(1,1) market-model fits at once, spread over the machine's cores.

Each event's maximum-likelihood fit (:func:`eventstudy.models.garch.estimate_garch`, four
starting points) is independent of the others, so :func:`fit_many` cuts the events into chunks
and fits the chunks in worker processes (``concurrent.futures.ProcessPoolExecutor``, one worker
per core the process may use). The workers are started by a fork server, which imports this
module, ``arch`` and the optimiser once: they do not inherit the caller's threads or open files,
and a notebook is not run again in them; a script is imported again in each worker (as
``__mp_main__``, as with Python's ``spawn`` method), so a script that calls the batch GARCH at
its top level needs the usual ``if __name__ == "__main__":`` guard. Each fit is deterministic, so the results do
not depend on the number of workers (tested). Below :data:`PARALLEL_FROM` fits, or with
``workers=1``, the fits run in the calling process, which saves the workers' start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from eventstudy.models.garch import estimate_garch
from eventstudy.progress import progress_bar

#: Fewest fits worth starting worker processes for.
PARALLEL_FROM = 64
#: Events fitted by one task of a worker (the progress bar moves by chunks).
CHUNK = 32


@dataclass(frozen=True, eq=False)
class ManyFits:
    """One row per event given to :func:`fit_many`, in decimals.

    ``params`` ``(n, K)``: ``alpha``, ``beta``, ``omega``, ``alpha[1]``, ``beta[1]`` (and
    ``nu``); ``residuals`` and ``variance`` ``(n, L)`` on the days given (``NaN`` where the
    return was missing); ``next_variance``, ``loglikelihood``, ``agreeing`` (starts that reached
    the best log-likelihood), ``converged`` and ``message`` ``(n,)``. Rows that did not converge
    hold ``NaN``.
    """

    params: np.ndarray
    residuals: np.ndarray
    variance: np.ndarray
    next_variance: np.ndarray
    loglikelihood: np.ndarray
    agreeing: np.ndarray
    converged: np.ndarray
    message: np.ndarray


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system says, else the count)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def fit_many(y: np.ndarray, x: np.ndarray, dist: str = "normal", *, workers: int | None = None,
             progress: bool | None = None, chunk: int = CHUNK) -> ManyFits:
    """Fit every row of ``y`` (``(n, L)`` stock returns, ``NaN`` where missing) on the same row
    of ``x`` (market returns), in parallel.

    ``workers``: processes to use (default: :func:`available_cores`, and 1 below
    :data:`PARALLEL_FROM` fits). ``progress``: tqdm bar on stderr (``None``: when stderr is a
    terminal). ``chunk``: events per task.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n = y.shape[0]
    if workers is None:
        workers = available_cores() if n >= PARALLEL_FROM else 1
    chunks = [np.arange(lo, min(n, lo + chunk)) for lo in range(0, n, chunk)]
    parts: dict[int, dict[str, np.ndarray]] = {}
    with progress_bar(n, desc="GARCH fits", enabled=progress, unit="event") as bar:
        if workers <= 1 or len(chunks) <= 1:
            for index, rows in enumerate(chunks):
                parts[index] = fit_chunk(y[rows], x[rows], dist)
                bar.update(len(rows))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            context = multiprocessing.get_context("forkserver")
            # the server imports the fitting code once; every worker starts with it loaded
            context.set_forkserver_preload([__name__, "arch", "scipy.optimize", "scipy.signal"])
            with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context) as pool:
                pending = {pool.submit(fit_chunk, y[rows], x[rows], dist): index
                           for index, rows in enumerate(chunks)}
                for future in as_completed(pending):
                    index = pending[future]
                    parts[index] = future.result()
                    bar.update(len(chunks[index]))
    ordered = [parts[i] for i in range(len(chunks))] or [fit_chunk(y, x, dist)]  # n = 0
    return ManyFits(**{name: np.concatenate([part[name] for part in ordered])
                       for name in ManyFits.__dataclass_fields__})


def fit_chunk(y: np.ndarray, x: np.ndarray, dist: str) -> dict[str, np.ndarray]:
    """The fits of the rows of one chunk, in a worker (or the calling process)."""
    n, length = y.shape
    k = 6 if dist == "t" else 5
    out = {"params": np.full((n, k), np.nan), "residuals": np.full((n, length), np.nan),
           "variance": np.full((n, length), np.nan), "next_variance": np.full(n, np.nan),
           "loglikelihood": np.full(n, np.nan), "agreeing": np.zeros(n, dtype=np.int64),
           "converged": np.zeros(n, dtype=bool), "message": np.full(n, "", dtype=object)}
    for i in range(n):  # one maximum-likelihood fit per event
        keep = np.isfinite(y[i])
        fit = estimate_garch(y[i, keep], x[i, keep], dist)
        out["converged"][i] = fit.converged
        out["message"][i] = fit.message
        if not fit.converged:
            continue
        out["params"][i] = [fit.alpha, fit.beta, fit.omega, fit.arch, fit.garch] + (
            [fit.nu] if dist == "t" else [])
        out["residuals"][i, keep] = fit.residuals
        out["variance"][i, keep] = fit.variance
        out["next_variance"][i] = fit.next_variance
        out["loglikelihood"][i] = fit.loglikelihood
        out["agreeing"][i] = fit.agreeing
    return out

