"""Review's rules over plain data, one module per concern: degrees, windows, proposals, screening,
fees, notices and contracts. Nothing here knows gRPC, Kafka or the artifact store."""
from services.review.domain.contracts import ContractTerms, Target, validate_terms

__all__ = ["ContractTerms", "Target", "validate_terms"]
