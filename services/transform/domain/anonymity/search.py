"""Optimal search over the lattice on the counts table (global recoding with record suppression).

Branch and bound. Every column's total at a node is at least its total without suppression (a
suppressed cell counts 1, more than any generalized one); those bounds are separable per column
and cheap for all nodes, and the utility measure is non-decreasing in every column total, so they
bound the node's loss. Monotonic models add two facts: rows they suppress at a node stay
suppressed at all its specializations, so the per-column penalty found at a node bounds theirs;
and a node suppressing too much condemns all its specializations. Those bounds flow downwards, so
with any monotonic model the search visits nodes top-down (coarse nodes are also the cheap ones);
without one it visits nodes by increasing bound and stops at the first above the best loss.
Nothing better is ever skipped: the result is optimal for the measure.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classes import ClassSummary, summarize
from .counts import CountsTable, roll_up
from .errors import AnonymityError
from .hierarchy import Hierarchy
from .lattice import Lattice, specializations
from .loss import DEFAULT_UTILITY, UtilityMeasure, marginal_loss, utility_measure
from .privacy import SENSITIVE_DISTRIBUTION, PrivacyModel

_TIE = 1e-9


@dataclass(frozen=True)
class Evaluation:
    """A transformation applied to the counts: its classes, which fail, and its loss."""

    node: tuple[int, ...]
    table: CountsTable
    summary: ClassSummary
    row_class: np.ndarray
    failing: np.ndarray
    suppressed: int
    column_totals: np.ndarray
    loss: float
    monotone_suppressed: int
    monotone_penalty: np.ndarray

    def rank(self) -> tuple:
        return (round(self.loss, 12), self.suppressed, sum(self.node), self.node)


@dataclass(frozen=True)
class SearchResult:
    """The optimal transformation and how much of the lattice was evaluated to prove it."""

    best: Evaluation
    nodes: int
    evaluated: int
    utility: str


def check_suppression_limit(limit: float) -> None:
    """The limit is a share of rows."""
    if not 0.0 <= limit <= 1.0:
        raise AnonymityError("argument 'suppression-limit' must be between 0 and 1")


class Problem:
    """The counts, hierarchies and models; evaluates any transformation."""

    def __init__(
        self,
        table: CountsTable,
        hierarchies: dict[str, Hierarchy],
        models: list[PrivacyModel],
        suppression_limit: float,
        utility: UtilityMeasure,
    ):
        check_suppression_limit(suppression_limit)
        if any(level != 0 for level in table.levels):
            raise AnonymityError("the counts table must hold leaf codes")
        self.table = table
        self.hierarchies = [hierarchies[q] for q in table.quasi_identifiers]
        self.by_name = hierarchies
        self.models = models
        self.utility = utility
        self.domain_sizes = np.array([h.domain_size for h in self.hierarchies], dtype=np.float64)
        self.max_suppressed = int(np.floor(suppression_limit * table.rows + 1e-9))
        self.with_distributions = any(SENSITIVE_DISTRIBUTION in m.needs for m in models)
        self.shares = [[h.shares(level) for level in range(h.height)] for h in self.hierarchies]
        self.monotonic_models = [m for m in models if m.monotonic]
        self.other_models = [m for m in models if not m.monotonic]
        self.prunes_downwards = bool(self.monotonic_models) and all(map(_shares_grow, self.hierarchies))

    def loss(self, totals: np.ndarray) -> np.ndarray:
        """The measure's loss of column totals (one row per node)."""
        return self.utility.loss(totals, self.table.rows, self.domain_sizes)

    def bounds(self, nodes: np.ndarray) -> np.ndarray:
        """Column totals of every node without suppression (nodes x columns)."""
        totals = np.zeros(nodes.shape, dtype=np.float64)
        for q, hierarchy in enumerate(self.hierarchies):
            leaf_counts = np.bincount(self.table.codes[q], weights=self.table.counts, minlength=hierarchy.domain_size)
            totals[:, q] = marginal_loss(hierarchy, leaf_counts)[nodes[:, q]]
        return totals

    def evaluate(self, node: tuple[int, ...], source: CountsTable, bound: np.ndarray) -> Evaluation:
        """Rolls `source` up to `node`, applies the models and prices the suppressed rows."""
        table = roll_up(source, self.by_name, node)
        summary, row_class = summarize(table, self.with_distributions)
        monotone = np.zeros(len(summary), dtype=bool)
        for model in self.monotonic_models:
            monotone |= model.failing_classes(summary)
        failing = monotone.copy()
        for model in self.other_models:
            failing |= model.failing_classes(summary)
        penalty = self.penalty(table, node, np.flatnonzero(failing[row_class]))
        monotone_penalty = self.penalty(table, node, np.flatnonzero(monotone[row_class])) if self.other_models else penalty
        totals = bound + penalty
        return Evaluation(
            tuple(node), table, summary, row_class, failing,
            suppressed=int(summary.sizes[failing].sum()),
            column_totals=totals,
            loss=float(self.loss(totals)),
            monotone_suppressed=int(summary.sizes[monotone].sum()),
            monotone_penalty=monotone_penalty,
        )

    def penalty(self, table: CountsTable, node: tuple[int, ...], rows: np.ndarray) -> np.ndarray:
        """What suppressing `rows` adds to each column's total; only suppressed rows are priced."""
        counts = table.counts[rows].astype(np.float64)
        total = counts.sum()
        return np.array([total - self.shares[q][level][table.codes[q][rows]] @ counts for q, level in enumerate(node)])


def _shares_grow(hierarchy: Hierarchy) -> bool:
    """Whether every leaf's share never shrinks up the hierarchy (true for any tree with distinct labels)."""
    path = np.array([hierarchy.shares(level)[hierarchy.leaf_to_level(level)] for level in range(hierarchy.height)])
    return bool((np.diff(path, axis=0) >= 0).all())


class _TableCache:
    """Rolled-up tables kept to roll coarser nodes up from fewer rows; bounded in total rows.

    The search goes top-down, so the tables it has evaluated lie above the nodes still to come and
    most nodes would roll up from the base table. Floors fill that gap: the base rolled up in its
    widest column alone, one table per level, each kept only when it halves the base.
    """

    def __init__(self, base: CountsTable, hierarchies: dict[str, Hierarchy]):
        self.tables = [base]
        self.sizes = [len(base)]
        self.nodes = np.array([base.levels], dtype=np.int16)
        self.budget = 2 * len(base) + 100_000
        self.base_rows = len(base)
        self.hierarchies = hierarchies
        self.widest = int(np.argmax(base.cardinalities)) if base.cardinalities else None
        self.floors: dict[int, CountsTable | None] = {}

    def source(self, node: np.ndarray) -> CountsTable:
        """The smallest cached table below `node`, or the floor below it when that is smaller."""
        candidates = np.flatnonzero(specializations(self.nodes, node))
        best = self.tables[candidates[int(np.argmin([self.sizes[i] for i in candidates]))]]
        floor = self._floor(int(node[self.widest])) if self.widest is not None else None
        return floor if floor is not None and len(floor) < len(best) else best

    def _floor(self, level: int) -> CountsTable | None:
        if level == 0:
            return None
        if level not in self.floors:
            base = self.tables[0]
            node = tuple(level if q == self.widest else 0 for q in range(len(base.levels)))
            table = roll_up(base, self.hierarchies, node)
            self.floors[level] = table if len(table) * 2 <= self.base_rows else None
        return self.floors[level]

    def keep(self, table: CountsTable) -> None:
        if len(table) * 2 > self.base_rows:
            return
        self.tables.append(table)
        self.sizes.append(len(table))
        self.nodes = np.vstack([self.nodes, np.array(table.levels, dtype=np.int16)])
        while sum(self.sizes) > self.budget and len(self.tables) > 1:
            largest = 1 + int(np.argmax(self.sizes[1:]))
            del self.tables[largest], self.sizes[largest]
            self.nodes = np.delete(self.nodes, largest, axis=0)


def find_optimal(
    table: CountsTable,
    hierarchies: dict[str, Hierarchy],
    models: list[PrivacyModel],
    suppression_limit: float,
    utility: str = DEFAULT_UTILITY,
) -> SearchResult:
    """The transformation with the least loss meeting all models within the suppression limit."""
    problem = Problem(table, hierarchies, models, suppression_limit, utility_measure(utility))
    lattice = Lattice([h.height for h in problem.hierarchies])
    nodes = lattice.nodes
    bounds = _Bounds(problem, nodes)
    top_down = problem.prunes_downwards
    order = np.lexsort((bounds.lower, -nodes.sum(axis=1))) if top_down else np.lexsort((nodes.sum(axis=1), bounds.lower))
    cache = _TableCache(table, hierarchies)
    best, evaluated = None, 0
    for index in order:
        if best is not None and bounds.lower[index] > best.loss + _TIE * max(1.0, best.loss):
            if top_down:
                continue
            break
        if bounds.excluded[index]:
            continue
        node = nodes[index]
        evaluation = problem.evaluate(tuple(int(v) for v in node), cache.source(node), bounds.totals[index])
        evaluated += 1
        cache.keep(evaluation.table)
        if top_down:
            bounds.inherit(evaluation, np.flatnonzero(lattice.below(node)))
        if evaluation.suppressed <= problem.max_suppressed and (best is None or evaluation.rank() < best.rank()):
            best = evaluation
    if best is None:
        raise AnonymityError("no transformation meets the privacy models within the suppression limit")
    return SearchResult(best, len(nodes), evaluated, problem.utility.name)


class _Bounds:
    """Every node's column totals without suppression and the lower bound of its loss, raised as
    monotonic models' suppression found above a node is passed down to it."""

    def __init__(self, problem: Problem, nodes: np.ndarray):
        self.problem = problem
        self.totals = problem.bounds(nodes)
        self.lower = problem.loss(self.totals)
        self.penalty = np.zeros(nodes.shape, dtype=np.float64)
        self.excluded = np.zeros(len(nodes), dtype=bool)

    def inherit(self, evaluation: Evaluation, below: np.ndarray) -> None:
        """The specializations of an evaluated node suppress at least the rows its monotonic models
        suppress: excluded if that is already over the limit, and at least that penalty per column."""
        if evaluation.monotone_suppressed > self.problem.max_suppressed:
            self.excluded[below] = True
        if not evaluation.monotone_penalty.any():
            return
        penalty = np.maximum(self.penalty[below], evaluation.monotone_penalty)
        self.penalty[below] = penalty
        self.lower[below] = np.maximum(self.lower[below], self.problem.loss(self.totals[below] + penalty))
