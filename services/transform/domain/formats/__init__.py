"""Readers of municipal files and their conversion to canonical typed Parquet."""
from .convert import ConversionResult, convert_to_parquet
from .csv_reader import read_csv
from .fixed_width import FieldSpec, Layout, read_fixed_width
from .jsonl import read_jsonl
from .normalize import CodeValidator, NormalizedBatch, canonical_schema, normalize_batch, normalize_text
from .xlsx import read_xlsx

__all__ = [
    "CodeValidator", "ConversionResult", "FieldSpec", "Layout", "NormalizedBatch", "canonical_schema",
    "convert_to_parquet", "normalize_batch", "normalize_text", "read_csv", "read_fixed_width", "read_jsonl",
    "read_xlsx",
]
