"""A processing policy is data: an ordered list of (column, operator, typed params) rules.

`derive_policy` builds it from the register entry's roles and the approved proposal's requested items.
Degree vocabulary (the processing method of a requested item, Form 1):

    as_is           keep the value (for quasi-identifiers, sensitive and other items only)
    token           random token, fresh per row (measure 1)
    linked_token    random token consistent within the delivered dataset (measure 3)
    prefecture      address → prefecture (generalize_address)
    municipality    address → municipality (generalize_address)
    age             birth date → age at the reference date
    age_band_<N>    birth date → age band of width N, e.g. age_band_5
    postal_<N>      postal code → its leading N digits, e.g. postal_3
    top_code_<T>    numbers ≥ T → `T+`, e.g. top_code_90
    bottom_code_<T> numbers ≤ T → `<=T`
    top_pct_<P>     top coding at the P-th percentile of the column (global summary)
    bottom_pct_<P>  bottom coding at the P-th percentile
    rare_<K>        categories seen fewer than K times → `*` (global summary)

Several degrees apply in order when joined with `+`, e.g. `age+top_code_90`.
Identification codes are always deleted, whatever was requested; identifiers are deleted unless
requested at a coarser degree than `as_is`; requested linking codes become tokens, consistent within
the dataset unless the degree is `token`; unrequested items are deleted.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from .errors import TransformError
from .operators import (
    BirthdateToAgeParams, CodingParams, DeleteParams, GeneralizeAddressParams, OperatorContext,
    RandomTokenParams, SuppressRareParams, TruncatePostalCodeParams, registry,
)
from .operators.base import SummaryOperator, merge_counts
from .schema import ItemRole, ItemType, RegisterEntry


@dataclass(frozen=True)
class Rule:
    column: str
    operator: str
    params: Any


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]

    def validate(self) -> None:
        for rule in self.rules:
            try:
                registry.get(rule.operator).validate(rule.params)
            except TransformError as error:
                raise TransformError(f"rule for column {rule.column}: {error}") from None
        summarized = [r.column for r in self.rules if registry.get(r.operator).needs_global_summary]
        repeated = sorted({c for c in summarized if summarized.count(c) > 1})
        if repeated:
            raise TransformError(f"more than one global-summary rule for column {', '.join(repeated)}")

    def rules_for(self, column: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.column == column)


_T = ItemType
_NUMERIC = (_T.INTEGER, _T.DECIMAL)
_FIXED = {  # degree: (operator, params, item types it applies to (None: any), item type it leaves)
    "token": ("random_token", RandomTokenParams(False), None, _T.TEXT),
    "linked_token": ("random_token", RandomTokenParams(True), None, _T.TEXT),
    "prefecture": ("generalize_address", GeneralizeAddressParams("prefecture"), (_T.TEXT,), _T.TEXT),
    "municipality": ("generalize_address", GeneralizeAddressParams("municipality"), (_T.TEXT,), _T.TEXT),
    "age": ("birthdate_to_age", BirthdateToAgeParams(1), (_T.DATE,), _T.INTEGER),
}
_PARAMETRIC = {  # degree prefix: (operator and params from N, item types it applies to, item type it leaves)
    "age_band": (lambda n: ("birthdate_to_age", BirthdateToAgeParams(int(n))), (_T.DATE,), _T.TEXT),
    "postal": (lambda n: ("truncate_postal_code", TruncatePostalCodeParams(int(n))), (_T.CODE, _T.TEXT), _T.CODE),
    "top_code": (lambda n: ("top_code", CodingParams(threshold=float(n))), _NUMERIC, _T.TEXT),
    "bottom_code": (lambda n: ("bottom_code", CodingParams(threshold=float(n))), _NUMERIC, _T.TEXT),
    "top_pct": (lambda n: ("top_code", CodingParams(percentile=float(n))), _NUMERIC, _T.TEXT),
    "bottom_pct": (lambda n: ("bottom_code", CodingParams(percentile=float(n))), _NUMERIC, _T.TEXT),
    "rare": (lambda n: ("suppress_rare", SuppressRareParams(int(n))), None, _T.TEXT),
}
_DEGREE = re.compile(r"^(?P<name>[a-z_]+?)_(?P<n>\d+(?:\.\d+)?)$")
_DELETE = DeleteParams()


def derive_policy(entry: RegisterEntry, requested_items: Mapping[str, str]) -> Policy:
    """Rules for every register item from its role and the requested degree (see the module docstring)."""
    unknown = sorted(set(requested_items) - {i.name for i in entry.items})
    if unknown:
        raise TransformError(f"requested items not in the register entry: {', '.join(unknown)}")
    rules: list[Rule] = []
    for item in entry.items:
        degree = requested_items.get(item.name)
        if item.role is ItemRole.IDENTIFICATION_CODE or degree is None:
            rules.append(Rule(item.name, "delete", _DELETE))
        elif item.role is ItemRole.LINKING_CODE:
            rules.append(Rule(item.name, "random_token", RandomTokenParams(degree != "token")))
        elif item.role is ItemRole.IDENTIFIER and degree == "as_is":
            rules.append(Rule(item.name, "delete", _DELETE))
        else:
            rules.extend(_chain(item.name, item.type, degree))
    policy = Policy(tuple(rules))
    policy.validate()
    return policy


def _chain(column: str, item_type: ItemType, degree: str) -> list[Rule]:
    """Rules for `d1+d2+…`; each degree must apply to the type the previous one left."""
    chain = []
    for part in (d for d in degree.split("+") if d != "as_is"):
        operator, params, item_type = _rule(column, item_type, part)
        chain.append(Rule(column, operator, params))
    return chain


def _rule(column: str, item_type: ItemType, degree: str) -> tuple[str, Any, ItemType]:
    if degree in _FIXED:
        operator, params, types, leaves = _FIXED[degree]
    elif (match := _DEGREE.match(degree)) and match["name"] in _PARAMETRIC:
        build, types, leaves = _PARAMETRIC[match["name"]]
        operator, params = build(match["n"])
    else:
        raise TransformError(f"column {column}: unknown degree {degree}")
    if types and item_type not in types:
        raise TransformError(f"column {column}: degree {degree} does not apply to a {item_type.value} item")
    return operator, params, leaves


def partial_summaries(table: pa.Table | pa.RecordBatch, policy: Policy, context: OperatorContext) -> dict[int, pa.Table]:
    """One partition's summaries for the rules that need one, keyed by rule index; merge them by adding.

    A rule's summary is taken on its column as it enters the rule, so the column's earlier rules run first.
    """
    summaries: dict[int, pa.Table] = {}
    columns = {name: table.column(name) for name in table.schema.names}
    for index, rule in enumerate(policy.rules):
        operator = registry.get(rule.operator)
        if rule.column not in columns:
            continue
        if isinstance(operator, SummaryOperator):
            summaries[index] = operator.partial_summary(columns.pop(rule.column))
        elif _summary_follows(policy, index):
            columns[rule.column] = operator.apply(columns[rule.column], rule.params, context)
    return summaries


def merge_summaries(parts: Iterable[Mapping[int, pa.Table]]) -> dict[int, pa.Table]:
    """Add the partial summaries of all partitions, rule by rule (one Dask reduction)."""
    by_rule: dict[int, list[pa.Table]] = {}
    for part in parts:
        for index, counts in part.items():
            by_rule.setdefault(index, []).append(counts)
    return {index: merge_counts(tables) for index, tables in by_rule.items()}


def bind_summaries(policy: Policy, summaries: Mapping[int, pa.Table]) -> Policy:
    """The policy with every summary rule's params completed from the merged global summaries."""
    rules = list(policy.rules)
    for index, rule in enumerate(rules):
        operator = registry.get(rule.operator)
        if isinstance(operator, SummaryOperator):
            if index not in summaries:
                raise TransformError(f"rule for column {rule.column}: no global summary given")
            rules[index] = replace(rule, params=operator.bind(rule.params, summaries[index]))
    return Policy(tuple(rules))


def apply_policy(table: pa.Table | pa.RecordBatch, policy: Policy, context: OperatorContext) -> pa.Table:
    """Apply every rule in order; columns without a rule are kept; a deleted column is dropped."""
    columns = {name: table.column(name) for name in table.schema.names}
    for rule in policy.rules:
        if rule.column in columns:
            result = registry.get(rule.operator).apply(columns[rule.column], rule.params, context)
            if result is None:
                del columns[rule.column]
            else:
                columns[rule.column] = result
    return pa.table(columns)


def _summary_follows(policy: Policy, index: int) -> bool:
    column = policy.rules[index].column
    return any(registry.get(r.operator).needs_global_summary for r in policy.rules[index + 1:] if r.column == column)
