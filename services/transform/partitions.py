"""What the Dask workers do to one partition of a municipality's extract.

Plain functions over a pandas partition, so Dask can ship them; everything they return to the
client is a summary (counts, hashes, a partial verifier) or an output partition to be written.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from services.transform.domain.formats.normalize import normalize_batch
from services.transform.domain.operators import OperatorContext
from services.transform.domain.policy import Policy, apply_policy, partial_summaries
from services.transform.domain.schema import ItemRole, RegisterEntry, RowProblem
from services.transform.domain.verification import Verifier, value_hashes

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Survey:
    """Pass 1 of a partition: its size, its problems, and the summaries the policy needs."""

    rows: int
    problems: tuple[RowProblem, ...]
    problem_count: int
    summaries: dict[int, pa.Table] = field(default_factory=dict)
    linking_hashes: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Processed:
    """Pass 2 of a partition: the de-identified rows and what the verifier saw in them."""

    table: pa.Table
    verifier: Verifier
    problems: tuple[RowProblem, ...]
    problem_count: int


def _typed(frame: pd.DataFrame, entry: RegisterEntry):
    """The partition as one typed batch; large string columns arrive chunked and are combined."""
    table = pa.Table.from_pandas(frame[[i.name for i in entry.items]], preserve_index=False)
    batch = pa.RecordBatch.from_arrays([column.combine_chunks() for column in table.columns],
                                       names=table.column_names)
    return normalize_batch(batch, entry, first_row=1, max_problems=MAX_PROBLEMS)


def survey(frame: pd.DataFrame, entry: RegisterEntry, policy: Policy, context: OperatorContext) -> Survey:
    typed = _typed(frame, entry)
    linking = {name: value_hashes(typed.batch.column(name)) for name in entry.names(ItemRole.LINKING_CODE)}
    return Survey(typed.batch.num_rows, typed.problems, typed.problem_count,
                  partial_summaries(typed.batch, policy, context), linking)


def process(frame: pd.DataFrame, entry: RegisterEntry, policy: Policy, context: OperatorContext,
            linking_hashes: dict[str, np.ndarray]) -> Processed:
    typed = _typed(frame, entry)
    table = apply_policy(typed.batch, policy, context)
    verifier = Verifier(policy, entry, linking_hashes)
    verifier.note_extract(typed.batch)
    verifier.update(table)
    return Processed(table, replace(verifier, input_hashes={}), typed.problems, typed.problem_count)
