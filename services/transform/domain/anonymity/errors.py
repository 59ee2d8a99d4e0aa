"""Errors of the anonymity engine; messages name columns or arguments, never data values."""


class AnonymityError(ValueError):
    """A job cannot run as configured; the message is safe to show to an operator."""


class HierarchyError(AnonymityError):
    """A generalization hierarchy is malformed or does not cover a column's values."""

    @classmethod
    def not_covering(cls, column: str) -> "HierarchyError":
        return cls(f"hierarchy of column '{column}' does not cover all of its values")
