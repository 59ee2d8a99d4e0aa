"""Turn a verifier's tallies into per-measure pass/fail with evidence (counts and column names only)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .schema import ItemRole

if TYPE_CHECKING:
    from .verification import Verifier

_GENERALIZING = ("generalize_address", "birthdate_to_age", "truncate_postal_code", "top_code", "bottom_code", "suppress_rare")


@dataclass(frozen=True)
class MeasureResult:
    measure: int
    title: str
    status: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ColumnSummary:
    name: str
    arrow_type: str
    role: str
    operators: tuple[str, ...]
    nulls: int
    suppressed: int


@dataclass(frozen=True)
class VerificationResult:
    rows: int
    measures: tuple[MeasureResult, ...]
    columns: tuple[ColumnSummary, ...]
    class_sizes: Mapping[int, int]
    """Class size → number of equivalence classes of that size over the quasi-identifiers."""
    k: int
    suppressed_rows_pct: float
    risk_highest: float
    risk_average: float
    codes_in_extract: Mapping[str, int]
    """Identification codes hidden in the extract's free text, by kind."""
    codes_in_output: Mapping[str, int]
    l: Mapping[str, int]
    """Per sensitive item with an l target: the fewest distinct values in a class (at most l)."""

    @property
    def passed(self) -> bool:
        return all(m.status != "fail" for m in self.measures)


def evaluate(v: Verifier) -> VerificationResult:
    sizes = Counter(v.classes.values())
    k = min(sizes) if sizes else 0
    rows = v.rows
    measures = (_identifiers(v), _identification_codes(v), _linking_codes(v), _peculiar(v), _classes(v, k, len(v.classes)))
    return VerificationResult(
        rows=rows, measures=measures, columns=_columns(v), class_sizes=dict(sorted(sizes.items())), k=k,
        suppressed_rows_pct=100 * v.tallies["suppressed_rows"] / rows if rows else 0.0,
        risk_highest=1 / k if k else 0.0, risk_average=len(v.classes) / rows if rows else 0.0,
        codes_in_extract=_findings(v, "extract_finding:"), codes_in_output=_findings(v, "finding:"),
        l=v.achieved_l(),
    )


def _result(measure: int, title: str, failures: list[str], evidence: list[str]) -> MeasureResult:
    return MeasureResult(measure, title, "fail" if failures else "pass", tuple(failures + evidence))


def _all_tokens(v: Verifier, name: str) -> bool:
    return v.types[name] == "string" and v.tallies[f"not_token:{name}"] == 0


def _names(label: str, names: list[str]) -> str:
    return f"{label}: {', '.join(names) or '-'}"


def _present(v: Verifier, role: ItemRole) -> tuple[list[str], list[str]]:
    names = v.entry.names(role)
    return [n for n in names if n in v.types], [n for n in names if n not in v.types]


def _identifiers(v: Verifier) -> MeasureResult:
    present, absent = _present(v, ItemRole.IDENTIFIER)
    failures = []
    for name in present:
        operators = {r.operator for r in v.policy.rules_for(name)}
        tokens = _all_tokens(v, name)
        generalized = bool(operators & set(_GENERALIZING))
        if "generalize_address" in operators and v.tallies[f"not_generalized:{name}"]:
            failures.append(f"{name}: {v.tallies[f'not_generalized:{name}']} values still more detailed than a municipality")
        elif not (tokens or generalized):
            failures.append(f"{name}: identifier present, neither tokens nor generalized")
    return _result(1, "identifiers deleted or replaced", failures, [_names("absent", absent), _names("present", present)])


def _identification_codes(v: Verifier) -> MeasureResult:
    present, absent = _present(v, ItemRole.IDENTIFICATION_CODE)
    found = _findings(v, "finding:")
    hidden = _findings(v, "extract_finding:")
    failures = [f"{name}: identification code column present" for name in present]
    failures += [f"scanner found {n} cells with a {kind}" for kind, n in sorted(found.items())]
    evidence = [_names("absent", absent),
                f"codes hidden in the extract's free text: {sum(hidden.values())}"
                + "".join(f", {kind} {n}" for kind, n in sorted(hidden.items())),
                f"scanner findings: {sum(found.values())}"]
    return _result(2, "identification codes deleted", failures, evidence)


def _findings(v: Verifier, prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): n for k, n in v.tallies.items() if k.startswith(prefix) and n}


def _linking_codes(v: Verifier) -> MeasureResult:
    present, absent = _present(v, ItemRole.LINKING_CODE)
    failures = []
    for name in present:
        if not _all_tokens(v, name):
            failures.append(f"{name}: {v.tallies[f'not_token:{name}'] or 'all'} values are not tokens")
        if name not in v.input_hashes:
            failures.append(f"{name}: no input hashes given, cannot check")
        elif v.tallies[f"collisions:{name}"]:
            failures.append(f"{name}: {v.tallies[f'collisions:{name}']} output values equal an input value")
    return _result(3, "linking codes deleted or replaced", failures, [_names("absent", absent), _names("replaced", present)])


def _peculiar(v: Verifier) -> MeasureResult:
    failures, evidence = [], []
    for rule in v.policy.rules:
        if rule.column not in v.types:
            continue
        if rule.operator in ("top_code", "bottom_code"):
            beyond = v.tallies[f"out_of_bounds:{rule.column}"]
            evidence.append(f"{rule.column}: {rule.operator}, {beyond} values beyond the bound")
            if beyond:
                failures.append(f"{rule.column}: {beyond} values beyond the {rule.operator} bound")
        if rule.operator == "suppress_rare":
            counts = v.categories.get(rule.column, Counter())
            rare = sum(1 for n in counts.values() if n < rule.params.min_count)
            evidence.append(f"{rule.column}: {len(counts)} categories kept, {rare} below the threshold")
            if rare:
                failures.append(f"{rule.column}: {rare} categories below the threshold")
    evidence = evidence or ["no top/bottom coding or rare suppression in the policy"]
    return _result(4, "peculiar descriptions deleted or replaced", failures, evidence)


def _classes(v: Verifier, k: int, classes: int) -> MeasureResult:
    keys = v.quasi_identifiers()
    evidence = (f"quasi-identifiers: {', '.join(keys) or '-'}", f"smallest class size k = {k}", f"classes: {classes}",
                f"records suppressed: {v.tallies['suppressed_records']}")
    if v.k_target is None:
        return MeasureResult(5, "measures suited to the file (what the data shows)", "info", evidence)
    achieved = v.achieved_l()
    failures = [f"smallest class size {k} below the target k = {v.k_target}"] if k < v.k_target else []
    failures += [f"{item}: a class with {achieved[item]} distinct values, l = {l} wanted"
                 for item, l in v.l_targets.items() if achieved[item] < l]
    diversity = tuple(f"{item}: distinct l = {achieved[item]} (target {l})" for item, l in v.l_targets.items())
    return MeasureResult(5, "measures suited to the file (what the data shows)", "fail" if failures else "pass",
                         tuple(failures) + (f"target k = {v.k_target}",) + evidence + diversity)


def _columns(v: Verifier) -> tuple[ColumnSummary, ...]:
    summaries = []
    for name, arrow_type in v.types.items():
        item = v.entry.item(name)
        summaries.append(ColumnSummary(
            name=name, arrow_type=arrow_type, role=item.role.value if item else "unknown",
            operators=tuple(r.operator for r in v.policy.rules_for(name)),
            nulls=v.tallies[f"nulls:{name}"], suppressed=v.tallies[f"suppressed:{name}"],
        ))
    return tuple(summaries)
