"""The search against brute force: every node of small lattices released naively and measured
from first principles (granularity with the shared script, ARX's loss by its formula); the search
must find the best feasible one for the measure it is given."""
import itertools
import math
import random
from collections import Counter, defaultdict

import pandas as pd
import pyarrow as pa
import pytest

from services.transform.domain.anonymity import (
    AnonymityError,
    DistinctLDiversity,
    EntropyLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
    build_report,
    count_partition,
    counts_table,
    encode_partition,
    find_optimal,
    load_hierarchies,
)
from services.transform.domain.anonymity.counts import roll_up
from services.transform.domain.anonymity.lattice import enumerate_nodes
from services.transform.domain.anonymity.search import _TableCache

QI = ["a", "b", "c"]
MODEL_SETS = {
    "k": lambda: [KAnonymity(3)],
    "k+distinct-l": lambda: [KAnonymity(2), DistinctLDiversity("s", 2)],
    "k+entropy-l": lambda: [KAnonymity(2), EntropyLDiversity("s", 1.8)],
    "k+t-closeness": lambda: [KAnonymity(2), EqualDistanceTCloseness("s", 0.3)],
}
LIMITS = [0.0, 0.2, 1.0]


def random_records(seed, rows):
    rng = random.Random(seed)
    leaves = {q: [r[0] for r in rows[q]] for q in QI}
    count = rng.randint(5, 60)
    return [
        {**{q: rng.choice(leaves[q][: rng.randint(1, len(leaves[q]))]) for q in QI}, "s": rng.choice("xxyz")}
        for _ in range(count)
    ]


def naive_failing(values, model_set):
    """Whether one class (its list of sensitive values) fails, computed from first principles."""
    size, counts = len(values), Counter(values)
    entropy = -sum(c / size * math.log(c / size) for c in counts.values())
    return {
        "k": size < 3,
        "k+distinct-l": size < 2 or len(counts) < 2,
        "k+entropy-l": size < 2 or entropy < math.log(1.8) - 1e-12,
        "k+t-closeness": size < 2,
    }[model_set]


def naive_releases(records, rows, model_set):
    """(suppressed, released frame) for every node."""
    label = {q: {r[0]: r for r in rows[q]} for q in QI}
    overall = Counter(r["s"] for r in records)
    for node in itertools.product(*[range(len(rows[q][0])) for q in QI]):
        generalized = [tuple(label[q][r[q]][level] for q, level in zip(QI, node)) for r in records]
        classes = defaultdict(list)
        for key, record in zip(generalized, records):
            classes[key].append(record["s"])
        failing = {key for key, values in classes.items() if naive_failing(values, model_set)}
        if model_set == "k+t-closeness":
            failing |= {key for key, values in classes.items() if t_distance(values, overall, len(records)) > 0.3 + 1e-12}
        released = [("*",) * len(QI) if key in failing else key for key in generalized]
        yield sum(key in failing for key in generalized), pd.DataFrame(released, columns=QI)


def arx_loss(df, rows, shared_granularity):
    """ARX's Loss: geometric mean of one plus each column's normalized loss, minus one."""
    factors = []
    for q in QI:
        shares, size = shared_granularity.shares_from_hierarchy(rows[q])
        mean = sum(shares.get(v, 1.0) for v in df[q]) / len(df)
        factors.append(1.0 + (mean - 1.0 / size) / (1.0 - 1.0 / size))
    return math.prod(factors) ** (1.0 / len(QI)) - 1.0


def t_distance(values, overall, total):
    counts = Counter(values)
    return 0.5 * sum(abs(counts[v] / len(values) - overall[v] / total) for v in overall)


@pytest.mark.parametrize("utility", ["loss", "granularity"])
@pytest.mark.parametrize("model_set", list(MODEL_SETS))
@pytest.mark.parametrize("seed", range(10))
def test_search_finds_the_brute_force_optimum(
    seed, model_set, utility, hierarchy_dir, small_hierarchy_rows, shared_granularity
):
    records = random_records(seed, small_hierarchy_rows)
    hierarchies = load_hierarchies(hierarchy_dir, QI)
    paths = {q: hierarchy_dir / f"small_hierarchy_{q}.csv" for q in QI}
    partition = pa.table({c: [r[c] for r in records] for c in [*QI, "s"]})
    sensitive = [] if model_set == "k" else ["s"]
    encoded = encode_partition(partition, [hierarchies[q] for q in QI])
    table = counts_table(count_partition(encoded, hierarchies, QI, sensitive), hierarchies, QI)
    releases = [
        (suppressed, shared_granularity.granularity(df, QI, paths)[0], arx_loss(df, small_hierarchy_rows, shared_granularity))
        for suppressed, df in naive_releases(records, small_hierarchy_rows, model_set)
    ]
    for limit in LIMITS:
        feasible = [(g, loss) for suppressed, g, loss in releases if suppressed <= limit * len(records)]
        models = MODEL_SETS[model_set]()
        if not feasible:
            with pytest.raises(AnonymityError):
                find_optimal(table, hierarchies, models, limit, utility)
            continue
        result = find_optimal(table, hierarchies, models, limit, utility)
        report = build_report(result, hierarchies, models, limit)
        assert report["utility"]["measure"] == utility
        if utility == "granularity":
            assert report["granularity"] == pytest.approx(max(g for g, _ in feasible), abs=1e-12), limit
        else:
            assert report["utility"]["loss"] == pytest.approx(min(loss for _, loss in feasible), abs=1e-12), limit
        assert report["suppressed"] <= limit * len(records)


def test_monotonic_models_never_suppress_more_when_generalizing(hierarchy_dir, small_hierarchy_rows):
    records = random_records(3, small_hierarchy_rows)
    for model_set in ["k", "k+distinct-l"]:
        releases = naive_releases(records, small_hierarchy_rows, model_set)
        suppressed = dict(zip(itertools.product(range(4), range(2), range(3)), (count for count, _ in releases)))
        for node, count in suppressed.items():
            for q in range(3):
                higher = tuple(level + (i == q) for i, level in enumerate(node))
                if higher in suppressed:
                    assert suppressed[higher] <= count


def test_every_source_the_cache_offers_rolls_up_to_what_the_base_gives(hierarchy_dir, small_hierarchy_rows):
    records = random_records(5, small_hierarchy_rows) * 3
    hierarchies = load_hierarchies(hierarchy_dir, QI)
    partition = pa.table({c: [r[c] for r in records] for c in QI})
    base = counts_table(count_partition(encode_partition(partition, [hierarchies[q] for q in QI]), hierarchies, QI, []),
                        hierarchies, QI)
    cache = _TableCache(base, hierarchies)
    cache.base_rows = 10 * len(base)  # every floor and table is kept, so every kind of source is used
    nodes = enumerate_nodes([hierarchies[q].height for q in QI])
    sources = set()
    for node in nodes[::-1]:
        source = cache.source(node)
        sources.add(source.levels)
        expected, got = roll_up(base, hierarchies, tuple(node)), roll_up(source, hierarchies, tuple(node))
        assert rows_of(got) == rows_of(expected)
        cache.keep(got)
    assert any(floor is not None and floor.levels in sources for floor in cache.floors.values())
    assert len(sources) > 2


def rows_of(table):
    return Counter(zip(*[c.tolist() for c in table.codes], table.counts.tolist()))
