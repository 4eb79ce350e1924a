"""The residual pass: the estimation residuals read block by block (never held whole) for the
statistics that need them (Kolari-Pynnonen correlation, rank tests, the generalised sign test)."""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable
from typing import Any

import numpy as np

from eventstudy.exceptions import ParameterError
from eventstudy.inference.ranking import (
    _count_true,
    _cross_sectional_restandardize,
    _generalized_rank_sums,
    _rank_statistic,
    _sort_rows,
    _weighted_rank_sd,
)
from eventstudy.inference.statistic import StatResult, _student, residual_sd


_BLOCK_ROWS = 512  # events whose residuals _ResidualPass works on at once
#: What _ResidualPass accumulates (sums and counts over events).
_SUMS = ("positive", "present", "z_sum", "z2_sum", "z_count", "e_sum", "e_count", "corrado_total",
         "corrado_count", "zivney_total", "zivney_count", "grank_total", "grank_zero",
         "grank_count")


class _ResidualPass:
    r"""One pass over the events' estimation residuals, chunk by chunk, keeping only the column
    sums and counts that the residual-based statistics need, so memory does not grow with the
    number of events (the residuals of a million events need not be held at once).

    What each statistic accumulates (its formulas are in its own docstring):

    - Kolari-Pynnonen :math:`\bar r`: per day, :math:`\sum_i z_{i\tau}`, :math:`\sum_i z_{i\tau}^2`
      and :math:`N_\tau` of the row-standardised residuals;
    - generalised sign: the counts of positive and of present residuals;
    - crude dependence adjustment: per day, :math:`\sum_i e_{i\tau}` and :math:`N_\tau`;
    - Corrado rank, Corrado-Zivney: per column of the combined estimation + event series, the sum
      and count of the rank deviations;
    - generalised rank: per window, the sums of :math:`U` on the estimation days and at the SCAR.

    Each event's ranks depend on its own row only, and every cross-sectional quantity is a sum
    over events, so summing chunk by chunk gives exactly the statistic on the whole array. Each
    chunk is worked on in blocks of :data:`_BLOCK_ROWS` events (their temporaries stay in cache),
    each rank test sorting every row of its block once (:func:`_sort_rows`); when Corrado-Zivney
    and GRANK are both asked for, GRANK's sorted rows serve both.
    """

    def __init__(self, n: int, length: int, *, kolari: bool = False, sign: bool = False,
                 cda: bool = False, abnormal: np.ndarray | None = None, df: np.ndarray | None = None,
                 zivney: np.ndarray | None = None, grank: np.ndarray | None = None) -> None:
        self.n = n
        self.kolari, self.sign, self.cda = kolari, sign, cda
        self.abnormal = abnormal  # Corrado rank: raw event-window ARs (N, T)
        self.df = df
        # Corrado-Zivney's event values are GRANK's but the last: one sort serves both (and,
        # each column re-standardised on its own, one re-standardisation)
        self.zivney_in_grank = (
            zivney is not None and grank is not None and grank.shape[1] == zivney.shape[1] + 1
            and np.array_equal(grank[:, :-1], zivney)
        )
        # Corrado-Zivney and GRANK re-standardise the event values across all events first.
        self.grank: np.ndarray | None = (
            None if grank is None else _cross_sectional_restandardize(grank))
        self.zivney: np.ndarray | None
        if self.zivney_in_grank and self.grank is not None:
            self.zivney = self.grank[:, :-1]  # one copy held, not two
        else:
            self.zivney = None if zivney is None else _cross_sectional_restandardize(zivney)
        self.length = -1
        self.widen(length)

    def widen(self, length: int) -> None:
        """Size the sums for ``length`` estimation days (once: every chunk must have it)."""
        if length == self.length:
            return
        if self.length > 0:
            raise ParameterError(
                "residuals", f"{length} columns after {self.length}", "give every chunk the same L"
            )
        self.length = length
        self._zero()

    def _zero(self) -> None:
        """Every sum and count at zero, for :attr:`length` estimation days."""
        length = self.length
        self.positive, self.present = 0, 0
        self.z_sum, self.z2_sum, self.z_count = np.zeros(length), np.zeros(length), np.zeros(length)
        self.e_sum, self.e_count = np.zeros(length), np.zeros(length)
        t = 0 if self.abnormal is None else self.abnormal.shape[1]
        self.corrado_total, self.corrado_count = np.zeros(length + t), np.zeros(length + t)
        tz = 0 if self.zivney is None else self.zivney.shape[1]
        self.zivney_total, self.zivney_count = np.zeros(length + tz), np.zeros(length + tz)
        m = 0 if self.grank is None else self.grank.shape[1]
        self.grank_total, self.grank_zero = np.zeros((m, length)), np.zeros(m)
        self.grank_count = np.zeros(length)

    @classmethod
    def over(cls, residuals: np.ndarray, **needs: Any) -> _ResidualPass:
        """The pass over a whole residual array (one chunk)."""
        rank_pass = cls(residuals.shape[0], residuals.shape[1], **needs)
        rank_pass.add(np.arange(residuals.shape[0]), residuals)
        return rank_pass

    def add_chunks(self, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """:meth:`add` every ``(rows, residuals)`` of ``chunks``, with one twin thread for all."""
        with ThreadPoolExecutor(1) as pool:
            for rows, chunk in chunks:
                self.widen(chunk.shape[1])
                self.add(rows, chunk, pool)

    def add(self, rows: np.ndarray, residuals: np.ndarray,
            pool: ThreadPoolExecutor | None = None) -> None:
        """Accumulate the residuals of the events ``rows`` (``(len(rows), L)``, NaN: missing);
        ``pool``: a one-thread pool for the twin (default: one of its own)."""
        threads = len(rows) > _BLOCK_ROWS and (os.cpu_count() or 1) >= 2
        if threads and pool is None:
            with ThreadPoolExecutor(1) as own:
                self.add(rows, residuals, own)
            return
        if self.grank is not None:  # events with equal L_i together: GRANK counts them at once
            by_length = np.argsort(_count_true(np.isnan(residuals), axis=1), kind="stable")
            rows, residuals = rows[by_length], residuals[by_length]
        firsts = range(0, len(rows), _BLOCK_ROWS)  # blocks small enough to stay in cache

        def run(target: _ResidualPass, blocks: range) -> None:
            for first in blocks:
                block = slice(first, first + _BLOCK_ROWS)
                target._add_block(rows[block], residuals[block])

        if not threads or pool is None:
            run(self, firsts)
            return
        # every other block summed by a twin in a second thread (NumPy releases the interpreter
        # lock in the sorts and sums), its sums then added to these: the same blocks in the
        # same order every time, so the result does not depend on the threads' timing
        twin = copy.copy(self)
        twin._zero()
        done = pool.submit(run, twin, firsts[1::2])
        run(self, firsts[0::2])
        done.result()
        for name in _SUMS:
            setattr(self, name, getattr(self, name) + getattr(twin, name))

    def _add_block(self, rows: np.ndarray, residuals: np.ndarray) -> None:
        present = ~np.isnan(residuals)
        days = _count_true(present, axis=0)
        scaled = self.zivney is not None or self.grank is not None  # ranks of e / s
        filled = np.where(present, residuals, 0.0)
        if self.cda:
            self.e_sum += filled.sum(axis=0)
            self.e_count += days
        if scaled:
            if self.df is None:
                raise ParameterError("df", None, "give L_i - k_i per event for the rank tests")
            sd = residual_sd(filled, self.df[rows])
        if self.kolari:
            count = _count_true(present, axis=1)
            z = filled  # its last use: standardised in place
            z -= (z.sum(axis=1) / count)[:, None]
            z *= present
            z *= np.sqrt(count / np.einsum("ij,ij->i", z, z))[:, None]
            self.z_sum += z.sum(axis=0)
            self.z2_sum += np.einsum("ij,ij->j", z, z)
            self.z_count += days
        if self.sign:
            self.positive += int(np.count_nonzero(residuals > 0))
            self.present += int(days.sum())
        if self.abnormal is not None:
            abnormal = self.abnormal[rows]
            ranked = _sort_rows((residuals, abnormal))
            deviations = ranked.average_ranks() - (ranked.lengths[:, None] + 1.0) / 2.0
            self.corrado_total += ranked.column_sums(deviations, own=True)
            self.corrado_count += np.append(days, np.count_nonzero(~np.isnan(abnormal), axis=0))
        if not scaled:
            return
        est = residuals / sd[:, None]
        # a day is missing where the residual is, and everywhere if s_i = 0 (0 / 0)
        est_days = days if np.all(sd > 0) else np.count_nonzero(~np.isnan(est), axis=0)
        if self.grank is not None:
            grank = self.grank[rows]
            ranked = _sort_rows((est, grank))
            totals, zero = _generalized_rank_sums(est, grank, ranked)
            self.grank_total += totals
            self.grank_zero += zero
            self.grank_count += est_days
        if self.zivney is not None:
            if self.zivney_in_grank:  # GRANK's rows less their last value (the SCAR)
                zivney = grank[:, :-1]
                ranks = ranked.average_ranks_without(est.shape[1] + zivney.shape[1])
                lengths = ranked.lengths - ~np.isnan(grank[:, -1])
            else:
                zivney = self.zivney[rows]
                ranked = _sort_rows((est, zivney))
                ranks, lengths = ranked.average_ranks(), ranked.lengths
            u = ranks / (lengths[:, None] + 1.0)
            u -= 0.5
            self.zivney_total += ranked.column_sums(u, own=True)[: est.shape[1] + zivney.shape[1]]
            self.zivney_count += np.append(est_days, np.count_nonzero(~np.isnan(zivney), axis=0))

    def correlation(self) -> float:
        numerator = np.sum(self.z_sum**2 - self.z2_sum)
        denominator = np.sum(self.z_count**2 - self.z_count)
        return float("nan") if denominator == 0 else float(numerator / denominator)

    def positive_share(self) -> float:
        return self.positive / self.present

    def corrado_rank(self, window: np.ndarray | None) -> StatResult:
        s, mean_t, _ = _weighted_rank_sd(self.corrado_total, self.corrado_count, self.n)
        return _rank_statistic(mean_t, s, self.length + np.arange(len(mean_t) - self.length), window)

    def corrado_zivney(self, window: np.ndarray | None) -> StatResult:
        s, mean_t, _ = _weighted_rank_sd(self.zivney_total, self.zivney_count, self.n)
        return _rank_statistic(mean_t, s, self.length + np.arange(len(mean_t) - self.length), window)

    def generalized_rank(self) -> StatResult:
        n_tau = np.append(self.grank_count, self.n)
        used = n_tau > 0
        days = int(used.sum())
        stat = np.empty(self.grank_total.shape[0])
        for j in range(len(stat)):
            mean_tau = np.zeros(self.length + 1)
            mean_tau[: self.length][used[: self.length]] = (
                self.grank_total[j][used[: self.length]] / n_tau[: self.length][used[: self.length]]
            )
            mean_tau[self.length] = self.grank_zero[j] / self.n
            s = np.sqrt(np.sum(n_tau[used] / self.n * mean_tau[used] ** 2) / days)
            z = mean_tau[self.length] / s
            with np.errstate(invalid="ignore", divide="ignore"):
                stat[j] = z * np.sqrt((days - 2.0) / (days - 1.0 - z**2))
        return _student(stat, days - 2)


def _residual_chunks(residuals: Any, df: np.ndarray, chunk_size: int):
    """``(rows, residuals of those rows)`` for all events, ``chunk_size`` at a time, each checked.

    When ``residuals`` is a function (the batch engine recomputing them from the panel), the
    next chunk is computed and checked in a second thread while the caller works on this one:
    NumPy releases the interpreter lock in both, so on two cores the two overlap."""
    n = len(df)
    starts = list(range(0, n, chunk_size))
    lengths: list[int] = []  # L, the first chunk's

    def rows_at(start: int) -> np.ndarray:
        return np.arange(start, min(n, start + chunk_size))

    def checked(rows: np.ndarray, raw: Any) -> np.ndarray:
        chunk = np.asarray(raw, dtype=float)
        if not lengths and chunk.ndim == 2:
            lengths.append(chunk.shape[1])
        if chunk.ndim != 2 or chunk.shape != (len(rows), lengths[0]):
            raise ParameterError(
                "residuals", f"shape {chunk.shape} for {len(rows)} events",
                f"give an (N, L) array with N = {n}, or a function of the rows giving one",
            )
        if np.any(np.isinf(chunk)):
            raise ParameterError(
                "residuals", "infinite values", "give finite residuals, NaN where missing"
            )
        if not np.all(df[rows] <= lengths[0] - _count_true(np.isnan(chunk), axis=1)):
            raise ParameterError(
                "df", df[rows].tolist()[:5], "each L_i - k_i must be at least 1 and at most L_i"
            )
        return chunk

    if not callable(residuals):
        for start in starts:
            rows = rows_at(start)
            yield rows, checked(rows, residuals[start : start + chunk_size])
        return

    def computed(rows: np.ndarray) -> np.ndarray:
        return checked(rows, residuals(rows))

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(computed, rows_at(starts[0])) if starts else None
        for i, start in enumerate(starts):
            assert pending is not None
            chunk = pending.result()
            if i + 1 < len(starts):
                pending = pool.submit(computed, rows_at(starts[i + 1]))
            yield rows_at(start), chunk
