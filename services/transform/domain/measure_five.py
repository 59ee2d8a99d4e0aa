"""Art. 11 measure 5 in the creation job: the contract's target, and what the workers need to meet it.

The quasi-identifiers are the items that stay after measures 1–4 with the role of identifier or
quasi-identifier, the same columns the verifier groups by; their hierarchies are built over the
values those measures released (`anonymity.released`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .anonymity import DistinctLDiversity, Hierarchy, KAnonymity, PrivacyModel
from .anonymity.released import released_hierarchy
from .errors import TransformError
from .policy import Policy
from .schema import ItemRole, RegisterEntry


@dataclass(frozen=True)
class AnonymityTarget:
    """What the contract asks: k (0: measure 5 only reports), the share of records that may be
    suppressed (0..1), and distinct l-diversity per sensitive item."""

    k: int = 0
    suppression_limit: float = 0.0
    distinct_l: tuple[tuple[str, int], ...] = ()

    @property
    def enforced(self) -> bool:
        return self.k > 1


@dataclass(frozen=True)
class MeasureFive:
    """Everything a worker needs for measure 5 of one file; processing-method information."""

    k: int
    quasi_identifiers: tuple[str, ...]
    hierarchies: Mapping[str, Hierarchy]
    sensitive: tuple[str, ...]
    models: tuple[PrivacyModel, ...]
    suppression_limit: float
    distinct_l: tuple[tuple[str, int], ...] = ()


def quasi_identifiers(entry: RegisterEntry, policy: Policy) -> tuple[str, ...]:
    """Identifiers and quasi-identifiers that measures 1–4 leave in the output."""
    deleted = {r.column for r in policy.rules if r.operator == "delete"}
    return tuple(i.name for i in entry.items
                 if i.role in (ItemRole.QUASI_IDENTIFIER, ItemRole.IDENTIFIER) and i.name not in deleted)


def plan(target: AnonymityTarget, entry: RegisterEntry, policy: Policy,
         released: Mapping[str, set[str]]) -> MeasureFive:
    """The models and hierarchies for `target`, given each quasi-identifier's released values."""
    names = quasi_identifiers(entry, policy)
    kept = {i.name for i in entry.items} - {r.column for r in policy.rules if r.operator == "delete"}
    for item, _ in target.distinct_l:
        if item not in kept or item in names:
            raise TransformError(f"l-diversity item {item}: not a released item other than a quasi-identifier")
    hierarchies = {q: released_hierarchy(q, released.get(q, ()), policy.rules_for(q)) for q in names}
    models = (KAnonymity(target.k), *(DistinctLDiversity(item, l) for item, l in target.distinct_l))
    return MeasureFive(target.k, names, hierarchies, tuple(item for item, _ in target.distinct_l), models,
                       target.suppression_limit, target.distinct_l)
