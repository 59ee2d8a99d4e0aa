"""k-anonymity engine (Art. 11 measure 5): hierarchies, privacy models, optimal lattice search, loss and risk.

Pure domain logic on counts and record partitions; execution lives in `services.transform.anonymity_job`.
"""
from .builtin import address_hierarchy, age_hierarchy, date_hierarchy, postal_code_hierarchy
from .counts import CountsTable, count_partition, counts_table, merge_counts
from .encoding import encode_partition
from .errors import AnonymityError, HierarchyError
from .hierarchy import Hierarchy, load_hierarchies, load_hierarchy
from .loss import DEFAULT_UTILITY, UTILITY_MEASURES, utility_measure
from .privacy import DistinctLDiversity, EntropyLDiversity, EqualDistanceTCloseness, KAnonymity, PrivacyModel
from .recoding import RecodedPartition, RecodingPlan, recode_partition
from .report import build_report
from .search import SearchResult, check_suppression_limit, find_optimal

__all__ = [
    "DEFAULT_UTILITY",
    "UTILITY_MEASURES",
    "AnonymityError",
    "address_hierarchy",
    "age_hierarchy",
    "date_hierarchy",
    "postal_code_hierarchy",
    "CountsTable",
    "DistinctLDiversity",
    "EntropyLDiversity",
    "EqualDistanceTCloseness",
    "Hierarchy",
    "HierarchyError",
    "KAnonymity",
    "PrivacyModel",
    "RecodedPartition",
    "RecodingPlan",
    "SearchResult",
    "build_report",
    "check_suppression_limit",
    "count_partition",
    "encode_partition",
    "counts_table",
    "find_optimal",
    "load_hierarchies",
    "load_hierarchy",
    "merge_counts",
    "recode_partition",
    "utility_measure",
]
