import numpy as np
import pyarrow as pa

from services.transform.domain.anonymity import (
    KAnonymity,
    RecodingPlan,
    count_partition,
    counts_table,
    encode_partition,
    find_optimal,
    load_hierarchies,
    recode_partition,
)

QI = ["a", "b"]


def test_failing_classes_become_stars_and_other_columns_stay(hierarchy_dir):
    hierarchies = load_hierarchies(hierarchy_dir, QI)
    raw = pa.table({"a": ["a0", "a1", "a0", "a1", "a5"], "b": ["b0", "b0", "b0", "b0", "b2"], "note": list("vwxyz")})
    records = encode_partition(raw, [hierarchies[q] for q in QI])
    table = counts_table(count_partition(records, hierarchies, QI, []), hierarchies, QI)
    result = find_optimal(table, hierarchies, [KAnonymity(2)], 1.0)
    plan = RecodingPlan.from_evaluation(result.best, hierarchies)
    recoded = recode_partition(records, plan)
    out = recoded.table.to_pydict()
    assert result.best.node == (0, 0) or out["a"][0] != "a0"
    assert out["a"][4] == "*" and out["b"][4] == "*"
    assert recoded.suppressed == 1 == result.best.suppressed
    assert out["note"] == list("vwxyz")
    assert sorted(recoded.class_sizes) == sorted(result.best.summary.sizes[~result.best.failing])


def test_recoding_partitions_separately_gives_the_same_classes(hierarchy_dir):
    hierarchies = load_hierarchies(hierarchy_dir, QI)
    rng = np.random.default_rng(1)
    raw = pa.table({"a": [f"a{i}" for i in rng.integers(0, 6, 200)], "b": [f"b{i}" for i in rng.integers(0, 3, 200)]})
    records = encode_partition(raw, [hierarchies[q] for q in QI])
    table = counts_table(count_partition(records, hierarchies, QI, []), hierarchies, QI)
    plan = RecodingPlan.from_evaluation(find_optimal(table, hierarchies, [KAnonymity(15)], 1.0).best, hierarchies)
    whole = recode_partition(records, plan)
    halves = [recode_partition(records.slice(0, 77), plan), recode_partition(records.slice(77), plan)]
    assert whole.suppressed == sum(h.suppressed for h in halves)
    merged = {}
    for half in halves:
        for key, size in zip(half.class_keys, half.class_sizes):
            merged[key] = merged.get(key, 0) + size
    assert merged == dict(zip(whole.class_keys, whole.class_sizes))
