"""Delivery's rules over plain data: contracts, registry, packages, fingerprint, trace, cases, provision."""
from services.delivery.domain.contracts import ContractTerms, check_pull

__all__ = ["ContractTerms", "check_pull"]
