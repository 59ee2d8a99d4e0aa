"""Domain errors raised anywhere in the platform; only the gRPC edge turns them into status codes.

Messages name fields, rows and columns, never a personal value.
"""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller is meant to see."""

    code_name = "INTERNAL"


class InvalidArgument(DomainError):
    code_name = "INVALID_ARGUMENT"

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field


class NotFound(DomainError):
    code_name = "NOT_FOUND"


class AlreadyExists(DomainError):
    code_name = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    code_name = "FAILED_PRECONDITION"


class PermissionDenied(DomainError):
    code_name = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code_name = "UNAUTHENTICATED"


class DataLoss(DomainError):
    """The bytes received are not the bytes declared (checksum or size mismatch)."""

    code_name = "DATA_LOSS"


class ResourceExhausted(DomainError):
    code_name = "RESOURCE_EXHAUSTED"


class OutOfRange(DomainError):
    code_name = "OUT_OF_RANGE"
