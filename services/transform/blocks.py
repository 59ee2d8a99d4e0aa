"""An extract split into byte ranges at line starts, each read by a worker with pyarrow's CSV reader.

The job's process reads only the header and a few bytes around each boundary; every worker opens
the stored object itself (a local path or an S3 URL through fsspec) and reads its own range, every
column as text. Like any line-based split, a quoted field holding a line break is not supported;
municipal extracts are prepared one record per line.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import fsspec
import pyarrow as pa
import pyarrow.csv as pcsv

BLOCK_BYTES = 64 << 20
_PROBE_BYTES = 64 << 10


class UnreadableBlock(ValueError):
    """A block the reader could not turn into records; the reason never quotes the data."""


@dataclass(frozen=True)
class Block:
    url: str
    storage_options: dict = field(repr=False)
    encoding: str
    columns: tuple[str, ...]
    start: int
    end: int

    def read(self, only: tuple[str, ...] = ()) -> pa.Table:
        """The block's records, every column as text; ``only`` some of the columns."""
        with _open(self.url, self.storage_options, self.end - self.start) as handle:
            handle.seek(self.start)
            data = handle.read(self.end - self.start)
        return parse(data, self.columns, self.encoding, only)


def _open(url: str, storage_options: dict, block_size: int):
    """The stored object, read ahead ``block_size`` bytes at a time."""
    filesystem, path = fsspec.core.url_to_fs(url, **storage_options)
    return filesystem.open(path, "rb", block_size=block_size)


def parse(data: bytes, columns: tuple[str, ...], encoding: str, only: tuple[str, ...] = ()) -> pa.Table:
    try:
        return pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(column_names=list(columns), encoding=_codec(encoding), use_threads=False,
                                          block_size=8 << 20),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                                include_columns=list(only) or None,
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except UnicodeDecodeError:
        raise UnreadableBlock("bytes not valid in the declared encoding") from None
    except pa.ArrowInvalid:
        raise UnreadableBlock("not a readable CSV file (a row does not have the header's columns)") from None


def _codec(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") else encoding


def plan(url: str, storage_options: dict, encoding: str, block_bytes: int = BLOCK_BYTES) -> list[Block]:
    """The extract's blocks, each starting at a line start; the header is read here, once."""
    with _open(url, storage_options, _PROBE_BYTES) as handle:
        header = handle.readline()
        ranges = line_ranges(handle, len(header), block_bytes)
    columns = _header(header, encoding)
    return [Block(url, storage_options, encoding, columns, start, end) for start, end in ranges]


def line_ranges(handle, first: int, block_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``block_bytes`` from ``first`` to the end of a seekable file, each
    starting at a line start; only a line at each boundary is read."""
    size = handle.seek(0, io.SEEK_END)
    starts = [first]
    for offset in range(first + block_bytes, size, block_bytes):
        handle.seek(offset)
        handle.readline()
        if starts[-1] < handle.tell() < size:
            starts.append(handle.tell())
    return [(start, end) for start, end in zip(starts, starts[1:] + [size]) if end > start]


def _header(line: bytes, encoding: str) -> tuple[str, ...]:
    if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig", "utf-8", "utf8"):
        line = line.removeprefix(b"\xef\xbb\xbf")
    try:
        table = pcsv.read_csv(io.BytesIO(line), read_options=pcsv.ReadOptions(encoding=_codec(encoding)))
    except (UnicodeDecodeError, pa.ArrowInvalid):
        raise UnreadableBlock("the header line is not readable in the declared encoding") from None
    return tuple(table.column_names)
